"""Gatys et al. style transfer optimises the image: the style loss falls by an order of magnitude while the image
stays close to the content photograph (about 2 s of CPU). Random VGG-19 weights (the ImageNet ones are not assumed
present): random convolutional features still carry texture statistics, enough to check the optimisation."""

from __future__ import annotations

import pytest
import torch

from tlzoo.data.content_images import read_rgb
from tlzoo.errors import TLZooError
from tlzoo.methods.style.gatys import GatysStyleTransfer


def test_style_loss_falls_tenfold_content_stays_bounded() -> None:
    torch.manual_seed(0)
    content, style = read_rgb("skimage:astronaut", 64), read_rgb("skimage:immunohistochemistry", 64)
    model = GatysStyleTransfer(style_weight=1e6, pretrained=False)
    assert model.weights_source == "random"
    result = model.stylize(content, style, steps=20, optimizer="lbfgs")
    first, last = result.history[0], result.history[-1]
    assert len(result.history) == 20 and first["content"] == 0.0  # starts at the content image
    assert last["style"] < first["style"] / 10
    # bounded: much closer to the photograph's content than a random image is
    targets = model.targets(content, style)
    noise = model.losses(torch.rand_like(content), *targets)["content"].item()
    assert last["content"] < 0.5 * noise  # (about 0.3 with these weights)
    assert result.image.shape == content.shape and 0 <= result.image.min() and result.image.max() <= 1


def test_adam_noise_start_and_argument_checks() -> None:
    torch.manual_seed(0)
    model = GatysStyleTransfer(style_weight=1e5, tv_weight=1e-3, pretrained=False,
                               style_layers=("relu1_1", "relu2_1"), content_layers=("relu2_2",))
    content, style = read_rgb("skimage:coffee", 32), read_rgb("skimage:chelsea", 48)
    result = model.stylize(content, style, steps=4, optimizer="adam", init="noise")
    assert len(result.history) == 4 and result.history[0]["tv"] > 0
    assert result.history[-1]["total"] < result.history[0]["total"]
    with pytest.raises(TLZooError):
        model.stylize(content, style, steps=0)
    with pytest.raises(TLZooError):
        GatysStyleTransfer(style_weight=-1.0, pretrained=False)
