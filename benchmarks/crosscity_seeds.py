"""The cross-city learning check at several seeds: target mIoU of source-only and adapted, MNIST -> MNIST-M.

Chen et al., "No More Discrimination: Cross City Adaptation of Road Scene Segmenters", ICCV 2017. For each seed
this runs exactly what ``tests/segmentation/test_cross_city_learning.py`` runs (the shipped
``crosscity_digits_source_only.yaml`` and ``crosscity_digits.yaml`` through the real CLI, the same batches, the
same adaptation start, CPU), with only ``--seed_everything`` changed; the data module takes its seed (shuffling
and the source hold-out) from the run seed, so the seed varies weights and data order together. The target test
split (the last MNIST-M test images) does not depend on the seed, so chance is computed once, as the test does.

    nice -n 10 env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/crosscity_seeds.py --seeds 1 2 \
        --out docs/data/crosscity_seeds.json [--data ../shared/data]

Results are written after every run; seeds already in ``--out`` are kept (so seeds can be added in later calls).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.segmentation import test_cross_city_learning as check  # noqa: E402

RUNS = {"source_only": ("crosscity_digits_source_only.yaml", []),
        "adapted": ("crosscity_digits.yaml", ["--model.init_args.adaptation_start", check.ADAPTATION_START])}


def target_miou(data: Path, config: str, extra: list[str], seed: int) -> float:
    """Target-test mIoU of one run: the test's run with ``--seed_everything seed``."""
    with tempfile.TemporaryDirectory() as work:
        return check._target_miou(data, config, Path(work), extra, seed)


def summarise(per_seed: dict[str, dict[str, float]]) -> dict[str, float]:
    """Mean of each score and of the gain (adapted - source-only) over the seeds with both runs."""
    done = [s for s in per_seed.values() if "source_only" in s and "adapted" in s]
    if not done:
        return {}
    return {"n_seeds": len(done),
            "source_only": statistics.mean(s["source_only"] for s in done),
            "adapted": statistics.mean(s["adapted"] for s in done),
            "gain": statistics.mean(s["adapted"] - s["source_only"] for s in done)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args(argv)

    old = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results = {"steps": check.STEPS, "adaptation_start": float(check.ADAPTATION_START),
               "chance": check.chance_miou(args.data), "per_seed": old.get("per_seed", {})}
    print(f"chance {results['chance']:.4f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        scores: dict[str, float] = {}
        results["per_seed"][str(seed)] = scores
        for name, (config, extra) in RUNS.items():
            t0 = time.time()
            scores[name] = target_miou(args.data, config, extra, seed)
            print(f"seed {seed} {name} {scores[name]:.4f} ({time.time() - t0:.0f} s)", flush=True)
            if "adapted" in scores and "source_only" in scores:
                scores["gain"] = scores["adapted"] - scores["source_only"]
            results["mean"] = summarise(results["per_seed"])
            args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["mean"], indent=2))


if __name__ == "__main__":
    main()
