"""Feed-forward style transfer: a transformation network trained with perceptual losses, one style per network."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Literal

import torch

from tlzoo.core.module import ZooModule
from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler
from tlzoo.errors import TLZooError
from tlzoo.nn.losses.perceptual import (
    feature_reconstruction_loss,
    gram_matrix,
    style_reconstruction_loss,
    total_variation,
)
from tlzoo.nn.norm import NormKind
from tlzoo.nn.transform_net import TransformNet
from tlzoo.nn.vgg_features import VGGFeatures

STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
CONTENT_LAYERS = ("relu2_2",)


class JohnsonStyleTransfer(ZooModule):
    """Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016,
    https://arxiv.org/abs/1603.08155, Secs. 3-4.1.

    A transformation network ``y_hat = f_W(x)`` (:class:`tlzoo.nn.transform_net.TransformNet`) is trained on
    content photographs ``x`` to minimise (Eq. 2 with the losses of Sec. 3.2-3.3)::

        E_x [ lambda_c l_feat^{relu2_2}(y_hat, x) + lambda_s sum_j l_style^{phi,j}(y_hat, y_s) + lambda_TV l_TV(y_hat) ]

    ``l_feat``: mean squared error of the VGG-16 responses (content target: the input itself); ``l_style``:
    squared Frobenius distance of normalised Gram matrices at ``relu1_2, relu2_2, relu3_3, relu4_3`` to those
    of the one style image ``y_s`` (:mod:`tlzoo.nn.losses.perceptual`). Afterwards one forward pass stylises
    any image (``tlzoo predict`` writes them, ``tlzoo stylize --method johnson --checkpoint ...``).

    Code vs. paper: ``content_weight`` = lambda_c, ``style_weight`` = lambda_s, ``tv_weight`` = lambda_TV (sum of
    squared neighbour differences of [0, 1] images); ``content_layers`` = the paper's ``relu2_2`` (Johnson's
    released code later used ``relu3_3``: pass ``[relu3_3]``); ``style_image`` = ``y_s``; ``style_size`` = its
    longer side. Paper training: COCO 80k at 256x256, batch 4, 40k iterations, Adam lr 1e-3.

    Deviations: instance normalisation in the network by default (see :class:`TransformNet`); torchvision's
    VGG-16 on [0, 1] inputs, so the loss scales and the best weights differ from the paper's; the VGG is not
    stored in checkpoints (rebuilt from the torchvision weights when a loss is needed; predicting needs no VGG).

    Args:
        style_image: the style image: a file path or ``skimage:<name>``.
        style_size: longer side of the style image when its Gram matrices are computed.
        content_weight: lambda_c.
        style_weight: lambda_s.
        tv_weight: lambda_TV.
        content_layers: VGG-16 layers of the feature reconstruction loss.
        style_layers: VGG-16 layers of the style reconstruction loss.
        base_channels: transformation network width (paper: 32).
        residual_blocks: residual blocks (paper: 5).
        norm: ``instance`` or ``batch`` (paper).
        upsample: ``transposed`` (paper) or ``nearest``.
        pretrained: ImageNet weights for the VGG-16 loss network.
        allow_random_weights: random VGG weights when the ImageNet ones are absent (tests / demos; said so).
        optim: optimiser (paper: Adam, lr 1e-3).
        num_classes: linked from the data by the CLI; unused.
        input_shape: linked from the data by the CLI; must be 3-channel.
    """

    default_monitor = ("val/loss", "min")
    predict_output = "images"

    def __init__(self, style_image: str, style_size: int = 256, content_weight: float = 1.0,
                 style_weight: float = 5.0, tv_weight: float = 1e-5,
                 content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
                 base_channels: int = 32, residual_blocks: int = 5, norm: NormKind = "instance",
                 upsample: Literal["transposed", "nearest"] = "transposed", pretrained: bool = True,
                 allow_random_weights: bool = False, optim: OptimConfig | None = None,
                 num_classes: int | None = None, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if input_shape is not None and len(input_shape) == 3 and input_shape[0] != 3:
            raise TLZooError(f"style transfer needs RGB images, the data gives {tuple(input_shape)}")
        if min(content_weight, style_weight, tv_weight) < 0:
            raise TLZooError("content_weight, style_weight and tv_weight must be >= 0")
        self.save_hyperparameters()
        self.style_image, self.style_size = style_image, style_size
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.content_layers, self.style_layers = list(content_layers), list(style_layers)
        self.pretrained, self.allow_random_weights = pretrained, allow_random_weights
        self.optim_cfg = optim or OptimConfig(name="adam", lr=1e-3, schedule="constant")
        self.net = TransformNet(base_channels, residual_blocks, norm, upsample)
        # Not submodules: neither in the checkpoint nor in the optimiser (see loss_network()).
        self.__dict__["_vgg"] = None
        self.__dict__["_style_grams"] = None

    # -- the fixed loss network ---------------------------------------------------------------
    def loss_network(self) -> VGGFeatures:
        """The VGG-16 of the losses (built on first use, on this module's device)."""
        vgg = self.__dict__["_vgg"]
        if vgg is None:
            vgg = VGGFeatures("vgg16", [*self.content_layers, *self.style_layers], pretrained=self.pretrained,
                              allow_random_weights=self.allow_random_weights)
            self.__dict__["_vgg"] = vgg
            if vgg.weights_source == "random":
                print("JohnsonStyleTransfer: the VGG-16 loss network has RANDOM weights (allow_random_weights): "
                      "a test / demo, not the paper's perceptual losses", file=sys.stderr)
        if vgg.mean.device != self.device:
            vgg.to(self.device)
            self.__dict__["_style_grams"] = None
        return vgg

    @property
    def weights_source(self) -> str:
        return self.loss_network().weights_source

    def style_grams(self) -> dict[str, torch.Tensor]:
        """Normalised Gram matrices of the style image at the style layers (computed once per device)."""
        vgg = self.loss_network()
        grams = self.__dict__["_style_grams"]
        if grams is None:
            from tlzoo.data.content_images import read_rgb

            style = read_rgb(self.style_image, self.style_size).to(self.device)
            with torch.no_grad():
                feats = vgg(style)
            grams = {n: gram_matrix(feats[n], normalize=True) for n in self.style_layers}
            self.__dict__["_style_grams"] = grams
        return grams

    # -- model --------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stylise ``(N, 3, H, W)`` images in [0, 1]."""
        return self.net(x)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``content``, ``style``, ``tv`` (unweighted) and ``loss`` (weighted) for the content batch ``x``."""
        vgg = self.loss_network()
        grams = self.style_grams()
        y = self(x)
        with torch.no_grad():
            target = vgg(x)
        feats = vgg(y)
        content = sum(feature_reconstruction_loss(feats[n], target[n]) for n in self.content_layers)
        style = style_reconstruction_loss(feats, grams, self.style_layers)
        tv = total_variation(y)
        loss = self.content_weight * content + self.style_weight * style + self.tv_weight * tv
        return {"content_loss": content, "style_loss": style, "tv": tv, "loss": loss}

    @staticmethod
    def _images(batch: Any) -> torch.Tensor:
        return batch[0] if isinstance(batch, (tuple, list)) else batch

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        losses = self.losses(self._images(batch))
        self.log_train({f"train/{k}": v.detach() for k, v in losses.items()})
        return losses["loss"]

    def _eval(self, batch: Any, stage: str) -> None:
        losses = self.losses(self._images(batch))
        for k, v in losses.items():
            self.log(f"{stage}/{k}", v, prog_bar=k == "loss" and stage == "val")

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._eval(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._eval(batch, "test")

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        return {"images": self(self._images(batch))}

    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Rows for :class:`~tlzoo.callbacks.images.ImageGrid`: content, stylised (and the style image)."""
        from tlzoo.data.content_images import read_rgb

        x = self._images(batch)
        style = read_rgb(self.style_image, max(x.shape[-2:])).to(x.device)
        return [("content", x), ("stylised", self(x)), ("style", style)]

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.net.parameters(), self.optim_cfg)
        scheduler = build_scheduler(optimizer, self.optim_cfg, lambda: self.total_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
