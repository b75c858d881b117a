"""Writers of tiny image-translation datasets in the real pix2pix and CycleGAN on-disk layouts, for tests.

Companions of :mod:`tlzoo.data.fixtures`: :class:`~tlzoo.data.paired_folders.PairedFolders` and
:class:`~tlzoo.data.unpaired_folders.UnpairedFolders` read these files exactly as they read the public
archives.

In the pix2pix fixture the B half is a known function of the A half (``B = 255 - A``, the photographic
negative), so a test can check that a joint crop/flip kept every pair aligned: after normalisation to
[-1, 1], ``b == -a`` up to JPEG error, while a crop or flip applied to one side only breaks it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pattern_image(size: int, rng: np.random.Generator, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
                  ) -> np.ndarray:
    """A ``(size, size, 3)`` uint8 picture with structure at every scale and no symmetry (a smooth random
    colour field plus a few sharp rectangles), so misaligned crops or flips are easy to detect."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    phase = rng.uniform(0, 2 * np.pi, size=3)
    freq = rng.uniform(2.0, 5.0, size=(3, 2))
    img = np.stack([0.5 + 0.35 * np.sin(2 * np.pi * (freq[c, 0] * xx + freq[c, 1] * yy * yy) + phase[c])
                    for c in range(3)], axis=-1)
    for _ in range(3):
        h, w = rng.integers(size // 8 + 1, size // 3 + 2, size=2)
        top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
        img[top:top + h, left:left + w] = rng.uniform(0.05, 0.95, size=3)
    img = img * np.asarray(tint)
    return np.clip(img * 255.0, 0, 255).round().astype(np.uint8)


def write_pix2pix_folder(root: str | Path, n_train: int = 4, n_val: int = 2, n_test: int = 2, size: int = 32,
                         seed: int = 0) -> Path:
    """pix2pix's layout ``<root>/{train,val,test}/<i>.jpg``, each ``size`` high and ``2 * size`` wide: A on the
    left, ``B = 255 - A`` on the right (JPEG quality 95). A split with 0 images is not written."""
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        if n <= 0:
            continue
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = pattern_image(size, rng)
            Image.fromarray(np.concatenate([a, 255 - a], axis=1)).save(root / split / f"{i + 1}.jpg", quality=95)
    return root


def write_cyclegan_folder(root: str | Path, n_per_split: int | tuple[int, int] = 4, size: int = 32, seed: int = 0,
                          junk: bool = False) -> Path:
    """CycleGAN's layout ``<root>/{trainA,trainB,testA,testB}/<i>_A.jpg`` (domain A reddish, B bluish).

    Args:
        root: output folder.
        n_per_split: images per folder, or ``(n_A, n_B)`` for domains of different sizes.
        size: image side.
        seed: pattern seed.
        junk: also write what real folders collect and a loader must skip: a macOS resource fork
            ``._0_A.jpg`` (not an image), a ``.DS_Store`` and a ``notes.txt`` in every folder.
    """
    from PIL import Image

    root = Path(root)
    n_a, n_b = (n_per_split, n_per_split) if isinstance(n_per_split, int) else n_per_split
    rng = np.random.default_rng(seed)
    tints = {"A": (1.0, 0.6, 0.5), "B": (0.5, 0.7, 1.0)}
    for split in ("train", "test"):
        for domain, n in (("A", n_a), ("B", n_b)):
            folder = root / f"{split}{domain}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(pattern_image(size, rng, tints[domain])).save(folder / f"{i}_{domain}.jpg", quality=95)
            if junk:
                (folder / f"._0_{domain}.jpg").write_bytes(b"\x00\x05\x16\x07AppleDouble resource fork")
                (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
                (folder / "notes.txt").write_text("not an image\n")
    return root
