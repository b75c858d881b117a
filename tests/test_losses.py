"""Each loss of tlzoo.nn.losses recomputed by hand (explicit loops / closed forms) on small tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tlzoo.nn.losses import (
    MMDLoss,
    class_soft_labels,
    coral_loss,
    covariance,
    domain_classifier_loss,
    domain_confusion_loss,
    mmd2,
    soft_label_loss,
)


def _samples(n: int = 6, m: int = 5, d: int = 3, shift: float = 0.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    xs = torch.randn(n, d, generator=g, dtype=torch.float64)
    return xs, torch.randn(m, d, generator=g, dtype=torch.float64) + shift


def _mmd_by_hand(xs, xt, kernel, unbiased: bool) -> float:
    """MMD^2 from an explicit kernel function and explicit double loops."""
    xs, xt = xs.tolist(), xt.tolist()
    n, m = len(xs), len(xt)

    def mean_k(a, b, skip_diag):
        total, count = 0.0, 0
        for i, u in enumerate(a):
            for j, v in enumerate(b):
                if skip_diag and i == j:
                    continue
                total += kernel(u, v)
                count += 1
        return total / count

    return mean_k(xs, xs, unbiased) + mean_k(xt, xt, unbiased) - 2 * mean_k(xs, xt, False) if n and m else 0.0


def _sqdist(u, v) -> float:
    return sum((a - b) ** 2 for a, b in zip(u, v, strict=True))


def _dan_kernel(pooled, kernel_num, kernel_mul, bandwidth=None):
    """DAN's sum of Gaussian kernels, bandwidths around the mean off-diagonal squared distance."""
    if bandwidth is None:
        pairs = [_sqdist(u, v) for i, u in enumerate(pooled) for j, v in enumerate(pooled) if i != j]
        bandwidth = sum(pairs) / len(pairs)
    gammas = [bandwidth * kernel_mul ** (u - kernel_num // 2) for u in range(kernel_num)]
    return lambda u, v: sum(math.exp(-_sqdist(u, v) / g) for g in gammas) / kernel_num, gammas


def test_linear_mmd_is_ddc_mean_distance() -> None:
    xs, xt = _samples(shift=1.0)
    expected = float(((xs.mean(0) - xt.mean(0)) ** 2).sum())  # DDC: ||mean phi(x_s) - mean phi(x_t)||^2
    assert float(mmd2(xs, xt, kernel="linear")) == pytest.approx(expected, rel=1e-5)
    dot = lambda u, v: sum(a * b for a, b in zip(u, v, strict=True))  # noqa: E731
    assert float(mmd2(xs, xt, kernel="linear")) == pytest.approx(_mmd_by_hand(xs, xt, dot, False), rel=1e-5)
    assert float(mmd2(xs, xt, kernel="linear", estimator="unbiased")) == pytest.approx(
        _mmd_by_hand(xs, xt, dot, True), rel=1e-5)


@pytest.mark.parametrize("kernel_num, kernel_mul", [(1, 2.0), (5, 2.0), (3, 1.5)])
@pytest.mark.parametrize("unbiased", [False, True])
def test_gaussian_mmd_matches_explicit_kernel_matrix(kernel_num: int, kernel_mul: float, unbiased: bool) -> None:
    xs, xt = _samples(shift=0.7)
    k, gammas = _dan_kernel(torch.cat([xs, xt]).tolist(), kernel_num, kernel_mul)
    expected = _mmd_by_hand(xs, xt, k, unbiased)
    got = mmd2(xs, xt, kernel="gaussian", kernel_num=kernel_num, kernel_mul=kernel_mul,
               estimator="unbiased" if unbiased else "biased")
    assert float(got) == pytest.approx(expected, rel=1e-4, abs=1e-7)
    if kernel_num == 5 and kernel_mul == 2.0:  # multipliers 2^-2 .. 2^2 of the mean pairwise distance
        assert gammas[0] * 16 == pytest.approx(gammas[-1]) and gammas[2] * 4 == pytest.approx(gammas[-1])


def test_fixed_bandwidth_and_module_match_function() -> None:
    xs, xt = _samples(shift=0.5)
    k, _ = _dan_kernel(torch.cat([xs, xt]).tolist(), 1, 2.0, bandwidth=3.0)
    got = MMDLoss("gaussian", kernel_num=1, bandwidth=3.0)(xs, xt)
    assert float(got) == pytest.approx(_mmd_by_hand(xs, xt, k, False), rel=1e-4)
    assert float(MMDLoss("gaussian", 5, 2.0)(xs, xt)) == pytest.approx(float(mmd2(xs, xt)), rel=1e-6)


@pytest.mark.parametrize("kernel", ["linear", "gaussian"])
def test_mmd_zero_for_identical_and_grows_with_shift(kernel: str) -> None:
    xs, _ = _samples(n=8)
    assert float(mmd2(xs, xs.clone(), kernel=kernel)) == pytest.approx(0.0, abs=1e-6)
    values = [float(mmd2(xs, xs + s, kernel=kernel, bandwidth=4.0)) for s in (0.0, 0.5, 1.0, 2.0)]
    assert values[0] == pytest.approx(0.0, abs=1e-6)
    assert all(b > a for a, b in zip(values, values[1:]))


def test_mmd_has_gradients_and_bandwidth_is_constant() -> None:
    xs, xt = _samples(shift=1.0)
    xs.requires_grad_(True)
    mmd2(xs, xt).backward()
    assert xs.grad is not None and xs.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        mmd2(xs[:1], xt, estimator="unbiased")


def test_covariance_is_the_papers_formula_and_numpys() -> None:
    x = _samples(n=7, d=4)[0]
    n = x.shape[0]
    ones = torch.ones(1, n, dtype=x.dtype)
    expected = (x.T @ x - (ones @ x).T @ (ones @ x) / n) / (n - 1)  # Deep CORAL eq. (2)
    assert torch.allclose(covariance(x).double(), expected, atol=1e-5)
    assert np.allclose(covariance(x).numpy(), np.cov(x.numpy(), rowvar=False), atol=1e-5)


def test_coral_loss_by_hand() -> None:
    xs, xt = _samples(n=9, m=7, d=3)
    xt = xt * torch.tensor([1.0, 2.0, 0.5], dtype=xt.dtype)
    cs, ct = np.cov(xs.numpy(), rowvar=False), np.cov(xt.numpy(), rowvar=False)
    d = 3
    expected = sum((cs[i, j] - ct[i, j]) ** 2 for i in range(d) for j in range(d)) / (4 * d * d)
    assert float(coral_loss(xs, xt)) == pytest.approx(expected, rel=1e-5)
    # zero for the same covariance, whatever the means (translation-invariant)
    assert float(coral_loss(xs, xs + 5.0)) == pytest.approx(0.0, abs=1e-5)
    assert float(coral_loss(xs, 2 * xs)) > 0


def test_domain_confusion_is_cross_entropy_to_uniform() -> None:
    # one logit per example = two domains (sigmoid(z), 1 - sigmoid(z))
    z = torch.tensor([-2.0, 0.0, 0.5, 3.0])
    p = torch.sigmoid(z)
    by_hand = -(0.5 * torch.log(p) + 0.5 * torch.log(1 - p)).mean()
    assert float(domain_confusion_loss(z)) == pytest.approx(float(by_hand), rel=1e-6)
    assert float(domain_confusion_loss(z.unsqueeze(1))) == pytest.approx(float(by_hand), rel=1e-6)
    # minimum log 2 at the uniform prediction, with zero gradient there
    z0 = torch.zeros(5, requires_grad=True)
    loss = domain_confusion_loss(z0)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(math.log(2)) and z0.grad.abs().max() < 1e-7
    assert float(domain_confusion_loss(torch.tensor([4.0]))) > math.log(2)
    # D-way logits: cross-entropy against 1/D; log 3 at uniform
    logits = torch.randn(4, 3)
    uniform_ce = -(F.log_softmax(logits, 1) / 3).sum(1).mean()
    assert float(domain_confusion_loss(logits)) == pytest.approx(float(uniform_ce), rel=1e-6)
    assert float(domain_confusion_loss(torch.zeros(2, 3))) == pytest.approx(math.log(3))


def test_domain_classifier_loss_matches_bce_with_source_one() -> None:
    z = torch.tensor([1.5, -0.3, 0.2, -2.0])
    domains = torch.tensor([0, 0, 1, 1])  # 0 = source (positive logit side), 1 = target
    bce = F.binary_cross_entropy_with_logits(z, (domains == 0).float())
    assert float(domain_classifier_loss(z, domains)) == pytest.approx(float(bce), rel=1e-6)
    logits = torch.randn(4, 2)
    assert float(domain_classifier_loss(logits, domains)) == pytest.approx(float(F.cross_entropy(logits, domains)))


def test_class_soft_labels_by_hand() -> None:
    logits = torch.tensor([[2.0, 0.0, 0.0], [4.0, 2.0, 0.0], [0.0, 0.0, 6.0]])
    labels = torch.tensor([0, 0, 2])
    soft, present = class_soft_labels(logits, labels, num_classes=3, temperature=2.0)
    p = F.softmax(logits / 2.0, dim=1)
    assert torch.allclose(soft[0], (p[0] + p[1]) / 2)
    assert torch.allclose(soft[2], p[2])
    assert torch.equal(soft[1], torch.zeros(3))
    assert present.tolist() == [True, False, True]
    assert torch.allclose(soft[present].sum(1), torch.ones(2))


def test_soft_label_loss_by_hand() -> None:
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = torch.tensor([1, 2])
    soft = torch.tensor([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.05, 0.15, 0.8]])
    t = 2.0
    total = 0.0
    for i in range(2):
        p = torch.softmax(logits[i] / t, 0)
        total += -sum(float(soft[int(labels[i]), k]) * math.log(float(p[k])) for k in range(3))
    assert float(soft_label_loss(logits, labels, soft, t)) == pytest.approx(total / 2, rel=1e-6)
    # with one-hot soft labels and T = 1 it is the ordinary cross-entropy
    assert float(soft_label_loss(logits, labels, torch.eye(3), 1.0)) == pytest.approx(
        float(F.cross_entropy(logits, labels)), rel=1e-6)
