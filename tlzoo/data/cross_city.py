"""Cross-city segmentation adaptation: Cityscapes (labelled source) -> one NTHU city (unlabelled target).

Chen, Chen, Chen, Tsai, Wang & Sun, "No More Discrimination: Cross City Adaptation of Road Scene Segmenters",
ICCV 2017, https://arxiv.org/abs/1704.08509; data set page https://yihsinchen.github.io/segmentation_adaptation/
(the "NTHU cross-city" data set: Google Street View images of Rome, Rio, Tokyo and Taipei). Layout, per city::

    <root>/<City>/Images/Train/*.{jpg,png}     3,200 unlabelled images (1,600 time-machine pairs)
    <root>/<City>/Images/Test/*.{jpg,png}      100 images with labels
    <root>/<City>/Labels/Test/<stem>_eval.png  (or <stem>.png) their label maps

Label maps hold Cityscapes *label ids* (road 7, sidewalk 8, building 11, traffic light 19, traffic sign 20,
vegetation 21, sky 23, person 24, rider 25, car 26, bus 28, motorcycle 32, bicycle 33; anything else ignored), the
convention of the released files and of the loaders that read them; ``label_format="train13"`` reads maps that
already hold the 13 indices 0..12 (255 ignored). The 13 classes shared with Cityscapes, in this order:
:data:`CLASS_NAMES`. Cityscapes' 19 train ids are remapped to them (:data:`TRAIN_ID_TO_13`; wall, fence, pole,
terrain, truck and train become 255).

:class:`SegmentationAdaptationDataModule` is the dense version of the DA contract (:mod:`tlzoo.data.base`):
training batches ``{"source": (x_s, mask_s), "target": x_t}``, validation / test loaders ``[source_val,
target_test]`` of ``(x, mask)``; ``num_classes``, ``ignore_index``, ``class_names``, ``spec``, ``input_shape``.
:class:`CityscapesToCrossCity` fills it: source = Cityscapes fine ``train`` (source validation: Cityscapes
``val``), target adaptation = the city's ``Images/Train``, target test = ``Images/Test`` + ``Labels/Test``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import Dataset

from tlzoo.data.base import DomainAdaptationDataModule, Unlabeled
from tlzoo.data.cityscapes import (
    IGNORE_INDEX,
    IMAGENET_MEAN,
    IMAGENET_STD,
    LABEL_ID_TO_TRAIN_ID,
    CityscapesSegmentationDataset,
    _read,
    _resize,
    open_cityscapes,
)
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeySampler
from tlzoo.errors import DataNotFoundError, TLZooError

City = Literal["Rome", "Rio", "Tokyo", "Taipei"]
CITIES: tuple[str, ...] = ("Rome", "Rio", "Tokyo", "Taipei")
CLASS_NAMES: tuple[str, ...] = ("road", "sidewalk", "building", "traffic light", "traffic sign", "vegetation", "sky",
                                "person", "rider", "car", "bus", "motorcycle", "bicycle")
#: Cityscapes train ids (0..18) of the 13 classes, in :data:`CLASS_NAMES` order.
CITYSCAPES_TRAIN_IDS: tuple[int, ...] = (0, 1, 2, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18)
IMAGE_EXTS = (".jpg", ".jpeg", ".png")


def _lut(pairs: dict[int, int]) -> np.ndarray:
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for src, dst in pairs.items():
        lut[src] = dst
    return lut


#: ``TRAIN_ID_TO_13[cityscapes_train_id]`` -> index among the 13 classes, or 255.
TRAIN_ID_TO_13 = _lut({t: i for i, t in enumerate(CITYSCAPES_TRAIN_IDS)})
#: ``LABEL_ID_TO_13[cityscapes_label_id]`` -> index among the 13 classes, or 255 (the NTHU label maps).
LABEL_ID_TO_13 = TRAIN_ID_TO_13[LABEL_ID_TO_TRAIN_ID]


class SegmentationAdaptationDataModule(DomainAdaptationDataModule):
    """The DA contract with label maps (module docstring). Subclasses set ``num_classes``, ``class_names``,
    ``spec`` / ``input_shape`` in ``__init__`` and fill the four splits in :meth:`build`."""

    ignore_index: int = IGNORE_INDEX
    class_names: tuple[str, ...] = ()
    spec: ImageSpec


class RemappedMasks(Dataset):
    """``(x, lut[mask])``: a segmentation dataset with its labels mapped through a lookup table (255 kept)."""

    def __init__(self, dataset: Dataset, lut: np.ndarray) -> None:
        self.dataset = dataset
        self.lut = torch.from_numpy(lut.astype(np.int64))

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        x, mask = self.dataset[index]  # an (epoch, index) key reaches an epoch-keyed dataset unchanged
        return x, self.lut[mask.clamp(0, 255)]


class CityImages(Dataset):
    """``(x, mask)`` of one city's images (``mask`` = label map through ``lut``, or all-ignore without labels).

    Args:
        images: image files.
        labels: label files (same order) or ``None``.
        size: ``(H, W)`` (photos bilinear, labels nearest).
        spec: photo normalisation.
        lut: label value -> class index table.
    """

    def __init__(self, images: list[Path], labels: list[Path] | None, size: tuple[int, int], spec: ImageSpec,
                 lut: np.ndarray) -> None:
        self.images, self.labels, self.size, self.spec = images, labels, size, spec
        self.lut = torch.from_numpy(lut.astype(np.int64))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = _resize(_read(str(self.images[index]), "RGB"), self.size)
        if self.labels is None:
            mask = torch.full(self.size, IGNORE_INDEX, dtype=torch.long)
        else:
            from PIL import Image

            with Image.open(self.labels[index]) as im:
                raw = torch.from_numpy(np.asarray(im.convert("L") if im.mode not in ("L", "P", "I") else im)
                                       .astype(np.int64).clip(0, 255))
            mask = _resize(raw.to(torch.uint8)[None], self.size, nearest=True)[0].long()
            mask = self.lut[mask]
        return self.spec.normalize(x.float().div_(255.0)), mask


def list_city(root: Path, city: str, split: Literal["Train", "Test"], labelled: bool
              ) -> tuple[list[Path], list[Path] | None]:
    """The image files of ``<root>/<city>/Images/<split>`` (sorted) and, if ``labelled``, their label files."""
    folder = root / city / "Images" / split
    layout = (f"expected {root}/<City>/Images/{{Train,Test}}/*.jpg and {root}/<City>/Labels/Test/<name>_eval.png "
              f"(the NTHU cross-city release, https://yihsinchen.github.io/segmentation_adaptation/); point "
              "--data.root at the folder holding Rome/ Rio/ Tokyo/ Taipei/")
    images = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_EXTS) if folder.is_dir() else []
    if not images:
        raise DataNotFoundError(f"no images in {folder}: {layout}")
    if not labelled:
        return images, None
    labels = []
    for image in images:
        candidates = [root / city / "Labels" / split / f"{image.stem}{suffix}" for suffix in ("_eval.png", ".png")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataNotFoundError(f"no label map for {image} (looked for {candidates[0].name} and "
                                    f"{candidates[1].name} in {candidates[0].parent}): {layout}")
        labels.append(found)
    return images, labels


class CityscapesToCrossCity(SegmentationAdaptationDataModule):
    """Cityscapes (13 shared classes) -> one NTHU city (module docstring).

    Args:
        root: NTHU cross-city folder (holding ``Rome/``, ``Rio/``, ``Tokyo/``, ``Taipei/``).
        city: the target city.
        cityscapes_root: folder holding Cityscapes' ``leftImg8bit/`` and ``gtFine/``.
        label_format: ``label_ids`` (Cityscapes label ids, the release) or ``train13`` (indices 0..12).
        image_size: ``(H, W)`` of every image and label map.
        flip: random horizontal flip of Cityscapes training pairs.
        batch_size: images per domain per step.
        num_workers: DataLoader workers.
        seed: shuffling and flip seed (default: the run seed, ``seed_everything``).
    """

    num_classes = len(CLASS_NAMES)
    class_names = CLASS_NAMES

    def __init__(self, root: str = "data/nthu_cross_city", city: City = "Rome",
                 cityscapes_root: str = "data/cityscapes", label_format: Literal["label_ids", "train13"] = "label_ids",
                 image_size: tuple[int, int] = (256, 512), flip: bool = True, batch_size: int = 8,
                 num_workers: int = 4, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if city not in CITIES:
            raise TLZooError(f"--data.city must be one of {list(CITIES)}, got {city!r}")
        if label_format not in ("label_ids", "train13"):
            raise TLZooError(f"--data.label_format must be label_ids or train13, got {label_format!r}")
        if len(image_size) != 2 or min(image_size) < 1:
            raise TLZooError(f"--data.image_size must be [H, W] with positive sides, got {list(image_size)}")
        self.root, self.city = Path(root), city
        self.cityscapes_root = Path(cityscapes_root)
        self.label_format = label_format
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.flip = flip
        self.spec = ImageSpec(3, self.image_size, IMAGENET_MEAN, IMAGENET_STD)
        self.spec_a = self.spec_b = self.spec
        self.input_shape = self.spec.shape
        self.protocol = f"Cityscapes train (13 classes) -> NTHU {city}: Images/Train (unlabelled) / Images/Test"

    def build(self) -> None:
        size = self.image_size
        train = open_cityscapes(self.cityscapes_root, "train", ["semantic"])
        val = open_cityscapes(self.cityscapes_root, "val", ["semantic"])
        self.source_train = RemappedMasks(CityscapesSegmentationDataset(train, size, self.spec, train=True,
                                                                        flip=self.flip, seed=self.seed), TRAIN_ID_TO_13)
        self.source_val = RemappedMasks(CityscapesSegmentationDataset(val, size, self.spec, train=False),
                                        TRAIN_ID_TO_13)
        lut = LABEL_ID_TO_13 if self.label_format == "label_ids" else _lut({i: i for i in range(self.num_classes)})
        adapt, _ = list_city(self.root, self.city, "Train", labelled=False)
        test, labels = list_city(self.root, self.city, "Test", labelled=True)
        self.target_train = CityImages(adapt, None, size, self.spec, lut)
        self.target_test = CityImages(test, labels, size, self.spec, lut)
        self.protocol = (f"Cityscapes fine train {len(train.images)} / val {len(val.images)} (13 shared classes, "
                         f"ignore 255) -> NTHU {self.city}: {len(adapt)} unlabelled Images/Train / {len(test)} "
                         f"labelled Images/Test; {size[0]}x{size[1]}")

    def train_dataloader(self) -> CombinedLoader:
        """As the DA contract's, with Cityscapes' flips keyed by ``(seed, epoch, index)``."""
        assert self.source_train is not None and self.target_train is not None
        source = self._loader(self.source_train, shuffle=True, drop_last=True,
                              sampler=EpochKeySampler(self.source_train, self.seed))  # type: ignore[arg-type]
        return CombinedLoader({"source": source,
                               "target": self._loader(Unlabeled(self.target_train), shuffle=True, drop_last=True)},
                              mode="max_size_cycle")
