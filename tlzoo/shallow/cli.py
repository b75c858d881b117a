"""``tlzoo shallow``: run a shallow DA method (or several) on feature domains and print the table.

Examples::

    python -m tlzoo.shallow.cli --config experiments/shallow/jgsa_office_caltech_surf.yaml
    python -m tlzoo.shallow.cli --config experiments/shallow/jda_office_caltech_surf.yaml --all-tasks
    python -m tlzoo.shallow.cli --config experiments/shallow/raw_office_caltech_surf.yaml --all-tasks \\
        --methods raw,sa,coral,jgsa --output runs/shallow/surf.md

Config keys (YAML, jsonargparse; unknown keys or wrong types fail with a message and exit code 2):
``dataset`` (prefix of the registry names, e.g. ``office_caltech10_surf``), ``source``/``target``
(a single task), ``tasks`` (list of ``[source, target]``), ``domains`` (``--all-tasks`` uses every ordered
pair), ``preprocessing`` (recipe, ``null`` = the dataset's recommended one), ``root``, ``classifier``
(``1nn`` | ``linear_svm`` | ``logreg``), ``C``, ``method`` (``{class_path: JDA, init_args: {...}}``),
``methods`` (comma list of registry names run with their defaults, the configured method keeps its
arguments), ``output`` (``.csv`` or ``.md``).
"""

from __future__ import annotations

import sys
from typing import Optional

from jsonargparse import ActionConfigFile, ArgumentParser, Namespace

from tlzoo.errors import TLZooError
from tlzoo.shallow import METHODS, ShallowAdapter, get_method
from tlzoo.shallow.table import all_tasks, print_rich, run_grid, to_markdown, write_output

__all__ = ["build_parser", "main"]


def build_parser() -> ArgumentParser:
    p = ArgumentParser(
        prog="tlzoo shallow",
        description="Shallow (closed-form / iterative) domain adaptation on feature domains.",
        exit_on_error=False,
    )
    p.add_argument("--config", action=ActionConfigFile, help="YAML config file.")
    p.add_argument("--dataset", type=str, default="office_caltech10_surf", help="Dataset prefix of the domain registry.")
    p.add_argument("--source", type=Optional[str], default=None, help="Source domain (single task).")
    p.add_argument("--target", type=Optional[str], default=None, help="Target domain (single task).")
    p.add_argument("--tasks", type=Optional[list[tuple[str, str]]], default=None, help="List of [source, target].")
    p.add_argument(
        "--domains", type=list[str], default=["amazon", "caltech", "dslr", "webcam"],
        help="Domains whose ordered pairs --all-tasks runs.",
    )
    p.add_argument("--all-tasks", type=bool, default=False, help="Run every ordered pair of --domains.")
    p.add_argument("--preprocessing", type=Optional[str], default=None, help="Recipe, e.g. l1_zscore_l2 (null: dataset default).")
    p.add_argument("--root", type=Optional[str], default=None, help="Folder of the feature files (else $TLZOO_DATA, else ~/.cache/tlzoo).")
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
    if cfg.all_tasks:
        return all_tasks(list(cfg.domains))
    if cfg.tasks:
        return [tuple(t) for t in cfg.tasks]  # type: ignore[misc]
    if cfg.source and cfg.target:
        return [(cfg.source, cfg.target)]
    raise TLZooError("no task given: set source/target, tasks, or --all-tasks (with domains)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tlzoo shallow``; returns the process exit code."""
    from tlzoo.errors import TLZooError
    from tlzoo.experiment_configs import resolve_config_args

    parser = build_parser()
    try:
        args = resolve_config_args(list(sys.argv[1:] if argv is None else argv))  # -c <bundled name> works
        cfg = parser.parse_args(args)
        init = parser.instantiate(cfg)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except (TLZooError, Exception) as e:  # a config name not found; jsonargparse ArgumentError / type errors
        print(f"tlzoo shallow: error: {e}", file=sys.stderr)
        return 2
    try:
        methods, labels = _resolve_methods(cfg, init)
        tasks = _resolve_tasks(cfg)

        def progress(r) -> None:  # noqa: ANN001
            print(f"  {r.method:<14} {r.task:<6} {r.accuracy:6.2f}%  ({r.seconds:.1f}s)", file=sys.stderr, flush=True)

        results = run_grid(
            methods, tasks, cfg.dataset, root=cfg.root, preprocessing=cfg.preprocessing,
            classifier=cfg.classifier, C=cfg.C, labels=labels, on_result=progress,
        )
    except TLZooError as e:
        print(f"tlzoo shallow: error: {e}", file=sys.stderr)
        return 2
    print_rich(results, title=f"{cfg.dataset} ({cfg.classifier} accuracy, %)")
    print(to_markdown(results))
    if cfg.output:
        write_output(results, cfg.output)
        print(f"wrote {cfg.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
