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
