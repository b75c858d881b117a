"""Optimisation-based neural style transfer (no training: each image is its own optimisation problem)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.losses.perceptual import gatys_content_loss, gatys_style_loss, gram_matrix, total_variation
from tlzoo.nn.vgg_features import VGGFeatures

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu4_2",)


@dataclass
class StylizeResult:
    """The stylised image ``(1, 3, H, W)`` in [0, 1] and the loss history (one dict per loss evaluation:
    ``step``, ``content``, ``style``, ``tv`` unweighted, ``total`` weighted)."""

    image: torch.Tensor
    history: list[dict[str, float]] = field(default_factory=list)
    weights_source: str = "imagenet"


class GatysStyleTransfer(nn.Module):
    """Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016,
    https://openaccess.thecvf.com/content_cvpr_2016/papers/Gatys_Image_Style_Transfer_CVPR_2016_paper.pdf.

    Objective (Eq. 7), minimised over the pixels of the image ``x``::

        L_total(p, a, x) = alpha L_content(p, x) + beta L_style(a, x)   [+ tv_weight TV(x), not in the paper]

    with ``L_content`` the squared error of the ``conv4_2`` responses to the content photograph ``p`` and
    ``L_style`` the Gram-matrix losses of ``conv1_1 .. conv5_1`` to the artwork ``a``, ``w_l = 1/5``
    (:mod:`tlzoo.nn.losses.perceptual` writes them out). VGG-19 with average pooling (Sec. 2), optimised
    with L-BFGS (Sec. 3).

    Code vs. paper: ``content_weight`` = alpha, ``style_weight`` = beta (default alpha / beta = 1e-3, the order
    of the paper's Figs. 3-4, which range from 1e-2 to 1e-5); ``content_layers`` / ``style_layers`` = the
    paper's ``conv4_2`` / ``conv1_1 .. conv5_1`` (``relu*`` here: Caffe's in-place ReLU made the paper's "conv"
    blobs rectified); ``steps`` counts loss evaluations.

    Deviations: torchvision's VGG-19 (inputs in [0, 1], ImageNet-normalised) instead of the Caffe model
    (0-255 inputs), so the absolute scale of the losses, and hence the best alpha / beta, differ; ``init`` is
    ``content`` by default (the paper starts from white noise, ``init: noise``; Fig. 6 shows the content
    start converges to a similar result); the result is clipped to [0, 1] at the end; the style image is
    resized to the content image's size.

    Args:
        content_weight: alpha.
        style_weight: beta.
        tv_weight: weight of the total variation (squared differences; 0 in the paper).
        content_layers: VGG-19 layers of the content loss.
        style_layers: VGG-19 layers of the style loss (equal weights ``1 / len``).
        pooling: ``avg`` (paper) or ``max``.
        pretrained: ImageNet weights for VGG-19.
        allow_random_weights: random VGG weights when the ImageNet ones are absent (tests / demos; said so).
    """

    def __init__(self, content_weight: float = 1.0, style_weight: float = 1e3, tv_weight: float = 0.0,
                 content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
                 pooling: Literal["avg", "max"] = "avg", pretrained: bool = True,
                 allow_random_weights: bool = False) -> None:
        super().__init__()
        if min(content_weight, style_weight, tv_weight) < 0:
            raise TLZooError("content, style and tv weights must be >= 0")
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.content_layers, self.style_layers = list(content_layers), list(style_layers)
        self.vgg = VGGFeatures("vgg19", [*self.content_layers, *self.style_layers], pretrained=pretrained,
                               allow_random_weights=allow_random_weights, pooling=pooling)

    @property
    def weights_source(self) -> str:
        return self.vgg.weights_source

    def losses(self, x: torch.Tensor, content_targets: dict[str, torch.Tensor],
               style_grams: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``content``, ``style``, ``tv`` (unweighted) and ``total`` (weighted) for the image ``x``."""
        feats = self.vgg(x)
        content = sum(gatys_content_loss(feats[n], content_targets[n]) for n in self.content_layers)
        style = gatys_style_loss(feats, style_grams)
        tv = total_variation(x) if self.tv_weight > 0 else x.new_zeros(())
        total = self.content_weight * content + self.style_weight * style + self.tv_weight * tv
        return {"content": content, "style": style, "tv": tv, "total": total}

    @torch.no_grad()
    def targets(self, content: torch.Tensor, style: torch.Tensor) -> tuple[dict[str, torch.Tensor],
                                                                             dict[str, torch.Tensor]]:
        """The content responses ``P`` and the style Gram matrices ``A`` (style resized to the content's size)."""
        if style.shape[-2:] != content.shape[-2:]:
            style = F.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False,
                                  antialias=True).clamp(0, 1)
        content_feats = self.vgg(content)
        style_feats = self.vgg(style)
        return ({n: content_feats[n] for n in self.content_layers},
                {n: gram_matrix(style_feats[n], normalize=False) for n in self.style_layers})

    def stylize(self, content: torch.Tensor, style: torch.Tensor, steps: int = 300,
                optimizer: Literal["lbfgs", "adam"] = "lbfgs", lr: float | None = None,
                init: Literal["content", "noise", "style"] = "content", seed: int = 0) -> StylizeResult:
        """Optimise an image: ``content`` / ``style`` are ``(1, 3, H, W)`` in [0, 1]; ``steps`` loss evaluations
        (L-BFGS, lr 1 by default; Adam, lr 0.02 by default)."""
        if steps < 1:
            raise TLZooError(f"steps must be >= 1, got {steps}")
        content_targets, style_grams = self.targets(content, style)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        if init == "noise":
            start = torch.rand(content.shape, generator=generator).to(content)
        elif init == "style":
            start = F.interpolate(style, size=content.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
        else:
            start = content
        x = start.detach().clone().requires_grad_(True)
        history: list[dict[str, float]] = []

        def closure() -> torch.Tensor:
            opt.zero_grad()
            losses = self.losses(x, content_targets, style_grams)
            losses["total"].backward()
            history.append({"step": len(history), **{k: float(v.detach()) for k, v in losses.items()}})
            return losses["total"]

        if optimizer == "lbfgs":
            opt: torch.optim.Optimizer = torch.optim.LBFGS([x], lr=lr or 1.0, max_iter=20, history_size=50)
            while len(history) < steps:
                before = len(history)
                remaining = steps - before
                opt.param_groups[0].update(max_iter=min(20, remaining), max_eval=remaining)
                opt.step(closure)
                if len(history) == before:  # converged (L-BFGS made no evaluation)
                    break
        else:
            opt = torch.optim.Adam([x], lr=lr or 0.02)
            for _ in range(steps):
                opt.step(closure)
                with torch.no_grad():
                    x.clamp_(0.0, 1.0)
        return StylizeResult(x.detach().clamp(0.0, 1.0), history, self.weights_source)
