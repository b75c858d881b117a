"""The contract every adversarial method (several players stepped by hand) keeps, parametrised over them:

* a player's step changes its own parameters and leaves every other player's unchanged;
* every player moves during training;
* training length is counted in batches: ``max_steps`` batches are trained, ``global_step`` equals
  the number of batches and each schedule is stepped once per batch, whatever the number of optimisers;
* a run resumed from a checkpoint ends with exactly the weights (image pools and schedules included)
  of an uninterrupted run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback, LightningModule, Trainer, seed_everything

from tests.test_adabn import ShiftedBlobs
from tests.test_adda import TinyDigits
from tlzoo.data.base import Unlabeled
from tlzoo.data.digit_pairs import PairedTensorDataset
from tlzoo.data.spec import ImageSpec
from tlzoo.data.translation import TranslationDataModule
from tlzoo.data.usps_mnist import ByteImageDataset
from tlzoo.methods import ADDA, CycleGAN, DomainConfusion, OptimConfig, Pix2Pix
from tlzoo.nn.backbones import BackboneConfig


class TinyTranslation(TranslationDataModule):
    """Random 1x16x16 images, 8 per split; paired (B = 1 - A) or unpaired."""

    def __init__(self, paired: bool, batch_size: int = 2) -> None:
        super().__init__(batch_size=batch_size)
        self.paired = paired
        self.set_specs(ImageSpec.symmetric(1, 16), ImageSpec.symmetric(1, 16))

    def build(self) -> None:
        g = torch.Generator().manual_seed(0)
        a = torch.randint(0, 256, (8, 1, 16, 16), generator=g, dtype=torch.uint8)
        b = 255 - a
        labels = torch.arange(8) % 2
        if self.paired:
            self.train_pairs = PairedTensorDataset(a, b, None)
        else:
            self.train_a = Unlabeled(ByteImageDataset(a, labels))
            self.train_b = Unlabeled(ByteImageDataset(b, labels))
        self.eval_a = ByteImageDataset(a[:4], labels[:4])
        self.eval_b = ByteImageDataset(b[:4], labels[:4])


def _adda() -> tuple[LightningModule, Any]:
    model = ADDA(10, (1, 28, 28), backbone=BackboneConfig(name="dann_digits", batch_norm=True), pretrain_epochs=1)
    return model, TinyDigits(batch_size=8)


def _confusion() -> tuple[LightningModule, Any]:
    model = DomainConfusion(num_classes=3, input_shape=(6,), classifier_hidden=(16,), optim=OptimConfig(lr=0.05),
                            backbone=BackboneConfig(name="mlp", hidden=(32,), batch_norm=True))
    return model, ShiftedBlobs()


def _pix2pix() -> tuple[LightningModule, Any]:
    model = Pix2Pix(channels_a=1, channels_b=1, num_downs=3, base_channels=8, discriminator_channels=8,
                    discriminator_layers=1)
    return model, TinyTranslation(paired=True)


def _cyclegan() -> tuple[LightningModule, Any]:
    model = CycleGAN(channels_a=1, channels_b=1, base_channels=8, residual_blocks=1, discriminator_channels=8,
                     discriminator_layers=1, pool_size=3)
    return model, TinyTranslation(paired=False)


#: name -> factory of (method, data); ADDA runs its adversarial stage from the second epoch on.
CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {
    "adda": _adda, "confusion": _confusion, "pix2pix": _pix2pix, "cyclegan": _cyclegan,
}
#: epochs before every player steps
WARMUP = {"adda": 1}


def _collect_family_cases() -> None:
    """Families register their methods in ``tests/contracts/cases_<family>.py``: a ``CASES`` dict like the one
    above (and optionally ``WARMUP``), so that every adversarial method is covered without editing this file."""
    import importlib

    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(f"tests.contracts.{path.stem}")
        clash = set(CASES) & set(module.CASES)
        assert not clash, f"{path.name} redefines contract cases {sorted(clash)}"
        CASES.update(module.CASES)
        WARMUP.update(getattr(module, "WARMUP", {}))


_collect_family_cases()


def _trainer(tmp: Path | None = None, **kwargs: Any) -> Trainer:
    kwargs.setdefault("limit_val_batches", 0)
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                   devices=1, num_sanity_val_steps=0, enable_checkpointing=False, default_root_dir=tmp, **kwargs)


def _player_params(model: Any) -> dict[str, list[torch.Tensor]]:
    return {name: [p for g in model.player_optimizer(name).optimizer.param_groups for p in g["params"]]
            for name in model.player_names}


@pytest.mark.parametrize("case", list(CASES))
def test_each_player_step_moves_only_its_own_parameters(case: str) -> None:
    seed_everything(0)
    model, data = CASES[case]()
    steps: list[str] = []
    original = model.player_step

    def checked_step(name: str, compute_loss: Callable[[], torch.Tensor]) -> torch.Tensor:
        players = _player_params(model)
        before = {n: [p.detach().clone() for p in ps] for n, ps in players.items()}
        loss = original(name, compute_loss)
        for other, params in players.items():
            same = all(torch.equal(p, q) for p, q in zip(params, before[other]))
            if other == name:
                assert not same, f"{case}: the {name} step did not change its parameters"
            else:
                assert same, f"{case}: the {name} step changed the parameters of {other}"
        steps.append(name)
        return loss

    model.player_step = checked_step  # type: ignore[method-assign]
    epochs = WARMUP.get(case, 0) + 1
    _trainer(max_epochs=epochs, limit_train_batches=2).fit(model, data)
    assert set(steps) >= set(model.player_names) - ({"source"} if case == "adda" else set()), steps


@pytest.mark.parametrize("case", list(CASES))
def test_training_length_is_counted_in_batches(case: str) -> None:
    seed_everything(0)
    model, data = CASES[case]()
    calls = []
    original = model.training_step

    def counting_step(batch: Any, batch_idx: int) -> Any:
        calls.append(batch_idx)
        return original(batch, batch_idx)

    model.training_step = counting_step  # type: ignore[method-assign]
    batches = 2 * (WARMUP.get(case, 0) + 1) + 1
    trainer = _trainer(max_steps=batches, limit_train_batches=2)
    trainer.fit(model, data)
    assert len(calls) == batches == trainer.global_step
    for scheduler in trainer.lr_scheduler_configs:
        assert scheduler.scheduler.last_epoch == batches  # one schedule step per batch


class _StopAfter(Callback):
    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.current_epoch + 1 >= self.epochs:
            trainer.should_stop = True


def _weights(model: torch.nn.Module) -> dict[str, Any]:
    return copy.deepcopy(model.state_dict())


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], torch.Tensor):
            assert torch.equal(a[key], b[key]), key
        else:  # extra states (image pools, schedule counters)
            assert repr(a[key]) == repr(b[key]) or _equal_nested(a[key], b[key]), key


def _equal_nested(x: Any, y: Any) -> bool:
    if isinstance(x, torch.Tensor):
        return isinstance(y, torch.Tensor) and x.shape == y.shape and torch.equal(x, y)
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_equal_nested(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_equal_nested(u, v) for u, v in zip(x, y))
    return x == y


@pytest.mark.parametrize("case", list(CASES))
def test_resume_ends_with_the_weights_of_an_uninterrupted_run(case: str, tmp_path: Path) -> None:
    epochs = WARMUP.get(case, 0) + 2
    seed_everything(0)
    model, data = CASES[case]()
    _trainer(max_epochs=epochs, limit_train_batches=2).fit(model, data)
    straight = _weights(model)

    seed_everything(0)
    model, data = CASES[case]()
    # the same planned run (schedules depend on its length), stopped after its first epochs
    trainer = _trainer(tmp_path, max_epochs=epochs, limit_train_batches=2, callbacks=[_StopAfter(epochs - 1)])
    trainer.fit(model, data)
    assert trainer.current_epoch == epochs - 1
    trainer.save_checkpoint(tmp_path / "half.ckpt")
    seed_everything(0)  # the run's seed, which data modules take as their data seed (splits, shuffling)
    resumed, data = CASES[case]()
    seed_everything(123)  # whatever the process did in between: the checkpoint's RNG states must win
    _trainer(tmp_path, max_epochs=epochs, limit_train_batches=2).fit(resumed, data, ckpt_path=tmp_path / "half.ckpt")
    _assert_same(straight, _weights(resumed))
