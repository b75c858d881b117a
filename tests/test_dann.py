"""DANN's loss, its schedule inside training, and exact resume."""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from lightning.pytorch import Callback, Trainer, seed_everything

from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import DANN
from tlzoo.methods.da.dann import domain_adversarial_loss
from tlzoo.nn.grl import dann_lambda


def test_domain_loss_matches_hand_computation() -> None:
    ls, lt = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0, 1.0])
    by_hand = 0.5 * (sum(math.log1p(math.exp(-v)) for v in ls.tolist()) / 2
                     + sum(math.log1p(math.exp(v)) for v in lt.tolist()) / 3)
    assert abs(float(domain_adversarial_loss(ls, lt)) - by_hand) < 1e-6


def test_feature_gradient_from_domain_loss_is_reversed() -> None:
    model = DANN(num_classes=10, input_shape=(1, 28, 28))
    model.grl.total_steps = 10
    model.grl.num_steps = 5
    x = torch.randn(8, 1, 28, 28)
    feats = model.features(x).detach().requires_grad_(True)
    d = model.discriminator(feats).squeeze(1)
    g_plain = torch.autograd.grad(domain_adversarial_loss(d[:4], d[4:]), feats)[0]
    d_rev = model.discriminator(model.grl(feats)).squeeze(1)
    g_rev = torch.autograd.grad(domain_adversarial_loss(d_rev[:4], d_rev[4:]), feats)[0]
    torch.testing.assert_close(g_rev, -dann_lambda(0.5) * g_plain)


class _StopAfterFirstEpoch(Callback):
    def on_train_epoch_end(self, trainer: Trainer, pl_module) -> None:
        trainer.should_stop = True


def _trainer(tmp: Path, epochs: int, callbacks: list[Callback] | None = None) -> Trainer:
    from lightning.pytorch.callbacks import ModelCheckpoint

    return Trainer(
        max_epochs=epochs, limit_train_batches=6, limit_val_batches=1, logger=False,
        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", deterministic=True,
        callbacks=[ModelCheckpoint(dirpath=tmp, save_last=True), *(callbacks or [])],
    )


def _model() -> DANN:
    return DANN(num_classes=10, input_shape=(1, 28, 28))


def test_resume_continues_schedule_and_matches_uninterrupted_run(tmp_path: Path) -> None:
    seed_everything(0)
    straight = _model()
    _trainer(tmp_path / "a", 2).fit(straight, EmbeddedDigits(batch_size=16))

    seed_everything(0)
    interrupted = _model()
    _trainer(tmp_path / "b", 2, [_StopAfterFirstEpoch()]).fit(interrupted, EmbeddedDigits(batch_size=16))
    assert int(interrupted.grl.num_steps) == 6

    seed_everything(123)  # a different global RNG state must not matter (the data seed is the run's: pinned here)
    resumed = _model()
    _trainer(tmp_path / "c", 2).fit(resumed, EmbeddedDigits(batch_size=16, seed=0),
                                    ckpt_path=str(tmp_path / "b" / "last.ckpt"))
    assert int(resumed.grl.num_steps) == int(straight.grl.num_steps) == 12
    assert int(resumed.grl.total_steps) == 12
    for (name, p), q in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(p, q, msg=f"{name} differs after resume")


def test_one_training_step_reduces_loss_on_fixed_batch() -> None:
    seed_everything(0)
    model = _model()
    dm = EmbeddedDigits(batch_size=32)
    dm.setup()
    batch, _, _ = next(iter(dm.train_dataloader()))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x_s, y_s = batch["source"]
    before = F.cross_entropy(model(x_s), y_s).item()
    for _ in range(5):
        opt.zero_grad()
        model.training_step(batch, 0).backward()
        opt.step()
    assert F.cross_entropy(model(x_s), y_s).item() < before


class _CtrlC(Callback):
    def on_train_batch_end(self, trainer: Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if trainer.global_step == 4:
            raise KeyboardInterrupt


def test_ctrl_c_saves_interrupted_checkpoint_that_resumes(tmp_path: Path) -> None:
    from lightning.pytorch.callbacks import ModelCheckpoint

    from tlzoo.cli import InterruptCheckpoint

    ckpt = ModelCheckpoint(dirpath=tmp_path)
    trainer = Trainer(max_epochs=1, limit_train_batches=8, limit_val_batches=1, logger=False, accelerator="cpu",
                      enable_progress_bar=False, enable_model_summary=False,
                      callbacks=[ckpt, InterruptCheckpoint(ckpt), _CtrlC()])
    model = _model()
    try:
        trainer.fit(model, EmbeddedDigits(batch_size=16))
    except SystemExit:
        pass  # Lightning exits after a KeyboardInterrupt once callbacks have run
    saved = tmp_path / "interrupted.ckpt"
    assert saved.is_file()
    state = torch.load(saved, map_location="cpu", weights_only=False)
    assert state["state_dict"]["grl._extra_state"]["num_steps"] == state["global_step"] == 4
