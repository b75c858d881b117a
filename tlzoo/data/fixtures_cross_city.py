"""A tiny NTHU cross-city data set in the real layout and formats, for tests (:mod:`tlzoo.data.cross_city`)::

    <root>/<City>/Images/Train/<City>_<i>.jpg          unlabelled street scenes
    <root>/<City>/Images/Test/<City>_<i>.jpg           labelled street scenes
    <root>/<City>/Labels/Test/<City>_<i>_eval.png      8-bit label maps of Cityscapes label ids

Scenes are the rectangles of :func:`tlzoo.data.fixtures_cityscapes.scene_rectangles` (sky, building, vegetation,
road, sidewalk, car, person, plus ids the 13-class protocol ignores: parking, pole, unlabeled, ego vehicle), each
painted with its Cityscapes colour, a per-city tint and noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tlzoo.data.fixtures_cityscapes import _classes, scene_rectangles


def write_cross_city(root: str | Path, cities: Sequence[str] = ("Rome",), n_train: int = 4, n_test: int = 2,
                     size: tuple[int, int] = (32, 64), seed: int = 0) -> Path:
    """Write ``n_train`` unlabelled and ``n_test`` labelled images per city under ``root``; returns ``root``."""
    from PIL import Image

    root = Path(root)
    colours = {k: v[1] for k, v in _classes().items()}
    rng = np.random.default_rng(seed)
    h, w = size
    for c, city in enumerate(cities):
        tint = np.array([20 * c, -10 * c, 15 * c], dtype=np.float64)
        for split, n in (("Train", n_train), ("Test", n_test)):
            img_dir = root / city / "Images" / split
            img_dir.mkdir(parents=True, exist_ok=True)
            if split == "Test":
                (root / city / "Labels" / split).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                ids = np.zeros((h, w), dtype=np.uint8)
                for label, t, lft, b, r in scene_rectangles(h, w, rng):
                    ids[t:b, lft:r] = label
                rgb = np.array([colours.get(int(v), (0, 0, 0)) for v in range(256)], dtype=np.float64)[ids]
                rgb = (rgb + tint + rng.normal(0, 12, rgb.shape)).clip(0, 255).astype(np.uint8)
                stem = f"{city}_{i:04d}"
                Image.fromarray(rgb).save(img_dir / f"{stem}.jpg", quality=95)
                if split == "Test":
                    Image.fromarray(ids, mode="L").save(root / city / "Labels" / split / f"{stem}_eval.png")
    return root
