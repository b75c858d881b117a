"""The perceptual losses of Gatys et al. (CVPR 2016) and Johnson et al. (ECCV 2016), recomputed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tlzoo.nn.losses.perceptual import (
    feature_reconstruction_loss,
    gatys_content_loss,
    gatys_layer_style_loss,
    gatys_style_loss,
    gram_matrix,
    style_reconstruction_loss,
    total_variation,
)


def _gram_by_hand(f: np.ndarray) -> np.ndarray:
    c, h, w = f.shape
    flat = f.reshape(c, h * w)
    return np.array([[sum(flat[i, k] * flat[j, k] for k in range(h * w)) for j in range(c)] for i in range(c)])


def test_gram_matrix_both_normalisations() -> None:
    torch.manual_seed(0)
    f = torch.randn(2, 3, 4, 5)
    raw = gram_matrix(f, normalize=False)
    for n in range(2):
        assert np.allclose(raw[n].numpy(), _gram_by_hand(f[n].numpy()), atol=1e-4)
    assert torch.allclose(gram_matrix(f, normalize=True), raw / (3 * 4 * 5))
    # the style statistic ignores where things are: shuffling positions keeps the Gram matrix
    perm = torch.randperm(20)
    shuffled = f.reshape(2, 3, 20)[:, :, perm].reshape(2, 3, 4, 5)
    assert torch.allclose(gram_matrix(shuffled), gram_matrix(f), atol=1e-6)


def test_gatys_content_and_style_losses_by_hand() -> None:
    torch.manual_seed(1)
    f, p = torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)
    assert gatys_content_loss(f, p).item() == pytest.approx(0.5 * ((f - p) ** 2).sum().item(), rel=1e-6)
    s = torch.randn(1, 4, 3, 3)
    g, a = _gram_by_hand(f[0].numpy()), _gram_by_hand(s[0].numpy())
    n_l, m_l = 4, 9
    expected = ((g - a) ** 2).sum() / (4 * n_l**2 * m_l**2)
    target = gram_matrix(s, normalize=False)
    assert gatys_layer_style_loss(f, target).item() == pytest.approx(expected, rel=1e-5)
    assert gatys_layer_style_loss(s, target).item() == pytest.approx(0.0, abs=1e-10)
    # L_style = sum_l w_l E_l, w_l = 1 / #layers by default
    f2, s2 = torch.randn(1, 2, 2, 2), torch.randn(1, 2, 2, 2)
    feats, grams = {"a": f, "b": f2}, {"a": target, "b": gram_matrix(s2, normalize=False)}
    e_b = gatys_layer_style_loss(f2, grams["b"]).item()
    assert gatys_style_loss(feats, grams).item() == pytest.approx((expected + e_b) / 2, rel=1e-5)
    assert gatys_style_loss(feats, grams, {"a": 1.0, "b": 0.0}).item() == pytest.approx(expected, rel=1e-5)


def test_johnson_losses_by_hand() -> None:
    torch.manual_seed(2)
    y, x = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    # l_feat = 1/(CHW) ||phi(y) - phi(x)||^2, averaged over the batch
    per_image = [((y[n] - x[n]) ** 2).sum().item() / 48 for n in range(2)]
    assert feature_reconstruction_loss(y, x).item() == pytest.approx(np.mean(per_image), rel=1e-6)
    # l_style = sum_j ||G_j(y) - G_j(y_s)||_F^2 with G = F F^T / (CHW); one style image broadcasts over the batch
    s1, s2, y2 = torch.randn(1, 3, 4, 4), torch.randn(1, 5, 2, 2), torch.randn(2, 5, 2, 2)
    grams = {"j1": gram_matrix(s1), "j2": gram_matrix(s2)}
    expected = 0.0
    for n in range(2):
        g1 = _gram_by_hand(y[n].numpy()) / 48 - _gram_by_hand(s1[0].numpy()) / 48
        g2 = _gram_by_hand(y2[n].numpy()) / 20 - _gram_by_hand(s2[0].numpy()) / 20
        expected += ((g1**2).sum() + (g2**2).sum()) / 2
    got = style_reconstruction_loss({"j1": y, "j2": y2}, grams).item()
    assert got == pytest.approx(expected, rel=1e-4)


def test_total_variation_by_hand() -> None:
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])  # one 2x3 image
    vertical = [2.0, 1.0, -1.0]
    horizontal = [1.0, 2.0, 0.0, 0.0]
    assert total_variation(x, power=2).item() == pytest.approx(sum(v * v for v in vertical + horizontal))
    assert total_variation(x, power=1).item() == pytest.approx(sum(abs(v) for v in vertical + horizontal))
    assert total_variation(torch.ones(2, 3, 5, 5)).item() == 0.0
    with pytest.raises(ValueError):
        total_variation(x, power=3)


def test_losses_are_differentiable_and_float32_under_half_inputs() -> None:
    f = torch.randn(1, 3, 4, 4, dtype=torch.bfloat16, requires_grad=True)
    loss = gatys_layer_style_loss(f, gram_matrix(torch.randn(1, 3, 4, 4), normalize=False))
    assert loss.dtype == torch.float32
    loss.backward()
    assert f.grad is not None and torch.isfinite(f.grad.float()).all()
