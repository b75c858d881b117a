"""Target accuracy of several experiments over seeds, run in parallel processes, as a markdown table.

    python benchmarks/accuracy_table.py --configs experiments/*_digits.yaml --seeds 0 1 2 --jobs 8
    python benchmarks/accuracy_table.py --configs experiments/dann_usps_mnist.yaml --extra "--data.init_args.root X"

Each run fits the YAML as it is (plus ``--extra``), picks the checkpoint its monitor selects (the method's
``default_monitor``: ``val/target_mi`` on the unlabelled adaptation split for domain adaptation, never target
labels; ADDA its last epoch), with the method's default weight average (``--extra "--ema_decay null"`` for
raw weights), and reports ``test/target_acc``. ``--seed_everything`` varies the weights, shuffles and
splits. Results go to ``$BENCH_DIR/accuracy_table_<tag>.{json,md}``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402


def _one(job: tuple[str, int, list[str], int]) -> tuple[str, int, float, float, str]:
    config, seed, extra, threads = job
    from common import fit_and_test, run_in_tempdir

    metrics, secs, err = run_in_tempdir(
        lambda work: fit_and_test([config], extra + ["--seed_everything", str(seed)], work), threads)
    return config, seed, metrics.get("test/target_acc", float("nan")), secs, err


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--extra", default="", help="overrides for every run, one quoted string")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads per job")
    p.add_argument("--tag", default="run")
    args = p.parse_args()
    extra = shlex.split(args.extra)
    jobs = [(c, s, extra, args.threads) for c in args.configs for s in args.seeds]
    results: dict[str, dict] = {}
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.jobs) as pool:
        for config, seed, acc, secs, err in pool.imap_unordered(_one, jobs):
            name = Path(config).stem
            entry = results.setdefault(name, {"per_seed": {}, "errors": {}})
            entry["per_seed"][seed] = acc
            if err:
                entry["errors"][seed] = err
            print(f"{name:36s} seed {seed}: {acc:.4f} ({secs:.0f}s) {err}", flush=True)
    lines = ["| experiment | target acc (mean ± std over seeds) | per seed |", "|---|---|---|"]
    for name in sorted(results):
        accs = [v for _, v in sorted(results[name]["per_seed"].items()) if v == v]
        if accs:
            mean = statistics.mean(accs)
            std = statistics.stdev(accs) if len(accs) > 1 else 0.0
            results[name].update(mean=mean, std=std)
            per = ", ".join(f"{100 * a:.1f}" for a in accs)
            lines.append(f"| {name} | {100 * mean:.1f} ± {100 * std:.1f} | {per} |")
        else:
            lines.append(f"| {name} | failed: {next(iter(results[name]['errors'].values()), '')[:80]} | |")
    table = "\n".join(lines)
    print(table)
    results["_settings"] = {"seeds": args.seeds, "extra": extra, "device_env": os.environ.get("CUDA_VISIBLE_DEVICES")}
    path = save(results, f"accuracy_table_{args.tag}")
    path.with_suffix(".md").write_text(table + "\n")
    print("saved", path)


if __name__ == "__main__":
    main()
