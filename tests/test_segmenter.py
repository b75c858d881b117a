"""Segmenter: networks by name, training on the Cityscapes fixture, mIoU with ignored pixels, the per-class
table, FCN-scores from a checkpoint, and the YAML through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.data.cityscapes import CityscapesLabelsToPhoto, CityscapesSegmentation
from tlzoo.data.fixtures_cityscapes import write_cityscapes
from tlzoo.errors import TLZooError
from tlzoo.methods.segmentation import Segmenter
from tlzoo.methods.segmentation.segmenter import TABLE_FILE, masked_cross_entropy
from tlzoo.metrics.fcn_score import FCNScore

SIZE = (32, 64)


def trainer(root: Path, **kwargs) -> Trainer:
    defaults = dict(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                    enable_model_summary=False, default_root_dir=str(root))
    return Trainer(**{**defaults, **kwargs})


@pytest.fixture(scope="module")
def cityscapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cityscapes(tmp_path_factory.mktemp("cityscapes"), per_city=2, size=SIZE, seed=0)


@pytest.fixture
def datamodule(cityscapes_root: Path) -> CityscapesSegmentation:
    return CityscapesSegmentation(str(cityscapes_root), image_size=SIZE, batch_size=2, num_workers=0)


def small_segmenter(dm: CityscapesSegmentation) -> Segmenter:
    return Segmenter(dm.num_classes, dm.input_shape, arch="unet_small")


@pytest.mark.parametrize("arch", ["fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large", "unet_small"])
def test_networks_by_name_give_logits_at_input_size(arch: str) -> None:
    model = Segmenter(5, (3, 64, 64), arch=arch, aux_weight=0.5 if arch == "fcn_resnet50" else 0.0).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 5, 64, 64)


def test_bad_choices_are_user_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TLZooError, match="pretrained_backbone false"):
        Segmenter(19, (3, 32, 32), arch="unet_small", pretrained_backbone=True)
    with pytest.raises(TLZooError, match="unet_small"):
        Segmenter(19, (1, 32, 32), arch="lraspp_mobilenet_v3_large")
    with pytest.raises(TLZooError, match="no auxiliary head"):
        Segmenter(19, (3, 32, 32), arch="lraspp_mobilenet_v3_large", aux_weight=0.5)
    # Offline without the weights file: the zoo's message, naming the Segmenter's flag.
    import tlzoo.nn.backbones as backbones

    def offline(weights):
        raise TLZooError(f"could not load ImageNet weights.\n  Download {weights.url}\n  to /cache/x.pth\n"
                         "  or train from scratch with `--model.backbone.pretrained false`.")

    monkeypatch.setattr(backbones, "load_imagenet_weights", offline)
    with pytest.raises(TLZooError) as err:
        Segmenter(19, (3, 32, 32), arch="fcn_resnet50", pretrained_backbone=True)
    assert "resnet50-" in str(err.value) and "--model.init_args.pretrained_backbone false" in str(err.value)


def test_loss_ignores_255_pixels() -> None:
    logits = torch.randn(1, 3, 2, 2)
    target = torch.tensor([[[0, 255], [2, 255]]])
    kept = torch.nn.functional.cross_entropy(logits[0, :, [0, 1], [0, 0]].T, torch.tensor([0, 2]))
    assert torch.allclose(masked_cross_entropy(logits, target, 255), kept)
    assert masked_cross_entropy(logits, torch.full_like(target, 255), 255) == 0


class FixedLabels(nn.Module):
    """A "network" whose logits are one-hot of given label maps (one per call, in order)."""

    def __init__(self, preds: torch.Tensor, num_classes: int) -> None:
        super().__init__()
        self.preds = preds
        self.num_classes = num_classes
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        onehot = nn.functional.one_hot(self.preds[: len(x)], self.num_classes).permute(0, 3, 1, 2).float()
        return {"out": onehot + 0 * self.dummy}


def test_miou_ignores_255_pixels(tmp_path: Path) -> None:
    # Labels [0, 1 / 255, 1], predictions [0, 0 / 1, 1]: counted pixels (0->0), (1->0), (1->1).
    # Confusion (rows = truth): [[1, 0], [1, 1]]: IoU_0 = 1/2, IoU_1 = 1/2; pixel acc 2/3; class acc (1 + 1/2) / 2.
    labels = torch.tensor([[[0, 1], [255, 1]]])
    preds = torch.tensor([[[0, 0], [1, 1]]])
    model = Segmenter(2, (3, 2, 2), arch="unet_small", class_names=("road", "traffic light"))
    model.network = FixedLabels(preds, 2)
    loader = DataLoader(TensorDataset(torch.zeros(1, 3, 2, 2), labels), batch_size=1)
    trainer(tmp_path).validate(model, loader, verbose=False)
    m = trainer_metrics = model.trainer.callback_metrics
    assert m["val/miou"].item() == pytest.approx(0.5)
    assert m["val/pixel_acc"].item() == pytest.approx(2 / 3)
    assert m["val/mean_class_acc"].item() == pytest.approx(0.75)
    assert trainer_metrics["val/iou_traffic_light"].item() == pytest.approx(0.5)


def test_fit_logs_val_miou(datamodule: CityscapesSegmentation, tmp_path: Path) -> None:
    model = small_segmenter(datamodule)
    t = trainer(tmp_path, fast_dev_run=2)
    t.fit(model, datamodule=datamodule)
    for key in ("val/miou", "val/pixel_acc", "val/mean_class_acc", "val/iou_road", "val/iou_traffic_light"):
        assert key in t.callback_metrics, key
    assert 0 <= t.callback_metrics["val/miou"].item() <= 1
    assert model.class_names == datamodule.class_names and model.input_spec == datamodule.spec
    assert Segmenter.default_monitor == ("val/miou", "max") and Segmenter.predict_output == "segmentation"
    out = model.predict_step(next(iter(datamodule.val_dataloader())), 0)
    assert out["labels"].shape == (2, *SIZE) and out["labels"].dtype == torch.int64


@pytest.fixture(scope="module")
def checkpoint(cityscapes_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Segmenter checkpoint after one training step (fit and test in one run folder)."""
    root = tmp_path_factory.mktemp("run")
    dm = CityscapesSegmentation(str(cityscapes_root), image_size=SIZE, batch_size=2, num_workers=0)
    model = small_segmenter(dm)
    t = trainer(root, max_steps=1, limit_val_batches=1)
    t.fit(model, datamodule=dm)
    t.test(model, datamodule=dm, verbose=False)
    assert "test/miou" in t.callback_metrics
    return Path(t.checkpoint_callback.best_model_path)


def test_test_writes_per_class_table(checkpoint: Path) -> None:
    table = (checkpoint.parent.parent / TABLE_FILE).read_text()
    lines = table.splitlines()
    assert lines[0].startswith("| class | IoU (%)")
    rows = [line for line in lines[2:] if line.startswith("| ") and "mean" not in line]
    assert [r.split("|")[1].strip() for r in rows][:2] == ["road", "sidewalk"] and len(rows) == 19
    assert "**mean**" in table and "Pixel accuracy" in table


def test_fcn_score_from_checkpoint(checkpoint: Path, cityscapes_root: Path) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fcn = FCNScore(str(checkpoint))
    assert torch.equal(torch.rand(3), expected), "loading the segmenter must not move the caller's RNG"
    assert fcn.input_size == SIZE and fcn.num_classes == 19
    assert not list(fcn.parameters()), "the segmenter must not be a sub-module"
    # "Perfectly labelled photos" of the labels -> photo task (32 x 32, another size than the segmenter's).
    pairs = CityscapesLabelsToPhoto(str(cityscapes_root), image_size=32, load_size=32, num_workers=0)
    pairs.setup("validate")
    photos01 = torch.stack([(pairs.eval_b[i][0] + 1) / 2 for i in range(2)])
    labels = pairs.eval_label_maps()
    fcn.update(photos01, labels)
    first = fcn.compute()
    fcn.reset()
    fcn.update(photos01, labels)
    again = fcn.compute()
    for key in ("pixel_acc", "mean_class_acc", "mean_iou"):
        assert first[key].item() == pytest.approx(again[key].item())
    # By hand: resize to the segmenter's input, normalise with its data's spec, argmax of logits resized back.
    seg = fcn.segmenter
    x = nn.functional.interpolate(photos01, size=SIZE, mode="bilinear", align_corners=False, antialias=True)
    with torch.no_grad():
        logits = nn.functional.interpolate(seg(seg.input_spec.normalize(x)), size=(32, 32), mode="bilinear",
                                           align_corners=False)
    preds = logits.argmax(1)
    valid = labels != 255
    assert first["pixel_acc"].item() == pytest.approx(((preds == labels) & valid).sum().item() / valid.sum().item())
    # Labels that agree with the segmenter everywhere score 1.
    fcn.reset()
    fcn.update(photos01, preds)
    perfect = fcn.compute()
    assert perfect["pixel_acc"].item() == 1.0 and perfect["mean_iou"].item() == 1.0


def test_fcn_score_errors(tmp_path: Path) -> None:
    with pytest.raises(TLZooError, match="not found"):
        FCNScore(str(tmp_path / "missing.ckpt"))
    with pytest.raises(TLZooError, match="input normalisation"):
        FCNScore.from_segmenter(Segmenter(19, (3, 8, 8), arch="unet_small"))


def test_yaml_runs_through_the_cli(cityscapes_root: Path) -> None:
    config = str(EXPERIMENTS / "segmentation" / "segmenter_cityscapes.yaml")
    args = ["-c", config, "--data.root", str(cityscapes_root), "--data.image_size", "[32, 64]",
            "--data.batch_size", "2", "--data.num_workers", "0", "--model.init_args.pretrained_backbone", "false",
            *QUICK, "--trainer.logger", "false"]
    code, out = run_cli(["fit", *args])
    assert code == 0, out
    assert "val/miou" in out  # the checkpoint monitor announced after fit
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["test", *args, "--ckpt_path", str(ckpt)])
    assert code == 0, out
    assert "test/miou" in out and "per-class IoU" in out
    assert (ckpt.parent.parent / TABLE_FILE).is_file()
