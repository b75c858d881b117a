"""Lightning callbacks that any method can use (``--trainer.callbacks+=<short name>``)."""

from tlzoo.callbacks.adabn import AdaBNCallback
from tlzoo.callbacks.analysis import FeatureAnalysis, UnsupervisedValidators
from tlzoo.callbacks.averaging import EMAWeights
from tlzoo.callbacks.classifier_figures import ClassifierFigures
from tlzoo.callbacks.images import ImageGrid

__all__ = ["AdaBNCallback", "ClassifierFigures", "EMAWeights", "FeatureAnalysis", "ImageGrid", "UnsupervisedValidators"]
