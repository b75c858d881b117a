"""tlzoo: a PyTorch Lightning zoo of transfer-learning and disentanglement methods for vision."""

__version__ = "0.1.0"
