"""The ``tlzoo`` console script: subcommands that need no Lightning start without importing it.

``fit | validate | test | predict`` go to :mod:`tlzoo.cli` (LightningCLI); the other subcommands import only
their own module, so ``tlzoo --help``, ``tlzoo --version``, ``tlzoo configs`` and ``tlzoo shallow`` start in
about the time numpy and scipy take to import.
"""

from __future__ import annotations

import sys
from importlib import import_module

#: Subcommands beside LightningCLI's fit/validate/test/predict: name -> module with ``main(argv) -> int``.
EXTRA_COMMANDS = {
    "shallow": "tlzoo.shallow.cli",  # closed-form adaptation on feature files (no Trainer)
    "analyze": "tlzoo.analysis.cli",  # t-SNE and proxy A-distance of a checkpoint's features
    "export": "tlzoo.export",  # a trained network as TorchScript / ONNX
    "configs": "tlzoo.experiment_configs",  # list the bundled experiment configs
    "sweep": "tlzoo.sweep",  # run a W&B sweep file locally (W&B's sweep engine, no server)
    "report": "tlzoo.report",  # results tables and curves from run folders
    "stylize": "tlzoo.stylize",  # neural style transfer of one image (Gatys) or with a trained Johnson network
}

USAGE = """usage: tlzoo <subcommand> [options]     (tlzoo <subcommand> --help for its options)

training and evaluation (LightningCLI):
  fit        train a method:          tlzoo fit -c dann_digits
  validate   score a checkpoint on the validation split
  test       score a checkpoint on the test split (writes <run>/test_metrics.json)
  predict    apply a checkpoint (class CSV, images or label maps in <run>/predictions/)

tools:
  configs    list the bundled experiment configs
  sweep      run a W&B sweep file locally (W&B's sweep engine, no server)
  report     results tables and training curves from run folders
  shallow    closed-form adaptation on feature files (TCA, JDA, CORAL, ...)
  analyze    t-SNE and proxy A-distance of a checkpoint's features
  export     a trained network as TorchScript or ONNX
  stylize    neural style transfer of an image

  --version  print the version
"""


def run_light_command(args: list[str]) -> bool:
    """Run ``args`` if it is a subcommand that needs no LightningCLI; ``True`` when it was handled (a non-zero
    exit code is raised as ``SystemExit``)."""
    if args and args[0] in ("--version", "-V"):
        from tlzoo import __version__

        print(f"tlzoo {__version__}")
        return True
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return True
    if args[0] in EXTRA_COMMANDS:
        code = import_module(EXTRA_COMMANDS[args[0]]).main(args[1:])
        if code:
            raise SystemExit(code)
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if run_light_command(args):
        return
    from tlzoo.cli import main as cli_main

    cli_main(argv)
