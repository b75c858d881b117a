"""Where the time of the README's main job goes, piece by piece, in one process.

``tlzoo fit -c dann_digits`` (EmbeddedDigits UCI -> MNIST, source jitter on, 20 epochs of 46 steps,
then one validation per epoch). Timed here, each on the job's own data module and model:

* ``data_build``: loading both digit sets and splitting them (``setup``);
* ``train_loader_epoch``: drawing one epoch of training batches (46 steps of 64 + 64), with batched
  fetching (what the job uses) and with the per-image path it replaced (``__getitem__`` per image,
  torchvision's ``RandomAffine`` per image, ``default_collate``), which yields the same batches;
* ``val_loader_epoch``: drawing the validation batches (360 source + 2,000 target images), both ways;
* ``train_steps_epoch``: 46 optimisation steps of the DANN module (forward, backward, SGD) on ready batches;
* ``validation_forward``: the validation forward passes, ``adaptation_forward``: the label-free criteria's
  forward pass over the adaptation split (2,000 images), ``importance_validators``: IWCV / DEV's
  logistic regressions (once per validation).

Per-epoch figures; ``x 20`` gives the job's share. Medians of ``--repeats``.

    python benchmarks/throughput_main_job.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save  # noqa: E402


def timed(fn: Callable[[], object], repeats: int) -> float:
    values = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        values.append(time.perf_counter() - t0)
    return statistics.median(values)


def per_image_loaders(dm) -> dict:
    """The loaders as built before batched fetching: the same samplers and batches, fetched image by image."""
    from torch.utils.data import DataLoader, Dataset
    from torchvision.transforms import v2

    from tlzoo.data.base import EpochSeededSampler, Unlabeled
    from tlzoo.data.tensors import TensorImageDataset

    class PerItem(Dataset):
        def __init__(self, ds) -> None:
            self.ds = ds

        def __len__(self) -> int:
            return len(self.ds)

        def __getitem__(self, i):
            return self.ds[i]

    jitter = v2.RandomAffine(degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1))
    src = TensorImageDataset(dm.source_train.images, dm.source_train.labels, jitter)
    bs = dm.batch_size
    return {
        "source": DataLoader(PerItem(src), bs, sampler=EpochSeededSampler(src, dm.seed), drop_last=True),
        "target": DataLoader(PerItem(Unlabeled(dm.target_train)), bs,
                             sampler=EpochSeededSampler(dm.target_train, dm.seed), drop_last=True),
        "val": [DataLoader(PerItem(dm.source_val), bs), DataLoader(PerItem(dm.target_test), bs)],
    }


def train_epoch(loaders: dict) -> list:
    from lightning.pytorch.utilities import CombinedLoader

    combined = CombinedLoader({"source": loaders["source"], "target": loaders["target"]}, mode="max_size_cycle")
    return [batch for batch, _, _ in combined]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    from lightning.pytorch import seed_everything

    from tlzoo.data.digits import EmbeddedDigits
    from tlzoo.methods import DANN
    from tlzoo.nn.backbones import BackboneConfig

    seed_everything(0, verbose=False)
    r = args.repeats
    out: dict[str, float] = {}
    out["data_build"] = timed(lambda: EmbeddedDigits(source="uci", augment=True).setup("fit"), 1)
    dm = EmbeddedDigits(source="uci", augment=True, batch_size=64)
    dm.setup("fit")
    batched = {"source": None, "target": None}
    combined = dm.train_dataloader()
    batched["source"], batched["target"] = combined.flattened
    batched["val"] = dm.val_dataloader()
    reference = per_image_loaders(dm)
    out["train_loader_epoch_batched"] = timed(lambda: train_epoch(batched), r)
    out["train_loader_epoch_per_image"] = timed(lambda: train_epoch(reference), r)
    out["val_loader_epoch_batched"] = timed(lambda: [list(dl) for dl in batched["val"]], r)
    out["val_loader_epoch_per_image"] = timed(lambda: [list(dl) for dl in reference["val"]], r)

    model = DANN(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits", batch_norm=True))
    batches = train_epoch(batched)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def steps() -> None:
        model.train()
        for b in batches:
            x_s, y_s = b["source"]
            feats = model.features(torch.cat([x_s, b["target"]]))
            loss = torch.nn.functional.cross_entropy(model.classifier(feats[: len(x_s)]), y_s)
            d = model.discriminator(model.grl(feats)).squeeze(1)
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                d, torch.cat([torch.zeros(len(x_s)), torch.ones(len(b["target"]))]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    out["train_steps_epoch"] = timed(steps, r)
    val_batches = [list(dl) for dl in batched["val"]]

    def validation() -> None:
        model.eval()
        with torch.no_grad():
            for loader in val_batches:
                for x, _ in loader:
                    model(x)

    out["validation_forward"] = timed(validation, r)
    adapt_x = dm.target_train.images[:2000]

    def adaptation() -> torch.Tensor:
        model.eval()
        with torch.no_grad():
            return torch.cat([model.features((x - 0.5) / 0.5) for x in adapt_x.split(64)])

    out["adaptation_forward"] = timed(adaptation, r)
    try:
        from tlzoo.analysis.importance import importance_weighted_risks

        with torch.no_grad():
            feats_t = adaptation().flatten(1).numpy()
            xs, ys = dm.source_val.images, dm.source_val.labels
            fs = model.features((xs - 0.5) / 0.5)
            losses = torch.nn.functional.cross_entropy(model.classifier(fs), ys, reduction="none").numpy()
        out["importance_validators"] = timed(
            lambda: importance_weighted_risks(fs.flatten(1).numpy(), losses, feats_t), r)
    except ImportError as err:  # the validators are optional in older checkouts
        print("importance validators not timed:", err)
    import os

    result = {"seconds_per_epoch": out, "epochs_in_job": 20, "torch_threads": torch.get_num_threads(),
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "default"),
              "command": "python benchmarks/throughput_main_job.py " + " ".join(sys.argv[1:])}
    for name, seconds in out.items():
        print(f"{name:32s} {seconds:8.3f} s   x20 = {20 * seconds:7.1f} s" if name != "data_build"
              else f"{name:32s} {seconds:8.3f} s   (once)")
    for piece in ("train_loader_epoch", "val_loader_epoch"):
        speedup = out[f"{piece}_per_image"] / out[f"{piece}_batched"]
        result[f"{piece}_speedup"] = speedup
        print(f"{piece}: batched fetching {speedup:.1f}x faster than per image")
    print(json.dumps(result["seconds_per_epoch"], indent=2))
    print("saved", save(result, "throughput_main_job"))


if __name__ == "__main__":
    main()
