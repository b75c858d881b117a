"""Cityscapes: the fixture in the real format read by torchvision, the label-id -> train-id mapping, the
segmentation and labels -> photo data modules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tlzoo.data.cityscapes import (
    CLASS_COLOURS,
    CLASS_NAMES,
    LABEL_ID_TO_TRAIN_ID,
    CityscapesLabelsToPhoto,
    CityscapesSegmentation,
    label_ids_to_train_ids,
)
from tlzoo.data.fixtures_cityscapes import write_cityscapes
from tlzoo.errors import DataNotFoundError

SIZE = (32, 64)


@pytest.fixture(scope="module")
def cityscapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cityscapes(tmp_path_factory.mktemp("cityscapes"), per_city=2, size=SIZE, seed=0)


def test_fixture_is_read_by_torchvision(cityscapes_root: Path) -> None:
    from torchvision.datasets import Cityscapes

    for split, city in (("train", "aachen"), ("val", "frankfurt")):
        ds = Cityscapes(str(cityscapes_root), split=split, mode="fine",
                        target_type=["semantic", "color", "instance", "polygon"])
        assert len(ds) == 2
        assert Path(ds.images[0]).name.startswith(f"{city}_") and ds.images[0].endswith("_000019_leftImg8bit.png")
        image, (semantic, colour, instance, polygons) = ds[0]
        assert image.mode == "RGB" and image.size == (SIZE[1], SIZE[0])
        assert semantic.mode == "L" and colour.mode == "RGBA"
        ids = np.asarray(semantic)
        assert {0, 1, 7, 8, 23, 26}.issubset(set(np.unique(ids).tolist()))
        # The colour image is the official palette of the label ids.
        from torchvision.datasets import Cityscapes as CS

        palette = {c.id: c.color for c in CS.classes if c.id >= 0}
        rgb = np.asarray(colour)[..., :3]
        for label_id in (7, 23, 26):
            assert (rgb[ids == label_id] == palette[label_id]).all()
        # Instance ids: id * 1000 + k for classes with instances, the label id otherwise.
        inst = np.asarray(instance).astype(np.int64)
        assert set(np.unique(inst[ids == 26]).tolist()) == {26000}
        assert (inst[ids == 7] == 7).all()
        assert polygons["imgHeight"] == SIZE[0] and polygons["imgWidth"] == SIZE[1]
        assert {"road", "sky", "car", "ego vehicle"}.issubset({o["label"] for o in polygons["objects"]})
    json_file = next(cityscapes_root.glob("gtFine/val/frankfurt/*_gtFine_polygons.json"))
    assert "objects" in json.loads(json_file.read_text())


def test_train_id_mapping_is_the_official_table() -> None:
    official = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12,
                26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
    for label_id in range(256):
        assert LABEL_ID_TO_TRAIN_ID[label_id] == official.get(label_id, 255), label_id
    assert CLASS_NAMES[:3] == ("road", "sidewalk", "building") and CLASS_NAMES[-1] == "bicycle"
    assert len(CLASS_NAMES) == 19 and CLASS_COLOURS[0] == (128, 64, 128)
    out = label_ids_to_train_ids(np.array([[0, 1, 7, 9], [26, 33, 34, 255]]))
    assert out.dtype == torch.int64
    assert out.tolist() == [[255, 255, 0, 255], [13, 18, 255, 255]]


def test_segmentation_batches(cityscapes_root: Path) -> None:
    from torchvision.datasets import Cityscapes

    dm = CityscapesSegmentation(str(cityscapes_root), image_size=SIZE, batch_size=2, num_workers=0, flip=False)
    assert dm.num_classes == 19 and dm.ignore_index == 255 and dm.input_shape == (3, *SIZE)
    assert dm.class_names == CLASS_NAMES
    dm.setup("fit")
    x, mask = next(iter(dm.train_dataloader()))
    assert x.shape == (2, 3, *SIZE) and x.dtype == torch.float32
    assert mask.shape == (2, *SIZE) and mask.dtype == torch.int64
    x, mask = next(iter(dm.val_dataloader()))
    # No resize, no flip: the mask is the mapped labelIds file of the (sorted) first val image.
    ds = Cityscapes(str(cityscapes_root), split="val", target_type="semantic")
    first = sorted(range(len(ds)), key=lambda i: ds.images[i])[0]
    raw = np.asarray(ds[first][1])
    assert torch.equal(mask[0], label_ids_to_train_ids(raw))
    assert set(mask.unique().tolist()) <= set(range(19)) | {255} and 255 in mask.unique().tolist()
    # ImageNet normalisation, undone by the spec.
    assert dm.spec.denormalize(x).min() >= 0 and abs(float(x.mean())) < 3


def test_segmentation_resize_and_flip(cityscapes_root: Path) -> None:
    dm = CityscapesSegmentation(str(cityscapes_root), image_size=(16, 24), batch_size=2, num_workers=0, seed=3)
    dm.setup("fit")
    ds = dm.train_set
    x0, m0 = ds[(0, 0)]
    assert x0.shape == (3, 16, 24) and m0.shape == (16, 24)
    flipped = [e for e in range(20) if not torch.equal(ds[(e, 0)][1], m0)]
    assert flipped, "the flip never happened in 20 epochs"
    xf, mf = ds[(flipped[0], 0)]
    assert torch.equal(mf, m0.flip(-1)) and torch.allclose(xf, x0.flip(-1))
    assert torch.equal(ds[(flipped[0], 0)][1], mf)  # a function of (seed, epoch, index)


def test_missing_data_names_layout_flag_and_registration(tmp_path: Path) -> None:
    dm = CityscapesSegmentation(str(tmp_path / "nowhere"), batch_size=2, num_workers=0)
    with pytest.raises(DataNotFoundError) as err:
        dm.setup("fit")
    msg = str(err.value)
    for part in ("leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png",
                 "_gtFine_{labelIds,color,instanceIds}.png", "--data.root", "cityscapes-dataset.com",
                 "registration", "cannot be downloaded automatically"):
        assert part in msg, part
    with pytest.raises(DataNotFoundError):
        CityscapesLabelsToPhoto(str(tmp_path / "nowhere"), image_size=16, load_size=16).setup("fit")


def test_missing_annotation_file_is_reported(tmp_path: Path) -> None:
    root = write_cityscapes(tmp_path / "cs", per_city=1, size=(8, 16))
    next(root.glob("gtFine/val/*/*_labelIds.png")).unlink()
    with pytest.raises(DataNotFoundError, match="annotation files are missing"):
        CityscapesSegmentation(str(root), image_size=(8, 16), num_workers=0).setup("validate")


def test_labels_to_photo_batches_and_pairing(cityscapes_root: Path) -> None:
    dm = CityscapesLabelsToPhoto(str(cityscapes_root), image_size=16, load_size=20, batch_size=2, num_workers=0)
    assert dm.paired and dm.num_classes is None and dm.input_shape == (3, 16, 16)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    a, b = batch["A"], batch["B"]
    assert a.shape == b.shape == (2, 3, 16, 16)
    assert a.min() >= -1 and a.max() <= 1
    # The fixture photo is the colour map plus noise: a joint crop/flip keeps them aligned.
    assert (a - b).abs().mean() < 0.25
    assert (a - b.flip(-1)).abs().mean() > (a - b).abs().mean() + 0.05
    # Colour label maps keep exact official colours (NEAREST resize).
    colours = {tuple(c) for c in ((a.permute(0, 2, 3, 1).reshape(-1, 3) + 1) / 2 * 255).round().int().tolist()}
    from torchvision.datasets import Cityscapes

    palette = {tuple(c.color) for c in Cityscapes.classes}
    assert colours <= palette
    val = dm.val_dataloader()
    (eval_batch, *_rest) = next(iter(val))
    (xa, ya), (xb, yb) = eval_batch["A"], eval_batch["B"]
    assert xa.shape == xb.shape == (2, 3, 16, 16) and ya.tolist() == [-1, -1] and yb.tolist() == [-1, -1]


def test_eval_label_maps_follow_eval_order(cityscapes_root: Path) -> None:
    dm = CityscapesLabelsToPhoto(str(cityscapes_root), image_size=16, load_size=16, batch_size=1, num_workers=0)
    maps = dm.eval_label_maps()
    assert maps.shape == (2, 16, 16) and maps.dtype == torch.int64
    assert torch.equal(dm.eval_label_maps([1]), maps[1:])
    for i in range(len(maps)):
        rgb = ((dm.eval_a[i][0] + 1) / 2 * 255).round().long()  # (3, H, W), the colour label map
        for train_id in maps[i].unique().tolist():
            if train_id == 255:
                continue
            where = maps[i] == train_id
            assert (rgb[:, where].T == torch.tensor(CLASS_COLOURS[train_id])).all(), (i, train_id)
    full = dm.eval_label_maps([0], size=SIZE)
    assert full.shape == (1, *SIZE)


def test_labels_to_photo_direction_swaps(cityscapes_root: Path) -> None:
    ab = CityscapesLabelsToPhoto(str(cityscapes_root), image_size=16, load_size=16, flip=False, num_workers=0)
    ba = CityscapesLabelsToPhoto(str(cityscapes_root), image_size=16, load_size=16, flip=False, num_workers=0,
                                 direction="BtoA")
    ab.setup("fit")
    ba.setup("fit")
    assert torch.equal(ab.eval_a[0][0], ba.eval_b[0][0]) and torch.equal(ab.eval_b[0][0], ba.eval_a[0][0])
    assert torch.equal(ab.eval_label_maps(), ba.eval_label_maps())
