"""InfoGAN with the paper's MNIST networks (appendix C.1, ``networks="paper"``): shapes, D / Q wiring, the refusal of
other image shapes, and optimisation steps through InfoGAN's own losses."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from torch import nn

from tests.disentangle.tiny import TinyLabelled
from tlzoo.methods import InfoGAN
from tlzoo.nn.infogan_nets import PAPER_LEAKY_SLOPE, InfoGANMNISTDiscriminator, InfoGANMNISTGenerator

PAPER = {"num_classes": 3, "input_shape": (1, 28, 28), "latent_dim": 62, "categories": 3, "continuous_codes": 2,
         "networks": "paper"}


def _trainer(**kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
                   enable_checkpointing=False, num_sanity_val_steps=0, **kwargs)


def test_paper_networks_have_the_papers_layers_and_shapes() -> None:
    d, g = InfoGANMNISTDiscriminator(), InfoGANMNISTGenerator(74)
    widths = [(m.in_channels, m.out_channels) for m in d.modules() if isinstance(m, nn.Conv2d)]
    fcs = [(m.in_features, m.out_features) for m in d.modules() if isinstance(m, nn.Linear)]
    assert widths == [(1, 64), (64, 128)] and fcs == [(7 * 7 * 128, 1024), (1024, 1)]
    assert [m.negative_slope for m in d.modules() if isinstance(m, nn.LeakyReLU)] == [0.1] * 3
    assert sum(isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) for m in d.modules()) == 2  # none after conv 1
    assert [(m.in_features, m.out_features) for m in g.modules() if isinstance(m, nn.Linear)] == [
        (74, 1024), (1024, 7 * 7 * 128)]
    assert [(m.in_channels, m.out_channels) for m in g.modules() if isinstance(m, nn.ConvTranspose2d)] == [
        (128, 64), (64, 1)]
    assert sum(isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) for m in g.modules()) == 3  # all but the output
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    h = d.features(x)
    assert d.feature_dim == 1024 and h.shape == (5, 1024) and d.head(h).shape == (5, 1) and d(x).shape == (5,)
    fake = g(torch.rand(5, 74) * 2 - 1)
    assert fake.shape == (5, 1, 28, 28) and fake.abs().max() <= 1  # tanh
    assert g(torch.rand(5, 74, 1, 1)).shape == (5, 1, 28, 28)


def test_paper_networks_are_initialised_as_the_other_gan_nets() -> None:
    seed_everything(0)
    d = InfoGANMNISTDiscriminator()
    fc = d.body[6]
    assert isinstance(fc, nn.Linear) and fc.bias is None and abs(fc.weight.std().item() - 0.02) < 0.002
    assert d.head.bias is not None and float(d.head.bias.detach().abs().max()) == 0.0


def test_infogan_uses_the_paper_networks_and_q_shares_the_fc_1024_features() -> None:
    seed_everything(0)
    model = InfoGAN(**PAPER).eval()
    assert isinstance(model.discriminator, InfoGANMNISTDiscriminator)
    assert isinstance(model.generator, InfoGANMNISTGenerator) and model.generator.input_dim == 62 + 3 + 2
    first, act = model.q_head[0], model.q_head[2]
    assert isinstance(first, nn.Linear) and (first.in_features, first.out_features) == (1024, 128)
    assert isinstance(act, nn.LeakyReLU) and act.negative_slope == PAPER_LEAKY_SLOPE
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    logit, cat, cont = model.discriminate(x)
    assert logit.shape == (4,) and cat.shape == (4, 3) and cont.shape == (4, 2)
    h = model.discriminator.features(x)
    q = model.q_head(h)
    assert torch.allclose(logit, model.discriminator.head(h).squeeze(1))
    assert torch.allclose(logit, model.discriminator(x))
    assert torch.allclose(cat, q[:, :3]) and torch.allclose(cont, q[:, 3:])
    assert torch.equal(model.predict_code(x), cat.argmax(1))
    fake = model.generate(model.sample_noise(4), torch.tensor([0, 1, 2, 0]))
    assert fake.shape == (4, 1, 28, 28)
    default = InfoGAN(**{**PAPER, "networks": "dcgan"})
    assert not isinstance(default.discriminator, InfoGANMNISTDiscriminator)
    assert InfoGAN().hparams["networks"] == "dcgan"


@pytest.mark.parametrize("shape", [(1, 32, 32), (3, 28, 28), (1, 16, 16)])
def test_paper_networks_refuse_other_images(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="--model.init_args.networks"):
        InfoGAN(**{**PAPER, "input_shape": shape})


def test_unknown_networks_are_refused() -> None:
    with pytest.raises(ValueError, match="--model.init_args.networks"):
        InfoGAN(**{**PAPER, "networks": "resnet"})  # type: ignore[arg-type]


def test_one_optimisation_step_through_the_infogan_losses() -> None:
    seed_everything(0)
    model = InfoGAN(**PAPER)
    data = TinyLabelled(n=8, size=28, batch_size=8)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    codes, noise = torch.randint(3, (8,)), model.sample_noise(8)
    parts = model.losses(x, model.generate(noise, codes), codes, noise, "generator")
    assert all(math.isfinite(v.item()) for v in parts.values()) and parts["cat"].item() > 0
    _trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=0).fit(model, data)
    moved = {name for name, p in model.named_parameters() if not torch.equal(p.detach(), before[name])}
    for prefix in ("generator.", "discriminator.", "q_head."):  # G and the D / Q player both stepped
        assert any(name.startswith(prefix) for name in moved), prefix
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_cli_fits_and_tests_the_mnist_yaml_with_the_paper_networks() -> None:
    from tests.helpers import EXPERIMENTS, QUICK, run_cli

    config = str(EXPERIMENTS / "disentangle" / "infogan_mnist.yaml")
    flags = [*QUICK, "--model.init_args.networks", "paper", "--trainer.logger", "false", "--trainer.callbacks", "[]"]
    code, out = run_cli(["fit", "-c", config, *flags])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    assert torch.load(ckpt, map_location="cpu", weights_only=False)["hyper_parameters"]["networks"] == "paper"
    code, out = run_cli(["test", "-c", config, *flags, "--ckpt_path", str(ckpt)])
    assert code == 0 and "test/cluster_acc" in out, out
