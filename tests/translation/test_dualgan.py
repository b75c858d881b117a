"""DualGAN: the critic and generator objectives recomputed by hand, weight clipping and the gradient penalty,
the n_critic schedule in batches; and (slow) a learning check on real digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything

from tests.contracts.cases_dual_disco import TinyUnpaired, tiny_dualgan
from tests.translation.tiny import assert_translations_keep_their_digit, cpu_trainer, tiny_translations
from tlzoo.methods import DualGAN


def _trainer(**kwargs: Any) -> Trainer:
    return cpu_trainer(0, **kwargs)


def test_generator_loss_matches_the_paper_by_hand() -> None:
    torch.manual_seed(0)
    model = tiny_dualgan(lambda_a=300.0, lambda_b=700.0).eval()  # eval: no dropout, fixed normalisation
    u, v, fake_v, fake_u = tiny_translations(model)
    with torch.no_grad():
        parts = model.generator_losses(u, v, fake_v, fake_u)
        rec_u = (u - model.generator_ba(model.generator_ab(u))).abs().mean()
        rec_v = (v - model.generator_ab(model.generator_ba(v))).abs().mean()
        # l^g = lambda_U ||u - G_B(G_A(u))|| + lambda_V ||v - G_A(G_B(v))|| - D_A(G_A(u)) - D_B(G_B(v)); D_A = critic_b
        expected = 300.0 * rec_u + 700.0 * rec_v - model.critic_b(fake_v).mean() - model.critic_a(fake_u).mean()
    torch.testing.assert_close(parts["total"], expected)
    torch.testing.assert_close(parts["rec_a"], rec_u)


def test_critic_loss_is_the_negated_wasserstein_estimate() -> None:
    torch.manual_seed(0)
    model = tiny_dualgan().eval()
    u, v, fake_v, fake_u = tiny_translations(model)
    with torch.no_grad():
        loss = model.critic_loss(u, v, fake_v, fake_u)["total"]
        expected = (model.critic_b(fake_v).mean() - model.critic_b(v).mean()
                    + model.critic_a(fake_u).mean() - model.critic_a(u).mean())
    torch.testing.assert_close(loss, expected)


def test_gradient_penalty_option_recomputed_by_hand() -> None:
    torch.manual_seed(0)
    model = tiny_dualgan(lipschitz="gp", critic_norm="none", gp_weight=7.0).eval()
    u, v, fake_v, fake_u = tiny_translations(model)
    torch.manual_seed(5)
    parts = model.critic_loss(u, v, fake_v, fake_u)

    torch.manual_seed(5)  # the same interpolation coefficients, drawn in the same order (critic_b, then critic_a)
    penalties = []
    for critic, real, fake in ((model.critic_b, v, fake_v), (model.critic_a, u, fake_u)):
        eps = torch.rand(real.shape[0], 1, 1, 1)
        norms = []
        for i in range(real.shape[0]):  # one example at a time: the critic has no cross-example normalisation
            x_hat = (eps[i] * real[i:i + 1] + (1 - eps[i]) * fake[i:i + 1]).requires_grad_(True)
            (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
            norms.append(grad.flatten().norm())
        penalties.append(((torch.stack(norms) - 1) ** 2).mean())
    with torch.no_grad():
        wasserstein = (model.critic_b(fake_v).mean() - model.critic_b(v).mean()
                       + model.critic_a(fake_u).mean() - model.critic_a(u).mean())
    torch.testing.assert_close(parts["gp"], penalties[0] + penalties[1])
    torch.testing.assert_close(parts["total"], wasserstein + 7.0 * (penalties[0] + penalties[1]))
    assert parts["total"].requires_grad  # the penalty trains the critics (create_graph)


def test_weight_clipping_keeps_every_critic_parameter_in_range() -> None:
    seed_everything(0)
    model = tiny_dualgan(clip_value=0.01, n_critic=1)
    critics = [p for c in (model.critic_a, model.critic_b) for p in c.parameters()]
    assert max(p.abs().max().item() for p in critics) > 0.01  # N(0, 0.02) init and BN scales ~1: out of range
    _trainer(max_steps=2).fit(model, TinyUnpaired())
    for p in critics:
        assert p.abs().max().item() <= 0.01 + 1e-9
    assert max(p.abs().max().item() for p in model.generator_ab.parameters()) > 0.01  # generators not clipped


def test_gp_mode_does_not_clip() -> None:
    seed_everything(0)
    model = tiny_dualgan(lipschitz="gp", critic_norm="instance", n_critic=1)
    _trainer(max_steps=2).fit(model, TinyUnpaired())
    assert max(p.abs().max().item() for p in model.critic_a.parameters()) > 0.01


def test_generators_step_once_every_n_critic_batches() -> None:
    seed_everything(0)
    model = tiny_dualgan(n_critic=3)
    steps: list[tuple[int, str]] = []
    original = model.player_step

    def recording(name: str, compute_loss: Any) -> torch.Tensor:
        steps.append((model.batches_done, name))
        return original(name, compute_loss)

    model.player_step = recording  # type: ignore[method-assign]
    trainer = _trainer(max_steps=7)
    trainer.fit(model, TinyUnpaired())
    assert trainer.global_step == 7
    assert [n for n in steps if n[1] == "critics"] == [(i, "critics") for i in range(7)]
    # after the critics of batches 3 and 6 (whose step global_step already counts)
    assert [b for b, name in steps if name == "generators"] == [3, 6]


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="n_critic"):
        tiny_dualgan(n_critic=0)
    with pytest.raises(ValueError, match="clip_value"):
        tiny_dualgan(clip_value=0.0)


@pytest.mark.slow
def test_dualgan_translations_keep_their_digit(shared_data: Path, tmp_path: Path) -> None:
    """USPS -> MNIST, the configuration of docs/translation_more.md (600 batches: 67% on its test split)."""
    from tests.translation.digit_judge import train_mnist_judge
    from tlzoo.data.digit_pairs import UnpairedDigits
    from tlzoo.methods import TranslationEval

    judge = train_mnist_judge(tmp_path)
    seed_everything(0)
    model = DualGAN(channels_a=1, channels_b=1, num_downs=5, base_channels=32, critic_channels=32, critic_layers=2,
                    evaluation=TranslationEval(judge_b=str(judge), fid=False))
    data = UnpairedDigits(source="usps", target="mnist", usps_root=str(shared_data / "usps"), batch_size=16)
    assert_translations_keep_their_digit(model, data, tmp_path)
