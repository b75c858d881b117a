"""Writer of a tiny CelebA in the real on-disk format (torchvision's ``CelebA`` layout), for tests.

Companion of :mod:`tlzoo.data.fixtures`: :class:`~tlzoo.data.celeba.CelebA` reads these files exactly as it
reads the real release (Liu et al., "Deep Learning Face Attributes in the Wild", ICCV 2015)::

    <root>/celeba/img_align_celeba/000001.jpg ...        178 x 218 RGB JPEGs
    <root>/celeba/list_attr_celeba.txt                   count, the 40 names, "000001.jpg -1  1 ..." rows
    <root>/celeba/list_eval_partition.txt                "000001.jpg 0|1|2"
    <root>/celeba/identity_CelebA.txt                    "000001.jpg <identity>"
    <root>/celeba/list_bbox_celeba.txt                   count, header, "000001.jpg x_1 y_1 width height"
    <root>/celeba/list_landmarks_align_celeba.txt        count, header, "000001.jpg lefteye_x ... "

Each picture is a grey "face" disc on a background; the top band (the "hair") is black, yellow, brown or grey
following the image's hair-colour attribute, and the disc is darker for ``Male``, so an attribute classifier or
editor has something to learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tlzoo.data.celeba import CELEBA_ATTRIBUTES

_HAIR_RGB = {"Black_Hair": (20, 20, 20), "Blond_Hair": (240, 220, 90), "Brown_Hair": (120, 70, 30),
             "Gray_Hair": (160, 160, 160)}


def write_celeba(root: str | Path, splits: tuple[int, int, int] = (8, 4, 4), size: tuple[int, int] = (218, 178),
                 seed: int = 0) -> Path:
    """Write ``splits`` = (train, val, test) images of ``size`` = (H, W) under ``root/celeba``; returns that
    folder. Attributes are drawn at random (one hair colour at most per image)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = Path(root) / "celeba"
    images = folder / "img_align_celeba"
    images.mkdir(parents=True, exist_ok=True)
    n = sum(splits)
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    attrs = np.where(rng.random((n, len(CELEBA_ATTRIBUTES))) < 0.5, 1, -1)
    hair_cols = [CELEBA_ATTRIBUTES.index(h) for h in _HAIR_RGB]
    attrs[:, hair_cols] = -1
    hair_of = rng.integers(0, len(_HAIR_RGB) + 1, n)  # the last value: no hair colour
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    for i, name in enumerate(names):
        picture = np.full((h, w, 3), 200, dtype=np.uint8) + rng.integers(0, 20, (h, w, 3)).astype(np.uint8)
        male = attrs[i, CELEBA_ATTRIBUTES.index("Male")] == 1
        disc = (yy - h * 0.55) ** 2 + (xx - w * 0.5) ** 2 < (min(h, w) * 0.3) ** 2
        picture[disc] = (110, 90, 80) if male else (210, 170, 150)
        if hair_of[i] < len(_HAIR_RGB):
            hair = list(_HAIR_RGB)[hair_of[i]]
            attrs[i, CELEBA_ATTRIBUTES.index(hair)] = 1
            picture[: int(h * 0.3)] = _HAIR_RGB[hair]
        Image.fromarray(picture).save(images / name, quality=90)
    rows = ["".join(f" {v:2d}" for v in row) for row in attrs]
    (folder / "list_attr_celeba.txt").write_text(
        f"{n}\n{' '.join(CELEBA_ATTRIBUTES)} \n" + "".join(f"{nm}{r}\n" for nm, r in zip(names, rows)))
    parts = [0] * splits[0] + [1] * splits[1] + [2] * splits[2]
    (folder / "list_eval_partition.txt").write_text("".join(f"{nm} {p}\n" for nm, p in zip(names, parts)))
    (folder / "identity_CelebA.txt").write_text("".join(f"{nm} {i % 3 + 1}\n" for i, nm in enumerate(names)))
    (folder / "list_bbox_celeba.txt").write_text(
        f"{n}\nimage_id x_1 y_1 width height\n" + "".join(f"{nm} 95 71 226 313\n" for nm in names))
    landmarks = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x " \
                "rightmouth_y"
    (folder / "list_landmarks_align_celeba.txt").write_text(
        f"{n}\n{landmarks}\n" + "".join(f"{nm} 69 109 106 113 77 142 73 152 108 154\n" for nm in names))
    return folder
