"""ImagePool: fills, then swaps with probability 1/2; its contents and RNG survive a state_dict round trip."""

from __future__ import annotations

import io
from collections import Counter

import torch

from tlzoo.nn.image_pool import ImagePool


def _batch(start: int, n: int = 2) -> torch.Tensor:
    """``n`` 1x2x2 images whose pixels all equal their id (``start``, ``start + 1``, ...)."""
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()


def _ids(images: torch.Tensor) -> list[int]:
    return [int(img[0, 0, 0]) for img in images]


def test_fills_then_swaps() -> None:
    pool = ImagePool(size=4, seed=0)
    assert _ids(pool.query(_batch(0, 3))) == [0, 1, 2]  # not full: returned as given, stored
    assert pool.num_stored == 3
    assert _ids(pool.query(_batch(3, 1))) == [3]
    assert pool.num_stored == 4 and sorted(_ids(torch.stack(pool.images))) == [0, 1, 2, 3]

    returned_old = 0
    for step in range(25):
        new = _batch(100 + 2 * step)
        before = Counter(_ids(torch.stack(pool.images)))
        out = pool.query(new)
        after = Counter(_ids(torch.stack(pool.images)))
        assert out.shape == new.shape and pool.num_stored == 4
        # nothing is lost or duplicated: pool + returned = old pool + new images
        assert after + Counter(_ids(out)) == before + Counter(_ids(new))
        returned_old += sum(i not in _ids(new) for i in _ids(out))
    assert 10 < returned_old < 40  # about half of the 50 images came from the pool


def test_returned_images_are_detached() -> None:
    x = _batch(0).requires_grad_(True)
    for size in (0, 2):
        out = ImagePool(size=size).query(x * 2)
        assert not out.requires_grad


def test_size_zero_passes_through() -> None:
    pool = ImagePool(size=0)
    x = torch.randn(3, 3, 4, 4)
    assert torch.equal(pool.query(x), x)
    assert pool.num_stored == 0
    assert pool  # a module stays truthy even when empty


def test_state_survives_save_and_load() -> None:
    continued = ImagePool(size=3, seed=7)
    for step in range(4):  # full, and the RNG has advanced
        continued.query(_batch(10 * step))
    buffer = io.BytesIO()
    torch.save(continued.state_dict(), buffer)
    buffer.seek(0)
    restored = ImagePool(size=3, seed=123)  # a different seed: everything must come from the checkpoint
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.num_stored == 3
    for step in range(4, 20):
        a, b = continued.query(_batch(10 * step)), restored.query(_batch(10 * step))
        assert torch.equal(a, b)
    assert torch.equal(torch.stack(continued.images), torch.stack(restored.images))


def test_state_of_a_partly_filled_pool_round_trips() -> None:
    pool = ImagePool(size=5, seed=1)
    pool.query(_batch(0, 2))
    other = ImagePool(size=5, seed=1)
    other.load_state_dict(pool.state_dict())
    assert _ids(torch.stack(other.images)) == [0, 1]
    assert torch.equal(pool.query(_batch(2, 6)), other.query(_batch(2, 6)))
