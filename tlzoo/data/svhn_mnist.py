"""SVHN -> MNIST through torchvision's ``SVHN`` and ``MNIST`` classes (their real file formats).

* SVHN (Netzer et al., 2011): ``<root>/train_32x32.mat`` and ``test_32x32.mat`` (MATLAB v5,
  ``X`` of shape (32, 32, 3, N) uint8 and ``y`` (N, 1) with 10 for the digit 0).
* MNIST (LeCun et al., 1998): ``<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``.

Protocol of DANN (Ganin et al., JMLR 2016, Sec. 5.2.1): SVHN train (73,257) is the labelled source,
MNIST train (60,000) the unlabelled target, MNIST test (10,000) the target test set. MNIST digits
are resized to 32x32 and repeated to 3 channels. ``source_val_size`` images of SVHN train are
held out (drawn with the data seed, by default the run seed) for checkpoint selection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Subset

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.errors import DataNotFoundError, TLZooError

SVHN_FILES = ("train_32x32.mat", "test_32x32.mat")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def digit_transforms(image_size: int = 32, channels: int = 3):
    """Resize, convert to ``channels`` channels, scale to [-1, 1]."""
    from torchvision import transforms as T

    ops = [T.Resize(image_size)]
    if channels == 3:
        ops.append(T.Lambda(lambda img: img.convert("RGB")))
    else:
        ops.append(T.Grayscale(1))
    return T.Compose([*ops, T.ToTensor(), T.Normalize((0.5,) * channels, (0.5,) * channels)])


def _missing(root: Path, what: str, layout: str, download_flag: str = "--data.download true") -> DataNotFoundError:
    return DataNotFoundError(
        f"{what} not found under {root}.\n  Expected layout: {layout}\n"
        f"  Point --data.root at it, or add {download_flag} to fetch it (torchvision downloads it)."
    )


def load_svhn(root: Path, split: str, download: bool, transform) -> Dataset:
    """torchvision's ``SVHN``; the MD5 is checked when downloading, not on every load (so a file
    written by :func:`tlzoo.data.fixtures.write_svhn_mat` loads through the same code)."""
    from torchvision.datasets import SVHN

    class _SVHN(SVHN):
        def _check_integrity(self) -> bool:
            return (Path(self.root) / self.filename).is_file()

    if not download and not (root / f"{split}_32x32.mat").is_file():
        raise _missing(root, f"SVHN {split} split", f"{root}/{{train,test}}_32x32.mat")
    path = root / f"{split}_32x32.mat"
    try:
        if download:
            return SVHN(str(root), split=split, transform=transform, download=True)
        return _SVHN(str(root), split=split, transform=transform, download=False)
    except (ValueError, OSError, EOFError, KeyError, TypeError) as err:  # scipy's loadmat on a damaged file
        raise TLZooError(f"{path} cannot be read as an SVHN .mat file ({type(err).__name__}: {str(err)[:120]}): "
                         "a truncated or damaged download; delete it and download it again "
                         "(--data.download true)") from None


def load_mnist(root: Path, train: bool, download: bool, transform) -> Dataset:
    from torchvision.datasets import MNIST

    raw = root / "MNIST" / "raw"
    needed = MNIST_FILES[:2] if train else MNIST_FILES[2:]
    if not download and not all((raw / f).is_file() for f in needed):
        raise _missing(root, "MNIST", f"{raw}/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte")
    return MNIST(str(root), train=train, transform=transform, download=download)


class SVHNToMNIST(DomainAdaptationDataModule):
    """SVHN (labelled) -> MNIST (unlabelled), 32x32 RGB, as in DANN.

    Args:
        root: folder with SVHN's ``.mat`` files and torchvision's ``MNIST/raw`` folder.
        download: let torchvision download missing files.
        source_val_size: SVHN train images held out for checkpoint selection.
        batch_size: examples per domain per step (DANN: 128).
        num_workers: DataLoader workers.
        seed: split and shuffling seed (default: the run seed).
    """

    num_classes = 10
    input_shape = (3, 32, 32)

    def __init__(self, root: str = "data/digits", download: bool = False, source_val_size: int = 5000,
                 batch_size: int = 128, num_workers: int = 2, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        self.root = Path(root)
        self.download = download
        self.source_val_size = source_val_size
        self.protocol = "SVHN train -> MNIST train (adaptation) / MNIST test"

    def prepare_data(self) -> None:
        if self.download:
            load_svhn(self.root, "train", True, None)
            load_mnist(self.root, True, True, None)
            load_mnist(self.root, False, True, None)

    def eval_transform(self) -> Any:
        """32x32 RGB, normalised as the SVHN and MNIST splits are."""
        return digit_transforms(32, 3)

    def build(self) -> None:
        tf = digit_transforms(32, 3)
        svhn = load_svhn(self.root, "train", False, tf)
        n = len(svhn)  # type: ignore[arg-type]
        n_val = min(self.source_val_size, n // 5)
        perm = np.random.default_rng(self.seed).permutation(n)
        self.source_train = Subset(svhn, np.sort(perm[n_val:]).tolist())
        self.source_val = Subset(svhn, np.sort(perm[:n_val]).tolist())
        self.target_train = load_mnist(self.root, True, False, tf)
        self.target_test = load_mnist(self.root, False, False, tf)
