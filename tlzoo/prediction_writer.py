"""Writers of ``tlzoo predict`` outputs: the method's ``predict_output`` chooses one.

* ``classes``: :class:`CSVPredictionWriter`, one CSV row per example.
* ``images``: :class:`ImagePredictionWriter`, one PNG per input image (translations, edits).
* ``segmentation``: :class:`ImagePredictionWriter` on the ``labels`` maps, one 8-bit PNG of class ids
  per image.
"""

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
    """Collects ``predict_step`` dicts (``pred``, ``prob``, ``label``) and writes ``predictions.csv`` into
    ``output_dir``: ``index, split, path, pred, class, confidence, label`` and one ``prob_<class>`` column per
    class. ``split`` says what was predicted (the data module's ``predict_split``: the target test split, or
    ``folder`` for ``--predict_folder``); ``path`` is the image file where the data has one; ``label`` is -1
    where there is none."""

    def __init__(self, output_dir: str) -> None:
        super().__init__(write_interval="epoch")
        self.output_dir = Path(output_dir)

    def write_on_epoch_end(self, trainer: Trainer, pl_module: LightningModule, predictions: Sequence[Any],
                           batch_indices: Sequence[Any] | None) -> None:
        outputs = [out for out in predictions if isinstance(out, dict) and "pred" in out]
        if not outputs or not trainer.is_global_zero:
            return
        dm = trainer.datamodule
        paths = [str(p) for p in (getattr(dm, "predict_paths", None) or [])]
        split = str(getattr(dm, "predict_split", "predict"))
        num_classes = outputs[0]["prob"].shape[1] if "prob" in outputs[0] else 0
        names = list(getattr(dm, "class_names", None) or [])
        if len(names) != num_classes:
            names = [str(k) for k in range(num_classes)]
        path = self.output_dir / "predictions.csv"
        self.output_dir.mkdir(parents=True, exist_ok=True)
        count = 0
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["index", "split", "path", "pred", "class", "confidence", "label",
                             *[f"prob_{n}" for n in names]])
            for out in outputs:
                probs = out["prob"].float().cpu() if "prob" in out else None
                labels = out.get("label", torch.full_like(out["pred"], -1)).tolist()
                for i, (pred, label) in enumerate(zip(out["pred"].tolist(), labels)):
                    row_probs = probs[i].tolist() if probs is not None else []
                    confidence = f"{max(row_probs):.6f}" if row_probs else ""
                    writer.writerow([count, split, paths[count] if count < len(paths) else "", int(pred),
                                     names[int(pred)] if int(pred) < len(names) else "", confidence, int(label),
                                     *[f"{p:.6f}" for p in row_probs]])
                    count += 1
        print(f"wrote {count} predictions to {path}", file=sys.stderr)


class ImagePredictionWriter(BasePredictionWriter):
    """Writes the ``images`` of each ``predict_step`` output (tensors in [0, 1], ``(N, C, H, W)``) as
    PNG files into ``output_dir``: named after the input files when the data module lists them
    (``predict_paths``), else numbered in loader order."""

    def __init__(self, output_dir: str) -> None:
        super().__init__(write_interval="batch")
        self.output_dir = Path(output_dir)
        self.count = 0

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.count = 0

    def write_on_batch_end(self, trainer: Trainer, pl_module: LightningModule, prediction: Any,
                           batch_indices: Sequence[int] | None, batch: Any, batch_idx: int,
                           dataloader_idx: int) -> None:
        from PIL import Image
        from torchvision.utils import save_image

        paths = getattr(trainer.datamodule, "predict_paths", None) or []
        self.output_dir.mkdir(parents=True, exist_ok=True)
        if isinstance(prediction, dict) and "labels" in prediction:  # label maps: class ids as 8-bit PNG
            outputs = [Image.fromarray(m.to(torch.uint8).numpy()) for m in prediction["labels"].detach().cpu()]
        else:
            images = prediction["images"] if isinstance(prediction, dict) else prediction
            outputs = list(images.detach().float().cpu())
        for out in outputs:
            name = f"{Path(paths[self.count]).stem}.png" if self.count < len(paths) else f"{self.count:06d}.png"
            if isinstance(out, torch.Tensor):
                save_image(out, self.output_dir / name)
            else:
                out.save(self.output_dir / name)
            self.count += 1

    def on_predict_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        print(f"wrote {self.count} images to {self.output_dir}", file=sys.stderr)


def prediction_writer(model: LightningModule, output_dir: str | Path) -> BasePredictionWriter:
    """The writer of ``model.predict_output`` (default: classes)."""
    kind = getattr(model, "predict_output", "classes")
    if kind in ("images", "segmentation"):
        return ImagePredictionWriter(str(output_dir))
    return CSVPredictionWriter(str(output_dir))
