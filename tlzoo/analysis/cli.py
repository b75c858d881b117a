"""``tlzoo analyze``: t-SNE and proxy A-distance of a trained checkpoint's features.

    tlzoo analyze --config experiments/dann_digits.yaml --ckpt_path runs/.../best.ckpt --out analysis/ \\
        [--tsne] [--a-distance] [--split eval|train] [--max-per-domain 1000] [--data.root DIR ...]

(until ``tlzoo analyze`` is dispatched here: ``python -m tlzoo.analysis.cli ...``). The model and the data
module are built from the same YAML files as ``tlzoo fit`` (any further ``--data.*`` / ``--model.*``
flags are passed through), the checkpoint's weights are loaded, and features of the source and target
evaluation splits (``--split eval``: source val + target test; ``train``: source train + target
adaptation split) are written as:

* ``<out>/tsne.png``: t-SNE, colour = class, marker = domain (``--tsne``);
* ``<out>/analysis.json``: proxy A-distance (``--a-distance``), plus the accuracies, target prediction
  entropy, SND and mutual information of those features' predictions, the sizes and the data protocol.

With neither ``--tsne`` nor ``--a-distance`` both are done.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tlzoo.analysis.features import FeatureSet
from tlzoo.errors import TLZooError


def analyze_features(source: FeatureSet, target: FeatureSet, out_dir: str | Path, tsne: bool = True,
                     a_distance: bool = True, seed: int = 0, max_per_domain: int | None = 1000,
                     title: str | None = None) -> dict[str, Any]:
    """Write ``tsne.png`` (if ``tsne``) and return a dict of numbers (PAD if ``a_distance``, accuracies,
    target entropy / SND / mutual information of the target predictions)."""
    from tlzoo.analysis.a_distance import proxy_a_distance
    from tlzoo.analysis.tsne import tsne_plot
    from tlzoo.analysis.validators import mutual_information, soft_neighborhood_density
    from tlzoo.methods.da.base import prediction_entropy

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "n_source": len(source),
        "n_target": len(target),
        "source_acc": source.accuracy(),
        "target_acc": target.accuracy(),
        "target_entropy": float(prediction_entropy(target.logits).mean()),
        "target_snd": float(soft_neighborhood_density(target.logits)) if len(target) >= 2 else None,
        "target_mutual_info": float(mutual_information(target.logits)),
    }
    if a_distance:
        pad = proxy_a_distance(source.features, target.features, max_per_domain=max_per_domain, seed=seed)
        result["proxy_a_distance"] = pad.pad
        result["proxy_a_distance_detail"] = pad.as_dict()
    if tsne:
        result["tsne_png"] = str(tsne_plot(source, target, out / "tsne.png", seed=seed,
                                           max_per_domain=max_per_domain, title=title))
    return result


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tlzoo analyze",
        description="t-SNE and proxy A-distance of a checkpoint's source/target features. Unknown flags "
                    "(e.g. --data.root DIR) are passed to the config parser of `tlzoo fit`.")
    p.add_argument("-c", "--config", action="append", required=True, help="YAML config(s) used for fit")
    p.add_argument("--ckpt_path", "--ckpt-path", dest="ckpt_path", required=True, help="checkpoint to analyse")
    p.add_argument("--out", required=True, help="output folder (tsne.png, analysis.json)")
    p.add_argument("--tsne", action="store_true", help="write the t-SNE plot")
    p.add_argument("--a-distance", "--a_distance", dest="a_distance", action="store_true",
                   help="compute the proxy A-distance")
    p.add_argument("--split", choices=("eval", "train"), default="eval",
                   help="eval: source val + target test; train: source train + target adaptation split")
    p.add_argument("--max-per-domain", type=int, default=1000, help="examples per domain (random, fixed seed)")
    p.add_argument("--seed", type=int, default=0)
    return p


def load_from_config(configs: list[str], ckpt_path: str | Path, extra: list[str] | None = None) -> tuple[Any, Any]:
    """Build ``(model, datamodule)`` from fit YAMLs (+ ``extra`` CLI flags) and load ``ckpt_path``'s weights."""

    from tlzoo.checkpoints import read_checkpoint
    from tlzoo.cli import TLZooCLI
    from tlzoo.experiment_configs import resolve_config

    ckpt_path, ckpt = read_checkpoint(ckpt_path, hint="--ckpt_path: a .ckpt written by `tlzoo fit`")
    args = [a for c in configs for a in ("-c", resolve_config(c))] + list(extra or [])
    args += ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]
    cli = TLZooCLI(args=args, run=False)
    state = ckpt.get("state_dict", ckpt)
    missing, unexpected = cli.model.load_state_dict(state, strict=False)
    if missing:
        raise TLZooError(f"checkpoint {ckpt_path} does not match the model of {configs}: missing {missing[:5]}...")
    if unexpected:
        print(f"tlzoo analyze: ignoring {len(unexpected)} unexpected checkpoint keys", file=sys.stderr)
    datamodule = cli.datamodule
    datamodule.setup("validate")
    return cli.model, datamodule


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tlzoo analyze``; returns the exit code."""
    parser = _parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    do_tsne, do_pad = args.tsne, args.a_distance
    if not do_tsne and not do_pad:
        do_tsne = do_pad = True
    try:
        from tlzoo.analysis.features import domain_feature_sets

        model, dm = load_from_config(args.config, args.ckpt_path, extra)
        src, tgt = domain_feature_sets(model, dm, split=args.split, max_per_domain=args.max_per_domain,
                                       seed=args.seed)
        title = f"{type(model).__name__}: {Path(args.ckpt_path).name} ({args.split} splits)"
        result = analyze_features(src, tgt, args.out, tsne=do_tsne, a_distance=do_pad, seed=args.seed,
                                  max_per_domain=args.max_per_domain, title=title)
    except TLZooError as err:
        print(f"tlzoo analyze: error: {err}", file=sys.stderr)
        return 2
    result.update({"config": args.config, "ckpt_path": str(args.ckpt_path), "split": args.split,
                   "protocol": getattr(dm, "protocol", ""), "method": type(model).__name__})
    out = Path(args.out)
    (out / "analysis.json").write_text(json.dumps(result, indent=2))
    summary = {k: v for k, v in result.items() if isinstance(v, (int, float)) and v is not None}
    print(json.dumps(summary), file=sys.stdout)
    print(f"wrote {out / 'analysis.json'}" + (f" and {result['tsne_png']}" if "tsne_png" in result else ""),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
