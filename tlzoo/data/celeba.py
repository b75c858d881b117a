"""CelebA faces with binary attributes, in torchvision's ``CelebA`` layout, for attribute editing (StarGAN).

Liu, Luo, Wang & Tang, "Deep Learning Face Attributes in the Wild", ICCV 2015,
https://arxiv.org/abs/1411.7766. Layout (the files of the official Google Drive release, as torchvision's
``CelebA(root)`` reads them from ``<root>/celeba``; ``<root>`` itself holding them works too)::

    <root>/celeba/img_align_celeba/000001.jpg ... 202599.jpg      aligned 178 x 218 crops
    <root>/celeba/list_attr_celeba.txt        line 1: the image count; line 2: the 40 attribute names;
                                               then "000001.jpg -1  1  1 -1 ..." (-1 absent, 1 present)
    <root>/celeba/list_eval_partition.txt     "000001.jpg 0" (0 train, 1 val, 2 test)

(``identity_CelebA.txt``, ``list_bbox_celeba.txt`` and ``list_landmarks_align_celeba.txt``, which torchvision
also wants, are not needed.) The files are read here rather than through ``torchvision.datasets.CelebA``,
whose constructor checks the MD5 sums of every annotation file (so it cannot read a test fixture) and can
only download from Google Drive, whose quota usually refuses it; the parsing is the same (whitespace-separated
columns, attributes mapped ``-1 -> 0``, ``1 -> 1``).

Protocol: the **official partition** (``list_eval_partition.txt``: 162,770 train / 19,867 val / 19,962 test).
StarGAN's own code instead tests on the last 2,000 images; numbers from the two are not comparable. Images as
in StarGAN (Choi et al., CVPR 2018, Sec. 4.4 / its code): random horizontal flip (training), a 178 x 178 centre
crop, a resize to 128 x 128 (bilinear, antialiased), pixels in [-1, 1]. The flip depends on ``(seed, epoch,
index)`` only (:mod:`tlzoo.data.transforms`), so a resumed run sees the images it would have seen.

Attributes: any of the 40 (``attributes``), default StarGAN's five, ``Black_Hair``, ``Blond_Hair``,
``Brown_Hair``, ``Male``, ``Young``. The selected hair colours (``Black_Hair``, ``Blond_Hair``, ``Brown_Hair``,
``Gray_Hair``) form one exclusive group: an edit that sets one clears the others, as StarGAN's test code does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from tlzoo.data.multi_domain import MultiDomainDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, EpochKeySampler
from tlzoo.errors import DataNotFoundError, TLZooError

#: The 40 CelebA attributes, in the column order of ``list_attr_celeba.txt``.
CELEBA_ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
    "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
    "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young",
)
#: StarGAN's CelebA attributes (Choi et al., CVPR 2018, Sec. 4.4).
STARGAN_ATTRIBUTES: tuple[str, ...] = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
HAIR_COLOURS: tuple[str, ...] = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")
SPLITS = {"train": 0, "val": 1, "test": 2}


def select_attributes(attributes: list[str] | None) -> list[str]:
    """``--data.attributes`` checked (distinct CelebA attributes); ``None``: StarGAN's five."""
    attributes = list(attributes or STARGAN_ATTRIBUTES)
    unknown = [a for a in attributes if a not in CELEBA_ATTRIBUTES]
    if unknown or not attributes or len(set(attributes)) != len(attributes):
        raise TLZooError(f"--data.attributes must be distinct CelebA attributes, got unknown {unknown} in "
                         f"{attributes}; choose among {', '.join(CELEBA_ATTRIBUTES)}")
    return attributes


def hair_groups(attributes: list[str]) -> list[list[int]]:
    """The exclusive group of the selected hair colours (module docstring), if two or more are selected."""
    hair = [i for i, a in enumerate(attributes) if a in HAIR_COLOURS]
    return [hair] if len(hair) > 1 else []


def celeba_folder(root: str | Path) -> Path:
    """``<root>/celeba`` when it holds the files (torchvision's layout), else ``<root>``."""
    root = Path(root)
    nested = root / "celeba"
    return nested if (nested / "list_attr_celeba.txt").is_file() or not (root / "list_attr_celeba.txt").is_file() \
        else root


def layout_message(root: Path, problem: str) -> str:
    return (f"CelebA not usable under {root}: {problem}.\n"
            f"  Expected layout: {root}/celeba/img_align_celeba/000001.jpg ..., {root}/celeba/list_attr_celeba.txt "
            f"and {root}/celeba/list_eval_partition.txt (torchvision's CelebA layout; the 'Align&Cropped Images' "
            "and the annotation files of https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html).\n"
            "  Point --data.root at the folder holding celeba/.")


def read_attributes(path: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """``list_attr_celeba.txt`` -> ``(file names, attribute names, (N, 40) int8 in {0, 1})``."""
    lines = Path(path).read_text().splitlines()
    if len(lines) < 2:
        raise TLZooError(f"{path}: expected a count line and a header of attribute names")
    names = lines[1].split()
    files, rows = [], []
    for n, line in enumerate(lines[2:], 3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(names) + 1:
            raise TLZooError(f"{path}:{n}: expected a file name and {len(names)} values of -1/1, got {len(parts) - 1}")
        files.append(parts[0])
        rows.append([int(v) for v in parts[1:]])
    values = np.asarray(rows, dtype=np.int8).reshape(-1, len(names))
    if not np.isin(values, (-1, 1)).all():
        raise TLZooError(f"{path}: attribute values must be -1 or 1")
    return files, names, ((values + 1) // 2).astype(np.int8)


def read_partition(path: str | Path) -> dict[str, int]:
    """``list_eval_partition.txt`` -> ``{file name: 0 train | 1 val | 2 test}``."""
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise TLZooError(f"{path}:{n}: expected '<file name> <0|1|2>', got {line!r}")
        out[parts[0]] = int(parts[1])
    return out


class CelebAImages(EpochKeyedDataset):
    """``(x, attrs)``: image flipped (training, p = 1/2), centre-cropped to ``crop_size``, resized to
    ``image_size``, in [-1, 1]; ``attrs`` float32 {0, 1}."""

    def __init__(self, folder: Path, files: list[str], attrs: np.ndarray, crop_size: int, image_size: int,
                 flip: bool, seed: int = 0) -> None:
        super().__init__(seed=seed, stream=0)
        self.folder, self.files = folder, files
        self.attrs = torch.from_numpy(attrs.astype(np.float32))
        self.crop_size, self.image_size, self.flip = crop_size, image_size, flip

    def __len__(self) -> int:
        return len(self.files)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        from PIL import Image
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2.functional import center_crop, pil_to_tensor, resize

        path = self.folder / self.files[index]
        try:
            with Image.open(path) as im:
                x = pil_to_tensor(im.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as err:
            raise TLZooError(f"cannot read the CelebA image {path}: {err}") from None
        if self.flip and rng.random() < 0.5:
            x = x.flip(-1)
        x = center_crop(x, [self.crop_size, self.crop_size])
        if self.image_size != self.crop_size:
            x = resize(x, [self.image_size, self.image_size], interpolation=InterpolationMode.BILINEAR, antialias=True)
        return (x.float().div_(255.0) - 0.5) / 0.5, self.attrs[index]


def celeba_splits(root: Path, attributes: list[str], crop_size: int, image_size: int, flip: bool,
                  max_train_images: int | None, max_eval_images: int | None,
                  seed: int) -> tuple[Path, dict[str, CelebAImages]]:
    """The official partition of the CelebA files under ``root`` (module docstring) as ``(folder holding the files,
    {"train" | "val" | "test": images with the ``attributes`` columns})``; flips on the training split only."""
    folder = celeba_folder(root)
    attr_file, part_file, images = (folder / "list_attr_celeba.txt", folder / "list_eval_partition.txt",
                                    folder / "img_align_celeba")
    for needed in (attr_file, part_file):
        if not needed.is_file():
            raise DataNotFoundError(layout_message(root, f"{needed} is missing"))
    if not images.is_dir():
        raise DataNotFoundError(layout_message(root, f"the image folder {images} is missing"))
    files, names, values = read_attributes(attr_file)
    missing = [a for a in attributes if a not in names]
    if missing:
        raise TLZooError(f"{attr_file} has no column for {missing}")
    values = values[:, [names.index(a) for a in attributes]]
    partition = read_partition(part_file)
    absent = [f for f in files if f not in partition]
    if absent:
        raise TLZooError(f"{part_file} gives no split for {len(absent)} images of {attr_file}, e.g. {absent[0]}")
    split_of = np.asarray([partition[f] for f in files])
    sets = {}
    for split, code in SPLITS.items():
        idx = np.flatnonzero(split_of == code)
        limit = max_train_images if split == "train" else max_eval_images
        idx = idx[:limit] if limit is not None else idx
        if len(idx) == 0:
            raise DataNotFoundError(layout_message(root, f"the {split} split ({code} in {part_file.name}) is empty"))
        first = images / files[idx[0]]
        if not first.is_file():
            raise DataNotFoundError(layout_message(root, f"the image {first} is missing"))
        sets[split] = CelebAImages(images, [files[i] for i in idx], values[idx], crop_size, image_size,
                                   flip=flip and split == "train", seed=seed)
    return folder, sets


class CelebA(MultiDomainDataModule):
    """CelebA with selected binary attributes, official partition (module docstring).

    Args:
        root: folder holding ``celeba/`` (``--data.root``; or the CelebA files themselves).
        attributes: the attributes ``c`` (names from :data:`CELEBA_ATTRIBUTES`).
        crop_size: side of the centre crop of the 178 x 218 images (StarGAN: 178).
        image_size: side after resizing the crop (StarGAN: 128).
        flip: random horizontal flip of training images.
        max_train_images: use only the first this many training images (``None``: all).
        max_eval_images: use only the first this many validation / test images (``None``: all).
        predict_folder: ``tlzoo predict`` edits the images of this folder (already aligned faces) instead of
            the test split.
        batch_size: images per step (StarGAN: 16).
        num_workers: DataLoader workers.
        seed: shuffling and flip seed (default: the run seed, ``seed_everything``).
    """

    label_kind = "attributes"

    def __init__(
        self,
        root: str = "data/celeba",
        attributes: list[str] | None = None,
        crop_size: int = 178,
        image_size: int = 128,
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
        if crop_size < 1 or image_size < 1:
            raise TLZooError(f"--data.crop_size and --data.image_size must be >= 1, got {crop_size}, {image_size}")
        self.root = Path(root)
        self.domain_names = attributes
        self.exclusive_groups = hair_groups(attributes)
        self.crop_size, self.image_size, self.flip = crop_size, image_size, flip
        self.max_train_images, self.max_eval_images = max_train_images, max_eval_images
        self.set_spec(ImageSpec.symmetric(3, image_size), len(attributes), attributes)
        self.protocol = f"CelebA {self.root}, official partition, attributes {attributes}"

    def build(self) -> None:
        folder, sets = celeba_splits(self.root, self.domain_names, self.crop_size, self.image_size, self.flip,
                                     self.max_train_images, self.max_eval_images, self.seed)
        self.train_set, self.val_set, self.test_set = sets["train"], sets["val"], sets["test"]
        counts = ", ".join(f"{s} {len(d)}" for s, d in sets.items())
        self.protocol = (f"CelebA {folder} official partition ({counts}); attributes {self.domain_names}; "
                         f"crop {self.crop_size} -> {self.image_size}, flip={self.flip}")

    def train_dataloader(self) -> DataLoader:
        """Shuffled ``(epoch, index)`` keys, so the flips differ between epochs and survive a resume."""
        assert self.train_set is not None, "setup() builds the splits before loaders are asked for"
        sampler = EpochKeySampler(self.train_set, self.seed)
        return DataLoader(self.train_set, batch_size=self.batch_size, sampler=sampler,
                          drop_last=len(self.train_set) >= self.batch_size, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, pin_memory=torch.cuda.is_available())
