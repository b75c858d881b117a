"""What a ``--source`` / ``--target`` value names: a feature file on disk, or a domain of the registry.

``tlzoo shallow --source X`` accepts both:

* a **path** to a ``.mat`` / ``.npz`` / ``.csv`` feature file (absolute, or relative to the current folder;
  a relative path that is not found there is also tried under an explicit ``--root``). A value is taken as a
  path when it names an existing file, or when it looks like one: it ends in a feature-file suffix or
  contains a path separator and is not a registry name. A path is never joined with the registry folder.
* a **registry name**: a domain of ``--dataset`` (``amazon`` with ``--dataset office_caltech10_surf``) or a
  full key of :data:`tlzoo.data.feature_files.KNOWN_DOMAINS` (``office_caltech10_surf/amazon``), read from
  ``--root`` / ``$TLZOO_DATA`` / the per-user cache.

Anything else stops with a :class:`~tlzoo.errors.TLZooError` naming the flag, the value, where a file was
looked for, and the registry names of the dataset.

Preprocessing (``--preprocessing null``, the default): a registry domain gets its family's recipe (the one
that reproduces the published baselines, e.g. ``l1_zscore_l2`` for Office-Caltech10 SURF); a plain file gets
:data:`FILE_PREPROCESSING` (``l2``: each sample divided by its Euclidean norm, the normalisation the JDA/TCA/
TJM reference codes apply inside the method and the recipe of the DeCAF and USPS/MNIST families). Set
``--preprocessing none`` to use a file as stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tlzoo.data.feature_files import _LOADERS, KNOWN_DOMAINS
from tlzoo.errors import DataNotFoundError, TLZooError

__all__ = ["FILE_PREPROCESSING", "DomainRef", "looks_like_path", "resolve_domain"]

#: Preprocessing of a plain feature file when ``--preprocessing`` is not given (see the module docstring).
FILE_PREPROCESSING = "l2"

#: File suffixes read as feature files (``.mat``, ``.npz``, ``.csv``).
FILE_SUFFIXES: tuple[str, ...] = tuple(sorted(_LOADERS))


@dataclass(frozen=True)
class DomainRef:
    """A resolved domain: ``key`` is a :data:`KNOWN_DOMAINS` key or an absolute file path."""

    key: str
    is_file: bool
    given: str

    @property
    def label(self) -> str:
        """Short name for tables: the registry domain (``amazon``) or the file stem (``source``)."""
        return Path(self.key).stem if self.is_file else self.key.split("/")[-1]

    def default_preprocessing(self) -> str:
        """The recipe used when ``--preprocessing`` is null."""
        return FILE_PREPROCESSING if self.is_file else KNOWN_DOMAINS[self.key].preprocessing


def looks_like_path(value: str) -> bool:
    """``True`` when ``value`` is written like a file path: a feature-file suffix, a path separator, or a
    leading ``.`` / ``~``."""
    seps = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        Path(value).suffix.lower() in FILE_SUFFIXES
        or any(s in value for s in seps)
        or value.startswith((".", "~"))
    )


def _registry_key(dataset: str | None, value: str) -> str | None:
    if dataset and f"{dataset}/{value}" in KNOWN_DOMAINS:
        return f"{dataset}/{value}"
    if value in KNOWN_DOMAINS:
        return value
    return None


def resolve_domain(
    value: str, dataset: str | None = None, root: str | None = None, flag: str = "--source"
) -> DomainRef:
    """Resolve one ``--source`` / ``--target`` value (see the module docstring for the rules).

    Args:
        value: what the user wrote.
        dataset: the ``--dataset`` prefix of registry names (``""`` or ``None``: full keys only).
        root: the explicit ``--root`` (only used as a second place for a relative file path).
        flag: the option the value came from, for the error message.

    Raises:
        DataNotFoundError: ``value`` looks like a path but no such file exists.
        TLZooError: ``value`` is neither an existing file nor a registry name, or has an unreadable suffix.
    """
    value = str(value)
    path = Path(value).expanduser()
    key = _registry_key(dataset, value)
    if path.is_file() and (key is None or path.suffix.lower() in FILE_SUFFIXES):
        return _file_ref(path, value, flag)
    if key is not None:
        return DomainRef(key, False, value)
    tried = [path.resolve()]
    if root is not None and not path.is_absolute():
        under_root = Path(root).expanduser() / path
        if under_root.is_file():
            return _file_ref(under_root, value, flag)
        tried.append(under_root.resolve())
    names = sorted(k.split("/", 1)[1] for k in KNOWN_DOMAINS if dataset and k.startswith(f"{dataset}/"))
    registry = (
        f"a domain of --dataset {dataset!r} ({', '.join(names)})" if names
        else f"a registry key ({', '.join(sorted(KNOWN_DOMAINS))})"
    )
    where = " or ".join(str(p) for p in tried)
    if looks_like_path(value):
        raise DataNotFoundError(
            f"{flag} {value!r}: feature file not found (looked for {where}). Expected an existing "
            f"{'/'.join(FILE_SUFFIXES)} file (relative paths are relative to the current folder"
            f"{', then to --root' if root is not None else ''}), or {registry}."
        )
    raise TLZooError(
        f"{flag} {value!r} is neither a feature file (no such file: {where}) nor {registry}. Give the path "
        f"of a {'/'.join(FILE_SUFFIXES)} file, or a registry name."
    )


def _file_ref(path: Path, given: str, flag: str) -> DomainRef:
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise TLZooError(
            f"{flag} {given!r}: {path} exists but is not a feature file this loader reads; use a "
            f"{'/'.join(FILE_SUFFIXES)} file (features + labels, see docs/shallow.md)"
        )
    return DomainRef(str(path.resolve()), True, given)
