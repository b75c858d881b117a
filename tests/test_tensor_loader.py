"""Batched fetching from in-memory tensors: the same batches as the per-image DataLoader path, exact resume."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.utilities import CombinedLoader
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.transforms import v2

from tlzoo.data.base import EpochSeededSampler, EvaluationOrder, Unlabeled
from tlzoo.data.digits import EmbeddedDigits, digit_augmentation
from tlzoo.data.tensor_loader import RandomAffineBatch, apply_affine, batched_fetch
from tlzoo.data.tensors import StackedBatch, TensorImageDataset, UnlabeledTensorImages, collate_stacked


class PerItem(Dataset):
    """Hides ``__getitems__``: the DataLoader fetches image by image and collates, as before batching."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int):
        return self.dataset[index]


def torchvision_digits_jitter() -> v2.RandomAffine:
    return v2.RandomAffine(degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1))


def per_item_reference(dm: EmbeddedDigits) -> CombinedLoader:
    """The train loader as it was built before batched fetching: torchvision's per-image jitter, per-image
    fetching and ``default_collate``, the same samplers."""
    src = dm.source_train
    source = TensorImageDataset(src.images, src.labels, torchvision_digits_jitter() if dm.augment else None)
    target = Unlabeled(dm.target_train)
    loaders = {
        name: DataLoader(PerItem(ds), batch_size=dm.batch_size, sampler=EpochSeededSampler(ds, dm.seed),
                         drop_last=True)
        for name, ds in (("source", source), ("target", target))
    }
    return CombinedLoader(loaders, mode="max_size_cycle")


def epoch_batches(loader: CombinedLoader, epoch: int, rng_seed: int) -> list:
    for dl in loader.flattened:
        dl.sampler.set_epoch(epoch)
    torch.manual_seed(rng_seed)
    return [batch for batch, _, _ in loader]


def assert_same_batches(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert torch.equal(x["source"][0], y["source"][0])
        assert torch.equal(x["source"][1], y["source"][1])
        assert torch.equal(x["target"], y["target"])


@pytest.fixture(scope="module")
def digits() -> EmbeddedDigits:
    dm = EmbeddedDigits(source="uci", augment=True, batch_size=64, seed=3)
    dm.setup("fit")
    return dm


# -- the augmentation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(300, 1, 28, 28), (40, 3, 20, 32)])
def test_batched_jitter_equals_torchvision_per_image(shape: tuple[int, ...]) -> None:
    x = torch.rand(*shape)
    torch.manual_seed(7)
    batched = digit_augmentation()(x)
    after_batched = torch.get_rng_state()
    torch.manual_seed(7)
    reference = torchvision_digits_jitter()
    per_image = torch.stack([reference(img) for img in x])
    assert torch.equal(batched, per_image)
    assert torch.equal(after_batched, torch.get_rng_state())  # the same random numbers were drawn
    torch.manual_seed(7)
    one = digit_augmentation()(x[0])  # a single (C, H, W) image
    torch.manual_seed(7)
    assert torch.equal(one, reference(x[0]))


def test_jitter_parameters_stay_in_their_ranges() -> None:
    aug = RandomAffineBatch(degrees=10, translate=(2 / 28, 3 / 28), scale=(0.9, 1.1))
    torch.manual_seed(0)
    p = aug.sample_params(20_000, 28, 28)
    angle, tx, ty, scale = p.unbind(1)
    assert 9.9 < float(angle.abs().max()) <= 10 and abs(float(angle.mean())) < 0.2
    assert set(tx.tolist()) == {-2.0, -1.0, 0.0, 1.0, 2.0}  # whole pixels, up to 2/28 of 28
    assert set(ty.tolist()) == {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    assert 0.9 <= float(scale.min()) < 0.901 and 1.099 < float(scale.max()) <= 1.1
    # one random draw per image: different images of a batch get different parameters
    assert len(set(angle[:64].tolist())) == 64


def test_warp_is_identity_without_jitter_and_shifts_by_whole_pixels() -> None:
    x = torch.rand(5, 2, 12, 16)
    assert torch.equal(RandomAffineBatch(degrees=0)(x), x)
    # a pure shift by (+1, -2) pixels: output(y, x) = input(y + 2, x - 1)
    theta = RandomAffineBatch.inverse_matrices(torch.tensor([[0.0, 1.0, -2.0, 1.0]]).expand(5, 4))
    out = apply_affine(x, theta)
    assert torch.equal(out[..., :-2, 1:], x[..., 2:, :-1])
    assert float(out[..., -2:, :].abs().sum()) == 0.0 and float(out[..., :, :1].abs().sum()) == 0.0  # zero fill
    # a 90-degree rotation of a square image is a transpose-and-flip (nearest sampling, no loss)
    sq = torch.rand(3, 1, 9, 9)
    rot = apply_affine(sq, RandomAffineBatch.inverse_matrices(torch.tensor([[90.0, 0.0, 0.0, 1.0]]).expand(3, 4)))
    assert torch.equal(rot, torch.rot90(sq, k=1, dims=(2, 3))) or torch.equal(rot, torch.rot90(sq, k=-1, dims=(2, 3)))


def test_integer_images_are_rounded_back_like_torchvision() -> None:
    x = (torch.rand(20, 1, 28, 28) * 255).to(torch.uint8)
    torch.manual_seed(1)
    batched = digit_augmentation()(x)
    torch.manual_seed(1)
    ref = torchvision_digits_jitter()
    assert batched.dtype == torch.uint8 and torch.equal(batched, torch.stack([ref(img) for img in x]))


def test_bad_jitter_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="degrees"):
        RandomAffineBatch(degrees=-1)
    with pytest.raises(ValueError, match="translate"):
        RandomAffineBatch(degrees=1, translate=(1.5, 0))
    with pytest.raises(ValueError, match="scale"):
        RandomAffineBatch(degrees=1, scale=(1.2, 1.1))
    with pytest.raises(ValueError, match="N, C, H, W"):
        RandomAffineBatch(degrees=1)(torch.zeros(28, 28))


# -- the loaders -----------------------------------------------------------------------------------------
def test_train_batches_equal_the_per_image_dataloader_path(digits: EmbeddedDigits) -> None:
    fast, reference = digits.train_dataloader(), per_item_reference(digits)
    assert all(isinstance(dl.dataset, (TensorImageDataset, UnlabeledTensorImages)) for dl in fast.flattened)
    assert [len(dl) for dl in fast.flattened] == [len(dl) for dl in reference.flattened] == [1437 // 64, 3000 // 64]
    for epoch in (0, 1):
        torch.manual_seed(11)
        torch.rand(1)  # any global state: both paths start from the same one
        assert_same_batches(epoch_batches(fast, epoch, 11), epoch_batches(reference, epoch, 11))


def test_same_seed_and_epoch_give_the_same_batches_another_epoch_others(digits: EmbeddedDigits) -> None:
    loader = digits.train_dataloader()
    first, again = epoch_batches(loader, 2, 0), epoch_batches(loader, 2, 0)
    assert_same_batches(first, again)
    other = epoch_batches(loader, 3, 0)
    assert not torch.equal(first[0]["target"], other[0]["target"])
    assert not torch.equal(first[0]["source"][1], other[0]["source"][1])
    # the target domain is not augmented: its order depends on (seed, epoch) only, not on the global generator
    assert torch.equal(epoch_batches(loader, 2, 5)[4]["target"], first[4]["target"])
    # another data seed, another order
    dm = EmbeddedDigits(source="uci", augment=True, batch_size=64, seed=4)
    dm.source_train, dm.target_train = digits.source_train, digits.target_train
    assert not torch.equal(epoch_batches(dm.train_dataloader(), 2, 0)[0]["target"], first[0]["target"])


@pytest.mark.parametrize(("n", "batch_size", "shuffle", "drop_last"),
                         [(10, 4, True, True), (10, 4, False, False), (8, 4, True, True), (3, 4, True, True),
                          (3, 4, False, False), (1, 1, True, True)])
def test_lengths_and_drop_last_match_the_dataloader_path(n: int, batch_size: int, shuffle: bool,
                                                         drop_last: bool) -> None:
    ds = TensorImageDataset(torch.rand(n, 1, 5, 5), torch.arange(n))
    dm = EmbeddedDigits(batch_size=batch_size, seed=2)
    fast = dm._loader(ds, shuffle=shuffle, drop_last=drop_last)
    sampler = EpochSeededSampler(ds, 2) if shuffle else None
    ref = DataLoader(PerItem(ds), batch_size=batch_size, sampler=sampler,
                     drop_last=drop_last and n >= batch_size)
    assert len(fast) == len(ref)
    got, want = list(fast), list(ref)
    assert len(got) == len(want)
    for (x, y), (rx, ry) in zip(got, want):
        assert torch.equal(x, rx) and torch.equal(y, ry)


def test_validation_loaders_and_plain_dataloaders_still_collate(digits: EmbeddedDigits) -> None:
    val = digits.val_dataloader()
    for loader, ds in zip(val, (digits.source_val, digits.target_test)):
        assert loader.dataset is ds  # labelled splits are served as they are
        for (x, y), (rx, ry) in zip(loader, DataLoader(PerItem(ds), batch_size=64, sampler=EvaluationOrder(ds))):
            assert torch.equal(x, rx) and torch.equal(y, ry)
    # code that builds its own DataLoader (default_collate) over the dataset or a Subset gets the same batches
    for ds in (digits.source_val, Subset(digits.source_val, range(10, 50))):
        for (x, y), (rx, ry) in zip(DataLoader(ds, batch_size=16), DataLoader(PerItem(ds), batch_size=16)):
            assert torch.equal(x, rx) and torch.equal(y, ry)


def test_non_batched_transforms_and_custom_collate_are_kept() -> None:
    calls = []

    def flip(img: torch.Tensor) -> torch.Tensor:
        calls.append(img.shape)
        return img.flip(-1)

    ds = TensorImageDataset(torch.rand(6, 1, 4, 4), torch.arange(6), flip)
    x, y = collate_stacked(ds.__getitems__([5, 0, 2]))
    assert calls == [(1, 4, 4)] * 3  # image by image, as the transform expects
    assert torch.equal(x, torch.stack([ds[i][0] for i in (5, 0, 2)])) and y.tolist() == [5, 0, 2]
    custom = object()
    assert batched_fetch(ds, custom) == (ds, custom)  # type: ignore[arg-type]
    other = PerItem(ds)
    assert batched_fetch(other, None) == (other, None)
    unlabeled, collate = batched_fetch(Unlabeled(ds), None)
    assert isinstance(unlabeled, UnlabeledTensorImages) and isinstance(unlabeled, Unlabeled)
    assert collate is collate_stacked and len(unlabeled) == 6 and torch.equal(unlabeled[1], ds[1][0])
    batch = unlabeled.__getitems__([1, 2])
    assert isinstance(batch, StackedBatch) and len(batch) == 2 and torch.equal(batch[1], ds[2][0])
    with pytest.raises(IndexError):
        batch[2]


class _Recorder(LightningModule):
    """Records the source labels of each step; trains a throwaway parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.seen: list[tuple[int, list[int]]] = []

    def training_step(self, batch, batch_idx):
        self.seen.append((self.current_epoch, batch["source"][1].tolist()))
        return (self.w * batch["target"].mean()).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_lightning_sets_the_epoch_on_the_batched_loaders(digits: EmbeddedDigits, tmp_path) -> None:
    dm = EmbeddedDigits(source="uci", augment=True, batch_size=64, seed=3)
    dm.source_train, dm.source_val = digits.source_train, digits.source_val
    dm.target_train, dm.target_test = digits.target_train, digits.target_test
    model = _Recorder()
    trainer = Trainer(max_epochs=2, limit_train_batches=3, limit_val_batches=0, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=tmp_path)
    trainer.fit(model, dm)
    labels = digits.source_train.labels
    for epoch in (0, 1):
        sampler = EpochSeededSampler(labels, 3)
        sampler.set_epoch(epoch)
        order = list(sampler)
        seen = [lab for e, lab in model.seen if e == epoch]
        assert seen == [labels[order[i * 64:(i + 1) * 64]].tolist() for i in range(3)]


def test_subclasses_with_their_own_examples_are_fetched_one_by_one() -> None:
    class Shifted(TensorImageDataset):
        def __getitem__(self, index: int):
            x, y = super().__getitem__(index)
            return x + 1, y

    ds = Shifted(torch.zeros(5, 1, 2, 2), torch.arange(5))
    x, y = next(iter(DataLoader(ds, batch_size=5)))
    assert float(x.min()) == 0.0 and float(x.max()) == 0.0  # (0 - 0.5) / 0.5 + 1
