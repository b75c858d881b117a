"""The experiment configs shipped with the package, so that ``-c dann_digits`` works from any folder.

``tlzoo fit -c X`` reads the file ``X`` when it exists. Otherwise ``X`` is looked up by name among the
bundled configs (``tlzoo/experiments``, the repository's ``experiments/`` folder): ``dann_digits``,
``dann_digits.yaml``, ``translation/cyclegan_digits`` and ``cyclegan_digits`` all work; a name that
matches several files (``coral_office_caltech_surf`` is both a deep and a shallow config) must say its
folder. ``tlzoo configs`` lists them.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from tlzoo.errors import TLZooError

#: Where the bundled experiment configs live.
BUNDLED = Path(__file__).resolve().parent / "experiments"


def bundled_configs() -> list[str]:
    """Every bundled config as ``folder/name`` (no ``.yaml``), sorted."""
    return sorted(str(p.relative_to(BUNDLED).with_suffix("")) for p in BUNDLED.rglob("*.yaml"))


def resolve_config(value: str) -> str:
    """``value`` when it is a file (or an inline config), else the bundled config it names."""
    if Path(value).is_file() or value.lstrip().startswith("{"):
        return value
    name = value[:-5] if value.endswith((".yaml", ".yml")) else value
    name = name.removeprefix("experiments/")
    names = bundled_configs()
    if name in names:
        return str(BUNDLED / f"{name}.yaml")
    matches = [n for n in names if n.rsplit("/", 1)[-1] == name]
    if len(matches) == 1:
        return str(BUNDLED / f"{matches[0]}.yaml")
    if len(matches) > 1:
        raise TLZooError(f"config name {value!r} matches several bundled configs ({', '.join(matches)}): "
                         f"pass one of these names")
    candidates = sorted(set(names) | {n.rsplit("/", 1)[-1] for n in names})
    close = difflib.get_close_matches(name, candidates, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `tlzoo configs` lists the bundled ones"
    raise TLZooError(f"config file not found: {value} (-c takes a YAML path or a bundled config name{hint})")


def resolve_config_args(args: list[str]) -> list[str]:
    """``args`` with every ``-c`` / ``--config`` value resolved by :func:`resolve_config`."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg in ("-c", "--config") and i + 1 < len(out):
            out[i + 1] = resolve_config(out[i + 1])
        elif arg.startswith("--config="):
            out[i] = "--config=" + resolve_config(arg.split("=", 1)[1])
    return out


def main(argv: list[str]) -> int:
    """``tlzoo configs [filter]``: list the bundled experiment configs (optionally those containing ``filter``)."""
    if argv and argv[0] in ("-h", "--help"):
        print("usage: tlzoo configs [FILTER]\n\nList the experiment configs shipped with tlzoo "
              f"({BUNDLED}); run one with `tlzoo fit -c <name>`.")
        return 0
    wanted = argv[0] if argv else ""
    for name in bundled_configs():
        if wanted in name:
            print(name)
    print(f"(in {BUNDLED}; copy one to edit it)", file=sys.stderr)
    return 0
