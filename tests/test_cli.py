"""The ``tlzoo`` command line: help, short class names, composition, and clear errors."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import EXPERIMENTS, QUICK, run_cli, run_cli_subprocess


def test_fit_help_lists_options() -> None:
    code, out = run_cli(["fit", "--help"])
    assert code == 0
    assert "--model" in out and "--data" in out and "--checkpoint.monitor" in out


def test_model_help_by_short_name() -> None:
    code, out = run_cli(["fit", "--model.help", "DANN"])
    assert code == 0
    assert "lambda_max" in out and "discriminator_hidden" in out


def test_wrong_key_fails_clearly() -> None:
    proc = run_cli_subprocess(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), "--model.init_args.lamda_max", "2"])
    assert proc.returncode != 0
    assert "lamda_max" in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_type_fails_clearly() -> None:
    proc = run_cli_subprocess(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), "--trainer.max_epochs", "many"])
    assert proc.returncode != 0
    assert "max_epochs" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_class_name_fails_clearly(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("model:\n  class_path: DANNN\ndata:\n  class_path: EmbeddedDigits\n")
    proc = run_cli_subprocess(["fit", "-c", str(cfg)])
    assert proc.returncode != 0 and "DANNN" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_data_is_one_clear_error(tmp_path: Path) -> None:
    proc = run_cli_subprocess(
        ["fit", "-c", str(EXPERIMENTS / "dann_office31.yaml"), "--data.root", str(tmp_path / "nowhere"),
         "--model.init_args.backbone.pretrained", "false", "--trainer.logger", "false"]
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--data.root" in proc.stderr and "images/<class>" in proc.stderr and "--data.download" in proc.stderr


def test_config_files_compose_later_wins(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("model:\n  init_args:\n    lambda_max: 0.25\ntrainer:\n  max_epochs: 3\n")
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), "-c", str(extra), "--print_config"])
    assert code == 0
    assert "lambda_max: 0.25" in out and "max_epochs: 3" in out and "class_path: tlzoo.methods.DANN" in out


def test_num_classes_and_input_shape_are_linked(tmp_path: Path) -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    cfg = next(Path("runs").rglob("config.yaml")).read_text()
    assert "EmbeddedDigits" in cfg
