"""Lazy imports: the tools that need no Lightning do not import it, and every subcommand still works."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_light_commands_do_not_import_lightning() -> None:
    out = _run("import sys\nfrom tlzoo.entry import run_light_command\n"
               "import tlzoo.shallow.cli, tlzoo.report, tlzoo.sweep, tlzoo.experiment_configs\n"
               "run_light_command(['--version']); run_light_command(['configs', 'sweeps'])\n"
               "print(sorted(m for m in ('lightning', 'torch') if m in sys.modules))")
    assert "tlzoo 0.1.0" in out and "sweeps/dann_digits" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_data_registry_is_lazy_but_complete() -> None:
    out = _run("import sys, tlzoo.data\nassert 'lightning' not in sys.modules\n"
               "from tlzoo.data import EmbeddedDigits\ntlzoo.data.load_all()\n"
               "print(all(hasattr(tlzoo.data, n) for n in tlzoo.data.__all__), EmbeddedDigits.__name__)")
    assert out.split() == ["True", "EmbeddedDigits"]


def test_console_help_lists_every_subcommand() -> None:
    done = subprocess.run([sys.executable, "-m", "tlzoo", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    for sub in ("fit", "validate", "test", "predict", "configs", "sweep", "report", "shallow", "analyze", "export",
                "stylize"):
        assert f"\n  {sub} " in done.stdout, sub


def test_a_run_builds_the_parser_of_its_own_subcommand_only() -> None:
    """Each LightningCLI subcommand parser is built from every class's signature (~0.3 s): a run needs one."""
    from tlzoo.cli import TLZooCLI

    cli = TLZooCLI.__new__(TLZooCLI)  # only the argument list: no parser, no run
    cli._argv = ["test", "-c", "experiments/dann_digits.yaml", "--ckpt_path", "fit.ckpt"]
    assert list(cli.subcommands()) == ["test"]
    assert cli.subcommands()["test"] == {"model", "dataloaders", "datamodule"}
    cli._argv = ["fti", "-c", "x.yaml"]  # a typo: all four, so that the error lists them
    assert list(cli.subcommands()) == ["fit", "validate", "test", "predict"]


def test_a_mistyped_subcommand_is_answered_with_the_list() -> None:
    done = subprocess.run([sys.executable, "-m", "tlzoo", "fti"], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "'fit', 'validate', 'test', 'predict'" in done.stderr
