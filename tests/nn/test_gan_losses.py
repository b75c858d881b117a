"""GAN, reconstruction and latent losses recomputed by hand; the domain-adversarial terms of DANN, ADDA
and domain confusion expressed through GANLoss."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tlzoo.nn.losses import (
    GANLoss,
    bce_with_target,
    clip_weights,
    cycle_consistency_loss,
    domain_adversarial_loss,
    domain_classifier_loss,
    domain_confusion_loss,
    gaussian_kl,
    gradient_penalty,
    identity_loss,
    l1_reconstruction,
)

REAL = torch.tensor([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]], dtype=torch.float64)
FAKE = torch.tensor([[-0.5, 1.5], [0.2, -2.0]], dtype=torch.float64)


def _softplus(v: float) -> float:
    return math.log1p(math.exp(v))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _flat(t: torch.Tensor) -> list[float]:
    return t.flatten().tolist()


def _by_hand(mode: str) -> tuple[float, float]:
    r, f = _flat(REAL), _flat(FAKE)
    if mode == "vanilla":  # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
        return _mean([_softplus(-v) for v in r]) + _mean([_softplus(v) for v in f]), _mean([_softplus(-v) for v in f])
    if mode == "lsgan":
        return _mean([(v - 1) ** 2 for v in r]) + _mean([v**2 for v in f]), _mean([(v - 1) ** 2 for v in f])
    if mode == "hinge":
        return _mean([max(0.0, 1 - v) for v in r]) + _mean([max(0.0, 1 + v) for v in f]), -_mean(f)
    return _mean(f) - _mean(r), -_mean(f)


@pytest.mark.parametrize("mode", ["vanilla", "lsgan", "hinge", "wgan"])
def test_gan_loss_by_hand(mode: str) -> None:
    loss = GANLoss(mode)  # type: ignore[arg-type]
    d_expected, g_expected = _by_hand(mode)
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(d_expected, rel=1e-12)
    assert loss.generator_loss(FAKE).item() == pytest.approx(g_expected, rel=1e-12)
    assert (loss(REAL, True) + loss(FAKE, False)).item() == pytest.approx(d_expected, rel=1e-12)


@pytest.mark.parametrize("mode", ["vanilla", "lsgan", "hinge", "wgan"])
def test_gan_loss_low_precision_inputs_give_float32(mode: str) -> None:
    loss = GANLoss(mode)  # type: ignore[arg-type]
    real, fake = REAL.to(torch.bfloat16), FAKE.to(torch.bfloat16)
    d, g = loss.discriminator_loss(real, fake), loss.generator_loss(fake)
    assert d.dtype == torch.float32 and g.dtype == torch.float32
    d_expected, g_expected = _by_hand(mode)
    assert d.item() == pytest.approx(d_expected, abs=0.05) and g.item() == pytest.approx(g_expected, abs=0.05)


def test_gan_loss_rejects_unknown_mode_and_bce_helper() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        GANLoss("minimax")  # type: ignore[arg-type]
    z = torch.tensor([0.3, -1.2], dtype=torch.float64)
    assert bce_with_target(z, 1.0).item() == pytest.approx(_mean([_softplus(-0.3), _softplus(1.2)]))
    assert bce_with_target(z, 0.25).item() == pytest.approx(
        _mean([0.25 * _softplus(-v) + 0.75 * _softplus(v) for v in z.tolist()]))


# -- WGAN-GP and clipping ------------------------------------------------------------------------
def test_gradient_penalty_on_a_linear_critic() -> None:
    torch.manual_seed(0)
    w = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)

    def critic(x: torch.Tensor) -> torch.Tensor:  # grad_x critic(x) = w for every example
        return (w * x).flatten(1).sum(1)

    real = torch.randn(4, 2, 3, 3, dtype=torch.float64)
    fake = torch.randn(4, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    gp = gradient_penalty(critic, real, fake)
    norm = w.detach().norm().item()
    assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-12)
    (grad_w,) = torch.autograd.grad(gp, w)  # create_graph=True: the penalty trains the critic
    assert torch.allclose(grad_w, 2 * (norm - 1) * w.detach() / norm)
    assert gradient_penalty(lambda x: (critic(x), x.sum()), real, fake, target_norm=0.5).item() == pytest.approx(
        (norm - 0.5) ** 2, rel=1e-12)
    assert fake.grad is None


def test_clip_weights() -> None:
    layer = nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, -0.001, -2.0], [0.005, 0.02, -0.02]]))
        layer.bias.copy_(torch.tensor([0.003, -0.3]))
    clip_weights(layer, 0.01)
    assert torch.allclose(layer.weight, torch.tensor([[0.01, -0.001, -0.01], [0.005, 0.01, -0.01]]))
    assert layer.bias.tolist() == pytest.approx([0.003, -0.01])


# -- reconstruction and latent -------------------------------------------------------------------
def test_l1_cycle_identity_by_hand() -> None:
    x = torch.tensor([[[[1.0, -2.0], [0.5, 0.0]]]])
    y = torch.tensor([[[[0.0, -1.0], [0.5, 2.0]]]])
    expected = (1.0 + 1.0 + 0.0 + 2.0) / 4
    assert l1_reconstruction(x, y).item() == pytest.approx(expected)
    assert cycle_consistency_loss(x, y).item() == pytest.approx(expected)
    assert identity_loss(x, y).item() == pytest.approx(expected)
    assert l1_reconstruction(x.half(), y.half()).dtype == torch.float32
    with pytest.raises(ValueError, match="same shape"):
        l1_reconstruction(x, y[..., :1])


def test_gaussian_kl_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    mu = torch.randn(5, 4, dtype=torch.float64)
    logvar = torch.randn(5, 4, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    assert gaussian_kl(mu, logvar).item() == pytest.approx(expected.item(), rel=1e-12)
    assert gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)).item() == 0.0


# -- domain-adversarial terms in GAN form ---------------------------------------------------------
def _bce_terms(s: torch.Tensor, t: torch.Tensor) -> tuple[float, float]:
    return _mean([_softplus(-v) for v in s.tolist()]), _mean([_softplus(v) for v in t.tolist()])


def test_adda_terms_are_the_vanilla_gan_loss() -> None:
    s = torch.tensor([1.0, -0.5, 2.0, 0.1], dtype=torch.float64)
    t = torch.tensor([-1.5, 0.3, 0.0, 0.7], dtype=torch.float64)
    loss_s, loss_t = _bce_terms(s, t)
    # ADDA eq. 9: L_advD = -E log D(M_s(x_s)) - E log(1 - D(M_t(x_t))); L_advM = -E log D(M_t(x_t))
    assert GANLoss("vanilla").discriminator_loss(s, t).item() == pytest.approx(loss_s + loss_t, rel=1e-12)
    assert GANLoss("vanilla").generator_loss(t).item() == pytest.approx(_mean([_softplus(-v) for v in t.tolist()]))


def test_dann_and_confusion_terms() -> None:
    s = torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64)
    t = torch.tensor([-1.5, 0.3, 0.7], dtype=torch.float64)
    loss_s, loss_t = _bce_terms(s, t)
    assert domain_adversarial_loss(s, t).item() == pytest.approx(0.5 * (loss_s + loss_t), rel=1e-12)
    # ICCV'15 L_D with single logits (source = index 0 = the positive side) = DANN's L_d for equal batches
    logits = torch.cat([s, t]).float()
    domains = torch.cat([torch.zeros(3), torch.ones(3)]).long()
    assert domain_classifier_loss(logits, domains).item() == pytest.approx(domain_adversarial_loss(s, t).item(),
                                                                           rel=1e-6)
    # ICCV'15 L_conf: cross-entropy against (1/2, 1/2)
    conf = 0.5 * (bce_with_target(logits, 1.0) + bce_with_target(logits, 0.0))
    assert domain_confusion_loss(logits).item() == pytest.approx(conf.item(), rel=1e-6)
