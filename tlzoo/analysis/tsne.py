"""t-SNE of source and target features, coloured by class and marked by domain.

van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 2008 (``sklearn.manifold.TSNE``), the
plot of DANN's Fig. 5 (Ganin et al., JMLR 2016): features of source and target examples before and
after adaptation, in one embedding. Features wider than 50 are first reduced by PCA (the usual
practice, which also makes t-SNE faster).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

MARKERS = ("o", "^", "s", "x")


def tsne_embedding(features: np.ndarray | torch.Tensor, seed: int = 0, perplexity: float = 30.0,
                   pca_dim: int = 50) -> np.ndarray:
    """2-d t-SNE embedding of ``(N, F)`` features (PCA to ``pca_dim`` first when ``F`` is larger)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(features.numpy() if isinstance(features, torch.Tensor) else features, dtype=np.float64)
    n = len(x)
    if n < 3:
        raise ValueError(f"t-SNE needs at least 3 points, got {n}")
    if x.shape[1] > pca_dim and n > pca_dim:
        x = PCA(n_components=pca_dim, random_state=seed).fit_transform(x)
    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3.0)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed)
    # One OpenMP thread: torch's and scikit-learn's OpenMP runtimes otherwise compete (torch's idle threads
    # spin), which made a 40-point t-SNE take tens of seconds on a busy 2-core machine.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return tsne.fit_transform(x)


def plot_tsne(embedding: np.ndarray, labels: np.ndarray, domains: np.ndarray, path: str | Path,
              title: str | None = None, domain_names: Sequence[str] = ("source", "target"),
              class_names: Sequence[str] | None = None) -> Path:
    """Scatter plot of a 2-d embedding: colour = class (``-1``: unknown, grey), marker = domain. Saves a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = np.asarray(labels)
    domains = np.asarray(domains)
    classes = sorted(int(c) for c in np.unique(labels) if c >= 0)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    for d, dname in enumerate(domain_names):
        sel = domains == d
        if not sel.any():
            continue
        colours = [cmap(classes.index(int(c)) % cmap.N) if c >= 0 else (0.6, 0.6, 0.6, 1.0) for c in labels[sel]]
        ax.scatter(embedding[sel, 0], embedding[sel, 1], c=colours, marker=MARKERS[d % len(MARKERS)], s=14,
                   alpha=0.75, linewidths=0.6 if MARKERS[d % len(MARKERS)] == "x" else 0.0, label=dname)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker=MARKERS[d % len(MARKERS)], color="k", linestyle="", label=n)
               for d, n in enumerate(domain_names) if (domains == d).any()]
    handles += [Line2D([], [], marker="o", color=cmap(i % cmap.N), linestyle="",
                       label=class_names[c] if class_names else str(c)) for i, c in enumerate(classes)]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of features (colour: class, marker: domain)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def tsne_plot(source: Any, target: Any, path: str | Path, seed: int = 0, max_per_domain: int | None = 1000,
              title: str | None = None, perplexity: float = 30.0) -> Path:
    """t-SNE of two :class:`~tlzoo.analysis.features.FeatureSet` (source, target) in one embedding -> PNG."""
    src, tgt = source.subset(max_per_domain, seed), target.subset(max_per_domain, seed + 1)
    feats = torch.cat([src.features, tgt.features])
    emb = tsne_embedding(feats, seed=seed, perplexity=perplexity)
    labels = torch.cat([src.labels, tgt.labels]).numpy()
    domains = np.r_[np.zeros(len(src), dtype=int), np.ones(len(tgt), dtype=int)]
    return plot_tsne(emb, labels, domains, path, title=title)


def log_image(trainer_or_loggers: Any, key: str, path: str | Path, step: int | None = None) -> bool:
    """Log the PNG at ``path`` as a ``wandb.Image`` under ``key`` on every W&B logger; True if one was found."""
    from lightning.pytorch.loggers import WandbLogger

    loggers = getattr(trainer_or_loggers, "loggers", trainer_or_loggers) or []
    logged = False
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)], step=step)
            logged = True
    return logged
