"""Classifier "judges": a frozen zoo classifier that scores translated images.

A judge is a classifier trained on the *target* domain (e.g. ``tlzoo fit -c experiments/source_only_digits.yaml
--data.init_args.source mnist`` gives a MNIST classifier). It measures two things about a translation
``G: A -> B``:

* **label preservation**: the judge's accuracy on ``G(x_a)`` w.r.t. the labels of ``x_a`` (does a translated
  "3" still read as a 3 in domain B?): a classifier trained on B applied to translated A images, a common check
  for translation between digit domains.
* **FID in the judge's feature space** (``val/fid_judge``), through :attr:`Judge.features`, for images too
  small or too far from ImageNet for Inception features to mean much.

Input normalisation
-------------------
A checkpoint's weights say nothing about how its data module normalised the images, and the zoo's checkpoints
do not record it (yet). :func:`load_judge` takes, in order: explicit ``input_mean`` / ``input_std``; an
``input_spec`` / ``spec_a`` / ``spec`` entry in the checkpoint's hyper-parameters; the data module named in the
run's ``config.yaml`` (next to ``checkpoints/``, where ``tlzoo fit`` writes it) looked up in
:data:`DATA_NORMALIZATION`:

=================================================  ==========================================
data module                                        input normalisation ``(x01 - mean) / std``
=================================================  ==========================================
EmbeddedDigits, USPSMNIST, SVHNToMNIST,            mean 0.5, std 0.5 (images in [-1, 1])
MNISTToMNISTM
DomainFolders, Office31                            ImageNet mean (0.485, 0.456, 0.406),
                                                   std (0.229, 0.224, 0.225)
=================================================  ==========================================

and raises a :class:`~tlzoo.errors.TLZooError` asking for ``input_mean`` / ``input_std`` when none applies.

Keeping the judge honest
------------------------
A judge must not have been trained on the real images it is evaluated on, nor on those the generated images are
compared with: its accuracy on those real images is the reference ("ceiling") a generator's ``judge_acc`` is read
against, and a judge that has seen them reads them better than new images of the same kind. The judge of the
single-domain generative models, ``experiments/disentangle/judge_labelled_mnist.yaml``, trains on the training split of
``LabelledDigits(dataset="mnist")`` (2,700 digits) and is selected on its validation split (300); the models are
scored on the 2,000-digit test split, which shares no image with either (:func:`shared_images` counts exact
duplicates; the test suite pins it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.metrics.features import ClassifierFeatures, FrozenModule, Normalization, NormalizationLike

_HALF = ((0.5,), (0.5,))
_IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))

#: Input normalisation ``(mean, std)`` of each image data module, by short class name (see the module docstring).
DATA_NORMALIZATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "EmbeddedDigits": _HALF,
    "USPSMNIST": _HALF,
    "SVHNToMNIST": _HALF,
    "MNISTToMNISTM": _HALF,
    "DomainFolders": _IMAGENET,
    "Office31": _IMAGENET,
    "LabelledDigits": _HALF,
    "MultiDomainDigits": _HALF,
    "CelebA": _HALF,
}


class Judge(FrozenModule):
    """A frozen classifier that predicts the labels of images in [0, 1].

    Args:
        model: a zoo classifier (``features(x)``, ``forward(x) -> logits``); frozen in place.
        input_spec: its input normalisation (``ImageSpec`` / :class:`~tlzoo.metrics.features.Normalization`);
            ``None``: ``mean = std = 0.5``.
        input_shape: ``(C, H, W)`` it expects; ``None``: ``model.input_shape``.
        name: name of its feature space in metric names (``fid_<name>``).
    """

    def __init__(self, model: nn.Module, input_spec: NormalizationLike | None = None,
                 input_shape: tuple[int, int, int] | None = None, name: str = "judge") -> None:
        super().__init__()
        self.features = ClassifierFeatures(model, name=name, input_spec=input_spec, input_shape=input_shape)
        self.name = name
        self.num_features = self.features.num_features
        num_classes = getattr(model, "num_classes", None)
        if not isinstance(num_classes, int):
            num_classes = int(self.features.logits(torch.zeros(1, *self.features.input_shape)).shape[1])
        self.num_classes = num_classes
        self.checkpoint: str | None = None
        self.eval()

    @property
    def model(self) -> nn.Module:
        return self.features.model

    def logits(self, images01: torch.Tensor) -> torch.Tensor:
        """``(N, num_classes)`` class logits."""
        return self.features.logits(images01)

    def predict(self, images01: torch.Tensor) -> torch.Tensor:
        """``(N,)`` predicted labels."""
        return self.logits(images01).argmax(dim=1)

    forward = predict

    def accuracy(self, images01: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Fraction of ``images01`` whose predicted label is ``labels`` (a float scalar tensor)."""
        if len(images01) != len(labels):
            raise ValueError(f"{len(images01)} images but {len(labels)} labels")
        return (self.predict(images01) == labels.to(images01.device)).float().mean()


def shared_images(images: torch.Tensor, others: torch.Tensor) -> int:
    """How many of ``images`` ``(N, ...)`` occur exactly (same shape, dtype and values) among ``others`` ``(M, ...)``.

    Used to check that a judge's training data and the split it scores are disjoint (compare the raw ``uint8``
    images of the two splits, before any augmentation or normalisation)."""
    if images.shape[1:] != others.shape[1:] or images.dtype != others.dtype:
        raise ValueError(f"cannot compare images {tuple(images.shape)} {images.dtype} with {tuple(others.shape)} "
                         f"{others.dtype}: use the raw images of both splits")
    import hashlib

    def digests(batch: torch.Tensor) -> list[bytes]:
        flat = batch.detach().cpu().contiguous().flatten(1).numpy()
        return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]

    seen = set(digests(others))
    return sum(d in seen for d in digests(images))


# ----------------------------------------------------------------------------- loading
def _spec_from(value: Any) -> Normalization | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        mean, std = value.get("mean"), value.get("std")
    else:
        mean, std = getattr(value, "mean", None), getattr(value, "std", None)
    if mean is None or std is None:
        return None
    return Normalization(tuple(float(m) for m in mean), tuple(float(s) for s in std))


def _as_tuple(value: float | Sequence[float]) -> tuple[float, ...]:
    return (float(value),) if isinstance(value, (int, float)) else tuple(float(v) for v in value)


def run_config_data_class(checkpoint: Path) -> str | None:
    """Short class name of the data module in the run's ``config.yaml`` (``<run>/checkpoints/x.ckpt`` ->
    ``<run>/config.yaml``), or ``None``."""
    import yaml

    for folder in (checkpoint.parent.parent, checkpoint.parent):
        config = folder / "config.yaml"
        if not config.is_file():
            continue
        try:
            data = (yaml.safe_load(config.read_text()) or {}).get("data") or {}
        except (yaml.YAMLError, OSError, AttributeError):
            return None
        class_path = data.get("class_path") if isinstance(data, Mapping) else None
        return str(class_path).rsplit(".", 1)[-1] if class_path else None
    return None


def _resolve_normalization(checkpoint: Path, hparams: Mapping[str, Any], input_mean: Any, input_std: Any
                           ) -> Normalization:
    if input_mean is not None and input_std is not None:
        return Normalization(_as_tuple(input_mean), _as_tuple(input_std))
    found: Normalization | None = None
    for key in ("input_spec", "spec_a", "spec"):
        found = found or _spec_from(hparams.get(key))
    if found is None:
        data_class = run_config_data_class(checkpoint)
        if data_class in DATA_NORMALIZATION:
            found = Normalization(*DATA_NORMALIZATION[data_class])
    if found is None:
        known = ", ".join(f"{k}: mean={m} std={s}" for k, (m, s) in DATA_NORMALIZATION.items())
        raise TLZooError(
            f"cannot tell how the data of {checkpoint} was normalised (no input spec in the checkpoint, no known "
            f"data module in a config.yaml next to it): pass input_mean= and input_std= to load_judge "
            f"(the normalisation of the data module it was trained with; {known})"
        )
    return Normalization(_as_tuple(input_mean) if input_mean is not None else found.mean,
                         _as_tuple(input_std) if input_std is not None else found.std)


def _method_classes(class_path: str | None) -> list[type]:
    from lightning.pytorch import LightningModule

    import tlzoo.methods as registry

    if class_path:
        if not class_path.startswith("tlzoo."):
            raise TLZooError(f"checkpoint model {class_path!r} is not a tlzoo method; a judge must be a zoo classifier")
        from tlzoo.checkpoints import method_class

        cls = method_class(class_path)
        if cls is None:
            raise TLZooError(f"checkpoint model {class_path!r} does not exist in this tlzoo version")
        return [cls]
    # A checkpoint written without LightningCLI: try every registered method, SourceOnly first.
    names = ["SourceOnly"] + [n for n in registry.__all__ if n != "SourceOnly"]
    classes = [getattr(registry, n) for n in names]
    return [c for c in classes if isinstance(c, type) and issubclass(c, LightningModule)
            and not getattr(c, "__abstractmethods__", None) and c.__name__ != "DomainAdaptationMethod"]


def load_judge(checkpoint: str | Path, input_mean: float | Sequence[float] | None = None,
               input_std: float | Sequence[float] | None = None, name: str = "judge") -> Judge:
    """Load a zoo classifier checkpoint (``tlzoo fit`` of e.g. ``SourceOnly`` on the target domain) as a
    frozen :class:`Judge` on the CPU (move it with ``.to(device)``).

    The class comes from the checkpoint's ``_class_path`` hyper-parameter (written by ``tlzoo fit``), else
    every registered method is tried. The input normalisation is resolved as the module docstring says.

    Args:
        checkpoint: path of the ``.ckpt`` file.
        input_mean: per-channel mean of the classifier's data normalisation (overrides what is found).
        input_std: per-channel std (overrides what is found).
        name: name of the judge's feature space in metric names (``fid_<name>``).

    Raises:
        TLZooError: the file is missing, is not a torch checkpoint, is not a Lightning checkpoint of a tlzoo
            classifier, or its normalisation is unknown and not given.
    """
    from tlzoo.checkpoints import read_checkpoint
    from tlzoo.core.module import keep_rng_states

    path, ckpt = read_checkpoint(checkpoint, "judge checkpoint", "a classifier such as SourceOnly trained by "
                                 "`tlzoo fit` on the output domain, e.g. experiments/judges/judge_mnist.yaml")
    hparams = ckpt.get("hyper_parameters") or {}
    spec = _resolve_normalization(path, hparams, input_mean, input_std)
    errors: list[str] = []
    model = None
    for cls in _method_classes(hparams.get("_class_path")):
        try:
            with keep_rng_states():  # building the network draws random initial weights
                model = cls.load_from_checkpoint(path, map_location="cpu", weights_only=False, strict=True)
            break
        except Exception as err:  # noqa: BLE001  (collect why each candidate failed)
            errors.append(f"{cls.__name__}: {type(err).__name__}: {str(err)[:160]}")
    if model is None:
        raise TLZooError(f"{path} does not load as a tlzoo classifier ({'; '.join(errors[:3])})")
    if not callable(getattr(model, "features", None)):
        raise TLZooError(f"{path} holds a {type(model).__name__}, which has no features(x): a judge must be a "
                         "classifier (e.g. SourceOnly)")
    judge = Judge(model, input_spec=spec, name=name)
    judge.checkpoint = str(path)
    return judge
