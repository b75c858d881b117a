"""Unlabelled RGB photographs: the training data of feed-forward style transfer (any images will do).

:class:`ContentImages` reads every image file under ``root`` (recursively), or, with ``source: skimage``,
the colour photographs scikit-image ships (no download: astronaut, coffee, chelsea, rocket, ...), for demos
and tests. Johnson et al. trained on the 80k COCO training images resized to 256x256; point ``root`` at
``train2014/`` for that.

Batches are ``(x, index)``: ``x`` ``(N, 3, S, S)`` RGB in [0, 1] (``spec``: mean 0, std 1). Training images get
a random resized crop (scale 0.3-1) and a horizontal flip; validation / test / predict images are resized to
``S x S``. The last ``val_count`` images (sorted by path) are held out for validation and test; ``predict``
stylises the images of ``predict_root`` (default: the held-out images), written under their own names.

:func:`read_rgb` reads one image reference (a file path or ``skimage:<name>``) as a ``(1, 3, H, W)`` tensor;
the style-transfer methods and ``tlzoo stylize`` use it for the style image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from tlzoo.data.base import EpochSeededSampler, evaluation_generator, run_seed
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import DataNotFoundError, TLZooError

#: Colour photographs bundled with scikit-image (no download needed).
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field",
                  "colorwheel", "retina", "cat")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp")


def read_rgb(ref: str | Path, size: int | None = None) -> torch.Tensor:
    """``(1, 3, H, W)`` float RGB in [0, 1] from a file path or ``skimage:<name>`` (a scikit-image sample);
    with ``size``, resized (antialiased bilinear) so that the longer side is ``size`` and both sides are
    multiples of 4.

    Raises:
        TLZooError: the file does not exist or is not an image; an unknown scikit-image name.
    """
    ref = str(ref)
    if ref.startswith("skimage:"):
        import skimage.data

        name = ref.split(":", 1)[1]
        if name not in SKIMAGE_PHOTOS:
            raise TLZooError(f"unknown scikit-image photograph {name!r}; choose one of {', '.join(SKIMAGE_PHOTOS)}")
        array = np.asarray(getattr(skimage.data, name)())
    else:
        from tlzoo.data.translation import open_image

        if not Path(ref).is_file():
            raise TLZooError(f"image not found: {ref}")
        array = np.asarray(open_image(ref, 3))
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    x = torch.from_numpy(np.ascontiguousarray(array[..., :3])).permute(2, 0, 1)[None].float() / 255.0
    if size is not None:
        h, w = x.shape[-2:]
        scale = size / max(h, w)
        new = (max(4, round(h * scale / 4) * 4), max(4, round(w * scale / 4) * 4))
        x = torch.nn.functional.interpolate(x, size=new, mode="bilinear", align_corners=False, antialias=True)
    return x.clamp(0.0, 1.0)


class PhotoDataset(Dataset):
    """``(x, index)`` for image references (paths or ``skimage:<name>``), read with the longer side at ``2 S`` (the
    crops need no more) and, for small sets (<= 64 images), kept in memory as uint8 once read."""

    def __init__(self, refs: list[str], size: int, train: bool) -> None:
        self.refs = refs
        self.size = size
        self.train = train
        self._cache: dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.refs)

    def _image(self, index: int) -> torch.Tensor:
        if index in self._cache:
            return self._cache[index]
        x = (read_rgb(self.refs[index], size=2 * self.size)[0] * 255).round().to(torch.uint8)
        if len(self.refs) <= 64:
            self._cache[index] = x
        return x

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from torchvision.transforms import v2

        x = self._image(index).float() / 255.0
        if self.train:
            x = v2.RandomResizedCrop(self.size, scale=(0.3, 1.0), antialias=True)(x)
            x = v2.RandomHorizontalFlip()(x)
        else:
            x = v2.functional.resize(x, [self.size, self.size], antialias=True)
        return x.clamp(0.0, 1.0), index


class ContentImages(LightningDataModule):
    """Content photographs for feed-forward style transfer (module docstring).

    Args:
        root: folder of images (searched recursively); required for ``source: folder``.
        source: ``folder`` (``root``) or ``skimage`` (scikit-image's bundled photographs).
        image_size: side ``S`` of the square training / evaluation images (a multiple of 4).
        val_count: images held out for validation and test.
        predict_root: folder of images that ``tlzoo predict`` stylises (default: the held-out images).
        batch_size: images per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    num_classes: int | None = None

    def __init__(self, root: str | None = None, source: Literal["folder", "skimage"] = "folder",
                 image_size: int = 256, val_count: int = 2, predict_root: str | None = None, batch_size: int = 4,
                 num_workers: int = 2, seed: int | None = None) -> None:
        super().__init__()
        if image_size < 8 or image_size % 4:
            raise TLZooError(f"--data.image_size must be a multiple of 4 and >= 8, got {image_size}")
        if source == "folder" and not root:
            raise TLZooError("ContentImages needs --data.root (a folder of photographs), or --data.source skimage")
        if val_count < 1 or batch_size < 1 or num_workers < 0:
            raise TLZooError("--data.val_count and --data.batch_size must be >= 1, --data.num_workers >= 0")
        self.root, self.source, self.image_size = root, source, image_size
        self.val_count, self.predict_root = val_count, predict_root
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, run_seed(seed)
        self.spec = ImageSpec(3, image_size, (0.0,), (1.0,))
        self.input_shape = self.spec.shape
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.predict_set: Dataset | None = None
        self.predict_paths: list[str] = []
        self.protocol = f"content images ({source}) {image_size}x{image_size}"

    def _refs(self) -> list[str]:
        if self.source == "skimage":
            return [f"skimage:{name}" for name in SKIMAGE_PHOTOS]
        root = Path(str(self.root))
        refs = sorted(str(p) for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                      and not p.name.startswith("."))
        if not refs:
            raise DataNotFoundError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {root}: point --data.root "
                                    "at a folder of photographs (e.g. COCO train2014/)")
        return refs

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        refs = self._refs()
        if len(refs) <= self.val_count:
            raise TLZooError(f"{len(refs)} images but --data.val_count {self.val_count}: need more images than that")
        train, held = refs[: -self.val_count], refs[-self.val_count:]
        self.train_set = PhotoDataset(train, self.image_size, train=True)
        self.val_set = PhotoDataset(held, self.image_size, train=False)
        predict = held
        if self.predict_root:
            predict = sorted(str(p) for p in Path(self.predict_root).rglob("*")
                             if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not predict:
                raise DataNotFoundError(f"no image files under --data.predict_root {self.predict_root}")
        self.predict_set = PhotoDataset(predict, self.image_size, train=False)
        self.predict_paths = [p.split(":", 1)[1] if p.startswith("skimage:") else p for p in predict]
        self.protocol = (f"content images ({self.source}) {self.image_size}x{self.image_size}: train {len(train)} / "
                         f"val = test {len(held)} / predict {len(predict)}")

    def _loader(self, dataset: Dataset | None, shuffle: bool) -> DataLoader:
        assert dataset is not None, "setup() builds the datasets first"
        sampler = EpochSeededSampler(dataset, self.seed) if shuffle else None  # type: ignore[arg-type]
        return DataLoader(dataset, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, drop_last=False,
                          generator=None if shuffle else evaluation_generator())

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.predict_set, shuffle=False)
