"""The classifier ladder: network shapes and sizes against the papers, the training / evaluation contract, the
figures callback, and hand-computed per-class accuracy."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer

from tlzoo.callbacks.classifier_figures import (
    CONFUSION_FILE,
    PER_CLASS_FILE,
    ClassifierFigures,
    per_class_table,
    scale_templates,
)
from tlzoo.core.optim import OptimConfig
from tlzoo.data.labelled import LabelledDigits
from tlzoo.methods.basics import MLP, LeNet, LinearClassifier, ResNet20
from tlzoo.methods.basics.base import metric_name, per_class_accuracy
from tlzoo.nn.classifiers import BasicBlock, CifarResNet, LeNet5
from tlzoo.prediction_writer import CSVPredictionWriter, prediction_writer

METHODS = {
    "linear": lambda shape: LinearClassifier(10, shape),
    "mlp": lambda shape: MLP(10, shape, hidden=(32,)),
    "lenet": lambda shape: LeNet(10, shape),
    "resnet20": lambda shape: ResNet20(10, shape),
}


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_logits_shape(name: str, shape: tuple[int, int, int]) -> None:
    model = METHODS[name](shape)
    assert model(torch.randn(2, *shape)).shape == (2, 10)
    assert model.default_monitor == ("val/acc", "max") and model.predict_output == "classes"


def test_lenet5_has_the_papers_parameter_count() -> None:
    # LeCun et al. 1998 on 32x32 inputs: C1 156 + C3 2,416 (here fully connected) + C5 48,120 + F6 10,164 + out 850.
    # C1 pads 2, so a 28x28 MNIST digit gives the same geometry and count.
    net = LeNet5((1, 28, 28), 10)
    assert sum(p.numel() for p in net.parameters()) == 156 + 2416 + 48120 + 10164 + 850  # 61,706
    assert net.features(torch.zeros(1, 1, 28, 28)).shape == (1, 16 * 5 * 5)  # S4: 16 maps of 5x5


def test_resnet20_is_the_papers_size_and_depth() -> None:
    net = CifarResNet((3, 32, 32), 10, depth=20)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(convs) + len(linears) == 20  # 6n + 2 weighted layers, n = 3
    assert sum(p.numel() for p in net.parameters()) == 269_722  # "0.27M" (He et al. 2016, Table 6)
    assert [b.conv1.out_channels for b in net.blocks] == [16] * 3 + [32] * 3 + [64] * 3
    with pytest.raises(Exception, match="6n \\+ 2"):
        CifarResNet((3, 32, 32), 10, depth=21)


def test_option_a_shortcut_subsamples_and_zero_pads() -> None:
    block = BasicBlock(16, 32, stride=2)
    x = torch.randn(2, 16, 8, 8)
    s = block.shortcut(x)
    assert s.shape == (2, 32, 4, 4)
    assert torch.equal(s[:, 8:24], x[:, :, ::2, ::2]) and s[:, :8].abs().sum() == 0 and s[:, 24:].abs().sum() == 0
    assert sum(p.numel() for p in block.parameters()) == 16 * 32 * 9 + 32 * 32 * 9 + 4 * 32  # no projection


def test_linear_templates_are_the_weight_rows_as_images() -> None:
    model = LinearClassifier(10, (3, 8, 8))
    t = model.templates()
    assert t.shape == (10, 3, 8, 8)
    assert torch.equal(t[3].flatten(), model.net.fc.weight[3])
    x = torch.randn(1, 3, 8, 8)
    assert torch.allclose(model(x)[0, 3], (t[3] * x[0]).sum() + model.net.fc.bias[3], atol=1e-5)
    scaled = scale_templates(torch.stack([torch.arange(4.0).view(1, 2, 2), torch.ones(1, 2, 2)]))
    assert torch.allclose(scaled[0].flatten(), torch.tensor([0, 1 / 3, 2 / 3, 1])) and (scaled[1] == 0.5).all()


def test_per_class_accuracy_and_table_by_hand() -> None:
    cm = torch.tensor([[3, 1, 0], [0, 2, 2], [0, 0, 0]])
    acc = per_class_accuracy(cm)
    assert torch.allclose(acc, torch.tensor([0.75, 0.5, 0.0]))
    table = per_class_table(cm, ["a", "b c", "d"])
    assert "| a | 4 | 0.7500 |" in table and "| b c | 4 | 0.5000 |" in table and "| d | 0 | n/a |" in table
    assert "| **overall** | 8 | 0.6250 |" in table and "| **mean over classes** | | 0.6250 |" in table
    assert metric_name("b c") == "b_c" and metric_name("airplane") == "airplane"


def test_a_few_steps_fit_a_small_batch() -> None:
    torch.manual_seed(0)
    model = LeNet(10, (1, 28, 28), optim=OptimConfig(name="adam", lr=3e-3, schedule="constant"))
    optimizer = model.configure_optimizers()["optimizer"]
    x, y = torch.randn(16, 1, 28, 28), torch.arange(16) % 10
    first = torch.nn.functional.cross_entropy(model(x), y).item()
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.2 * first


def test_fit_test_predict_and_figures(tmp_path: Path) -> None:
    data = LabelledDigits(dataset="uci", batch_size=32, image_size=16)
    model = LinearClassifier(10, data.input_shape, optim=OptimConfig(name="adam", lr=1e-2, schedule="cosine"))
    figures = ClassifierFigures()
    trainer = Trainer(max_epochs=2, limit_train_batches=4, limit_val_batches=2, limit_test_batches=3,
                      limit_predict_batches=2, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path), callbacks=[figures], accelerator="cpu")
    trainer.fit(model, datamodule=data)
    assert "val/acc" in trainer.callback_metrics and "train/loss" in trainer.callback_metrics
    templates = sorted((tmp_path / "templates").glob("epoch_*.png"))
    assert [p.name for p in templates] == ["epoch_000.png", "epoch_001.png"]
    metrics = trainer.test(model, datamodule=data, verbose=False)[0]
    assert model.test_confusion is not None and int(model.test_confusion.sum()) == 3 * 32
    assert metrics["test/acc"] == pytest.approx(float(model.test_confusion.diagonal().sum()) / 96, abs=1e-6)
    per_class = per_class_accuracy(model.test_confusion)
    seen = [i for i in range(10) if model.test_confusion[i].sum() > 0]
    for i in seen:
        assert metrics[f"test/acc_{i}"] == pytest.approx(float(per_class[i]), abs=1e-6)
    assert metrics["test/mean_class_acc"] == pytest.approx(float(per_class[seen].mean()), abs=1e-6)
    assert (tmp_path / CONFUSION_FILE).is_file() and (tmp_path / PER_CLASS_FILE).read_text().startswith("| class")
    writer = prediction_writer(model, tmp_path / "pred")
    assert isinstance(writer, CSVPredictionWriter)
    Trainer(logger=False, enable_progress_bar=False, callbacks=[writer], limit_predict_batches=2,
            accelerator="cpu").predict(model, datamodule=data, return_predictions=False)
    import csv

    with open(tmp_path / "pred" / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 64 and {"index", "pred", "confidence", "label"} <= set(rows[0])
    assert [int(r["label"]) for r in rows] == data.test_set.labels[:64].tolist()


FEATURE_DIMS = {"linear": lambda shape: shape[0] * shape[1] * shape[2], "mlp": lambda shape: 32,
                "lenet": lambda shape: 84, "resnet20": lambda shape: 64}


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_features_are_the_penultimate_layer(name: str, shape: tuple[int, int, int]) -> None:
    torch.manual_seed(0)
    model = METHODS[name](shape).eval()
    x = torch.randn(3, *shape)
    features = model.features(x)
    assert features.shape == (3, FEATURE_DIMS[name](shape)) == (3, model.feature_dim)
    # the last layer applied to the features gives the logits: nothing sits between them
    assert torch.allclose(model.head()(features), model(x), atol=1e-5)


def test_a_ladder_checkpoint_loads_as_a_judge(tmp_path: Path) -> None:
    from tlzoo.metrics.features import ClassifierFeatures
    from tlzoo.metrics.judge import load_judge

    torch.manual_seed(0)
    data = LabelledDigits(dataset="uci", batch_size=32, image_size=28)
    model = LeNet(10, data.input_shape, activation="relu", pooling="max")
    trainer = Trainer(max_steps=2, limit_val_batches=1, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False, default_root_dir=str(tmp_path),
                      accelerator="cpu")
    trainer.fit(model, datamodule=data)
    (tmp_path / "checkpoints").mkdir()
    path = tmp_path / "checkpoints" / "judge.ckpt"
    trainer.save_checkpoint(path)
    (tmp_path / "config.yaml").write_text("data: {class_path: tlzoo.data.LabelledDigits}\n")
    judge = load_judge(path)
    assert isinstance(judge.model, LeNet) and judge.num_classes == 10 and judge.num_features == 84
    x, _ = next(iter(data.test_dataloader()))
    x01 = data.spec.denormalize(x)
    model.eval()
    with torch.no_grad():
        assert torch.equal(judge.predict(x01), model(x).argmax(1))
        assert torch.allclose(judge.features(x01), model.features(x), atol=1e-5)
    assert ClassifierFeatures(MLP(10, (1, 28, 28), hidden=(16,))).num_features == 16
