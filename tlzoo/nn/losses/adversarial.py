"""Adversarial losses: the GAN objectives (vanilla, LSGAN, hinge, WGAN), the WGAN-GP gradient penalty,
WGAN weight clipping, and the binary domain terms of domain-adversarial adaptation.

All take logits or critic scores (never probabilities) of any shape and average over their elements;
low-precision inputs are cast to float32 before any exponent or square, so every loss is safe under
``torch.autocast``.

References
----------
* Vanilla GAN: Goodfellow et al., "Generative Adversarial Nets", NIPS 2014,
  https://arxiv.org/abs/1406.2661, eq. 1 and Sec. 3 (the non-saturating generator loss
  ``max_G log D(G(z))``).
* LSGAN: Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017,
  https://arxiv.org/abs/1611.04076, eq. 2 with ``a = 0, b = c = 1`` (the form CycleGAN uses).
* Hinge: Lim & Ye, "Geometric GAN", arXiv:1705.02894, 2017; Miyato et al., "Spectral Normalization
  for Generative Adversarial Networks", ICLR 2018, https://arxiv.org/abs/1802.05957, eq. 16-17.
* WGAN: Arjovsky, Chintala & Bottou, "Wasserstein Generative Adversarial Networks", ICML 2017,
  https://arxiv.org/abs/1701.07875, Algorithm 1 (critic and weight clipping).
* WGAN-GP: Gulrajani et al., "Improved Training of Wasserstein GANs", NIPS 2017,
  https://arxiv.org/abs/1704.00028, eq. 3.
* Domain-adversarial terms: DANN (Ganin et al., JMLR 2016, eq. 9-10), ADDA (Tzeng et al., CVPR 2017,
  eq. 9), domain confusion (Tzeng et al., "Simultaneous Deep Transfer Across Domains and Tasks",
  ICCV 2015, eq. 2-3).

Domain adaptation in GAN terms (source = "real", label 1; target = "fake", label 0)::

    ADDA  L_advD(s, t) = GANLoss("vanilla").discriminator_loss(s, t)
    ADDA  L_advM(t)    = GANLoss("vanilla").generator_loss(t)
    DANN  L_d(s, t)    = domain_adversarial_loss(s, t) = 0.5 * L_advD(s, t)
    ICCV'15 L_D        = domain_classifier_loss(cat(s, t), cat(0s, 1s))  (= L_d for equal batch sizes)
    ICCV'15 L_conf(z)  = domain_confusion_loss(z) = 0.5 * (bce_with_target(z, 1) + bce_with_target(z, 0))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

GANMode = Literal["vanilla", "lsgan", "hinge", "wgan"]
GAN_MODES: tuple[str, ...] = ("vanilla", "lsgan", "hinge", "wgan")


def _full_precision(x: torch.Tensor) -> torch.Tensor:
    """``x`` in at least float32 (half and bfloat16 are upcast; float64 stays)."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def bce_with_target(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Mean binary cross-entropy of ``sigmoid(logits)`` against the constant label ``target``."""
    logits = _full_precision(logits)
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))


class GANLoss(nn.Module):
    """The discriminator and generator objectives of one GAN formulation, on logits / critic scores.

    ``D`` below is the discriminator's raw output (a logit for ``vanilla``, a score otherwise) and
    every expectation is the mean over all elements (examples and, for PatchGAN maps, positions):

    =========  ==========================================================  ==========================
    mode       :meth:`discriminator_loss` (real, fake)                     :meth:`generator_loss` (fake)
    =========  ==========================================================  ==========================
    vanilla    ``BCE(D(x), 1) + BCE(D(G(z)), 0)``                          ``BCE(D(G(z)), 1)``
    lsgan      ``E[(D(x) - 1)^2] + E[D(G(z))^2]``                          ``E[(D(G(z)) - 1)^2]``
    hinge      ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``                ``-E[D(G(z))]``
    wgan       ``E[D(G(z))] - E[D(x)]``                                    ``-E[D(G(z))]``
    =========  ==========================================================  ==========================

    Code vs. paper: ``vanilla`` is Goodfellow et al.'s ``min_D -[log D(x) + log(1 - D(G(z)))]`` and the
    non-saturating generator loss ``-log D(G(z))`` of their Sec. 3 (not the minimax
    ``log(1 - D(G(z)))``). ``lsgan`` is Mao et al.'s eq. 2 with ``a = 0, b = c = 1`` *without* its
    factors 1/2: the discriminator loss is the sum of both terms (CycleGAN's code halves it when
    stepping D; do that in the method). ``wgan`` is the negated critic objective of Arjovsky et al.,
    to be used with :func:`clip_weights` or :func:`gradient_penalty`.

    Args:
        mode: ``vanilla``, ``lsgan``, ``hinge`` or ``wgan``.
    """

    def __init__(self, mode: GANMode = "vanilla") -> None:
        super().__init__()
        if mode not in GAN_MODES:
            raise ValueError(f"mode must be one of {', '.join(GAN_MODES)}; got {mode!r}")
        self.mode = mode

    def forward(self, logits: torch.Tensor, target_is_real: bool) -> torch.Tensor:
        """The discriminator's term for one side: ``discriminator_loss(real, fake) = self(real, True) +
        self(fake, False)``. Useful when real and fake batches reach the discriminator separately."""
        x = _full_precision(logits)
        if self.mode == "vanilla":
            return bce_with_target(x, 1.0 if target_is_real else 0.0)
        if self.mode == "lsgan":
            return (x - 1.0).pow(2).mean() if target_is_real else x.pow(2).mean()
        if self.mode == "hinge":
            return F.relu(1.0 - x).mean() if target_is_real else F.relu(1.0 + x).mean()
        return -x.mean() if target_is_real else x.mean()

    def discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The discriminator's (critic's) loss: the real term plus the fake term (see the table)."""
        return self(real, True) + self(fake, False)

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """The generator's loss on the discriminator's output for generated samples."""
        x = _full_precision(fake)
        if self.mode == "vanilla":
            return bce_with_target(x, 1.0)
        if self.mode == "lsgan":
            return (x - 1.0).pow(2).mean()
        return -x.mean()

    def extra_repr(self) -> str:
        return f"mode={self.mode}"


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     target_norm: float = 1.0) -> torch.Tensor:
    """WGAN-GP's penalty, ``E_{x^}[(||grad_{x^} D(x^)||_2 - target_norm)^2]`` (Gulrajani et al., eq. 3).

    ``x^ = eps * real + (1 - eps) * fake`` with one ``eps ~ U[0, 1]`` per example; ``real`` and
    ``fake`` are detached (the penalty trains the critic only). The gradient is taken with
    ``create_graph=True`` so the penalty can be back-propagated into the critic. Multiply by
    ``lambda`` (paper: 10) and add to the critic loss. ``critic`` may return a tuple (e.g. an AC-GAN
    discriminator); its first element is used.

    Code vs. paper: ``real`` = ``x ~ P_r``, ``fake`` = ``x~ ~ P_g``, ``eps`` = ``epsilon``,
    ``target_norm`` = the 1 in ``(||.||_2 - 1)^2``.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    real, fake = real.detach(), fake.detach()
    eps = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat)
    if isinstance(out, tuple | list):
        out = out[0]
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = _full_precision(grad).flatten(1).norm(2, dim=1)
    return (norms - target_norm).pow(2).mean()


@torch.no_grad()
def clip_weights(module: nn.Module, clip: float) -> None:
    """WGAN weight clipping, in place: every parameter of ``module`` into ``[-clip, clip]`` (Arjovsky et
    al., Algorithm 1, ``c = 0.01``). Call after each critic step."""
    if clip <= 0:
        raise ValueError(f"clip must be > 0, got {clip}")
    for p in module.parameters():
        p.clamp_(-clip, clip)


# -- domain-adversarial terms ------------------------------------------------------------------
def domain_adversarial_loss(logits_source: torch.Tensor, logits_target: torch.Tensor) -> torch.Tensor:
    """DANN's domain loss ``L_d`` (JMLR eq. 9-10): binary cross-entropy of the domain classifier, source
    labelled 1 and target 0, each domain averaged and the two means averaged (``1/n sum_S + 1/n' sum_T``
    with equal batch sizes, halved). Equals ``0.5 * GANLoss("vanilla").discriminator_loss(s, t)``."""
    return 0.5 * GANLoss("vanilla").discriminator_loss(logits_source, logits_target)


def _domain_log_probs(domain_logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over domains, ``(N, D)``. A single logit per example (``(N,)`` or ``(N, 1)``,
    the :class:`~tlzoo.nn.discriminators.DomainDiscriminator` convention) is the two-domain case
    with probabilities ``(sigmoid(z), 1 - sigmoid(z))``."""
    if domain_logits.ndim == 1 or domain_logits.shape[1] == 1:
        z = domain_logits.reshape(-1).float()
        return torch.stack([F.logsigmoid(z), F.logsigmoid(-z)], dim=1)
    return F.log_softmax(domain_logits.float(), dim=1)


def domain_classifier_loss(domain_logits: torch.Tensor, domains: torch.Tensor) -> torch.Tensor:
    """ICCV'15 eq. (2), ``L_D = -sum_d 1[y_D = d] log q_d``, averaged over the batch.

    ``domains`` holds each example's domain index: with single-logit outputs, 0 = source (the
    logit's positive side, the DANN convention "source = 1") and 1 = target. In the two-domain case
    this is ``bce_with_target`` averaged over the pooled batch, i.e. :func:`domain_adversarial_loss`
    when both domains have the same batch size.
    """
    return F.nll_loss(_domain_log_probs(domain_logits), domains.long())


def domain_confusion_loss(domain_logits: torch.Tensor) -> torch.Tensor:
    """ICCV'15 eq. (3), ``L_conf = -sum_d 1/D log q_d``: cross-entropy of the domain classifier's
    prediction against the uniform distribution over the ``D`` domains, averaged over the batch.

    Its minimum ``log D`` (``log 2`` for two domains) is reached when ``q`` is uniform. With one logit
    ``z`` per example it is ``0.5 * (bce_with_target(z, 1) + bce_with_target(z, 0))``.
    """
    return -_domain_log_probs(domain_logits).mean(1).mean()
