"""Counting pairs of labellings and scoring a clustering against classes after the best one-to-one matching.

* :class:`PairCounts`: a torchmetrics ``Metric`` holding ``counts[i, j]`` = how many examples got row label ``i``
  and column label ``j`` (e.g. InfoGAN code ``i`` and true digit ``j``), summed over batches and DDP processes.
* :func:`hungarian_accuracy`: the clustering accuracy ``max_m sum_i counts[i, m(i)] / sum counts`` over one-to-one
  maps ``m`` from clusters to classes, found with the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``),
  as unsupervised clustering is scored in Chen et al., "InfoGAN", NIPS 2016 (Sec. 7.1, "5% error rate" on MNIST,
  https://arxiv.org/abs/1606.03657) and in most deep-clustering papers.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric


class PairCounts(Metric):
    """``counts[i, j]``: examples with row label ``i`` and column label ``j`` (a confusion matrix).

    Args:
        rows: number of row labels (clusters, requested classes).
        cols: number of column labels (true or judged classes).
    """

    full_state_update = False

    def __init__(self, rows: int, cols: int) -> None:
        super().__init__()
        if rows < 1 or cols < 1:
            raise ValueError(f"rows and cols must be >= 1, got {rows} and {cols}")
        self.rows, self.cols = rows, cols
        self.add_state("counts", default=torch.zeros(rows, cols, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, row_labels: torch.Tensor, col_labels: torch.Tensor) -> None:
        """Count one batch of label pairs (``(N,)`` integer tensors)."""
        r, c = row_labels.reshape(-1).long(), col_labels.reshape(-1).long().to(row_labels.device)
        if len(r) != len(c):
            raise ValueError(f"{len(r)} row labels but {len(c)} column labels")
        if len(r) and (r.min() < 0 or r.max() >= self.rows or c.min() < 0 or c.max() >= self.cols):
            raise ValueError(f"labels out of range: rows in [0, {self.rows}), columns in [0, {self.cols})")
        flat = torch.bincount(r * self.cols + c, minlength=self.rows * self.cols)
        self.counts += flat.view(self.rows, self.cols).to(self.counts.device)

    def compute(self) -> torch.Tensor:
        return self.counts


def hungarian_accuracy(counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy of the best one-to-one matching of row labels (clusters) to column labels (classes).

    ``counts[i, j]``: examples in cluster ``i`` of class ``j``. Returns ``(accuracy, mapping)`` with ``mapping[i]``
    the class matched to cluster ``i`` (``-1`` for clusters left unmatched when there are more clusters than
    classes: their examples count as errors). An empty matrix gives accuracy NaN.
    """
    from scipy.optimize import linear_sum_assignment

    if counts.ndim != 2:
        raise ValueError(f"counts must be a (clusters, classes) matrix, got shape {tuple(counts.shape)}")
    table = counts.detach().cpu().double()
    rows, cols = linear_sum_assignment(table.numpy(), maximize=True)
    mapping = torch.full((table.shape[0],), -1, dtype=torch.long)
    mapping[torch.as_tensor(rows, dtype=torch.long)] = torch.as_tensor(cols, dtype=torch.long)
    total = table.sum()
    matched = table[torch.as_tensor(rows), torch.as_tensor(cols)].sum()
    accuracy = (matched / total).float() if total > 0 else torch.tensor(float("nan"))
    return accuracy, mapping
