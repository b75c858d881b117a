"""Semantic segmentation with a network chosen by name; the segmenter behind the pix2pix FCN-score.

Networks (torchvision's segmentation models, or a small U-Net for tiny images):

* ``fcn_resnet50``: FCN (Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic
  Segmentation", CVPR 2015, https://arxiv.org/abs/1411.4038) as torchvision builds it: a dilated ResNet-50
  (output stride 8) with a 3x3-conv head, bilinear upsampling to the input size.
* ``deeplabv3_resnet50``: DeepLabv3 (Chen, Papandreou, Schroff & Adam, "Rethinking Atrous Convolution for
  Semantic Image Segmentation", 2017, https://arxiv.org/abs/1706.05587): dilated ResNet-50 (output stride 8)
  + ASPP (rates 12/24/36 and image pooling).
* ``lraspp_mobilenet_v3_large``: LR-ASPP (Howard et al., "Searching for MobileNetV3", ICCV 2019,
  https://arxiv.org/abs/1905.02244, Sec. 6.4) on a dilated MobileNetV3-Large.
* ``unet_small``: a two-level U-Net of plain convolutions (:class:`SmallUNet`), for tiny images and tests.

Objective: per-pixel cross-entropy over the labelled pixels, ``L = mean_{p: y_p != ignore} -log softmax(f(x))_p[y_p]``
(+ ``aux_weight`` times the same on torchvision's auxiliary FCN head over ``layer3`` when ``aux_weight > 0``;
torchvision's reference recipe uses 0.5).

Cityscapes protocol (Cordts et al., CVPR 2016, https://arxiv.org/abs/1604.01685): 19 evaluated classes (train
ids 0..18), every other label id ignored (255); the score is the class IoU ``TP / (TP + FP + FN)`` averaged over
the classes (mIoU), on ``val`` (500 images; the test labels are withheld). Logged as ``val/miou``,
``val/pixel_acc``, ``val/mean_class_acc`` and ``val/iou_<class>`` (``test/...`` alike), from one confusion matrix
summed over the epoch (:class:`tlzoo.metrics.image_quality.SegmentationScores`).

Code vs. paper: ``arch`` = the network; ``num_classes`` = 19 (Cityscapes train ids); ``ignore_index`` = 255;
``pretrained_backbone`` = the ImageNet initialisation all three papers use; ``optim`` = SGD with momentum 0.9 and
weight decay 1e-4 as in FCN / DeepLabv3, but with a ``cosine`` schedule: DeepLab's "poly" ``(1 - p)^0.9`` is not
among :class:`~tlzoo.core.optim.OptimConfig`'s schedules (cosine decays to 0 as poly does).

Deviations: the FCN here is torchvision's dilated FCN-ResNet50, not the paper's VGG-16 FCN-8s with skip layers;
images are resized (not cropped) to the data module's size; evaluation is at that size (the official
Cityscapes score is at full 1024 x 2048 resolution).

The input normalisation is recorded in the hyper-parameters (``input_spec``, taken from the data module's
``spec`` at fit time), so :class:`tlzoo.metrics.fcn_score.FCNScore` can feed a checkpoint images in [0, 1].
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_warn
from torch import nn

from tlzoo.core.module import ZooModule
from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.metrics.image_quality import SegmentationScores

Architecture = Literal["fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large", "unet_small"]
#: Name of the markdown table of per-class IoU written to the run folder at the end of ``tlzoo test``.
TABLE_FILE = "test_per_class_iou.md"


def segmentation_optim() -> OptimConfig:
    """SGD, lr 0.01, momentum 0.9, weight decay 1e-4, cosine decay (poly is not an OptimConfig schedule)."""
    return OptimConfig(name="sgd", lr=0.01, momentum=0.9, weight_decay=1e-4, schedule="cosine")


# ----------------------------------------------------------------------------- networks
def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class SmallUNet(nn.Module):
    """A two-level U-Net (Ronneberger et al., MICCAI 2015, https://arxiv.org/abs/1505.04597, scaled down):
    ``[conv-BN-ReLU] x 2`` blocks of width ``w, 2w, 4w`` with max-pooling, bilinear upsampling and skip
    concatenation, a 1x1 classifier. Any input size (odd sizes are upsampled to the skip's size).

    Args:
        in_channels: image channels.
        num_classes: output channels (class scores).
        width: channels of the first level ``w``.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 16) -> None:
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(*_conv_bn_relu(in_channels, w), *_conv_bn_relu(w, w))
        self.enc2 = nn.Sequential(*_conv_bn_relu(w, 2 * w), *_conv_bn_relu(2 * w, 2 * w))
        self.bottom = nn.Sequential(*_conv_bn_relu(2 * w, 4 * w), *_conv_bn_relu(4 * w, 4 * w))
        self.dec2 = nn.Sequential(*_conv_bn_relu(6 * w, 2 * w), *_conv_bn_relu(2 * w, 2 * w))
        self.dec1 = nn.Sequential(*_conv_bn_relu(3 * w, w), *_conv_bn_relu(w, w))
        self.classifier = nn.Conv2d(w, num_classes, 1)

    @staticmethod
    def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottom(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self._up(b, e2), e2], 1))
        d1 = self.dec1(torch.cat([self._up(d2, e1), e1], 1))
        return {"out": self.classifier(d1)}


def _imagenet_state(weights: Any) -> dict[str, torch.Tensor]:
    """ImageNet weights through the zoo's offline-aware loader, with the Segmenter's flag in the message."""
    from tlzoo.nn.backbones import load_imagenet_weights

    try:
        return load_imagenet_weights(weights)
    except TLZooError as err:
        raise TLZooError(str(err).replace("--model.backbone.pretrained false",
                                          "--model.init_args.pretrained_backbone false")) from None


def _load_backbone(backbone: nn.Module, state: dict[str, torch.Tensor], arch: str) -> None:
    result = backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise TLZooError(f"{arch}: the ImageNet weights lack {len(result.missing_keys)} backbone tensors "
                         f"(e.g. {result.missing_keys[0]}); delete the cached weights file and retry")


def _resnet50_model(builder_name: str) -> Callable[[int, bool, bool], nn.Module]:
    def build(num_classes: int, pretrained_backbone: bool, aux_loss: bool) -> nn.Module:
        import torchvision.models.segmentation as seg
        from torchvision.models import ResNet50_Weights

        net = getattr(seg, builder_name)(weights=None, weights_backbone=None, num_classes=num_classes,
                                         aux_loss=aux_loss)
        if pretrained_backbone:
            state = _imagenet_state(ResNet50_Weights.IMAGENET1K_V1)
            _load_backbone(net.backbone, {k: v for k, v in state.items() if not k.startswith("fc.")}, builder_name)
        return net

    return build


def _lraspp(num_classes: int, pretrained_backbone: bool, aux_loss: bool) -> nn.Module:
    from torchvision.models import MobileNet_V3_Large_Weights
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large

    net = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=num_classes)
    if pretrained_backbone:
        state = _imagenet_state(MobileNet_V3_Large_Weights.IMAGENET1K_V1)
        features = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        _load_backbone(net.backbone, features, "lraspp_mobilenet_v3_large")
    return net


#: ``arch`` -> builder ``(num_classes, pretrained_backbone, aux_loss) -> network`` whose ``forward(x)`` returns
#: ``{"out": (N, K, H, W) logits at the input size[, "aux": ...]}``. Only 3-channel inputs except ``unet_small``.
TORCHVISION_NETWORKS: dict[str, Callable[[int, bool, bool], nn.Module]] = {
    "fcn_resnet50": _resnet50_model("fcn_resnet50"),
    "deeplabv3_resnet50": _resnet50_model("deeplabv3_resnet50"),
    "lraspp_mobilenet_v3_large": _lraspp,
}
#: Networks with an auxiliary head (``aux_weight > 0``).
AUX_NETWORKS = ("fcn_resnet50", "deeplabv3_resnet50")


def build_segmentation_network(arch: str, num_classes: int, in_channels: int, pretrained_backbone: bool,
                               aux_loss: bool = False) -> nn.Module:
    """The network ``arch`` names (see :data:`TORCHVISION_NETWORKS`; ``unet_small``: :class:`SmallUNet`)."""
    if arch == "unet_small":
        if pretrained_backbone:
            raise TLZooError("unet_small has no pretrained backbone: set --model.init_args.pretrained_backbone false")
        if aux_loss:
            raise TLZooError("unet_small has no auxiliary head: set --model.init_args.aux_weight 0")
        return SmallUNet(in_channels, num_classes)
    if arch not in TORCHVISION_NETWORKS:
        raise TLZooError(f"unknown segmentation network {arch!r}; choose one of "
                         f"{sorted([*TORCHVISION_NETWORKS, 'unet_small'])} (--model.init_args.arch)")
    if in_channels != 3:
        raise TLZooError(f"{arch} takes RGB images but the data has {in_channels} channels; use "
                         "--model.init_args.arch unet_small")
    if aux_loss and arch not in AUX_NETWORKS:
        raise TLZooError(f"{arch} has no auxiliary head: set --model.init_args.aux_weight 0")
    return TORCHVISION_NETWORKS[arch](num_classes, pretrained_backbone, aux_loss)


def spec_record(spec: ImageSpec) -> dict[str, Any]:
    """An :class:`ImageSpec` as plain data for the hyper-parameters (LightningCLI re-parses a checkpoint's
    hyper-parameters on ``tlzoo test --ckpt_path``; a dict parses back into the ``ImageSpec`` argument)."""
    return {"channels": spec.channels, "size": list(spec.size), "mean": list(spec.mean),  # type: ignore[arg-type]
            "std": list(spec.std)}


def masked_cross_entropy(logits: torch.Tensor, target: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """Mean cross-entropy over the pixels whose label is not ``ignore_index`` (0, not NaN, when there is none)."""
    total = F.cross_entropy(logits.float(), target, ignore_index=ignore_index, reduction="sum")
    return total / (target != ignore_index).sum().clamp(min=1)


def metric_slug(name: str) -> str:
    """A class name as a metric-name suffix: ``traffic light`` -> ``traffic_light``."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def iou_table(scores: dict[str, torch.Tensor], class_names: Sequence[str]) -> str:
    """A markdown table of per-class IoU / accuracy (percent) with the means and pixel accuracy."""

    def pct(v: Any) -> str:
        v = float(v)
        return "n/a" if v != v else f"{100 * v:.2f}"

    lines = ["| class | IoU (%) | accuracy (%) |", "|---|---:|---:|"]
    for name, iou, acc in zip(class_names, scores["class_iou"].tolist(), scores["class_acc"].tolist()):
        lines.append(f"| {name} | {pct(iou)} | {pct(acc)} |")
    lines.append(f"| **mean** | **{pct(scores['mean_iou'])}** | **{pct(scores['mean_class_acc'])}** |")
    lines.append("")
    lines.append(f"Pixel accuracy: {pct(scores['pixel_acc'])} %. n/a: class absent from the ground truth "
                 "(and, for IoU, from the prediction); left out of the means.")
    return "\n".join(lines) + "\n"


def backbone_lr_groups(params: Iterable[nn.Parameter], backbone: nn.Module | None, backbone_lr_mult: float,
                       trainable_only: bool = False) -> list[dict[str, Any]]:
    """Optimiser groups of ``params``: the backbone's parameters first at ``lr * backbone_lr_mult`` (left out when
    there are none), the rest at ``lr``; ``trainable_only`` drops parameters without ``requires_grad``."""
    keep: Callable[[nn.Parameter], bool] = (lambda p: p.requires_grad) if trainable_only else (lambda p: True)
    backbone_params = [p for p in backbone.parameters() if keep(p)] if backbone is not None else []
    ids = {id(p) for p in backbone_params}
    groups = [{"params": [p for p in params if keep(p) and id(p) not in ids], "lr_mult": 1.0}]
    if backbone_params:
        groups.insert(0, {"params": backbone_params, "lr_mult": backbone_lr_mult})
    return groups


# ----------------------------------------------------------------------------- method
class Segmenter(ZooModule):
    """Semantic segmentation trained with per-pixel cross-entropy (see the module docstring).

    Batches are ``(x, mask)``: images ``(N, C, H, W)`` and long masks ``(N, H, W)`` with ``ignore_index`` for
    unlabelled pixels (:class:`tlzoo.data.cityscapes.CityscapesSegmentation`). ``tlzoo test`` also writes a
    per-class IoU table (markdown) to ``<run folder>/test_per_class_iou.md`` and prints it.

    Args:
        num_classes: number of classes (linked from the data module by the CLI).
        input_shape: ``(C, H, W)`` of the images (linked from the data module).
        arch: ``fcn_resnet50``, ``deeplabv3_resnet50``, ``lraspp_mobilenet_v3_large`` or ``unet_small``.
        pretrained_backbone: start from the ImageNet weights of the backbone (read from the torch hub cache,
            downloaded when possible; a clear error names the file otherwise). Not for ``unet_small``.
        aux_weight: weight of the auxiliary head's loss (FCN / DeepLabv3 only; 0 = no auxiliary head).
        ignore_index: mask value of unlabelled pixels (Cityscapes: 255).
        class_names: class names for per-class metrics; ``None``: the data module's ``class_names``.
        input_spec: the images' normalisation; ``None``: the data module's ``spec`` at fit time (recorded in
            the checkpoint for :class:`~tlzoo.metrics.fcn_score.FCNScore`).
        optim: optimiser and schedule (SGD 0.01, momentum 0.9, weight decay 1e-4, cosine); the backbone
            learns at ``lr * backbone_lr_mult``.
    """

    default_monitor = ("val/miou", "max")
    predict_output = "segmentation"

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        arch: Architecture = "deeplabv3_resnet50",
        pretrained_backbone: bool = False,
        aux_weight: float = 0.0,
        ignore_index: int = 255,
        class_names: tuple[str, ...] | None = None,
        input_spec: ImageSpec | None = None,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if isinstance(input_spec, Mapping):  # hyper-parameters keep it as a plain dict (see spec_record)
            input_spec = ImageSpec(**input_spec)
        if input_spec is not None:
            self.hparams["input_spec"] = spec_record(input_spec)
        if num_classes < 2:
            raise TLZooError(f"num_classes must be >= 2, got {num_classes}")
        if len(input_shape) != 3:
            raise TLZooError(f"Segmenter needs images (C, H, W); the data gives inputs of shape {tuple(input_shape)}")
        if aux_weight < 0:
            raise TLZooError(f"aux_weight must be >= 0, got {aux_weight}")
        if class_names is not None and len(class_names) != num_classes:
            raise TLZooError(f"{len(class_names)} class names for {num_classes} classes")
        self.num_classes = num_classes
        self.input_shape = tuple(int(s) for s in input_shape)
        self.arch = arch
        self.aux_weight = aux_weight
        self.ignore_index = ignore_index
        self.class_names = tuple(class_names) if class_names is not None else None
        self.input_spec = input_spec
        self.optim_cfg = optim or segmentation_optim()
        self.network = build_segmentation_network(arch, num_classes, self.input_shape[0], pretrained_backbone,
                                                  aux_loss=aux_weight > 0)
        self.scores = nn.ModuleDict({stage: SegmentationScores(num_classes, ignore_index) for stage in ("val", "test")})

    # -- data ---------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        ignore = getattr(datamodule, "ignore_index", self.ignore_index)
        if ignore != self.ignore_index:
            raise TLZooError(f"the data marks unlabelled pixels with {ignore} but the model ignores "
                             f"{self.ignore_index}: set --model.init_args.ignore_index {ignore}")
        names = getattr(datamodule, "class_names", None)
        if self.class_names is None and names is not None and len(names) == self.num_classes:
            self.class_names = tuple(names)
            self.hparams["class_names"] = self.class_names
        spec = getattr(datamodule, "spec", None)
        if isinstance(spec, ImageSpec) and spec != self.input_spec:
            if self.input_spec is not None and stage != "fit":
                rank_zero_warn(f"the data is normalised with {spec} but the model was trained on {self.input_spec}")
            else:
                self.input_spec = spec
                self.hparams["input_spec"] = spec_record(spec)

    @property
    def names(self) -> tuple[str, ...]:
        """Class names (``class_<i>`` when unknown)."""
        return self.class_names or tuple(f"class_{i}" for i in range(self.num_classes))

    # -- networks -----------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, K, H, W)`` class logits at the input size."""
        return self.network(x)["out"]

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        out = self.network(x)
        loss = masked_cross_entropy(out["out"], y, self.ignore_index)
        logs = {"train/loss": loss.detach()}
        if self.aux_weight > 0 and "aux" in out:
            aux = masked_cross_entropy(out["aux"], y, self.ignore_index)
            logs["train/aux_loss"] = aux.detach()
            loss = loss + self.aux_weight * aux
        self.log_train(logs)
        return loss

    # -- evaluation ---------------------------------------------------------------------------
    def _eval_step(self, batch: Any, stage: str) -> None:
        x, y = batch
        logits = self(x)
        self.scores[stage].update(logits.argmax(1), y)
        self.log(f"{stage}/loss", masked_cross_entropy(logits, y, self.ignore_index), batch_size=len(x))

    def _eval_epoch_end(self, stage: str) -> dict[str, torch.Tensor]:
        scores = self.scores[stage].compute()
        self.scores[stage].reset()
        logs = {f"{stage}/miou": scores["mean_iou"], f"{stage}/pixel_acc": scores["pixel_acc"],
                f"{stage}/mean_class_acc": scores["mean_class_acc"]}
        for name, iou in zip(self.names, scores["class_iou"]):
            logs[f"{stage}/iou_{metric_slug(name)}"] = iou
        self.log(f"{stage}/miou", logs.pop(f"{stage}/miou"), prog_bar=stage == "val")
        self.log_dict(logs)
        return scores

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self.write_iou_table(self._eval_epoch_end("test"), "per-class IoU")

    def write_iou_table(self, scores: dict[str, torch.Tensor], title: str, preamble: str = "") -> None:
        """Write ``preamble`` + the per-class IoU table of ``scores`` to ``<run folder>/test_per_class_iou.md`` and
        print it to stderr under ``title`` (rank zero only)."""
        if not self.trainer.is_global_zero:
            return
        from tlzoo.callbacks.paths import run_folder

        table = preamble + iou_table(scores, self.names)
        folder = run_folder(self.trainer)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TABLE_FILE).write_text(table)
        print(f"\n{title} ({folder / TABLE_FILE}):\n{table}", file=sys.stderr)

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return {"labels": self(x).argmax(1)}

    # -- optimisation -------------------------------------------------------------------------
    def parameter_groups(self) -> list[dict[str, Any]]:
        """The trainable backbone parameters (torchvision networks) at ``lr * backbone_lr_mult``, the other
        trainable parameters at ``lr``."""
        return backbone_lr_groups(self.parameters(), getattr(self.network, "backbone", None),
                                  self.optim_cfg.backbone_lr_mult, trainable_only=True)

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.parameter_groups(), self.optim_cfg)
        scheduler = build_scheduler(optimizer, self.optim_cfg, lambda: self.total_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
