"""InfoGAN probe: how fast the categorical code becomes a digit clustering, for a few training choices.

A plain PyTorch loop over the same :class:`tlzoo.methods.InfoGAN` objective as ``tlzoo fit`` (a D + Q step on
``info_loss`` and the GAN loss, then a G step on both; Adam with beta1 0.5), without Lightning, evaluation grids or
checkpoints, so that short comparisons fit a busy CPU. Every ``--every`` batches it prints ``cluster_acc`` (Q's code
``argmax Q(c | x)`` on the 2,000 real test digits of ``LabelledDigits(dataset="mnist")``, Hungarian-matched to the
labels, as ``test/cluster_acc``) and ``mi_cat`` (the last batch's categorical cross-entropy, ``-L_I`` up to
``H(c) = ln 10``). The labels are used for this score only.

Usage (docs/disentanglement.md)::

    OMP_NUM_THREADS=1 python benchmarks/disentangle_infogan_probe.py --steps 1500 --noise normal
    OMP_NUM_THREADS=1 python benchmarks/disentangle_infogan_probe.py --steps 1500 --noise uniform
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from tlzoo.data.labelled import LabelledDigits
from tlzoo.methods import InfoGAN
from tlzoo.metrics.clustering import PairCounts, hungarian_accuracy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=1500, help="training batches")
    p.add_argument("--every", type=int, default=250, help="evaluate every this many batches")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gch", type=int, default=32, help="generator base_channels")
    p.add_argument("--dch", type=int, default=32, help="discriminator_channels")
    p.add_argument("--glr", type=float, default=1e-3, help="G learning rate (paper 1e-3)")
    p.add_argument("--dlr", type=float, default=2e-4, help="D and Q learning rate (paper 2e-4)")
    p.add_argument("--qing", type=int, default=0, help="1: Q's head is also updated in the G step (at --glr)")
    p.add_argument("--lcat", type=float, default=1.0)
    p.add_argument("--lcont", type=float, default=0.1)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--qhidden", type=int, default=128)
    p.add_argument("--noise", default="normal", choices=["normal", "uniform"])
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    data = LabelledDigits(dataset="mnist", seed=a.seed, batch_size=a.bs)
    data.setup("fit")
    m = InfoGAN(base_channels=a.gch, discriminator_channels=a.dch, lambda_cat=a.lcat, lambda_cont=a.lcont,
                q_hidden=a.qhidden, noise=a.noise)
    g_params = list(m.generator.parameters()) + (list(m.q_head.parameters()) if a.qing else [])
    opt_g = torch.optim.Adam(g_params, a.glr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(m.discriminator.parameters()) + list(m.q_head.parameters()), a.dlr,
                             betas=(0.5, 0.999))

    def cluster_acc() -> float:
        m.eval()
        counts = PairCounts(10, 10)
        with torch.no_grad():
            for x, y in data.test_dataloader():
                counts.update(m.predict_code(x), y)
        m.train()
        return float(hungarian_accuracy(counts.compute())[0])

    start, step = time.time(), 0
    while step < a.steps:
        for x, _ in data.train_dataloader():
            codes = torch.randint(10, (len(x),))
            noise = m.sample_noise(len(x))
            fake = m.generate(noise, codes)
            d_loss = m.losses(x, fake, codes, noise, "discriminator")["total"]
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            parts = m.losses(x, fake, codes, noise, "generator")
            opt_g.zero_grad()
            parts["total"].backward()
            opt_g.step()
            step += 1
            if step % a.every == 0:
                print(json.dumps(vars(a) | {"step": step, "min": round((time.time() - start) / 60, 1),
                                            "cluster_acc": round(cluster_acc(), 4),
                                            "mi_cat": round(float(parts["cat"]), 3)}), flush=True)
            if step >= a.steps:
                break


if __name__ == "__main__":
    main()
