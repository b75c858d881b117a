"""``tlzoo stylize`` (tlzoo.stylize.main): outputs, the random-weights flag said in the output, user errors."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import torch
from lightning.pytorch import Trainer
from PIL import Image

from tlzoo.methods.style.johnson import JohnsonStyleTransfer
from tlzoo.stylize import main


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def test_gatys_writes_result_and_grid_and_says_random_weights(tmp_path: Path, no_imagenet_weights: None) -> None:
    out = tmp_path / "out" / "result.png"
    code, log = _run(["--content", "skimage:astronaut", "--style", "skimage:immunohistochemistry", "--output",
                      str(out), "--size", "32", "--steps", "3", "--allow-random-weights", "--device", "cpu"])
    assert code == 0, log
    assert Image.open(out).size == (32, 32)
    grid = Image.open(tmp_path / "out" / "result_grid.png")
    assert grid.width > 3 * 32 and grid.height > 32  # content | style | result
    assert "random VGG-19 weights" in log and "RANDOM VGG weights" in log and "3 evaluations" in log


def test_user_errors_exit_2(tmp_path: Path, no_imagenet_weights: None) -> None:
    out = str(tmp_path / "o.png")
    code, log = _run(["--content", "skimage:coffee", "--style", "skimage:chelsea", "--output", out, "--size", "32",
                      "--steps", "1", "--device", "cpu"])
    assert code == 2 and "vgg19" in log and "--allow-random-weights" in log  # no weights, no silent random ones
    code, log = _run(["--content", "skimage:coffee", "--output", out, "--device", "cpu"])
    assert code == 2 and "--style" in log
    code, log = _run(["--content", "missing.png", "--style", "skimage:coffee", "--output", out, "--device", "cpu"])
    assert code == 2 and "missing.png" in log
    code, log = _run(["--content", "skimage:coffee", "--output", out, "--method", "johnson", "--device", "cpu"])
    assert code == 2 and "--checkpoint" in log


def test_johnson_from_a_checkpoint(tmp_path: Path) -> None:
    model = JohnsonStyleTransfer("skimage:immunohistochemistry", base_channels=8, residual_blocks=1,
                                 pretrained=False)
    trainer = Trainer(logger=False, enable_progress_bar=False, accelerator="cpu", max_steps=0)
    trainer.strategy.connect(model)
    ckpt = tmp_path / "j.ckpt"
    trainer.save_checkpoint(ckpt)
    out = tmp_path / "j.png"
    code, log = _run(["--content", "skimage:chelsea", "--output", str(out), "--method", "johnson", "--checkpoint",
                      str(ckpt), "--size", "64", "--device", "cpu"])
    assert code == 0, log
    content_size = Image.open(out).size
    assert content_size == (64, 44)
    expected = model(torch.zeros(1, 3, 44, 64)).shape
    assert expected == (1, 3, 44, 64) and (tmp_path / "j_grid.png").is_file()
