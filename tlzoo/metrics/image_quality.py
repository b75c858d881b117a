"""Image-translation metrics: FID / KID with pluggable features, SSIM / PSNR, label preservation, FCN-scores.

All of them take images in [0, 1] (callers denormalise: ``spec.denormalize(x)``) and accumulate over an
evaluation epoch through torchmetrics (``update`` per batch, ``compute`` once, ``reset``), so they sync across
DDP processes. A translation module holds one :class:`ImageTranslationMetrics` per direction and logs
``{f"val/{k}": v for k, v in metrics.compute().items()}`` at the end of validation.

* **FID** (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
  NeurIPS 2017, https://arxiv.org/abs/1706.08500): ``||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))``
  between Gaussians fitted to the features of real and generated images.
* **KID** (Binkowski et al., "Demystifying MMD GANs", ICLR 2018, https://arxiv.org/abs/1801.01401): the unbiased
  MMD^2 with the cubic polynomial kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over random subsets; mean and
  std are reported.
* **SSIM / PSNR** for paired tasks (pix2pix-style), against the ground-truth target image.
* **Label preservation**: accuracy of a :class:`~tlzoo.metrics.judge.Judge` (a classifier of the target domain)
  on translated images w.r.t. the source labels.
* **FCN-scores** (:class:`SegmentationScores`): per-pixel accuracy, mean per-class accuracy and mean class IoU of
  a segmentation network's output, as in Isola et al., "Image-to-Image Translation with Conditional Adversarial
  Networks", CVPR 2017, https://arxiv.org/abs/1611.07004, Table 1 (the Cityscapes / FCN evaluation code).

Code vs. paper: ``real_features_*`` / ``fake_features_*`` (torchmetrics' states) hold the sums behind ``mu_r, S_r`` /
``mu_g, S_g`` (Heusel et al.); ``KID.subset_size`` is the block size ``m`` and ``kid_subsets`` the number of blocks of
Binkowski et al.'s estimator; ``Precomputed`` stands in for the Inception network ``phi``, computed once
per batch by the extractor and shared by FID and KID.

Feature extractors (Inception, a judge's classifier) are measuring instruments, not part of the model: they are
NOT registered as sub-modules, so they stay out of checkpoints and out of ``.half()``; they follow the device
of the images they are given.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import nn
from torchmetrics import Metric
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from tlzoo.errors import TLZooError
from tlzoo.metrics.judge import Judge

_NAN = float("nan")


class Precomputed(nn.Module):
    """Identity "feature network" for torchmetrics' FID / KID when the features were computed already (once
    per batch, shared by FID and KID)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


class FID(FrechetInceptionDistance):
    """torchmetrics' FID that returns NaN (instead of raising) when either set has fewer than 2 samples
    (the covariance is undefined), after the DDP sync, so every process takes the same branch."""

    def compute(self) -> torch.Tensor:
        if int(self.real_features_num_samples) < 2 or int(self.fake_features_num_samples) < 2:
            return torch.tensor(_NAN, device=self.real_features_sum.device)
        return super().compute()


class KID(KernelInceptionDistance):
    """torchmetrics' KID with three changes: ``subset_size`` is clamped to the number of samples (with a
    warning) instead of raising; fewer than 2 samples give NaN; the random subsets come from a fixed seed in a
    forked RNG, so the value is reproducible and computing it does not move the training RNG."""

    def __init__(self, feature: nn.Module, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            super().__init__(feature=feature, subsets=subsets, subset_size=subset_size, normalize=True)
        self.requested_subset_size = subset_size
        self.seed = seed
        self._warned_clamp = False

    @staticmethod
    def _count(state: Any) -> int:
        if isinstance(state, list):
            return sum(len(s) for s in state)
        return len(state)

    def compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = min(self._count(self.real_features), self._count(self.fake_features))
        if n < 2:
            nan = torch.tensor(_NAN)
            return nan, nan
        self.subset_size = min(self.requested_subset_size, n)
        if self.subset_size < self.requested_subset_size and not self._warned_clamp:
            self._warned_clamp = True
            rank_zero_warn(f"KID: kid_subset_size={self.requested_subset_size} is more than the {n} samples "
                           f"evaluated; using subsets of {n}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            mean, std = super().compute()
        return mean, std


class SampleCount(Metric):
    """How many examples a metric group saw, summed over processes (so all of them skip or compute alike)."""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("n", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, n: int) -> None:
        self.n += n

    def compute(self) -> torch.Tensor:
        return self.n


def _images(x: torch.Tensor, what: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"{what}: expected (N, C, H, W) images in [0, 1], got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    return x.detach().float()


class ImageTranslationMetrics(nn.Module):
    """The evaluation of one translation direction ``A -> B``, accumulated over an epoch.

    ``update(fake01, real01, source_labels, target01)`` per batch (either image set may be ``None``):
    ``fake01 = G(x_a)`` denormalised,
    ``real01`` real images of B (any, unpaired: FID/KID compare the two sets), ``source_labels`` the labels of
    ``x_a`` (label preservation), ``target01`` the ground-truth B image paired with ``x_a`` (SSIM/PSNR).
    ``compute()`` returns, for each feature extractor ``f``: ``fid_<f.name>``, ``kid_<f.name>``,
    ``kid_<f.name>_std``; and ``ssim``, ``psnr`` (mean over images of the per-image PSNR; ``inf`` for identical
    images), ``label_preservation``. A value that is undefined (FID/KID with fewer than 2 samples, a group that
    saw no data) is left out, with a warning.

    Args:
        fid: compute FID for each feature extractor.
        kid: compute KID for each feature extractor.
        features: the feature extractor(s) (:mod:`tlzoo.metrics.features`; each has ``name`` and
            ``num_features``). ``None``: the judge's features when a judge is given, else
            :class:`~tlzoo.metrics.features.InceptionFeatures` (which needs its weights file).
        ssim_psnr: compute SSIM and PSNR against ``target01`` (paired tasks; ``data_range=1``).
        judge: a frozen classifier of domain B; its accuracy on ``fake01`` w.r.t. ``source_labels`` is
            ``label_preservation``.
        kid_subset_size: KID subset size (clamped, with a warning, to the number of samples).
        kid_subsets: number of KID subsets.
        kid_seed: seed of the KID subsets (drawn in a forked RNG).
    """

    def __init__(self, fid: bool = True, kid: bool = False, features: nn.Module | Sequence[nn.Module] | None = None,
                 ssim_psnr: bool = False, judge: Judge | None = None, kid_subset_size: int = 1000,
                 kid_subsets: int = 100, kid_seed: int = 0) -> None:
        super().__init__()
        if kid_subset_size < 2:
            raise ValueError(f"kid_subset_size must be >= 2, got {kid_subset_size}")
        self.use_fid, self.use_kid, self.use_ssim_psnr = fid, kid, ssim_psnr
        extractors: list[nn.Module] = []
        if fid or kid:
            if features is None:
                if judge is not None:
                    extractors = [judge.features]
                else:
                    from tlzoo.metrics.features import InceptionFeatures

                    extractors = [InceptionFeatures()]
            elif isinstance(features, nn.Module):
                extractors = [features]
            else:
                extractors = list(features)
        # Plain dict / attribute: NOT sub-modules (see the module docstring).
        self._extractors: dict[str, nn.Module] = {}
        for ext in extractors:
            name, dim = getattr(ext, "name", None), getattr(ext, "num_features", None)
            if not isinstance(name, str) or not isinstance(dim, int):
                raise TLZooError(f"feature extractor {type(ext).__name__} needs a `name: str` and `num_features: int`")
            if name in self._extractors:
                raise TLZooError(f"two feature extractors are both named {name!r}: metric names would collide")
            self._extractors[name] = ext.eval()
        self.fid = nn.ModuleDict({n: FID(feature=Precomputed(e.num_features), normalize=True)
                                  for n, e in self._extractors.items()} if fid else {})
        self.kid = nn.ModuleDict({n: KID(Precomputed(e.num_features), kid_subsets, kid_subset_size, kid_seed)
                                  for n, e in self._extractors.items()} if kid else {})
        if ssim_psnr:
            self.ssim = StructuralSimilarityIndexMeasure(data_range=1.0)
            self.psnr = PeakSignalNoiseRatio(data_range=1.0, dim=(1, 2, 3))
            self.paired_count = SampleCount()
        # object.__setattr__: keep the judge out of the sub-modules (nn.Module would register it).
        object.__setattr__(self, "_judge", judge.eval() if judge is not None else None)
        if judge is not None:
            self.label_acc = MulticlassAccuracy(judge.num_classes, average="micro")
            self.label_count = SampleCount()

    @property
    def extractors(self) -> dict[str, nn.Module]:
        """The feature extractors by name (not sub-modules)."""
        return dict(self._extractors)

    @property
    def judge(self) -> Judge | None:
        return self._judge

    @torch.no_grad()
    def update(self, fake01: torch.Tensor | None, real01: torch.Tensor | None = None,
               source_labels: torch.Tensor | None = None, target01: torch.Tensor | None = None) -> None:
        """Accumulate one batch (see the class docstring); all images in [0, 1]. Either side may be ``None``
        (evaluation splits of different lengths): the reals and fakes of FID/KID are accumulated separately.
        ``source_labels`` with negative entries (an unlabelled domain) are ignored."""
        fake = _images(fake01, "fake01") if fake01 is not None else None
        real = _images(real01, "real01") if real01 is not None else None
        device = (fake if fake is not None else real).device if (fake is not None or real is not None) else None
        if device is None:
            return
        with torch.autocast(device_type=device.type, enabled=False):
            for name, ext in self._extractors.items():
                ext.to(device)
                for images, is_real in ((real, True), (fake, False)):
                    if images is None:
                        continue
                    feats = ext(images.to(device)).float()
                    for group in (self.fid, self.kid):
                        if name in group:
                            group[name].update(feats, real=is_real)
            if fake is None:
                return
            if self.use_ssim_psnr:
                if target01 is None:
                    raise ValueError("ssim_psnr=True needs target01 (the paired ground-truth images) in update()")
                target = _images(target01, "target01").to(fake.device)
                if target.shape != fake.shape:
                    raise ValueError(f"target01 {tuple(target.shape)} and fake01 {tuple(fake.shape)} differ in shape")
                self.ssim.update(fake, target)
                self.psnr.update(fake, target)
                self.paired_count.update(len(fake))
            if self._judge is not None and source_labels is not None and not bool((source_labels < 0).any()):
                self._judge.to(fake.device)
                self.label_acc.update(self._judge.logits(fake), source_labels.to(fake.device))
                self.label_count.update(len(fake))

    def compute(self) -> dict[str, torch.Tensor]:
        """The metrics of everything seen since the last :meth:`reset` (undefined ones left out)."""
        out: dict[str, torch.Tensor] = {}
        skipped: list[str] = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*was called before the ``update`` method.*")
            for name, metric in self.fid.items():
                value = metric.compute()
                if math.isnan(float(value)):
                    skipped.append(f"fid_{name}")
                else:
                    out[f"fid_{name}"] = value
            for name, metric in self.kid.items():
                mean, std = metric.compute()
                if math.isnan(float(mean)):
                    skipped.append(f"kid_{name}")
                else:
                    out[f"kid_{name}"], out[f"kid_{name}_std"] = mean, std
            if self.use_ssim_psnr:
                if int(self.paired_count.compute()) > 0:
                    out["ssim"], out["psnr"] = self.ssim.compute(), self.psnr.compute()
                else:
                    skipped.append("ssim/psnr")
            if self._judge is not None:
                if int(self.label_count.compute()) > 0:
                    out["label_preservation"] = self.label_acc.compute()
                else:
                    skipped.append("label_preservation (no source_labels given)")
        if skipped:
            rank_zero_warn(f"image metrics not computed (fewer than 2 samples or no data this epoch): "
                           f"{', '.join(skipped)}")
        return out

    def reset(self) -> None:
        """Forget everything accumulated (call after logging :meth:`compute`)."""
        for module in self.modules():
            if isinstance(module, Metric):
                module.reset()


class SegmentationScores(nn.Module):
    """FCN-scores of predicted label maps (Isola et al., CVPR 2017, https://arxiv.org/abs/1611.07004, Table 1:
    "Per-pixel acc.", "Per-class acc.", "Class IOU"), from a confusion matrix ``H`` (rows: true class, columns:
    predicted class; pixels whose true label is ``ignore_index`` are left out) summed over the epoch:

    * ``pixel_acc = sum_i H_ii / sum_ij H_ij``;
    * ``class_acc[i] = H_ii / sum_j H_ij`` and ``mean_class_acc`` its mean over the classes present in the ground
      truth;
    * ``class_iou[i] = H_ii / (sum_j H_ij + sum_j H_ji - H_ii)`` and ``mean_iou`` its mean over the classes
      present in the ground truth or the prediction.

    Classes with an undefined value are NaN in ``class_acc`` / ``class_iou`` and left out of the means (NaN-mean),
    as in the pix2pix / FCN evaluation code (``get_scores`` of the Cityscapes evaluation); torchmetrics'
    ``MulticlassAccuracy(average="macro")`` would instead count a class that is predicted but absent from the
    ground truth as 0. The confusion matrix is torchmetrics' ``MulticlassConfusionMatrix`` (DDP-synced).

    Args:
        num_classes: number of classes ``K`` (labels ``0..K-1``).
        ignore_index: ground-truth label to ignore (Cityscapes' 255).
    """

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.confmat = MulticlassConfusionMatrix(num_classes, ignore_index=ignore_index)

    @torch.no_grad()
    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        """``preds``: ``(N, K, H, W)`` scores or ``(N, H, W)`` labels; ``target``: ``(N, H, W)`` labels."""
        self.confmat.update(preds, target.long())

    def compute(self) -> dict[str, torch.Tensor]:
        """``pixel_acc``, ``mean_class_acc``, ``mean_iou`` (scalars), ``class_acc``, ``class_iou`` (``(K,)``)."""
        hist = self.confmat.compute().double()
        diag = hist.diagonal()
        true, pred = hist.sum(dim=1), hist.sum(dim=0)
        class_acc = diag / true  # 0/0 -> NaN: class absent from the ground truth
        class_iou = diag / (true + pred - diag)
        return {
            "pixel_acc": (diag.sum() / hist.sum()).float(),
            "mean_class_acc": class_acc.nanmean().float(),
            "mean_iou": class_iou.nanmean().float(),
            "class_acc": class_acc.float(),
            "class_iou": class_iou.float(),
        }

    def reset(self) -> None:
        self.confmat.reset()
