"""Coupled networks with tied layers: UNIT's two VAEs with a shared latent space and its coupled discriminators.

Liu, Breuel & Kautz, "Unsupervised Image-to-Image Translation Networks", NIPS 2017,
https://arxiv.org/abs/1703.00848, Sec. 2 and Fig. 1(b): the last layers of the encoders ``E1``, ``E2`` and the
first layers of the generators ``G1``, ``G2`` are **the same modules** (weight sharing: one set of tensors),
which, with the VAE and GAN terms, makes a pair of corresponding images map to one latent code ``z``. For
domain adaptation (Sec. 5) the high-level layers of ``D1`` and ``D2`` are tied as well, and a classification
head on those shared features is trained with source labels (the authors' CoGAN-style digit networks).

:class:`SharedLatentVAEs` (sizes for a ``H x W`` image, ``b = base_channels``, H and W divisible by 4)::

    E_i  = private_i: Conv5x5/2(C_i -> b)  |  shared: Conv5x5/2(b -> 2b), Conv3x3(2b -> 4b), Conv1x1(4b -> d) = mu
    G_i  = shared: Conv3x3(d -> 4b), ConvT4x4/2(4b -> 2b)  |  private_i: ConvT4x4/2(2b -> b), Conv1x1(b -> C_i), tanh

(normalisation + LeakyReLU 0.2 after every hidden layer). ``encoder_a[1] is encoder_b[1]`` and
``generator_a[0] is generator_b[0]``: the shared halves are registered under both names (``parameters()``
lists each tensor once). The latent is a ``d x H/4 x W/4`` map.

:class:`CoupledDiscriminator`: three blocks ``Conv5x5 -> LeakyReLU -> MaxPool2 (-> Dropout)`` with ``b, 2b, 4b``
filters, the first ``3 - shared_blocks`` per domain and the last ``shared_blocks`` tied, then a real/fake
logit head and a class-logit head on the flattened features (tied too when ``shared_blocks > 0``).
"""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer


def _block(conv: nn.Module, channels: int, norm: NormKind) -> list[nn.Module]:
    return [conv, norm_layer(norm, channels), nn.LeakyReLU(0.2, inplace=True)]


class SharedLatentVAEs(nn.Module):
    """``E1, E2, G1, G2`` of UNIT with tied high-level encoder / low-level generator layers (module docstring).

    Args:
        channels_a: channels of domain A (X1) images.
        channels_b: channels of domain B (X2) images.
        base_channels: ``b``, filters of the first encoder layer.
        latent_channels: ``d``, channels of the latent map.
        norm: normalisation of the hidden layers (``batch``, ``instance``, ``none``).
    """

    def __init__(self, channels_a: int, channels_b: int, base_channels: int = 64, latent_channels: int = 64,
                 norm: NormKind = "batch") -> None:
        super().__init__()
        b, bias = base_channels, conv_bias(norm)

        def private_encoder(c: int) -> nn.Sequential:
            return nn.Sequential(*_block(nn.Conv2d(c, b, 5, 2, 2, bias=bias), b, norm))

        def private_generator(c: int) -> nn.Sequential:
            return nn.Sequential(*_block(nn.ConvTranspose2d(2 * b, b, 4, 2, 1, bias=bias), b, norm),
                                 nn.Conv2d(b, c, 1), nn.Tanh())

        shared_encoder = nn.Sequential(*_block(nn.Conv2d(b, 2 * b, 5, 2, 2, bias=bias), 2 * b, norm),
                                       *_block(nn.Conv2d(2 * b, 4 * b, 3, 1, 1, bias=bias), 4 * b, norm),
                                       nn.Conv2d(4 * b, latent_channels, 1))
        shared_generator = nn.Sequential(*_block(nn.Conv2d(latent_channels, 4 * b, 3, 1, 1, bias=bias), 4 * b, norm),
                                         *_block(nn.ConvTranspose2d(4 * b, 2 * b, 4, 2, 1, bias=bias), 2 * b, norm))
        self.encoder_a = nn.Sequential(private_encoder(channels_a), shared_encoder)
        self.encoder_b = nn.Sequential(private_encoder(channels_b), shared_encoder)
        self.generator_a = nn.Sequential(shared_generator, private_generator(channels_a))
        self.generator_b = nn.Sequential(shared_generator, private_generator(channels_b))
        self.latent_channels = latent_channels
        init_gan_weights(self)

    @property
    def shared_encoder(self) -> nn.Module:
        """The tied high-level layers of ``E1`` and ``E2``."""
        return self.encoder_a[1]

    @property
    def shared_generator(self) -> nn.Module:
        """The tied low-level layers of ``G1`` and ``G2``."""
        return self.generator_a[0]

    def encode_pair(self, x_a: torch.Tensor, x_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu_a, mu_b) = (E1(x_a), E2(x_b))``; the shared layers see both domains in one batch (their
        normalisation statistics are those of the union, as the authors' code does)."""
        h = torch.cat([self.encoder_a[0](x_a), self.encoder_b[0](x_b)])
        mu = self.shared_encoder(h)
        return mu[: len(x_a)], mu[len(x_a):]

    def decode_both(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(G1(z), G2(z))``: the shared layers run once."""
        h = self.shared_generator(z)
        return self.generator_a[1](h), self.generator_b[1](h)


class CoupledDiscriminator(nn.Module):
    """``D1``, ``D2`` with tied high-level blocks, a real/fake head and a class head (module docstring).

    Args:
        channels_a: channels of domain A images.
        channels_b: channels of domain B images.
        image_size: ``(H, W)`` or the side of the square images.
        base_channels: filters of the first block.
        num_classes: classes of the class head (0: none).
        shared_blocks: how many of the 3 blocks (the last ones) ``D1`` and ``D2`` share (0: two separate
            discriminators, with separate heads).
        dropout: dropout after every block.
    """

    def __init__(self, channels_a: int, channels_b: int, image_size: int | tuple[int, int], base_channels: int = 64,
                 num_classes: int = 0, shared_blocks: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        if not 0 <= shared_blocks <= 3:
            raise ValueError(f"shared_blocks must be in 0..3, got {shared_blocks}")
        widths = [base_channels, 2 * base_channels, 4 * base_channels]

        def block(i: int, c_in: int) -> nn.Sequential:
            layers: list[nn.Module] = [nn.Conv2d(c_in, widths[i], 5, 1, 2), nn.LeakyReLU(0.2, inplace=True),
                                       nn.MaxPool2d(2)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            return nn.Sequential(*layers)

        def private(c: int) -> list[nn.Module]:
            return [block(i, c if i == 0 else widths[i - 1]) for i in range(3 - shared_blocks)]

        shared = [block(i, channels_a if i == 0 else widths[i - 1]) for i in range(3 - shared_blocks, 3)]
        if shared_blocks == 3 and channels_a != channels_b:
            raise ValueError("shared_blocks=3 ties the first layer too: it needs channels_a == channels_b")
        self.body_a = nn.Sequential(*private(channels_a), *shared, nn.Flatten())
        self.body_b = nn.Sequential(*private(channels_b), *shared, nn.Flatten())
        h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
        with torch.no_grad():
            self.feature_dim = int(self.body_a(torch.zeros(1, channels_a, h, w)).shape[1])

        def heads(out: int) -> tuple[nn.Module, nn.Module]:
            head = nn.Linear(self.feature_dim, out)
            return (head, head) if shared_blocks > 0 else (head, nn.Linear(self.feature_dim, out))

        self.adv_head_a, self.adv_head_b = heads(1)
        self.class_head_a: nn.Module | None = None
        self.class_head_b: nn.Module | None = None
        if num_classes > 0:
            self.class_head_a, self.class_head_b = heads(num_classes)
        self.shared_blocks = shared_blocks
        init_gan_weights(self)

    def features(self, x: torch.Tensor, domain: str) -> torch.Tensor:
        """The flattened high-level features of ``x`` through ``D1`` (``domain="a"``) or ``D2`` (``"b"``)."""
        return (self.body_a if domain == "a" else self.body_b)(x)

    def forward(self, x: torch.Tensor, domain: str) -> torch.Tensor:
        """Real/fake logits ``(N,)`` of ``D1`` or ``D2``."""
        head = self.adv_head_a if domain == "a" else self.adv_head_b
        return head(self.features(x, domain)).squeeze(1)

    def classify(self, x: torch.Tensor, domain: str) -> torch.Tensor:
        """Class logits ``(N, num_classes)`` of images of ``domain``."""
        head = self.class_head_a if domain == "a" else self.class_head_b
        if head is None:
            raise ValueError("this CoupledDiscriminator has no class head (num_classes=0)")
        return head(self.features(x, domain))
