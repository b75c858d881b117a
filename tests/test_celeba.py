"""CelebA read from a fixture in the real on-disk format: attributes parsed (-1/1 -> 0/1), the official partition
respected, the paper's crop and resize, attribute selection, and one-line errors naming the layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tlzoo.data.celeba import CELEBA_ATTRIBUTES, CelebA, read_attributes, read_partition
from tlzoo.data.fixtures_celeba import write_celeba
from tlzoo.errors import DataNotFoundError, TLZooError


@pytest.fixture
def celeba_root(tmp_path: Path) -> Path:
    write_celeba(tmp_path / "data", splits=(6, 3, 4))
    return tmp_path / "data"


def test_attribute_file_is_parsed_to_zero_one(celeba_root: Path) -> None:
    path = celeba_root / "celeba" / "list_attr_celeba.txt"
    files, names, values = read_attributes(path)
    assert names == list(CELEBA_ATTRIBUTES) and len(files) == 13 and values.shape == (13, 40)
    first = path.read_text().splitlines()[2].split()
    assert files[0] == first[0] == "000001.jpg"
    assert values[0].tolist() == [(int(v) + 1) // 2 for v in first[1:]]
    assert set(np.unique(values).tolist()) <= {0, 1}


def test_official_partition_and_selected_attributes(celeba_root: Path) -> None:
    data = CelebA(str(celeba_root), attributes=["Male", "Blond_Hair", "Black_Hair"], image_size=32, batch_size=2,
                  num_workers=0)
    assert data.domain_names == ["Male", "Blond_Hair", "Black_Hair"] and data.label_kind == "attributes"
    assert data.exclusive_groups == [[1, 2]] and data.input_shape == (3, 32, 32)
    data.setup("fit")
    partition = read_partition(celeba_root / "celeba" / "list_eval_partition.txt")
    for split, code in (("train", 0), ("val", 1), ("test", 2)):
        dataset = getattr(data, f"{split}_set")
        assert dataset.files == sorted(f for f, p in partition.items() if p == code)
    files, names, values = read_attributes(celeba_root / "celeba" / "list_attr_celeba.txt")
    x, attrs = data.test_set[0]
    row = values[files.index(data.test_set.files[0])]
    assert attrs.tolist() == [float(row[names.index(a)]) for a in ("Male", "Blond_Hair", "Black_Hair")]
    assert x.shape == (3, 32, 32) and attrs.dtype == torch.float32
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    batch = next(iter(data.train_dataloader()))
    assert batch[0].shape == (2, 3, 32, 32) and batch[1].shape == (2, 3)


def test_default_is_stargans_five_attributes_and_the_178_crop(celeba_root: Path) -> None:
    data = CelebA(str(celeba_root / "celeba"), num_workers=0)  # the folder holding the files works too
    assert data.domain_names == ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
    assert data.crop_size == 178 and data.image_size == 128
    data.setup("fit")
    x, _ = data.val_set[0]
    assert x.shape == (3, 128, 128)
    # the centre 178 x 178 of a 178 x 218 image: rows 20..197 (the "hair" band of the fixture is the top 65 rows)
    from PIL import Image

    with Image.open(celeba_root / "celeba" / "img_align_celeba" / data.val_set.files[0]) as im:
        raw = torch.from_numpy(np.array(im.convert("RGB"))).permute(2, 0, 1).float() / 255
    assert raw.shape == (3, 218, 178)
    assert torch.allclose(((x[:, 0] + 1) / 2), torch.nn.functional.interpolate(
        raw[None, :, 20:198], size=(128, 128), mode="bilinear", antialias=True)[0, :, 0], atol=0.05)


def test_flips_depend_on_the_epoch_only_in_training(celeba_root: Path) -> None:
    data = CelebA(str(celeba_root), image_size=16, num_workers=0, seed=3)
    data.setup("fit")
    views = {data.train_set[(epoch, 0)][0].sum().item() for epoch in range(8)}
    assert len(views) == 2  # the image and its mirror
    assert data.train_set[(5, 0)][0].equal(data.train_set[(5, 0)][0])
    assert data.val_set[(1, 0)][0].equal(data.val_set[(2, 0)][0])


def test_errors_name_the_layout_and_the_flag(tmp_path: Path, celeba_root: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"--data.root") as err:
        CelebA(str(tmp_path / "nowhere")).setup("fit")
    assert "img_align_celeba" in str(err.value) and "list_attr_celeba.txt" in str(err.value)
    with pytest.raises(TLZooError, match="Blue_Hair"):
        CelebA(str(celeba_root), attributes=["Blue_Hair"])
    (celeba_root / "celeba" / "img_align_celeba" / "000001.jpg").unlink()
    with pytest.raises(DataNotFoundError, match="000001.jpg is missing"):
        CelebA(str(celeba_root)).setup("fit")
