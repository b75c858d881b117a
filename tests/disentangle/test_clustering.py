"""Pair counts, Hungarian cluster accuracy and the judge scores, on hand-made examples."""

from __future__ import annotations

import pytest
import torch

from tlzoo.methods.disentangle.base import judge_scores
from tlzoo.metrics.clustering import PairCounts, hungarian_accuracy


def test_pair_counts_accumulate_batches() -> None:
    counts = PairCounts(3, 2)
    counts.update(torch.tensor([0, 1, 1]), torch.tensor([1, 0, 0]))
    counts.update(torch.tensor([2]), torch.tensor([1]))
    assert counts.compute().tolist() == [[0, 1], [2, 0], [0, 1]]
    with pytest.raises(ValueError, match="out of range"):
        counts.update(torch.tensor([3]), torch.tensor([0]))


def test_hungarian_accuracy_hand_example() -> None:
    # cluster 0 is mostly class 1, cluster 1 mostly class 0, cluster 2 class 2 (one stray 1->2 example)
    counts = torch.tensor([[0, 5, 0], [3, 0, 1], [0, 0, 4]])
    acc, mapping = hungarian_accuracy(counts)
    assert mapping.tolist() == [1, 0, 2]
    assert acc.item() == pytest.approx(12 / 13)
    # a greedy "each cluster takes its majority class" would use class 0 twice here; one-to-one cannot
    acc, mapping = hungarian_accuracy(torch.tensor([[4, 0], [3, 1]]))
    assert mapping.tolist() == [0, 1] and acc.item() == pytest.approx(5 / 8)


def test_more_clusters_than_classes_leave_some_unmatched() -> None:
    acc, mapping = hungarian_accuracy(torch.tensor([[2, 0], [0, 3], [1, 1]]))
    assert mapping.tolist() == [0, 1, -1] and acc.item() == pytest.approx(5 / 7)


def test_judge_scores_conditional_and_matched() -> None:
    counts = torch.tensor([[3, 1], [0, 4]])
    scores = judge_scores(counts, matched=False)
    assert scores["judge_acc"].item() == pytest.approx(7 / 8)
    assert scores["judge_acc_0"].item() == pytest.approx(3 / 4) and scores["judge_acc_1"].item() == 1.0
    swapped = torch.tensor([[1, 3], [4, 0]])  # codes named the other way round
    assert judge_scores(swapped, matched=False)["judge_acc"].item() == pytest.approx(1 / 8)
    assert judge_scores(swapped, matched=True)["judge_acc"].item() == pytest.approx(7 / 8)
