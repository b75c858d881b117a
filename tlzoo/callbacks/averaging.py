"""Exponential moving average of the weights, evaluated and saved in place of the raw weights.

Adversarial domain adaptation oscillates: DANN's target accuracy can swing by tens of points from one epoch
to the next while the source accuracy stays flat (docs/selection.md). Evaluating an exponential moving
average of the weights, ``theta_ema <- decay * theta_ema + (1 - decay) * theta`` after every optimiser step
(Polyak & Juditsky, SIAM J. Control Optim. 1992; the "temporal ensembling" of weights used in mean-teacher
methods, Tarvainen & Valpola, NeurIPS 2017), smooths those swings. Lightning's ``WeightAveraging`` callback
does the bookkeeping: the average is swapped in for validation, checkpoints store it as their ``state_dict``
(the raw weights travel beside it, so ``fit --ckpt_path`` resumes both), and after training the model holds it.

``tlzoo fit`` adds this callback by itself for methods whose class declares ``default_ema_decay`` (the
domain-adaptation methods); ``--ema_decay`` changes the decay, ``--ema_decay null`` turns it off.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import WeightAveraging
from lightning.pytorch.trainer.states import TrainerFn
from torch.optim.swa_utils import get_ema_avg_fn


class EMAWeights(WeightAveraging):
    """EMA of every parameter and buffer (BatchNorm statistics included), updated after each step.

    Args:
        decay: weight of the running average per step (0.99: an average over roughly the last 100 steps).
    """

    def __init__(self, decay: float = 0.99) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        super().__init__(avg_fn=get_ema_avg_fn(decay))
        self.decay = decay

    def on_load_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        """Resume both weight sets when fitting; otherwise keep the average the checkpoint's ``state_dict`` holds.

        Lightning's callback reloads the *raw* weights whenever it has an average model, which is also the case
        for ``trainer.test(ckpt_path=...)`` right after ``trainer.fit``: the test would then score the raw
        weights of the chosen checkpoint instead of the average that was validated and selected.
        """
        if trainer.state.fn == TrainerFn.FITTING:
            super().on_load_checkpoint(trainer, pl_module, checkpoint)
