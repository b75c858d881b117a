"""UNIT: the tied layers are shared tensors, the KL and L1 terms match a hand computation, it trains and scores
on both data contracts (translation data; adaptation data with source labels -> target accuracy), and a
slow learning check on real digits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything

from tests.contracts.cases_unit_dtn import TinyTranslation
from tests.test_adda import TinyDigits
from tests.translation.tiny import cpu_trainer
from tlzoo.methods import UNIT
from tlzoo.methods.translation.unit import unit_kl


def _trainer(tmp: Path, **kwargs: Any) -> Trainer:
    return cpu_trainer(1, default_root_dir=tmp, **kwargs)


def _unit(**kwargs: Any) -> UNIT:
    kwargs.setdefault("image_size", 16)
    return UNIT(channels_a=1, channels_b=1, base_channels=4, latent_channels=4, discriminator_channels=4, **kwargs)


def test_shared_layers_are_the_same_tensors() -> None:
    vaes = _unit().vaes
    assert vaes.encoder_a[1] is vaes.encoder_b[1] and vaes.generator_a[0] is vaes.generator_b[0]
    assert vaes.encoder_a[0] is not vaes.encoder_b[0] and vaes.generator_a[1] is not vaes.generator_b[1]
    for p, q in zip(vaes.encoder_a[1].parameters(), vaes.encoder_b[1].parameters(), strict=True):
        assert p is q
    for p, q in zip(vaes.generator_a[0].parameters(), vaes.generator_b[0].parameters(), strict=True):
        assert p is q
    # each shared tensor is listed (and so optimised) once
    ids = [id(p) for p in vaes.parameters()]
    assert len(ids) == len(set(ids))
    d = _unit(num_classes=10).discriminator
    assert d.body_a[1] is d.body_b[1] and d.body_a[0] is not d.body_b[0] and d.class_head_a is d.class_head_b


def test_kl_and_reconstruction_terms_by_hand() -> None:
    mu = torch.randn(3, 4, 2, 2)
    assert torch.allclose(unit_kl(mu), 0.5 * (mu ** 2).sum(dim=(1, 2, 3)).mean() / 16)
    seed_everything(0)
    model = _unit(lambda_cycle=0.0, lambda_cycle_kl=0.0)
    x_a, x_b = torch.rand(2, 1, 16, 16) * 2 - 1, torch.rand(2, 1, 16, 16) * 2 - 1
    torch.manual_seed(1)
    parts = model.generator_losses(x_a, x_b)
    mu_a, mu_b = model.vaes.encode_pair(x_a, x_b)  # BatchNorm in train mode: batch statistics, no randomness
    kl = 0.5 * (mu_a ** 2).flatten(1).mean(1).mean() + 0.5 * (mu_b ** 2).flatten(1).mean(1).mean()
    assert torch.allclose(parts["kl"], kl, atol=1e-6)
    recon = (parts["x_aa"] - x_a).abs().mean() + (parts["x_bb"] - x_b).abs().mean()
    assert torch.allclose(parts["recon"], recon, atol=1e-6)
    total = 10 * parts["gan"] + 0.1 * kl + 100 * recon
    assert torch.allclose(parts["total"], total, atol=1e-4)


def test_cycle_terms_are_computed_when_weighted() -> None:
    seed_everything(0)
    parts = _unit().generator_losses(torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16))
    assert parts["cycle"] > 0 and parts["cycle_kl"] > parts["kl"]


def test_fits_on_translation_data_and_logs_cycle(tmp_path: Path) -> None:
    seed_everything(0)
    model = _unit()
    trainer = _trainer(tmp_path, max_epochs=1, limit_train_batches=2)
    trainer.fit(model, TinyTranslation())
    assert "val/cycle_l1" in trainer.callback_metrics
    assert "val/target_acc" not in trainer.callback_metrics


def test_adaptation_data_trains_the_classifier_and_reports_target_accuracy(tmp_path: Path) -> None:
    seed_everything(0)
    model = UNIT(channels_a=1, channels_b=1, base_channels=4, latent_channels=4, discriminator_channels=4,
                 num_classes=10, input_shape=(1, 28, 28), lambda_feature=1.0, discriminator_dropout=0.1)
    trainer = _trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_test_batches=1, log_every_n_steps=1)
    trainer.fit(model, TinyDigits(batch_size=8))
    metrics = trainer.callback_metrics
    assert {"val/source_acc", "val/target_acc", "train/cls_loss", "train/feature"} <= set(metrics)
    out = {k: v for d in trainer.test(model, TinyDigits(batch_size=8), verbose=False) for k, v in d.items()}
    assert 0.0 <= out["test/target_acc"] <= 1.0


def test_wrong_channels_are_refused(tmp_path: Path) -> None:
    from tlzoo.errors import TLZooError

    model = UNIT(channels_a=3, channels_b=3, base_channels=4, latent_channels=4, discriminator_channels=4,
                 image_size=28)
    with pytest.raises(TLZooError, match="channels_a 1"):
        _trainer(tmp_path, max_steps=1).fit(model, TinyDigits(batch_size=8))


@pytest.mark.slow
def test_unit_translates_uci_to_mnist_preserving_labels(tmp_path: Path) -> None:
    """UCI -> MNIST (EmbeddedDigits) through the real CLI: ``tlzoo fit`` with ``unit_digits.yaml`` (the networks
    of ``unit_usps_mnist.yaml``, the paper's cycle terms on) for 500 batches, then ``tlzoo test`` of the last
    checkpoint. A
    MNIST judge labels the translated held-out UCI digits well above chance (0.1), and the D2-path classifier
    labels MNIST test digits above chance.

    Measured (seed 0, this set-up, shared 2-core CPU): test/label_preservation 0.572 and test/target_acc 0.540 after
    500 batches of 32 (a run validating every 100 batches: 0.11 at 300, 0.69 at 400, 0.63-0.66 up to 800); the
    untrained model 0.097 and 0.05 (its translations are one blob); the judge on untranslated
    UCI digits 0.70. Without the cycle terms (``unit_usps_mnist.yaml``) the A -> B translations collapse to one image
    and label_preservation stays at 0.09-0.19 up to 1,200 batches while target_acc still rises (0.50 at 400)."""
    from tests.helpers import EXPERIMENTS, run_cli
    from tests.translation.digit_judge import train_mnist_judge

    torch.set_num_threads(1)
    judge = train_mnist_judge(tmp_path, epochs=2)
    runs = tmp_path / "runs"
    code, out = run_cli([
        "fit", "-c", str(EXPERIMENTS / "translation" / "unit_digits.yaml"),
        "--model.init_args.evaluation.judge_b", str(judge), "--model.init_args.evaluation.fid", "false",
        "--trainer.max_steps", "500", "--trainer.limit_val_batches", "0", "--trainer.check_val_every_n_epoch", "1",
        "--trainer.callbacks", "null",
        "--trainer.logger", "false", "--trainer.accelerator", "cpu", "--trainer.devices", "1",
        "--trainer.enable_progress_bar", "false", "--trainer.default_root_dir", str(runs)])
    assert code == 0, out[-3000:]
    ckpt = next(runs.rglob("last.ckpt"))
    run = ckpt.parent.parent
    code, out = run_cli(["test", "-c", str(run / "config.yaml"), "--ckpt_path", str(ckpt)])
    assert code == 0, out[-3000:]
    metrics = json.loads((run / "test_metrics.json").read_text())["metrics"]
    assert metrics["test/label_preservation"] > 0.4, metrics  # chance 0.1; untrained 0.097
    assert metrics["test/target_acc"] > 0.3, metrics  # untrained 0.05
