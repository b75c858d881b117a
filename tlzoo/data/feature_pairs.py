"""Pairs of pre-extracted feature domains (Office-Caltech10 DeCAF6 / SURF / GoogLeNet, JDA digits).

Each domain is one ``.mat`` / ``.npz`` / ``.csv`` file of feature vectors, loaded and preprocessed by
:func:`tlzoo.data.feature_files.load_feature_domain` (the same loader as the shallow methods):
either a key of :data:`tlzoo.data.feature_files.KNOWN_DOMAINS` such as
``office_caltech10_decaf/dslr`` (resolved under ``root`` / ``$TLZOO_DATA`` / the per-user cache
``~/.cache/tlzoo``), or a path to a file. Inputs are ``(D,)`` vectors, so every deep method runs with
the MLP backbone: ``--model.init_args.backbone.name mlp``.

Protocol: the standard *transductive* one of the feature-based Office-Caltech10 literature (JDA, ICCV
2013; DANN's shallow experiments): all source samples are labelled, all target samples are the
unlabelled adaptation set **and** the labelled test set. Target labels never reach training, but the
test images are seen (unlabelled) during adaptation: the protocol string says ``transductive``.
``source_val_fraction`` of the source (stratified, ``split_seed``) is held out for checkpoint selection
and not trained on (set it to 0 to train on the whole source as the papers do; the validation
loader then reuses the training source, which is optimistic).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import TensorDataset

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.feature_files import load_feature_domain
from tlzoo.errors import TLZooError


class FeaturePairs(DomainAdaptationDataModule):
    """One source and one target feature domain, as ``(D,)`` float32 vectors.

    The files are read when the module is built (so ``input_shape=(D,)`` and ``num_classes`` are known
    at construction); a missing file raises :class:`tlzoo.errors.DataNotFoundError` with its expected
    location.

    Args:
        source: source domain: a ``KNOWN_DOMAINS`` key (e.g. ``office_caltech10_decaf/dslr``) or a file path.
        target: target domain, likewise (same feature space).
        root: folder of the feature files for the keys (``--data.root``; default ``$TLZOO_DATA``, then the
            per-user cache ``~/.cache/tlzoo``).
        preprocessing: recipe of :func:`tlzoo.data.feature_files.preprocess` applied to each domain
            separately (``l2``, ``l1_zscore``, ...); ``None``: the domain's recommended recipe.
        source_val_fraction: fraction of the source held out (stratified) for validation.
        split_seed: seed of that hold-out split (default: ``seed``, itself the run seed by default).
        batch_size: examples per domain per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    def __init__(
        self,
        source: str = "office_caltech10_decaf/dslr",
        target: str = "office_caltech10_decaf/webcam",
        root: str | None = None,
        preprocessing: str | None = None,
        source_val_fraction: float = 0.1,
        split_seed: int | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if not 0.0 <= source_val_fraction < 1.0:
            raise ValueError(f"source_val_fraction must be in [0, 1), got {source_val_fraction}")
        self.source = source
        self.target = target
        self.root = root
        self.preprocessing = preprocessing
        self.source_val_fraction = source_val_fraction
        self.split_seed = self.seed if split_seed is None else split_seed
        self.transductive = True
        self._xs, self._ys = load_feature_domain(source, root=root, preprocessing=preprocessing)
        self._xt, self._yt = load_feature_domain(target, root=root, preprocessing=preprocessing)
        if self._xs.shape[1] != self._xt.shape[1]:
            raise TLZooError(f"source {source!r} has {self._xs.shape[1]}-d features but target {target!r} has "
                             f"{self._xt.shape[1]}-d: the domains must share one feature space")
        self.input_shape = (int(self._xs.shape[1]),)
        unseen = sorted(set(np.unique(self._yt).tolist()) - set(np.unique(self._ys).tolist()))
        if unseen:
            raise TLZooError(
                f"target {target!r} has classes {unseen[:10]}{' ...' if len(unseen) > 10 else ''} that the source "
                f"{source!r} lacks: a classifier trained on the source cannot predict them. Both domains need the "
                f"same classes (0-based labels)"
            )
        self.num_classes = int(max(self._ys.max(), self._yt.max())) + 1
        self.protocol = (
            f"features {source} ({len(self._ys)}) -> {target} ({len(self._yt)}), preprocessing="
            f"{preprocessing or 'recommended'}; transductive: all target samples are the unlabelled adaptation "
            f"set and the test set; source val fraction {source_val_fraction}"
        )

    @staticmethod
    def _dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), torch.from_numpy(y).long())

    def build(self) -> None:
        idx = np.arange(len(self._ys))
        n_val = int(round(self.source_val_fraction * len(idx)))
        if n_val > 0:
            n_val = max(n_val, len(np.unique(self._ys)))  # at least one per class for stratification
            from sklearn.model_selection import train_test_split  # lazy: `tlzoo fit --help` starts faster
            train_idx, val_idx = train_test_split(idx, test_size=n_val, stratify=self._ys,
                                                  random_state=self.split_seed)
            train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
        else:
            train_idx, val_idx = idx, idx
        self.source_train = self._dataset(self._xs[train_idx], self._ys[train_idx])
        self.source_val = self._dataset(self._xs[val_idx], self._ys[val_idx])
        self.target_train = self._dataset(self._xt, self._yt)
        self.target_test = self.target_train
