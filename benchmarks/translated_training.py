"""Pixel-level adaptation by translation: train a classifier on source images translated to the target
style by a trained CycleGAN, test it on real target images, beside the same classifier trained on the
raw source images (source only).

    python benchmarks/translated_training.py --ckpt runs/.../checkpoints/last.ckpt \\
        --source usps --target mnist --usps-root <folder with usps.h5> --seeds 0 1 2

The source training images and labels are the data module's domain-A training split (labels are used
here, for the classifier, never by the CycleGAN); the test set is domain B's labelled evaluation split.
Classifier: LeNet (500-d) + linear layer, Adam 1e-3, ``--epochs`` epochs, batch 128.
Writes bench_results/translated_training.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tlzoo.data.digit_pairs import UnpairedDigits
from tlzoo.export import load_method
from tlzoo.nn.backbones import BackboneConfig, build_backbone


def _tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: ANN001 (a ByteImageDataset)
    x, y = zip(*(dataset[i] for i in range(len(dataset))))
    return torch.stack(x), torch.as_tensor(y)


@torch.no_grad()
def translate(generator: nn.Module, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([generator(images[i:i + batch]) for i in range(0, len(images), batch)])


DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def train_and_test(x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor, epochs: int,
                   seed: int) -> float:
    torch.manual_seed(seed)
    body = build_backbone(BackboneConfig(name="lenet"), tuple(x.shape[1:]))
    model = nn.Sequential(body, nn.Linear(body.out_dim, 10)).to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb.to(DEVICE)), yb.to(DEVICE)).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x_test[i:i + 512].to(DEVICE)).argmax(1).cpu() for i in range(0, len(x_test), 512)])
    return float((pred == y_test).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", required=True, help="CycleGAN checkpoint (A = source, B = target)")
    parser.add_argument("--source", default="usps")
    parser.add_argument("--target", default="mnist")
    parser.add_argument("--usps-root", default="data/digits")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    data = UnpairedDigits(source=args.source, target=args.target, usps_root=args.usps_root)
    data.setup("fit")
    x_src, y_src = _tensors(data.train_a.dataset)  # type: ignore[union-attr]
    x_test, y_test = _tensors(data.eval_b)
    generator = load_method(args.ckpt).generator_ab
    x_translated = translate(generator, x_src)
    rows = {"source only": [], "trained on translated source": []}
    for seed in args.seeds:
        rows["source only"].append(train_and_test(x_src, y_src, x_test, y_test, args.epochs, seed))
        rows["trained on translated source"].append(
            train_and_test(x_translated, y_src, x_test, y_test, args.epochs, seed))
    result = {name: {"mean": statistics.mean(v), "std": statistics.pstdev(v), "per_seed": v}
              for name, v in rows.items()}
    for name, r in result.items():
        per_seed = ", ".join(f"{100 * v:.1f}" for v in r["per_seed"])
        print(f"| {args.source} -> {args.target} | {name} | {100 * r['mean']:.1f} ± {100 * r['std']:.1f} "
              f"({per_seed}) |")
    out = Path(os.environ.get("BENCH_DIR", "bench_results"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "translated_training.json").write_text(json.dumps({"ckpt": args.ckpt, **result}, indent=1))


if __name__ == "__main__":
    main()
