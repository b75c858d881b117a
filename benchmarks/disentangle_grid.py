"""Draw the translation / generation grid of a trained UFDN or CDRD checkpoint on source validation images.

    python benchmarks/disentangle_grid.py RUN/checkpoints/last.ckpt OUT.png --usps-root D/usps --mnist-root D/mnist
    python benchmarks/disentangle_grid.py RUN/checkpoints/last.ckpt OUT.png --source uci   # embedded UCI -> MNIST

Rows (``image_grid`` of the method): UFDN: source | reconstruction | translation to the target;
CDRD: source | G_S(z, l) | G_T(z, l) with the source images' labels l (| source -> target for E-CDRD).
"""

from __future__ import annotations

import argparse

import torch

from tlzoo.callbacks.images import save_image_grid
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.usps_mnist import USPSMNIST
from tlzoo.methods import CDRD, UFDN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ckpt")
    parser.add_argument("out")
    parser.add_argument("--usps-root", help="USPS / MNIST in ADDA's protocol (USPSMNIST)")
    parser.add_argument("--mnist-root")
    parser.add_argument("--source", default="usps", help="source domain: usps / mnist, or uci for EmbeddedDigits")
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    kind = torch.load(args.ckpt, map_location="cpu", weights_only=False)["hyper_parameters"]
    method = CDRD if "disentangle_weight" in kind else UFDN
    model = method.load_from_checkpoint(args.ckpt, map_location="cpu").eval()
    if args.source == "uci":
        data = EmbeddedDigits(source="uci", batch_size=256)
    else:
        if not args.usps_root or not args.mnist_root:
            parser.error("--usps-root and --mnist-root are needed unless --source uci")
        data = USPSMNIST(source=args.source, usps_root=args.usps_root, mnist_root=args.mnist_root, split="adda",
                         batch_size=256)
    data.setup("fit")
    x, y = next(iter(data.val_dataloader()[0]))
    # one example of each class, in class order, so the rows read as an attribute sweep
    idx = torch.stack([torch.nonzero(y == k)[0, 0] for k in range(min(args.n, 10))])
    with torch.no_grad():
        rows = model.image_grid((x[idx], y[idx]))
    print(save_image_grid(rows, args.out))


if __name__ == "__main__":
    main()
