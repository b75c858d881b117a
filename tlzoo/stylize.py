"""``tlzoo stylize``: neural style transfer of one image, optimised (Gatys et al.) or with a trained network (Johnson).

::

    tlzoo stylize --content photo.jpg --style painting.jpg --output out.png                 # Gatys, L-BFGS
    tlzoo stylize --content photo.jpg --output out.png --method johnson --checkpoint runs/.../last.ckpt
    tlzoo stylize --content skimage:astronaut --style skimage:immunohistochemistry --output out.png \
        --size 128 --steps 100 --allow-random-weights          # offline demo: random VGG weights (said so)

Writes the stylised image at ``--output`` and a grid ``content | style | result`` next to it
(``<output stem>_grid.png``). Images are given as file paths or ``skimage:<name>`` (scikit-image's bundled
photographs). ``--method gatys`` needs the ImageNet VGG-19 weights (torch hub cache); ``--method johnson`` needs
only the checkpoint (its style image is shown in the grid when it can still be read).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from tlzoo.errors import TLZooError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tlzoo stylize", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", required=True, help="content image: a file or skimage:<name>")
    parser.add_argument("--style", help="style image: a file or skimage:<name> (gatys: required)")
    parser.add_argument("--output", required=True, help="where to write the stylised PNG")
    parser.add_argument("--method", choices=("gatys", "johnson"), default="gatys")
    parser.add_argument("--checkpoint", help="johnson: a JohnsonStyleTransfer checkpoint (tlzoo fit)")
    parser.add_argument("--size", type=int, default=256, help="longer side of the content image, in pixels")
    parser.add_argument("--steps", type=int, default=300, help="gatys: loss evaluations")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs", help="gatys: optimiser")
    parser.add_argument("--init", choices=("content", "noise", "style"), default="content", help="gatys: start image")
    parser.add_argument("--content-weight", type=float, default=1.0, help="gatys: alpha")
    parser.add_argument("--style-weight", type=float, default=1e3, help="gatys: beta")
    parser.add_argument("--tv-weight", type=float, default=0.0, help="gatys: total variation weight")
    parser.add_argument("--allow-random-weights", action="store_true",
                        help="gatys: random VGG-19 weights if the ImageNet ones are absent (a demo, not art)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _gatys(args: argparse.Namespace, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, str]:
    from tlzoo.data.content_images import read_rgb
    from tlzoo.methods.style.gatys import GatysStyleTransfer

    if not args.style:
        raise TLZooError("--method gatys needs --style <image>")
    style = read_rgb(args.style, args.size).to(args.device)
    torch.manual_seed(args.seed)
    model = GatysStyleTransfer(args.content_weight, args.style_weight, args.tv_weight,
                               allow_random_weights=args.allow_random_weights).to(args.device)
    result = model.stylize(content, style, steps=args.steps, optimizer=args.optimizer, init=args.init,
                           seed=args.seed)
    first, last = result.history[0], result.history[-1]
    print(f"gatys ({model.weights_source} VGG-19 weights): {len(result.history)} evaluations; content loss "
          f"{first['content']:.4g} -> {last['content']:.4g}, style loss {first['style']:.4g} -> {last['style']:.4g}",
          file=sys.stderr)
    return result.image, style, model.weights_source


def _johnson(args: argparse.Namespace, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    from tlzoo.data.content_images import read_rgb
    from tlzoo.methods.style.johnson import JohnsonStyleTransfer

    if not args.checkpoint:
        raise TLZooError("--method johnson needs --checkpoint <a JohnsonStyleTransfer checkpoint from tlzoo fit>")
    if not Path(args.checkpoint).is_file():
        raise TLZooError(f"checkpoint not found: {args.checkpoint} (--checkpoint)")
    try:
        model = JohnsonStyleTransfer.load_from_checkpoint(args.checkpoint, map_location=args.device)
    except (KeyError, TypeError, RuntimeError) as err:
        raise TLZooError(f"{args.checkpoint} is not a JohnsonStyleTransfer checkpoint ({type(err).__name__}: "
                         f"{err})") from None
    model.eval()
    with torch.no_grad():
        image = model(content)
    style_ref = args.style or model.style_image
    try:
        style = read_rgb(style_ref, args.size).to(args.device)
    except TLZooError:
        style = None  # the training style image is not readable here: the grid shows content | result
    print(f"johnson: stylised with the network of {args.checkpoint} (style {model.style_image})", file=sys.stderr)
    return image, style, "not used"


def main(argv: list[str]) -> int:
    """Run ``tlzoo stylize``; returns the exit status (2 for a user error)."""
    args = build_parser().parse_args(argv)
    try:
        from torchvision.utils import save_image

        from tlzoo.data.content_images import read_rgb

        if args.size < 16:
            raise TLZooError(f"--size must be >= 16, got {args.size}")
        start = time.time()
        content = read_rgb(args.content, args.size).to(args.device)
        runner = _gatys if args.method == "gatys" else _johnson
        image, style, weights = runner(args, content)
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        save_image(image.cpu(), output)
        rows = [("content", content.cpu())]
        if style is not None:
            rows.append(("style", style.cpu()))
        rows.append((f"result ({args.method})", image.cpu()))
        grid = output.with_name(f"{output.stem}_grid.png")
        _side_by_side(rows, grid)
        note = " [RANDOM VGG weights: a demo, not style transfer]" if weights == "random" else ""
        print(f"wrote {output} and {grid} in {time.time() - start:.1f} s{note}", file=sys.stderr)
        return 0
    except TLZooError as err:
        print(f"tlzoo stylize: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


def _side_by_side(images: list[tuple[str, torch.Tensor]], path: Path) -> Path:
    """``content | style | result`` in one row, each resized to the result's height, names above them."""
    from PIL import Image, ImageDraw, ImageFont
    from torchvision.transforms.functional import to_pil_image

    height = images[-1][1].shape[-2]
    tiles = []
    for _, x in images:
        tile = to_pil_image(x[0].clamp(0, 1))
        tiles.append(tile.resize((max(1, round(tile.width * height / tile.height)), height), Image.BICUBIC))
    pad, strip = 4, 14
    canvas = Image.new("RGB", (sum(t.width for t in tiles) + pad * (len(tiles) + 1), height + strip + 2 * pad),
                       (255, 255, 255))
    draw, font, left = ImageDraw.Draw(canvas), ImageFont.load_default(), pad
    for (name, _), tile in zip(images, tiles):
        draw.text((left, pad // 2), name, fill=(0, 0, 0), font=font)
        canvas.paste(tile, (left, strip + pad))
        left += tile.width + pad
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
