"""CelebA + RaFD at once, for StarGAN's mask vector (Choi et al., CVPR 2018, https://arxiv.org/abs/1711.09020,
Sec. 3.2 and 4.2): one generator learns CelebA's attributes and RaFD's facial expressions, and can put an RaFD
expression on a CelebA face (the paper's Fig. 1 / 5).

* data set 0, ``celeba``: CelebA (Liu et al., ICCV 2015) read by :mod:`tlzoo.data.celeba` (torchvision's layout
  under ``--data.root``, official partition, 178 x 178 centre crop resized to ``image_size``), labelled with
  binary ``attributes`` (default the paper's ``Black_Hair, Blond_Hair, Brown_Hair, Male, Young``);
* data set 1, ``rafd``: the Radboud Faces Database (Langner et al., Cognition & Emotion 2010,
  https://rafd.socsci.ru.nl/) from a folder of its release files (sub-folders allowed), labelled with one of its
  8 expressions (one-hot)::

      <rafd_root>/Rafd090_01_Caucasian_female_angry_frontal.jpg ...
      Rafd{camera angle 000|045|090|135|180}_{subject}_{Caucasian|Moroccan|Kid}_{female|male}_{expression}_
          {left|frontal|right}.jpg

  The expressions, in label order: ``angry, contemptuous, disgusted, fearful, happy, neutral, sad, surprised``.
  The paper's RaFD has 4,824 images: 67 subjects x 8 expressions x 3 gaze directions x 3 camera angles, so
  ``rafd_angles`` defaults to the three middle cameras ``45, 90, 135`` (the profiles 0 and 180 dropped).

Preprocessing as the paper / the authors' code: random horizontal flip (training); CelebA a 178 crop resized to
128; RaFD "cropped to 256 x 256, where the faces are centred, then resized to 128" (the authors' guide crops the
files offline; their loader then centre-crops 256 and resizes). Here ``rafd_crop`` is the square taken from each
RaFD file before the resize: ``None`` the largest centred square (the whole image for 256 x 256 face crops, as the
authors' loader), an int ``s`` a centred ``s x s`` square, or ``[left, top, size]`` that square of the file.

Split of RaFD: the paper releases none (the authors' guide: "e.g., 90%/10% for training and test"). Here the
*subjects* are split with ``split_seed``: ``rafd_test_fraction`` of them (at least one) test, ``rafd_val_fraction``
(at least one) validate, the rest train, so no face of a held-out person is trained on. CelebA keeps its official
partition.

Batches (as :class:`~tlzoo.data.digit_label_sets.DigitLabelSets`): ``(x, y, labels, s)``, ``x`` ``(N, 3, S, S)``
in [-1, 1], ``y`` -1 (no content class), ``labels`` ``(N, 13)`` float32: the CelebA attributes in columns 0-4
for CelebA images, the one-hot expression in columns 5-12 for RaFD images, zero elsewhere, ``s`` the data set
(0 CelebA, 1 RaFD). ``label_sets = [5, 8]``, ``label_set_kinds = [attributes, domains]``; label names: the
attributes, then the expressions (``predict_targets`` such as ``[happy, Blond_Hair]``).

Balance: the authors' code alternates whole CelebA and RaFD batches (each data set half the steps). Here each
training image is drawn from RaFD with probability ``rafd_share`` (default 1/2; RaFD images repeat within an
epoch), from CelebA otherwise, so both are seen as often as in the authors' loop; ``None``: in proportion to their
sizes (CelebA ~98 %). An epoch has as many images as the two training splits together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from tlzoo.data.celeba import celeba_splits, hair_groups, select_attributes
from tlzoo.data.multi_domain import MultiDomainDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, EpochKeySampler
from tlzoo.errors import DataNotFoundError, TLZooError

#: RaFD's eight expressions, in label order (alphabetical, as the folders of the authors' code).
RAFD_EXPRESSIONS: tuple[str, ...] = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad",
                                     "surprised")
RAFD_ANGLES: tuple[int, ...] = (0, 45, 90, 135, 180)
RAFD_NAME = re.compile(r"^Rafd(\d{3})_(\d+)_([A-Za-z]+)_(female|male)_([a-z]+)_(left|frontal|right)\.jpg$")
SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class RaFDFile:
    """One RaFD image and the facts its name gives."""

    path: Path
    angle: int
    subject: int
    ethnicity: str
    gender: str
    expression: str
    gaze: str


def rafd_message(root: Path, problem: str) -> str:
    return (f"RaFD not usable under {root}: {problem}.\n"
            f"  Expected the release's files, e.g. {root}/Rafd090_01_Caucasian_female_angry_frontal.jpg "
            "(Rafd<angle>_<subject>_<ethnicity>_<gender>_<expression>_<gaze>.jpg; sub-folders allowed), from "
            "https://rafd.socsci.ru.nl/ (on request, for research).\n  Point --data.rafd_root at that folder.")


def read_rafd_folder(root: str | Path, angles: list[int]) -> list[RaFDFile]:
    """The RaFD files under ``root`` (recursively) taken by the cameras ``angles``, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(rafd_message(root, "the folder does not exist"))
    out = []
    for path in sorted(root.rglob("Rafd*.jpg"), key=lambda p: p.name):
        m = RAFD_NAME.match(path.name)
        if m is None:
            continue
        if m.group(5) not in RAFD_EXPRESSIONS:
            raise TLZooError(f"{path}: unknown RaFD expression {m.group(5)!r}; expected one of {RAFD_EXPRESSIONS}")
        if int(m.group(1)) in angles:
            out.append(RaFDFile(path, int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5),
                                m.group(6)))
    if not out:
        raise DataNotFoundError(rafd_message(root, f"no RaFD file of camera angles {angles}"))
    return out


def subject_split(subjects: list[int], test_fraction: float, val_fraction: float, seed: int) -> dict[int, str]:
    """Subject -> ``train`` / ``val`` / ``test``: a seeded permutation, the first ``test_fraction`` (at least one)
    test, the next ``val_fraction`` (at least one) validation, the rest training."""
    unique = sorted(set(subjects))
    n_test = max(1, round(test_fraction * len(unique)))
    n_val = max(1, round(val_fraction * len(unique)))
    if n_test + n_val >= len(unique):
        raise TLZooError(f"RaFD has {len(unique)} subjects: too few for a test ({n_test}), a validation ({n_val}) and "
                         "a training split of subjects")
    order = np.random.default_rng(seed).permutation(unique).tolist()
    return {s: "test" if k < n_test else "val" if k < n_test + n_val else "train" for k, s in enumerate(order)}


def square_crop(x: torch.Tensor, crop: int | list[int] | None) -> torch.Tensor:
    """``crop`` of a ``(C, H, W)`` image (module docstring: ``None``, ``s`` or ``[left, top, size]``)."""
    from torchvision.transforms.v2.functional import center_crop

    h, w = x.shape[-2:]
    if crop is None:
        return center_crop(x, [min(h, w), min(h, w)])
    if isinstance(crop, int):
        return center_crop(x, [crop, crop])
    left, top, size = (int(v) for v in crop)
    if left < 0 or top < 0 or left + size > w or top + size > h:
        raise TLZooError(f"--data.rafd_crop {list(crop)} leaves the {w} x {h} image")
    return x[..., top:top + size, left:left + size]


class RaFDImages(EpochKeyedDataset):
    """``(x, expression)``: an RaFD file flipped (training, p = 1/2), cropped (``crop``), resized to
    ``image_size`` (bilinear, antialiased), in [-1, 1]; ``expression`` the int64 index in
    :data:`RAFD_EXPRESSIONS`."""

    def __init__(self, files: list[RaFDFile], crop: int | list[int] | None, image_size: int, flip: bool,
                 seed: int = 0) -> None:
        super().__init__(seed=seed, stream=1)
        self.files, self.crop, self.image_size, self.flip = files, crop, image_size, flip
        self.labels = torch.tensor([RAFD_EXPRESSIONS.index(f.expression) for f in files], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.files)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        from PIL import Image
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2.functional import pil_to_tensor, resize

        path = self.files[index].path
        try:
            with Image.open(path) as im:
                x = pil_to_tensor(im.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as err:
            raise TLZooError(f"cannot read the RaFD image {path}: {err}") from None
        if self.flip and rng.random() < 0.5:
            x = x.flip(-1)
        x = square_crop(x, self.crop)
        if x.shape[-1] != self.image_size:
            x = resize(x, [self.image_size, self.image_size], interpolation=InterpolationMode.BILINEAR, antialias=True)
        return (x.float().div_(255.0) - 0.5) / 0.5, self.labels[index]


class JointLabelSets(Dataset):
    """Several labelled datasets of ``(x, label)`` as one of ``(x, -1, labels, s)`` (module docstring).

    ``blocks[j] = (start, width, kind)``: data set ``j``'s columns in ``labels`` (``attributes``: its float
    vector; ``domains``: one-hot of its int label). Keys ``(epoch, index)`` or ``index`` reach the part unchanged
    (its own random flips)."""

    def __init__(self, parts: list[Dataset], blocks: list[tuple[int, int, str]]) -> None:
        self.parts, self.blocks = parts, blocks
        self.sizes = [len(p) for p in parts]  # type: ignore[arg-type]
        self.offsets = np.cumsum([0, *self.sizes])
        self.n_labels = sum(w for _, w, _ in blocks)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, ...]:
        epoch, index = key if isinstance(key, tuple) else (0, int(key))
        j = int(np.searchsorted(self.offsets, index, side="right")) - 1
        x, label = self.parts[j][(epoch, index - int(self.offsets[j]))]
        start, width, kind = self.blocks[j]
        labels = torch.zeros(self.n_labels)
        if kind == "domains":
            labels[start + int(label)] = 1.0
        else:
            labels[start:start + width] = torch.as_tensor(label, dtype=torch.float32)
        return x, torch.tensor(-1), labels, torch.tensor(j)


class SharedKeySampler(Sampler):
    """``(epoch, index)`` keys over a :class:`JointLabelSets` whose positions come from data set ``j`` with
    probability ``shares[j]``; each data set's images in successive seeded permutations (repeated as needed).
    The order depends on ``(seed, epoch)`` only; Lightning calls :meth:`set_epoch`."""

    def __init__(self, sizes: list[int], shares: list[float], seed: int = 0) -> None:
        self.sizes, self.seed, self.epoch = sizes, seed, 0
        self.shares = torch.tensor(shares, dtype=torch.float64)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return sum(self.sizes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        which = torch.multinomial(self.shares, len(self), replacement=True, generator=g)
        keys = torch.empty(len(self), dtype=torch.long)
        offset = 0
        for j, size in enumerate(self.sizes):
            rows = torch.nonzero(which == j).flatten()
            laps = -(-len(rows) // size)
            order = torch.cat([torch.randperm(size, generator=g) for _ in range(laps)] or [torch.zeros(0).long()])
            keys[rows] = offset + order[:len(rows)]
            offset += size
        epoch = self.epoch
        return ((epoch, int(k)) for k in keys.tolist())


class CelebARaFD(MultiDomainDataModule):
    """CelebA (5 attributes) + RaFD (8 expressions) for StarGAN's joint training (module docstring).

    Args:
        root: folder holding ``celeba/`` (as :class:`~tlzoo.data.celeba.CelebA`'s ``--data.root``).
        rafd_root: folder holding the RaFD files.
        attributes: CelebA's attributes (default the paper's five).
        celeba_crop_size: side of CelebA's centre crop (paper: 178).
        rafd_crop: the square taken from each RaFD file (module docstring; ``None``: the largest centred one).
        image_size: side of every image after the resize (paper: 128).
        rafd_angles: the RaFD camera angles used (default 45, 90, 135: the paper's 4,824 images).
        rafd_test_fraction: share of the RaFD subjects held out for testing.
        rafd_val_fraction: share of the RaFD subjects held out for validation.
        split_seed: seed of the RaFD subject split.
        rafd_share: probability that a training image is an RaFD one (``None``: in proportion to the sizes).
        flip: random horizontal flip of training images.
        max_train_images: use only the first this many CelebA training images (``None``: all).
        max_eval_images: use only the first this many CelebA validation / test images (``None``: all).
        predict_folder: ``tlzoo predict`` edits the images of this folder instead of the test split.
        batch_size: images per step (paper: 16).
        num_workers: DataLoader workers.
        seed: shuffling and flip seed (default: the run seed).
    """

    label_kind = "attributes"  # float label vectors; per data set: label_set_kinds

    def __init__(
        self,
        root: str = "data/celeba",
        rafd_root: str = "data/rafd",
        attributes: list[str] | None = None,
        celeba_crop_size: int = 178,
        rafd_crop: int | list[int] | None = None,
        image_size: int = 128,
        rafd_angles: list[int] | None = None,
        rafd_test_fraction: float = 0.1,
        rafd_val_fraction: float = 0.1,
        split_seed: int = 0,
        rafd_share: float | None = 0.5,
        flip: bool = True,
        max_train_images: int | None = None,
        max_eval_images: int | None = None,
        predict_folder: str | None = None,
        batch_size: int = 16,
        num_workers: int = 4,
        seed: int | None = None,
    ) -> None:
        super().__init__(predict_folder=predict_folder, batch_size=batch_size, num_workers=num_workers, seed=seed)
        attributes = select_attributes(attributes)
        angles = list(rafd_angles) if rafd_angles else [45, 90, 135]
        if not set(angles) <= set(RAFD_ANGLES):
            raise TLZooError(f"--data.rafd_angles must be among {list(RAFD_ANGLES)}, got {angles}")
        if celeba_crop_size < 1 or image_size < 1:
            raise TLZooError(f"--data.celeba_crop_size and --data.image_size must be >= 1, got {celeba_crop_size}, "
                             f"{image_size}")
        if isinstance(rafd_crop, list) and len(rafd_crop) != 3:
            raise TLZooError(f"--data.rafd_crop must be null, a side or [left, top, size], got {rafd_crop}")
        if rafd_share is not None and not 0.0 < rafd_share < 1.0:
            raise TLZooError(f"--data.rafd_share must be in (0, 1) or null, got {rafd_share}")
        if not (0.0 <= rafd_test_fraction < 1.0 and 0.0 <= rafd_val_fraction < 1.0):
            raise TLZooError(f"--data.rafd_test_fraction / rafd_val_fraction must be in [0, 1), got "
                             f"{rafd_test_fraction}, {rafd_val_fraction}")
        self.root, self.rafd_root = Path(root), Path(rafd_root)
        self.attributes, self.rafd_angles = attributes, angles
        self.celeba_crop_size, self.rafd_crop = celeba_crop_size, rafd_crop
        self.image_size, self.flip = image_size, flip
        self.rafd_test_fraction, self.rafd_val_fraction = rafd_test_fraction, rafd_val_fraction
        self.split_seed, self.rafd_share = split_seed, rafd_share
        self.max_train_images, self.max_eval_images = max_train_images, max_eval_images
        self.domain_names = [*attributes, *RAFD_EXPRESSIONS]
        self.exclusive_groups = hair_groups(attributes)
        self.label_sets = [len(attributes), len(RAFD_EXPRESSIONS)]
        self.label_set_kinds = ["attributes", "domains"]
        self.label_set_names = ["celeba", "rafd"]
        self.set_spec(ImageSpec.symmetric(3, image_size), len(self.domain_names), self.domain_names)
        self.protocol = f"CelebA {self.root} (official partition) + RaFD {self.rafd_root} (subject split)"

    def rafd_splits(self) -> dict[str, RaFDImages]:
        """RaFD's train / val / test images (subject split, module docstring)."""
        files = read_rafd_folder(self.rafd_root, self.rafd_angles)
        split_of = subject_split([f.subject for f in files], self.rafd_test_fraction, self.rafd_val_fraction,
                                 self.split_seed)
        return {s: RaFDImages([f for f in files if split_of[f.subject] == s], self.rafd_crop, self.image_size,
                              flip=self.flip and s == "train", seed=self.seed) for s in SPLIT_NAMES}

    def build(self) -> None:
        folder, celeba = celeba_splits(self.root, self.attributes, self.celeba_crop_size, self.image_size, self.flip,
                                       self.max_train_images, self.max_eval_images, self.seed)
        rafd = self.rafd_splits()
        blocks = [(0, self.label_sets[0], "attributes"), (self.label_sets[0], self.label_sets[1], "domains")]
        sets = {s: JointLabelSets([celeba[s], rafd[s]], blocks) for s in SPLIT_NAMES}
        self.train_set, self.val_set, self.test_set = sets["train"], sets["val"], sets["test"]
        sizes = {s: d.sizes for s, d in sets.items()}
        self.protocol = (f"CelebA {folder} official partition + RaFD {self.rafd_root} angles {self.rafd_angles}, "
                         f"subject split seed {self.split_seed}; [celeba, rafd] images per split {sizes}; attributes "
                         f"{self.attributes}; crops {self.celeba_crop_size} / {self.rafd_crop} -> {self.image_size}, "
                         f"flip={self.flip}, rafd_share={self.rafd_share}")

    def train_dataloader(self) -> DataLoader:
        """``(epoch, index)`` keys (flips differ between epochs, survive a resume); RaFD at ``rafd_share``."""
        data = self.train_set
        assert isinstance(data, JointLabelSets), "setup() builds the splits before loaders are asked for"
        sampler: Any = (EpochKeySampler(data, self.seed) if self.rafd_share is None
                        else SharedKeySampler(data.sizes, [1 - self.rafd_share, self.rafd_share], self.seed))
        return DataLoader(data, batch_size=self.batch_size, sampler=sampler,
                          drop_last=len(data) >= self.batch_size, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, pin_memory=torch.cuda.is_available())
