"""Analysis tools: feature extraction, t-SNE plots, proxy A-distance and unsupervised validators.

* :mod:`tlzoo.analysis.features`: features / logits / labels of a model over data loaders.
* :mod:`tlzoo.analysis.tsne`: t-SNE of source and target features (PNG, W&B image).
* :mod:`tlzoo.analysis.a_distance`: proxy A-distance (Ben-David et al.; as in DANN).
* :mod:`tlzoo.analysis.validators`: label-free model-selection criteria (SND, ...).
* :mod:`tlzoo.analysis.cli`: ``tlzoo analyze --config X.yaml --ckpt_path C --out DIR``.

The Lightning callbacks that use them live in :mod:`tlzoo.callbacks.analysis`.
"""

from tlzoo.analysis.a_distance import PADResult, proxy_a_distance
from tlzoo.analysis.features import FeatureSet, extract_features
from tlzoo.analysis.tsne import plot_tsne, tsne_embedding, tsne_plot
from tlzoo.analysis.validators import mutual_information, soft_neighborhood_density

__all__ = [
    "FeatureSet",
    "PADResult",
    "extract_features",
    "mutual_information",
    "plot_tsne",
    "proxy_a_distance",
    "soft_neighborhood_density",
    "tsne_embedding",
    "tsne_plot",
]
