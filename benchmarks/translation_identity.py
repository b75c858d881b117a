"""The "no translation" baseline of an unpaired digit pair: the scores the translation metrics give to the
untranslated A images (A test digits scored as if they were translations into B).

Label preservation of the identity is the B judge's accuracy on raw A digits; ``fid_judge`` / ``kid_judge``
compare raw A and real B test digits in the judge's features. A translator is worth its keep where it
beats these on FID/KID (it made A look like B) without losing label preservation.

    python benchmarks/translation_identity.py --judge <MNIST judge ckpt> --source usps --usps-root <folder>
"""

from __future__ import annotations

import argparse

import torch

from tlzoo.data.digit_pairs import UnpairedDigits
from tlzoo.methods import TranslationEval
from tlzoo.metrics.translation import build_translation_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", required=True, help="checkpoint of a zoo classifier of domain B")
    parser.add_argument("--source", default="usps", choices=["uci", "usps", "mnist"])
    parser.add_argument("--target", default="mnist", choices=["uci", "usps", "mnist"])
    parser.add_argument("--usps-root", default="data/digits")
    parser.add_argument("--image-size", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = UnpairedDigits(source=args.source, target=args.target, usps_root=args.usps_root,
                          image_size=args.image_size, batch_size=64)
    data.setup("test")
    metrics = build_translation_metrics(TranslationEval(judge_b=args.judge), "ab", paired=False)
    with torch.no_grad():
        for batch in data.test_dataloader():
            batch = batch[0] if isinstance(batch, tuple) else batch
            a, b = batch.get("A"), batch.get("B")
            fake = data.spec_a.denormalize(a[0]) if a is not None else None
            real = data.spec_b.denormalize(b[0]) if b is not None else None
            metrics.update(fake, real, source_labels=a[1] if a is not None else None)
    scores = {k: float(v) for k, v in metrics.compute().items()}
    print(f"| identity {args.source} -> {args.target} | " + " | ".join(f"{k} {v:.4f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
