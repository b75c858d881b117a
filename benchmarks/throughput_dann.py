"""Training throughput of the DANN LightningModule vs. a plain PyTorch loop, in one run.

Both loops train the same networks (two copies with identical initial weights) on the same,
pre-collated batches from experiments/dann_digits.yaml's data, with the same optimiser and
schedules, and the same per-step work (the plain loop reads the three logged scalars, as
Lightning's logging does). Reported: steps/s of each and the ratio lightning / plain.

    python benchmarks/throughput_dann.py --steps 300 [--device cuda] [--precision bf16-mixed]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402
from lightning.pytorch import Callback, Trainer, seed_everything  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from tlzoo.data.digits import EmbeddedDigits  # noqa: E402
from tlzoo.methods import DANN  # noqa: E402
from tlzoo.methods.da.base import OptimConfig, lr_factor  # noqa: E402
from tlzoo.methods.da.dann import domain_adversarial_loss  # noqa: E402
from tlzoo.nn.backbones import BackboneConfig  # noqa: E402

#: The clock the loops read: wall time, or ``time.process_time`` (CPU seconds of this process; with one thread,
#: less sensitive to other jobs on a shared machine). Set by the callers (``peer_dann.py --clock cpu``).
clock = time.perf_counter


def collate_batches(n: int, batch_size: int, device: str) -> list[dict]:
    dm = EmbeddedDigits(batch_size=batch_size)
    dm.setup()
    batches = []
    while len(batches) < n:
        for batch, _, _ in dm.train_dataloader():
            x_s, y_s = batch["source"]
            batches.append({"source": (x_s.to(device), y_s.to(device)), "target": batch["target"].to(device)})
            if len(batches) == n:
                break
    return batches


def plain_loop(model: DANN, batches: list[dict], warmup: int, device: str, autocast_dtype) -> float:
    """The DANN algorithm written as a bare PyTorch loop; returns steps/s after ``warmup`` steps."""
    model.to(device).train()
    cfg = model.optim_cfg
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    total = len(batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(cfg, s / total))
    model.grl.total_steps = total
    t0 = 0.0
    for i, batch in enumerate(batches):
        if i == warmup:
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = clock()
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        with torch.autocast(device_type=device, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            feats = model.features(torch.cat([x_s, x_t]))
            cls_loss = F.cross_entropy(model.classifier(feats[: len(x_s)]), y_s)
            d = model.discriminator(model.grl(feats)).squeeze(1)
            dom_loss = domain_adversarial_loss(d[: len(x_s)], d[len(x_s):])
            loss = cls_loss + dom_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        model.grl.step()
        _ = (cls_loss.detach(), dom_loss.detach(), model.grl.coeff)  # what Lightning logs
    if device == "cuda":
        torch.cuda.synchronize()
    return (len(batches) - warmup) / (clock() - t0)


class _Timer(Callback):
    def __init__(self, warmup: int, device: str) -> None:
        self.warmup, self.device, self.t0, self.t1, self.n = warmup, device, 0.0, 0.0, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == self.warmup:
            if self.device == "cuda":
                torch.cuda.synchronize()
            self.t0 = clock()

    def on_train_end(self, trainer, pl_module) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()
        self.t1 = clock()
        self.n = trainer.global_step - self.warmup


def lightning_loop(model: DANN, batches: list[dict], warmup: int, device: str, precision: str) -> float:
    timer = _Timer(warmup, device)
    loader = DataLoader(batches, batch_size=None, shuffle=False)
    trainer = Trainer(
        max_steps=len(batches), max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0, accelerator=device, devices=1,
        precision=precision, callbacks=[timer],
    )
    model.optim_cfg = OptimConfig(name="sgd", lr=model.optim_cfg.lr, momentum=model.optim_cfg.momentum)
    trainer.fit(model, train_dataloaders=loader)
    return timer.n / (timer.t1 - timer.t0)


def add_loop_arguments(p: argparse.ArgumentParser) -> None:
    """The options every throughput comparison takes: steps, warm-up steps, batch size, device."""
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_loop_arguments(p)
    p.add_argument("--precision", default="32-true", choices=["32-true", "16-mixed", "bf16-mixed"])
    p.add_argument("--repeats", type=int, default=3, help="alternate plain/Lightning this many times")
    args = p.parse_args()
    dtype = {"32-true": None, "16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}[args.precision]
    if args.precision == "16-mixed":
        sys.exit("use 32-true or bf16-mixed: the plain loop has no GradScaler, so fp16 would not compare like for like")
    seed_everything(0)
    template = DANN(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    batches = collate_batches(args.steps, args.batch_size, args.device)
    plain, light = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(copy.deepcopy(template), batches, args.warmup, args.device, dtype))
        light.append(lightning_loop(copy.deepcopy(template), batches, args.warmup, args.device, args.precision))
    best_plain, best_light = max(plain), max(light)
    result = {"device": args.device, "precision": args.precision, "steps": args.steps, "batch_size": args.batch_size,
              "torch_threads": torch.get_num_threads(), "plain_steps_per_s": plain, "lightning_steps_per_s": light,
              "ratio_best": best_light / best_plain,
              "ratio_median": sorted(light)[len(light) // 2] / sorted(plain)[len(plain) // 2]}
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name()
    print(json.dumps(result, indent=2))
    print("saved", save(result, f"throughput_dann_{args.device}_{args.precision}"))


if __name__ == "__main__":
    main()
