"""Writer of a tiny Cityscapes in the real on-disk format, for tests.

Companion of :mod:`tlzoo.data.fixtures`: :class:`~tlzoo.data.cityscapes.CityscapesSegmentation` and
:class:`~tlzoo.data.cityscapes.CityscapesLabelsToPhoto` read these files through torchvision's
``Cityscapes`` class exactly as they read the real data set (Cordts et al., "The Cityscapes Dataset for
Semantic Urban Scene Understanding", CVPR 2016, https://arxiv.org/abs/1604.01685)::

    <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png      RGB photo
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png       8-bit, the 34 label ids
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_color.png          RGBA, the official colours
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_instanceIds.png    16-bit, id * 1000 + k for
                                                                                classes with instances
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_polygons.json      imgHeight/imgWidth/objects

Each scene is a street drawn from rectangles in back-to-front order (as ``json2labelImg`` of the
cityscapesScripts draws the polygons): sky, buildings, vegetation, road, sidewalk, a pole, a car, a person,
and ignored classes (``unlabeled`` 0, ``ego vehicle`` 1 along the bottom, ``parking`` 9). The photo is the
official colour of each pixel's class plus noise, so a segmenter can learn it in a few steps and a
"perfect" photo of a label map is its colour image.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

#: ``{split: [cities]}`` written by default.
DEFAULT_CITIES: dict[str, list[str]] = {"train": ["aachen"], "val": ["frankfurt"]}
#: The annotated frame of a Cityscapes sequence (the 20th of 30).
ANNOTATED_FRAME = 19


def _classes() -> dict[int, tuple[str, tuple[int, int, int], bool]]:
    """label id -> (name, colour, has_instances), from torchvision's copy of the cityscapesScripts table."""
    from torchvision.datasets import Cityscapes

    return {c.id: (c.name, c.color, c.has_instances) for c in Cityscapes.classes if c.id >= 0}


def scene_rectangles(height: int, width: int, rng: np.random.Generator) -> list[tuple[int, int, int, int, int]]:
    """``(label_id, top, left, bottom, right)`` rectangles of one street scene, back to front."""
    h, w = height, width

    def jit(v: float, spread: float = 0.05) -> float:
        return v + float(rng.uniform(-spread, spread))

    horizon = jit(0.45)
    rects = [
        (23, 0.0, 0.0, horizon, 1.0),                        # sky
        (11, jit(0.15), 0.0, horizon + 0.05, jit(0.6)),      # building
        (21, jit(0.25), jit(0.65), horizon + 0.05, 1.0),     # vegetation
        (7, horizon, 0.0, 1.0, 1.0),                         # road
        (8, horizon, 0.0, 1.0, jit(0.2)),                    # sidewalk
        (9, jit(0.6), jit(0.8), jit(0.75), 1.0),             # parking (ignored)
        (17, jit(0.2), jit(0.3), jit(0.8), None),            # pole (right edge set below)
        (26, jit(0.55), jit(0.4), jit(0.8), None),           # car
        (24, jit(0.4), jit(0.05, 0.02), jit(0.75), None),    # person
        (0, 0.0, 0.0, 0.06, 0.1),                            # unlabeled corner
        (1, 0.9, 0.0, 1.0, 1.0),                             # ego vehicle
    ]
    widths = {17: 0.03, 26: 0.25, 24: 0.06}
    out = []
    for label, top, left, bottom, right in rects:
        if right is None:
            right = left + widths[label]
        t, b = int(round(min(top, bottom) * h)), int(round(max(top, bottom) * h))
        lft, r = int(round(left * w)), int(round(right * w))
        t, lft = max(t, 0), max(lft, 0)
        b, r = min(max(b, t + 1), h), min(max(r, lft + 1), w)
        out.append((label, t, lft, b, r))
    return out


def write_cityscapes(root: str | Path, cities: Mapping[str, Sequence[str]] | None = None, per_city: int = 2,
                     size: tuple[int, int] = (64, 128), seed: int = 0) -> Path:
    """Write a tiny Cityscapes (``leftImg8bit`` + ``gtFine``, real names and formats) under ``root``.

    Args:
        root: output folder (``--data.root``).
        cities: ``{split: [city, ...]}``; default ``{"train": ["aachen"], "val": ["frankfurt"]}``.
        per_city: annotated frames per city (sequences ``000000``, ``000001``, ...).
        size: ``(H, W)`` of every image (the real data: 1024 x 2048).
        seed: scene layout and noise seed.

    Returns:
        ``root``.
    """
    from PIL import Image

    root = Path(root)
    cities = DEFAULT_CITIES if cities is None else cities
    classes = _classes()
    rng = np.random.default_rng(seed)
    h, w = size
    for split, names in cities.items():
        for city in names:
            img_dir = root / "leftImg8bit" / split / city
            gt_dir = root / "gtFine" / split / city
            img_dir.mkdir(parents=True, exist_ok=True)
            gt_dir.mkdir(parents=True, exist_ok=True)
            for seq in range(per_city):
                stem = f"{city}_{seq:06d}_{ANNOTATED_FRAME:06d}"
                label_ids = np.zeros((h, w), dtype=np.uint8)
                instance_ids = np.zeros((h, w), dtype=np.uint16)
                objects = []
                counts: dict[int, int] = {}
                for label, t, lft, b, r in scene_rectangles(h, w, rng):
                    name, _, has_instances = classes[label]
                    label_ids[t:b, lft:r] = label
                    if has_instances:
                        k = counts.get(label, 0)
                        counts[label] = k + 1
                        instance_ids[t:b, lft:r] = label * 1000 + k
                    else:
                        instance_ids[t:b, lft:r] = label
                    objects.append({"label": name, "polygon": [[lft, t], [r - 1, t], [r - 1, b - 1], [lft, b - 1]]})
                palette = np.zeros((256, 3), dtype=np.uint8)
                for label_id, (_, colour, _) in classes.items():
                    palette[label_id] = colour
                colour = palette[label_ids]
                noise = rng.normal(0.0, 12.0, size=(h, w, 3))
                photo = np.clip(colour.astype(np.float64) + noise, 0, 255).round().astype(np.uint8)
                rgba = np.concatenate([colour, np.full((h, w, 1), 255, dtype=np.uint8)], axis=-1)
                Image.fromarray(photo).save(img_dir / f"{stem}_leftImg8bit.png")
                Image.fromarray(label_ids).save(gt_dir / f"{stem}_gtFine_labelIds.png")
                Image.fromarray(rgba).save(gt_dir / f"{stem}_gtFine_color.png")
                Image.fromarray(instance_ids).save(gt_dir / f"{stem}_gtFine_instanceIds.png")
                (gt_dir / f"{stem}_gtFine_polygons.json").write_text(
                    json.dumps({"imgHeight": h, "imgWidth": w, "objects": objects}, indent=2))
    return root
