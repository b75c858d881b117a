"""Gradient reversal layer and the DANN adaptation-factor schedule.

Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015
(https://arxiv.org/abs/1409.7495); Ganin et al., "Domain-Adversarial Training of Neural
Networks", JMLR 17(59), 2016.

The layer ``R_lambda`` is the identity in the forward pass and multiplies the incoming gradient by
``-lambda`` in the backward pass (JMLR eq. 13-14). The paper grows ``lambda`` from 0 to
``lambda_max`` with training progress ``p in [0, 1]``::

    lambda_p = lambda_max * (2 / (1 + exp(-gamma * p)) - 1),   gamma = 10

Unlike most public code, the step counter is part of the module's ``state_dict`` (as the module's
``_extra_state``), so a run resumed from a checkpoint continues the schedule instead of restarting it.
The counters are plain Python integers, not device tensors, so reading lambda never synchronises
the GPU.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:  # type: ignore[override]
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.coeff * grad_output, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Identity forward; gradient multiplied by ``-coeff`` backward."""
    return _ReverseGrad.apply(x, coeff)


def dann_lambda(progress: float, gamma: float = 10.0, lambda_max: float = 1.0) -> float:
    """The DANN schedule ``lambda_max * (2 / (1 + exp(-gamma * p)) - 1)`` for ``p`` in [0, 1]."""
    progress = min(max(progress, 0.0), 1.0)
    return lambda_max * (2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0)


class GradientReversal(nn.Module):
    """Gradient reversal with the DANN schedule kept in module state.

    Args:
        gamma: steepness of the schedule (paper: 10).
        lambda_max: final value of lambda (paper: 1).
        total_steps: number of optimizer steps over which ``p`` goes from 0 to 1; the method sets it
            from the trainer at fit start. ``0`` means "constant ``lambda_max``".
        schedule: ``"dann"`` for the paper's schedule, ``"constant"`` for a fixed ``lambda_max``.
    """

    def __init__(
        self,
        gamma: float = 10.0,
        lambda_max: float = 1.0,
        total_steps: int = 0,
        schedule: str = "dann",
    ) -> None:
        super().__init__()
        if schedule not in ("dann", "constant"):
            raise ValueError(f"schedule must be 'dann' or 'constant', got {schedule!r}")
        self.gamma = gamma
        self.lambda_max = lambda_max
        self.schedule = schedule
        self.num_steps = 0
        self.total_steps = int(total_steps)

    def get_extra_state(self) -> dict[str, int]:
        return {"num_steps": self.num_steps, "total_steps": self.total_steps}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self.num_steps = int(state["num_steps"])
        self.total_steps = int(state["total_steps"])

    @property
    def progress(self) -> float:
        return 1.0 if self.total_steps <= 0 else self.num_steps / self.total_steps

    @property
    def coeff(self) -> float:
        if self.schedule == "constant" or self.total_steps <= 0:
            return self.lambda_max
        return dann_lambda(self.progress, self.gamma, self.lambda_max)

    def step(self) -> None:
        """Advance the schedule by one optimizer step."""
        self.num_steps += 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.coeff)

    def extra_repr(self) -> str:
        return f"schedule={self.schedule}, gamma={self.gamma}, lambda_max={self.lambda_max}"
