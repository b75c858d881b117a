"""Unpaired image translation in CycleGAN's on-disk layout.

Layout (the public CycleGAN archives, Zhu et al., "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017, https://arxiv.org/abs/1703.10593)::

    <folder>/trainA/*.jpg   <folder>/trainB/*.jpg   # two unrelated collections
    <folder>/testA/*.jpg    <folder>/testB/*.jpg

``<folder>`` is ``root``, or ``root/<dataset>`` when ``dataset`` names a public archive (where
``--data.download true`` extracts it). Only regular image files directly inside each folder are used
(png/jpg/jpeg/bmp/webp, sorted by name); hidden files such as macOS ``._x.jpg`` are skipped.

Protocol: train on ``trainA`` and ``trainB``, each shuffled independently, the shorter one cycled,
with CycleGAN's jitter drawn independently per domain (resize to ``load_size x load_size``, bicubic;
random ``crop_size`` crop; random horizontal flip); evaluate, unshuffled, on ``testA`` and ``testB``
resized to ``crop_size`` (their lengths may differ: the shorter side is ``None`` at the end). Images are
RGB in [-1, 1] (mean = std = 0.5) and carry no class labels (evaluation ``y`` is -1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

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
from tlzoo.errors import DataNotFoundError

CycleGANDataset = Literal["horse2zebra", "apple2orange", "summer2winter_yosemite", "monet2photo", "cezanne2photo",
                          "ukiyoe2photo", "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower"]
CYCLEGAN_DATASETS = ("horse2zebra", "apple2orange", "summer2winter_yosemite", "monet2photo", "cezanne2photo",
                     "ukiyoe2photo", "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower")
CYCLEGAN_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"


class JitteredImages(EpochKeyedDataset):
    """Image files as tensors with random jitter from ``(seed, stream, epoch, index)`` (a training domain)."""

    def __init__(self, paths: Sequence[Path], transform: JointRandomCropFlip, spec: ImageSpec, seed: int = 0,
                 stream: int = 0) -> None:
        super().__init__(seed=seed, stream=stream)
        self.paths = list(paths)
        self.transform = transform
        self.spec = spec

    def __len__(self) -> int:
        return len(self.paths)

    def get(self, index: int, rng: np.random.Generator) -> torch.Tensor:
        (x,) = self.transform(open_image(self.paths[index], self.spec.channels), rng=rng)
        return self.spec.normalize(x)


class ResizedImages(Dataset):
    """``(x, -1)`` for image files resized to ``transform.crop_size`` (an unlabelled evaluation domain)."""

    def __init__(self, paths: Sequence[Path], transform: JointRandomCropFlip, spec: ImageSpec) -> None:
        self.paths = list(paths)
        self.transform = transform
        self.spec = spec

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        (x,) = self.transform(open_image(self.paths[index], self.spec.channels))
        return self.spec.normalize(x), -1


class UnpairedFolders(TranslationDataModule):
    """CycleGAN's unpaired layout ``<root>/{trainA,trainB,testA,testB}/`` (see the module docstring).

    Args:
        root: folder holding ``trainA/`` ... ``testB/``, or the download folder of ``dataset``.
        dataset: a public CycleGAN dataset (horse2zebra, apple2orange, summer2winter_yosemite, monet2photo,
            cezanne2photo, ukiyoe2photo, vangogh2photo, maps, cityscapes, facades, iphone2dslr_flower);
            its files are then read from ``root/<dataset>``.
        download: fetch and extract ``dataset``'s zip into ``root`` when it is absent.
        direction: ``AtoB`` or ``BtoA`` (swaps the two collections).
        load_size: side images are resized to before the random crop (CycleGAN: 286).
        crop_size: side of the training crop and of the evaluation images (CycleGAN: 256).
        flip: random horizontal flip.
        predict_folder: predict on the images of this folder instead of ``testA``.
        batch_size: images per domain per step (CycleGAN: 1).
        num_workers: DataLoader workers.
        seed: shuffling and jitter seed (default: the run seed, ``seed_everything``).
    """

    paired = False

    def __init__(
        self,
        root: str = "data/cyclegan",
        dataset: CycleGANDataset | None = None,
        download: bool = False,
        direction: Direction = "AtoB",
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        predict_folder: str | None = None,
        batch_size: int = 1,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(direction=direction, predict_folder=predict_folder, batch_size=batch_size,
                         num_workers=num_workers, seed=seed)
        self.root = Path(root)
        self.dataset = dataset
        self.archive = PublicArchive(root, dataset, download, CYCLEGAN_URL, "trainA", "CycleGAN", CYCLEGAN_DATASETS)
        self.transform = JointRandomCropFlip(load_size, crop_size, flip)
        self.num_classes = None
        spec = ImageSpec.symmetric(3, crop_size)
        self.set_specs(spec, spec)
        self.protocol = (f"CycleGAN {dataset or self.root}: trainA/trainB (unpaired) -> testA/testB, direction "
                         f"{direction}; jitter {self.transform}")

    @property
    def folder(self) -> Path:
        """Where the splits are: ``root/<dataset>`` (if it exists or is to be downloaded), else ``root``."""
        return self.archive.folder

    def prepare_data(self) -> None:
        self.archive.fetch_if_missing()

    def _files(self, split: str) -> list[Path]:
        files = list_image_files(self.folder / split)
        if not files:
            names = "|".join(CYCLEGAN_DATASETS)
            raise DataNotFoundError(
                f"CycleGAN images not found under {self.folder / split}.\n"
                f"  Expected layout: {self.folder}/{{trainA,trainB,testA,testB}}/*.jpg "
                f"({'/'.join(IMAGE_EXTENSIONS)}).\n"
                f"  Point --data.root at the folder holding trainA/ ... testB/, or add --data.dataset {{{names}}} "
                "--data.download true to fetch a public CycleGAN dataset.")
        return files

    def build(self) -> None:
        files = {split: self._files(split) for split in ("trainA", "trainB", "testA", "testB")}
        spec = ImageSpec.symmetric(3, self.transform.crop_size)
        self.train_a = JitteredImages(files["trainA"], self.transform, spec, seed=self.seed, stream=0)
        self.train_b = JitteredImages(files["trainB"], self.transform, spec, seed=self.seed, stream=1)
        self.eval_a = ResizedImages(files["testA"], self.transform, spec)
        self.eval_b = ResizedImages(files["testB"], self.transform, spec)
        n = {k: len(v) for k, v in files.items()}
        self.protocol = (
            f"CycleGAN {self.dataset or self.folder}: train {n['trainA']} A / {n['trainB']} B (unpaired) -> "
            f"test {n['testA']} A / {n['testB']} B; direction {self.direction}; jitter {self.transform}")
