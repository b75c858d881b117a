"""Evaluation metrics that survive a switch between Lightning's two evaluation modes.

``trainer.validate`` / ``trainer.test`` run under ``torch.inference_mode()``, while the validation inside
``trainer.fit`` runs under ``torch.no_grad()``. A torchmetrics state made or reset in inference mode is an
*inference tensor*, and updating it in place outside inference mode fails ("Inplace update to inference tensor
outside InferenceMode"). So a model validated before it is fitted (or tested, then fitted further in the same
process) would break its next validation. :func:`states_to_current_mode` gives every such state a normal copy
at the start of each evaluation run that is not in inference mode; the values are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn


def held_metrics(owner: nn.Module) -> Iterator[Any]:
    """Every torchmetrics ``Metric`` of ``owner``: its submodules, and those it keeps in plain ``dict`` / ``list``
    attributes (metrics built on first use and kept out of the state dict), searched two levels deep."""
    from torchmetrics import Metric

    seen: set[int] = set()

    def walk(value: Any, depth: int) -> Iterator[Any]:
        if isinstance(value, nn.Module):
            for module in value.modules():
                if isinstance(module, Metric) and id(module) not in seen:
                    seen.add(id(module))
                    yield module
        elif depth > 0 and isinstance(value, dict):
            for item in value.values():
                yield from walk(item, depth - 1)
        elif depth > 0 and isinstance(value, (list, tuple)):
            for item in value:
                yield from walk(item, depth - 1)

    yield from walk(owner, 0)
    for name, value in vars(owner).items():
        if name != "_modules" and isinstance(value, (dict, list, tuple)):  # submodules: walked above
            yield from walk(value, 2)


def _normal(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.is_inference():
        return value.clone()
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def states_to_current_mode(metrics: Iterable[Any]) -> None:
    """Outside inference mode, replace the inference-tensor states (and defaults) of ``metrics`` by normal
    copies; in inference mode, do nothing (normal tensors may be updated there)."""
    if torch.is_inference_mode_enabled():
        return
    for metric in metrics:
        for name, default in list(metric._defaults.items()):
            metric._defaults[name] = _normal(default)
            setattr(metric, name, _normal(getattr(metric, name)))
