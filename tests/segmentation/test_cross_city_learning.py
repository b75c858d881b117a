"""Learning check (slow; ``make test-slow``): cross-city adaptation lifts the target mIoU above chance and above
source-only on per-pixel digit classes, MNIST -> MNIST-M.

Chen et al., "No More Discrimination: Cross City Adaptation of Road Scene Segmenters", ICCV 2017. The shipped
``crosscity_digits.yaml`` (global + class-wise discriminators after 500 source-only batches) and
``crosscity_digits_source_only.yaml`` (same segmenter, data and budget, adversarial weights 0) run through the real
CLI code path, one seed, both with 1,500 batches instead of the YAMLs' 750 (the adapted run keeps its first 500
batches source-only, then adapts for 1,000); both score the held-out MNIST-M test images.

Chance is computed, not assumed: the better of the majority-class (all background) prediction and a uniform random
prediction, scored by the same mean IoU on the same target test split.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import EXPERIMENTS, REPO
from tlzoo.data.digit_segmentation import MNISTToMNISTMSegmentation
from tlzoo.metrics.image_quality import SegmentationScores

sys.path.insert(0, str(REPO / "benchmarks"))
from common import fit_and_test  # noqa: E402

SEED = 0
STEPS = 1500
#: Fraction of STEPS trained source-only before the adversarial terms start (500 batches, as the YAML's 0.667 of 750).
ADAPTATION_START = "0.3333"
#: Measured (seed 0): chance 0.0805 (all background), source-only 0.0800, adapted 0.1365 target mIoU (with the YAMLs'
#: 750 batches: 0.0967 and 0.1094). Asserted with slack.
ABOVE_CHANCE = 0.03
ABOVE_SOURCE_ONLY = 0.03


def _data_flags(data: Path) -> list[str]:
    return ["--data.mnist_root", str(data / "mnist"), "--data.mnistm_root", str(data / "mnist_m_test")]


def chance_miou(data: Path) -> float:
    """The better mIoU of an all-majority-class and a uniform random prediction on the target test split."""
    dm = MNISTToMNISTMSegmentation(mnist_root=str(data / "mnist"), mnistm_root=str(data / "mnist_m_test"),
                                   seed=SEED)
    dm.setup("test")
    target_test = dm.test_dataloader()[1]  # loaders: [source_val, target_test]
    labels = torch.cat([y for _, y in target_test])
    known = labels[labels != 255]
    majority = int(torch.bincount(known.flatten(), minlength=dm.num_classes).argmax())
    constant, uniform = SegmentationScores(dm.num_classes), SegmentationScores(dm.num_classes)
    constant.update(torch.full_like(labels, majority), labels)
    uniform.update(torch.randint(0, dm.num_classes, labels.shape, generator=torch.Generator().manual_seed(0)),
                   labels)
    return max(float(constant.compute()["mean_iou"]), float(uniform.compute()["mean_iou"]))


def _target_miou(data: Path, config: str, workdir: Path, extra: list[str], seed: int = SEED) -> float:
    """Target-test mIoU of one run of ``config`` (``benchmarks/crosscity_seeds.py`` runs it at other seeds)."""
    overrides = [*_data_flags(data), "--trainer.max_steps", str(STEPS), "--trainer.accelerator", "cpu",
                 "--trainer.devices", "1", "--seed_everything", str(seed), *extra]
    metrics = fit_and_test([str(EXPERIMENTS / "segmentation" / config)], overrides, str(workdir))
    return metrics["test/miou"]


@pytest.mark.slow
def test_cross_city_target_miou_above_chance_and_source_only(shared_data: Path, tmp_path: Path) -> None:
    if not (shared_data / "mnist_m_test").is_dir() or not (shared_data / "mnist").is_dir():
        pytest.skip("needs mnist/ and mnist_m_test/ in the shared test data")
    chance = chance_miou(shared_data)
    source_only = _target_miou(shared_data, "crosscity_digits_source_only.yaml", tmp_path / "source_only", [])
    adapted = _target_miou(shared_data, "crosscity_digits.yaml", tmp_path / "adapted",
                           ["--model.init_args.adaptation_start", ADAPTATION_START])
    scores = {"chance": chance, "source_only": source_only, "adapted": adapted}
    assert adapted > chance + ABOVE_CHANCE, scores
    assert adapted > source_only + ABOVE_SOURCE_ONLY, scores
