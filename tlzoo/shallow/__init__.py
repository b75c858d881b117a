"""Classic shallow domain adaptation on feature matrices (``tlzoo shallow ...``).

Explicit registry of the methods (short class names are what ``method: {class_path: ...}`` accepts).
"""

from __future__ import annotations

from tlzoo.shallow.base import ShallowAdapter
from tlzoo.shallow.coral import CORAL
from tlzoo.shallow.gfk import GFK
from tlzoo.shallow.jda import JDA
from tlzoo.shallow.jgsa import JGSA
from tlzoo.shallow.otgl import OTGL
from tlzoo.shallow.raw import Raw
from tlzoo.shallow.sa import SA
from tlzoo.shallow.sca import SCA
from tlzoo.shallow.sda import SDA
from tlzoo.shallow.tca import TCA
from tlzoo.shallow.tjm import TJM

METHODS: dict[str, type[ShallowAdapter]] = {
    "raw": Raw,
    "sa": SA,
    "sda": SDA,
    "gfk": GFK,
    "coral": CORAL,
    "tca": TCA,
    "jda": JDA,
    "tjm": TJM,
    "sca": SCA,
    "otgl": OTGL,
    "jgsa": JGSA,
}

__all__ = ["METHODS", "ShallowAdapter", *[c.__name__ for c in METHODS.values()]]


def get_method(name: str) -> type[ShallowAdapter]:
    """Look a method class up by (case-insensitive) short name, e.g. ``"jda"`` or ``"JDA"``."""
    key = name.lower()
    if key not in METHODS:
        raise KeyError(f"unknown shallow method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[key]
