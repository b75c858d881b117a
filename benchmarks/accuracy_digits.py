"""Target accuracy of source-only vs. DANN on embedded digits (UCI 8x8 -> MNIST 5k), over seeds.

    python benchmarks/accuracy_digits.py                       # the defaults of experiments/*.yaml
    python benchmarks/accuracy_digits.py --seeds 0 1 2 --epochs 20 --variant paper

Each run is the YAML's config; the checkpoint is picked on source validation accuracy (no target
labels), then evaluated on the fixed 2,000-image MNIST test split.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fit_and_test, save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Named variants: (extra config overrides applied to both methods, extra overrides for DANN only).
VARIANTS: dict[str, tuple[list[str], list[str]]] = {
    "yaml": ([], []),
    "paper": (["--data.init_args.augment", "false"], ["--model.init_args.lambda_max", "1.0"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override trainer.max_epochs")
    parser.add_argument("--variant", default="yaml", choices=sorted(VARIANTS))
    parser.add_argument("--extra", default="", help="more overrides for both methods, one quoted string")
    parser.add_argument("--dann-extra", default="", help="more overrides for DANN only, one quoted string")
    parser.add_argument("--tag", default="", help="name of the results file")
    args = parser.parse_args()
    common, dann_only = VARIANTS[args.variant]
    common = common + shlex.split(args.extra)
    dann_only = dann_only + shlex.split(args.dann_extra)
    if args.epochs:
        common += ["--trainer.max_epochs", str(args.epochs)]
    results: dict[str, dict] = {}
    for method, config, extra in (("source_only", "source_only_digits.yaml", []),
                                  ("dann", "dann_digits.yaml", dann_only)):
        accs = []
        for seed in args.seeds:
            t0 = time.time()
            with tempfile.TemporaryDirectory() as work:
                metrics = fit_and_test([str(ROOT / "experiments" / config)],
                                       common + extra + ["--seed_everything", str(seed)], work)
            accs.append(metrics["test/target_acc"])
            print(f"{method:12s} seed {seed}: target acc {accs[-1]:.4f}  ({time.time() - t0:.0f}s)", flush=True)
        results[method] = {"per_seed": accs, "mean": statistics.mean(accs),
                           "std": statistics.stdev(accs) if len(accs) > 1 else 0.0}
    gap = results["dann"]["mean"] - results["source_only"]["mean"]
    results["settings"] = {"variant": args.variant, "seeds": args.seeds, "overrides": common,
                           "dann_overrides": dann_only}
    print(f"source-only {results['source_only']['mean']:.4f} +- {results['source_only']['std']:.4f} | "
          f"DANN {results['dann']['mean']:.4f} +- {results['dann']['std']:.4f} | gap {100 * gap:+.1f} points")
    print("saved", save(results, f"accuracy_digits_{args.tag or args.variant}"))


if __name__ == "__main__":
    main()
