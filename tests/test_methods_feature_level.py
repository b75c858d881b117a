"""DDC, Deep CORAL, domain confusion (+ soft labels) and AdaBN: one training step each, the
optimiser split of the alternating method, the few-labels extension, and (slow) learning checks on
embedded digits (UCI 8x8 -> MNIST) against source-only with the same budget and seeds."""

from __future__ import annotations

import copy
import sys

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from torch.utils.data import TensorDataset

from tests.helpers import EXPERIMENTS, REPO
from tests.test_adabn import ShiftedBlobs
from tlzoo.data.few_labels import dataset_labels, draw_per_class, few_labelled_target, few_labels_loader
from tlzoo.data.tensors import TensorImageDataset
from tlzoo.errors import TLZooError
from tlzoo.methods import DDC, AdaBN, DeepCORAL, DomainConfusion, OptimConfig
from tlzoo.nn.backbones import BackboneConfig

CASES = {
    "ddc_linear": (DDC, {"kernel": "linear", "bottleneck_dim": 16}),
    "dan_mk_mmd": (DDC, {"kernel": "gaussian", "kernel_num": 5, "bottleneck_dim": 16, "adapt_logits": True,
                         "estimator": "unbiased", "mmd_schedule": "dann"}),
    "coral_logits": (DeepCORAL, {"align": "logits"}),
    "coral_features": (DeepCORAL, {"align": "features"}),
    "confusion": (DomainConfusion, {}),
    "confusion_soft_labels": (DomainConfusion, {"target_labels_per_class": 2}),
    "adabn": (AdaBN, {}),
}


def make(cls, **kwargs):
    return cls(num_classes=3, input_shape=(6,), backbone=BackboneConfig(name="mlp", hidden=(32,), batch_norm=True),
               classifier_hidden=(16,), optim=OptimConfig(lr=0.05), **kwargs)


@pytest.mark.parametrize("case", list(CASES))
def test_one_training_step_updates_the_network(case: str) -> None:
    seed_everything(0)
    cls, kwargs = CASES[case]
    model = make(cls, **kwargs)
    before = copy.deepcopy(model.state_dict())
    trainer = Trainer(fast_dev_run=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                      enable_model_summary=False)
    trainer.fit(model, datamodule=ShiftedBlobs())
    for key in ("train/cls_loss",):
        assert torch.isfinite(trainer.callback_metrics[key])
    changed = {k for k, v in model.state_dict().items() if v.dtype.is_floating_point and not torch.equal(v, before[k])}
    assert "backbone.body.0.weight" in changed and any(k.startswith("classifier.") for k in changed)
    if cls is DomainConfusion:
        assert any(k.startswith("discriminator.") for k in changed)
        assert trainer.global_step == 1  # two optimiser steps, one batch: global_step counts batches
    if case == "confusion_soft_labels":
        assert bool(model.soft_labels_seen.all())
        assert torch.allclose(model.soft_labels.sum(1), torch.ones(3))
        assert trainer.callback_metrics["train/soft_label_loss"] > 0


def test_adaptation_losses_are_logged() -> None:
    seed_everything(0)
    for cls, kwargs, key in [(DDC, {"bottleneck_dim": 8}, "train/mmd"), (DeepCORAL, {}, "train/coral"),
                             (DomainConfusion, {}, "train/confusion")]:
        model = make(cls, **kwargs)
        trainer = Trainer(fast_dev_run=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                          enable_model_summary=False)
        trainer.fit(model, datamodule=ShiftedBlobs())
        assert float(trainer.callback_metrics[key]) > 0, key


def test_confusion_optimisers_split_the_parameters() -> None:
    model = make(DomainConfusion)
    (opt_d, opt_f), _ = model.configure_optimizers()  # players: domain_classifier, then representation
    assert model.player_names == ["domain_classifier", "representation"]
    f_ids = {id(p) for g in opt_f.param_groups for p in g["params"]}
    d_ids = {id(p) for g in opt_d.param_groups for p in g["params"]}
    disc = {id(p) for p in model.discriminator.parameters()}
    assert d_ids == disc and not (f_ids & disc)
    assert f_ids | d_ids == {id(p) for p in model.parameters()}


def test_confusion_step_the_discriminator_sees_detached_features_only() -> None:
    """The discriminator's gradient comes from L_D only: the second backward (L_C + lambda L_conf,
    discriminator frozen by toggled_optimizer) adds nothing to it."""
    seed_everything(0)
    model = make(DomainConfusion, confusion_weight=1.0)
    dm = ShiftedBlobs()
    trainer = Trainer(fast_dev_run=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                      enable_model_summary=False)
    disc_grads: list[torch.Tensor] = []
    orig = model.manual_backward

    def spy(loss, *args, **kwargs):
        orig(loss, *args, **kwargs)
        disc_grads.append(torch.cat([p.grad.flatten() if p.grad is not None else torch.zeros(p.numel())
                                     for p in model.discriminator.parameters()]).clone())

    model.manual_backward = spy  # type: ignore[method-assign]
    trainer.fit(model, datamodule=dm)
    assert len(disc_grads) == 2
    assert disc_grads[0].abs().sum() > 0  # L_D trains the discriminator
    assert torch.equal(disc_grads[1], disc_grads[0])


def test_soft_labels_are_a_moving_average_of_source_predictions() -> None:
    model = make(DomainConfusion, target_labels_per_class=1, soft_label_momentum=0.5, temperature=1.0)
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    model.update_soft_labels(logits, torch.tensor([0, 1]))
    p = torch.softmax(logits, 1)
    assert torch.allclose(model.soft_labels[0], p[0]) and torch.allclose(model.soft_labels[1], p[1])
    assert torch.allclose(model.soft_labels[2], torch.full((3,), 1 / 3))  # unseen class untouched
    logits2 = torch.tensor([[0.0, 0.0, 1.0]])
    model.update_soft_labels(logits2, torch.tensor([0]))
    assert torch.allclose(model.soft_labels[0], 0.5 * p[0] + 0.5 * torch.softmax(logits2, 1)[0])
    assert torch.allclose(model.soft_labels[1], p[1])


# -- few labelled target examples ----------------------------------------------------------------
def test_few_labels_are_k_per_class_from_target_train_and_reproducible() -> None:
    dm = ShiftedBlobs()
    dm.setup()
    subset = few_labelled_target(dm, per_class=4, seed=7)
    labels = torch.tensor([int(dm.target_train[i][1]) for i in subset.indices])
    assert sorted(labels.tolist()) == [0] * 4 + [1] * 4 + [2] * 4
    assert subset.dataset is dm.target_train  # never target_test
    assert few_labelled_target(dm, 4, seed=7).indices == subset.indices
    assert few_labelled_target(dm, 4, seed=8).indices != subset.indices
    loader = few_labels_loader(dm, per_class=2, seed=0)
    xs, ys = zip(*loader, strict=True)
    assert sum(len(y) for y in ys) == 6 and loader.batch_size == 6
    with pytest.raises(TLZooError, match="fewer than"):
        few_labelled_target(dm, per_class=1000)
    with pytest.raises(TLZooError, match="target_train"):
        few_labelled_target(object(), per_class=1)


def test_dataset_labels_reads_attributes_or_items() -> None:
    x, y = torch.zeros(5, 1, 2, 2), torch.tensor([1, 0, 1, 2, 2])
    assert torch.equal(dataset_labels(TensorImageDataset(x, y)), y)
    assert torch.equal(dataset_labels(TensorDataset(x, y)), y)
    assert torch.equal(dataset_labels(torch.utils.data.Subset(TensorImageDataset(x, y), [4, 0])), torch.tensor([2, 1]))
    idx = draw_per_class(y, 1, 3, seed=0)
    assert sorted(y[idx].tolist()) == [0, 1, 2]


# -- learning checks on embedded digits -------------------------------------------------------------
sys.path.insert(0, str(REPO / "benchmarks"))

SEEDS = ("0", "1", "2")
EPOCHS = "5"
#: name -> (config, overrides). Measured 3-seed means (5 epochs, CPU) are in the module's report.
METHODS = {
    "adabn": ("adabn_digits.yaml", []),
    "ddc_linear": ("ddc_digits.yaml", []),
    "dan_mk_mmd": ("ddc_digits.yaml", ["--model.init_args.kernel", "gaussian", "--model.init_args.mmd_weight", "1",
                                       "--model.init_args.adapt_logits", "true"]),
    "deep_coral": ("coral_digits.yaml", []),
    "confusion": ("confusion_digits.yaml", []),
}


def _mean_target_acc(config: str, overrides: list[str], tmp_path) -> float:
    from common import fit_and_test

    accs = []
    for seed in SEEDS:
        r = fit_and_test([str(EXPERIMENTS / config)],
                         ["--trainer.max_epochs", EPOCHS, "--seed_everything", seed, "--data.init_args.seed", seed,
                          *overrides], str(tmp_path / f"{config}-{seed}"))
        assert r["test/source_acc"] > 0.9, (config, seed, r)  # the source task is learned
        accs.append(r["test/target_acc"])
    return sum(accs) / len(accs)


@pytest.fixture(scope="module")
def source_only_target_acc(tmp_path_factory) -> float:
    return _mean_target_acc("source_only_digits.yaml", [], tmp_path_factory.mktemp("so"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(METHODS))
def test_method_beats_source_only_on_embedded_digits(name: str, source_only_target_acc: float, tmp_path) -> None:
    """Mean target accuracy over 3 seeds, 5 epochs each (1.5-4 min per method on one shared CPU core)."""
    config, overrides = METHODS[name]
    acc = _mean_target_acc(config, overrides, tmp_path)
    print(f"{name}: mean target acc {acc:.4f} vs source-only {source_only_target_acc:.4f}")
    assert acc > source_only_target_acc + 0.01, (name, acc, source_only_target_acc)
