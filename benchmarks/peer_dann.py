"""DANN training throughput side by side: tlzoo (Lightning), pytorch-adapt 0.0.83, and a plain PyTorch loop.

The three loops train copies of the same networks (identical initial weights: the DANN digits
feature extractor, label classifier and domain discriminator of experiments/dann_digits.yaml) on the
same pre-collated batches (64 source + 64 target digits), with SGD (lr 0.01, momentum 0.9) and DANN's
learning-rate annealing stepped every step. Reported: steps/s of each (best and median of the
repeats, which alternate the loops so that a change in the machine's load hits all of them) and the
ratio tlzoo / pytorch-adapt. ``--clock cpu`` times CPU seconds instead of wall seconds (with
``OMP_NUM_THREADS=1``: the work of each loop, nearly independent of other jobs on a shared machine).

How each loop computes a step is its own: tlzoo and the plain loop pass source and target through the
feature extractor as one batch of 128; pytorch-adapt's ``DANNHook`` passes them as two batches of 64
and uses one optimiser per network (its documented usage, ``hook({**models, **data})``).

    pip install -e ".[bench]"      # pytorch-adapt 0.0.83 and what it needs, see pyproject.toml
    python benchmarks/peer_dann.py --steps 300 [--repeats 3] [--device cuda] [--clock cpu] [--layout nchw]

Without pytorch-adapt the peer column is left out and the reason printed.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput_dann  # noqa: E402
from common import save  # noqa: E402
from throughput_dann import collate_batches, lightning_loop, plain_loop  # noqa: E402

from tlzoo.methods import DANN  # noqa: E402
from tlzoo.methods.da.base import lr_factor  # noqa: E402
from tlzoo.nn.backbones import BackboneConfig  # noqa: E402


def peer_available() -> str:
    """An empty string if pytorch-adapt imports, else why not."""
    try:
        import pytorch_adapt  # noqa: F401
        from pytorch_adapt.hooks import DANNHook  # noqa: F401
    except Exception as err:  # noqa: BLE001 - reported in the table
        return f"{type(err).__name__}: {err}"
    return ""


def pytorch_adapt_loop(model: DANN, batches: list[dict], warmup: int, device: str) -> float:
    """The same DANN networks trained by pytorch-adapt's ``DANNHook``; returns steps/s after ``warmup``."""
    from pytorch_adapt.hooks import DANNHook

    model.to(device).train()
    cfg = model.optim_cfg
    generator = nn.Sequential(model.backbone, model.bottleneck)
    # pytorch-adapt's domain loss wants one logit per example: (N,), not (N, 1)
    discriminator = nn.Sequential(model.discriminator, nn.Flatten(0))
    models = {"G": generator, "C": model.classifier, "D": discriminator}
    opts = [torch.optim.SGD(m.parameters(), lr=cfg.lr, momentum=cfg.momentum) for m in models.values()]
    total = len(batches)
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: lr_factor(cfg, s / total)) for o in opts]
    hook = DANNHook(opts)
    n = len(batches[0]["source"][1])
    domains = {"src_domain": torch.zeros(n, dtype=torch.long, device=device),
               "target_domain": torch.ones(n, dtype=torch.long, device=device)}
    t0 = 0.0
    for i, batch in enumerate(batches):
        if i == warmup:
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = throughput_dann.clock()
        x_s, y_s = batch["source"]
        _, losses = hook({**models, "src_imgs": x_s, "src_labels": y_s, "target_imgs": batch["target"], **domains})
        for s in scheds:
            s.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (len(batches) - warmup) / (throughput_dann.clock() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    throughput_dann.add_loop_arguments(p)
    p.add_argument("--repeats", type=int, default=3, help="alternate the loops this many times")
    p.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                   help="cpu: CPU seconds of this process (use with OMP_NUM_THREADS=1 on a shared machine)")
    p.add_argument("--layout", default="channels_last", choices=["channels_last", "nchw"],
                   help="memory layout of the networks in all three loops (tlzoo's default: channels_last)")
    args = p.parse_args()
    if args.clock == "cpu":
        if args.device != "cpu":
            sys.exit("--clock cpu measures CPU work: use it with --device cpu")
        throughput_dann.clock = time.process_time
    torch.manual_seed(0)
    template = DANN(num_classes=10, input_shape=(1, 28, 28),
                    backbone=BackboneConfig(name="dann_digits", batch_norm=True,
                                            channels_last=args.layout == "channels_last"))
    batches = collate_batches(args.steps, args.batch_size, args.device)
    why_not = peer_available()
    runs: dict[str, list[float]] = {"tlzoo": [], "plain": []}
    if not why_not:
        runs["pytorch-adapt"] = []
    for _ in range(args.repeats):
        runs["plain"].append(plain_loop(copy.deepcopy(template), batches, args.warmup, args.device, None))
        runs["tlzoo"].append(lightning_loop(copy.deepcopy(template), batches, args.warmup, args.device, "32-true"))
        if not why_not:
            runs["pytorch-adapt"].append(pytorch_adapt_loop(copy.deepcopy(template), batches, args.warmup,
                                                            args.device))
    result: dict = {"device": args.device, "clock": args.clock, "layout": args.layout,
                    "steps": args.steps, "warmup": args.warmup,
                    "batch_size": args.batch_size,
                    "torch_threads": torch.get_num_threads(), "steps_per_s": runs,
                    "command": "python benchmarks/peer_dann.py " + " ".join(sys.argv[1:])}
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name()
    if why_not:
        result["pytorch_adapt_unavailable"] = why_not
    else:
        import pytorch_adapt

        result["pytorch_adapt_version"] = getattr(pytorch_adapt, "__version__", "?")
        result["tlzoo_over_pytorch_adapt_best"] = max(runs["tlzoo"]) / max(runs["pytorch-adapt"])
        result["tlzoo_over_pytorch_adapt_median"] = (statistics.median(runs["tlzoo"])
                                                     / statistics.median(runs["pytorch-adapt"]))
    result["tlzoo_over_plain_best"] = max(runs["tlzoo"]) / max(runs["plain"])
    print(f"{'loop':15s} {'best steps/s':>12s} {'median':>8s}   runs")
    for name, values in runs.items():
        print(f"{name:15s} {max(values):12.1f} {statistics.median(values):8.1f}   "
              + ", ".join(f"{v:.1f}" for v in values))
    if why_not:
        print(f"pytorch-adapt not run: {why_not}")
    else:
        print(f"tlzoo / pytorch-adapt: {result['tlzoo_over_pytorch_adapt_best']:.2f} (best), "
              f"{result['tlzoo_over_pytorch_adapt_median']:.2f} (median)")
    print(json.dumps({k: v for k, v in result.items() if k != "steps_per_s"}, indent=2))
    layout = "_nchw" if args.layout == "nchw" else ""
    print("saved", save(result, f"peer_dann_{args.device}_{args.clock}{layout}"))


if __name__ == "__main__":
    main()
