"""Lightning callbacks that any method can use (``--trainer.callbacks+=<short name>``)."""

from tlzoo.callbacks.adabn import AdaBNCallback
from tlzoo.callbacks.analysis import FeatureAnalysis, UnsupervisedValidators
from tlzoo.callbacks.images import ImageGrid

__all__ = ["AdaBNCallback", "FeatureAnalysis", "ImageGrid", "UnsupervisedValidators"]
