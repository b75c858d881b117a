"""The image-translation data contract: two image domains A and B, paired or unpaired.

A :class:`TranslationDataModule` knows, when it is constructed (so the CLI can link them into the model):

* ``spec_a`` / ``spec_b``: an :class:`~tlzoo.data.spec.ImageSpec` per domain (shape, normalisation;
  ``spec.denormalize(x)`` gives [0, 1] pictures);
* ``paired``: whether ``A[i]`` and ``B[i]`` show the same scene (pix2pix) or not (CycleGAN);
* ``num_classes``: the number of classes of the evaluation labels where the domains have them
  (digits: 10), ``None`` otherwise (photos).

Subclasses implement :meth:`TranslationDataModule.build`, filling their splits in their natural
orientation (the ``direction`` swap is applied afterwards):

* unpaired: ``train_a`` and ``train_b``, datasets of image tensors;
* paired: ``train_pairs``, ONE dataset of ``(a, b)`` tuples whose random jitter is applied jointly
  (:class:`~tlzoo.data.transforms.JointRandomCropFlip`), so both images get the same geometry;
  ``train_a`` / ``train_b`` default to views of its two sides;
* ``eval_a`` and ``eval_b``: datasets of ``(x, y)`` with ``y`` the class label or ``-1`` when
  unlabelled; for paired data ``eval_a[i]`` and ``eval_b[i]`` are the two sides of pair ``i``.

and serves:

* ``train_dataloader``: dicts ``{"A": x_a, "B": x_b}`` of image tensors only (labels never reach
  training). Unpaired: a ``CombinedLoader`` in mode ``max_size_cycle`` over two loaders shuffled
  independently (different seeds); paired: one loader of the pair dataset, collated into that dict.
* ``val_dataloader`` / ``test_dataloader``: ONE ``CombinedLoader({"A": ..., "B": ...}, mode="max_size")``
  over the evaluation splits, unshuffled, batches ``{"A": (x, y), "B": (x, y)}``. For paired data
  ``batch["A"][0][j]`` pairs with ``batch["B"][0][j]``. When the two splits differ in length the
  exhausted side is ``None`` for the remaining batches (Lightning 2.6's evaluation loop accepts this
  mode; ``validation_step(batch, batch_idx)`` receives the dict).
* ``predict_dataloader``: the domain-A evaluation split as ``(x, y)`` batches (methods translate
  A -> B); with ``predict_folder`` set, the user's own images in that folder instead, as
  ``(x, index)`` batches where ``predict_paths[index]`` names the source file.

``direction="BtoA"`` swaps the two domains everywhere (splits, specs, pairs), as pix2pix's
``--direction BtoA``. Training shuffles with :class:`~tlzoo.data.base.EpochSeededSampler` and draws
any jitter from ``(seed, epoch, index)`` (see :mod:`tlzoo.data.transforms`), so the batches of an
epoch depend only on the seed and the epoch and a resumed run sees the batches it would have seen.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import DataLoader, Dataset

from tlzoo.data.base import EpochSeededSampler, TwoDomainDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, EpochKeySampler
from tlzoo.errors import DataNotFoundError, TLZooError

#: Extensions of the images a predict folder (and the CycleGAN / pix2pix folders) may hold.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
#: Added to the run seed for domain B's shuffling, so the two domains' orders are independent.
DOMAIN_B_SEED_OFFSET = 1_000_003

Direction = Literal["AtoB", "BtoA"]


def list_image_files(folder: str | Path, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Regular files of ``folder`` (not recursive) with an image extension, sorted by name; hidden files
    (``.DS_Store``, macOS ``._x.png`` resource forks) are skipped. An absent folder gives ``[]``."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions)


def to_8bit(image: Any) -> Any:
    """``image`` with 8-bit channels: 16-bit grey (``I;16*``, and ``I`` with values above 255) is scaled
    by 255 / 65535 (PIL's own ``convert`` would clip it, so a 16-bit PNG would look almost white)."""
    from PIL import Image

    if image.mode.startswith("I;16") or image.mode == "I":
        import numpy as np

        values = np.asarray(image).astype(np.float64)
        if image.mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values * (255.0 / 65535.0)
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")
    return image


def open_image(path: str | Path, channels: int) -> Any:
    """A PIL image in ``L`` (1 channel) or ``RGB`` (3 channels) mode, fully read (the file is closed);
    16-bit images are scaled to 8 bits (:func:`to_8bit`).

    Raises:
        TLZooError: the file is not a readable image (corrupt, truncated), naming it.
    """
    from PIL import Image

    if channels not in (1, 3):
        raise ValueError(f"image files can be read with 1 or 3 channels, not {channels}")
    try:
        with Image.open(path) as im:
            return to_8bit(im).convert("L" if channels == 1 else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise TLZooError(f"cannot read the image {path}: {err}. The file is corrupt or truncated: replace or "
                         f"delete it") from None


def download_public_archive(url: str, root: str | Path, expected: Path, what: str) -> None:
    """Download ``url`` into ``root``, extract it there and check that ``expected`` now exists.

    The archive is kept next to its contents (a rerun does not download it again). Network errors
    become one :class:`DataNotFoundError` telling the user how to do it by hand.
    """
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    filename = url.rsplit("/", 1)[-1]
    print(f"downloading {what} from {url} to {root} ...", file=sys.stderr)
    try:
        download_and_extract_archive(url, download_root=str(root), filename=filename)
    except Exception as err:  # noqa: BLE001 - network failures become one actionable message
        raise DataNotFoundError(
            f"could not download {what} ({type(err).__name__}: {err}).\n"
            f"  Download {url} by hand, extract it into {root} and rerun without --data.download.") from None
    if not expected.is_dir():
        raise DataNotFoundError(f"extracted {root / filename} but {expected} is missing; check the archive contents")


class PublicArchive:
    """Where a public archive's splits live and how to fetch them (pix2pix and CycleGAN datasets).

    Args:
        root: ``--data.root``.
        dataset: the archive's name (``None``: ``root`` holds the splits itself).
        download: fetch the archive when ``marker`` split is missing.
        url: the archive URL with ``{name}`` for ``dataset``.
        marker: a training split folder that exists once the data is in place (``train``, ``trainA``).
        what: the family, for messages (``"pix2pix"``, ``"CycleGAN"``).
        known: the archives ``url`` serves; another ``dataset`` is refused.
    """

    def __init__(self, root: str | Path, dataset: str | None, download: bool, url: str, marker: str,
                 what: str, known: Sequence[str]) -> None:
        if dataset is not None and dataset not in known:
            raise TLZooError(f"unknown {what} dataset {dataset!r}; choose one of {', '.join(known)}")
        if download and dataset is None:
            raise TLZooError(f"--data.download true needs --data.dataset (one of {', '.join(known)}) to know "
                             "which archive to fetch")
        self.root, self.dataset, self.download = Path(root), dataset, download
        self.url, self.marker, self.what = url, marker, what

    @property
    def folder(self) -> Path:
        """``root/<dataset>`` (if it exists or is to be downloaded), else ``root``."""
        if self.dataset is None:
            return self.root
        nested = self.root / self.dataset
        if nested.is_dir() or not (self.root / self.marker).is_dir():
            return nested
        return self.root

    def fetch_if_missing(self) -> None:
        if self.download and self.dataset is not None and not list_image_files(self.folder / self.marker):
            download_public_archive(self.url.format(name=self.dataset), self.root, self.root / self.dataset,
                                    f"the {self.what} {self.dataset} dataset")


def is_epoch_keyed(dataset: Dataset) -> bool:
    """Whether ``dataset`` wants ``(epoch, index)`` keys (:class:`EpochKeyedDataset` or a view of one)."""
    return isinstance(dataset, EpochKeyedDataset) or bool(getattr(dataset, "epoch_keyed", False))


def collate_pairs(items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """``[(a, b), ...]`` -> ``{"A": stack(a), "B": stack(b)}``."""
    return {"A": torch.stack([a for a, _ in items]), "B": torch.stack([b for _, b in items])}


class PairSide(Dataset):
    """Side 0 (A) or 1 (B) of a pair dataset; keys pass through, so both sides of key ``k`` are one pair."""

    def __init__(self, pairs: Dataset, side: int) -> None:
        self.pairs = pairs
        self.side = side
        self.epoch_keyed = is_epoch_keyed(pairs)

    def __len__(self) -> int:
        return len(self.pairs)  # type: ignore[arg-type]

    def __getitem__(self, key: Any) -> torch.Tensor:
        return self.pairs[key][self.side]


class SwappedPairs(Dataset):
    """``(b, a)`` from a dataset of ``(a, b)`` (``direction="BtoA"``)."""

    def __init__(self, pairs: Dataset) -> None:
        self.pairs = pairs
        self.epoch_keyed = is_epoch_keyed(pairs)

    def __len__(self) -> int:
        return len(self.pairs)  # type: ignore[arg-type]

    def __getitem__(self, key: Any) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.pairs[key]
        return b, a


class ImageFileDataset(Dataset):
    """``(x, index)`` for image files, resized (bicubic) to ``spec.size`` and normalised with ``spec``."""

    def __init__(self, paths: Sequence[Path], spec: ImageSpec) -> None:
        self.paths = list(paths)
        self.spec = spec

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2.functional import pil_to_tensor, resize

        x = pil_to_tensor(open_image(self.paths[index], self.spec.channels))
        size = list(self.spec.size)  # type: ignore[arg-type]
        if list(x.shape[-2:]) != size:
            x = resize(x, size, interpolation=InterpolationMode.BICUBIC, antialias=True)
        return self.spec.normalize(x.float().div_(255.0)), index


class TranslationDataModule(TwoDomainDataModule):
    """Base class of the translation data modules (the contract is in the module docstring).

    Subclasses call :meth:`set_specs` in ``__init__`` with the specs of their natural A and B, set
    ``paired`` / ``num_classes`` / ``protocol``, and implement :meth:`build`.

    Args:
        direction: ``AtoB`` (the subclass's A is the input) or ``BtoA`` (domains swapped).
        predict_folder: predict on the images of this folder (png/jpg/jpeg/bmp/webp, sorted by name)
            instead of the domain-A evaluation split.
        batch_size: examples per domain per step (pix2pix and CycleGAN: 1).
        num_workers: DataLoader workers.
        seed: shuffling and jitter seed (default: the run seed, ``seed_everything``).
    """

    #: Whether train_pairs / eval splits are aligned pairs.
    paired: bool = False

    def __init__(self, direction: Direction = "AtoB", predict_folder: str | None = None, batch_size: int = 1,
                 num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        self.direction = direction
        self.predict_folder = Path(predict_folder) if predict_folder else None
        self.num_classes: int | None = None
        self.train_a: Dataset | None = None
        self.train_b: Dataset | None = None
        self.train_pairs: Dataset | None = None
        self.eval_a: Dataset | None = None
        self.eval_b: Dataset | None = None
        self._predict_paths: list[Path] | None = None

    # -- for subclasses -----------------------------------------------------------------------
    def set_specs(self, spec_a: ImageSpec, spec_b: ImageSpec) -> None:
        """Set the specs of the subclass's natural A and B (swapped here when ``direction="BtoA"``)."""
        self.spec_a, self.spec_b = (spec_b, spec_a) if self.direction == "BtoA" else (spec_a, spec_b)

    def build(self) -> None:
        """Set ``train_a``/``train_b`` (unpaired) or ``train_pairs`` (paired), ``eval_a`` and ``eval_b``, in
        the natural orientation. Raise ``DataNotFoundError`` when the files are absent."""
        raise NotImplementedError

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``spec_a.shape``, the shape of the images a method translates."""
        assert self.spec_a is not None, "subclasses call set_specs in __init__"
        return self.spec_a.shape

    # -- contract -----------------------------------------------------------------------------
    def _is_built(self) -> bool:
        return self.eval_a is not None

    def setup(self, stage: str | None = None) -> None:
        if stage == "predict" and self.predict_folder is not None:
            return  # predicting on the user's own files needs no data set
        if self._is_built():
            return
        self.build()
        if self.paired:
            if self.train_pairs is None:
                raise TypeError(f"{type(self).__name__}.build() must set train_pairs for paired data")
            if self.train_a is None:
                self.train_a = PairSide(self.train_pairs, 0)
            if self.train_b is None:
                self.train_b = PairSide(self.train_pairs, 1)
        if self.train_a is None or self.train_b is None or self.eval_a is None or self.eval_b is None:
            raise TypeError(f"{type(self).__name__}.build() must set train_a, train_b, eval_a and eval_b")
        if self.paired and len(self.eval_a) != len(self.eval_b):  # type: ignore[arg-type]
            raise TLZooError(f"paired evaluation splits differ in length: {len(self.eval_a)} A vs "  # type: ignore[arg-type]
                             f"{len(self.eval_b)} B images")  # type: ignore[arg-type]
        if self.direction == "BtoA":
            self.train_a, self.train_b = self.train_b, self.train_a
            self.eval_a, self.eval_b = self.eval_b, self.eval_a
            if self.train_pairs is not None:
                self.train_pairs = SwappedPairs(self.train_pairs)

    def _train_loader(self, dataset: Dataset, seed: int, collate_fn: Any = None) -> DataLoader:
        sampler_cls = EpochKeySampler if is_epoch_keyed(dataset) else EpochSeededSampler
        return self._loader(dataset, shuffle=True, drop_last=True, sampler=sampler_cls(dataset, seed),  # type: ignore[arg-type]
                            collate_fn=collate_fn)

    def train_dataloader(self) -> DataLoader | CombinedLoader:
        if self.paired:
            assert self.train_pairs is not None
            return self._train_loader(self.train_pairs, self.seed, collate_fn=collate_pairs)
        assert self.train_a is not None and self.train_b is not None
        return CombinedLoader(
            {"A": self._train_loader(self.train_a, self.seed),
             "B": self._train_loader(self.train_b, self.seed + DOMAIN_B_SEED_OFFSET)},
            mode="max_size_cycle",
        )

    def val_dataloader(self) -> CombinedLoader:
        assert self.eval_a is not None and self.eval_b is not None
        return CombinedLoader(
            {"A": self._loader(self.eval_a, shuffle=False), "B": self._loader(self.eval_b, shuffle=False)},
            mode="max_size",
        )

    def test_dataloader(self) -> CombinedLoader:
        return self.val_dataloader()

    @property
    def predict_paths(self) -> list[Path]:
        """The files ``predict_folder`` holds (sorted; ``[]`` without a ``predict_folder``)."""
        if self.predict_folder is None:
            return []
        if self._predict_paths is None:
            paths = list_image_files(self.predict_folder)
            if not paths:
                state = "does not exist" if not self.predict_folder.is_dir() else "holds no image files"
                raise TLZooError(
                    f"predict folder {self.predict_folder} {state}: expected {'/'.join(IMAGE_EXTENSIONS)} files "
                    "directly inside it. Point --data.predict_folder at a folder of images.")
            self._predict_paths = paths
        return self._predict_paths

    def predict_dataloader(self) -> DataLoader:
        if self.predict_folder is not None:
            assert self.spec_a is not None
            return self._loader(ImageFileDataset(self.predict_paths, self.spec_a), shuffle=False)
        assert self.eval_a is not None
        return self._loader(self.eval_a, shuffle=False)

    def split_sizes(self) -> dict[str, int]:
        """Sizes of the splits (after :meth:`setup`)."""
        names = ("train_pairs", "train_a", "train_b", "eval_a", "eval_b") if self.paired else \
            ("train_a", "train_b", "eval_a", "eval_b")
        return {n: len(getattr(self, n)) for n in names if getattr(self, n) is not None}
