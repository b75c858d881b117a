"""The fixed VGG loss network: layer names, cut, frozen eval mode, and the offline weights contract."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import vgg16

from tlzoo.errors import TLZooError
from tlzoo.nn.vgg_features import VGGFeatures, layer_names


def test_layer_names_follow_the_papers() -> None:
    names = layer_names(vgg16(weights=None).features)
    assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert names.index("relu2_2") == 8 and names.index("relu3_3") == 15 and names.index("relu4_3") == 22
    assert names[-1] == "pool5" and len(names) == 31


def test_named_responses_cut_and_frozen() -> None:
    torch.manual_seed(0)
    vgg = VGGFeatures("vgg19", ["conv1_1", "relu1_1", "relu4_2"], pretrained=False, pooling="avg")
    assert vgg.weights_source == "random"
    assert vgg.names[-1] == "relu4_2" and not any(isinstance(m, torch.nn.MaxPool2d) for m in vgg.body)
    out = vgg(torch.rand(2, 3, 32, 32))
    assert set(out) == {"conv1_1", "relu1_1", "relu4_2"}
    assert out["conv1_1"].shape == (2, 64, 32, 32) and out["relu4_2"].shape == (2, 512, 4, 4)
    assert (out["conv1_1"] < 0).any() and torch.equal(out["relu1_1"], out["conv1_1"].clamp_min(0))  # no in-place
    assert not any(p.requires_grad for p in vgg.parameters())
    vgg.train()
    assert not vgg.training
    # inputs are [0, 1] RGB, normalised inside; grey images are repeated to RGB
    grey = torch.rand(1, 1, 16, 16)
    assert torch.allclose(vgg(grey)["relu1_1"], vgg(grey.expand(-1, 3, -1, -1))["relu1_1"])
    with pytest.raises(TLZooError, match="unknown vgg19 layer"):
        VGGFeatures("vgg19", ["relu9_9"], pretrained=False)


def test_missing_weights_give_an_actionable_error(no_imagenet_weights: None) -> None:
    with pytest.raises(TLZooError) as err:
        VGGFeatures("vgg16", ["relu2_2"])
    message = str(err.value)
    assert "vgg16-397923af.pth" in message and "hub" in message and "allow_random_weights" in message


def test_random_weights_only_when_allowed_and_said(no_imagenet_weights: None) -> None:
    with pytest.warns(UserWarning, match="RANDOM weights"):
        vgg = VGGFeatures("vgg16", ["relu2_2"], allow_random_weights=True)
    assert vgg.weights_source == "random"
