"""``tlzoo sweep``: run a W&B sweep file locally, with no W&B server, and sync the runs later.

The sweep file is the one ``wandb sweep`` takes (``method`` grid / random / bayes, ``metric``, ``parameters``,
``command``). The next configuration comes from W&B's own open-source sweep engine (the ``sweeps`` package:
the code the W&B server runs), so a local sweep proposes what the server would. Each run is
``tlzoo fit ...`` in a fresh process, under ``<out>/run_<i>/``, with W&B offline and grouped by the sweep name;
its score is the sweep metric read from the run's ``fit_summary.json`` (the best value when the metric is the
checkpoint-selection metric, else the last logged value). Every finished run is appended to
``<out>/results.jsonl``: calling the same command again continues the sweep (bayes learns from every run so
far). Afterwards ``wandb sync <out>/run_*/wandb/offline-run-*`` uploads the runs.

    tlzoo sweep experiments/sweeps/dann_digits.yaml --count 8
    tlzoo sweep dann_digits --count 3 -- --trainer.max_epochs 2        # flags after -- go to every run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import yaml

from tlzoo.errors import TLZooError

#: The macros of W&B's ``command`` list that this runner fills in.
MACROS = ("${program}", "${args}", "${args_no_hyphens}", "${interpreter}", "${env}", "${args_json}")


def resolve_sweep_file(value: str) -> Path:
    """A sweep file path, or the name of a bundled one (``dann_digits`` -> ``experiments/sweeps/dann_digits.yaml``)."""
    from tlzoo.experiment_configs import BUNDLED

    path = Path(value)
    if path.is_file():
        return path
    name = value.removesuffix(".yaml")
    bundled = BUNDLED / "sweeps" / f"{Path(name).name}.yaml"
    if bundled.is_file():
        return bundled
    known = ", ".join(sorted(p.stem for p in (BUNDLED / "sweeps").glob("*.yaml")))
    raise TLZooError(f"sweep file not found: {value} (a YAML path or a bundled sweep: {known})")


def _engine() -> Any:
    """The ``sweeps`` package (imported quietly: it still uses pydantic-1 config names)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sweeps
    return sweeps


def load_spec(path: Path) -> dict[str, Any]:
    """The sweep spec, checked against W&B's schema."""
    schema_violations_from_proposed_config = _engine().schema_violations_from_proposed_config

    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise TLZooError(f"sweep file {path} is not valid YAML: {' '.join(str(err).split())[:200]}") from None
    if not isinstance(spec, dict):
        raise TLZooError(f"sweep file {path} must be a YAML mapping with method, metric, parameters and command")
    missing = [k for k in ("method", "metric", "parameters") if k not in spec]
    if missing:
        raise TLZooError(f"sweep file {path} lacks {', '.join(missing)} (see experiments/sweeps/*.yaml)")
    violations = schema_violations_from_proposed_config(spec)
    if violations:
        raise TLZooError(f"sweep file {path} does not follow W&B's sweep schema: {violations[0]}")
    return spec


def build_command(spec: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """The run's command line from the spec's ``command`` template (W&B's default when absent)."""
    template = spec.get("command") or ["${env}", "${interpreter}", "${program}", "${args}"]
    program = str(spec.get("program", "tlzoo"))
    args = [f"--{k}={_plain(v)}" for k, v in params.items()]
    out: list[str] = []
    for item in template:
        if item == "${program}":
            out += [sys.executable, "-m", "tlzoo.cli"] if program == "tlzoo" else [program]
        elif item == "${args}":
            out += args
        elif item == "${args_no_hyphens}":
            out += [a[2:] for a in args]
        elif item == "${args_json}":
            out.append(json.dumps({k: _plain(v) for k, v in params.items()}))
        elif item == "${interpreter}":
            out += [] if program == "tlzoo" else [sys.executable]
        elif item == "${env}":
            continue
        else:
            out.append(str(item))
    return out


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers (the engine proposes ``np.float64``)."""
    return value.item() if hasattr(value, "item") else value


def run_score(folder: Path, metric: str) -> float | None:
    """The sweep metric of the run under ``folder`` (see the module docstring), or ``None``."""
    summaries = sorted(folder.rglob("fit_summary.json"))
    if not summaries:
        return None
    summary = json.loads(summaries[-1].read_text())
    best = summary.get("best") or {}
    if best.get("metric") == metric:
        return float(best["value"])
    value = (summary.get("last") or {}).get(metric)
    return None if value is None else float(value)


def read_results(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    """Entry point of ``tlzoo sweep``; returns the exit code."""
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(prog="tlzoo sweep", description=__doc__.split("\n\n")[0],
                                     epilog="Flags after -- are passed to every run.")
    parser.add_argument("sweep", help="a W&B sweep YAML, or the name of a bundled one (tlzoo configs sweeps)")
    parser.add_argument("--count", type=int, default=4, help="runs to start now (default 4)")
    parser.add_argument("--out", default=None, help="sweep folder (default runs/sweeps/<sweep name>)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args(argv)
    try:
        return run_sweep(resolve_sweep_file(args.sweep), args.count, args.out, args.dry_run, extra)
    except TLZooError as err:
        print(f"tlzoo sweep: error: {err}", file=sys.stderr)
        return 2


def run_sweep(path: Path, count: int, out: str | None, dry_run: bool, extra: list[str]) -> int:
    """Start ``count`` runs of the sweep in ``path``; see the module docstring."""
    engine = _engine()
    RunState, SweepRun, next_run = engine.RunState, engine.SweepRun, engine.next_run  # noqa: N806

    if count < 1:
        raise TLZooError(f"--count must be >= 1, got {count}")
    spec = load_spec(path)
    metric = spec["metric"]["name"]
    folder = Path(out or Path("runs") / "sweeps" / path.stem)
    results_file = folder / "results.jsonl"
    results = read_results(results_file)
    history = [SweepRun(name=r["name"], state=RunState.finished if r["value"] is not None else RunState.failed,
                        config={k: {"value": v} for k, v in r["params"].items()},
                        summary_metrics={metric: r["value"]} if r["value"] is not None else {})
               for r in results]
    env = {**os.environ, "WANDB_RUN_GROUP": path.stem, "WANDB_MODE": os.environ.get("WANDB_MODE", "offline")}
    for _ in range(count):
        with warnings.catch_warnings():  # the bayes engine's Gaussian-process fit warns on tiny histories
            warnings.simplefilter("ignore")
            proposal = next_run(spec, history)
        if proposal is None:
            print(f"the {spec['method']} sweep has no configuration left", file=sys.stderr)
            break
        params = {k: _plain(v["value"]) for k, v in proposal.config.items()}
        name = f"run_{len(history)}"
        run_folder = folder / name
        command = [*build_command(spec, params), "--trainer.default_root_dir", str(run_folder), *extra]
        print(f"[{name}] {' '.join(f'{k}={v}' for k, v in params.items())}", file=sys.stderr)
        if dry_run:
            print("  " + " ".join(command))
            history.append(SweepRun(name=name, state=RunState.finished, config=proposal.config,
                                    summary_metrics={}))
            continue
        run_folder.mkdir(parents=True, exist_ok=True)
        started = time.time()
        with open(run_folder / "output.log", "w") as log:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
        value = run_score(run_folder, metric) if code == 0 else None
        state = "finished" if value is not None else f"failed (exit {code}, see {run_folder / 'output.log'})"
        print(f"[{name}] {metric} = {value if value is not None else 'n/a'}  {state}  "
              f"({time.time() - started:.0f} s)", file=sys.stderr)
        record = {"name": name, "params": params, "metric": metric, "value": value, "returncode": code,
                  "folder": str(run_folder)}
        with open(results_file, "a") as f:
            f.write(json.dumps(record) + "\n")
        results.append(record)
        history.append(SweepRun(name=name, state=RunState.finished if value is not None else RunState.failed,
                                config=proposal.config, summary_metrics={metric: value} if value is not None else {}))
    if dry_run:
        return 0
    return report(results, spec, folder)


def report(results: list[dict[str, Any]], spec: dict[str, Any], folder: Path) -> int:
    """Print the table of runs, the best one and how to upload them; exit 1 when no run finished."""
    metric, goal = spec["metric"]["name"], spec["metric"].get("goal", "minimize")
    done = [r for r in results if r["value"] is not None]
    for r in results:
        shown = f"{r['value']:.4f}" if r["value"] is not None else "failed"
        print(f"{r['name']:>8}  {metric}={shown}  " + " ".join(f"{k}={v}" for k, v in r["params"].items()))
    if not done:
        print("no run finished", file=sys.stderr)
        return 1
    best = (max if goal == "maximize" else min)(done, key=lambda r: r["value"])
    print(f"best: {best['name']} {metric}={best['value']:.4f} ({goal}) in {best['folder']}\n"
          f"results: {folder / 'results.jsonl'}; upload the runs with: "
          f"wandb sync {folder}/run_*/wandb/offline-run-*", file=sys.stderr)
    return 0
