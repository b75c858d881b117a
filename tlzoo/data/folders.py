"""Image-folder domains: any two folders of class sub-folders, and Office-31 as one instance.

Layout of a domain (torchvision ``ImageFolder``)::

    <domain_root>/<class_name>/<image>.jpg

Office-31 (Saenko et al., "Adapting Visual Category Models to New Domains", ECCV 2010) is
``<root>/{amazon,dslr,webcam}/images/<class>/*.jpg`` with the same 31 classes in each domain
(2,817 / 498 / 795 images). The standard unsupervised protocol trains on all labelled source
images and all unlabelled target images and reports accuracy on the same target images
(transductive); here ``source_val_fraction`` of the source is held out for checkpoint selection.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch.utils.data import Subset

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.translation import open_image
from tlzoo.errors import DataNotFoundError, TLZooError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".tif", ".tiff", ".webp")


def imagenet_transforms(train: bool, image_size: int = 224, resize: int = 256):
    """The usual ResNet transforms: random resized crop + flip for training, resize + centre crop
    for evaluation, ImageNet normalisation."""
    from torchvision import transforms as T

    if train:
        ops = [T.RandomResizedCrop(image_size), T.RandomHorizontalFlip()]
    else:
        ops = [T.Resize(resize), T.CenterCrop(image_size)]
    return T.Compose([*ops, T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def list_classes(domain_root: Path, flag: str) -> list[str]:
    """Class sub-folders of one domain, or a :class:`DataNotFoundError` describing the layout."""
    layout = f"{domain_root}/<class_name>/<image>.jpg"
    if not domain_root.is_dir():
        raise DataNotFoundError(f"domain folder {domain_root} does not exist.\n  Expected layout: {layout}\n"
                                f"  Set the folder with {flag}.")
    classes = sorted(d.name for d in domain_root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataNotFoundError(f"{domain_root} has no class sub-folders.\n  Expected layout: {layout}\n"
                                f"  Set the folder with {flag}.")
    return classes


def is_image_file(path: str) -> bool:
    """A regular file (not a FIFO, socket or device, which would block or fail the loader) with an image
    extension, not hidden (macOS ``._x.jpg`` resource forks, ``.DS_Store``)."""
    name = os.path.basename(path)
    return (not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(path))


def load_rgb(path: str) -> Any:
    """The image at ``path`` as an RGB PIL image; 16-bit images are scaled to 8 bits; a corrupt or
    truncated file raises :class:`TLZooError` naming it."""
    return open_image(path, 3)


def image_folder(root: Path, transform: Any, flag: str) -> Any:
    """torchvision's ``ImageFolder`` over regular image files only (:func:`is_image_file`), read with
    :func:`load_rgb`; a class folder without images is one :class:`DataNotFoundError` naming it."""
    from torchvision.datasets import ImageFolder

    try:
        return ImageFolder(str(root), transform=transform, loader=load_rgb, is_valid_file=is_image_file)
    except FileNotFoundError:
        classes = [d for d in list_classes(root, flag)
                   if not any(is_image_file(os.path.join(dp, f)) for dp, _, fs in os.walk(root / d) for f in fs)]
        raise DataNotFoundError(
            f"class folder(s) without images ({', '.join(IMAGE_EXTENSIONS)}) under {root}: {classes[:10]}. "
            f"Add images or remove the empty class folders (both domains need the same classes); set the "
            f"folders with {flag}"
        ) from None


def _stratified_holdout(targets: list[int], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    idx = np.arange(len(targets))
    if fraction <= 0:
        return idx.tolist(), []
    counts = np.bincount(targets)
    stratify = targets if counts.min() >= 2 and round(fraction * len(targets)) >= len(counts) else None
    from sklearn.model_selection import train_test_split  # lazy: `tlzoo fit --help` starts faster
    train, val = train_test_split(idx, test_size=fraction, stratify=stratify, random_state=seed)
    return sorted(train.tolist()), sorted(val.tolist())


class DomainFolders(DomainAdaptationDataModule):
    """Adapt between two image collections of your own, each in ``ImageFolder`` layout.

    Both domains must have the same class sub-folder names. The target folder is used twice:
    unlabelled for adaptation and labelled for evaluation (the usual transductive protocol); pass
    ``target_test_root`` to evaluate on a separate folder instead.

    Args:
        source_root: source domain folder (``<source_root>/<class>/<image>``).
        target_root: target domain folder.
        target_test_root: optional separate labelled target evaluation folder.
        source_val_fraction: share of the source held out for checkpoint selection.
        image_size: crop size fed to the network.
        resize: resize before the evaluation centre crop.
        batch_size: examples per domain per step.
        num_workers: DataLoader workers.
        seed: split and shuffling seed (default: the run seed).
    """

    root_flag = "--data.source_root / --data.target_root"

    def __init__(
        self,
        source_root: str,
        target_root: str,
        target_test_root: str | None = None,
        source_val_fraction: float = 0.1,
        image_size: int = 224,
        resize: int = 256,
        batch_size: int = 32,
        num_workers: int = 2,
        seed: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if not 0.0 <= source_val_fraction < 1.0:
            raise TLZooError(f"--data.init_args.source_val_fraction must be in [0, 1), got {source_val_fraction}")
        self.source_root = Path(source_root)
        self.target_root = Path(target_root)
        self.target_test_root = Path(target_test_root) if target_test_root else None
        self.source_val_fraction = source_val_fraction
        self.image_size = image_size
        self.resize = resize
        self.input_shape = (3, image_size, image_size)
        self.classes = self._check_classes()
        self.num_classes = len(self.classes)
        self.protocol = f"{self.source_root} -> {self.target_root}"

    def _domain_roots(self) -> list[Path]:
        roots = [self.source_root, self.target_root]
        return roots + ([self.target_test_root] if self.target_test_root else [])

    def _check_classes(self) -> list[str]:
        if not self.source_root.is_dir() and getattr(self, "download", False):
            return list(getattr(self, "CLASSES", []))  # filled by prepare_data's download
        listed = [list_classes(r, self.root_flag) for r in self._domain_roots()]
        for root, classes in zip(self._domain_roots()[1:], listed[1:]):
            if classes != listed[0]:
                missing = sorted(set(listed[0]) ^ set(classes))
                raise TLZooError(
                    f"class folders differ between {self.source_root} and {root}: {missing[:10]}"
                    f"{' ...' if len(missing) > 10 else ''}. Both domains need the same class names."
                )
        return listed[0]

    @property
    def class_names(self) -> list[str]:
        return list(self.classes)

    def eval_transform(self) -> Any:
        """Resize + centre crop + ImageNet normalisation (what the test split gets)."""
        return imagenet_transforms(False, self.image_size, self.resize)

    def build(self) -> None:
        if not self.classes:
            self.classes = self._check_classes()
            self.num_classes = len(self.classes)
        train_tf = imagenet_transforms(True, self.image_size, self.resize)
        eval_tf = imagenet_transforms(False, self.image_size, self.resize)
        src_train = image_folder(self.source_root, train_tf, self.root_flag)
        src_eval = image_folder(self.source_root, eval_tf, self.root_flag)
        if not src_train.samples:
            raise DataNotFoundError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) under {self.source_root}")
        train_idx, val_idx = _stratified_holdout(src_train.targets, self.source_val_fraction, self.seed)
        self.source_train = Subset(src_train, train_idx)
        self.source_val = Subset(src_eval, val_idx if val_idx else train_idx)
        self.target_train = image_folder(self.target_root, train_tf, self.root_flag)
        self.target_test = image_folder(self.target_test_root or self.target_root, eval_tf, self.root_flag)


OfficeDomain = Literal["amazon", "dslr", "webcam"]


class Office31(DomainFolders):
    """Office-31: ``<root>/{amazon,dslr,webcam}/images/<class>/*.jpg``, 31 classes.

    ``download: true`` fetches the public archive (``domain_adaptation_images.tar.gz``) into
    ``root`` and checks its SHA-1 before extracting. Transforms are the usual ImageNet ones for
    ResNet-50 (random resized crop 224 + flip; resize 256 + centre crop 224).

    Args:
        root: folder holding ``amazon/``, ``dslr/`` and ``webcam/``.
        source: source domain.
        target: target domain.
        download: download and extract the archive if ``root`` lacks it.
        source_val_fraction: share of the source held out for checkpoint selection.
        image_size: crop size fed to the network (224 for ResNet-50).
        resize: resize before the evaluation centre crop.
        batch_size: examples per domain per step (32 in most Office-31 code).
        num_workers: DataLoader workers.
        seed: split and shuffling seed (default: the run seed).
    """

    #: The public archive of Saenko et al. (2010) on Google Drive (file id 0B4IapRTv9pJ1WGZVd1VDMmhwdlE).
    URL = "https://drive.usercontent.google.com/download?id=0B4IapRTv9pJ1WGZVd1VDMmhwdlE&export=download&confirm=t"
    FILENAME = "domain_adaptation_images.tar.gz"
    #: SHA-1 of that archive as published in public download scripts of Office-31.
    SHA1 = "7aa25a86f3880b6e79283227816f9d4d8506d636"
    root_flag = "--data.root"
    CLASSES = sorted([
        "back_pack", "bike", "bike_helmet", "bookcase", "bottle", "calculator", "desk_chair", "desk_lamp",
        "desktop_computer", "file_cabinet", "headphones", "keyboard", "laptop_computer", "letter_tray",
        "mobile_phone", "monitor", "mouse", "mug", "paper_notebook", "pen", "phone", "printer", "projector",
        "punchers", "ring_binder", "ruler", "scissors", "speaker", "stapler", "tape_dispenser", "trash_can",
    ])

    def __init__(
        self,
        root: str = "data/office31",
        source: OfficeDomain = "amazon",
        target: OfficeDomain = "webcam",
        download: bool = False,
        source_val_fraction: float = 0.1,
        image_size: int = 224,
        resize: int = 256,
        batch_size: int = 32,
        num_workers: int = 2,
        seed: int | None = None,
    ) -> None:
        if source == target:
            raise TLZooError(f"source and target are both {source!r}; pick two different Office-31 domains")
        self.root = Path(root)
        self.download = download
        self.source_name, self.target_name = source, target
        if not download:
            self._require_layout()
        super().__init__(
            source_root=str(self.root / source / "images"),
            target_root=str(self.root / target / "images"),
            source_val_fraction=source_val_fraction,
            image_size=image_size,
            resize=resize,
            batch_size=batch_size,
            num_workers=num_workers,
            seed=seed,
        )
        self.protocol = f"Office-31 {source}->{target} (transductive: target images are also the test set)"

    def _require_layout(self) -> None:
        missing = [d for d in ("amazon", "dslr", "webcam") if not (self.root / d / "images").is_dir()]
        if missing:
            raise DataNotFoundError(
                f"Office-31 not found under {self.root} (missing: {', '.join(missing)}).\n"
                f"  Expected layout: {self.root}/{{amazon,dslr,webcam}}/images/<class>/*.jpg (31 classes)\n"
                f"  Point --data.root at it, or add --data.download true to fetch {self.FILENAME}."
            )

    def prepare_data(self) -> None:
        if self.download and not (self.root / self.source_name / "images").is_dir():
            download_office31(self.root)
        self._require_layout()


def sha1sum(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def download_office31(root: Path) -> None:
    """Download ``domain_adaptation_images.tar.gz`` into ``root``, verify its SHA-1 and extract it."""
    from torchvision.datasets.utils import download_url, extract_archive

    root.mkdir(parents=True, exist_ok=True)
    archive = root / Office31.FILENAME
    if not archive.exists():
        print(f"downloading Office-31 to {archive} ...", file=sys.stderr)
        try:
            download_url(Office31.URL, str(root), filename=Office31.FILENAME)
        except Exception as err:  # noqa: BLE001 - network failures become one actionable message
            raise DataNotFoundError(
                f"could not download Office-31 ({type(err).__name__}: {err}).\n"
                f"  Download {Office31.FILENAME} by hand into {root} (or extract it there) and rerun."
            ) from None
    digest = sha1sum(archive)
    if digest != Office31.SHA1:
        raise DataNotFoundError(
            f"{archive} has SHA-1 {digest}, expected {Office31.SHA1}: the download is incomplete or a "
            "different file. Delete it and retry."
        )
    extract_archive(str(archive), str(root))
    if not (root / "amazon").is_dir():
        raise DataNotFoundError(f"extracted {archive} but {root}/amazon is missing; check the archive contents")
    os.utime(root)
