"""Where the main job's memory goes: resident memory at each stage of ``tlzoo fit -c dann_digits``.

``benchmarks/memory_main_job.py`` reads each process's peak RSS from the kernel after it ends (``ru_maxrss``).
That peak includes the interpreter's shutdown, in which the C++ libraries' static destructors bring more of
their code into memory; this script measures that shutdown share for ``import lightning`` (normal exit against
``os._exit``, which skips it) and follows the job from the inside with :mod:`rss_probe` (Linux, glibc):

    python benchmarks/memory_stages.py [--epochs 2] [--threads 2]

Printed and written to ``bench_results/memory_stages.json``: ``import lightning`` (in-process, at the end of the
import; peak with and without shutdown), then the job's RSS / anonymous / file-backed memory at each stage, and
after the probed training steps the memory still live once the heap's free memory is trimmed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import save  # noqa: E402

#: Runs argv[1:] and prints the child's peak RSS (MB) as the kernel reports it after the child ends.
_PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""

_IMPORT_LIGHTNING = """
import lightning, json, sys
sys.path.insert(0, {here!r})
from rss_probe import memory
print(json.dumps(memory()))
"""


def peak_mb(cmd: list[str], env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.split()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=2, help="trainer.max_epochs of the job (the peak is reached in "
                                                           "the first epoch; 20 is the README's job)")
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS (default: the machine's default)")
    args = p.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    result: dict = {"command": "python benchmarks/memory_stages.py " + " ".join(sys.argv[1:]),
                    "omp_num_threads": env.get("OMP_NUM_THREADS", "default"), "cpu_count": os.cpu_count()}
    tlzoo = shutil.which("tlzoo", path=str(Path(sys.executable).parent)) or "tlzoo"
    job = [tlzoo, "fit", "-c", "dann_digits", "--trainer.max_epochs", str(args.epochs), "--trainer.logger", "false",
           "--trainer.enable_progress_bar", "false", "--trainer.callbacks+=rss_probe.StageProbe"]
    with tempfile.TemporaryDirectory() as work:  # the job first: this process's only child so far
        out = subprocess.run([*job, "--trainer.default_root_dir", work], capture_output=True, text=True, env=env,
                             cwd=work)
    if out.returncode:
        raise SystemExit(f"the job failed:\n{out.stderr[-3000:]}")
    result["job_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    lightning = subprocess.run([sys.executable, "-c", _IMPORT_LIGHTNING.format(here=str(HERE))],
                               capture_output=True, text=True, env=env, check=True)
    result["import_lightning_in_process"] = json.loads(lightning.stdout.strip().splitlines()[-1])
    result["import_lightning_peak_mb"] = peak_mb([sys.executable, "-c", "import lightning"], env)
    result["import_lightning_peak_without_shutdown_mb"] = peak_mb(
        [sys.executable, "-c", "import lightning, os; os._exit(0)"], env)
    stages = [json.loads(line[4:]) for line in out.stdout.splitlines() if line.startswith("RSS ")]
    result["stages"] = stages
    base = result["import_lightning_in_process"]["rss_mb"]
    print(f"import lightning, in process: {base} MB (anon {result['import_lightning_in_process']['anon_mb']}, "
          f"file {result['import_lightning_in_process']['file_mb']}); peak after exit "
          f"{result['import_lightning_peak_mb']} MB, {result['import_lightning_peak_without_shutdown_mb']} MB with "
          f"os._exit (the shutdown adds "
          f"{result['import_lightning_peak_mb'] - result['import_lightning_peak_without_shutdown_mb']} MB)")
    print(f"{'stage':28s} {'rss':>6s} {'anon':>6s} {'file':>6s} {'peak':>6s} {'above lightning':>16s}")
    for s in stages:
        print(f"{s['stage']:28s} {s['rss_mb']:6d} {s['anon_mb']:6d} {s['file_mb']:6d} {s['hwm_mb']:6d} "
              f"{s['rss_mb'] - base:+16d}")
    print(f"the job's peak after exit (ru_maxrss, as memory_main_job.py reads it): {result['job_peak_mb']} MB")
    print("saved", save(result, "memory_stages"))


if __name__ == "__main__":
    main()
