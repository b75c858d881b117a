"""Source->target task grids: run methods over tasks and render the accuracy table (rich/markdown/CSV)."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tlzoo.data.feature_files import load_feature_domain
from tlzoo.errors import TLZooError
from tlzoo.shallow.base import ShallowAdapter
from tlzoo.shallow.classifiers import make_classifier
from tlzoo.shallow.domains import DomainRef, resolve_domain

__all__ = [
    "TaskResult", "DOMAIN_ABBREV", "all_tasks", "resolve_tasks", "run_task", "run_grid", "to_markdown", "to_csv",
]

DOMAIN_ABBREV = {"amazon": "A", "caltech": "C", "dslr": "D", "webcam": "W", "usps": "U", "mnist": "M"}


@dataclass
class TaskResult:
    method: str
    source: str
    target: str
    accuracy: float  # percent
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return f"{_abbrev(self.source)}→{_abbrev(self.target)}"


def _abbrev(domain: str) -> str:
    short = Path(domain).stem if Path(domain).suffix else domain.split("/")[-1]
    return DOMAIN_ABBREV.get(short, short)


def all_tasks(domains: list[str]) -> list[tuple[str, str]]:
    """Every ordered pair of distinct domains, source-major (A→C, A→D, ...)."""
    return [(s, t) for s in domains for t in domains if s != t]


def resolve_tasks(
    tasks: list[tuple[str, str]], dataset: str | None, root: str | None = None,
    flags: tuple[str, str] = ("--source", "--target"),
) -> list[tuple[DomainRef, DomainRef]]:
    """Resolve every ``(source, target)`` value to a file path or a registry key before anything runs, so a
    wrong name stops at once with a message naming ``flags`` (see :func:`~tlzoo.shallow.domains.resolve_domain`)."""
    return [
        (resolve_domain(s, dataset, root, flags[0]), resolve_domain(t, dataset, root, flags[1])) for s, t in tasks
    ]


class _Cache:
    def __init__(self, root: str | None, preprocessing: str | None) -> None:
        self.root, self.pre, self.data = root, preprocessing, {}

    def __call__(self, ref: DomainRef) -> tuple[np.ndarray, np.ndarray]:
        if ref.key not in self.data:
            recipe = ref.default_preprocessing() if self.pre is None else self.pre
            self.data[ref.key] = load_feature_domain(ref.key, root=self.root, preprocessing=recipe)
        return self.data[ref.key]


def run_task(
    method: ShallowAdapter, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray, yt: np.ndarray,
    classifier: str = "1nn", C: float = 1.0,
) -> tuple[float, float]:
    """Accuracy (%) of ``method`` + ``classifier`` on one task, and the wall time in seconds."""
    t0 = time.perf_counter()
    pred = method.fit_predict(Xs, ys, Xt, make_classifier(classifier, C))
    return 100.0 * float(np.mean(pred == yt)), time.perf_counter() - t0


def run_grid(
    methods: list[ShallowAdapter],
    tasks: list[tuple[str, str]] | list[tuple[DomainRef, DomainRef]],
    dataset: str | None,
    root: str | None = None,
    preprocessing: str | None = None,
    classifier: str = "1nn",
    C: float = 1.0,
    labels: list[str] | None = None,
    on_result: callable | None = None,
) -> list[TaskResult]:
    """Run every method on every (source, target) task; returns one result per cell.

    A task's domains are file paths or registry names (of ``dataset``, or full keys), resolved with
    :func:`resolve_tasks`; already resolved :class:`~tlzoo.shallow.domains.DomainRef` pairs are used as
    they are. ``preprocessing=None`` applies each domain's default recipe (registry: its family's; file:
    :data:`~tlzoo.shallow.domains.FILE_PREPROCESSING`).
    """
    refs = [
        (s, t) if isinstance(s, DomainRef) and isinstance(t, DomainRef) else resolve_tasks([(s, t)], dataset, root)[0]
        for s, t in tasks
    ]
    cache = _Cache(root, preprocessing)
    out: list[TaskResult] = []
    for i, m in enumerate(methods):
        label = labels[i] if labels else m.name
        for s, t in refs:
            Xs, ys = cache(s)
            Xt, yt = cache(t)
            if Xs.shape[1] != Xt.shape[1]:
                raise TLZooError(
                    f"source {s.given!r} has {Xs.shape[1]} features per sample but target {t.given!r} has "
                    f"{Xt.shape[1]}; both domains must use the same feature space"
                )
            acc, sec = run_task(m, Xs, ys, Xt, yt, classifier, C)
            r = TaskResult(label, s.label, t.label, acc, sec)
            out.append(r)
            if on_result is not None:
                on_result(r)
    return out


def _pivot(results: list[TaskResult]) -> tuple[list[str], list[str], dict[tuple[str, str], float]]:
    methods = list(dict.fromkeys(r.method for r in results))
    tasks = list(dict.fromkeys(r.task for r in results))
    cell = {(r.method, r.task): r.accuracy for r in results}
    return methods, tasks, cell


def to_markdown(results: list[TaskResult]) -> str:
    """Methods as rows, tasks as columns, plus the average, in a GitHub markdown table."""
    methods, tasks, cell = _pivot(results)
    lines = ["| method | " + " | ".join(tasks) + " | avg |", "|---" * (len(tasks) + 2) + "|"]
    for m in methods:
        vals = [cell.get((m, t)) for t in tasks]
        got = [v for v in vals if v is not None]
        avg = f"{np.mean(got):.2f}" if got else ""
        lines.append(f"| {m} | " + " | ".join("" if v is None else f"{v:.2f}" for v in vals) + f" | {avg} |")
    return "\n".join(lines)


def to_csv(results: list[TaskResult]) -> str:
    """Long format: method,source,target,task,accuracy,seconds."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["method", "source", "target", "task", "accuracy", "seconds"])
    for r in results:
        w.writerow([r.method, r.source, r.target, r.task, f"{r.accuracy:.2f}", f"{r.seconds:.2f}"])
    return buf.getvalue()


def print_rich(results: list[TaskResult], title: str = "") -> None:
    """Pretty-print the grid with rich (falls back to markdown)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        print(to_markdown(results))
        return
    methods, tasks, cell = _pivot(results)
    table = Table(title=title or None)
    table.add_column("method")
    for t in tasks + ["avg"]:
        table.add_column(t, justify="right")
    for m in methods:
        vals = [cell.get((m, t)) for t in tasks]
        got = [v for v in vals if v is not None]
        row = ["" if v is None else f"{v:.2f}" for v in vals] + [f"{np.mean(got):.2f}" if got else ""]
        table.add_row(m, *row)
    Console().print(table)


def write_output(results: list[TaskResult], path: str | Path) -> None:
    """Write ``.csv`` (long format) or markdown (any other suffix)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(to_csv(results) if p.suffix.lower() == ".csv" else to_markdown(results) + "\n")
