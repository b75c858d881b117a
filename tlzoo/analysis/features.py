"""Features, logits and labels of a trained model over data loaders (for t-SNE, A-distance, SND).

The features are ``model.features(x)`` (backbone + bottleneck of
:class:`~tlzoo.methods.da.base.DomainAdaptationMethod`: the representation the adaptation losses
act on) and the logits ``model(x)``, computed in eval mode without gradients; the model's training
mode is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset


@dataclass
class FeatureSet:
    """``features`` (N, F), ``logits`` (N, C) and ``labels`` (N,) (``-1`` where unknown), on the CPU."""

    features: torch.Tensor
    logits: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.features)

    def subset(self, n: int | None, seed: int = 0) -> FeatureSet:
        """A random subset of at most ``n`` rows (fixed ``seed``); all rows if ``n`` is None."""
        if n is None or n >= len(self):
            return self
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n].sort().values
        return FeatureSet(self.features[idx], self.logits[idx], self.labels[idx])

    def accuracy(self) -> float | None:
        """Accuracy of ``logits.argmax`` where labels are known (``None`` if none are)."""
        known = self.labels >= 0
        if not bool(known.any()):
            return None
        return float((self.logits[known].argmax(1) == self.labels[known]).float().mean())


def _split_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, (list, tuple)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    if isinstance(batch, dict):
        return batch.get("x", batch.get("image")), batch.get("y", batch.get("label"))
    return batch, None


@torch.no_grad()
def extract_features(model: nn.Module, batches: Iterable[Any], max_samples: int | None = None,
                     device: torch.device | str | None = None, domain: str = "target") -> FeatureSet:
    """Run ``model`` over ``batches`` (``(x, y)`` tuples or bare ``x``) and collect a :class:`FeatureSet`.

    Args:
        model: any tlzoo DA method (``domain_features(x, domain)`` and ``domain_logits``), or a module
            with ``features(x)`` and ``forward(x) -> logits``.
        batches: a DataLoader (or any iterable of batches).
        max_samples: stop after this many examples (the first ones, in loader order).
        device: where to compute (default: the model's device).
        domain: ``source`` or ``target``: which of the method's encoders the images go through.
    """
    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    if callable(getattr(model, "domain_features", None)):
        def feats_fn(x: torch.Tensor) -> torch.Tensor:
            return model.domain_features(x, domain)  # type: ignore[operator]

        def logits_fn(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
            return model.domain_logits(x, domain)  # type: ignore[operator]
    elif callable(getattr(model, "features", None)):
        feats_fn = model.features  # type: ignore[assignment]

        def logits_fn(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
            return model(x)
    else:
        raise TypeError(f"{type(model).__name__} has no features(x) method")
    was_training = model.training
    model.eval()
    feats, logits, labels = [], [], []
    seen = 0
    try:
        for batch in batches:
            x, y = _split_batch(batch)
            x = x.to(device)
            f = feats_fn(x)
            out = logits_fn(x, f)
            f = f.flatten(1)
            feats.append(f.float().cpu())
            logits.append(out.float().cpu())
            labels.append(y.long().cpu() if y is not None else torch.full((len(x),), -1, dtype=torch.long))
            seen += len(x)
            if max_samples is not None and seen >= max_samples:
                break
    finally:
        model.train(was_training)
    if not feats:
        raise ValueError("no batches to extract features from")
    fs = FeatureSet(torch.cat(feats), torch.cat(logits), torch.cat(labels))
    if max_samples is not None and len(fs) > max_samples:
        fs = FeatureSet(fs.features[:max_samples], fs.logits[:max_samples], fs.labels[:max_samples])
    return fs


def eval_loader(dataset: Dataset, batch_size: int = 256, max_samples: int | None = None, seed: int = 0,
                num_workers: int = 0) -> DataLoader:
    """A non-shuffled loader over ``dataset``, restricted to a fixed random subset of ``max_samples``."""
    n = len(dataset)  # type: ignore[arg-type]
    if max_samples is not None and max_samples < n:
        idx = np.sort(np.random.default_rng(seed).permutation(n)[:max_samples])
        dataset = Subset(dataset, idx.tolist())
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)


def domain_feature_sets(model: nn.Module, datamodule: Any, split: str = "eval", max_per_domain: int | None = 1000,
                        seed: int = 0, batch_size: int | None = None) -> tuple[FeatureSet, FeatureSet]:
    """Source and target :class:`FeatureSet` from a :class:`~tlzoo.data.base.DomainAdaptationDataModule`.

    ``split="eval"``: held-out source validation and target test splits; ``"train"``: the source
    training split and the target adaptation split (whose labels are used only for colouring plots).
    """
    if datamodule.source_train is None:
        datamodule.setup("validate")
    names = {"eval": ("source_val", "target_test"), "train": ("source_train", "target_train")}
    if split not in names:
        raise ValueError(f"split must be 'eval' or 'train', got {split!r}")
    bs = batch_size or max(getattr(datamodule, "batch_size", 128), 128)
    out = []
    for i, name in enumerate(names[split]):
        dataset = getattr(datamodule, name)
        out.append(extract_features(model, eval_loader(dataset, bs, max_per_domain, seed + i),
                                    domain=("source", "target")[i]))
    return out[0], out[1]
