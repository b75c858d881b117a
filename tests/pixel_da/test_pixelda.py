"""PixelDA: the masked pairwise MSE recomputed by hand, the networks, one real training run and the image grid."""

from __future__ import annotations

import torch
from lightning.pytorch import Trainer, seed_everything

from tests.test_adda import TinyDigits
from tlzoo.methods import PixelDA
from tlzoo.nn.losses.content import masked_pairwise_mse
from tlzoo.nn.pixel_da import NoiseResidualGenerator, PixelDADiscriminator


def _pmse_by_hand(x: torch.Tensor, g: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Eq. 5 of the paper, one image at a time with explicit sums (k = elements of one image)."""
    values = []
    for xi, gi, mi in zip(x, g, m):
        d = [float(a - b) * float(w) for a, b, w in zip(xi.flatten(), gi.flatten(), mi.expand_as(xi).flatten())]
        k = len(d)
        values.append(sum(v * v for v in d) / k - sum(d) ** 2 / k**2)
    return torch.tensor(sum(values) / len(values))


def test_pmse_matches_the_formula_and_respects_the_mask() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 2, 5, 4, generator=g) * 2 - 1
    y = torch.rand(3, 2, 5, 4, generator=g) * 2 - 1
    m = (torch.rand(3, 1, 5, 4, generator=g) > 0.5).float()
    assert torch.allclose(masked_pairwise_mse(x, y, m), _pmse_by_hand(x, y, m), atol=1e-6)
    # what the generator does outside the mask does not count
    y_changed = torch.where(m.bool().expand_as(y), y, torch.randn_like(y))
    assert torch.allclose(masked_pairwise_mse(x, y_changed, m), masked_pairwise_mse(x, y, m), atol=1e-6)
    # without a mask: every pixel; a constant shift of the whole image costs nothing (pairwise differences)
    assert torch.allclose(masked_pairwise_mse(x, y), _pmse_by_hand(x, y, torch.ones(3, 1, 5, 4)), atol=1e-6)
    assert masked_pairwise_mse(x, x + 0.3).abs() < 1e-6
    assert masked_pairwise_mse(x, y) > 0


def test_generator_and_discriminator_shapes() -> None:
    gen = NoiseResidualGenerator(3, 3, (12, 10), noise_dim=4, base_channels=8, n_blocks=2)
    x = torch.rand(2, 3, 12, 10) * 2 - 1
    z = gen.sample_noise(2)
    out = gen(x, z)
    assert out.shape == x.shape and out.abs().max() <= 1
    assert not torch.equal(gen(x, z), gen(x, -z))  # the noise reaches the output
    d = PixelDADiscriminator(3, (12, 10), base_channels=8, n_layers=2)
    assert d(out).shape == (2, 1)


def test_foreground_mask_thresholds_the_channel_mean() -> None:
    model = PixelDA(10, (3, 16, 16), generator_channels=4, generator_blocks=1, discriminator_channels=4,
                    discriminator_layers=1, mask_threshold=0.0)
    x = -torch.ones(1, 3, 16, 16)
    x[..., 2:4, 2:4] = 0.8
    mask = model.foreground_mask(x)
    assert mask.shape == (1, 1, 16, 16) and mask.sum() == 4 and mask[0, 0, 2, 2] == 1
    assert PixelDA(10, (3, 16, 16), generator_channels=4, generator_blocks=1).foreground_mask(x) is None


def test_training_runs_and_grid_shows_source_generated_target() -> None:
    seed_everything(0)
    model = PixelDA(10, (1, 28, 28), generator_channels=8, generator_blocks=1, discriminator_channels=8,
                    discriminator_layers=2, gamma=0.01, mask_threshold=0.0)
    data = TinyDigits(batch_size=8)
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    trainer = Trainer(max_steps=3, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(model, data)
    assert trainer.global_step == 3
    assert any(not torch.equal(before[k], v) for k, v in model.generator.state_dict().items())
    logged = trainer.callback_metrics
    assert "val/target_acc" in logged and "train/content_pmse" in logged
    model.eval()
    x, _ = next(iter(data.val_dataloader()[0]))
    with torch.no_grad():
        rows = model.image_grid((x[:4], None))
    assert [name for name, _ in rows] == ["source", "generated", "target"]
    assert all(r.shape[1:] == (1, 28, 28) and 0 <= r.min() and r.max() <= 1 for _, r in rows)
