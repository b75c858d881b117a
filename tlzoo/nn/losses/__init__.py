"""Losses on tensors, one module per kind (plain functions and small ``nn.Module`` s, no Lightning).

* :mod:`~tlzoo.nn.losses.alignment`: MMD, MK-MMD, CORAL, soft-label transfer.
* :mod:`~tlzoo.nn.losses.adversarial`: GAN objectives, WGAN-GP penalty, weight clipping, and the binary
  domain terms of DANN / ADDA / domain confusion.
* :mod:`~tlzoo.nn.losses.reconstruction`: L1, cycle consistency, identity, DSN's scale-invariant MSE
  and difference loss.
* :mod:`~tlzoo.nn.losses.latent`: the Gaussian KL term of VAEs.

Every public name is re-exported here, so ``from tlzoo.nn.losses import mmd2`` works as it did when
this package was a single module.
"""

from tlzoo.nn.losses.adversarial import (
    GAN_MODES,
    GANLoss,
    GANMode,
    bce_with_target,
    clip_weights,
    domain_adversarial_loss,
    domain_classifier_loss,
    domain_confusion_loss,
    gradient_penalty,
)
from tlzoo.nn.losses.alignment import (
    Estimator,
    Kernel,
    MMDLoss,
    class_soft_labels,
    coral_loss,
    covariance,
    gaussian_bandwidths,
    kernel_matrix,
    mmd2,
    soft_label_loss,
)
from tlzoo.nn.losses.latent import gaussian_kl
from tlzoo.nn.losses.reconstruction import (
    cycle_consistency_loss,
    difference_loss,
    identity_loss,
    l1_reconstruction,
    scale_invariant_mse,
)

__all__ = [
    "GAN_MODES",
    "Estimator",
    "GANLoss",
    "GANMode",
    "Kernel",
    "MMDLoss",
    "bce_with_target",
    "class_soft_labels",
    "clip_weights",
    "coral_loss",
    "covariance",
    "cycle_consistency_loss",
    "difference_loss",
    "domain_adversarial_loss",
    "domain_classifier_loss",
    "domain_confusion_loss",
    "gaussian_bandwidths",
    "gaussian_kl",
    "gradient_penalty",
    "identity_loss",
    "kernel_matrix",
    "l1_reconstruction",
    "mmd2",
    "scale_invariant_mse",
    "soft_label_loss",
]
