"""Reference figures for docs/disentanglement.md: what a digit judge says about *real* digits.

The judge metrics of the conditional generators (``test/judge_acc``, ``test/fid_judge``, ``test/kid_judge``) are
computed on the test split of ``LabelledDigits`` (MNIST: 2,000 digits; UCI: 797). This script scores real images
the same way, as the ceiling / floor to read them against:

* ``judge_acc`` of the judge on the real test digits (what a perfect class-conditional generator would get);
* ``fid_judge`` / ``kid_judge`` between the real training digits and the real test digits (what a generator that
  reproduces the training images would get).

Usage::

    tlzoo fit -c experiments/disentangle/judge_labelled_mnist.yaml       # the judge (never sees the test digits)
    python benchmarks/disentangle_reference.py --judge runs/<run>/checkpoints/best-*.ckpt
    tlzoo fit -c experiments/disentangle/judge_labelled_uci.yaml
    python benchmarks/disentangle_reference.py --dataset uci --image-size 16 --batch-size 100 \
        --judge runs/<run>/checkpoints/last.ckpt

The training side is read through the training loader (full batches of ``--batch-size``: 2,500 of the 2,700
MNIST training digits at 250; all 900 UCI training digits at 100).
"""

from __future__ import annotations

import argparse
import json

import torch

from tlzoo.data.labelled import LabelledDigits
from tlzoo.metrics.image_quality import ImageTranslationMetrics
from tlzoo.metrics.judge import load_judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judge", required=True, help="checkpoint of a digit classifier trained by the zoo")
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "uci"], help="LabelledDigits' dataset")
    parser.add_argument("--image-size", type=int, default=28)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--kid-subset-size", type=int, default=100, help="as GenerationEval.kid_subset_size")
    args = parser.parse_args()
    torch.set_num_threads(1)
    judge = load_judge(args.judge)
    data = LabelledDigits(dataset=args.dataset, image_size=args.image_size, batch_size=args.batch_size)
    data.setup()
    metrics = ImageTranslationMetrics(fid=True, kid=True, features=[judge.features],
                                      kid_subset_size=args.kid_subset_size)
    correct = total = 0
    with torch.no_grad():
        for x, y in data.test_dataloader():
            x01 = data.spec.denormalize(x)
            correct += int((judge.predict(x01) == y).sum())
            total += len(y)
            metrics.update(x01, None)  # test digits play the "generated" side
        for x, _ in data.train_dataloader():
            metrics.update(None, data.spec.denormalize(x))
    scores = {k: float(v) for k, v in metrics.compute().items()}
    print(json.dumps({"judge_acc_real_test": correct / total, "real_train_vs_test": scores,
                      "protocol": data.protocol}, indent=2))


if __name__ == "__main__":
    main()
