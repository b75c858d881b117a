"""A fixed VGG-16 / VGG-19 that returns named intermediate responses: the "loss network" of neural style transfer.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015
(https://arxiv.org/abs/1409.1556), configurations D (VGG-16) and E (VGG-19), as torchvision builds them.

Layers are named as in the style-transfer papers: ``conv<b>_<i>`` and ``relu<b>_<i>`` for the ``i``-th
convolution of block ``b`` and its rectification, ``pool<b>`` for the pooling after block ``b``. Gatys et al.
name their layers ``conv4_2`` etc. after Caffe blobs, whose ReLU runs in place: their "conv" responses are the
*rectified* ones, ``relu4_2`` here.

Inputs are RGB images in [0, 1]; the module normalises them with the ImageNet mean / std that torchvision's
weights expect. The weights are ImageNet's (``torchvision.models.VGG16_Weights.IMAGENET1K_V1`` /
``VGG19_Weights.IMAGENET1K_V1``), read from the torch hub cache (``$TORCH_HOME/hub/checkpoints``), downloaded
when there is a network. Without them: a :class:`~tlzoo.errors.TLZooError` naming the file and the folder,
unless ``allow_random_weights`` (then random weights, flagged in :attr:`VGGFeatures.weights_source` and by a
warning: the losses still run, for tests and demos, but they are not the papers' perceptual losses).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from tlzoo.errors import TLZooError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Arch = Literal["vgg16", "vgg19"]


def layer_names(features: nn.Sequential) -> list[str]:
    """``conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, ...`` for torchvision's ``vgg.features``."""
    names, block, index = [], 1, 0
    for layer in features:
        if isinstance(layer, nn.Conv2d):
            index += 1
            names.append(f"conv{block}_{index}")
        elif isinstance(layer, nn.ReLU):
            names.append(f"relu{block}_{index}")
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            names.append(f"pool{block}")
            block, index = block + 1, 0
        else:
            names.append(f"{type(layer).__name__.lower()}{block}_{index}")
    return names


def imagenet_vgg_state(arch: Arch, allow_random_weights: bool) -> dict[str, torch.Tensor] | None:
    """torchvision's ImageNet state dict of ``arch`` (cache, then download), or ``None`` when it cannot be had and
    ``allow_random_weights``; else a :class:`TLZooError` that says where to put the file."""
    from torchvision.models import VGG16_Weights, VGG19_Weights

    weights = VGG16_Weights.IMAGENET1K_V1 if arch == "vgg16" else VGG19_Weights.IMAGENET1K_V1
    cache = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))
    if os.path.isfile(cache):
        return torch.load(cache, map_location="cpu", weights_only=True)
    try:
        return weights.get_state_dict(progress=False)
    except Exception as err:  # noqa: BLE001 - any network failure becomes one actionable message
        reason = f"{type(err).__name__}: {err}"
    if allow_random_weights:
        warnings.warn(f"{arch}: no ImageNet weights ({reason}); using RANDOM weights as allowed "
                      "(allow_random_weights): the perceptual losses are not the papers'", stacklevel=2)
        return None
    raise TLZooError(
        f"could not load the ImageNet weights of {arch} ({reason}).\n  Download {weights.url}\n  to {cache}\n"
        "  (or point TORCH_HOME at a folder holding hub/checkpoints/<file>); for a test or demo only, allow random "
        "weights (--model.init_args.allow_random_weights true, or tlzoo stylize --allow-random-weights)")


class VGGFeatures(nn.Module):
    """Named responses of a frozen VGG (module docstring): ``forward(x01) -> {name: (N, C, H, W)}``.

    Args:
        arch: ``vgg16`` or ``vgg19``.
        layers: names of the responses to return (the network is cut after the deepest one).
        pretrained: ImageNet weights (``False``: random weights, on purpose).
        allow_random_weights: when ``pretrained`` but the weights cannot be loaded, use random weights (with a
            warning) instead of raising.
        pooling: ``max`` (VGG) or ``avg`` (Gatys et al. replace max pooling by average pooling).
    """

    def __init__(self, arch: Arch, layers: Sequence[str], pretrained: bool = True, allow_random_weights: bool = False,
                 pooling: Literal["max", "avg"] = "max") -> None:
        super().__init__()
        from torchvision.models.vgg import cfgs, make_layers

        features = make_layers(cfgs["D" if arch == "vgg16" else "E"], batch_norm=False)  # no 120M-weight classifier
        state = imagenet_vgg_state(arch, allow_random_weights) if pretrained else None
        if state is not None:
            features.load_state_dict({k[len("features."):]: v for k, v in state.items() if k.startswith("features.")})
        else:  # torchvision's VGG initialisation
            for m in features.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
        #: ``imagenet`` or ``random``: say it wherever results are shown.
        self.weights_source = "imagenet" if state is not None else "random"
        names = layer_names(features)
        unknown = [name for name in layers if name not in names]
        if unknown or not layers:
            raise TLZooError(f"unknown {arch} layer(s) {unknown or '(none given)'}; choose among {names}")
        self.layers = list(dict.fromkeys(layers))
        last = max(names.index(name) for name in self.layers)
        modules: list[nn.Module] = []
        for layer in list(features)[: last + 1]:
            if isinstance(layer, nn.ReLU):
                layer = nn.ReLU(inplace=False)  # keep each named response intact
            elif isinstance(layer, nn.MaxPool2d) and pooling == "avg":
                layer = nn.AvgPool2d(2, 2)
            modules.append(layer)
        self.body = nn.Sequential(*modules)
        self.names = names[: last + 1]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGGFeatures:
        return super().train(False)  # a fixed loss network: always in eval mode

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x``: ``(N, 3, H, W)`` RGB in [0, 1] (1 channel is repeated) -> the requested responses."""
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        h = (x - self.mean) / self.std
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        for name, layer in zip(self.names, self.body):
            h = layer(h)
            if name in wanted:
                out[name] = h
        return out
