"""DSN: Domain Separation Networks.

Bousmalis, Trigeorgis, Silberman, Krishnan & Erhan, "Domain Separation Networks", NIPS 2016,
https://arxiv.org/abs/1608.06019; authors' code: ``tensorflow/models``,
``research/domain_adaptation/domain_separation``.

Each image is split into a *shared* code ``h_c = E_c(x)`` (the same encoder for both domains) and
a *private* code ``h_p = E_p^s(x)`` or ``E_p^t(x)`` (one encoder per domain). A shared decoder
reconstructs the image from ``h_c + h_p``, the label classifier sees ``h_c`` only. The objective
(paper eq. 1)::

    L = L_task + alpha * L_recon + beta * L_difference + gamma * L_similarity

* ``L_task``: cross-entropy of ``G(E_c(x_s))`` on labelled source images.
* ``L_recon = sum_{i in S} L_si_mse(x_i, x_hat_i) + sum_{i in T} L_si_mse(x_i, x_hat_i)`` (eq. 3),
  ``x_hat = D(E_c(x) + E_p(x))``, with the scale-invariant MSE of eq. 4 (averaged per domain).
* ``L_difference = ||H_c^s^T H_p^s||_F^2 + ||H_c^t^T H_p^t||_F^2`` (eq. 5). As in the authors' code,
  the codes are centred and their rows L2-normalised, and the squared entries are *averaged*
  (Frobenius norm / (d_c d_p)); see :func:`tlzoo.nn.losses.reconstruction.difference_loss`.
* ``L_similarity`` on the shared codes, ``similarity``:
  ``dann`` (eq. 6): a domain classifier ``Z`` behind a gradient reversal layer, binary
  cross-entropy on domain labels (source = 1), so ``E_c`` maximises what ``Z`` minimises;
  ``mmd`` (eq. 7): squared MMD between ``h_c^s`` and ``h_c^t`` (:func:`tlzoo.nn.losses.mmd2`,
  biased estimate, a mixture of Gaussian kernels with the mean-distance bandwidth heuristic; the
  authors' code uses 19 fixed bandwidths instead).

As in the paper (Sec. 4, "we activate any additional domain adaptation loss after 10,000 steps"),
the three adaptation losses are switched on after ``adaptation_start_step`` optimizer steps
(``trainer.global_step``, which is restored on resume).

Code vs. paper: ``backbone`` + ``bottleneck`` = E_c (its output is h_c), ``classifier`` = G,
``private_source`` / ``private_target`` = E_p^s / E_p^t, ``decoder`` = D, ``discriminator`` = Z,
``grl`` = the gradient reversal layer (constant factor 1, as in the paper), ``alpha``/``beta``/
``gamma`` = alpha/beta/gamma. Inference is ``G(E_c(x))`` for both domains.

Defaults for digits follow the authors' MNIST -> MNIST-M set-up: the DANN MNIST network as E_c
(conv 5x5x32 - pool - conv 5x5x48 - pool - fc 100 = h_c) and fc 100 - fc 10 as G (``dann_mnist``
in the released code), a 1-hidden-layer (100) domain classifier, SGD with momentum 0.9, batches of
32 per domain, weight decay 1e-6, and ``gamma = 0.251175`` (released README, DANN similarity).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.autoencoder_parts import PrivateEncoder, SharedDecoder
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.discriminators import DomainDiscriminator
from tlzoo.nn.grl import GradientReversal
from tlzoo.nn.losses import domain_adversarial_loss, mmd2
from tlzoo.nn.losses.reconstruction import difference_loss, scale_invariant_mse


class DSN(DomainAdaptationMethod):
    """Domain Separation Networks (Bousmalis et al., NIPS 2016).

    Checkpoints are selected on ``val/target_mi`` (label-free) unless ``--checkpoint.monitor`` says otherwise.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: image shape ``(C, H, W)`` (linked from the data); sizes the private encoders
            and the decoder.
        backbone: convolutional part of the shared encoder E_c.
        bottleneck_dim: width of the shared code h_c (fc layer after the backbone; 0: the flat
            backbone output). The private codes have the same width.
        classifier_hidden: hidden widths of the classifier G on h_c.
        dropout: dropout in G.
        similarity: ``dann`` (gradient reversal + domain classifier) or ``mmd``.
        alpha: weight of the reconstruction loss.
        beta: weight of the difference loss.
        gamma: weight of the similarity loss.
        adaptation_start_step: optimizer steps trained on ``L_task`` alone before the other losses
            are switched on (paper: 10,000).
        discriminator_hidden: hidden widths of the domain classifier Z (``dann`` similarity).
        private_channels: conv widths of the private encoders.
        decoder_width: conv width of the decoder.
        mmd_kernels: number of Gaussian kernels of the MMD (``mmd`` similarity).
        optim: optimiser and schedule.
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 100,
        classifier_hidden: tuple[int, ...] = (100,),
        dropout: float = 0.0,
        similarity: Literal["dann", "mmd"] = "dann",
        alpha: float = 0.01,
        beta: float = 0.05,
        gamma: float = 0.25,
        adaptation_start_step: int = 0,
        discriminator_hidden: tuple[int, ...] = (100,),
        private_channels: tuple[int, int] = (32, 64),
        decoder_width: int = 16,
        mmd_kernels: int = 5,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if similarity not in ("dann", "mmd"):
            raise ValueError(f"similarity must be 'dann' or 'mmd', got {similarity!r}")
        self.similarity = similarity
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.adaptation_start_step = adaptation_start_step
        self.mmd_kernels = mmd_kernels
        self.private_source = PrivateEncoder(self.input_shape, self.feature_dim, private_channels)
        self.private_target = PrivateEncoder(self.input_shape, self.feature_dim, private_channels)
        self.decoder = SharedDecoder(self.feature_dim, self.input_shape, width=decoder_width)
        if similarity == "dann":
            self.discriminator = DomainDiscriminator(self.feature_dim, discriminator_hidden)
            self.grl = GradientReversal(lambda_max=1.0, schedule="constant")

    # -- networks -----------------------------------------------------------------------------
    def reconstruct(self, x: torch.Tensor, domain: Literal["source", "target"],
                    part: Literal["all", "shared", "private"] = "all") -> torch.Tensor:
        """``D(E_c(x) + E_p(x))``; ``part="shared"`` / ``"private"`` decodes one code alone (the
        paper's Fig. 2 visualisations)."""
        h_c = self.features(x)
        h_p = (self.private_source if domain == "source" else self.private_target)(x)
        if part == "shared":
            h_p = torch.zeros_like(h_p)
        elif part == "private":
            h_c = torch.zeros_like(h_c)
        return self.decoder(h_c + h_p)

    def similarity_loss(self, h_s: torch.Tensor, h_t: torch.Tensor) -> torch.Tensor:
        """``L_similarity`` between the shared codes of the two domains."""
        if self.similarity == "mmd":
            return mmd2(h_s, h_t, kernel="gaussian", kernel_num=self.mmd_kernels)
        logits = self.discriminator(self.grl(torch.cat([h_s, h_t]))).squeeze(1)
        return domain_adversarial_loss(logits[: len(h_s)], logits[len(h_s):])

    @property
    def adaptation_weight(self) -> float:
        """0 before ``adaptation_start_step``, 1 after."""
        return 1.0 if self.global_step >= self.adaptation_start_step else 0.0

    # -- training -----------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        n = len(x_s)
        h_c = self.features(torch.cat([x_s, x_t]))
        h_cs, h_ct = h_c[:n], h_c[n:]
        task = F.cross_entropy(self.classifier(h_cs), y_s)
        w = self.adaptation_weight
        if w == 0.0:
            self.log_train({"train/task_loss": task, "train/adaptation_weight": w})
            return task
        h_ps, h_pt = self.private_source(x_s), self.private_target(x_t)
        recon = (scale_invariant_mse(x_s, self.decoder(h_cs + h_ps))
                 + scale_invariant_mse(x_t, self.decoder(h_ct + h_pt)))
        diff = difference_loss(h_cs, h_ps) + difference_loss(h_ct, h_pt)
        sim = self.similarity_loss(h_cs, h_ct)
        loss = task + w * (self.alpha * recon + self.beta * diff + self.gamma * sim)
        self.log_train(
            {"train/task_loss": task, "train/recon_loss": recon, "train/difference_loss": diff,
             "train/similarity_loss": sim, "train/adaptation_weight": w},
        )
        return loss
