"""Feature extractors for FID / KID: frozen networks mapping images in [0, 1] to feature vectors.

Every extractor is an ``nn.Module`` with

* ``forward(x01) -> (N, d)`` float features, for ``x01`` of shape ``(N, C, H, W)`` in [0, 1]
  (callers denormalise first: ``spec.denormalize(x)``, see :class:`tlzoo.data.spec.ImageSpec`);
* ``name: str``: goes into the logged metric name (``val/fid_inception``, ``val/fid_judge``);
* ``num_features: int``: ``d`` (torchmetrics' FID reads it instead of probing the network).

Extractors never train: they stay in eval mode whatever ``.train()`` is called with (Lightning calls
``model.train()`` on the whole LightningModule at every epoch start, which would otherwise update
their BatchNorm statistics on generated images), and their parameters have ``requires_grad=False``.

Two kinds:

* :class:`InceptionFeatures`: the pool3 (2048-d) features of the FID Inception-v3 (Heusel et al.,
  "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017,
  https://arxiv.org/abs/1706.08500), the TensorFlow 2015-12-05 graph as converted by torch-fidelity and
  run through torchmetrics' ``NoTrainInceptionV3``. Needs the converted weights file (no download here).
* :class:`ClassifierFeatures`: the penultimate features of a zoo classifier (``model.features(x)``), e.g.
  a judge trained on the target domain (:mod:`tlzoo.metrics.judge`): "FID in the judge's feature space",
  meaningful for small images (digits) where ImageNet Inception features are not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.errors import TLZooError

#: torch-fidelity's conversion of the TF FID Inception (what torchmetrics' FID loads by default).
INCEPTION_WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_WEIGHTS_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
)
#: pytorch-fid's conversion of the same TF graph; same parameter names, also accepted.
PYTORCH_FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
PYTORCH_FID_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
)
#: Environment variable naming the weights file (or its folder) when ``weights_path`` is not given.
INCEPTION_WEIGHTS_ENV = "TLZOO_INCEPTION_WEIGHTS"


class NormalizationLike(Protocol):
    """Anything with per-channel ``mean`` and ``std`` (an :class:`~tlzoo.data.spec.ImageSpec`, a
    :class:`Normalization`): the classifier saw ``(x01 - mean) / std``."""

    mean: Sequence[float]
    std: Sequence[float]


@dataclass
class Normalization:
    """A plain ``(mean, std)`` pair, per channel (one value broadcasts to every channel)."""

    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.5,)


class FrozenModule(nn.Module):
    """Base of the extractors: always in eval mode, no gradients into its parameters."""

    name: str
    num_features: int

    def train(self, mode: bool = True) -> FrozenModule:
        """Ignore ``mode``: the extractor is a fixed measuring instrument."""
        return super().train(False)


def to_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Grey -> RGB by repeating the channel, RGB -> grey by averaging; other changes are errors."""
    c = x.shape[1]
    if c == channels:
        return x
    if c == 1:
        return x.expand(-1, channels, -1, -1)
    if channels == 1:
        return x.mean(dim=1, keepdim=True)
    raise ValueError(f"cannot convert {c}-channel images to {channels} channels")


def _check_images(x: torch.Tensor) -> torch.Tensor:
    if x.ndim != 4:
        raise ValueError(f"expected (N, C, H, W) images in [0, 1], got shape {tuple(x.shape)}")
    return x.float()


# ----------------------------------------------------------------------------- Inception
def _candidates(weights_path: str | None) -> list[Path]:
    names = (INCEPTION_WEIGHTS_FILE, PYTORCH_FID_WEIGHTS_FILE)
    given = weights_path or os.environ.get(INCEPTION_WEIGHTS_ENV)
    if given:
        path = Path(given).expanduser()
        return [path / n for n in names] if path.is_dir() else [path]
    hub = Path(torch.hub.get_dir()) / "checkpoints"  # where torch-fidelity caches its own download
    return [hub / n for n in names]


def find_inception_weights(weights_path: str | None = None) -> Path:
    """The FID Inception weights file: ``weights_path`` (a file or a folder holding it), else
    ``$TLZOO_INCEPTION_WEIGHTS``, else torch hub's cache (``$TORCH_HOME/hub/checkpoints``, where
    torch-fidelity puts its download). Never downloads; raises :class:`TLZooError` when absent."""
    candidates = _candidates(weights_path)
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise TLZooError(
        f"FID Inception-v3 weights not found (looked for {looked}). Download {INCEPTION_WEIGHTS_FILE} from "
        f"{INCEPTION_WEIGHTS_URL} (or pytorch-fid's {PYTORCH_FID_WEIGHTS_FILE} from {PYTORCH_FID_WEIGHTS_URL}) "
        f"and pass its path as InceptionFeatures(weights_path=...) (the method's inception-weights option on the "
        f"command line), or set ${INCEPTION_WEIGHTS_ENV} to it, or put it in "
        f"{Path(torch.hub.get_dir()) / 'checkpoints'}"
    )


class InceptionFeatures(FrozenModule):
    """FID Inception-v3 features (pool3, 2048-d, by default) of images in [0, 1].

    The reference FID (Heusel et al., NeurIPS 2017, https://arxiv.org/abs/1706.08500; TF code
    ``TTUR/fid.py``) feeds 8-bit RGB images to the 2015-12-05 Inception graph, which resizes them to
    299x299 with TF1 bilinear interpolation and scales them to [-1, 1]. This module does the same:
    ``x01`` is quantised to uint8 (rounded), grey images are repeated to 3 channels, and torchmetrics'
    ``NoTrainInceptionV3`` (torch-fidelity's ``FeatureExtractorInceptionV3``) resizes with
    ``interpolate_bilinear_2d_like_tensorflow1x`` (``antialias=False``, the default here; torchmetrics'
    own default, ``antialias=True``, is a PyTorch antialiased resize that does not match the reference).

    Args:
        weights_path: the converted weights file (``weights-inception-2015-12-05-6726825d.pth``, or
            pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``) or a folder holding it. ``None``:
            ``$TLZOO_INCEPTION_WEIGHTS``, else torch hub's cache. Nothing is ever downloaded.
        feature_dim: which Inception layer: 64, 192, 768 or 2048 (pool3, the FID standard).
        antialias: resize with PyTorch's antialiased bilinear instead of the TF1-compatible one.
    """

    def __init__(self, weights_path: str | None = None, feature_dim: int = 2048, antialias: bool = False) -> None:
        super().__init__()
        if feature_dim not in (64, 192, 768, 2048):
            raise ValueError(f"feature_dim must be 64, 192, 768 or 2048, got {feature_dim}")
        from torchmetrics.utilities.imports import _TORCH_FIDELITY_AVAILABLE

        if not _TORCH_FIDELITY_AVAILABLE:
            raise TLZooError("InceptionFeatures needs torch-fidelity: pip install 'torch-fidelity>=0.3,<0.4'")
        from torchmetrics.image.fid import NoTrainInceptionV3

        path = find_inception_weights(weights_path)
        try:
            # An explicit path: torch-fidelity never reaches for its download URL.
            self.inception = NoTrainInceptionV3(name="inception-v3-compat", features_list=[str(feature_dim)],
                                                feature_extractor_weights_path=str(path), antialias=antialias)
        except Exception as err:  # noqa: BLE001  (unpickling / shape errors all mean: wrong file)
            raise TLZooError(
                f"{path} is not the FID Inception-v3 weights file ({type(err).__name__}: {str(err)[:200]}). "
                f"Download {INCEPTION_WEIGHTS_FILE} again from {INCEPTION_WEIGHTS_URL}"
            ) from None
        self.inception.requires_grad_(False)
        self.weights_path = str(path)
        self.name = "inception"
        self.num_features = feature_dim
        self.eval()

    @torch.no_grad()
    def forward(self, x01: torch.Tensor) -> torch.Tensor:
        x = to_channels(_check_images(x01), 3)
        x = (x.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
        return self.inception(x).float()


# ----------------------------------------------------------------------------- classifiers
class ClassifierFeatures(FrozenModule):
    """Penultimate features ``model.features(x)`` of a zoo classifier, for images in [0, 1].

    The images are adapted to what the classifier was trained on: converted to its channel count
    (grey -> RGB by repeating, RGB -> grey by averaging), resized bilinearly to its ``(H, W)``, and
    normalised with its data's ``(mean, std)``. The model is frozen in place (eval mode,
    ``requires_grad=False``): pass a copy if you keep training it.

    Args:
        model: a classifier with ``features(x) -> (N, d)`` and ``forward(x) -> logits`` (every
            :class:`~tlzoo.methods.da.base.DomainAdaptationMethod`).
        name: the name in the logged metrics (``fid_<name>``), e.g. ``judge``.
        input_spec: the classifier's input normalisation (an ``ImageSpec`` or :class:`Normalization`);
            ``None``: ``mean = std = 0.5`` (images in [-1, 1], every digits data module of the zoo).
        input_shape: ``(C, H, W)`` the classifier expects; ``None``: ``model.input_shape``.
    """

    def __init__(self, model: nn.Module, name: str = "judge", input_spec: NormalizationLike | None = None,
                 input_shape: tuple[int, int, int] | None = None) -> None:
        super().__init__()
        if not callable(getattr(model, "features", None)):
            raise TLZooError(f"{type(model).__name__} has no features(x) method: it cannot serve as a feature "
                             "extractor (expected a zoo classifier, e.g. SourceOnly)")
        shape = tuple(input_shape or getattr(model, "input_shape", ()) or ())
        if len(shape) != 3:
            raise TLZooError(f"ClassifierFeatures needs the classifier's (C, H, W) input shape, got {shape!r}: "
                             "pass input_shape=")
        self.model = model
        self.model.requires_grad_(False)
        self.name = name
        self.input_shape: tuple[int, int, int] = (int(shape[0]), int(shape[1]), int(shape[2]))
        spec = input_spec if input_spec is not None else Normalization()
        c = self.input_shape[0]
        mean, std = tuple(float(m) for m in spec.mean), tuple(float(s) for s in spec.std)
        for label, values in (("mean", mean), ("std", std)):
            if len(values) not in (1, c):
                raise ValueError(f"input_spec.{label} has {len(values)} values for a {c}-channel classifier")
        self.register_buffer("mean", torch.tensor(mean * (c // len(mean))).view(1, c, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std * (c // len(std))).view(1, c, 1, 1), persistent=False)
        self.eval()
        dim = getattr(model, "feature_dim", None)
        if not isinstance(dim, int):
            with torch.no_grad():
                dim = int(self.model.features(torch.zeros(1, *self.input_shape)).flatten(1).shape[1])
        self.num_features = dim

    def adapt(self, x01: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] -> the classifier's input (channels, size, normalisation)."""
        x = to_channels(_check_images(x01), self.input_shape[0])
        size = self.input_shape[1:]
        if tuple(x.shape[-2:]) != size:
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std

    @torch.no_grad()
    def forward(self, x01: torch.Tensor) -> torch.Tensor:
        return self.model.features(self.adapt(x01)).flatten(1).float()

    @torch.no_grad()
    def logits(self, x01: torch.Tensor) -> torch.Tensor:
        """The classifier's class logits for images in [0, 1]."""
        return self.model(self.adapt(x01)).float()
