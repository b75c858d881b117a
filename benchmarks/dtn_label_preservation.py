"""DTN's measure on a source TEST split: a target-domain judge labels the translated source test digits.

Taigman et al. (ICLR 2017, Sec. 5.1) report the accuracy of a MNIST classifier on SVHN *test* digits translated
by ``G = g . f`` (84.44%). ``tlzoo fit`` with a domain-adaptation data module (``dtn_usps_mnist.yaml``) scores
held-out source *validation* digits; this script scores the source domain's official test split of
:class:`tlzoo.data.digit_pairs.UnpairedDigits` (USPS test: 2,007 digits) with a trained DTN checkpoint, beside
the same judge on the untranslated digits (what translation adds)::

    python benchmarks/dtn_label_preservation.py --ckpt runs/.../checkpoints/last.ckpt \\
        --judge <MNIST judge checkpoint> --source usps --target mnist --usps-root <folder with usps.h5>

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json

import torch

from tlzoo.data.digit_pairs import UnpairedDigits
from tlzoo.export import load_method
from tlzoo.metrics.judge import load_judge


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True, help="DTN checkpoint written by tlzoo fit")
    parser.add_argument("--judge", required=True, help="checkpoint of a classifier of the target domain")
    parser.add_argument("--source", default="usps")
    parser.add_argument("--target", default="mnist")
    parser.add_argument("--usps-root", default="data/digits")
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_method(args.ckpt)
    size = int((model.hparams.get("input_shape") or [model.hparams["image_size"]])[-1])
    data = UnpairedDigits(source=args.source, target=args.target, usps_root=args.usps_root, image_size=size,
                          channels=int(model.hparams["channels_a"]))
    data.setup("test")
    judge = load_judge(args.judge)
    x, y = zip(*(data.eval_a[i] for i in range(len(data.eval_a))))
    images, labels = torch.stack(x), torch.as_tensor(y)
    correct_translated = correct_raw = 0
    for i in range(0, len(images), args.batch):
        xb, yb = images[i:i + args.batch], labels[i:i + args.batch]
        fake01 = model.translate(xb).add(1).div(2).clamp(0, 1)  # the digit modules' [-1, 1] -> [0, 1]
        correct_translated += int((judge.predict(fake01) == yb).sum())
        correct_raw += int((judge.predict(xb.add(1).div(2)) == yb).sum())
    n = len(labels)
    print(json.dumps({"source_test": f"{args.source} test ({n} digits)", "judge": args.judge,
                      "label_preservation": correct_translated / n, "judge_on_raw_source": correct_raw / n}))


if __name__ == "__main__":
    main()
