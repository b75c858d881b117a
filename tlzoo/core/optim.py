"""Optimiser and learning-rate schedule settings shared by every method.

A schedule is a multiplier of the base learning rate as a function of training progress
``p = batches done / batches in the run`` in [0, 1]. Schedulers are stepped once per *batch*, whatever
the number of optimisers a method steps per batch, so ``p`` means the same for every method.

* ``constant``: 1.
* ``dann``: ``(1 + alpha p) ** -beta`` (Ganin et al., "Domain-Adversarial Training of Neural
  Networks", JMLR 2016, Sec. 5.2.2: alpha = 10, beta = 0.75).
* ``cosine``: ``(1 + cos(pi p)) / 2``.
* ``linear_decay``: 1 until ``p = decay_start``, then linearly to 0 at ``p = 1`` (Zhu et al.,
  "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017,
  Sec. 7.1: "keep the same learning rate for the first 100 epochs and linearly decay the rate to
  zero over the next 100 epochs", i.e. ``decay_start = 0.5``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from tlzoo.errors import TLZooError


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule.

    Args:
        name: ``sgd``, ``adam``, ``adamw`` or ``rmsprop``.
        lr: base learning rate (of the new layers).
        momentum: SGD / RMSProp momentum.
        weight_decay: L2 penalty (decoupled for ``adamw``).
        nesterov: Nesterov momentum for SGD.
        betas: Adam / AdamW betas (GANs usually use ``[0.5, 0.999]``, Radford et al. ICLR 2016).
        schedule: ``dann``, ``cosine``, ``constant`` or ``linear_decay`` (see the module docstring).
        alpha: DANN annealing alpha.
        beta: DANN annealing beta.
        decay_start: ``linear_decay``: fraction of training at the base rate before the decay.
        backbone_lr_mult: learning-rate multiplier of a pre-trained backbone (0.1 for an
            ImageNet-pretrained ResNet, as in most Office-31 code).
    """

    name: Literal["sgd", "adam", "adamw", "rmsprop"] = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: Literal["dann", "cosine", "constant", "linear_decay"] = "dann"
    alpha: float = 10.0
    beta: float = 0.75
    decay_start: float = 0.5
    backbone_lr_mult: float = 1.0

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)  # type: ignore[assignment]
        problems = []
        if not (self.lr > 0 and math.isfinite(self.lr)):
            problems.append(f"lr must be a positive finite number, got {self.lr}")
        if self.weight_decay < 0:
            problems.append(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.momentum < 1:
            problems.append(f"momentum must be in [0, 1), got {self.momentum}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            problems.append(f"betas must be two numbers in [0, 1), got {list(self.betas)}")
        if not 0 <= self.decay_start <= 1:
            problems.append(f"decay_start must be in [0, 1], got {self.decay_start}")
        if self.backbone_lr_mult < 0:
            problems.append(f"backbone_lr_mult must be >= 0, got {self.backbone_lr_mult}")
        if problems:
            raise TLZooError("optimiser settings (model.init_args.optim...): " + "; ".join(problems))


def lr_factor(cfg: OptimConfig, progress: float) -> float:
    """Multiplier of the base learning rate at training progress ``progress`` in [0, 1]."""
    p = min(max(progress, 0.0), 1.0)
    if cfg.schedule == "dann":
        return (1.0 + cfg.alpha * p) ** (-cfg.beta)
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * p))
    if cfg.schedule == "linear_decay":
        if p <= cfg.decay_start:
            return 1.0
        return max(0.0, (1.0 - p) / max(1.0 - cfg.decay_start, 1e-12))
    return 1.0


ParamsOrGroups = Iterable[torch.nn.Parameter] | list[dict[str, Any]]


def build_optimizer(params: ParamsOrGroups, cfg: OptimConfig) -> torch.optim.Optimizer:
    """The optimiser ``cfg`` names over ``params`` (parameters, or groups with an optional ``lr_mult``)."""
    params = list(params)
    if params and isinstance(params[0], dict):
        groups = [dict(g) for g in params]
        for g in groups:
            g["lr"] = cfg.lr * g.pop("lr_mult", 1.0)
    else:
        groups = [{"params": params, "lr": cfg.lr}]
    if cfg.name == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    if cfg.name == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                           nesterov=cfg.nesterov)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimConfig,
                    total_batches: Callable[[], float]) -> torch.optim.lr_scheduler.LambdaLR:
    """A scheduler to step once per batch: at its ``k``-th step the rate is ``lr * lr_factor(k / total)``.

    ``total_batches`` is called lazily (the number of batches is known only once the trainer runs).
    """
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(cfg, step / max(float(total_batches()), 1.0)))
