"""Shapes and structure of the GAN networks: pix2pix U-Net, CycleGAN ResNet, DCGAN G/D, PatchGAN."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.discriminators import DCGANDiscriminator, PatchGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator, ResnetGenerator, UNetGenerator
from tlzoo.nn.norm import conv_bias, norm_layer


# -- norm ----------------------------------------------------------------------------------------
def test_norm_layer_kinds() -> None:
    assert isinstance(norm_layer("batch", 4), nn.BatchNorm2d)
    inst = norm_layer("instance", 4)
    assert isinstance(inst, nn.InstanceNorm2d) and not inst.affine and not inst.track_running_stats
    assert isinstance(norm_layer("none", 4), nn.Identity)
    assert (conv_bias("batch"), conv_bias("instance"), conv_bias("none")) == (False, True, True)
    with pytest.raises(ValueError, match="norm must be one of"):
        norm_layer("layer", 4)  # type: ignore[arg-type]


# -- U-Net ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "num_downs"), [(32, 5), (64, 6)])
def test_unet_output_and_skip_shapes(size: int, num_downs: int) -> None:
    g = UNetGenerator(3, 2, num_downs=num_downs, base_channels=8)
    x = torch.randn(2, 3, size, size)
    skips = g.encode(x)
    assert len(skips) == num_downs
    for i, s in enumerate(skips):
        side = size // 2 ** (i + 1)
        assert tuple(s.shape) == (2, 8 * min(2**i, 8), side, side)
    assert tuple(skips[-1].shape[-2:]) == (1, 1)
    y = g(x)
    assert y.shape == (2, 2, size, size)
    assert y.abs().max() <= 1.0  # Tanh


def test_unet_structure_follows_pix2pix() -> None:
    g = UNetGenerator(3, 3, num_downs=8, base_channels=64)
    # no norm on the first encoder layer nor on the bottleneck; the others have one
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[0].modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[-1].modules())
    assert all(any(isinstance(m, nn.BatchNorm2d) for m in g.down[i].modules()) for i in range(1, 7))
    assert isinstance(g.down[1][0], nn.LeakyReLU) and g.down[1][0].negative_slope == 0.2
    assert [d[-2 if i in range(1, 7) else -1].out_channels for i, d in enumerate(g.down)] == [
        64, 128, 256, 512, 512, 512, 512, 512]
    # dropout in the first three decoder blocks only; ReLU decoder; Tanh output
    with_dropout = [any(isinstance(m, nn.Dropout) for m in block.modules()) for block in g.up]
    assert with_dropout == [True, True, True, False, False, False, False, False]
    assert all(isinstance(block[0], nn.ReLU) for block in g.up)
    assert isinstance(g.up[-1][-1], nn.Tanh)
    # decoder inputs: bottleneck, then concatenations (paper's CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128)
    assert [block[1].in_channels for block in g.up] == [512, 1024, 1024, 1024, 1024, 512, 256, 128]
    assert sum(isinstance(m, nn.Dropout) for m in UNetGenerator(3, 3, dropout=False).modules()) == 0


def test_unet_rejects_sizes_not_divisible() -> None:
    g = UNetGenerator(3, 3, num_downs=8, base_channels=4)
    with pytest.raises(TLZooError, match=r"num_downs=8.*32x32.*at most 5"):
        g(torch.randn(1, 3, 32, 32))
    with pytest.raises(TLZooError, match="48x64"):
        UNetGenerator(3, 3, num_downs=5, base_channels=4)(torch.randn(1, 3, 48, 64))


def test_unet_instance_norm_has_conv_bias() -> None:
    g = UNetGenerator(1, 1, num_downs=5, base_channels=4, norm="instance")
    assert g.down[1][1].bias is not None
    assert g(torch.randn(1, 1, 32, 32)).shape == (1, 1, 32, 32)


# -- ResNet (CycleGAN) ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [32, 64])
def test_resnet_generator_shapes(size: int) -> None:
    g = ResnetGenerator(3, 1, base_channels=8, n_blocks=2)
    y = g(torch.randn(2, 3, size, size))
    assert y.shape == (2, 1, size, size) and y.abs().max() <= 1.0
    assert any(isinstance(m, nn.ReflectionPad2d) for m in g.modules())
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in g.modules()) == 1 + 2 + 2 * 2 + 2


def test_resnet_generator_block_count_and_bad_size() -> None:
    from tlzoo.nn.generators import ResnetBlock

    g = ResnetGenerator(3, 3, base_channels=4, n_blocks=9)
    assert sum(isinstance(m, ResnetBlock) for m in g.modules()) == 9
    with pytest.raises(TLZooError, match="divisible by 4"):
        g(torch.randn(1, 3, 30, 30))


# -- DCGAN ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [16, 28, 32, 64])
def test_dcgan_generator_and_discriminator_shapes(size: int) -> None:
    g = DCGANGenerator(latent_dim=8, out_channels=3, image_size=size, base_channels=8)
    x = g(torch.randn(4, 8))
    assert x.shape == (4, 3, size, size) and x.abs().max() <= 1.0
    d = DCGANDiscriminator(3, size, base_channels=8)
    logit = d(x)
    assert isinstance(logit, torch.Tensor) and logit.shape == (4,)
    assert d.features(x).shape == (4, d.feature_dim)


def test_dcgan_generator_conditional() -> None:
    torch.manual_seed(0)
    g = DCGANGenerator(latent_dim=8, out_channels=1, image_size=28, base_channels=8, num_classes=10).eval()
    z = torch.randn(3, 8)
    labels = torch.tensor([0, 5, 9])
    x = g(z, labels)
    assert x.shape == (3, 1, 28, 28)
    assert g.model[0].in_channels == 8 + 10
    assert not torch.allclose(x, g(z, torch.tensor([1, 5, 9])))  # the label matters
    assert g(z.view(3, 8, 1, 1), labels).shape == x.shape
    with pytest.raises(ValueError, match="pass labels"):
        g(z)
    with pytest.raises(ValueError, match="unconditional"):
        DCGANGenerator(8, 1, 28)(z, labels)


def test_dcgan_rejects_unsupported_sizes() -> None:
    with pytest.raises(TLZooError, match="image_size"):
        DCGANGenerator(8, 1, 48)
    with pytest.raises(TLZooError, match="image_size"):
        DCGANDiscriminator(1, 128)
    with pytest.raises(TLZooError, match="32x32"):
        DCGANDiscriminator(1, 32, base_channels=4)(torch.randn(1, 1, 28, 28))


def test_dcgan_discriminator_aux_head_and_spectral_norm() -> None:
    d = DCGANDiscriminator(3, 32, base_channels=8, aux_classes=5, spectral_norm=True, norm="none")
    x = torch.randn(4, 3, 32, 32)
    out = d(x)
    assert isinstance(out, tuple)
    logit, aux = out
    assert logit.shape == (4,) and aux.shape == (4, 5)
    assert d.features(x).shape == (4, 8 * 4 * 4 * 4)
    assert hasattr(d.head, "parametrizations") and hasattr(d.body[0], "parametrizations")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert not any(isinstance(m, nn.Sigmoid) for m in d.modules())


# -- PatchGAN ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "n_layers", "side"), [(32, 2, 6), (32, 3, 2), (64, 3, 6), (256, 3, 30)])
def test_patchgan_map_shapes(size: int, n_layers: int, side: int) -> None:
    d = PatchGANDiscriminator(6, base_channels=4, n_layers=n_layers)
    out = d(torch.randn(2, 6, size, size))
    assert out.shape == (2, 1, side, side)
    assert d.output_size(size) == side


def test_patchgan_structure() -> None:
    d = PatchGANDiscriminator(3)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert [c.stride[0] for c in convs] == [2, 2, 2, 1, 1]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 3  # none on C64
    with pytest.raises(TLZooError, match="n_layers=3"):
        d(torch.randn(1, 3, 16, 16))


@pytest.mark.parametrize(("n_layers", "field"), [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field(n_layers: int, field: int) -> None:
    assert PatchGANDiscriminator.receptive_field(n_layers) == field
    # measured: the input pixels that one central logit depends on
    d = PatchGANDiscriminator(1, base_channels=2, n_layers=n_layers, norm="none")
    x = torch.randn(1, 1, 160, 160, requires_grad=True)
    out = d(x)
    c = out.shape[-1] // 2
    (grad,) = torch.autograd.grad(out[0, 0, c, c], x)
    rows = grad[0, 0].abs().sum(1).nonzero()
    cols = grad[0, 0].abs().sum(0).nonzero()
    assert int(rows.max() - rows.min() + 1) == field
    assert int(cols.max() - cols.min() + 1) == field
