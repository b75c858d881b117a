"""Bad inputs and faults through the real ``tlzoo`` CLI: no silent wrong result, no lost checkpoint, no hang,
one line and exit 2 for a user error (docs/errors.md lists what each case gives)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Callback, Trainer

from tests.helpers import EXPERIMENTS, QUICK, REPO, run_cli

DANN = str(EXPERIMENTS / "dann_digits.yaml")
SOURCE_ONLY = str(EXPERIMENTS / "source_only_digits.yaml")
NO_LOGGER = ["--trainer.logger", "false"]


def _fit(config: str = DANN, *extra: str) -> tuple[int, str]:
    return run_cli(["fit", "-c", config, *QUICK, *NO_LOGGER, *extra])


def _only(pattern: str) -> Path:
    found = sorted(Path("runs").rglob(pattern))
    assert len(found) == 1, found
    return found[0]


def _user_error(code: int, out: str, *needles: str) -> None:
    assert code == 2, out
    assert "tlzoo: error:" in out and "Traceback" not in out, out
    for needle in needles:
        assert needle in out, out
    assert not list(Path(".").rglob("interrupted.ckpt")) and "resume with" not in out, out


# -- silent wrong results ------------------------------------------------------------------------
def test_training_to_nan_stops_at_the_first_non_finite_loss() -> None:
    code, out = _fit(DANN, "--trainer.max_steps", "8", "--model.init_args.optim.lr", "1e6")
    _user_error(code, out, "training diverged at step", "nan", "learning rate")
    assert "best checkpoint" not in out


def test_checkpoint_of_another_method_is_refused_for_test_and_resume() -> None:
    code, out = _fit(SOURCE_ONLY)
    assert code == 0, out
    ckpt = str(_only("last.ckpt"))
    for sub in ("test", "fit"):
        code, out = run_cli([sub, "-c", DANN, *QUICK, *NO_LOGGER, "--ckpt_path", ckpt])
        _user_error(code, out, "is a SourceOnly model but the config asks for DANN")


def test_values_the_data_module_sets_are_not_reported_as_differences() -> None:
    """input_shape and num_classes come from the data when the model is built: a 16 px run tested with its config
    must not be told that its default 28 px input_shape differs from the checkpoint's."""
    from tlzoo.cli import _differences

    configured = {"input_shape": [1, 28, 28], "num_classes": 10, "lr": 0.1, "optim": {"momentum": 0.9}}
    stored = {"input_shape": [1, 16, 16], "num_classes": 5, "lr": 1.0, "optim": {"momentum": 0.9}}
    assert _differences(configured, stored) == {"lr": (0.1, 1.0)}


def test_explicit_flags_win_on_resume() -> None:
    code, out = _fit(DANN, "--trainer.limit_train_batches", "2", "--trainer.max_steps", "-1")
    assert code == 0, out
    first = _only("last.ckpt")
    code, out = run_cli(["fit", "-c", DANN, *QUICK, *NO_LOGGER, "--trainer.limit_train_batches", "2",
                         "--trainer.max_steps", "-1", "--trainer.max_epochs", "2",
                         "--model.init_args.lambda_max", "0.1", "--ckpt_path", str(first)])
    assert code == 0, out
    assert "model.init_args.lambda_max = 0.1" in out and "trained with 1.0" in out
    assert _only("last.ckpt") == first  # the resumed run continues in its own folder
    state = torch.load(first, map_location="cpu", weights_only=False)
    assert state["hyper_parameters"]["lambda_max"] == 0.1 and state["global_step"] == 4


@pytest.mark.parametrize("sub", ["test", "validate", "predict"])
def test_evaluating_without_a_checkpoint_is_refused(sub: str) -> None:
    code, out = run_cli([sub, "-c", DANN, *QUICK, *NO_LOGGER])
    _user_error(code, out, f"tlzoo {sub} needs trained weights", "--ckpt_path")


def test_default_root_dir_is_honoured_by_the_default_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    code, out = run_cli(["fit", "-c", DANN, *QUICK, "--trainer.default_root_dir", "out"])
    assert code == 0, out
    assert not Path("runs").exists()
    ckpt = next(Path("out").rglob("last.ckpt"))
    assert (ckpt.parent.parent / "config.yaml").is_file()


class SigtermAtStep2(Callback):
    """Sends this process SIGTERM after the second batch (what a scheduler does at its time limit)."""

    def on_train_batch_end(self, trainer: Trainer, pl_module, outputs, batch, batch_idx: int) -> None:  # noqa: ANN001
        if trainer.global_step == 2:
            os.kill(os.getpid(), signal.SIGTERM)


class SigtermTwiceAtStep1(Callback):
    """Sends SIGTERM twice in one batch (a stalled step that the first SIGTERM cannot end)."""

    def on_train_batch_end(self, trainer: Trainer, pl_module, outputs, batch, batch_idx: int) -> None:  # noqa: ANN001
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the second SIGTERM did not end the process")


def test_sigterm_saves_state_and_exits_143() -> None:
    code, out = _fit(DANN, "--trainer.max_steps", "6", "--trainer.callbacks+=tests.test_reliability.SigtermAtStep2")
    assert code == 143, out
    saved = _only("interrupted.ckpt")
    assert torch.load(saved, map_location="cpu", weights_only=False)["global_step"] == 2


def test_second_sigterm_ends_the_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "tlzoo.cli", "fit", "-c", DANN, *QUICK, *NO_LOGGER,
                           "--trainer.callbacks+=tests.test_reliability.SigtermTwiceAtStep1"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 143, proc.stderr
    assert "second SIGTERM" in proc.stderr and "AssertionError" not in proc.stderr


# -- lost work ------------------------------------------------------------------------------------
def test_disk_full_keeps_the_previous_last_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_save = Trainer.save_checkpoint
    calls = {"n": 0}

    def save_then_fill_the_disk(self: Trainer, filepath, weights_only=False, storage_options=None) -> None:  # noqa: ANN001
        calls["n"] += 1
        if calls["n"] <= 2:  # epoch 1: best-*.ckpt and last.ckpt
            return real_save(self, filepath, weights_only, storage_options)
        Path(filepath).write_bytes(b"PK\x03\x04 half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(filepath))

    monkeypatch.setattr(Trainer, "save_checkpoint", save_then_fill_the_disk)
    code, out = _fit(DANN, "--trainer.limit_train_batches", "2", "--trainer.max_steps", "-1",
                     "--trainer.max_epochs", "2")
    assert code == 2, out
    assert "could not write the checkpoint" in out and "No space left on device" in out and "Traceback" not in out
    last = _only("last.ckpt")
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == 2
    assert not list(Path("runs").rglob("interrupted.ckpt"))
    assert not [p for p in Path("runs").rglob("*") if ".tmp-" in p.name]


def test_two_runs_without_a_logger_get_their_own_folders() -> None:
    for config in (DANN, SOURCE_ONLY):
        code, out = _fit(config)
        assert code == 0, out
    ckpts = sorted(Path("runs").rglob("last.ckpt"))
    assert len(ckpts) == 2 and ckpts[0].parent != ckpts[1].parent
    configs = sorted(p.read_text() for p in Path("runs").rglob("config.yaml"))
    assert len(configs) == 2 and any("SourceOnly" in c for c in configs) and any("DANN" in c for c in configs)


# -- one line, exit 2 ------------------------------------------------------------------------------
@pytest.mark.parametrize("flags, needle", [
    (["--data.init_args.batch_size", "0"], "batch_size"),
    (["--data.init_args.num_workers", "-1"], "num_workers"),
    (["--trainer.max_epochs", "-5"], "max_epochs"),
    (["--model.init_args.optim.lr", "-1"], "lr"),
])
def test_bad_config_values_are_one_line(flags: list[str], needle: str) -> None:
    code, out = _fit(DANN, *flags)
    _user_error(code, out, needle)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_gpu_accelerator_without_a_gpu_is_one_line() -> None:
    code, out = run_cli(["fit", "-c", DANN, *NO_LOGGER, "--trainer.accelerator", "gpu"])
    _user_error(code, out, "--trainer.accelerator cpu")


def test_empty_config_file_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    code, out = run_cli(["fit", "-c", str(empty)])
    _user_error(code, out, f"config file {empty} is empty")


def test_monitor_that_is_never_logged_names_the_logged_metrics() -> None:
    code, out = _fit(DANN, "--trainer.limit_train_batches", "2", "--trainer.max_steps", "-1",
                     "--checkpoint.monitor", "val/nope")
    _user_error(code, out, "'val/nope' is never logged", "val/source_acc")


def test_bad_checkpoint_files_are_one_line(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.ckpt")
    (tmp_path / "empty.ckpt").write_bytes(b"")
    whole = (tmp_path / "foreign.ckpt").read_bytes()
    (tmp_path / "truncated.ckpt").write_bytes(whole[: len(whole) // 2])
    cases = {"missing": "checkpoint not found", "empty": "is empty", "truncated": "cannot be read",
             "foreign": "not a tlzoo/Lightning checkpoint"}
    for name, needle in cases.items():
        code, out = run_cli(["test", "-c", DANN, *QUICK, *NO_LOGGER, "--ckpt_path", str(tmp_path / f"{name}.ckpt")])
        _user_error(code, out, needle, f"{name}.ckpt")


def test_shallow_user_errors_exit_2(tmp_path: Path) -> None:
    import numpy as np

    x = np.random.default_rng(0).normal(size=(6, 3))
    x[2, 1] = np.nan
    np.savez(tmp_path / "s.npz", X=x, y=np.arange(6) % 2)
    np.savez(tmp_path / "t.npz", X=np.ones((4, 3)), y=np.arange(4) % 2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dataset: ''\nsource: s.npz\ntarget: t.npz\nmethod:\n  class_path: CORAL\n")
    code, out = run_cli(["shallow", "--config", str(cfg), "--root", str(tmp_path)])
    assert code == 2, out
    assert "s.npz" in out and "rows 2" in out and "Traceback" not in out


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys (not writable, even for root)")
def test_unwritable_output_folder_is_one_line() -> None:
    code, out = _fit(DANN, "--trainer.default_root_dir", "/sys/kernel/tlzoo_runs")
    _user_error(code, out, "cannot write", "--trainer.default_root_dir")


def test_checkpoint_with_another_class_count_is_refused(tmp_path: Path) -> None:
    from tlzoo.data import fixtures_extra

    config = str(EXPERIMENTS / "dann_office_caltech_decaf.yaml")
    three = [fixtures_extra.write_feature_mat(tmp_path / "three" / f"{d}.mat", n=30, dim=16, num_classes=3, seed=i)
             for i, d in enumerate(("s", "t"))]
    four = [fixtures_extra.write_feature_mat(tmp_path / "four" / f"{d}.mat", n=30, dim=16, num_classes=4, seed=i)
            for i, d in enumerate(("s", "t"))]
    code, out = _fit(config, "--data.source", str(three[0]), "--data.target", str(three[1]), "--data.batch_size", "8")
    assert code == 0, out
    ckpt = _only("last.ckpt")
    code, out = run_cli(["test", "-c", config, *QUICK, *NO_LOGGER, "--data.source", str(four[0]),
                         "--data.target", str(four[1]), "--data.batch_size", "8", "--ckpt_path", str(ckpt)])
    _user_error(code, out, "trained for 3 classes but the data has 4")


def test_analyze_with_a_bad_checkpoint_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty.ckpt").write_bytes(b"")
    code, out = run_cli(["analyze", "-c", DANN, "--ckpt_path", str(tmp_path / "empty.ckpt"), "--out", "analysis"])
    assert code == 2 and "tlzoo analyze: error:" in out and "empty.ckpt" in out and "Traceback" not in out, out
