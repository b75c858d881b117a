"""Cross-city adaptation of a segmenter: global and class-wise adversarial alignment of its feature map.

Chen, Chen, Chen, Tsai, Wang & Sun, "No More Discrimination: Cross City Adaptation of Road Scene Segmenters",
ICCV 2017, https://arxiv.org/abs/1704.08509. A segmenter trained on labelled source images (Cityscapes) is adapted
to an unlabelled target city by (Sec. 3, eq. 1-4)::

    min_{theta_seg} max_{D}  L_task(source) + lambda_G L_global + lambda_C L_class

* ``L_task``: per-pixel cross-entropy on source images (ignored pixels left out);
* ``L_global``: a domain discriminator ``D_G`` on every grid cell of the feature map (``fc7`` in the paper);
* ``L_class``: ``K`` class-wise discriminators ``D_c``, each cell's term weighted by the cell's share of class
  ``c``: ground truth for source images, the segmenter's predicted soft label map for target images (optionally
  multiplied by a per-image static-object prior, passed as ``batch["target"] = (x_t, prior)``).

The min-max is played with separate steps (:class:`~tlzoo.core.adversarial.AdversarialMixin`): ``discriminator``
(``D_G`` and every ``D_c``: source = 1, target = 0, on detached features) then ``segmenter`` (cross-entropy plus the
inverted-label terms: target cells labelled source, as in ADDA / GANs' non-saturating loss).

Code vs. paper: ``network`` = the segmenter (its feature map: SmallUNet's bottleneck, the torchvision networks'
backbone output, i.e. the dilated ResNet's last stage), ``global_discriminator`` = D_G,
``class_discriminators`` = {D_c} (:mod:`tlzoo.nn.segmentation_alignment`), ``global_weight`` = lambda_G,
``class_weight`` = lambda_C. ``global_weight = class_weight = 0`` is the source-only baseline of the same network.

Deviations: the paper's segmenter is a dilated VGG-16 FCN and its class-wise weights are the predicted label map
refined with a static-object prior mined from Google Street View time-machine pairs; the prior is optional here
(no data set in the zoo ships one). Adversarial terms start after ``adaptation_start`` of training (the paper
starts from a source-trained model).

Evaluation: validation / test loaders are ``[source_val, target_test]``; ``{stage}/miou`` and ``{stage}/iou_<class>``
are the *target* scores (what the paper reports), ``{stage}/source_miou`` the held-out source score, which selects
checkpoints by default (never target labels). ``tlzoo test`` writes the target per-class IoU table.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.optim import OptimConfig
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.methods.segmentation.segmenter import (
    Architecture,
    Segmenter,
    SmallUNet,
    backbone_lr_groups,
    masked_cross_entropy,
    metric_slug,
)
from tlzoo.metrics.image_quality import SegmentationScores
from tlzoo.nn.losses.adversarial import bce_with_target
from tlzoo.nn.segmentation_alignment import (
    ClassWiseDomainDiscriminators,
    GridDomainDiscriminator,
    class_wise_domain_loss,
    grid_class_probabilities,
    grid_class_weights,
)

SPLITS = ("source", "target")


def feature_module(network: nn.Module) -> tuple[nn.Module, str | None]:
    """The sub-module whose output is the aligned feature map, and the key of that output if it is a dict."""
    if isinstance(network, SmallUNet):
        return network.bottom, None
    backbone = getattr(network, "backbone", None)
    if backbone is None:
        raise TLZooError(f"{type(network).__name__} has no known feature map for cross-city adaptation")
    return backbone, "high" if type(network).__name__ == "LRASPP" else "out"


def _probe_channels(network: nn.Module, input_shape: tuple[int, ...]) -> int:
    module, key = feature_module(network)
    seen: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda m, i, o: seen.append(o[key] if key else o))
    was_training = network.training
    network.eval()
    with torch.no_grad():
        network(torch.zeros(1, *input_shape))
    network.train(was_training)
    handle.remove()
    return int(seen[0].shape[1])


class CrossCityAdaptation(AdversarialMixin, Segmenter):
    """Segmenter adapted with global and class-wise domain discriminators (Chen et al., ICCV 2017; module docstring).

    Batches: ``{"source": (x_s, mask_s), "target": x_t or (x_t, prior)}`` (:mod:`tlzoo.data.cross_city`,
    :mod:`tlzoo.data.digit_segmentation`).

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data).
        arch: the segmenter (see :class:`~tlzoo.methods.segmentation.segmenter.Segmenter`).
        pretrained_backbone: ImageNet initialisation of the torchvision networks.
        aux_weight: weight of the auxiliary head's source loss (FCN / DeepLabv3 only).
        ignore_index: label of unlabelled pixels.
        class_names: class names (default: the data's).
        input_spec: image normalisation (default: the data's).
        global_weight: lambda_G, weight of the global adversarial term in the segmenter's step.
        class_weight: lambda_C, weight of the class-wise adversarial term.
        global_hidden: hidden widths of D_G's 3x3 convolutions.
        class_hidden: hidden width of each D_c.
        adaptation_start: fraction of training (in batches) with the cross-entropy only.
        discriminator_optim: optimiser of the discriminators (default Adam 1e-4, betas (0.9, 0.99), constant).
        optim: optimiser of the segmenter.
    """

    default_monitor = ("val/source_miou", "max")

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
        global_weight: float = 0.001,
        class_weight: float = 0.001,
        global_hidden: tuple[int, ...] = (256, 128),
        class_hidden: int = 64,
        adaptation_start: float = 0.0,
        discriminator_optim: OptimConfig | None = None,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, arch, pretrained_backbone, aux_weight, ignore_index, class_names,
                         input_spec, optim)
        self.save_hyperparameters()
        if global_weight < 0 or class_weight < 0 or not 0 <= adaptation_start <= 1:
            raise TLZooError(f"need global_weight, class_weight >= 0 and adaptation_start in [0, 1]; got "
                             f"{global_weight}, {class_weight}, {adaptation_start}")
        self.global_weight = global_weight
        self.class_weight = class_weight
        self.adaptation_start = adaptation_start
        self.discriminator_optim = discriminator_optim or OptimConfig(name="adam", lr=1e-4, betas=(0.9, 0.99),
                                                                      schedule="constant")
        channels = _probe_channels(self.network, self.input_shape)
        self.global_discriminator = GridDomainDiscriminator(channels, tuple(global_hidden))
        self.class_discriminators = ClassWiseDomainDiscriminators(channels, num_classes, class_hidden)
        self.source_scores = nn.ModuleDict({s: SegmentationScores(num_classes, ignore_index) for s in ("val", "test")})
        module, self._feature_key = feature_module(self.network)
        module.register_forward_hook(self._keep_features)
        self._features: torch.Tensor | None = None

    def _keep_features(self, module: nn.Module, inputs: Any, output: Any) -> None:
        self._features = output[self._feature_key] if self._feature_key else output

    @property
    def adapting(self) -> bool:
        """Whether the adversarial terms are on (weights > 0 and past ``adaptation_start``)."""
        return (self.global_weight > 0 or self.class_weight > 0) and self.progress >= self.adaptation_start

    def features_and_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The aligned feature map and the network's outputs (``{"out": logits[, "aux": ...]}``)."""
        out = self.network(x)
        feats, self._features = self._features, None
        assert feats is not None
        return feats, out

    # -- optimisation -------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        discriminators = [*self.global_discriminator.parameters(), *self.class_discriminators.parameters()]
        return {"discriminator": (discriminators, self.discriminator_optim),
                "segmenter": (self.parameter_groups_of(self.network), self.optim_cfg)}

    def parameter_groups_of(self, network: nn.Module) -> list[dict[str, Any]]:
        """The segmenter's parameters, backbone at ``lr * backbone_lr_mult`` (torchvision networks)."""
        return backbone_lr_groups(network.parameters(), getattr(network, "backbone", None),
                                  self.optim_cfg.backbone_lr_mult)

    def configure_optimizers(self) -> Any:
        return AdversarialMixin.configure_optimizers(self)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s = batch["source"]
        target = batch["target"]
        x_t, prior = (target[0], target[1]) if isinstance(target, (list, tuple)) else (target, None)
        n = len(x_s)
        adapting = self.adapting
        feats, out = self.features_and_outputs(torch.cat([x_s, x_t]) if adapting else x_s)
        logs: dict[str, torch.Tensor] = {}
        if adapting:
            grid = tuple(feats.shape[-2:])
            w_s = grid_class_weights(y_s, self.num_classes, self.ignore_index, grid)
            w_t = grid_class_probabilities(out["out"][n:].detach(), grid, prior)
            f_s, f_t = feats[:n], feats[n:]

            def d_objective() -> torch.Tensor:
                loss = (bce_with_target(self.global_discriminator(f_s.detach()), 1.0)
                        + bce_with_target(self.global_discriminator(f_t.detach()), 0.0))
                return loss + (class_wise_domain_loss(self.class_discriminators(f_s.detach()), w_s, 1.0)
                               + class_wise_domain_loss(self.class_discriminators(f_t.detach()), w_t, 0.0))

            logs["train/d_loss"] = self.player_step("discriminator", d_objective)

        def s_objective() -> torch.Tensor:
            loss = masked_cross_entropy(out["out"][:n], y_s, self.ignore_index)
            logs["train/loss"] = loss.detach()
            if self.aux_weight > 0 and "aux" in out:
                loss = loss + self.aux_weight * masked_cross_entropy(out["aux"][:n], y_s, self.ignore_index)
            if adapting:
                g = bce_with_target(self.global_discriminator(feats[n:]), 1.0)
                c = class_wise_domain_loss(self.class_discriminators(feats[n:]), w_t, 1.0)
                logs["train/global_adv"], logs["train/class_adv"] = g.detach(), c.detach()
                loss = loss + self.global_weight * g + self.class_weight * c
            return loss

        self.player_step("segmenter", s_objective)
        self.log_train(logs)

    # -- evaluation ---------------------------------------------------------------------------
    def _eval_batch(self, batch: Any, stage: str, dataloader_idx: int) -> None:
        x, y = batch
        logits = self(x)
        split = SPLITS[dataloader_idx]
        scores = self.scores[stage] if split == "target" else self.source_scores[stage]
        scores.update(logits.argmax(1), y)
        name = f"{stage}/loss" if split == "target" else f"{stage}/source_loss"
        self.log(name, masked_cross_entropy(logits, y, self.ignore_index), batch_size=len(x),
                 add_dataloader_idx=False)

    def _eval_end(self, stage: str) -> dict[str, torch.Tensor]:
        source = self.source_scores[stage].compute()
        self.source_scores[stage].reset()
        self.log(f"{stage}/source_miou", source["mean_iou"], prog_bar=stage == "val")
        return self._eval_epoch_end(stage)  # the target scores: {stage}/miou, per-class IoU

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_batch(batch, "val", dataloader_idx)

    def on_validation_epoch_end(self) -> None:
        self._eval_end("val")

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_batch(batch, "test", dataloader_idx)

    def on_test_epoch_end(self) -> None:
        self.write_iou_table(self._eval_end("test"), "per-class IoU, target", preamble="Target test split.\n\n")


__all__ = ["CrossCityAdaptation", "feature_module", "metric_slug"]
