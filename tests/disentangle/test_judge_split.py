"""The MNIST judge of the generative models never trains on (or is selected on) the digits the models are scored
on: its data module's training and validation splits share no image with the test split of every single-domain
generative YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from tlzoo.data.labelled import LabelledDigits
from tlzoo.metrics.judge import shared_images

CONFIGS = Path(__file__).resolve().parents[2] / "tlzoo" / "experiments" / "disentangle"
GENERATIVE = ["cvae_mnist.yaml", "cgan_mnist.yaml", "acgan_mnist.yaml", "infogan_mnist.yaml"]


def _data(config: str, **overrides: object) -> LabelledDigits:
    data = yaml.safe_load((CONFIGS / config).read_text())["data"]
    assert data["class_path"].rsplit(".", 1)[-1] == "LabelledDigits", config
    module = LabelledDigits(**{**data.get("init_args", {}), **overrides})
    module.setup("fit")
    return module


def test_shared_images_counts_exact_duplicates() -> None:
    a = torch.randint(0, 256, (6, 1, 5, 5), dtype=torch.uint8)
    b = torch.cat([a[[1, 4]], torch.randint(0, 256, (3, 1, 5, 5), dtype=torch.uint8)])
    assert shared_images(a, b) == 2 and shared_images(b, a) == 2 and shared_images(a, a[:0]) == 0
    assert shared_images(a, a) == 6
    nudged = a.clone()
    nudged[:, 0, 0, 0] ^= 1  # one pixel off: not the same image
    assert shared_images(nudged, a) == 0
    with pytest.raises(ValueError, match="cannot compare"):
        shared_images(a, a.float())


@pytest.mark.parametrize("seed", [0, 1])
def test_judge_training_data_is_disjoint_from_the_scored_test_split(seed: int) -> None:
    judge = _data("judge_labelled_mnist.yaml", seed=seed)
    seen = torch.cat([judge.train_set.images, judge.val_set.images])  # type: ignore[union-attr]
    assert len(seen) == 3000 and len(judge.test_set) == 2000  # type: ignore[arg-type]
    assert shared_images(seen, judge.test_set.images) == 0  # type: ignore[union-attr]
    for config in GENERATIVE:
        scored = _data(config, seed=seed).test_set.images  # type: ignore[union-attr]
        # the models are scored on exactly the judge's held-out test digits ...
        assert torch.equal(scored, judge.test_set.images), config  # type: ignore[union-attr]
        # ... none of which the judge was trained or selected on
        assert shared_images(seen, scored) == 0, config


def test_judge_config_is_a_classifier_trained_on_labelled_digits() -> None:
    config = yaml.safe_load((CONFIGS / "judge_labelled_mnist.yaml").read_text())
    from tlzoo.checkpoints import method_class

    cls = method_class(config["model"]["class_path"])
    assert cls is not None and callable(getattr(cls, "features", None))
    assert config["data"]["init_args"]["dataset"] == "mnist"
