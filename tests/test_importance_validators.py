"""IWCV and DEV (tlzoo.analysis.importance): the formulas recomputed by hand, and the density ratio's direction."""

from __future__ import annotations

import numpy as np
import pytest

from tlzoo.analysis.importance import dev_risk, domain_density_ratio, importance_weighted_risks, iwcv_risk


def test_iwcv_and_dev_recomputed_by_hand() -> None:
    losses = np.array([0.5, 2.0, 1.0, 0.1])
    weights = np.array([1.5, 0.5, 1.0, 1.0])
    assert iwcv_risk(losses, weights) == pytest.approx((0.75 + 1.0 + 1.0 + 0.1) / 4)
    weighted = weights * losses
    cov = np.sum((weighted - weighted.mean()) * (weights - weights.mean())) / 3
    var = np.sum((weights - weights.mean()) ** 2) / 3
    eta = -cov / var
    assert dev_risk(losses, weights) == pytest.approx(weighted.mean() + eta * weights.mean() - eta)


def test_dev_equals_iwcv_when_the_weights_are_constant() -> None:
    losses = np.array([0.3, 0.9, 1.4])
    assert dev_risk(losses, np.ones(3)) == pytest.approx(iwcv_risk(losses, np.ones(3)))


def test_density_ratio_favours_source_examples_that_look_like_the_target() -> None:
    rng = np.random.default_rng(0)
    source = rng.normal(0.0, 1.0, size=(400, 2))
    target = rng.normal(1.5, 1.0, size=(400, 2))
    w = domain_density_ratio(source, target)
    assert w.shape == (400,) and np.all(w > 0)
    near_target = source[:, 0] + source[:, 1] > 1.5
    assert w[near_target].mean() > 3 * w[~near_target].mean()
    # Same distributions: weights close to 1 on average.
    same = domain_density_ratio(source, rng.normal(0.0, 1.0, size=(400, 2)))
    assert abs(same.mean() - 1.0) < 0.15


def test_weighted_risk_tracks_the_target_risk_under_covariate_shift() -> None:
    """A loss that is high only where the target lives: IWCV / DEV see it, the plain source mean does not."""
    rng = np.random.default_rng(1)
    source = rng.normal(0.0, 1.0, size=(1000, 1))
    target = rng.normal(2.0, 0.5, size=(1000, 1))
    loss = (source[:, 0] > 1.0).astype(float)  # the true target risk is P_T(x > 1) ~ 0.98
    risks = importance_weighted_risks(source, loss, target)
    assert loss.mean() < 0.2
    assert risks["iwcv_risk"] > 0.5 and risks["dev_risk"] > 0.5


def test_bad_shapes_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="expected"):
        domain_density_ratio(np.zeros((5, 3)), np.zeros((5, 4)))


@pytest.mark.parametrize("monitored", [False, True])
def test_iwcv_and_dev_are_computed_only_when_wanted(monitored: bool, tmp_path) -> None:
    """Validation does the density-ratio fits only when a checkpoint monitors IWCV / DEV (or a callback asks)."""
    from lightning.pytorch import Trainer
    from lightning.pytorch.callbacks import ModelCheckpoint

    from tlzoo.data import EmbeddedDigits
    from tlzoo.methods import SourceOnly
    from tlzoo.nn.backbones import BackboneConfig

    model = SourceOnly(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    callbacks = [ModelCheckpoint(dirpath=tmp_path, monitor="val/dev_risk", mode="min")] if monitored else []
    trainer = Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=2, logger=False, callbacks=callbacks,
                      enable_checkpointing=monitored, enable_progress_bar=False, enable_model_summary=False,
                      accelerator="cpu", default_root_dir=tmp_path)
    trainer.fit(model, EmbeddedDigits(batch_size=32, seed=0))
    assert ("val/dev_risk" in trainer.callback_metrics) is monitored
    assert ("val/iwcv_risk" in trainer.callback_metrics) is monitored
    assert "val/target_mi" in trainer.callback_metrics  # the default selector is always there
