"""``tlzoo shallow``: run a shallow DA method (or several) on feature domains and print the table.

Examples::

    tlzoo shallow --source my/source.csv --target my/target.csv --methods raw,coral,tca,jda   # own files
    tlzoo shallow -c jda_office_caltech_surf                       # a shipped recipe (6 published tasks)
    tlzoo shallow -c jda_office_caltech_surf --all-tasks          # all 12 ordered pairs of the 4 domains
    tlzoo shallow -c raw_office_caltech_surf --methods raw,sa,coral,jgsa --output runs/shallow/surf.md

Config keys (YAML, jsonargparse; unknown keys or wrong types fail with a message and exit code 2):
``source``/``target`` (a single task: each a path to a ``.mat``/``.npz``/``.csv`` feature file, or a
registry domain name), ``dataset`` (prefix of the registry names, e.g. ``office_caltech10_surf``; not used
for file paths), ``tasks`` (list of ``[source, target]``), ``domains`` (``--all-tasks`` uses every ordered
pair), ``preprocessing`` (recipe; ``null`` = a registry domain's family recipe, ``l2`` for a file), ``root``,
``classifier`` (``1nn`` | ``linear_svm`` | ``logreg``), ``C``, ``method`` (``{class_path: JDA, init_args:
{...}}``), ``methods`` (comma list of registry names run with their defaults, the configured method keeps
its arguments), ``output`` (``.csv`` or ``.md``). How a value is read as a path or a registry name:
:mod:`tlzoo.shallow.domains`.
"""

from __future__ import annotations

import sys
from typing import Optional

from jsonargparse import ActionConfigFile, ArgumentParser, Namespace

from tlzoo.errors import TLZooError
from tlzoo.shallow import METHODS, ShallowAdapter, get_method
from tlzoo.shallow.domains import FILE_PREPROCESSING
from tlzoo.shallow.table import all_tasks, print_rich, resolve_tasks, run_grid, to_markdown, write_output

__all__ = ["build_parser", "main"]


def build_parser() -> ArgumentParser:
    p = ArgumentParser(
        prog="tlzoo shallow",
        description="Shallow (closed-form / iterative) domain adaptation on feature domains.",
        exit_on_error=False,
    )
    p.add_argument(
        "-c", "--config", action=ActionConfigFile,
        help="YAML config file, or the name of a shipped recipe (see `tlzoo configs`).",
    )
    p.add_argument(
        "--dataset", type=Optional[str], default="office_caltech10_surf",
        help="Prefix of registry domain names (amazon -> office_caltech10_surf/amazon); not used for file paths.",
    )
    p.add_argument(
        "--source", type=Optional[str], default=None,
        help="Source domain (single task): a .mat/.npz/.csv feature file, or a registry domain name.",
    )
    p.add_argument(
        "--target", type=Optional[str], default=None,
        help="Target domain (single task): a .mat/.npz/.csv feature file, or a registry domain name.",
    )
    p.add_argument("--tasks", type=Optional[list[tuple[str, str]]], default=None, help="List of [source, target].")
    p.add_argument(
        "--domains", type=list[str], default=["amazon", "caltech", "dslr", "webcam"],
        help="Domains whose ordered pairs --all-tasks runs.",
    )
    p.add_argument("--all-tasks", type=bool, default=False, help="Run every ordered pair of --domains.")
    p.add_argument(
        "--preprocessing", type=Optional[str], default=None,
        help=f"Recipe: none, or steps l1/zscore/l2 joined by _, e.g. l1_zscore_l2 (null: a registry domain's "
        f"family recipe; {FILE_PREPROCESSING} for a feature file).",
    )
    p.add_argument(
        "--root", type=Optional[str], default=None,
        help="Folder of the registry's feature files (else $TLZOO_DATA, else ~/.cache/tlzoo).",
    )
    p.add_argument("--classifier", type=str, default="1nn", help="1nn | linear_svm | logreg.")
    p.add_argument("--C", type=float, default=1.0, help="Inverse regularisation of linear_svm/logreg.")
    p.add_argument("--method", type=ShallowAdapter, default=None, help="The method: {class_path: JDA, init_args: {...}}.")
    p.add_argument("--methods", type=Optional[str], default=None, help=f"Comma list from {sorted(METHODS)}.")
    p.add_argument("--label", type=Optional[str], default=None, help="Row label of the configured method.")
    p.add_argument("--output", type=Optional[str], default=None, help="Write the table (.csv long format, else markdown).")
    return p


def _resolve_methods(cfg: Namespace, init: Namespace) -> tuple[list[ShallowAdapter], list[str]]:
    configured = init.method
    methods: list[ShallowAdapter] = []
    labels: list[str] = []
    if cfg.methods:
        for name in [s.strip() for s in cfg.methods.split(",") if s.strip()]:
            try:
                cls = get_method(name)
            except KeyError as e:
                raise TLZooError(str(e.args[0])) from None
            if configured is not None and isinstance(configured, cls):
                methods.append(configured)
                labels.append(cfg.label or configured.name)
            else:
                methods.append(cls())
                labels.append(cls.name)
    elif configured is not None:
        methods, labels = [configured], [cfg.label or configured.name]
    else:
        raise TLZooError("no method given: set `method: {class_path: ..., init_args: ...}` or --methods raw,jda")
    return methods, labels


def _resolve_tasks(cfg: Namespace) -> list[tuple[str, str]]:
    """``--all-tasks`` first, then a single ``--source``/``--target`` task (so that your own files given on the
    command line replace a shipped recipe's ``tasks``), then ``tasks``."""
    if cfg.all_tasks:
        return all_tasks(list(cfg.domains))
    if cfg.source and cfg.target:
        return [(cfg.source, cfg.target)]
    if cfg.tasks:
        return [tuple(t) for t in cfg.tasks]  # type: ignore[misc]
    if cfg.source or cfg.target:
        missing = "--target" if cfg.source else "--source"
        raise TLZooError(f"{missing} is missing: a single task needs both --source and --target")
    raise TLZooError("no task given: set --source and --target, tasks, or --all-tasks (with domains)")


def _task_flags(cfg: Namespace) -> tuple[str, str]:
    if cfg.all_tasks:
        return "--domains", "--domains"
    if cfg.source and cfg.target:
        return "--source", "--target"
    return "--tasks", "--tasks"


def _bare_switches(args: list[str]) -> list[str]:
    """``--all-tasks`` alone means ``--all-tasks true`` (jsonargparse's bool options otherwise need a value)."""
    out: list[str] = []
    for i, a in enumerate(args):
        out.append(a)
        if a == "--all-tasks" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            out.append("true")
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tlzoo shallow``; returns the process exit code."""
    from tlzoo.errors import TLZooError
    from tlzoo.experiment_configs import resolve_config_args

    parser = build_parser()
    try:
        args = resolve_config_args(_bare_switches(list(sys.argv[1:] if argv is None else argv)))  # -c <name> works
        cfg = parser.parse_args(args)
        init = parser.instantiate(cfg)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except (TLZooError, Exception) as e:  # a config name not found; jsonargparse ArgumentError / type errors
        print(f"tlzoo shallow: error: {e}", file=sys.stderr)
        return 2
    try:
        methods, labels = _resolve_methods(cfg, init)
        tasks = resolve_tasks(_resolve_tasks(cfg), cfg.dataset, cfg.root, _task_flags(cfg))
        domains = list(dict.fromkeys(ref for task in tasks for ref in task))
        if cfg.preprocessing is None and any(ref.is_file for ref in domains):
            print(
                f"preprocessing: {FILE_PREPROCESSING} for feature files (--preprocessing none to use them as stored)",
                file=sys.stderr,
            )

        def progress(r) -> None:  # noqa: ANN001
            print(f"  {r.method:<14} {r.task:<6} {r.accuracy:6.2f}%  ({r.seconds:.1f}s)", file=sys.stderr, flush=True)

        results = run_grid(
            methods, tasks, cfg.dataset, root=cfg.root, preprocessing=cfg.preprocessing,
            classifier=cfg.classifier, C=cfg.C, labels=labels, on_result=progress,
        )
    except TLZooError as e:
        print(f"tlzoo shallow: error: {e}", file=sys.stderr)
        return 2
    source_name = cfg.dataset if cfg.dataset and not all(ref.is_file for ref in domains) else "feature files"
    print_rich(results, title=f"{source_name} ({cfg.classifier} accuracy, %)")
    print(to_markdown(results))
    if cfg.output:
        write_output(results, cfg.output)
        print(f"wrote {cfg.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
