"""Writer of a tiny RaFD in the release's file format, for tests.

Companion of :mod:`tlzoo.data.fixtures_celeba`: :class:`~tlzoo.data.celeba_rafd.CelebARaFD` reads these files as it
reads the Radboud Faces Database (Langner et al., Cognition & Emotion 2010)::

    <root>/Rafd{angle:03d}_{subject:02d}_{Caucasian|Moroccan|Kid}_{female|male}_{expression}_{left|frontal|right}.jpg

RGB JPEGs, portrait like the release (681 x 1024 there; smaller here). Each picture is a "face" disc on a grey
background whose mouth band has a colour per expression and whose disc is shifted by the gaze, so an expression
classifier or editor has something to learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tlzoo.data.celeba_rafd import RAFD_EXPRESSIONS

_ETHNICITY = ("Caucasian", "Moroccan", "Kid")


def write_rafd(root: str | Path, subjects: int = 5, angles: tuple[int, ...] = (0, 45, 90),
               gazes: tuple[str, ...] = ("frontal", "left"), size: tuple[int, int] = (96, 64), seed: int = 0) -> Path:
    """Write ``subjects x angles x gazes x 8`` expression images of ``size`` = (H, W) under ``root``; returns it."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    for subject in range(1, subjects + 1):
        ethnicity, gender = _ETHNICITY[subject % 3], ("female", "male")[subject % 2]
        for angle in angles:
            for gaze in gazes:
                for k, expression in enumerate(RAFD_EXPRESSIONS):
                    picture = np.full((h, w, 3), 150, dtype=np.uint8) + rng.integers(0, 20, (h, w, 3)).astype(np.uint8)
                    cx = w * (0.5 + {"left": -0.05, "frontal": 0.0, "right": 0.05}[gaze])
                    disc = (yy - h * 0.5) ** 2 + (xx - cx) ** 2 < (w * 0.35) ** 2
                    picture[disc] = (200, 160, 140) if gender == "female" else (150, 110, 90)
                    mouth = disc & (yy > h * 0.6) & (yy < h * 0.7)
                    picture[mouth] = (30 * k, 255 - 30 * k, (90 * k) % 256)
                    name = f"Rafd{angle:03d}_{subject:02d}_{ethnicity}_{gender}_{expression}_{gaze}.jpg"
                    Image.fromarray(picture).save(folder / name, quality=90)
    return folder
