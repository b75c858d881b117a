"""Translation methods through the real CLI: default checkpoint selection declared by the method, predict
writing a folder of images, TorchScript / ONNX export, and one-line errors for mismatched channels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.cli import TLZooCLI
from tlzoo.data import fixtures, fixtures_extra

PIX2PIX = str(EXPERIMENTS / "translation" / "pix2pix_mnistm.yaml")
CYCLEGAN = str(EXPERIMENTS / "translation" / "cyclegan_digits.yaml")


def _mnistm_args(tmp: Path) -> list[str]:
    fixtures.write_mnist_idx(tmp / "mnist", n_train=10, n_test=32)
    fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=30, size=32, zipped=True)
    return ["--data.mnist_root", str(tmp / "mnist"), "--data.mnistm_root", str(tmp / "mnist_m"),
            "--data.batch_size", "4", "--trainer.logger", "false"]


def _monitor(args: list[str]) -> tuple[str | None, str]:
    cli = TLZooCLI(args=[*args, "--trainer.logger", "false"], run=False)
    ckpt = cli.trainer.checkpoint_callback
    return ckpt.monitor, ckpt.mode


@pytest.mark.parametrize(("config", "expected"), [
    ("translation/pix2pix_mnistm.yaml", ("val/l1", "min")),
    ("translation/cyclegan_digits.yaml", (None, None)),
    ("adda_digits.yaml", (None, None)),
    ("dann_digits.yaml", ("val/target_mi", "max")),
])
def test_checkpoint_monitor_defaults_to_what_the_method_declares(config: str, expected: tuple, tmp_path: Path) -> None:
    extra = _mnistm_args(tmp_path) if "pix2pix" in config else []
    monitor, mode = _monitor(["-c", str(EXPERIMENTS / config), *extra])
    assert monitor == expected[0]
    if expected[1] is not None:
        assert mode == expected[1]


def test_an_explicit_monitor_wins(tmp_path: Path) -> None:
    monitor, mode = _monitor(["-c", PIX2PIX, *_mnistm_args(tmp_path), "--checkpoint.monitor", "val/ssim",
                              "--checkpoint.mode", "max"])
    assert (monitor, mode) == ("val/ssim", "max")


def test_predict_translates_a_folder_into_a_folder(tmp_path: Path) -> None:
    args = _mnistm_args(tmp_path)
    code, out = run_cli(["fit", "-c", PIX2PIX, *args, *QUICK])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    photos = tmp_path / "my_photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("street.png", "digit.jpg"):
        Image.fromarray(rng.integers(0, 255, (40, 36, 3), dtype=np.uint8)).save(photos / name)
    (photos / "._street.png").write_bytes(b"macOS metadata")
    (photos / "notes.txt").write_text("not an image")
    code, out = run_cli(["predict", "-c", PIX2PIX, *args, "--data.predict_folder", str(photos),
                         "--ckpt_path", str(ckpt), "--trainer.enable_progress_bar", "false"])
    assert code == 0, out
    predictions = ckpt.parent.parent / "predictions"  # the checkpoint's run folder
    written = sorted(p.name for p in predictions.glob("*.png"))
    assert written == ["digit.png", "street.png"], out
    image = np.asarray(Image.open(predictions / "street.png"))
    assert image.shape[:2] == (32, 32)


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_writes_a_generator_that_matches_the_checkpoint(fmt: str, tmp_path: Path) -> None:
    from tlzoo.export import load_method

    code, out = run_cli(["fit", "-c", CYCLEGAN, "--data.batch_size", "8", *QUICK, "--trainer.logger", "false",
                         "--model.init_args.residual_blocks", "1"])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    target = tmp_path / ("g.pt" if fmt == "torchscript" else "g.onnx")
    code, out = run_cli(["export", str(ckpt), "--format", fmt, "--output", str(target), "--size", "32"])
    assert code == 0, out
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        expected = load_method(ckpt).generator_ab(x)
    if fmt == "torchscript":
        got = torch.jit.load(str(target))(x)
    else:
        from onnx.reference import ReferenceEvaluator  # onnx's own interpreter (no runtime needed)

        got = torch.from_numpy(ReferenceEvaluator(str(target)).run(None, {"image": x[:1].numpy()})[0])
        expected = expected[:1]
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_export_refuses_a_file_that_is_not_a_zoo_checkpoint(tmp_path: Path) -> None:
    bogus = tmp_path / "x.ckpt"
    bogus.write_bytes(b"not a checkpoint")
    code, out = run_cli(["export", str(bogus), "--output", str(tmp_path / "g.pt")])
    assert code == 2 and "not a readable torch checkpoint" in out and "Traceback" not in out


def test_channel_mismatch_is_one_line_naming_the_flag() -> None:
    code, out = run_cli(["fit", "-c", CYCLEGAN, "--model.init_args.channels_a", "3", *QUICK,
                         "--trainer.logger", "false"])
    assert code == 2, out
    assert "--model.init_args.channels_a 1" in out and "Traceback" not in out


def test_labels_to_photo_is_scored_by_a_segmenter_trained_by_the_zoo(tmp_path: Path) -> None:
    """The pix2pix FCN-score protocol end to end on a Cityscapes-layout fixture: a Segmenter fit on the
    real photos labels pix2pix's generated photos, scored against the input label maps."""
    from tlzoo.data import fixtures_cityscapes

    root = tmp_path / "cityscapes"
    fixtures_cityscapes.write_cityscapes(root, per_city=2, size=(32, 64))
    seg_args = ["-c", str(EXPERIMENTS / "segmentation" / "segmenter_cityscapes.yaml"), "--data.root", str(root),
                "--data.image_size", "[32, 32]", "--data.batch_size", "2", "--data.num_workers", "0",
                "--model.init_args.arch", "unet_small", "--model.init_args.aux_weight", "0",
                "--model.init_args.pretrained_backbone", "false"]
    code, out = run_cli(["fit", *seg_args, *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    segmenter = next(Path("runs").rglob("last.ckpt"))
    p2p = ["-c", str(EXPERIMENTS / "translation" / "pix2pix_cityscapes.yaml"), "--data.root", str(root),
           "--data.image_size", "32", "--data.load_size", "36", "--data.batch_size", "2", "--data.num_workers", "0",
           "--model.init_args.num_downs", "5", "--model.init_args.evaluation.fcn_segmenter", str(segmenter),
           "--trainer.logger", "false"]
    code, out = run_cli(["fit", *p2p, *QUICK, "--trainer.default_root_dir", "p2p"])
    assert code == 0, out
    ckpt = next(Path("p2p").rglob("last.ckpt"))
    code, out = run_cli(["test", *p2p, *QUICK, "--ckpt_path", str(ckpt)])
    assert code == 0, out
    assert "test/fcn_mean_iou" in out and "test/fcn_pixel_acc" in out
