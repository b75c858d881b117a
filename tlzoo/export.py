"""``tlzoo export``: a trained network as a standalone TorchScript or ONNX file, for use without tlzoo.

    tlzoo export runs/.../checkpoints/last.ckpt --format torchscript --output generator.pt --size 256
    tlzoo export runs/.../checkpoints/last.ckpt --format onnx --output generator.onnx --size 32

What is exported is the method's :meth:`export_module` (translation methods: the A -> B generator;
classifiers: the whole network, images -> class logits), taking images in the method's input
normalisation (translation data: ``[-1, 1]``) and returning its output in the same convention.
ONNX export needs the ``onnx`` and ``onnxscript`` packages (``pip install "tlzoo[export]"``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tlzoo.errors import TLZooError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlzoo export", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a checkpoint written by `tlzoo fit`")
    parser.add_argument("--format", choices=["torchscript", "onnx"], default="torchscript")
    parser.add_argument("--output", required=True, help="file to write (.pt for TorchScript, .onnx for ONNX)")
    parser.add_argument("--size", type=int, nargs="+", default=[256],
                        help="input image size, H [W] (the example input that fixes the traced shapes)")
    return parser


def load_method(checkpoint: str | Path):  # noqa: ANN201 (a LightningModule)
    """The zoo method a ``tlzoo fit`` checkpoint holds, on the CPU, in eval mode."""
    from tlzoo.checkpoints import checkpoint_class_path, method_class, read_checkpoint

    path, state = read_checkpoint(checkpoint, "checkpoint")
    class_path = checkpoint_class_path(state)
    cls = method_class(class_path) if class_path and class_path.startswith("tlzoo.") else None
    if cls is None:
        raise TLZooError(f"{path} is not a checkpoint of a tlzoo method written by `tlzoo fit` (model class: "
                         f"{class_path or 'none'})")
    return cls.load_from_checkpoint(path, map_location="cpu").eval()


def export(checkpoint: str | Path, output: str | Path, fmt: str = "torchscript",
           size: tuple[int, int] = (256, 256)) -> Path:
    """Write the method's :meth:`export_module` to ``output``; returns the path."""
    import torch

    model = load_method(checkpoint)
    if not callable(getattr(model, "export_module", None)):
        raise TLZooError(f"{type(model).__name__} has no exportable image network (translation methods do)")
    module, channels = model.export_module()
    module.eval()
    example = torch.zeros(1, channels, *size).uniform_(-1, 1)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        if fmt == "torchscript":
            torch.jit.trace(module, example).save(str(out))
        else:
            try:
                import onnx  # noqa: F401
                import onnxscript  # noqa: F401
            except ImportError:
                raise TLZooError('ONNX export needs the onnx and onnxscript packages: pip install "tlzoo[export]"'
                                 ) from None
            torch.onnx.export(module, (example,), str(out), input_names=["image"], output_names=["output"])
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    size = tuple(args.size) if len(args.size) == 2 else (args.size[0], args.size[0])
    try:
        path = export(args.checkpoint, args.output, args.format, size)  # type: ignore[arg-type]
    except TLZooError as err:
        print(f"tlzoo export: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.format} model to {path}", file=sys.stderr)
    return 0
