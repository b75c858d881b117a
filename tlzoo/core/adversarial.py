"""Several players, one batch: the manual-optimisation helper of GANs and adversarial adaptation.

A method with several optimisers (a generator and a discriminator, ADDA's target encoder and domain
discriminator, ...) names its players once, in :meth:`AdversarialMixin.configure_players`, and
then makes one call per player step::

    d_loss = self.player_step("D", lambda: gan.discriminator_loss(D(real), D(fake.detach())))
    g_loss = self.player_step("G", lambda: gan.generator_loss(D(fake)) + ...)

:meth:`~AdversarialMixin.player_step` computes the loss with the other players' parameters frozen
(Lightning's ``toggled_optimizer``: no gradients are computed for them), clears the player's
gradients, back-propagates through Lightning (``manual_backward``: mixed precision and DDP work),
clips the gradients if ``gradient_clip_val`` is set, and steps the player's optimiser. Only the first
player step of a batch advances ``trainer.global_step`` (the others step through the strategy
directly), so **global_step counts batches**, and every learning-rate schedule, built by
:func:`tlzoo.core.optim.build_scheduler`, is stepped once per batch in ``on_train_batch_end``.

:meth:`~AdversarialMixin.freeze` turns a network into a fixed function (no gradients, eval mode) that
stays in eval mode when Lightning calls ``.train()`` after validation (ADDA's source encoder, DTN's
pre-trained ``f``).

Use it before the base class: ``class CycleGAN(AdversarialMixin, ZooModule)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch import nn

from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler

Params = Iterable[nn.Parameter] | list[dict[str, Any]]


class AdversarialMixin:
    """Named players and one call per player step (see the module docstring).

    Subclasses implement :meth:`configure_players` and call ``super().__init__()`` (which turns
    Lightning's automatic optimisation off).
    """

    #: Clip each player's gradient norm to this value before its step (``None``: no clipping).
    gradient_clip_val: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.automatic_optimization = False  # type: ignore[attr-defined]
        self._frozen: list[nn.Module] = []
        self.player_names: list[str] = []

    # -- players ------------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Params, OptimConfig]]:
        """``{name: (parameters or parameter groups, optimiser settings)}``, in stepping order."""
        raise NotImplementedError

    def configure_optimizers(self) -> Any:
        players = self.configure_players()
        self.player_names = list(players)
        optimizers, schedulers = [], []
        for params, cfg in players.values():
            optimizer = build_optimizer(params, cfg)
            optimizers.append(optimizer)
            schedulers.append(build_scheduler(optimizer, cfg, lambda: self.total_batches))  # type: ignore[attr-defined]
        return optimizers, schedulers

    def player_optimizer(self, name: str) -> LightningOptimizer:
        """The (Lightning-wrapped) optimiser of player ``name``."""
        optimizers = self.optimizers()  # type: ignore[attr-defined]
        if not isinstance(optimizers, list):
            optimizers = [optimizers]
        try:
            return optimizers[self.player_names.index(name)]
        except ValueError:
            raise KeyError(f"no player {name!r}; the players are {self.player_names}") from None

    def player_step(self, name: str, compute_loss: Callable[[], torch.Tensor]) -> torch.Tensor:
        """One optimisation step of player ``name`` on the loss ``compute_loss()``; returns the loss, detached."""
        optimizer = self.player_optimizer(name)
        with self.toggled_optimizer(optimizer):  # type: ignore[attr-defined]
            loss = compute_loss()
            optimizer.zero_grad()
            self.manual_backward(loss)  # type: ignore[attr-defined]
            if self.gradient_clip_val:
                self.clip_gradients(optimizer, gradient_clip_val=self.gradient_clip_val,  # type: ignore[attr-defined]
                                    gradient_clip_algorithm="norm")
            if self._player_steps_this_batch == 0:  # type: ignore[has-type]
                optimizer.step()  # counted by Lightning: global_step += 1
            else:  # same precision plugin and strategy, not counted
                self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=_no_closure)  # type: ignore[attr-defined]
            self._player_steps_this_batch += 1
        return loss.detach()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        """Step every learning-rate schedule once per batch."""
        schedulers = self.lr_schedulers()  # type: ignore[attr-defined]
        if schedulers is None:
            return
        with warnings.catch_warnings():  # a player that did not step this batch (ADDA's stage 1 / 2) keeps time
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step\\(\\)` before")
            for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
                scheduler.step()

    # -- frozen networks ----------------------------------------------------------------------
    def freeze(self, *modules: nn.Module) -> None:
        """Fix ``modules``: no gradients, eval mode, kept in eval mode by ``.train()``."""
        for module in modules:
            module.requires_grad_(False)
            module.eval()
            if not any(module is m for m in self._frozen):
                self._frozen.append(module)

    def train(self, mode: bool = True) -> Any:
        result = super().train(mode)  # type: ignore[misc]
        for module in getattr(self, "_frozen", []):
            module.eval()
        return result


def _no_closure() -> None:
    return None
