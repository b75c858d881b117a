"""Writers of tiny datasets in each dataset's real on-disk format, for tests and demos.

Each writer produces files that the real loading code (torchvision's classes, ``ImageFolder``)
reads unchanged, so tests exercise the same path as a user with the full data.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def _class_images(n: int, size: int, label: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """Noisy images whose mean colour/brightness depends on the label (so classes are learnable)."""
    base = (label * 37 + np.arange(channels) * 71) % 200 + 28
    imgs = rng.normal(base, 25, size=(n, size, size, channels))
    return np.clip(imgs, 0, 255).astype(np.uint8)


def write_image_folder(root: str | Path, classes: list[str], per_class: int = 2, size: int = 40,
                       seed: int = 0, ext: str = "jpg") -> Path:
    """``<root>/<class>/<i>.jpg`` (torchvision ``ImageFolder`` layout)."""
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(_class_images(per_class, size, label, 3, rng)):
            Image.fromarray(img).save(root / name / f"frame_{i:04d}.{ext}")
    return root


def write_office31(root: str | Path, per_class: int = 1, size: int = 40,
                   domains: tuple[str, ...] = ("amazon", "dslr", "webcam")) -> Path:
    """Office-31 layout: ``<root>/{amazon,dslr,webcam}/images/<31 classes>/*.jpg``."""
    from tlzoo.data.folders import Office31

    root = Path(root)
    for i, domain in enumerate(domains):
        write_image_folder(root / domain / "images", Office31.CLASSES, per_class, size, seed=i)
    return root


def write_svhn_mat(root: str | Path, split: str = "train", n: int = 64, seed: int = 0) -> Path:
    """``<root>/<split>_32x32.mat``: MATLAB v5 with ``X`` (32, 32, 3, N) uint8 and ``y`` (N, 1),
    where the digit 0 has label 10 (SVHN's convention)."""
    from scipy.io import savemat

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    digits = np.arange(n) % 10
    x = np.stack([_class_images(1, 32, int(d), 3, rng)[0] for d in digits], axis=-1)
    y = np.where(digits == 0, 10, digits).reshape(-1, 1).astype(np.uint8)
    path = root / f"{split}_32x32.mat"
    savemat(path, {"X": x, "y": y})
    return path


def _idx_bytes(array: np.ndarray) -> bytes:
    """IDX format: magic (0, 0, 0x08 = uint8, ndim), big-endian dims, then the data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist_idx(root: str | Path, n_train: int = 64, n_test: int = 32, seed: int = 0,
                    gzipped: bool = False) -> Path:
    """torchvision's MNIST layout: ``<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = np.stack([_class_images(1, 28, int(d), 1, rng)[0, :, :, 0] for d in labels])
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte"
            data = _idx_bytes(arr)
            if gzipped:
                (raw / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (raw / name).write_bytes(data)
    return Path(root)
