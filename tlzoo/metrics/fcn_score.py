"""FCN-score: how well a segmenter trained on real photos labels generated photos.

Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017,
https://arxiv.org/abs/1611.07004, Sec. 4.1-4.2, Tables 1-2 (Cityscapes labels -> photo): "if the generated
images are realistic, classifiers trained on real images will be able to classify the synthesized image
correctly as well". A frozen segmenter labels each photo generated from a label map; the scores compare its
output with that input label map: per-pixel accuracy, per-class accuracy (mean over classes) and class IoU
(mean over classes), over the 19 Cityscapes classes with the ignored pixels (255) left out, from one confusion
matrix summed over the evaluation set (:class:`~tlzoo.metrics.image_quality.SegmentationScores`). The same
segmenter on the *real* photos gives the reference row ("Ground truth": 0.80 / 0.26 / 0.21 in Table 1).

Usage::

    fcn = FCNScore("runs/<segmenter run>/checkpoints/best-....ckpt")     # tlzoo fit of a Segmenter
    for batch ...:
        fcn.update(spec_b.denormalize(generator(x_labels)), label_maps)   # photos in [0, 1], (N, H, W) train ids
    scores = fcn.compute()      # pixel_acc, mean_class_acc, mean_iou, class_acc, class_iou
    fcn.reset()

with ``label_maps`` from :meth:`tlzoo.data.cityscapes.CityscapesLabelsToPhoto.eval_label_maps` (evaluation order).

What ``update`` does: photos are resized (bilinear, antialiased) to the segmenter's input size
(``input_shape`` in its checkpoint) and normalised as its data module normalised its training images (the
``input_spec`` recorded in its hyper-parameters); the class scores are resized (bilinear) to the label maps'
size, and their argmax is compared with the labels.

Differences from the original protocol
--------------------------------------
* Segmenter: pix2pix used a Caffe FCN-8s (VGG-16) that its authors trained on Cityscapes photos downsized to
  256 x 256 and upsampled back to 1024 x 2048 (``scripts/eval_cityscapes`` of the pix2pix / CycleGAN code,
  weights ``fcn-8s-cityscapes.caffemodel``). Here it is any :class:`~tlzoo.methods.segmentation.Segmenter`
  checkpoint written by ``tlzoo fit`` (torchvision FCN-ResNet50, DeepLabv3, LR-ASPP, ...). To be closest to the
  original, train it at the generator's resolution: ``tlzoo fit -c experiments/segmentation/segmenter_cityscapes.yaml
  --data.image_size [256,256] --model.init_args.arch fcn_resnet50``. Absolute numbers are not comparable with the
  paper's; compare methods under one segmenter and always report its score on real photos.
* Resolution: the original upsamples each generated 256 x 256 photo to 1024 x 2048 and scores it against the
  full-resolution labels; here the class scores are resized to whatever label maps are given (``eval_label_maps``
  gives them at the generator's size, NEAREST-downsampled, which drops thin structures).
* Everything else (19 train ids, ignore 255, one confusion matrix over the split, means over the classes
  present) follows the original ``get_scores``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.metrics.image_quality import SegmentationScores


def load_segmenter(checkpoint: str | Path) -> Any:
    """A :class:`~tlzoo.methods.segmentation.Segmenter` checkpoint, on the CPU, frozen (eval mode, no grads)."""
    from tlzoo.checkpoints import read_checkpoint
    from tlzoo.core.module import keep_rng_states
    from tlzoo.methods.segmentation import Segmenter

    path, ckpt = read_checkpoint(checkpoint, "segmenter checkpoint", "a Segmenter trained by `tlzoo fit`, e.g. "
                                 "experiments/segmentation/segmenter_cityscapes.yaml")
    hparams = ckpt.get("hyper_parameters") if isinstance(ckpt, Mapping) else None
    class_path = str((hparams or {}).get("_class_path", "Segmenter"))
    if not isinstance(hparams, Mapping) or not class_path.endswith("Segmenter"):
        raise TLZooError(f"{path} is not a Segmenter checkpoint (model: {class_path}); FCN-scores need a segmenter "
                         "trained by `tlzoo fit -c experiments/segmentation/segmenter_cityscapes.yaml`")
    try:
        with keep_rng_states():  # building the network draws random initial weights
            model = Segmenter.load_from_checkpoint(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001
        raise TLZooError(f"{path} does not load as a Segmenter ({type(err).__name__}: {str(err)[:200]})") from None
    return model


class FCNScore(nn.Module):
    """FCN-scores of generated photos against the label maps they were generated from (module docstring).

    The segmenter is a measuring instrument: frozen, always in eval mode, and not a sub-module (it stays out of
    the checkpoints of a model holding this metric); it follows the device of the photos given to
    :meth:`update`.

    Args:
        segmenter_checkpoint: a ``.ckpt`` of a :class:`~tlzoo.methods.segmentation.Segmenter` written by
            ``tlzoo fit`` (it records its input size and normalisation).
    """

    def __init__(self, segmenter_checkpoint: str) -> None:
        super().__init__()
        self._attach(load_segmenter(segmenter_checkpoint))
        self.checkpoint = str(segmenter_checkpoint)

    @classmethod
    def from_segmenter(cls, segmenter: nn.Module) -> FCNScore:
        """Wrap an in-memory Segmenter (frozen in place: pass a copy if you keep training it)."""
        self = cls.__new__(cls)
        nn.Module.__init__(self)
        self._attach(segmenter)
        self.checkpoint = None
        return self

    def _attach(self, segmenter: nn.Module) -> None:
        spec = getattr(segmenter, "input_spec", None)
        if not isinstance(spec, ImageSpec):
            raise TLZooError("the segmenter does not record its input normalisation (input_spec): it was not fit on a "
                             "data module with a `spec` (e.g. CityscapesSegmentation); retrain it with `tlzoo fit`")
        segmenter.eval()
        segmenter.requires_grad_(False)
        object.__setattr__(self, "_segmenter", segmenter)  # not a sub-module (see the class docstring)
        self.spec = spec
        self.input_size: tuple[int, int] = tuple(int(s) for s in segmenter.input_shape[-2:])  # type: ignore[assignment]
        self.num_classes = int(segmenter.num_classes)
        self.class_names = tuple(segmenter.names)
        self.scores = SegmentationScores(self.num_classes, int(segmenter.ignore_index))

    @property
    def segmenter(self) -> nn.Module:
        return self._segmenter

    def train(self, mode: bool = True) -> FCNScore:
        """The segmenter stays in eval mode."""
        super().train(mode)
        self._segmenter.eval()
        return self

    @torch.no_grad()
    def predict(self, photos01: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """The segmenter's label maps ``(N, H, W)`` of ``photos01`` (``(N, 3, h, w)`` in [0, 1]), at ``size``
        (default: the photos' size)."""
        if photos01.ndim != 4 or photos01.shape[1] != self.spec.channels:
            raise ValueError(f"expected (N, {self.spec.channels}, H, W) photos in [0, 1], got {tuple(photos01.shape)}")
        size = tuple(size) if size is not None else tuple(photos01.shape[-2:])
        seg = self._segmenter
        device = photos01.device
        seg.to(device)
        x = photos01.detach().float().clamp(0.0, 1.0)
        with torch.autocast(device_type=device.type, enabled=False):
            if tuple(x.shape[-2:]) != self.input_size:
                x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False, antialias=True)
            logits = seg(self.spec.normalize(x)).float()
            if tuple(logits.shape[-2:]) != size:
                logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return logits.argmax(1)

    @torch.no_grad()
    def update(self, photos01: torch.Tensor, label_maps: torch.Tensor) -> None:
        """Accumulate one batch: generated ``photos01`` ``(N, 3, h, w)`` in [0, 1] and the train-id
        ``label_maps`` ``(N, H, W)`` (or ``(N, 1, H, W)``; 255 = ignore) they were generated from."""
        labels = label_maps[:, 0] if label_maps.ndim == 4 else label_maps
        if labels.ndim != 3 or len(labels) != len(photos01):
            raise ValueError(f"label_maps must be (N, H, W) for {len(photos01)} photos, got {tuple(label_maps.shape)}")
        preds = self.predict(photos01, tuple(labels.shape[-2:]))
        self.scores.to(preds.device)
        self.scores.update(preds, labels.to(preds.device).long())

    def compute(self) -> dict[str, torch.Tensor]:
        """``pixel_acc``, ``mean_class_acc``, ``mean_iou`` (scalars), ``class_acc``, ``class_iou`` (``(K,)``)."""
        return self.scores.compute()

    def reset(self) -> None:
        self.scores.reset()
