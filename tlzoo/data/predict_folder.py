"""``tlzoo predict --predict_folder <dir>``: a trained classifier applied to a folder of the user's own images.

The images go through the data module's *evaluation* transform (what the model saw at test time: the target
domain's resize and normalisation), exposed as ``datamodule.eval_transform()`` so that Python users apply
exactly the same preprocessing::

    model = DANN.load_from_checkpoint("runs/tlzoo/<id>/checkpoints/best-....ckpt").eval()
    x = EmbeddedDigits().eval_transform()(PIL.Image.open("digit.png")).unsqueeze(0)
    probabilities = model(x).softmax(1)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError

#: Image file extensions read from a prediction folder.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


class SpecTransform:
    """PIL image -> ``(C, H, W)`` tensor with the spec's channels, size (bicubic resize) and normalisation."""

    def __init__(self, spec: ImageSpec) -> None:
        self.spec = spec

    def __call__(self, image: Any) -> torch.Tensor:
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2.functional import pil_to_tensor, resize

        from tlzoo.data.translation import to_8bit

        image = to_8bit(image).convert("L" if self.spec.channels == 1 else "RGB")
        x = pil_to_tensor(image)
        size = list(self.spec.size)  # type: ignore[arg-type]
        if list(x.shape[-2:]) != size:
            x = resize(x, size, interpolation=InterpolationMode.BICUBIC, antialias=True)
        return self.spec.normalize(x.float().div_(255.0))


def list_prediction_images(folder: str | Path) -> list[Path]:
    """Image files of ``folder`` and its sub-folders (sorted; hidden files skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TLZooError(f"--predict_folder {folder} does not exist: pass a folder of images")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise TLZooError(f"--predict_folder {folder} holds no image files ({'/'.join(IMAGE_EXTENSIONS)})")
    return paths


class PredictionImages(Dataset):
    """``(x, -1)`` for each image file (no label), through ``transform``; a bad file is named in the error."""

    def __init__(self, paths: list[Path], transform: Callable[[Any], torch.Tensor]) -> None:
        self.paths = paths
        self.transform = transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image, UnidentifiedImageError

        path = self.paths[index]
        try:
            with Image.open(path) as im:
                im.load()
                return self.transform(im), -1
        except (UnidentifiedImageError, OSError) as err:
            raise TLZooError(f"cannot read image {path}: {err}. Remove it from --predict_folder") from None
