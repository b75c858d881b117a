"""The convolutional backbones: ReLU after max-pooling is the papers' conv - ReLU - pool, and the channels-last
layout changes speed, not the model."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from tlzoo.nn.backbones import BackboneConfig, build_backbone

#: Module order of the papers' drawing (conv - BN - ReLU - pool ...) as indices into the built body.
PAPER_ORDER = {
    "dann_digits": ((1, 28, 28), (0, 1, 3, 2, 4, 5, 8, 6, 7)),
    "dann_svhn": ((3, 32, 32), (0, 1, 3, 2, 4, 5, 7, 6, 8, 9, 10, 11)),
}


@pytest.mark.parametrize("name", sorted(PAPER_ORDER))
def test_relu_after_pooling_trains_exactly_like_the_papers_order(name: str) -> None:
    shape, order = PAPER_ORDER[name]
    torch.manual_seed(0)
    built = build_backbone(BackboneConfig(name=name, dropout=0.2, channels_last=False), shape)
    paper = copy.deepcopy(built)
    modules = list(paper.body)
    paper.body = nn.Sequential(*[modules[i] for i in order])
    assert [type(m) for m in paper.body][:3] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    # parameter indices (checkpoint keys) did not move
    assert paper.state_dict().keys() == built.state_dict().keys()
    optimisers = [torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) for m in (paper, built)]
    for step in range(4):
        x = torch.randn(8, *shape)
        outputs = []
        for model, opt in zip((paper, built), optimisers):
            torch.manual_seed(step)  # the same dropout masks
            out = model(x)
            opt.zero_grad()
            out.square().mean().backward()
            opt.step()
            outputs.append(out)
        assert torch.equal(outputs[0], outputs[1])
    for a, b in zip(paper.state_dict().values(), built.state_dict().values()):
        assert torch.equal(a, b)


def test_channels_last_is_the_default_for_images_and_ignored_for_feature_vectors() -> None:
    conv = build_backbone(BackboneConfig(name="dann_digits"), (3, 28, 28))
    weight = conv.body[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    nchw = build_backbone(BackboneConfig(name="dann_digits", channels_last=False), (3, 28, 28))
    assert nchw.body[0].weight.is_contiguous()
    mlp = build_backbone(BackboneConfig(name="mlp", hidden=(16,)), (10,))
    assert mlp(torch.randn(4, 10)).shape == (4, 16)


@pytest.mark.parametrize("name,shape", [("dann_digits", (3, 28, 28)), ("lenet", (1, 28, 28))])
def test_channels_last_gives_the_same_features_up_to_rounding(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    nchw = build_backbone(BackboneConfig(name=name, channels_last=False), shape).eval()
    nhwc = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
    x = torch.randn(5, *shape)
    out = nhwc(x)
    assert out.shape == nchw(x).shape and out.is_contiguous()
    torch.testing.assert_close(out, nchw(x), rtol=1e-4, atol=1e-5)
    # a checkpoint written in one layout loads into the other
    nchw.load_state_dict(nhwc.state_dict())
    torch.testing.assert_close(nchw(x), out, rtol=1e-4, atol=1e-5)
