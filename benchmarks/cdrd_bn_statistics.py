"""How much of a CDRD checkpoint's accuracy BatchNorm's running statistics cost its auxiliary classifier.

CDRD (Liu et al., CVPR 2018) classifies with the auxiliary head of its discriminator, whose shared layers ``D_C``
see real source, real target and synthetic batches of both domains, one batch at a time. In training mode each
batch is normalised with its own statistics; at evaluation a BatchNorm layer uses running statistics averaged
over all of those batches, which match none of them. This script evaluates the held-out source and target images
of a checkpoint (``val/source_acc``, ``val/target_acc`` as logged) and again after recomputing the running
statistics from that domain's real *training* images only (the labelled source split, the unlabelled target
adaptation split, shuffled, batches of 64), through that domain's branch (AdaBN's recipe, Li et al. 2016;
:func:`tlzoo.nn.adabn.adapt_batchnorm`).
A checkpoint without BatchNorm in ``D_C`` (``networks: paper`` or ``discriminator_norm: none``) gives the same
numbers twice.

    python benchmarks/cdrd_bn_statistics.py RUN/checkpoints/last.ckpt                         # UCI -> MNIST
    python benchmarks/cdrd_bn_statistics.py RUN/checkpoints/last.ckpt --usps-root D/usps --mnist-root D/mnist

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.usps_mnist import USPSMNIST
from tlzoo.export import load_method
from tlzoo.methods.disentangle.cdrd import SOURCE, TARGET
from tlzoo.nn.adabn import adapt_batchnorm, batchnorm_state, load_batchnorm_state

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import stack_dataset  # noqa: E402


@torch.no_grad()
def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, domain: int) -> float:
    logits = torch.cat([model.discriminator(x[i:i + 256], domain)[1] for i in range(0, len(x), 256)])
    return float((logits.argmax(1) == y).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ckpt")
    parser.add_argument("--usps-root", help="USPS -> MNIST (ADDA protocol) instead of the embedded UCI -> MNIST")
    parser.add_argument("--mnist-root")
    parser.add_argument("--source", default=None, help="the data's source domain (uci / usps by default)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_method(args.ckpt).eval()
    if args.usps_root:
        data = USPSMNIST(source=args.source or "usps", usps_root=args.usps_root, mnist_root=args.mnist_root)
    else:
        data = EmbeddedDigits(source=args.source or "uci")
    data.setup("fit")
    (xs, ys), (xt, yt) = stack_dataset(data.source_val), stack_dataset(data.target_test)
    result = {"ckpt": args.ckpt, "source_acc": _accuracy(model, xs, ys, SOURCE),
              "target_acc": _accuracy(model, xt, yt, TARGET)}
    trained = batchnorm_state(model.discriminator)
    for name, train, x, y, domain in (("source", data.source_train, xs, ys, SOURCE),
                                      ("target", data.target_train, xt, yt, TARGET)):
        load_batchnorm_state(model.discriminator, trained)
        images = stack_dataset(train)[0]
        shuffled = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(0))]
        adapt_batchnorm(model.discriminator, shuffled.split(64),
                        forward=lambda d, batch, domain=domain: d(batch, domain))
        result[f"{name}_acc_own_statistics"] = _accuracy(model, x, y, domain)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
