"""Start-up time of the ``tlzoo`` subcommands against the imports they cannot avoid.

    python benchmarks/startup.py [--repeats 3]

Prints a table and writes ``bench_results/startup.json``: the median wall time of each command over
``--repeats`` runs, beside ``python -c "import numpy, scipy"`` (what the feature-file tools need) and
``python -c "import lightning"`` (what training needs). Targets: the light commands within 1.0 s of numpy +
scipy; ``tlzoo fit --help`` within 1.2x of importing lightning.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "python -c 'import numpy, scipy'": [sys.executable, "-c", "import numpy, scipy, scipy.linalg"],
    "python -c 'import lightning'": [sys.executable, "-c", "import lightning"],
    "tlzoo --help": [sys.executable, "-m", "tlzoo", "--help"],
    "tlzoo --version": [sys.executable, "-m", "tlzoo", "--version"],
    "tlzoo shallow --help": [sys.executable, "-m", "tlzoo", "shallow", "--help"],
    "tlzoo configs": [sys.executable, "-m", "tlzoo", "configs"],
    "tlzoo fit --help": [sys.executable, "-m", "tlzoo", "fit", "--help"],
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench_results/startup.json"))
    args = parser.parse_args()
    results = {name: statistics.median(timed(cmd) for _ in range(args.repeats)) for name, cmd in COMMANDS.items()}
    for name, seconds in results.items():
        print(f"{name:<36} {seconds:6.2f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"median_seconds": results, "repeats": args.repeats}, indent=2) + "\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
