"""Analysis callbacks: label-free validators every validation, t-SNE / A-distance at the end of fit.

* :class:`UnsupervisedValidators` logs ``val/target_snd`` (Soft Neighbourhood Density, Saito et al.,
  ICCV 2021; higher is better) and ``val/target_mi`` (mutual information of inputs and predictions;
  higher is better) at every validation, on the unlabelled target *adaptation* split of a
  domain-adaptation method (``adaptation_split_logits``; other modules: the target evaluation loader),
  and ``test/...`` on the test split at test (reported, never selected on). Either can be the
  checkpoint monitor: ``experiments/trainer/snd_selection.yaml``.
* :class:`FeatureAnalysis` writes ``<run dir>/analysis/tsne.png`` and ``analysis.json`` (proxy
  A-distance, accuracies, SND) when fit ends, logs the numbers to the loggers and the PNG to W&B
  (``wandb.Image``) when a ``WandbLogger`` is attached.

Neither uses target labels for anything that selects or trains a model (``FeatureAnalysis`` reports the
target accuracy of the final model, like ``val/target_acc``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from tlzoo.analysis.validators import mutual_information, soft_neighborhood_density


class UnsupervisedValidators(Callback):
    """Collects target logits during validation / test and logs label-free selection criteria.

    Logits come from the ``validation_step`` output when it is a dict with ``"logits"``; otherwise
    the callback recomputes ``pl_module(x)`` on the target batch (one extra forward pass on the target
    evaluation split).

    Args:
        snd: log ``<stage>/target_snd``.
        mutual_info: log ``<stage>/target_mi``.
        temperature: SND temperature tau (paper: 0.05).
        max_samples: use at most this many target examples (the first ones); ``None``: all.
        target_dataloader_idx: index of the target evaluation loader (1 in the tlzoo data contract).
    """

    def __init__(self, snd: bool = True, mutual_info: bool = True, temperature: float = 0.05,
                 max_samples: int | None = None, target_dataloader_idx: int = 1) -> None:
        self.snd = snd
        self.mutual_info = mutual_info
        self.temperature = temperature
        self.max_samples = max_samples
        self.target_dataloader_idx = target_dataloader_idx
        self._logits: list[torch.Tensor] = []

    # -- collection ---------------------------------------------------------------------------
    def _reset(self) -> None:
        self._logits = []

    def _collect(self, pl_module: LightningModule, outputs: Any, batch: Any, dataloader_idx: int) -> None:
        if dataloader_idx != self.target_dataloader_idx:
            return
        if self.max_samples is not None and sum(len(t) for t in self._logits) >= self.max_samples:
            return
        if isinstance(outputs, dict) and "logits" in outputs:
            logits = outputs["logits"]
        else:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            with torch.no_grad():
                logits = pl_module(x)
        self._logits.append(logits.detach().float().cpu())

    def _log(self, pl_module: LightningModule, stage: str) -> None:
        if not self._logits:
            return
        logits = torch.cat(self._logits)
        if self.max_samples is not None:
            logits = logits[: self.max_samples]
        self._reset()
        values: dict[str, torch.Tensor] = {}
        if self.snd and len(logits) >= 2:
            values[f"{stage}/target_snd"] = soft_neighborhood_density(logits, self.temperature)
        if self.mutual_info and f"{stage}/target_mi" not in getattr(pl_module, "label_free_metrics", ()):
            values[f"{stage}/target_mi"] = mutual_information(logits)
        own = getattr(pl_module, "label_free_metrics", ())
        for name, value in values.items():
            if name not in own:  # the module logs it already (domain-adaptation methods: MI)
                pl_module.log(name, value.to(pl_module.device), sync_dist=True, add_dataloader_idx=False)

    # -- hooks --------------------------------------------------------------------------------
    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._reset()

    def on_validation_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect(pl_module, outputs, batch, dataloader_idx)

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Criteria that may select checkpoints look at the unlabelled adaptation split, never at test images.
        adaptation = getattr(pl_module, "adaptation_split_logits", None)
        logits = adaptation() if adaptation is not None else None
        if logits is not None:
            self._logits = [logits.cpu()] if len(logits) else []
        self._log(pl_module, "val")

    def on_test_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._reset()

    def on_test_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                          batch_idx: int, dataloader_idx: int = 0) -> None:
        self._collect(pl_module, outputs, batch, dataloader_idx)

    def on_test_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._log(pl_module, "test")


class FeatureAnalysis(Callback):
    """At the end of fit: t-SNE PNG and proxy A-distance of the final model's features.

    Args:
        tsne: write (and log to W&B) the t-SNE plot.
        a_distance: compute the proxy A-distance (logged as ``analysis/proxy_a_distance``).
        split: ``eval`` (source val + target test) or ``train`` (source train + target adaptation split).
        max_per_domain: examples per domain (random subset, fixed ``seed``).
        out_dir: output folder (default: ``<run dir>/analysis``).
        seed: subsampling / t-SNE / split seed.
    """

    def __init__(self, tsne: bool = True, a_distance: bool = True, split: Literal["eval", "train"] = "eval",
                 max_per_domain: int = 1000, out_dir: str | None = None, seed: int = 0) -> None:
        self.tsne = tsne
        self.a_distance = a_distance
        self.split = split
        self.max_per_domain = max_per_domain
        self.out_dir = out_dir
        self.seed = seed
        self.result: dict[str, Any] | None = None

    def _folder(self, trainer: Trainer) -> Path:
        if self.out_dir:
            return Path(self.out_dir)
        from tlzoo.callbacks.paths import run_folder as run_dir

        return run_dir(trainer) / "analysis"

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:  # type: ignore[attr-defined]
            return
        import json

        from tlzoo.analysis.cli import analyze_features
        from tlzoo.analysis.features import domain_feature_sets
        from tlzoo.analysis.tsne import log_image

        src, tgt = domain_feature_sets(pl_module, trainer.datamodule, split=self.split,  # type: ignore[attr-defined]
                                       max_per_domain=self.max_per_domain, seed=self.seed)
        folder = self._folder(trainer)
        title = f"{type(pl_module).__name__}, step {trainer.global_step} ({self.split} splits)"
        result = analyze_features(src, tgt, folder, tsne=self.tsne, a_distance=self.a_distance, seed=self.seed,
                                  max_per_domain=self.max_per_domain, title=title)
        (folder / "analysis.json").write_text(json.dumps(result, indent=2))
        self.result = result
        metrics = {f"analysis/{k}": float(v) for k, v in result.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=trainer.global_step)
        if self.tsne and "tsne_png" in result:
            log_image(trainer, "analysis/tsne", result["tsne_png"], step=trainer.global_step)
        pad = result.get("proxy_a_distance")
        rank_zero_info(f"feature analysis written to {folder}" + (f" (proxy A-distance {pad:.3f})" if pad is not None
                                                                  else ""))
