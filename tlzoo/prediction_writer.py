"""Writes ``tlzoo predict`` outputs to a CSV file (one row per example)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import BasePredictionWriter


class CSVPredictionWriter(BasePredictionWriter):
    """Collects ``predict_step`` dicts (``pred``, ``prob``, ``label``) and writes ``predictions.csv``
    with columns ``index, pred, confidence, label`` into ``output_dir``."""

    def __init__(self, output_dir: str) -> None:
        super().__init__(write_interval="epoch")
        self.output_dir = Path(output_dir)

    def write_on_epoch_end(self, trainer: Trainer, pl_module: LightningModule, predictions: Sequence[Any],
                           batch_indices: Sequence[Any] | None) -> None:
        rows: list[tuple[int, int, float, int]] = []
        for out in predictions:
            if not isinstance(out, dict) or "pred" not in out:
                continue
            conf = out["prob"].max(dim=1).values if "prob" in out else torch.full_like(out["pred"], float("nan"))
            label = out.get("label", torch.full_like(out["pred"], -1))
            for p, c, y in zip(out["pred"].tolist(), conf.tolist(), label.tolist()):
                rows.append((len(rows), int(p), float(c), int(y)))
        if not rows:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / "predictions.csv"
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["index", "pred", "confidence", "label"])
            writer.writerows(rows)
        print(f"wrote {len(rows)} predictions to {path}", file=sys.stderr)
