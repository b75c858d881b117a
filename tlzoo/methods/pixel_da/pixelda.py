"""PixelDA: unsupervised pixel-level domain adaptation with a GAN.

Bousmalis, Silberman, Dohan, Erhan & Krishnan, "Unsupervised Pixel-Level Domain Adaptation with Generative
Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1612.05424; authors' code:
``tensorflow/models/research/domain_adaptation/pixel_domain_adaptation``.

A generator ``G(x_s, z)`` turns labelled source images into images that look drawn from the target domain; a
discriminator ``D`` tells real target images from generated ones; a task classifier ``T`` learns the source
labels on real source images *and* on their translations, and is what classifies target images at test time.
Objective (paper eq. 1-5)::

    min_{theta_G, theta_T} max_{theta_D}  alpha L_d(D, G) + beta L_t(G, T) + gamma L_c(G)

    L_d = E_{x_t} log D(x_t) + E_{x_s, z} log(1 - D(G(x_s, z)))
    L_t = E_{x_s, y_s, z} [ -y_s^T log T(G(x_s, z)) - y_s^T log T(x_s) ]
    L_c = PMSE between x_s and G(x_s, z) on the foreground mask m (eq. 5,
          :func:`tlzoo.nn.losses.content.masked_pairwise_mse`)

Training alternates (paper Sec. 3.3): (1) update ``D`` and ``T`` with ``G`` fixed, (2) update ``G`` with ``D`` and
``T`` fixed. Here step (1) is two player steps, ``discriminator`` then ``task`` (disjoint parameters and separable
losses, so this is the same update), then step (2) ``generator``, all on one draw of ``G(x_s, z)``.

Code vs. paper: ``generator`` = G (:class:`~tlzoo.nn.pixel_da.NoiseResidualGenerator`), ``discriminator`` = D
(:class:`~tlzoo.nn.pixel_da.PixelDADiscriminator`, logits), ``backbone`` + ``bottleneck`` + ``classifier`` = T
(the zoo's DANN MNIST network, the authors' ``mnist`` task tower: conv5x5-32, pool, conv5x5-48, pool, 100, 100),
``alpha`` / ``beta`` / ``gamma`` = the paper's weights in G's step, ``domain_weight`` = the weight of D's loss,
``source_task_weight`` / ``generated_task_weight`` = the two terms of ``L_t`` in T's step, ``mask_threshold``
defines ``m`` (source pixels whose channel mean exceeds it, in the data's [-1, 1] scale: the digit strokes).

Settings (the authors' flags for MNIST -> MNIST-M, their README): ``domain_weight = 0.1356``, ``alpha =
style_transfer_loss_weight = 0.0113``, ``beta = task_loss_in_g_weight = 0.0101``, no content loss (``gamma =
0``; the paper uses ``L_c`` for its Linemod experiments), Adam lr 1e-3 with beta1 = 0.5, batch 32, gradient norm
clipped to 5, 10-d uniform noise, 6 residual blocks of 64 filters. Paper result: 98.2% on MNIST-M (Table 1).

Deviations: the learning rate is constant (the authors decay it by 0.95 every 20,000 steps, which matters only
for their 16M-example runs); the generator's width and depth are arguments so CPU budgets can shrink them.
Evaluation and checkpoint selection are the DA contract's (:mod:`tlzoo.methods.da.base`): ``T`` on held-out
source and on target test images, selection on ``val/source_acc``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.losses.adversarial import GANLoss
from tlzoo.nn.losses.content import masked_pairwise_mse
from tlzoo.nn.pixel_da import NoiseResidualGenerator, PixelDADiscriminator

#: Target images kept from the first target validation batch for the image grid.
GRID_TARGETS = 16


def pixelda_optim() -> OptimConfig:
    """Adam, lr 1e-3, betas (0.5, 0.999), constant (the authors' settings)."""
    return OptimConfig(name="adam", lr=1e-3, betas=(0.5, 0.999), schedule="constant")


class PixelDA(AdversarialMixin, DomainAdaptationMethod):
    """Unsupervised pixel-level domain adaptation (Bousmalis et al., CVPR 2017; module docstring).

    Three players stepped in this order each batch: ``discriminator`` (D), ``task`` (T) and ``generator`` (G).
    ``image_grid`` draws source | generated | target rows for :class:`~tlzoo.callbacks.images.ImageGrid`.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` of the images (linked from the data; images in [-1, 1]).
        backbone: feature extractor of T.
        bottleneck_dim: width of the optional bottleneck of T (0: none).
        classifier_hidden: hidden widths of T's head.
        dropout: dropout in T's head.
        generator_channels: filters of G's layers (paper code: 64).
        generator_blocks: residual blocks of G (paper code: 6).
        noise_dim: dimension of G's uniform noise ``z`` (paper code: 10).
        discriminator_channels: filters of D's first layer (paper code: 64).
        discriminator_layers: stride-2 blocks of D.
        discriminator_noise: std of the Gaussian noise on D's activations (paper code: 0.2).
        discriminator_dropout: dropout in D (paper code: 0.1).
        alpha: weight of G's adversarial term (authors: 0.0113).
        beta: weight of the task loss on generated images in G's step (authors: 0.0101).
        gamma: weight of the content-similarity PMSE in G's step (authors, MNIST-M: 0).
        domain_weight: weight of D's loss (authors: 0.1356).
        source_task_weight: weight of T's loss on real source images.
        generated_task_weight: weight of T's loss on generated images.
        mask_threshold: the PMSE mask ``m`` is the source pixels whose channel mean exceeds this value ([-1, 1]
            scale); ``None``: every pixel.
        gradient_clip_norm: clip each player's gradient norm (authors: 5); ``None``: no clipping.
        optim: optimiser of all three players (default Adam 1e-3, betas (0.5, 0.999), constant).
    """

    #: Held-out source accuracy, the protocol its measurements used (``-c trainer/mi_selection.yaml`` to change).
    default_monitor = ("val/source_acc", "max")
    #: The measured PixelDA rows use the raw weights (docs/pixel_and_segmentation_da.md).
    default_ema_decay = None

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        generator_channels: int = 64,
        generator_blocks: int = 6,
        noise_dim: int = 10,
        discriminator_channels: int = 64,
        discriminator_layers: int = 3,
        discriminator_noise: float = 0.2,
        discriminator_dropout: float = 0.1,
        alpha: float = 0.0113,
        beta: float = 0.0101,
        gamma: float = 0.0,
        domain_weight: float = 0.1356,
        source_task_weight: float = 1.0,
        generated_task_weight: float = 1.0,
        mask_threshold: float | None = None,
        gradient_clip_norm: float | None = 5.0,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone or BackboneConfig(name="dann_digits", batch_norm=True),
                         bottleneck_dim, classifier_hidden, dropout, optim or pixelda_optim())
        self.save_hyperparameters()
        if len(self.input_shape) != 3:
            raise ValueError(f"PixelDA needs images (C, H, W); the data gives inputs of shape {self.input_shape}")
        for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma), ("domain_weight", domain_weight),
                            ("source_task_weight", source_task_weight),
                            ("generated_task_weight", generated_task_weight)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        channels, h, w = self.input_shape
        self.generator = NoiseResidualGenerator(channels, channels, (h, w), noise_dim, generator_channels,
                                                generator_blocks)
        self.discriminator = PixelDADiscriminator(channels, (h, w), discriminator_channels, discriminator_layers,
                                                  discriminator_noise, discriminator_dropout)
        self.gan = GANLoss("vanilla")
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.domain_weight = domain_weight
        self.source_task_weight = source_task_weight
        self.generated_task_weight = generated_task_weight
        self.mask_threshold = mask_threshold
        self.gradient_clip_val = gradient_clip_norm
        self._grid_targets: torch.Tensor | None = None

    # -- networks -----------------------------------------------------------------------------
    def task_parameters(self) -> list[torch.nn.Parameter]:
        """T's parameters: backbone, bottleneck and classifier."""
        return [*self.backbone.parameters(), *self.bottleneck.parameters(), *self.classifier.parameters()]

    def foreground_mask(self, x: torch.Tensor) -> torch.Tensor | None:
        """The PMSE mask ``m``: ``(N, 1, H, W)`` ones where the channel mean of ``x`` exceeds ``mask_threshold``."""
        if self.mask_threshold is None:
            return None
        return (x.mean(dim=1, keepdim=True) > self.mask_threshold).to(x.dtype)

    def translate(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """``G(x, z)``: source images made to look like target images."""
        return self.generator(x, z)

    # -- optimisation -------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        groups = [{"params": list(self.backbone.parameters()), "lr_mult": self.optim_cfg.backbone_lr_mult},
                  {"params": [*self.bottleneck.parameters(), *self.classifier.parameters()], "lr_mult": 1.0}]
        return {"discriminator": (list(self.discriminator.parameters()), self.optim_cfg),
                "task": (groups, self.optim_cfg),
                "generator": (list(self.generator.parameters()), self.optim_cfg)}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        fake = self.translate(x_s)
        d_acc = torch.zeros((), device=x_s.device)

        def d_objective() -> torch.Tensor:  # (1a) D: real target vs generated
            nonlocal d_acc
            real_logits = self.discriminator(x_t).squeeze(1)
            fake_logits = self.discriminator(fake.detach()).squeeze(1)
            d_acc = 0.5 * ((real_logits > 0).float().mean() + (fake_logits <= 0).float().mean())
            return self.domain_weight * self.gan.discriminator_loss(real_logits, fake_logits)

        def t_objective() -> torch.Tensor:  # (1b) T: source labels on real and generated images
            both = self(torch.cat([x_s, fake.detach()]))
            return (self.source_task_weight * F.cross_entropy(both[: len(x_s)], y_s)
                    + self.generated_task_weight * F.cross_entropy(both[len(x_s):], y_s))

        terms: dict[str, torch.Tensor] = {}

        def g_objective() -> torch.Tensor:  # (2) G against the updated D and T
            terms["adv"] = self.gan.generator_loss(self.discriminator(fake).squeeze(1))
            terms["task"] = F.cross_entropy(self(fake), y_s)
            loss = self.alpha * terms["adv"] + self.beta * terms["task"]
            if self.gamma > 0:
                terms["content"] = masked_pairwise_mse(x_s, fake, self.foreground_mask(x_s))
                loss = loss + self.gamma * terms["content"]
            return loss

        d_loss = self.player_step("discriminator", d_objective)
        t_loss = self.player_step("task", t_objective)
        g_loss = self.player_step("generator", g_objective)
        logs = {"train/d_loss": d_loss, "train/task_loss": t_loss, "train/g_loss": g_loss, "train/d_acc": d_acc,
                "train/g_adv": terms["adv"].detach(), "train/g_task": terms["task"].detach()}
        if "content" in terms:
            logs["train/content_pmse"] = terms["content"].detach()
        self.log_train(logs)

    # -- evaluation and grids -----------------------------------------------------------------
    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        if dataloader_idx == 1 and batch_idx == 0 and self._grid_targets is None:
            self._grid_targets = batch[0][:GRID_TARGETS].detach().cpu()
        return super().validation_step(batch, batch_idx, dataloader_idx)

    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Rows in [0, 1]: source images, their translations (fixed noise), real target images."""
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        gen = torch.Generator().manual_seed(0)
        z = self.generator.sample_noise(len(x), generator=gen).to(x.device) if self.generator.noise_dim else None
        rows = [("source", (x + 1) / 2), ("generated", (self.translate(x, z) + 1) / 2)]
        if self._grid_targets is not None:
            rows.append(("target", (self._grid_targets[: len(x)] + 1) / 2))
        return rows
