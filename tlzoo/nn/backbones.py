"""Feature extractors, chosen by name: ``build_backbone(BackboneConfig(name="resnet50"), (3, 224, 224))``.

Every builder returns a :class:`Backbone`: a plain ``nn.Module`` mapping a batch to flat features,
with its output width ``out_dim`` known without a forward pass by the caller.

Architectures:

* ``dann_digits``: the MNIST network of DANN (Ganin et al., JMLR 2016, Fig. 4/Sec. 5.2.1):
  conv 5x5x32 - max-pool 2 - conv 5x5x48 - max-pool 2.
* ``dann_svhn``: the SVHN network of DANN: conv 5x5x64 - max-pool 3/2 - conv 5x5x64 -
  max-pool 3/2 - conv 5x5x128 (the paper's fully connected 3072-2048 layers are the
  classifier head, ``classifier_hidden``).
* ``lenet``: the LeNet encoder used by ADDA (Tzeng et al., CVPR 2017): conv 5x5x20 - pool -
  conv 5x5x50 - pool - fc 500 - ReLU.
* ``resnet50``: torchvision ResNet-50 without its final fc layer (2048-d), ImageNet weights
  with ``pretrained: true``.
* ``mlp``: fully connected layers over feature vectors (e.g. DeCAF or SURF features).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from tlzoo.errors import TLZooError


@dataclass
class BackboneConfig:
    """Which feature extractor to build.

    Args:
        name: one of ``dann_digits``, ``dann_svhn``, ``lenet``, ``resnet50``, ``mlp``.
        pretrained: load ImageNet weights (``resnet50`` only).
        batch_norm: insert BatchNorm after each conv / linear layer (digit nets and ``mlp``).
        hidden: widths of the ``mlp`` layers.
        dropout: dropout after the last layer of the digit nets and ``mlp``.
        channels_last: keep the convolutional backbones' weights and activations in channels-last (NHWC)
            memory layout, which oneDNN on CPUs and tensor cores on GPUs run faster (the digit nets' steps
            about 1.4x on a CPU). The maths is the same; results differ from NCHW by float rounding.
            Ignored by ``mlp``.
    """

    name: str = "dann_digits"
    pretrained: bool = False
    batch_norm: bool = True
    hidden: tuple[int, ...] = field(default=(512,))
    dropout: float = 0.0
    channels_last: bool = True


class Backbone(nn.Module):
    """A feature extractor with a known flat output width ``out_dim``."""

    def __init__(self, body: nn.Module, out_dim: int) -> None:
        super().__init__()
        self.body = body
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.body(x), 1)


def _conv_block(c_in: int, c_out: int, batch_norm: bool, *then: nn.Module) -> list[nn.Module]:
    """conv 5x5 (- BatchNorm) - ``then`` (pooling, dropout) - ReLU.

    The papers draw conv - ReLU - max-pool; ReLU is monotone, so ReLU after max-pooling gives the same values
    and gradients while thresholding a quarter of the elements. Parameter indices (checkpoint keys) are
    those of the conv - ReLU - pool order.
    """
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel_size=5)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    return [*layers, *then, nn.ReLU(inplace=True)]


def _with_out_dim(body: nn.Module, input_shape: Sequence[int]) -> Backbone:
    with torch.no_grad():
        was_training = body.training
        body.eval()
        try:
            out = body(torch.zeros(1, *input_shape))
        except RuntimeError as err:
            raise TLZooError(
                f"inputs of shape {tuple(input_shape)} do not fit this backbone ({err}); "
                "choose another --model.backbone.name or resize the data"
            ) from None
        body.train(was_training)
    return Backbone(body, int(out.flatten(1).shape[1]))


def _require_image(cfg: BackboneConfig, input_shape: Sequence[int]) -> None:
    if len(input_shape) != 3:
        raise TLZooError(
            f"backbone {cfg.name!r} expects images (C, H, W) but the data gives inputs of shape "
            f"{tuple(input_shape)}; use `--model.backbone.name mlp` for feature vectors"
        )


def dann_digits(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    _require_image(cfg, input_shape)
    body = nn.Sequential(
        *_conv_block(input_shape[0], 32, cfg.batch_norm, nn.MaxPool2d(2)),
        *_conv_block(32, 48, cfg.batch_norm, nn.Dropout2d(cfg.dropout), nn.MaxPool2d(2)),
    )
    return _with_out_dim(body, input_shape)


def dann_svhn(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    _require_image(cfg, input_shape)
    pool = dict(kernel_size=3, stride=2, padding=1)
    body = nn.Sequential(
        *_conv_block(input_shape[0], 64, cfg.batch_norm, nn.MaxPool2d(**pool)),
        *_conv_block(64, 64, cfg.batch_norm, nn.MaxPool2d(**pool)),
        *_conv_block(64, 128, cfg.batch_norm), nn.Dropout2d(cfg.dropout),
    )
    return _with_out_dim(body, input_shape)


def lenet(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    _require_image(cfg, input_shape)
    convs = nn.Sequential(
        nn.Conv2d(input_shape[0], 20, 5), nn.MaxPool2d(2), nn.ReLU(inplace=True),
        nn.Conv2d(20, 50, 5), nn.Dropout2d(cfg.dropout), nn.MaxPool2d(2), nn.ReLU(inplace=True),
        nn.Flatten(),
    )
    flat = _with_out_dim(convs, input_shape).out_dim
    body = nn.Sequential(convs, nn.Linear(flat, 500), nn.ReLU(inplace=True))
    return Backbone(body, 500)


def mlp(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    if len(input_shape) != 1:
        raise TLZooError(
            f"backbone 'mlp' expects feature vectors (D,) but the data gives shape {tuple(input_shape)}"
        )
    layers: list[nn.Module] = []
    width = input_shape[0]
    for h in cfg.hidden:
        layers.append(nn.Linear(width, h))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(nn.ReLU(inplace=True))
        width = h
    if cfg.dropout > 0:
        layers.append(nn.Dropout(cfg.dropout))
    return Backbone(nn.Sequential(*layers), width)


def resnet50(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    _require_image(cfg, input_shape)
    from torchvision.models import ResNet50_Weights
    from torchvision.models import resnet50 as tv_resnet50

    net = tv_resnet50(weights=None)
    if cfg.pretrained:
        net.load_state_dict(load_imagenet_weights(ResNet50_Weights.IMAGENET1K_V1))
    net.fc = nn.Identity()
    return Backbone(net, 2048)


def load_imagenet_weights(weights) -> dict[str, torch.Tensor]:
    """Load torchvision ImageNet weights from the torch hub cache, downloading if possible.

    Offline, raises a :class:`TLZooError` that says where to put the file.
    """
    url: str = weights.url
    cache = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(url))
    if os.path.isfile(cache):
        return torch.load(cache, map_location="cpu", weights_only=True)
    try:
        return weights.get_state_dict(progress=True)
    except Exception as err:  # noqa: BLE001 - any network failure becomes one actionable message
        raise TLZooError(
            f"could not load ImageNet weights ({type(err).__name__}: {err}).\n"
            f"  Download {url}\n  to {cache}\n"
            "  (or point TORCH_HOME at a folder holding hub/checkpoints/<file>), "
            "or train from scratch with `--model.backbone.pretrained false`."
        ) from None


BACKBONES: dict[str, Callable[[BackboneConfig, Sequence[int]], Backbone]] = {
    "dann_digits": dann_digits,
    "dann_svhn": dann_svhn,
    "lenet": lenet,
    "mlp": mlp,
    "resnet50": resnet50,
}


def build_backbone(cfg: BackboneConfig, input_shape: Sequence[int]) -> Backbone:
    """Build the backbone named by ``cfg.name`` for inputs of ``input_shape`` (without batch)."""
    try:
        builder = BACKBONES[cfg.name]
    except KeyError:
        raise TLZooError(
            f"unknown backbone {cfg.name!r}; choose one of {sorted(BACKBONES)} (--model.backbone.name)"
        ) from None
    backbone = builder(cfg, tuple(input_shape))
    if cfg.channels_last and len(input_shape) == 3:
        backbone.to(memory_format=torch.channels_last)
    return backbone


def mlp_head(in_dim: int, hidden: Sequence[int], out_dim: int, dropout: float = 0.0) -> nn.Sequential:
    """``Linear-ReLU(-Dropout)`` layers of widths ``hidden``, then a final linear layer."""
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)
