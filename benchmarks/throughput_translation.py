"""Training throughput of the translation methods (images/s), per precision, on random 32 px digits-sized data.

    python benchmarks/throughput_translation.py --device cuda --precision 32-true bf16-mixed 16-mixed
    python benchmarks/throughput_translation.py --device cpu --steps 20

Networks as in experiments/translation/cyclegan_usps_mnist.yaml and pix2pix_mnistm.yaml; batches of 32.
Writes bench_results/throughput_translation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from lightning.pytorch import Callback, Trainer, seed_everything

from tlzoo.data.base import Unlabeled
from tlzoo.data.digit_pairs import PairedTensorDataset
from tlzoo.data.spec import ImageSpec
from tlzoo.data.translation import TranslationDataModule
from tlzoo.data.usps_mnist import ByteImageDataset
from tlzoo.methods import CycleGAN, Pix2Pix


class RandomDigits(TranslationDataModule):
    def __init__(self, channels: int, paired: bool, n: int = 2048, batch_size: int = 32) -> None:
        super().__init__(batch_size=batch_size)
        self.paired, self.n, self.channels = paired, n, channels
        self.set_specs(ImageSpec.symmetric(channels, 32), ImageSpec.symmetric(channels, 32))

    def build(self) -> None:
        g = torch.Generator().manual_seed(0)
        a = torch.randint(0, 256, (self.n, self.channels, 32, 32), generator=g, dtype=torch.uint8)
        b = 255 - a
        y = torch.zeros(self.n, dtype=torch.long)
        if self.paired:
            self.train_pairs = PairedTensorDataset(a, b, None)
        else:
            self.train_a, self.train_b = Unlabeled(ByteImageDataset(a, y)), Unlabeled(ByteImageDataset(b, y))
        self.eval_a, self.eval_b = ByteImageDataset(a[:64], y[:64]), ByteImageDataset(b[:64], y[:64])


class Timer(Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.end = warmup, 0.0, 0.0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # type: ignore[override]
        if trainer.global_step == self.warmup:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.start = time.perf_counter()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.end = time.perf_counter()


def measure(method: str, device: str, precision: str, steps: int, warmup: int) -> float:
    seed_everything(0)
    if method == "cyclegan":
        model = CycleGAN(channels_a=1, channels_b=1, base_channels=32, residual_blocks=6, discriminator_layers=2)
        data = RandomDigits(1, paired=False)
    else:
        model = Pix2Pix(channels_a=3, channels_b=3, num_downs=5, base_channels=32, discriminator_layers=2)
        data = RandomDigits(3, paired=True)
    timer = Timer(warmup)
    trainer = Trainer(accelerator="gpu" if device == "cuda" else "cpu", devices=1, precision=precision,
                      max_steps=warmup + steps, limit_val_batches=0, logger=False, enable_progress_bar=False,
                      enable_checkpointing=False, enable_model_summary=False, callbacks=[timer])
    trainer.fit(model, data)
    return steps * data.batch_size / (timer.end - timer.start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", nargs="+", default=["32-true"])
    parser.add_argument("--methods", nargs="+", default=["cyclegan", "pix2pix"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if args.device == "cuda":
        torch.backends.cudnn.benchmark = True
    rows = []
    for method in args.methods:
        for precision in args.precision:
            ips = measure(method, args.device, precision, args.steps, args.warmup)
            rows.append({"method": method, "device": args.device, "precision": precision, "images_per_s": ips,
                         "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
                         "threads": torch.get_num_threads()})
            print(f"| {method} | {args.device} | {precision} | {ips:.0f} images/s |", flush=True)
    out = Path(os.environ.get("BENCH_DIR", "bench_results"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput_translation.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
