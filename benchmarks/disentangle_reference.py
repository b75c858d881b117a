"""Reference figures for docs/disentanglement.md: what a MNIST judge says about *real* digits.

The judge metrics of the conditional generators (``test/judge_acc``, ``test/fid_judge``, ``test/kid_judge``) are
computed on the 2,000-digit test split of ``LabelledDigits(dataset="mnist")``. This script scores real images the
same way, as the ceiling / floor to read them against:

* ``judge_acc`` of the judge on the real test digits (what a perfect class-conditional generator would get);
* ``fid_judge`` / ``kid_judge`` between the real train-pool digits (2,700) and the real test digits (2,000) (what a
  generator that reproduces the training images would get).

Usage::

    tlzoo fit -c experiments/disentangle/judge_labelled_mnist.yaml       # the judge (never sees the test digits)
    python benchmarks/disentangle_reference.py --judge runs/<run>/checkpoints/best-*.ckpt
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
    parser.add_argument("--judge", required=True, help="checkpoint of a MNIST classifier trained by the zoo")
    parser.add_argument("--image-size", type=int, default=28)
    parser.add_argument("--kid-subset-size", type=int, default=100, help="as GenerationEval.kid_subset_size")
    args = parser.parse_args()
    torch.set_num_threads(1)
    judge = load_judge(args.judge)
    data = LabelledDigits(dataset="mnist", image_size=args.image_size, batch_size=250)
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
