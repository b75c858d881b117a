"""Backbones: output widths, input checks, and the offline ImageNet-weights error."""

from __future__ import annotations

import pytest
import torch

from tlzoo.errors import TLZooError
from tlzoo.nn.backbones import BackboneConfig, build_backbone
from tlzoo.nn.discriminators import DomainDiscriminator


@pytest.mark.parametrize(
    ("name", "shape", "dim"),
    [("dann_digits", (1, 28, 28), 768), ("dann_svhn", (3, 32, 32), 128), ("lenet", (1, 28, 28), 500),
     ("mlp", (800,), 512)],
)
def test_output_width(name: str, shape: tuple[int, ...], dim: int) -> None:
    net = build_backbone(BackboneConfig(name=name), shape)
    assert net.out_dim == dim
    assert net(torch.zeros(2, *shape)).shape == (2, dim)


def test_resnet50_features_without_weights() -> None:
    net = build_backbone(BackboneConfig(name="resnet50", pretrained=False), (3, 64, 64))
    assert net.out_dim == 2048
    assert net(torch.zeros(1, 3, 64, 64)).shape == (1, 2048)


def test_pretrained_offline_gives_actionable_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.hub.set_dir(str(tmp_path / "hub"))

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    with pytest.raises(TLZooError, match="pretrained false") as err:
        build_backbone(BackboneConfig(name="resnet50", pretrained=True), (3, 224, 224))
    assert "resnet50-" in str(err.value) and "hub" in str(err.value)


def test_wrong_input_kind_and_unknown_name() -> None:
    with pytest.raises(TLZooError, match="mlp"):
        build_backbone(BackboneConfig(name="dann_digits"), (800,))
    with pytest.raises(TLZooError, match="unknown backbone"):
        build_backbone(BackboneConfig(name="vgg99"), (3, 32, 32))
    with pytest.raises(TLZooError, match="do not fit"):
        build_backbone(BackboneConfig(name="dann_svhn"), (3, 8, 8))


def test_discriminator_outputs_logits_under_autocast() -> None:
    disc = DomainDiscriminator(16, (8,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = disc(torch.randn(4, 16))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.squeeze(1), torch.ones(4))
    assert torch.isfinite(loss)
