"""Machinery shared by every LightningModule of the zoo, with no method-family logic.

* :mod:`tlzoo.core.optim`: :class:`OptimConfig`, optimiser and learning-rate schedule builders.
* :mod:`tlzoo.core.module`: :class:`ZooModule`, the base of every method (logging throttle, training
  progress counted in batches, the default checkpoint monitor and predict output).
* :mod:`tlzoo.core.adversarial`: :class:`AdversarialMixin`, named players with one call per
  player step, and freezing that survives ``.train()``.
"""

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.module import ZooModule, allow_in_checkpoints
from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler, lr_factor

__all__ = [
    "AdversarialMixin",
    "OptimConfig",
    "ZooModule",
    "allow_in_checkpoints",
    "build_optimizer",
    "build_scheduler",
    "lr_factor",
]
