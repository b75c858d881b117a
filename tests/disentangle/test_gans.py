"""cGAN, AC-GAN and InfoGAN: their objectives recomputed by hand, sampling, and the evaluation they add."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch import Trainer, seed_everything

from tests.disentangle.tiny import ConstantClassifier, TinyLabelled
from tlzoo.methods import ACGAN, CGAN, InfoGAN
from tlzoo.methods.disentangle.acgan import acgan_class_terms
from tlzoo.methods.disentangle.infogan import info_loss
from tlzoo.metrics.judge import Judge

SMALL = {"num_classes": 3, "input_shape": (1, 16, 16), "latent_dim": 4, "base_channels": 8,
         "discriminator_channels": 8}


def _trainer(**kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
                   enable_checkpointing=False, num_sanity_val_steps=0, **kwargs)


def test_acgan_classification_terms_by_hand() -> None:
    real_logits, fake_logits = torch.randn(4, 3), torch.randn(4, 3)
    y, c = torch.tensor([0, 2, 1, 2]), torch.tensor([1, 1, 0, 2])
    real, fake = acgan_class_terms(real_logits, y, fake_logits, c)
    by_hand = [-sum(math.log(torch.softmax(lg[i], 0)[lab[i]].item()) for i in range(4)) / 4
               for lg, lab in ((real_logits, y), (fake_logits, c))]
    assert real.item() == pytest.approx(by_hand[0], rel=1e-5) and fake.item() == pytest.approx(by_hand[1], rel=1e-5)


def test_acgan_objectives_are_the_sums_of_their_terms() -> None:
    seed_everything(0)
    model = ACGAN(class_weight=0.5, **SMALL)
    x, y, c = torch.rand(4, 1, 16, 16) * 2 - 1, torch.tensor([0, 1, 2, 0]), torch.tensor([2, 2, 1, 0])
    fake = model.generate(model.sample_noise(4), c)
    d = model.discriminator_losses(x, y, fake, c)
    s_real, c_real = model.discriminator(x)
    s_fake, c_fake = model.discriminator(fake)
    source = (F.binary_cross_entropy_with_logits(s_real, torch.ones(4))
              + F.binary_cross_entropy_with_logits(s_fake, torch.zeros(4)))
    classes = F.cross_entropy(c_real, y) + F.cross_entropy(c_fake, c)
    assert d["total"].item() == pytest.approx((source + 0.5 * classes).item(), rel=1e-5)
    g = model.generator_losses(fake, c)
    g_by_hand = F.binary_cross_entropy_with_logits(s_fake, torch.ones(4)) + 0.5 * F.cross_entropy(c_fake, c)
    assert g["total"].item() == pytest.approx(g_by_hand.item(), rel=1e-5)


def test_infogan_information_term_by_hand() -> None:
    logits, codes = torch.randn(5, 4), torch.tensor([0, 3, 1, 1, 2])
    mean, cont = torch.randn(5, 2), torch.rand(5, 2) * 2 - 1
    parts = info_loss(logits, codes, mean, cont, lambda_cat=1.0, lambda_cont=0.25)
    cat = -sum(torch.log_softmax(logits[i], 0)[codes[i]].item() for i in range(5)) / 5
    cont_nll = sum(0.5 * ((cont[i] - mean[i]) ** 2).sum().item() for i in range(5)) / 5
    assert parts["cat"].item() == pytest.approx(cat, rel=1e-5)
    assert parts["cont"].item() == pytest.approx(cont_nll, rel=1e-5)
    assert parts["total"].item() == pytest.approx(cat + 0.25 * cont_nll, rel=1e-5)
    # the bound: L_I = H(c) - cat <= H(c) = log K, reached when Q recovers the code
    sure = F.one_hot(codes, 4).float() * 50
    tight = info_loss(sure, codes, cont, cont)
    assert math.log(4) - tight["cat"].item() == pytest.approx(math.log(4), abs=1e-6) and tight["cont"].item() == 0
    assert math.log(4) - parts["cat"].item() < math.log(4)


def test_infogan_noise_and_codes_reach_the_generator() -> None:
    model = InfoGAN(categories=3, continuous_codes=2, **SMALL).eval()
    noise = model.sample_noise(6, torch.Generator().manual_seed(0))
    assert noise.shape == (6, 6) and noise[:, 4:].abs().max() <= 1
    a = model.generate(noise, torch.zeros(6, dtype=torch.long))
    b = model.generate(noise, torch.ones(6, dtype=torch.long))
    moved = noise.clone()
    moved[:, 4] += 1.0
    assert not torch.allclose(a, b) and not torch.allclose(a, model.generate(moved, torch.zeros(6, dtype=torch.long)))
    rows = model.image_grid((torch.rand(5, 1, 16, 16) * 2 - 1, torch.arange(5) % 3))
    assert [name for name, _ in rows][:4] == ["real", "code 0", "code 1", "code 2"]
    assert len(rows) == 1 + 3 + 2 * 2 and all(r.shape == (5, 1, 16, 16) for _, r in rows)


def test_infogan_uniform_noise_as_in_the_authors_launcher() -> None:
    model = InfoGAN(categories=3, continuous_codes=2, noise="uniform", **{**SMALL, "latent_dim": 400})
    noise = model.sample_noise(50, torch.Generator().manual_seed(0))
    z = noise[:, :400]
    assert noise.shape == (50, 402) and z.min() >= -1 and z.max() <= 1 and noise[:, 400:].abs().max() <= 1
    assert abs(z.mean().item()) < 0.02 and abs(z.var().item() - 1 / 3) < 0.02  # U(-1, 1): mean 0, variance 1/3
    normal = InfoGAN(categories=3, continuous_codes=2, **{**SMALL, "latent_dim": 400})
    assert normal.sample_noise(50, torch.Generator().manual_seed(0))[:, :400].abs().max() > 2  # N(0, I)
    with pytest.raises(ValueError, match="noise"):
        InfoGAN(categories=3, noise="laplace", **SMALL)  # type: ignore[arg-type]


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_cgan_discriminator_depends_on_the_label(conditioning: str) -> None:
    seed_everything(0)
    model = CGAN(conditioning=conditioning, **SMALL)
    with torch.no_grad():
        for p in model.discriminator.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    zero, two = model.discriminator(x, torch.tensor([0, 0])), model.discriminator(x, torch.tensor([2, 2]))
    assert zero.shape == (2,) and not torch.allclose(zero, two)


@pytest.mark.parametrize("cls", [CGAN, ACGAN, InfoGAN])
def test_evaluation_logs_the_method_metrics_and_the_judge(cls: type) -> None:
    seed_everything(0)
    model = cls(**SMALL) if cls is not InfoGAN else cls(categories=3, **SMALL)
    model.set_judge(Judge(ConstantClassifier(num_classes=3, winner=2), input_shape=(1, 16, 16)))
    out = _trainer(limit_test_batches=3).test(model, TinyLabelled(n=12), verbose=False)[0]
    assert "test/d_loss" in out and math.isfinite(out["test/fid_judge"])
    if cls is InfoGAN:  # codes matched to judged classes: a constant judge agrees with the most drawn code only
        assert "test/cluster_acc" in out and 0 < out["test/judge_acc"] < 1
    else:  # the judge always says "2": right for the requested 2s (4 of 12)
        assert out["test/judge_acc"] == pytest.approx(4 / 12) and out["test/judge_acc_2"] == 1.0
    if cls is ACGAN:
        assert 0 <= out["test/aux_acc"] <= 1


def test_evaluation_is_repeatable_and_leaves_the_training_rng_alone() -> None:
    seed_everything(0)
    model, data = CGAN(**SMALL), TinyLabelled(n=8)
    first = _trainer(limit_val_batches=2).validate(model, data, verbose=False)[0]
    second = _trainer(limit_val_batches=2).validate(model, data, verbose=False)[0]
    assert first == second
    # evaluation noise comes from its own generator: the global stream (training noise) does not move
    torch.manual_seed(5)
    model.sample(torch.tensor([0, 1, 2]), generator=model._eval_generator(0))
    drawn = torch.rand(1)
    torch.manual_seed(5)
    assert torch.equal(drawn, torch.rand(1))
