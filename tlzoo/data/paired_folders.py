"""Paired image translation in pix2pix's on-disk layout (A|B side by side in one file).

Layout (the public pix2pix archives, Isola et al., "Image-to-Image Translation with Conditional
Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1611.07004)::

    <folder>/train/1.jpg   # each file is W_A + W_B wide: the left half is A, the right half is B
    <folder>/val/1.jpg
    <folder>/test/1.jpg    # not in every archive (cityscapes, maps, edges2* have train/val only)

``<folder>`` is ``root``, or ``root/<dataset>`` when ``dataset`` names a public archive (that is where
``--data.download true`` extracts it). Which half is which follows the archive: e.g. facades files are
photo|label, so labels -> photos is ``--data.direction BtoA`` (as in the pix2pix repository).

Protocol: train on every file of ``train/`` with pix2pix's jitter (each half resized to
``load_size x load_size``, bicubic; one random ``crop_size`` crop and one random horizontal flip applied
to both halves, :class:`~tlzoo.data.transforms.JointRandomCropFlip`); evaluate, unshuffled, on every
file of ``eval_split`` resized to ``crop_size`` (no jitter). Images are RGB in [-1, 1] (mean = std = 0.5).
The pairs carry no class labels (evaluation ``y`` is -1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, JointRandomCropFlip
from tlzoo.data.translation import (
    IMAGE_EXTENSIONS,
    Direction,
    PublicArchive,
    TranslationDataModule,
    list_image_files,
    open_image,
)
from tlzoo.errors import DataNotFoundError, TLZooError

Pix2PixDataset = Literal["facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day"]
PIX2PIX_DATASETS = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"


def split_ab(image: Any) -> tuple[Any, Any]:
    """A PIL image ``A|B`` (width ``2W``) -> ``(A, B)``, the left and the right half."""
    w, h = image.size
    if w < 2:
        raise TLZooError(f"a pix2pix image must hold A and B side by side; got width {w}")
    half = w // 2
    return image.crop((0, 0, half, h)), image.crop((half, 0, w, h))


class PairedFileDataset(EpochKeyedDataset):
    """``(a, b)`` from pix2pix ``A|B`` files, jittered jointly (training) or resized only (``train=False``).

    Args:
        paths: the image files.
        transform: the joint jitter.
        spec: normalisation of both halves.
        train: draw the jitter (else resize to ``transform.crop_size``).
        seed: jitter seed (with the epoch and index, see :mod:`tlzoo.data.transforms`).
    """

    def __init__(self, paths: Sequence[Path], transform: JointRandomCropFlip, spec: ImageSpec, train: bool,
                 seed: int = 0) -> None:
        super().__init__(seed=seed, stream=0)
        self.paths = list(paths)
        self.transform = transform
        self.spec = spec
        self.train = train

    def __len__(self) -> int:
        return len(self.paths)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = split_ab(open_image(self.paths[index], self.spec.channels))
        a, b = self.transform(a, b, rng=rng if self.train else None)
        return self.spec.normalize(a), self.spec.normalize(b)


class LabelledSide(Dataset):
    """``(x, -1)``: side ``side`` of a pair dataset, with the "no label" label."""

    def __init__(self, pairs: Dataset, side: int) -> None:
        self.pairs = pairs
        self.side = side

    def __len__(self) -> int:
        return len(self.pairs)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.pairs[index][self.side], -1


class PairedFolders(TranslationDataModule):
    """pix2pix's paired layout ``<root>/{train,val,test}/*.jpg`` with A|B side by side (module docstring).

    Args:
        root: folder holding ``train/`` and the evaluation split, or the download folder of ``dataset``.
        dataset: a public pix2pix dataset (facades, cityscapes, maps, edges2shoes, edges2handbags,
            night2day); its files are then read from ``root/<dataset>``.
        download: fetch and extract ``dataset``'s archive into ``root`` when it is absent.
        direction: ``AtoB`` (left half -> right half) or ``BtoA``.
        load_size: side each half is resized to before the random crop (pix2pix: 286).
        crop_size: side of the training crop and of the evaluation images (pix2pix: 256).
        flip: random horizontal flip (the same for both halves).
        eval_split: the split served by the val/test/predict loaders.
        predict_folder: predict on the images of this folder instead of the evaluation split.
        batch_size: pairs per step (pix2pix: 1).
        num_workers: DataLoader workers.
        seed: shuffling and jitter seed (default: the run seed, ``seed_everything``).
    """

    paired = True

    def __init__(
        self,
        root: str = "data/pix2pix",
        dataset: Pix2PixDataset | None = None,
        download: bool = False,
        direction: Direction = "AtoB",
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        eval_split: Literal["val", "test"] = "val",
        predict_folder: str | None = None,
        batch_size: int = 1,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(direction=direction, predict_folder=predict_folder, batch_size=batch_size,
                         num_workers=num_workers, seed=seed)
        if eval_split not in ("val", "test"):
            raise ValueError(f"eval_split must be 'val' or 'test', got {eval_split!r}")
        self.root = Path(root)
        self.dataset = dataset
        self.archive = PublicArchive(root, dataset, download, PIX2PIX_URL, "train", "pix2pix", PIX2PIX_DATASETS)
        self.transform = JointRandomCropFlip(load_size, crop_size, flip)
        self.eval_split = eval_split
        self.num_classes = None
        spec = ImageSpec.symmetric(3, crop_size)
        self.set_specs(spec, spec)
        self.protocol = (f"pix2pix {dataset or self.root}: train/ -> {eval_split}/, A = left half, B = right half, "
                         f"direction {direction}; jitter {self.transform}")

    @property
    def folder(self) -> Path:
        """Where the splits are: ``root/<dataset>`` (if it exists or is to be downloaded), else ``root``."""
        return self.archive.folder

    def prepare_data(self) -> None:
        self.archive.fetch_if_missing()

    def _files(self, split: str) -> list[Path]:
        files = list_image_files(self.folder / split)
        if not files:
            names = "|".join(PIX2PIX_DATASETS)
            raise DataNotFoundError(
                f"pix2pix {split} images not found under {self.folder / split}.\n"
                f"  Expected layout: {self.folder}/{{train,val,test}}/*.jpg ({'/'.join(IMAGE_EXTENSIONS)}), each "
                "file the A and B images side by side (width 2W).\n"
                f"  Point --data.root at the folder holding train/ and {self.eval_split}/, or add "
                f"--data.dataset {{{names}}} --data.download true to fetch a public pix2pix dataset.")
        return files

    def build(self) -> None:
        train, evaluation = self._files("train"), self._files(self.eval_split)
        spec = ImageSpec.symmetric(3, self.transform.crop_size)
        self.train_pairs = PairedFileDataset(train, self.transform, spec, train=True, seed=self.seed)
        eval_pairs = PairedFileDataset(evaluation, self.transform, spec, train=False, seed=self.seed)
        self.eval_a, self.eval_b = LabelledSide(eval_pairs, 0), LabelledSide(eval_pairs, 1)
        self.protocol = (
            f"pix2pix {self.dataset or self.folder}: train {len(train)} pairs ({self.folder / 'train'}) / "
            f"{self.eval_split} {len(evaluation)} pairs; A = left half, B = right half, direction {self.direction}; "
            f"jitter {self.transform}")
