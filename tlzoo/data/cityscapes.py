"""Cityscapes, read through torchvision's ``Cityscapes`` class: semantic segmentation and pix2pix's labels -> photo.

Cordts et al., "The Cityscapes Dataset for Semantic Urban Scene Understanding", CVPR 2016,
https://arxiv.org/abs/1604.01685. Layout (the two official packages ``leftImg8bit_trainvaltest.zip`` and
``gtFine_trainvaltest.zip``, extracted into ``root``; torchvision extracts them itself on first use when the
zips lie in ``root``)::

    <root>/leftImg8bit/{train,val,test}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    <root>/gtFine/{train,val,test}/<city>/<city>_<seq>_<frame>_gtFine_{labelIds,color,instanceIds}.png
    <root>/gtFine/{train,val,test}/<city>/<city>_<seq>_<frame>_gtFine_polygons.json

2,975 train, 500 val and 1,525 test images of 1024 x 2048 (test labels are not public). There is no
automatic download: Cityscapes needs a (free) registration at https://www.cityscapes-dataset.com.

Label ids -> train ids
----------------------
The ``_gtFine_labelIds.png`` files hold the 34 label ids. The evaluation protocol (cityscapesScripts
``labels.py``) keeps 19 classes and ignores the rest (train id 255): road 7->0, sidewalk 8->1, building
11->2, wall 12->3, fence 13->4, pole 17->5, traffic light 19->6, traffic sign 20->7, vegetation 21->8,
terrain 22->9, sky 23->10, person 24->11, rider 25->12, car 26->13, truck 27->14, bus 28->15, train 31->16,
motorcycle 32->17, bicycle 33->18. :data:`LABEL_ID_TO_TRAIN_ID` is built from torchvision's copy of that table
(``Cityscapes.classes``).

Data modules
------------
* :class:`CityscapesSegmentation`: ``(x, mask)`` batches, ``x`` the photo resized (bilinear) to
  ``image_size`` with ImageNet normalisation, ``mask`` long ``(N, H, W)`` train ids (NEAREST resize, 255 =
  ignore); random horizontal flip for training; evaluation on ``val`` (also for ``test``: the official test
  labels are withheld). ``num_classes = 19``, ``ignore_index = 255``, ``class_names``, ``input_shape``.
* :class:`CityscapesLabelsToPhoto`: pix2pix's Cityscapes task (Isola et al., "Image-to-Image Translation with
  Conditional Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1611.07004, Sec. 4.2) from the real
  files: A = the ``_gtFine_color.png`` label map, B = the photo, paired.

Shuffling and flips depend only on ``(seed, epoch, index)`` (:mod:`tlzoo.data.transforms`), so a resumed
run sees the batches it would have seen. Files are listed in sorted order (torchvision lists them with
``os.listdir``, whose order depends on the file system).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from tlzoo.data.base import check_loader_args, evaluation_generator, run_seed
from tlzoo.data.paired_folders import LabelledSide
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, EpochKeySampler, JointRandomCropFlip
from tlzoo.data.translation import Direction, TranslationDataModule
from tlzoo.errors import DataNotFoundError, TLZooError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Train id of the pixels the evaluation ignores.
IGNORE_INDEX = 255
NUM_CLASSES = 19


def _train_id_table() -> tuple[np.ndarray, tuple[str, ...], tuple[tuple[int, int, int], ...]]:
    from torchvision.datasets import Cityscapes

    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    names: dict[int, str] = {}
    colours: dict[int, tuple[int, int, int]] = {}
    for c in Cityscapes.classes:
        if c.id < 0 or c.train_id in (-1, IGNORE_INDEX):
            continue
        lut[c.id] = c.train_id
        names[c.train_id] = c.name
        colours[c.train_id] = tuple(c.color)  # type: ignore[assignment]
    assert sorted(names) == list(range(NUM_CLASSES)), "torchvision's Cityscapes table changed"
    return lut, tuple(names[i] for i in range(NUM_CLASSES)), tuple(colours[i] for i in range(NUM_CLASSES))


#: ``LABEL_ID_TO_TRAIN_ID[label_id]``: the train id (0..18) or 255 (ignored), for label ids 0..255.
#: CLASS_NAMES / CLASS_COLOURS: the 19 evaluated classes in train-id order.
LABEL_ID_TO_TRAIN_ID, CLASS_NAMES, CLASS_COLOURS = _train_id_table()


def label_ids_to_train_ids(label_ids: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Map Cityscapes label ids (any integer array) to train ids (long tensor, 255 = ignored)."""
    ids = label_ids.numpy() if isinstance(label_ids, torch.Tensor) else np.asarray(label_ids)
    return torch.from_numpy(LABEL_ID_TO_TRAIN_ID[ids.astype(np.int64).clip(0, 255)].astype(np.int64))


def layout_message(root: Path, split: str, problem: str) -> str:
    """The :class:`DataNotFoundError` text for Cityscapes under ``root``."""
    return (
        f"Cityscapes {split} split not usable under {root}: {problem}.\n"
        f"  Expected layout: {root}/leftImg8bit/{{train,val}}/<city>/<city>_<seq>_<frame>_leftImg8bit.png and "
        f"{root}/gtFine/{{train,val}}/<city>/<city>_<seq>_<frame>_gtFine_{{labelIds,color,instanceIds}}.png "
        "(+ _gtFine_polygons.json), i.e. the packages leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip "
        f"extracted into {root} (or both zips placed there: they are extracted on first use).\n"
        "  Cityscapes cannot be downloaded automatically: it needs a (free) registration at "
        "https://www.cityscapes-dataset.com; download those two packages after logging in.\n"
        "  Point --data.root at the folder holding leftImg8bit/ and gtFine/.")


def open_cityscapes(root: str | Path, split: str, target_type: Sequence[str]) -> Any:
    """torchvision's ``Cityscapes(root, split, mode="fine", target_type)`` with its files in sorted order, or
    a :class:`DataNotFoundError` naming the layout when the split, an image or a target file is missing."""
    from torchvision.datasets import Cityscapes

    root = Path(root)
    try:
        dataset = Cityscapes(str(root), split=split, mode="fine", target_type=list(target_type))
    except RuntimeError as err:
        if "not found" not in str(err).lower():
            raise
        raise DataNotFoundError(layout_message(root, split, f"leftImg8bit/{split} or gtFine/{split} is missing")
                                ) from None
    if not dataset.images:
        raise DataNotFoundError(layout_message(root, split, f"no images in {root}/leftImg8bit/{split}/<city>/"))
    order = sorted(range(len(dataset.images)), key=lambda i: dataset.images[i])
    dataset.images = [dataset.images[i] for i in order]
    dataset.targets = [dataset.targets[i] for i in order]
    missing = [t for targets in dataset.targets for t in targets if not os.path.isfile(t)]
    if missing:
        raise DataNotFoundError(layout_message(root, split, f"{len(missing)} annotation files are missing, e.g. "
                                                            f"{missing[0]}"))
    return dataset


def _resize(x: torch.Tensor, size: Sequence[int], nearest: bool = False, bicubic: bool = False) -> torch.Tensor:
    """Resize a ``(C, H, W)`` uint8 tensor to ``size`` (bilinear/bicubic antialiased, or nearest)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.v2.functional import resize

    if nearest:
        return resize(x, list(size), interpolation=InterpolationMode.NEAREST)
    mode = InterpolationMode.BICUBIC if bicubic else InterpolationMode.BILINEAR
    return resize(x, list(size), interpolation=mode, antialias=True)


def _read(path: str, mode: str) -> torch.Tensor:
    """An image file as a ``(C, H, W)`` uint8 tensor in PIL ``mode`` (``RGB`` or ``L``)."""
    from PIL import Image
    from torchvision.transforms.v2.functional import pil_to_tensor

    with Image.open(path) as im:
        return pil_to_tensor(im.convert(mode))


def read_train_ids(path: str, size: Sequence[int] | None = None) -> torch.Tensor:
    """A ``_gtFine_labelIds.png`` file as long ``(H, W)`` train ids (NEAREST resize to ``size``)."""
    from PIL import Image

    with Image.open(path) as im:
        ids = np.asarray(im)
    train = torch.from_numpy(LABEL_ID_TO_TRAIN_ID[ids.astype(np.int64).clip(0, 255)])[None]  # uint8 (1, H, W)
    if size is not None:
        train = _resize(train, size, nearest=True)
    return train[0].long()


class CityscapesSegmentationDataset(EpochKeyedDataset):
    """``(x, mask)``: photo resized to ``size`` and normalised with ``spec``, train-id mask (long, NEAREST);
    with ``train``, mirrored (both) with probability 1/2 when ``flip``.

    Args:
        base: torchvision ``Cityscapes`` with ``target_type=["semantic"]``.
        size: ``(H, W)``.
        spec: photo normalisation.
        train: draw the flip.
        flip: random horizontal flip (training only).
        seed: flip seed (with the epoch and index).
    """

    def __init__(self, base: Any, size: tuple[int, int], spec: ImageSpec, train: bool, flip: bool = True,
                 seed: int = 0) -> None:
        super().__init__(seed=seed, stream=0)
        self.base = base
        self.size = size
        self.spec = spec
        self.train = train
        self.flip = flip

    def __len__(self) -> int:
        return len(self.base)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = _resize(_read(self.base.images[index], "RGB"), self.size)
        mask = read_train_ids(self.base.targets[index][0], self.size)
        if self.train and self.flip and rng.random() < 0.5:
            x, mask = x.flip(-1), mask.flip(-1)
        return self.spec.normalize(x.float().div_(255.0)), mask


class CityscapesSegmentation(LightningDataModule):
    """Cityscapes semantic segmentation: 19 classes, ignore 255, mIoU on ``val`` (module docstring).

    Args:
        root: folder holding ``leftImg8bit/`` and ``gtFine/`` (``--data.root``).
        image_size: ``(H, W)`` of photos and masks (the real images are 1024 x 2048; masks resized NEAREST).
        flip: random horizontal flip of training pairs.
        val_split: the evaluation split (``val``: the test labels are not public); also served by the test
            and predict loaders.
        batch_size: images per step.
        num_workers: DataLoader workers.
        seed: shuffling and flip seed (default: the run seed, ``seed_everything``).
    """

    num_classes = NUM_CLASSES
    ignore_index = IGNORE_INDEX
    class_names = CLASS_NAMES

    def __init__(self, root: str = "data/cityscapes", image_size: tuple[int, int] = (256, 512), flip: bool = True,
                 val_split: Literal["val"] = "val", batch_size: int = 8, num_workers: int = 4,
                 seed: int | None = None) -> None:
        super().__init__()
        if len(image_size) != 2 or min(image_size) < 1:
            raise TLZooError(f"--data.image_size must be [H, W] with positive sides, got {list(image_size)}")
        if val_split != "val":
            raise TLZooError(f"val_split must be 'val' (Cityscapes test labels are not public), got {val_split!r}")
        check_loader_args(batch_size, num_workers, seed)
        self.root = Path(root)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.flip = flip
        self.val_split = val_split
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = run_seed(seed)
        #: Photo normalisation (ImageNet statistics, for ImageNet-pretrained backbones).
        self.spec = ImageSpec(3, self.image_size, IMAGENET_MEAN, IMAGENET_STD)
        self.input_shape: tuple[int, int, int] = self.spec.shape
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.protocol = (f"Cityscapes fine {self.root}: train -> {val_split}, 19 train ids (ignore 255), "
                         f"{self.image_size[0]}x{self.image_size[1]}, flip={flip}")

    def setup(self, stage: str | None = None) -> None:
        if self.val_set is None:
            base = open_cityscapes(self.root, self.val_split, ["semantic"])
            self.val_set = CityscapesSegmentationDataset(base, self.image_size, self.spec, train=False)
        if self.train_set is None and stage in (None, "fit"):
            base = open_cityscapes(self.root, "train", ["semantic"])
            self.train_set = CityscapesSegmentationDataset(base, self.image_size, self.spec, train=True,
                                                           flip=self.flip, seed=self.seed)
            self.protocol = (f"Cityscapes fine {self.root}: train {len(self.train_set)} -> {self.val_split} "
                             f"{len(self.val_set)} images, 19 train ids (ignore 255), "
                             f"{self.image_size[0]}x{self.image_size[1]}, flip={self.flip}")

    def _loader(self, dataset: Dataset, train: bool) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=EpochKeySampler(dataset, self.seed) if train else None,  # type: ignore[arg-type]
            drop_last=train and len(dataset) >= self.batch_size,  # type: ignore[arg-type]
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
            generator=None if train else evaluation_generator(),
        )

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None
        return self._loader(self.train_set, train=True)

    def val_dataloader(self) -> DataLoader:
        assert self.val_set is not None
        return self._loader(self.val_set, train=False)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()

    def predict_dataloader(self) -> DataLoader:
        return self.val_dataloader()


class LabelPhotoPairs(EpochKeyedDataset):
    """``(colour_label_map, photo)`` in [-1, 1]: both resized to ``load_size`` (label map NEAREST, so its colours
    stay exact; photo bicubic), then one random crop to ``crop_size`` and one random flip applied to both
    (training), or both resized to ``crop_size`` (evaluation).

    Args:
        base: torchvision ``Cityscapes`` whose first target type is ``color``.
        transform: the joint crop / flip (its ``load_size`` / ``crop_size`` / ``flip``).
        spec: normalisation of both sides.
        train: draw the jitter.
        seed: jitter seed.
    """

    def __init__(self, base: Any, transform: JointRandomCropFlip, spec: ImageSpec, train: bool, seed: int = 0) -> None:
        super().__init__(seed=seed, stream=0)
        self.base = base
        self.transform = transform
        self.spec = spec
        self.train = train

    def __len__(self) -> int:
        return len(self.base)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        t = self.transform
        side = t.load_size if self.train else t.crop_size
        labels = _resize(_read(self.base.targets[index][0], "RGB"), (side, side), nearest=True)
        photo = _resize(_read(self.base.images[index], "RGB"), (side, side), bicubic=True)
        if self.train:
            top, left, mirror = t.sample(rng)
            crop = (slice(None), slice(top, top + t.crop_size), slice(left, left + t.crop_size))
            labels, photo = labels[crop], photo[crop]
            if mirror:
                labels, photo = labels.flip(-1), photo.flip(-1)
        return (self.spec.normalize(labels.float().div_(255.0)), self.spec.normalize(photo.float().div_(255.0)))


class CityscapesLabelsToPhoto(TranslationDataModule):
    """pix2pix's Cityscapes labels -> photo (Isola et al., CVPR 2017, Sec. 4.2) from the real Cityscapes files.

    A = the ``_gtFine_color.png`` label map (RGB, official colours), B = the photo; paired. Both are resized to
    ``image_size x image_size`` (pix2pix: 256 x 256, the aspect ratio is not kept); training adds pix2pix's
    jitter (resize to ``load_size``, one random ``image_size`` crop and one random flip for both sides;
    ``load_size = image_size`` gives flips only). [-1, 1] normalisation. Training on ``train`` (2,975 pairs),
    evaluation on ``val`` (500 pairs; pix2pix's archive has the same split). ``direction="BtoA"`` gives
    photo -> labels.

    Label maps for FCN-scores
    -------------------------
    The evaluation items are ``(x, -1)`` as the translation contract says (``y`` is a class label or -1), so
    judges and every translation method work unchanged. The semantic labels of the evaluation pairs are
    served separately: :meth:`eval_label_maps` returns the train-id maps (long, ``image_size x image_size``,
    NEAREST, 255 = ignore) in evaluation order, i.e. the order of the unshuffled val/test loader: on one
    process, batch ``k`` of size ``n`` holds items ``k * batch_size ... k * batch_size + n - 1``. Give them
    with the denormalised translations to :class:`tlzoo.metrics.fcn_score.FCNScore`.

    Args:
        root: folder holding ``leftImg8bit/`` and ``gtFine/`` (``--data.root``).
        image_size: side of the (square) images (pix2pix: 256).
        load_size: side before the random training crop (pix2pix: 286).
        flip: random horizontal flip (the same for both sides).
        direction: ``AtoB`` (labels -> photo) or ``BtoA`` (photo -> labels).
        eval_split: the evaluation split (``val``).
        predict_folder: predict on the images of this folder instead of the evaluation split.
        batch_size: pairs per step (pix2pix: 1).
        num_workers: DataLoader workers.
        seed: shuffling and jitter seed (default: the run seed, ``seed_everything``).
    """

    paired = True
    ignore_index = IGNORE_INDEX
    #: The 19 classes of :meth:`eval_label_maps` (train-id order).
    class_names = CLASS_NAMES

    def __init__(self, root: str = "data/cityscapes", image_size: int = 256, load_size: int = 286, flip: bool = True,
                 direction: Direction = "AtoB", eval_split: Literal["val"] = "val", predict_folder: str | None = None,
                 batch_size: int = 1, num_workers: int = 2, seed: int | None = None) -> None:
        super().__init__(direction=direction, predict_folder=predict_folder, batch_size=batch_size,
                         num_workers=num_workers, seed=seed)
        if eval_split != "val":
            raise TLZooError(f"eval_split must be 'val' (Cityscapes test labels are not public), got {eval_split!r}")
        try:
            self.transform = JointRandomCropFlip(load_size, image_size, flip)
        except ValueError as err:
            raise TLZooError(f"--data.image_size / --data.load_size: {err}") from None
        self.root = Path(root)
        self.image_size = image_size
        self.eval_split = eval_split
        self.num_classes = None  # no class labels per image; see eval_label_maps()
        spec = ImageSpec.symmetric(3, image_size)
        self.set_specs(spec, spec)
        self._eval_base: Any = None
        self._label_maps: torch.Tensor | None = None
        self.protocol = (f"Cityscapes labels -> photo (pix2pix) {self.root}: train -> {eval_split}, A = gtFine "
                         f"colour labels, B = photo, {image_size}x{image_size}, direction {direction}; "
                         f"jitter {self.transform}")

    def build(self) -> None:
        spec = ImageSpec.symmetric(3, self.image_size)
        train = open_cityscapes(self.root, "train", ["color"])
        self._eval_base = open_cityscapes(self.root, self.eval_split, ["color", "semantic"])
        self.train_pairs = LabelPhotoPairs(train, self.transform, spec, train=True, seed=self.seed)
        eval_pairs = LabelPhotoPairs(self._eval_base, self.transform, spec, train=False)
        self.eval_a, self.eval_b = LabelledSide(eval_pairs, 0), LabelledSide(eval_pairs, 1)
        self.protocol = (f"Cityscapes labels -> photo (pix2pix) {self.root}: train {len(train)} pairs -> "
                         f"{self.eval_split} {len(eval_pairs)} pairs, A = gtFine colour labels, B = photo, "
                         f"{self.image_size}x{self.image_size}, direction {self.direction}; jitter {self.transform}")

    def eval_label_maps(self, indices: Sequence[int] | None = None, size: tuple[int, int] | None = None
                        ) -> torch.Tensor:
        """Train-id label maps of the evaluation pairs, long ``(N, H, W)`` (255 = ignore), in evaluation order.

        Args:
            indices: which evaluation items (default: all).
            size: ``(H, W)`` (NEAREST resize); default ``image_size x image_size``, read once and cached (as
                uint8). Another size is read from the files at every call, e.g. ``(1024, 2048)``, the full
                resolution pix2pix's evaluation scores against.
        """
        if self._eval_base is None:
            self.setup("validate")
        targets = self._eval_base.targets
        default = (self.image_size, self.image_size)
        if size is not None and tuple(size) != default:
            chosen = range(len(targets)) if indices is None else indices
            return torch.stack([read_train_ids(targets[i][1], size) for i in chosen])
        if self._label_maps is None:
            self._label_maps = torch.stack([read_train_ids(t[1], default).to(torch.uint8) for t in targets])
        maps = self._label_maps if indices is None else self._label_maps[torch.as_tensor(list(indices)).long()]
        return maps.long()
