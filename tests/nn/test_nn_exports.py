"""The moved modules keep their public names: ``tlzoo.nn.losses`` (now a package) and the DSN parts."""

from __future__ import annotations

import importlib

import pytest

# every public name of the single-module tlzoo.nn.losses before it became a package
OLD_LOSSES_NAMES = ["Estimator", "Kernel", "MMDLoss", "class_soft_labels", "coral_loss", "covariance",
                    "domain_classifier_loss", "domain_confusion_loss", "gaussian_bandwidths", "kernel_matrix",
                    "mmd2", "soft_label_loss"]


@pytest.mark.parametrize("name", OLD_LOSSES_NAMES)
def test_old_losses_names_still_import(name: str) -> None:
    losses = importlib.import_module("tlzoo.nn.losses")
    assert name in losses.__all__
    assert getattr(losses, name) is not None


def test_dsn_losses_and_parts_moved() -> None:
    from tlzoo.nn import PrivateEncoder, SharedDecoder
    from tlzoo.nn.autoencoder_parts import PrivateEncoder as P2
    from tlzoo.nn.autoencoder_parts import SharedDecoder as D2
    from tlzoo.nn.losses import difference_loss, scale_invariant_mse
    from tlzoo.nn.losses.reconstruction import difference_loss as d2
    from tlzoo.nn.losses.reconstruction import scale_invariant_mse as s2

    assert (PrivateEncoder, SharedDecoder, difference_loss, scale_invariant_mse) == (P2, D2, d2, s2)


def test_package_exports_resolve() -> None:
    for module in ("tlzoo.nn", "tlzoo.nn.losses"):
        mod = importlib.import_module(module)
        for name in mod.__all__:
            assert hasattr(mod, name), f"{module}.{name}"
