"""AdaBN: re-estimate BatchNorm statistics on the target domain.

Li, Wang, Shi, Hou & Liu, "Revisiting Batch Normalization for Practical Domain Adaptation",
ICLR 2017 Workshop (arXiv:1603.04779); Pattern Recognition 80:109-117, 2018.

Algorithm 1 of the paper: for every BN neuron ``j``, compute the mean ``mu_j^t`` and variance
``sigma_j^t`` of its responses over the *target* images and use them in place of the source
statistics at test time (the learned scale and shift are kept). :func:`adapt_batchnorm` does this in
one pass: the running statistics are reset, the momentum is set to ``None`` (PyTorch's cumulative
moving average, i.e. the plain mean of the per-batch statistics), and target batches are forwarded
with the BN layers in training mode under ``no_grad``. Batches should be shuffled (the per-batch
variance estimates the population variance only if each batch is a random sample).

The helpers :func:`batchnorm_state` / :func:`load_batchnorm_state` save and restore the statistics,
so that an evaluation can use target statistics and training continue with its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

_BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def batchnorm_layers(model: nn.Module) -> list[tuple[str, _BatchNorm]]:
    """The BatchNorm layers of ``model`` (any dimension, SyncBatchNorm included) that keep running
    statistics, with their qualified names."""
    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, _BatchNorm) and m.track_running_stats and m.running_mean is not None]


def batchnorm_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every BN layer's running statistics (``<layer>.running_mean`` etc.)."""
    state = {}
    for name, bn in batchnorm_layers(model):
        for buf in _BN_BUFFERS:
            value = getattr(bn, buf, None)
            if value is not None:
                state[f"{name}.{buf}"] = value.detach().clone()
    return state


def load_batchnorm_state(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy statistics saved by :func:`batchnorm_state` back into ``model`` (in place)."""
    with torch.no_grad():
        for name, bn in batchnorm_layers(model):
            for buf in _BN_BUFFERS:
                key = f"{name}.{buf}"
                if key in state:
                    getattr(bn, buf).copy_(state[key])


def _inputs(batch: Any) -> Any:
    """The input of a batch: ``x`` itself, or the first element of ``(x, y)``."""
    if isinstance(batch, (list, tuple)):
        return batch[0]
    return batch


@torch.no_grad()
def adapt_batchnorm(
    model: nn.Module,
    target_loader: Iterable[Any],
    max_batches: int | None = None,
    forward: Callable[[nn.Module, torch.Tensor], Any] | None = None,
    device: torch.device | str | None = None,
) -> int:
    """Replace the running statistics of every BN layer of ``model`` by target statistics (AdaBN).

    Args:
        model: the network (its other parameters are not changed).
        target_loader: target batches, ``x`` or ``(x, y)`` (labels are ignored).
        max_batches: use only the first batches (``None``: all).
        forward: how to run the model on a batch (default ``model(x)``); it must pass through every
            BN layer whose statistics should be re-estimated.
        device: where to put the inputs (default: the device of the model's first parameter).

    Returns:
        The number of BN layers re-estimated (0 if the model has none; then nothing changes).

    Training/eval modes and momenta are restored afterwards; other layers (e.g. dropout) stay in
    eval mode during the pass. If the pass fails, the previous statistics are put back.
    """
    layers = [bn for _, bn in batchnorm_layers(model)]
    if not layers:
        return 0
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    modes = {m: m.training for m in model.modules()}
    momenta = [bn.momentum for bn in layers]
    saved = batchnorm_state(model)
    done = False
    try:
        model.eval()
        for bn in layers:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the batches seen
            bn.train()
        seen = 0
        for i, batch in enumerate(target_loader):
            if max_batches is not None and i >= max_batches:
                break
            x = _inputs(batch).to(device, non_blocking=True)
            if len(x) < 2 and seen > 0:
                continue  # a trailing single example has no batch variance (BatchNorm would fail)
            if forward is None:
                model(x)
            else:
                forward(model, x)
            seen += 1
        if seen == 0:
            raise ValueError("adapt_batchnorm got no target batches")
        done = True
    finally:
        if not done:  # leave the model as it was
            load_batchnorm_state(model, saved)
        for bn, momentum in zip(layers, momenta, strict=True):
            bn.momentum = momentum
        for m, training in modes.items():
            m.training = training
    return len(layers)
