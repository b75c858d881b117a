"""Conditional variational auto-encoder (cVAE).

Sohn, Lee & Yan, "Learning Structured Output Representation using Deep Conditional Generative Models",
NIPS 2015 (the conditional ELBO, eq. 4), in the class-conditional form of Kingma, Rezende, Mohamed & Welling,
"Semi-Supervised Learning with Deep Generative Models", NIPS 2014, https://arxiv.org/abs/1406.5298 (model M2
with observed labels, eq. 6)::

    log p(x | y) >= E_{q(z | x, y)}[log p(x | z, y)] - D_KL(q(z | x, y) || p(z)) = -L(x, y)

with ``p(z) = N(0, I)``, ``q(z | x, y) = N(mu(x, y), diag(sigma^2(x, y)))`` (reparameterised, ``z = mu + sigma
* eps``, one sample per example) and a Bernoulli decoder over the pixels in [0, 1] (Kingma & Welling 2014,
appendix C.1).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler
from tlzoo.methods.disentangle.base import ConditionalGenerativeMethod, GenerationEval
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator
from tlzoo.nn.losses.latent import gaussian_kl


def label_maps(labels: torch.Tensor, num_classes: int, size: int, dtype: torch.dtype) -> torch.Tensor:
    """One-hot labels as ``(N, num_classes, size, size)`` constant maps (to concatenate with images)."""
    one_hot = F.one_hot(labels.long(), num_classes).to(dtype)
    return one_hot[:, :, None, None].expand(-1, -1, size, size)


class CVAE(ConditionalGenerativeMethod):
    """Conditional VAE (Sohn et al., NIPS 2015; Kingma et al. M2 with observed labels, NIPS 2014).

    Minimises the negative conditional ELBO per image, averaged over the batch::

        L(x, y) = sum_pixels BCE(x01, p(x | z, y)) + beta * D_KL(q(z | x, y) || N(0, I))

    Code vs. paper: ``encoder`` + ``to_stats`` = ``q_phi(z | x, y)`` (the recognition network: the convolutional
    body of a :class:`~tlzoo.nn.discriminators.DCGANDiscriminator`, whose input is the image with the one-hot
    label as constant extra channels), ``to_stats`` outputs ``(mu, log sigma^2)``;
    ``decoder`` = ``p_theta(x | z, y)`` (a :class:`~tlzoo.nn.generators.DCGANGenerator` conditioned on the
    one-hot ``y``); the Bernoulli means are ``sigmoid(2 a)`` with ``a`` the decoder's pre-``tanh`` output, so that
    the generated image in [-1, 1] is exactly ``tanh(a) = 2 sigmoid(2 a) - 1`` and the reconstruction term is
    ``binary_cross_entropy_with_logits(2 a, x01)`` (autocast-safe). ``beta`` = 1 is the ELBO (Higgins et al.'s
    beta-VAE for other values). Sampling: ``z ~ N(0, I)``, ``x = decoder(z, y)`` (the Bernoulli means, not a binary
    draw). Logged: ``train|val|test/loss`` (= ``recon + beta kl``), ``recon`` (nats per image) and ``kl``.

    Deviations: convolutional networks (DCGAN layouts) instead of the papers' MLPs; MNIST is not binarised (the
    grey levels are the Bernoulli targets, as in most public VAE code).

    Latent size: the objective leaves it free (Kingma et al. use 50 dimensions with MLPs, many MNIST cVAE recipes
    2-20). It trades reconstruction against how well prior samples ``z ~ N(0, I)`` keep their class: with a wide
    ``z`` the encoder also stores part of the digit's identity in ``z`` (a column of the class grid then drifts
    towards one digit whatever ``y`` asks for), and prior samples land where the aggregate posterior is thin. On
    MNIST-5k ``experiments/disentangle/cvae_mnist.yaml`` uses ``latent_dim = 4`` (measured against 8 and 16 in
    docs/disentanglement.md); ``beta`` stays 1.

    Args:
        num_classes: classes (linked from the data).
        input_shape: ``(C, H, W)``, ``H`` in 16, 28, 32, 64 (linked from the data).
        latent_dim: dimension of ``z`` (4; see "Latent size").
        base_channels: width of the encoder's first and the decoder's last hidden layer.
        beta: weight of the KL term (1: the ELBO).
        optim: optimiser (Adam 1e-3, constant).
        evaluation: judge / FID settings.
    """

    default_monitor = ("val/loss", "min")

    def __init__(self, num_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 4,
                 base_channels: int = 32, beta: float = 1.0, optim: OptimConfig | None = None,
                 evaluation: GenerationEval | None = None) -> None:
        super().__init__(num_classes, input_shape, latent_dim, evaluation)
        self.save_hyperparameters()
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.beta = beta
        body = DCGANDiscriminator(self.channels + num_classes, self.image_size, base_channels)  # its conv body only
        self.encoder = body.body
        self.to_stats = nn.Linear(body.feature_dim, 2 * latent_dim)
        self.decoder = DCGANGenerator(latent_dim, self.channels, self.image_size, base_channels, num_classes)
        self.optim_cfg = optim or OptimConfig(name="adam", lr=1e-3, schedule="constant")

    # -- the model ----------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of ``q(z | x, y)``, each ``(N, latent_dim)``."""
        h = self.encoder(torch.cat([x, label_maps(y, self.num_classes, x.shape[-1], x.dtype)], 1))
        mu, logvar = self.to_stats(h).chunk(2, dim=1)
        return mu, logvar

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits ``2 a`` of ``p(x | z, y)`` (``a``: the decoder's pre-``tanh`` output)."""
        h = torch.cat([z.flatten(1), F.one_hot(y.long(), self.num_classes).to(z.dtype)], 1)
        return 2.0 * self.decoder.model[:-1](h[:, :, None, None])

    def generate(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(noise, codes)

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """``recon`` (summed over pixels, averaged over images), ``kl`` and ``loss`` for one batch, plus ``logits``
        of the reconstruction."""
        mu, logvar = self.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        logits = self.decode_logits(z, y)
        x01 = self.spec.denormalize(x).clamp(0.0, 1.0)
        recon = F.binary_cross_entropy_with_logits(logits.float(), x01.float(), reduction="sum") / len(x)
        kl = gaussian_kl(mu, logvar)
        return {"recon": recon, "kl": kl, "loss": recon + self.beta * kl, "logits": logits}

    # -- training -----------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.parameters(), self.optim_cfg)
        scheduler = build_scheduler(optimizer, self.optim_cfg, lambda: self.total_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        parts = self.losses(batch[0], batch[1])
        self.log_train({"train/loss": parts["loss"].detach(), "train/recon": parts["recon"].detach(),
                        "train/kl": parts["kl"].detach()})
        return parts["loss"]

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate_batch(self, x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, fake: torch.Tensor,
                       stage: str) -> None:
        with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
            torch.manual_seed(int(self.evaluation.seed))  # the reparameterisation noise; training streams untouched
            parts = self.losses(x, y)
        for name in ("loss", "recon", "kl"):
            self.log(f"{stage}/{name}", parts[name], prog_bar=name == "loss" and stage == "val", batch_size=len(x))

    def extra_grid_rows(self, x: torch.Tensor, y: torch.Tensor, noise: torch.Tensor
                        ) -> list[tuple[str, torch.Tensor]]:
        """The reconstructions ``p(x | mu(x, y), y)`` of the real row."""
        mu, _ = self.encode(x, y)
        return [("reconstruction", self.spec.denormalize(self.decoder(mu, y)))]
