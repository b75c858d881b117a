"""Writer of a tiny CIFAR-10 in the real "python version" on-disk format (``cifar-10-batches-py``).

The real archive (https://www.cs.toronto.edu/~kriz/cifar.html) unpacks to ``cifar-10-batches-py/`` with
``data_batch_1`` .. ``data_batch_5``, ``test_batch`` and ``batches.meta``: Python pickles of dicts. A batch has
``data`` (``N x 3072`` uint8, each row the red, then green, then blue 32x32 plane, row-major), ``labels``
(``N`` ints in 0..9), ``batch_label`` and ``filenames``; the meta file has ``label_names`` (10 names),
``num_cases_per_batch`` and ``num_vis`` (3072). The real files were pickled by Python 2, whose ``str`` keys
``pickle.load(..., encoding="latin1")`` (torchvision's reader) returns as ``str``: written here with ``str``
keys, they read back identically. Images are class-coloured noise, so a classifier can learn them.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
BATCHES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]


def _images(n: int, rng: np.random.Generator, first_label: int = 0) -> tuple[np.ndarray, list[int]]:
    labels = [(first_label + i) % 10 for i in range(n)]
    colours = np.linspace(20, 235, 10)
    data = np.empty((n, 3, 32, 32), dtype=np.uint8)
    for i, y in enumerate(labels):
        base = np.array([colours[y], colours[(y * 3) % 10], colours[(y * 7) % 10]])[:, None, None]
        noise = rng.normal(0, 25, size=(3, 32, 32))
        data[i] = np.clip(base + noise, 0, 255).astype(np.uint8)
    return data.reshape(n, 3072), labels


def write_cifar10(root: str | Path, per_batch: int = 10, n_test: int = 20, seed: int = 0) -> Path:
    """Write ``<root>/cifar-10-batches-py/`` with ``per_batch`` images in each of the five training batches and
    ``n_test`` in ``test_batch``; returns ``root`` (what ``--data.root`` takes)."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for b, (name, n) in enumerate([(name, per_batch) for name in BATCHES] + [("test_batch", n_test)]):
        data, labels = _images(n, rng, first_label=b)
        label = f"training batch {b + 1} of 5" if name != "test_batch" else "testing batch 1 of 1"
        entry = {"batch_label": label, "labels": labels, "data": data,
                 "filenames": [f"fixture_{b}_{i:05d}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
    meta = {"num_cases_per_batch": per_batch, "label_names": list(LABEL_NAMES), "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return Path(root)
