"""Learning checks (slow; ``make test-slow``): pix2pix beats the identity baseline in SSIM on real
MNIST-M -> MNIST pairs, and CycleGAN's UCI -> MNIST translations keep their digit above chance for a
MNIST classifier trained by the zoo."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from torchmetrics.image import StructuralSimilarityIndexMeasure

from tlzoo.data.digit_pairs import MNISTMPaired, UnpairedDigits
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import CycleGAN, OptimConfig, Pix2Pix, SourceOnly, TranslationEval
from tlzoo.nn.backbones import BackboneConfig

pytestmark = pytest.mark.slow


def _trainer(root: Path, **kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                   devices=1, num_sanity_val_steps=0, default_root_dir=root, **kwargs)


def test_pix2pix_ssim_rises_above_the_identity_baseline(shared_data: Path, tmp_path: Path) -> None:
    seed_everything(0)
    data = MNISTMPaired(mnist_root=str(shared_data / "mnist"), mnistm_root=str(shared_data / "mnist_m_test"),
                        direction="BtoA", batch_size=32, eval_size=500)
    data.setup("fit")
    ssim = StructuralSimilarityIndexMeasure(data_range=1.0)
    for (a, _), (b, _) in zip(data.eval_a, data.eval_b):  # type: ignore[arg-type]
        ssim.update(data.spec_a.denormalize(a[None]), data.spec_b.denormalize(b[None]))
    identity = float(ssim.compute())
    model = Pix2Pix(channels_a=3, channels_b=3, num_downs=5, base_channels=32, discriminator_layers=2)
    trainer = _trainer(tmp_path, max_steps=400, limit_val_batches=0)
    trainer.fit(model, data)
    learned = _trainer(tmp_path, limit_val_batches=1.0).validate(model, data, verbose=False)[0]["val/ssim"]
    assert learned > identity + 0.1, (learned, identity)


def test_cyclegan_translations_keep_their_digit(tmp_path: Path) -> None:
    seed_everything(0)
    judge = SourceOnly(10, (1, 28, 28), backbone=BackboneConfig(name="lenet"), classifier_hidden=(),
                       optim=OptimConfig(name="adam", lr=1e-3, schedule="constant"))
    judge_trainer = _trainer(tmp_path / "judge", max_epochs=3, enable_checkpointing=False)
    judge_trainer.fit(judge, EmbeddedDigits(source="mnist", batch_size=64))
    judge_path = tmp_path / "judge.ckpt"
    judge_trainer.save_checkpoint(judge_path)
    (tmp_path / "config.yaml").write_text("data: {class_path: tlzoo.data.EmbeddedDigits}\n")

    seed_everything(0)
    model = CycleGAN(channels_a=1, channels_b=1, base_channels=16, residual_blocks=3, discriminator_channels=32,
                     discriminator_layers=2, evaluation=TranslationEval(judge_b=str(judge_path), fid=False))
    data = UnpairedDigits(source="uci", target="mnist", batch_size=32)
    trainer = _trainer(tmp_path / "cyclegan", max_steps=300, limit_val_batches=0)
    trainer.fit(model, data)
    metrics = _trainer(tmp_path / "cyclegan", limit_val_batches=10).validate(model, data, verbose=False)[0]
    assert metrics["val/label_preservation"] > 0.3, metrics  # chance: 0.1
    assert torch.isfinite(torch.tensor(metrics["val/cycle_l1"]))
