"""CDRD's digit networks from the authors' code (tlzoo/nn/cdrd_nets.py): the layer sizes of the module docstring,
no normalisation layer anywhere, the 28 px check, and CDRD built with ``networks: paper``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.cdrd import CDRD
from tlzoo.nn.cdrd_nets import CDRDDigitDiscriminator, CDRDDigitGenerator


def test_generator_layer_sizes() -> None:
    g = CDRDDigitGenerator(latent_dim=100, num_classes=10, out_channels=1)
    z, labels = torch.randn(3, 100), torch.tensor([0, 4, 9])
    h = g.common(z, labels)
    assert h.shape == (3, 128, 25, 25)
    sides = []
    x = torch.cat([z, torch.nn.functional.one_hot(labels, 10).float()], 1)[:, :, None, None]
    for layer in g.shared:
        x = layer(x)
        if isinstance(layer, nn.ConvTranspose2d):
            sides.append((x.shape[1], x.shape[-1]))
    assert sides == [(1024, 2), (512, 5), (256, 12), (128, 25)]
    for d in (0, 1):
        out = g.render(h, d)
        assert out.shape == (3, 1, 28, 28) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="pass labels"):
        g.common(z)


def test_discriminator_layer_sizes_and_heads() -> None:
    d = CDRDDigitDiscriminator(in_channels=3, num_classes=7)
    x = torch.randn(2, 3, 28, 28)
    assert d.body.low[0](x).shape == (2, 20, 24, 24)
    logit, cls = d(x, 1)
    assert logit.shape == (2,) and cls.shape == (2, 7) and d.features(x, 0).shape == (2, 500)
    with pytest.raises(ValueError, match="domain"):
        d(x, 2)


def test_no_normalisation_and_28_px_only() -> None:
    for net in (CDRDDigitGenerator(8, 10), CDRDDigitDiscriminator()):
        assert not any(isinstance(m, nn.modules.batchnorm._NormBase) for m in net.modules())
    with pytest.raises(TLZooError, match="28x28"):
        CDRDDigitDiscriminator(image_size=32)
    with pytest.raises(TLZooError, match="networks dcgan"):
        CDRD(10, (1, 32, 32), networks="paper")

