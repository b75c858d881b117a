"""The gradient reversal layer and the DANN lambda schedule."""

from __future__ import annotations

import math

import pytest
import torch

from tlzoo.nn.grl import GradientReversal, dann_lambda, grad_reverse


def test_forward_is_identity_and_backward_is_minus_lambda_g() -> None:
    x = torch.randn(5, 3, requires_grad=True)
    g = torch.randn(5, 3)
    y = grad_reverse(x, 0.37)
    assert torch.equal(y, x)
    y.backward(g)
    torch.testing.assert_close(x.grad, -0.37 * g)


def test_module_uses_scheduled_lambda() -> None:
    grl = GradientReversal(gamma=10.0, total_steps=100)
    for _ in range(30):
        grl.step()
    x = torch.ones(4, requires_grad=True)
    grl(x).sum().backward()
    expected = 2.0 / (1.0 + math.exp(-10.0 * 0.3)) - 1.0
    torch.testing.assert_close(x.grad, torch.full((4,), -expected))


def test_schedule_matches_paper_formula() -> None:
    assert dann_lambda(0.0) == 0.0
    assert dann_lambda(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert dann_lambda(0.5, gamma=10, lambda_max=0.1) == pytest.approx(0.1 * (2 / (1 + math.exp(-5)) - 1))
    values = [dann_lambda(p / 10) for p in range(11)]
    assert values == sorted(values), "lambda must grow monotonically with progress"


def test_constant_schedule_and_unknown_schedule() -> None:
    grl = GradientReversal(lambda_max=0.3, schedule="constant", total_steps=10)
    assert grl.coeff == 0.3
    with pytest.raises(ValueError, match="schedule"):
        GradientReversal(schedule="linear")


def test_schedule_state_survives_state_dict_round_trip() -> None:
    grl = GradientReversal(total_steps=50)
    for _ in range(17):
        grl.step()
    restored = GradientReversal()
    restored.load_state_dict(grl.state_dict())
    assert int(restored.num_steps) == 17 and int(restored.total_steps) == 50
    assert restored.coeff == pytest.approx(grl.coeff)
