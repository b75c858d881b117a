"""The multi-domain / multi-attribute image contract: one image set whose examples carry a *domain label* ``c``.

Served to conditional translation methods that edit an image towards a target label (StarGAN). A module is a
:class:`~tlzoo.data.labelled.ClassificationDataModule` (``spec``, ``input_shape``, seeded loaders,
``train_set`` / ``val_set`` / ``test_set`` filled in ``build``) that also declares, in ``__init__`` (so a
model can be checked against them before any file is read):

* ``label_kind``: ``"attributes"`` (binary attributes, several on at once: CelebA's hair colour, gender,
  age; multi-hot float labels) or ``"domains"`` (exactly one domain per image: digit data sets; int64 labels);
* ``domain_names``: the names of the attributes / domains, in label order (``num_domains`` of them);
* ``exclusive_groups``: lists of attribute indices of which at most one may be on (CelebA's hair colours),
  so an edit that turns one on turns the others off (``[]`` for domains).

Batches (PyTorch's default collate of per-example tuples):

* ``label_kind="attributes"``: ``(x, attrs)``, ``x`` ``(N, C, H, W)`` normalised as ``spec`` says, ``attrs``
  ``(N, num_domains)`` float32 in {0, 1};
* ``label_kind="domains"``: ``(x, y, d)``, ``y`` the int64 class of the content (the digit; ``-1`` when
  unknown) and ``d`` the int64 domain index;
* ``predict`` with ``predict_folder`` set: ``(x, index)`` with ``predict_paths[index]`` the source file (the
  labels of the user's images are unknown).

So ``batch[0]`` is always the images and ``batch[-1]`` the domain / attribute labels of the evaluation splits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from torch.utils.data import DataLoader

from tlzoo.data.labelled import ClassificationDataModule
from tlzoo.data.translation import IMAGE_EXTENSIONS, ImageFileDataset, list_image_files
from tlzoo.errors import TLZooError

LabelKind = Literal["attributes", "domains"]


class MultiDomainDataModule(ClassificationDataModule):
    """Base of the multi-domain / multi-attribute data modules (contract in the module docstring).

    Args:
        predict_folder: ``tlzoo predict`` edits the images of this folder (sorted by name) instead of the test
            split.
        batch_size: images per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    label_kind: LabelKind = "domains"
    domain_names: list[str]
    exclusive_groups: list[list[int]]

    def __init__(self, predict_folder: str | None = None, batch_size: int = 16, num_workers: int = 0,
                 seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        self.predict_folder = Path(predict_folder) if predict_folder else None
        self.exclusive_groups = []
        self._predict_paths: list[Path] | None = None

    @property
    def num_domains(self) -> int:
        """Length of the label vector ``c`` (attributes or domains)."""
        return len(self.domain_names)

    def setup(self, stage: str | None = None) -> None:
        if stage == "predict" and self.predict_folder is not None:
            return  # editing the user's own files needs no data set
        super().setup(stage)

    @property
    def predict_paths(self) -> list[Path]:
        """The image files of ``predict_folder`` (``[]`` without one)."""
        if self.predict_folder is None:
            return []
        if self._predict_paths is None:
            paths = list_image_files(self.predict_folder)
            if not paths:
                state = "does not exist" if not self.predict_folder.is_dir() else "holds no image files"
                raise TLZooError(f"predict folder {self.predict_folder} {state}: expected {'/'.join(IMAGE_EXTENSIONS)} "
                                 "files directly inside it. Point --data.predict_folder at a folder of images.")
            self._predict_paths = paths
        return self._predict_paths

    def predict_dataloader(self) -> DataLoader:
        if self.predict_folder is not None:
            return self._loader(ImageFileDataset(self.predict_paths, self.spec), shuffle=False)
        return super().predict_dataloader()
