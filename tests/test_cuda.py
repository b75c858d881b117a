"""CUDA paths: mixed precision (fp16 with gradient scaling, bf16) and cuDNN. Skipped without a GPU;
run on a GPU machine with ``pytest tests/test_cuda.py``."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything

from tests.contracts.test_adversarial import CASES, WARMUP  # every family's adversarial methods
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import CVAE, DANN, DDC, DSN, DeepCORAL, SourceOnly

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed", "32-true"])
@pytest.mark.parametrize("method", [DANN, SourceOnly, DDC, DeepCORAL, DSN])
def test_training_on_gpu_is_finite_and_learns(method, precision: str) -> None:
    """Feature-level adaptation losses (MMD kernels, CORAL's covariances, DSN's reconstruction and difference
    terms) under fp16 autocast with gradient scaling, bf16 and fp32."""
    seed_everything(0)
    torch.backends.cudnn.benchmark = True
    model = method(num_classes=10, input_shape=(1, 28, 28))
    trainer = Trainer(accelerator="gpu", devices=1, precision=precision, max_epochs=2, logger=False,
                      enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False)
    trainer.fit(model, EmbeddedDigits(batch_size=64))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values()), metrics
    assert metrics["val/source_acc"] > 0.5, metrics  # well above chance (0.1) after 2 epochs
    assert torch.backends.cudnn.is_available() and torch.backends.cudnn.enabled


def test_gradient_reversal_under_autocast() -> None:
    from tlzoo.nn.grl import grad_reverse

    x = torch.randn(16, 8, device="cuda", requires_grad=True)
    with torch.autocast("cuda", dtype=torch.float16):
        y = grad_reverse(torch.nn.functional.linear(x, torch.ones(4, 8, device="cuda")), 0.5)
    y.float().sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, -0.5 * 4))


@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed"])
@pytest.mark.parametrize("case", list(CASES))
def test_adversarial_methods_under_mixed_precision(case: str, precision: str) -> None:
    """Several players stepped by hand under autocast (and fp16 gradient scaling), every adversarial method of
    the zoo (gradient penalties and cycle terms included): finite losses and weights, one global step per
    batch."""
    seed_everything(0)
    model, data = CASES[case]()
    steps = 2 * (WARMUP.get(case, 0) + 2)
    trainer = Trainer(accelerator="gpu", devices=1, precision=precision, max_steps=steps, limit_train_batches=2,
                      limit_val_batches=1, num_sanity_val_steps=0, logger=False, enable_progress_bar=False,
                      enable_checkpointing=False, enable_model_summary=False)
    trainer.fit(model, data)
    assert trainer.global_step == steps
    assert all(torch.isfinite(p).all() for p in model.parameters())
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    assert metrics and all(torch.isfinite(torch.tensor(v)) for v in metrics.values()), metrics


@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed"])
def test_cvae_under_mixed_precision(precision: str) -> None:
    """The cVAE's KL and reconstruction terms under autocast: finite, and the reconstruction well below chance's."""
    from tlzoo.data.labelled import LabelledDigits

    seed_everything(0)
    trainer = Trainer(accelerator="gpu", devices=1, precision=precision, max_epochs=3, logger=False,
                      enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False,
                      num_sanity_val_steps=0)
    trainer.fit(CVAE(), LabelledDigits(dataset="mnist", image_size=28, batch_size=64))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    assert metrics and all(torch.isfinite(torch.tensor(v)) for v in metrics.values()), metrics
    # an untrained decoder (logits ~ 0) pays 784 * log 2 = 543 nats per image; a learning one far less
    assert metrics["val/recon"] < 200, metrics
