"""Loaders and preprocessing for pre-extracted feature domains (``.mat``, ``.npz``, ``.csv``).

Stable API (also used by the deep-learning feature DataModule):

* :func:`load_feature_domain` ``(name_or_path, root=None, preprocessing="none") -> (X, y)``:
  ``X`` is a float64 ``(n, d)`` array, ``y`` an int64 ``(n,)`` array of **0-based** labels.
* :func:`l1`, :func:`zscore`, :func:`l2` and :func:`preprocess` (named recipes such as
  ``"l1_zscore_l2"``: the steps are applied left to right, each domain separately).
* :data:`KNOWN_DOMAINS`: registry ``"<dataset>/<domain>"`` -> file layout under the shared root.
* :func:`resolve_root`: the data home of feature files: the ``root`` argument (``--root`` /
  ``--data.root``), else ``$TLZOO_DATA``, else the per-user cache ``$XDG_CACHE_HOME/tlzoo`` (default
  ``~/.cache/tlzoo``).

Which recipe reproduces which published numbers (see each ``PROVENANCE.md``):

* Office-Caltech10 SURF: ``l1_zscore_l2`` + 1-NN gives the JGSA (CVPR'17) "Raw" row exactly;
  ``l1_zscore`` gives the JDA (ICCV'13) "NN" row (the GFK README preprocessing).
* Office-Caltech10 DeCAF6 (D, W only): ``l2`` gives 99.66 / 100 (D->W / W->D), ``l1_zscore`` gives
  the jindongwang benchmark 1-NN row (91.53 / 98.09).
* USPS/MNIST (JDA digits): ``l2`` reproduces the JDA NN baseline (44.70 / 65.94).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tlzoo.errors import DataNotFoundError, TLZooError

__all__ = [
    "KNOWN_DOMAINS",
    "RECIPES",
    "FeatureDomain",
    "l1",
    "l2",
    "zscore",
    "preprocess",
    "resolve_root",
    "load_feature_file",
    "load_feature_domain",
]

ENV_ROOT = "TLZOO_DATA"

_X_KEYS = ("fts", "feas", "fea", "X", "x", "features", "data")
_Y_KEYS = ("labels", "label", "gnd", "y", "Y", "targets", "target")


@dataclass(frozen=True)
class FeatureDomain:
    """One known domain: a file relative to the shared root and its recommended preprocessing."""

    relpath: str
    preprocessing: str
    description: str


def _surf(fname: str, label: str) -> FeatureDomain:
    return FeatureDomain(
        f"office_caltech10_surf/{fname}_SURF_L10.mat",
        "l1_zscore_l2",
        f"Office-Caltech10 {label}, 800-bin SURF BoW (GFK release)",
    )


KNOWN_DOMAINS: dict[str, FeatureDomain] = {
    "office_caltech10_surf/amazon": _surf("amazon", "Amazon"),
    "office_caltech10_surf/caltech": _surf("Caltech10", "Caltech"),
    "office_caltech10_surf/dslr": _surf("dslr", "DSLR"),
    "office_caltech10_surf/webcam": _surf("webcam", "Webcam"),
    "office_caltech10_decaf/dslr": FeatureDomain(
        "office_caltech10_decaf/dslr_decaf.mat", "l2", "Office-Caltech10 DSLR, DeCAF6 (4096)"
    ),
    "office_caltech10_decaf/webcam": FeatureDomain(
        "office_caltech10_decaf/webcam_decaf.mat", "l2", "Office-Caltech10 Webcam, DeCAF6 (4096)"
    ),
    "office_caltech10_googlenet/amazon": FeatureDomain(
        "office_caltech10_googlenet/amazon.mat", "l2", "Office-Caltech10 Amazon, GoogLeNet pool5 (1024)"
    ),
    "office_caltech10_googlenet/dslr": FeatureDomain(
        "office_caltech10_googlenet/dslr.mat", "l2", "Office-Caltech10 DSLR, GoogLeNet pool5 (1024)"
    ),
    "office_caltech10_googlenet/webcam": FeatureDomain(
        "office_caltech10_googlenet/webcam.mat", "l2", "Office-Caltech10 Webcam, GoogLeNet pool5 (1024)"
    ),
    "usps_mnist_jda/usps": FeatureDomain(
        "usps_mnist_jda/USPS.mat", "l2", "USPS 1800 x 256 (JDA digit benchmark)"
    ),
    "usps_mnist_jda/mnist": FeatureDomain(
        "usps_mnist_jda/MNIST.mat", "l2", "MNIST 2000 x 256 (JDA digit benchmark)"
    ),
}


# ----------------------------------------------------------------------------- preprocessing
def l1(X: np.ndarray) -> np.ndarray:
    """Divide each row by its sum (MATLAB ``fts ./ repmat(sum(fts,2),1,d)``); all-zero rows stay 0."""
    X = np.asarray(X, dtype=np.float64)
    s = X.sum(axis=1, keepdims=True)
    s[s == 0] = 1.0
    return X / s


def zscore(X: np.ndarray) -> np.ndarray:
    """Per-column ``(x - mean) / std`` with population std (ddof=0, MATLAB ``zscore(X,1)``); std 0 -> 1."""
    X = np.asarray(X, dtype=np.float64)
    mu = X.mean(axis=0, keepdims=True)
    sd = X.std(axis=0, ddof=0, keepdims=True)
    sd[sd == 0] = 1.0
    return (X - mu) / sd


def l2(X: np.ndarray) -> np.ndarray:
    """Divide each row by its Euclidean norm (MATLAB ``normr``); all-zero rows stay 0."""
    X = np.asarray(X, dtype=np.float64)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return X / n


_STEPS = {"l1": l1, "zscore": zscore, "l2": l2}
RECIPES: tuple[str, ...] = ("none", "l1", "l2", "zscore", "l1_zscore", "l1_zscore_l2", "zscore_l2", "l1_l2")


def preprocess(X: np.ndarray, recipe: str = "none") -> np.ndarray:
    """Apply a named recipe: ``"none"`` or steps from {l1, zscore, l2} joined by ``_`` (left to right)."""
    X = np.asarray(X, dtype=np.float64)
    if recipe in ("none", "", "raw"):
        return X.copy()
    steps = recipe.split("_")
    unknown = [s for s in steps if s not in _STEPS]
    if unknown:
        raise TLZooError(
            f"unknown preprocessing step(s) {unknown} in recipe {recipe!r}; "
            f"use 'none' or steps {sorted(_STEPS)} joined by '_', e.g. 'l1_zscore_l2'"
        )
    for s in steps:
        X = _STEPS[s](X)
    return X


# ----------------------------------------------------------------------------- file loading
def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The data home of feature files: ``root`` if given, else ``$TLZOO_DATA``, else the per-user cache
    ``$XDG_CACHE_HOME/tlzoo`` (``~/.cache/tlzoo``)."""
    if root is not None:
        return Path(root)
    env = os.environ.get(ENV_ROOT)
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tlzoo"


def _pick(d: dict[str, object], keys: tuple[str, ...], what: str, path: Path) -> np.ndarray:
    for k in keys:
        if k in d:
            return np.asarray(d[k])
    raise TLZooError(f"{path}: no {what} array; expected one of the keys {list(keys)}, found {sorted(d)}")


def _load_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        import scipy.io

        d = scipy.io.loadmat(str(path))
    except NotImplementedError:  # MATLAB v7.3 (HDF5)
        import h5py

        with h5py.File(path, "r") as f:
            d = {k: np.asarray(f[k]).T for k in f.keys()}
    X = _pick(d, _X_KEYS, "feature", path)
    y = _pick(d, _Y_KEYS, "label", path).ravel()
    if X.ndim != 2:
        raise TLZooError(f"{path}: features must be 2-D, got shape {X.shape}")
    if X.shape[0] != y.shape[0] and X.shape[1] == y.shape[0]:
        X = X.T  # stored one sample per column
    if y.size and np.isfinite(y).all() and y.min() >= 1:  # MATLAB 1-based labels
        y = y - 1
    return X, y


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as d:
        dd = {k: d[k] for k in d.files}
    return _pick(dd, _X_KEYS, "feature", path), _pick(dd, _Y_KEYS, "label", path).ravel()


def _load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows:
        raise TLZooError(f"{path}: no rows")
    header = rows[0]
    try:
        [float(v) for v in header]
        has_header = False
    except ValueError:
        has_header = True
    body_rows = rows[1:] if has_header else rows
    widths = {len(r) for r in body_rows}
    if len(widths) > 1:
        short = next(i for i, r in enumerate(body_rows) if len(r) != len(body_rows[0]))
        raise TLZooError(f"{path}: rows have different numbers of columns ({sorted(widths)}), first at data row "
                         f"{short} (0-based); every row needs all features and one label")
    try:
        body = np.asarray(body_rows, dtype=np.float64)
    except ValueError:
        bad = next(i for i, r in enumerate(body_rows) if not all(_is_number(v) for v in r))
        raise TLZooError(f"{path}: data row {bad} (0-based) has an empty or non-numeric value: "
                         f"{body_rows[bad][:8]}") from None
    if body.ndim != 2 or body.shape[0] == 0:
        raise TLZooError(f"{path}: no data rows")
    label_col = body.shape[1] - 1
    if has_header:
        for name in ("label", "labels", "y", "target"):
            if name in header:
                label_col = header.index(name)
                break
    y = body[:, label_col]
    X = np.delete(body, label_col, axis=1)
    return X, y


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


_LOADERS = {".mat": _load_mat, ".npz": _load_npz, ".csv": _load_csv}


def load_feature_file(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(X float64 (n,d), y int64 (n,))`` from a ``.mat``/``.npz``/``.csv`` file, no preprocessing.

    ``.mat``: features under ``fts``/``feas``/``fea``/``X``, labels under ``labels``/``gnd``/``y``; labels
    that start at 1 (MATLAB) are shifted to 0-based. ``.npz``: keys ``X``/``features`` and ``y``/``labels``,
    labels as stored. ``.csv``: one sample per row; the label is the column named ``label`` (if there is
    a header) else the last column.
    """
    p = Path(path)
    loader = _LOADERS.get(p.suffix.lower())
    if loader is None:
        raise TLZooError(f"{p}: unsupported feature file type {p.suffix!r}; use one of {sorted(_LOADERS)}")
    if not p.is_file():
        raise DataNotFoundError(f"feature file not found: {p}")
    if p.stat().st_size == 0:
        raise TLZooError(f"feature file {p} is empty (0 bytes)")
    try:
        X, y = loader(p)
        X = np.asarray(X, dtype=np.float64)
        y_raw = np.asarray(y)
    except TLZooError:
        raise
    except Exception as err:  # noqa: BLE001 - scipy/h5py/numpy/csv raise many types for a damaged file
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise TLZooError(f"feature file {p} cannot be read (truncated or malformed {p.suffix} file): "
                         f"{type(err).__name__}: {first}") from None
    return X, _check_features(p, X, y_raw)


def _check_features(path: Path, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Refuse what would train silently on wrong data: shape, row/label count, non-finite values, labels."""
    if X.ndim != 2:
        raise TLZooError(f"{path}: features must be a 2-D (rows x features) array, got shape {X.shape}")
    if X.shape[0] == 0:
        raise TLZooError(f"{path}: no feature rows")
    if X.shape[0] != y.shape[0]:
        raise TLZooError(f"{path}: {X.shape[0]} feature rows but {y.shape[0]} labels; each row needs one label")
    bad_rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad_rows.size:
        shown = ", ".join(str(r) for r in bad_rows[:10]) + (" ..." if bad_rows.size > 10 else "")
        raise TLZooError(f"{path}: {bad_rows.size} row(s) with NaN or infinite features (0-based rows {shown}); "
                         f"fix or drop them (one such row would poison every column through z-scoring)")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.equal(np.mod(y, 1), 0).all():
            rows = np.flatnonzero(~np.isfinite(y) | (np.mod(np.nan_to_num(y), 1) != 0))
            raise TLZooError(f"{path}: labels must be whole numbers; rows {rows[:10].tolist()} are not")
    elif y.dtype.kind not in "iub":
        raise TLZooError(f"{path}: labels must be integers, got {y.dtype}")
    labels = y.astype(np.int64)
    if labels.min() < 0:
        rows = np.flatnonzero(labels < 0)
        raise TLZooError(f"{path}: negative labels in rows {rows[:10].tolist()}; labels are class indices >= 0")
    return labels


def load_feature_domain(
    name_or_path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    preprocessing: str | None = "none",
) -> tuple[np.ndarray, np.ndarray]:
    """Load one feature domain and apply a preprocessing recipe.

    Args:
        name_or_path: a key of :data:`KNOWN_DOMAINS` (e.g. ``"office_caltech10_surf/amazon"``) or a path
            to a ``.mat``/``.npz``/``.csv`` file (absolute, or relative to ``root``).
        root: shared-data root (see :func:`resolve_root`).
        preprocessing: recipe for :func:`preprocess`; ``None`` uses the domain's recommended recipe
            (``KNOWN_DOMAINS[name].preprocessing``; ``"none"`` for plain files).

    Returns:
        ``(X, y)``: float64 ``(n, d)`` features and int64 ``(n,)`` 0-based labels.

    Raises:
        DataNotFoundError: the file is missing (the message names the expected file and ``--root``).
    """
    key = str(name_or_path)
    base = resolve_root(root)
    if key in KNOWN_DOMAINS:
        dom = KNOWN_DOMAINS[key]
        path = base / dom.relpath
        recipe = dom.preprocessing if preprocessing is None else preprocessing
        if not path.is_file():
            raise DataNotFoundError(
                f"feature domain {key!r} not found: expected the file {path}. Layout: "
                f"<root>/{dom.relpath} (see <root>/{dom.relpath.split('/')[0]}/PROVENANCE.md). Point the "
                f"loader at the folder holding it with --root DIR (--data.root) or the {ENV_ROOT} environment variable "
                f"(current root: {base})."
            )
    else:
        path = Path(key)
        if not path.is_absolute() and not path.is_file():
            path = base / key
        recipe = "none" if preprocessing is None else preprocessing
        if path.suffix.lower() not in _LOADERS:
            raise TLZooError(
                f"unknown feature domain {key!r}: use one of {sorted(KNOWN_DOMAINS)} or a path to a "
                f".mat/.npz/.csv file"
            )
        if not path.is_file():
            raise DataNotFoundError(
                f"feature file not found: {path} (given {key!r}; relative paths are resolved against "
                f"--root / ${ENV_ROOT}, current root: {base})."
            )
    X, y = load_feature_file(path)
    return preprocess(X, recipe), y
