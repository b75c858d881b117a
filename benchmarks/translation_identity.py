"""The "no translation" baseline of an unpaired digit pair: the scores the translation metrics give to the
untranslated A images (A test digits scored as if they were translations into B).

Label preservation of the identity is the B judge's accuracy on raw A digits; ``fid_judge`` / ``kid_judge``
compare raw A and real B test digits in the judge's features. A translator is worth its keep where it
beats these on FID/KID (it made A look like B) without losing label preservation.

    python benchmarks/translation_identity.py --judge <MNIST judge ckpt> --source usps --usps-root <folder>
    python benchmarks/translation_identity.py --judge <MNIST judge ckpt> --source uci --data embedded

``--data unpaired`` (default) scores ``UnpairedDigits``' evaluation splits (what DualGAN / DiscoGAN / CycleGAN
are tested on); ``--data embedded`` scores ``EmbeddedDigits``' (28x28; A = the source validation digits, B =
the target test digits: what UNIT and DTN are tested on when they run on the embedded digits).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import torch

from tlzoo.data.digit_pairs import UnpairedDigits
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import TranslationEval
from tlzoo.metrics.translation import build_translation_metrics

Batch = tuple[tuple[torch.Tensor, torch.Tensor] | None, tuple[torch.Tensor, torch.Tensor] | None]


def unpaired_batches(args: argparse.Namespace) -> Iterator[Batch]:
    """``(A, B)`` evaluation batches of ``UnpairedDigits`` (either may be ``None``), images in [0, 1]."""
    data = UnpairedDigits(source=args.source, target=args.target, usps_root=args.usps_root,
                          image_size=args.image_size, batch_size=64)
    data.setup("test")
    for batch in data.test_dataloader():
        batch = batch[0] if isinstance(batch, tuple) else batch
        a, b = batch.get("A"), batch.get("B")
        yield ((data.spec_a.denormalize(a[0]), a[1]) if a is not None else None,
               (data.spec_b.denormalize(b[0]), b[1]) if b is not None else None)


def embedded_batches(args: argparse.Namespace) -> Iterator[Batch]:
    """``EmbeddedDigits``' evaluation splits: its source validation digits as A, its target test digits as B."""
    if (args.source, args.target) not in {("uci", "mnist"), ("mnist", "uci")}:
        raise SystemExit(f"--data embedded pairs uci and mnist, not {args.source} -> {args.target}")
    data = EmbeddedDigits(source=args.source, batch_size=64)
    data.setup("test")
    source_val, target_test = data.test_dataloader()
    for x, y in source_val:
        yield (data.spec_a.denormalize(x), y), None
    for x, y in target_test:
        yield None, (data.spec_b.denormalize(x), y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", required=True, help="checkpoint of a zoo classifier of domain B")
    parser.add_argument("--source", default="usps", choices=["uci", "usps", "mnist"])
    parser.add_argument("--target", default="mnist", choices=["uci", "usps", "mnist"])
    parser.add_argument("--data", default="unpaired", choices=["unpaired", "embedded"],
                        help="UnpairedDigits' evaluation splits or EmbeddedDigits' (28x28)")
    parser.add_argument("--usps-root", default="data/digits")
    parser.add_argument("--image-size", type=int, default=32, help="side of UnpairedDigits' images")
    args = parser.parse_args()
    torch.set_num_threads(1)
    metrics = build_translation_metrics(TranslationEval(judge_b=args.judge), "ab", paired=False)
    batches = unpaired_batches(args) if args.data == "unpaired" else embedded_batches(args)
    with torch.no_grad():
        for a, b in batches:
            metrics.update(a[0] if a is not None else None, b[0] if b is not None else None,
                           source_labels=a[1] if a is not None else None)
    scores = {k: float(v) for k, v in metrics.compute().items()}
    print(f"| identity {args.source} -> {args.target} ({args.data}) | "
          + " | ".join(f"{k} {v:.4f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
