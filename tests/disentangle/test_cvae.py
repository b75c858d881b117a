"""cVAE: the ELBO's terms recomputed by hand, conditional sampling, evaluation with and without a judge."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch import Trainer, seed_everything

from tests.disentangle.tiny import ConstantClassifier, TinyLabelled
from tlzoo.errors import TLZooError
from tlzoo.methods import CVAE, OptimConfig
from tlzoo.metrics.judge import Judge


def _trainer(**kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
                   enable_checkpointing=False, num_sanity_val_steps=0, **kwargs)


def _model(**kwargs) -> CVAE:
    return CVAE(num_classes=3, input_shape=(1, 16, 16), latent_dim=4, base_channels=8, **kwargs)


def test_kl_and_reconstruction_terms_by_hand() -> None:
    seed_everything(0)
    model = _model(beta=0.5)
    x = torch.rand(5, 1, 16, 16) * 2 - 1
    y = torch.tensor([0, 1, 2, 0, 1])
    torch.manual_seed(1)
    parts = model.losses(x, y)
    mu, logvar = model.encode(x, y)
    kl = sum(0.5 * sum(float(m) ** 2 + math.exp(float(lv)) - 1 - float(lv) for m, lv in zip(mu[i], logvar[i]))
             for i in range(5)) / 5
    assert parts["kl"].item() == pytest.approx(kl, rel=1e-5)
    p = torch.sigmoid(parts["logits"]).double()
    x01 = (x.double() + 1) / 2
    recon = -(x01 * p.log() + (1 - x01) * (1 - p).log()).sum() / 5
    assert parts["recon"].item() == pytest.approx(recon.item(), rel=1e-4)
    assert parts["loss"].item() == pytest.approx(parts["recon"].item() + 0.5 * parts["kl"].item(), rel=1e-6)


def test_bernoulli_means_are_the_generated_image() -> None:
    model = _model().eval()
    z, y = torch.randn(3, 4), torch.tensor([0, 1, 2])
    means = torch.sigmoid(model.decode_logits(z, y))
    torch.testing.assert_close(2 * means - 1, model.generate(z, y), atol=1e-5, rtol=1e-5)


def test_sample_follows_the_requested_classes_and_range() -> None:
    model = _model().eval()
    images = model.sample(torch.tensor([0, 2, 1, 1]))
    assert images.shape == (4, 1, 16, 16) and images.min() >= -1 and images.max() <= 1
    with pytest.raises(TLZooError, match="codes must be in"):
        model.sample(torch.tensor([3]))
    same = torch.randn(2, 4)
    a, b = model.sample(torch.tensor([0, 1]), noise=same), model.sample(torch.tensor([0, 1]), noise=same)
    assert torch.equal(a, b) and not torch.equal(a[0], b[1])


def test_reconstruction_falls_when_training() -> None:
    seed_everything(0)
    model, data = _model(optim=OptimConfig(name="adam", lr=3e-3, schedule="constant")), TinyLabelled(n=12, noise=10)
    before = _trainer(limit_val_batches=3).validate(model, data, verbose=False)[0]
    _trainer(max_epochs=25, limit_val_batches=0).fit(model, data)
    after = _trainer(limit_val_batches=3).validate(model, data, verbose=False)[0]
    # the Bernoulli likelihood of grey targets is bounded by their entropy: compare the excess over it
    x01 = torch.cat([x for x, _ in data.val_dataloader()]).double().add(1).div(2).clamp(1e-6, 1 - 1e-6)
    floor = (-(x01 * x01.log() + (1 - x01) * (1 - x01).log())).flatten(1).sum(1).mean().item()
    assert after["val/recon"] - floor < 0.5 * (before["val/recon"] - floor)
    assert {"val/loss", "val/recon", "val/kl"} <= set(after)
    assert not any(k.startswith("val/judge") or k.startswith("val/fid") for k in after)  # no judge given


def test_judge_metrics_with_a_judge() -> None:
    seed_everything(0)
    model = _model()
    model.set_judge(Judge(ConstantClassifier(num_classes=3, winner=1), input_shape=(1, 16, 16)))
    out = _trainer(limit_test_batches=3).test(model, TinyLabelled(n=12), verbose=False)[0]
    # the judge always says "1": right on the requested 1s only (4 of 12 test examples)
    assert out["test/judge_acc"] == pytest.approx(4 / 12)
    assert out["test/judge_acc_1"] == 1.0 and out["test/judge_acc_0"] == 0.0 == out["test/judge_acc_2"]
    assert math.isfinite(out["test/fid_judge"]) and "test/kid_judge" in out


def test_data_of_another_shape_is_refused() -> None:
    model = CVAE(num_classes=3, input_shape=(1, 28, 28), latent_dim=4, base_channels=8)
    with pytest.raises(TLZooError, match="input_shape"):
        _trainer(max_steps=1).fit(model, TinyLabelled())


def test_predict_writes_one_sample_per_example() -> None:
    model, data = _model(), TinyLabelled(n=6)
    out = _trainer().predict(model, datamodule=data)
    images = torch.cat([o["images"] for o in out])
    assert images.shape == (6, 1, 16, 16) and images.min() >= 0 and images.max() <= 1
    assert F.l1_loss(images, images.flip(0)) > 0
