"""Deep DA methods on the Office-Caltech10 SURF features, in the layout of the shallow table (docs/shallow.md).

    OMP_NUM_THREADS=1 python benchmarks/deep_on_features.py                      # 4 methods x 6 tasks x 3 seeds
    OMP_NUM_THREADS=1 python benchmarks/deep_on_features.py --methods dann --seeds 0 --jobs 1
    OMP_NUM_THREADS=1 python benchmarks/deep_on_features.py --extra "--data.init_args.root /path/to/shared/data"

Each run fits ``experiments/<method>_office_caltech_surf.yaml`` with the task's source and target
(``--data.init_args.source/target office_caltech10_surf/<domain>``), ``--seed_everything s`` and the data
shuffling seed ``--data.init_args.seed s`` (the held-out source split stays ``split_seed 0``), then tests
two checkpoints:

* **selected**: the one the configured monitor picks, ``val/source_acc`` on the held-out 10% of the
  source (no target labels): the reported number;
* **last**: the weights after the final step (also label-free; shown because a 16-sample DSLR or 30-sample Webcam
  validation split saturates early, so "selected" often stops before the adaptation term has acted).

Inputs are those of the shallow table: 800-bin SURF, L1 -> zscore(ddof=0) -> L2 per domain, all target
samples are both the unlabelled adaptation set and the test set. Accuracies are in %, mean over seeds.
Results: ``$BENCH_DIR/deep_on_features.{json,md}`` (default ``bench_results/``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import multiprocessing as mp
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TASKS = [("amazon", "dslr"), ("amazon", "webcam"), ("dslr", "amazon"), ("dslr", "webcam"),
         ("webcam", "amazon"), ("webcam", "dslr")]
LETTER = {"amazon": "A", "caltech": "C", "dslr": "D", "webcam": "W"}
METHODS = ["source_only", "dann", "ddc", "coral"]
LABELS = {"source_only": "Source only (MLP)", "dann": "DANN", "ddc": "DDC (linear MMD)", "coral": "Deep CORAL"}
#: Shallow rows of docs/shallow.md (1-NN unless stated), same inputs, for the side-by-side table.
SHALLOW = {
    "Raw 1-NN (shallow)": [35.67, 31.19, 28.29, 83.73, 31.63, 84.71],
    "JDA (shallow)": [39.49, 37.97, 33.09, 89.49, 32.78, 89.17],
    "JGSA linear (shallow)": [45.86, 49.49, 36.01, 91.86, 41.02, 90.45],
    "JGSA linear + linear SVM (shallow)": [55.41, 60.34, 35.59, 86.44, 40.92, 84.71],
}


def task_name(src: str, tgt: str) -> str:
    return f"{LETTER[src]}→{LETTER[tgt]}"


def _fit_test_both(config: str, overrides: list[str], workdir: str) -> dict[str, float]:
    """Fit once; test the monitor-selected checkpoint and the last one."""
    from common import build

    cli = build([config], overrides, workdir)
    out: dict[str, float] = {}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli.trainer.fit(cli.model, cli.datamodule)
        ckpt = cli.trainer.checkpoint_callback
        assert ckpt is not None and ckpt.best_model_path, "the CLI's checkpoint callback monitors val/source_acc"
        # "last" = the in-memory weights after the final step (what last.ckpt holds too). Test them
        # first, before loading the selected checkpoint replaces them.
        for kind, path in (("last", None), ("selected", ckpt.best_model_path)):
            for res in cli.trainer.test(cli.model, cli.datamodule, ckpt_path=path):
                for k, v in res.items():
                    out[f"{kind}:{k}"] = float(v)
        out["selected_step"] = float(Path(ckpt.best_model_path).stem.rsplit("-", 1)[-1])
        out["last_step"] = float(cli.trainer.global_step)
    return out


def _one(job: tuple[str, str, str, int, list[str], int]) -> tuple[str, str, str, int, dict[str, float], float, str]:
    method, src, tgt, seed, extra, threads = job
    from common import run_in_tempdir

    config = str(REPO / "experiments" / f"{method}_office_caltech_surf.yaml")
    overrides = ["--data.init_args.source", f"office_caltech10_surf/{src}",
                 "--data.init_args.target", f"office_caltech10_surf/{tgt}",
                 "--seed_everything", str(seed), "--data.init_args.seed", str(seed)] + extra
    metrics, secs, err = run_in_tempdir(lambda work: _fit_test_both(config, overrides, work), threads)
    return method, src, tgt, seed, metrics, secs, err


def _fmt(x: float) -> str:
    return "—" if x != x else f"{x:.2f}"


def _row(label: str, cells: list[float], avg_std: float | None = None) -> str:
    avg = statistics.mean(cells) if all(c == c for c in cells) else math.nan
    spread = "" if avg_std is None else f" ± {avg_std:.2f}"
    return f"| {label} | " + " | ".join(_fmt(c) for c in cells) + f" | {_fmt(avg)}{spread} |"


def render(runs: list[dict], methods: list[str], seeds: list[int]) -> tuple[str, dict[str, dict]]:
    """The markdown table (shallow reference rows, then each method's rows) and a JSON summary.

    Cells are means over seeds; the avg column is the mean of the six cells ± the std over seeds of
    each seed's six-task average.
    """
    acc: dict[tuple[str, str, str], dict[int, float]] = {}  # (kind, method, task) -> seed -> %
    for r in runs:
        for kind in ("selected", "last"):
            acc.setdefault((kind, r["method"], r["task"]), {})[r["seed"]] = 100 * r.get(f"{kind}:test/target_acc",
                                                                                        math.nan)
    names = [task_name(s, t) for s, t in TASKS]
    lines = [f"Target accuracy (%) on Office-Caltech10 SURF (L1 → zscore → L2), mean over seeds {seeds}; "
             "avg ± std over seeds of the six-task average.", "",
             "| method | " + " | ".join(names) + " | avg |", "|---" * (len(TASKS) + 2) + "|"]
    lines += [_row(label, cells) for label, cells in SHALLOW.items()]
    summary: dict[str, dict] = {}
    for kind, title in (("selected", "checkpoint: best val/source_acc"), ("last", "last step")):
        for m in methods:
            per_task = [acc.get((kind, m, n), {}) for n in names]
            cells = [statistics.mean(v for v in d.values() if v == v) if d else math.nan for d in per_task]
            seed_avgs = [statistics.mean(d.get(s, math.nan) for d in per_task) for s in seeds]
            seed_avgs = [a for a in seed_avgs if a == a]
            avg_std = statistics.stdev(seed_avgs) if len(seed_avgs) > 1 else None
            lines.append(_row(f"{LABELS[m]}, {title}", cells, avg_std))
            summary[f"{m}:{kind}"] = {
                "per_task_mean": dict(zip(names, cells)),
                "per_task_std": {n: statistics.stdev(d.values()) if len(d) > 1 else 0.0
                                 for n, d in zip(names, per_task)},
                "avg": statistics.mean(cells) if all(c == c for c in cells) else None,
                "per_seed_avg": seed_avgs,
            }
    return "\n".join(lines), summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--extra", default="", help="overrides for every run, one quoted string")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes (spawned, each with --threads)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--from-json", default=None, help="re-render the table of a saved run (no training)")
    args = p.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        st = saved["_settings"]
        table, _ = render(saved["runs"], st["methods"], st["seeds"])
        print(table + f"\n\n{len(saved['runs'])} runs, {st['jobs']} processes x {st['threads']} thread(s), "
              f"wall {st['wall_s']:.0f} s.")
        return
    extra = shlex.split(args.extra)
    jobs = [(m, s, t, seed, extra, args.threads) for m in args.methods for s, t in TASKS for seed in args.seeds]
    raw: list[dict] = []
    t_start = time.time()
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        for method, src, tgt, seed, metrics, secs, err in pool.imap_unordered(_one, jobs):
            raw.append({"method": method, "task": task_name(src, tgt), "seed": seed, "seconds": secs, "error": err,
                        **metrics})
            sel = 100 * metrics.get("selected:test/target_acc", math.nan)
            last = 100 * metrics.get("last:test/target_acc", math.nan)
            print(f"{method:12s} {task_name(src, tgt)} seed {seed}: selected {sel:.2f} "
                  f"(step {metrics.get('selected_step', -1):.0f}), last {last:.2f}  ({secs:.0f}s) {err}", flush=True)
    wall = time.time() - t_start
    table, summary = render(raw, args.methods, args.seeds)
    table += f"\n\n{len(jobs)} runs, {args.jobs} processes x {args.threads} thread(s), wall {wall:.0f} s."
    print(table)
    results = {"summary": summary, "runs": raw,
               "_settings": {"methods": args.methods, "seeds": args.seeds, "extra": extra, "jobs": args.jobs,
                             "threads": args.threads, "wall_s": wall,
                             "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}}
    path = save(results, "deep_on_features")
    path.with_suffix(".md").write_text(table + "\n")
    print("saved", path, "and", path.with_suffix(".md"))


if __name__ == "__main__":
    main()
