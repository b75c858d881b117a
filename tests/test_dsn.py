"""DSN: its two losses recomputed by hand, the parts' shapes, one training step, and a learning check."""

from __future__ import annotations

import math

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from lightning.pytorch.callbacks import Callback

from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import DSN, OptimConfig, SourceOnly
from tlzoo.nn.autoencoder_parts import PrivateEncoder, SharedDecoder
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.losses.reconstruction import difference_loss, scale_invariant_mse


# -- losses ------------------------------------------------------------------------------------
def test_scale_invariant_mse_by_hand() -> None:
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]], [[[0.0, -1.0], [2.0, 0.5]]]])  # (2, 1, 2, 2)
    x_hat = torch.tensor([[[[0.5, 2.0], [1.0, 4.5]]], [[[1.0, 1.0], [2.0, 0.0]]]])
    expected = 0.0
    for i in range(2):
        d = [a - b for a, b in zip(x[i].flatten().tolist(), x_hat[i].flatten().tolist(), strict=True)]
        k = len(d)
        expected += sum(v * v for v in d) / k - sum(d) ** 2 / k**2
    expected /= 2
    # example 0: d = (0.5, 0, 2, -0.5): 4.5/4 - 4/16 = 0.875; example 1: d = (-1, -2, 0, 0.5): 5.25/4 - 6.25/16
    assert expected == pytest.approx((0.875 + (5.25 / 4 - 6.25 / 16)) / 2)
    assert scale_invariant_mse(x, x_hat).item() == pytest.approx(expected)


def test_scale_invariant_mse_ignores_a_constant_offset_but_not_a_pattern() -> None:
    x = torch.randn(3, 3, 8, 8)
    assert scale_invariant_mse(x, x + 0.7).item() == pytest.approx(0.0, abs=1e-6)
    assert scale_invariant_mse(x, torch.zeros_like(x)).item() > 0.5
    with pytest.raises(ValueError, match="same shape"):
        scale_invariant_mse(x, x[:, :1])


def test_difference_loss_as_printed_in_the_paper() -> None:
    h_c = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0]])  # n=3, d_c=2
    h_p = torch.tensor([[0.5, 1.0, 0.0], [1.0, 0.0, 2.0], [-1.0, 1.0, 1.0]])  # d_p=3
    product = [[sum(h_c[n, i].item() * h_p[n, j].item() for n in range(3)) for j in range(3)] for i in range(2)]
    frob2 = sum(v * v for row in product for v in row)
    assert difference_loss(h_c, h_p, normalize=False, reduction="sum").item() == pytest.approx(frob2)
    assert difference_loss(h_c, h_p, normalize=False, reduction="mean").item() == pytest.approx(frob2 / 6)


def test_difference_loss_with_the_released_code_normalisation() -> None:
    h_c = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.0, -2.0]])
    h_p = torch.tensor([[0.5, 1.0, 0.0], [1.0, 0.0, 2.0], [-1.0, 1.0, 1.0]])

    def centre_and_normalise_rows(m: list[list[float]]) -> list[list[float]]:
        cols = len(m[0])
        means = [sum(r[j] for r in m) / len(m) for j in range(cols)]
        out = []
        for r in m:
            c = [r[j] - means[j] for j in range(cols)]
            norm = math.sqrt(sum(v * v for v in c))
            out.append([v / norm for v in c])
        return out

    a, b = centre_and_normalise_rows(h_c.tolist()), centre_and_normalise_rows(h_p.tolist())
    product = [[sum(a[n][i] * b[n][j] for n in range(3)) for j in range(3)] for i in range(2)]
    expected = sum(v * v for row in product for v in row) / 6
    assert difference_loss(h_c, h_p).item() == pytest.approx(expected, rel=1e-5)
    # scale of the codes does not matter once normalised
    assert difference_loss(10 * h_c, 0.1 * h_p).item() == pytest.approx(expected, rel=1e-5)


def test_difference_loss_is_zero_for_orthogonal_codes() -> None:
    h_c = torch.tensor([[1.0, 0.0], [0.0, 0.0]])  # non-zero on example 0 only
    h_p = torch.tensor([[0.0, 0.0], [3.0, 1.0]])  # non-zero on example 1 only
    assert difference_loss(h_c, h_p, normalize=False).item() == 0.0
    assert difference_loss(h_c, h_c, normalize=False).item() > 0.0


# -- parts -------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_private_encoder_and_decoder_shapes(shape: tuple[int, int, int]) -> None:
    enc = PrivateEncoder(shape, code_dim=100)
    dec = SharedDecoder(100, shape)
    x = torch.randn(4, *shape)
    code = enc(x)
    assert code.shape == (4, 100)
    assert dec(code).shape == (4, *shape)


# -- module ------------------------------------------------------------------------------------
def _batch(shape: tuple[int, int, int], n: int = 6) -> dict:
    g = torch.Generator().manual_seed(0)
    return {"source": (torch.randn(n, *shape, generator=g), torch.arange(n) % 10),
            "target": torch.randn(n, *shape, generator=g)}


def _grad_norm(module: torch.nn.Module) -> float:
    return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)


@pytest.mark.parametrize(("similarity", "shape"), [("dann", (1, 28, 28)), ("mmd", (3, 32, 32))])
def test_training_step_trains_every_part(similarity: str, shape: tuple[int, int, int]) -> None:
    torch.manual_seed(0)
    model = DSN(10, shape, backbone=BackboneConfig(name="dann_digits"), similarity=similarity)
    loss = model.training_step(_batch(shape), 0)
    assert torch.isfinite(loss)
    loss.backward()
    parts = [model.backbone, model.bottleneck, model.classifier, model.private_source, model.private_target,
             model.decoder]
    if similarity == "dann":
        parts.append(model.discriminator)
    for part in parts:
        assert _grad_norm(part) > 0, type(part).__name__
    assert model.reconstruct(_batch(shape)["target"], "target", part="private").shape == (6, *shape)


def test_adaptation_losses_wait_for_start_step() -> None:
    torch.manual_seed(0)
    model = DSN(10, (1, 28, 28), adaptation_start_step=5)
    assert model.adaptation_weight == 0.0  # global_step is 0 without a trainer
    loss = model.training_step(_batch((1, 28, 28)), 0)
    loss.backward()
    assert _grad_norm(model.classifier) > 0
    assert _grad_norm(model.private_source) == 0 and _grad_norm(model.decoder) == 0


def test_difference_loss_matches_the_module_codes() -> None:
    """The module adds the per-domain difference losses of its own shared and private codes."""
    torch.manual_seed(0)
    model = DSN(10, (1, 28, 28), alpha=0.0, beta=1.0, gamma=0.0).eval()
    batch = _batch((1, 28, 28))
    x_s, x_t = batch["source"][0], batch["target"]
    with torch.no_grad():
        h_c = model.features(torch.cat([x_s, x_t]))
        expected = (difference_loss(h_c[:6], model.private_source(x_s))
                    + difference_loss(h_c[6:], model.private_target(x_t)))
        task = torch.nn.functional.cross_entropy(model(x_s), batch["source"][1])
        total = model.training_step(batch, 0)
    torch.testing.assert_close(total, task + expected)


# -- learning check ----------------------------------------------------------------------------
class _LastTargetAcc(Callback):
    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        self.value = float(trainer.callback_metrics["val/target_acc"])


def _fit_target_acc(model, epochs: int, seed: int) -> float:
    cb = _LastTargetAcc()
    trainer = Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0, callbacks=[cb])
    trainer.fit(model, EmbeddedDigits(source="uci", batch_size=32, seed=seed))
    return cb.value


@pytest.mark.slow
def test_dsn_beats_source_only_on_embedded_digits() -> None:
    """UCI -> MNIST, 2 epochs each, the same shared network and optimiser (60-95 s on a shared CPU)."""
    seed = 0
    optim = OptimConfig(name="sgd", lr=0.01, momentum=0.9, weight_decay=1e-6, schedule="dann")
    seed_everything(seed)
    source_only = _fit_target_acc(
        SourceOnly(10, (1, 28, 28), bottleneck_dim=100, classifier_hidden=(100,), optim=optim), 2, seed)
    seed_everything(seed)
    dsn = _fit_target_acc(DSN(10, (1, 28, 28), similarity="mmd", gamma=1.0, optim=optim), 2, seed)
    assert dsn > source_only + 0.04, (dsn, source_only)
