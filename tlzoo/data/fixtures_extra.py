"""Writers of tiny USPS, MNIST-M and feature-pair datasets in their real on-disk formats.

Companions of :mod:`tlzoo.data.fixtures`: the files they write are read by the same code as the
full datasets (torchvision's ``USPS`` for the libsvm files, ``h5py`` for ``usps.h5``, the MNIST-M
zip / folder reader of :mod:`tlzoo.data.mnist_m`, ``scipy.io.loadmat`` for feature ``.mat`` files).
"""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np

from tlzoo.data.fixtures import _class_images


def _digits(n: int, size: int, channels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 images ``(n, size, size, channels)`` whose brightness depends on the label, labels 0..9."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    imgs = np.stack([_class_images(1, size, int(d), channels, rng)[0] for d in labels])
    return imgs, labels.astype(np.int64)


def write_usps_libsvm(root: str | Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    """torchvision's USPS files ``<root>/usps.bz2`` and ``usps.t.bz2``: bz2-compressed libsvm lines
    ``<label 1..10> 1:<v> 2:<v> ... 256:<v>`` with pixel values in [-1, 1]."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, n, s in (("usps.bz2", n_train, seed), ("usps.t.bz2", n_test, seed + 1)):
        imgs, labels = _digits(n, 16, 1, s)
        lines = []
        for img, y in zip(imgs, labels):
            vals = img.reshape(-1).astype(np.float64) / 255.0 * 2.0 - 1.0
            feats = " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(vals))
            lines.append(f"{int(y) + 1} {feats}\n")
        (root / name).write_bytes(bz2.compress("".join(lines).encode()))
    return root


def write_usps_h5(root: str | Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    """``<root>/usps.h5``: groups ``train`` / ``test`` with ``data`` (N, 256) float32 in [0, 1] and
    ``target`` (N,) int32 (the layout of ``shared/data/usps/usps.h5``)."""
    import h5py

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / "usps.h5"
    with h5py.File(path, "w") as f:
        for split, n, s in (("train", n_train, seed), ("test", n_test, seed + 1)):
            imgs, labels = _digits(n, 16, 1, s)
            g = f.create_group(split)
            g.create_dataset("data", data=imgs.reshape(n, 256).astype(np.float32) / 255.0, compression="gzip")
            g.create_dataset("target", data=labels.astype(np.int32))
    return path


def write_mnist_m(root: str | Path, split: str = "test", n: int = 30, size: int = 32, zipped: bool = True,
                  seed: int = 0) -> Path:
    """The MNIST-M PNG distribution: ``<root>/mnist_m_<split>_labels.txt`` (lines ``00000000.png 7``)
    and either ``<root>/mnist_m_<split>_png.zip`` with entries ``mnist_m_<split>/00000000.png``
    (``zipped``) or the folder ``<root>/mnist_m_<split>/00000000.png``."""
    from tlzoo.data.mnist_m import write_mnist_m_split

    imgs, labels = _digits(n, size, 3, seed)
    return write_mnist_m_split(root, split, imgs, labels, zipped)


def write_photo_folder(root: str | Path, n: int = 3, size: tuple[int, int] = (60, 80), seed: int = 0) -> Path:
    """A folder of colour "photographs" (smooth random colour fields, JPEG and PNG) to build MNIST-M from."""
    from PIL import Image

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    for i in range(n):
        a = rng.uniform(0, 2 * np.pi, size=3)
        img = np.stack([127 + 120 * np.sin(6 * xx + 4 * yy + a[c]) for c in range(3)], axis=-1)
        ext = "jpg" if i % 2 == 0 else "png"
        Image.fromarray(img.astype(np.uint8)).save(root / f"photo_{i}.{ext}")
    return root


def write_feature_mat(path: str | Path, n: int = 40, dim: int = 32, num_classes: int = 10, shift: float = 0.0,
                      seed: int = 0, x_key: str = "feas", y_key: str = "labels") -> Path:
    """A MATLAB v5 feature domain like ``office_caltech10_decaf/*_decaf.mat``: ``feas`` (n, dim) non-negative
    float64 and ``labels`` (n, 1) uint8 in 1..num_classes (MATLAB's 1-based labels). Classes are separable
    (one bump per class); ``shift`` adds a domain offset."""
    from scipy.io import savemat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % num_classes
    x = np.abs(rng.normal(0.0, 0.3, size=(n, dim)))
    x[np.arange(n), labels % dim] += 3.0
    x += shift
    savemat(path, {x_key: x, y_key: (labels + 1).reshape(-1, 1).astype(np.uint8)})
    return path
