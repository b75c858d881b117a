"""Analysis tools: proxy A-distance, SND / mutual information by hand, t-SNE PNG, feature extraction,
the validators callback as checkpoint monitor, the fit-end analysis callback and `tlzoo analyze`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.analysis import (
    FeatureSet,
    extract_features,
    mutual_information,
    proxy_a_distance,
    soft_neighborhood_density,
    tsne_plot,
)
from tlzoo.data import fixtures_extra
from tlzoo.data.base import evaluation_order


def test_pad_near_zero_for_identical_and_near_two_for_separable() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 10)), rng.normal(size=(300, 10))
    same = proxy_a_distance(a, b, seed=0)
    assert abs(same.pad) < 0.35 and 0.4 < same.error < 0.6
    far = proxy_a_distance(a, b + 4.0, seed=0)
    assert far.pad > 1.9 and far.error < 0.03
    assert far.n_train == far.n_test == 300
    logistic = proxy_a_distance(torch.from_numpy(a), torch.from_numpy(b + 4.0), classifier="logistic")
    assert logistic.pad > 1.9


def _snd_by_hand(logits: torch.Tensor, tau: float) -> float:
    p = torch.softmax(logits.double(), 1)
    f = p / p.norm(dim=1, keepdim=True)
    n = len(f)
    total = 0.0
    for i in range(n):
        sims = [float(f[i] @ f[j]) / tau for j in range(n) if j != i]
        z = sum(math.exp(s) for s in sims)
        total += -sum((math.exp(s) / z) * math.log(math.exp(s) / z) for s in sims)
    return total / n


def test_snd_matches_the_formula_by_hand() -> None:
    torch.manual_seed(0)
    logits = torch.randn(7, 3) * 2
    for tau in (0.05, 0.5):
        assert soft_neighborhood_density(logits, tau).item() == pytest.approx(_snd_by_hand(logits, tau), rel=1e-4)
    # chunking does not change the value
    assert soft_neighborhood_density(logits, 0.05, chunk_size=2).item() == pytest.approx(
        soft_neighborhood_density(logits, 0.05).item(), rel=1e-6)
    # identical predictions: uniform neighbours -> entropy log(N - 1), the maximum
    same = torch.tensor([[3.0, 0.0, 0.0]] * 5)
    assert soft_neighborhood_density(same).item() == pytest.approx(math.log(4), rel=1e-5)


def test_mutual_information_by_hand() -> None:
    logits = torch.tensor([[10.0, -10.0], [-10.0, 10.0]])  # confident and balanced: I = log 2
    assert mutual_information(logits).item() == pytest.approx(math.log(2), abs=1e-4)
    assert mutual_information(torch.zeros(4, 3)).item() == pytest.approx(0.0, abs=1e-6)


def _feature_set(n: int, shift: float, seed: int) -> FeatureSet:
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    feats = torch.randn(n, 8, generator=g) + labels[:, None] * 3.0 + shift
    return FeatureSet(feats, torch.randn(n, 3, generator=g), labels)


def test_tsne_png_written(tmp_path: Path) -> None:
    path = tsne_plot(_feature_set(30, 0.0, 0), _feature_set(25, 1.0, 1), tmp_path / "out" / "tsne.png",
                     max_per_domain=20)
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_extract_features_restores_mode() -> None:
    from tlzoo.methods.da.dann import DANN
    from tlzoo.nn.backbones import BackboneConfig

    model = DANN(num_classes=3, input_shape=(6,), backbone=BackboneConfig(name="mlp", hidden=(5,)))
    model.train()
    data = [(torch.randn(4, 6), torch.tensor([0, 1, 2, 0])), (torch.randn(3, 6), torch.tensor([1, 1, 2]))]
    fs = extract_features(model, data)
    assert fs.features.shape == (7, 5) and fs.logits.shape == (7, 3) and fs.labels.tolist() == [0, 1, 2, 0, 1, 1, 2]
    assert model.training
    model.eval()
    torch.testing.assert_close(fs.logits[:4], model(data[0][0]))
    assert len(extract_features(model, [d[0] for d in data], max_samples=5)) == 5


def _feature_args(tmp: Path) -> list[str]:
    src = fixtures_extra.write_feature_mat(tmp / "feats" / "src.mat", n=60, dim=24, seed=0)
    tgt = fixtures_extra.write_feature_mat(tmp / "feats" / "tgt.mat", n=40, dim=24, shift=0.3, seed=1)
    return ["--data.source", str(src), "--data.target", str(tgt), "--data.batch_size", "8"]


def test_snd_monitor_and_fit_end_analysis_through_the_cli(tmp_path: Path) -> None:
    config = EXPERIMENTS / "dann_office_caltech_decaf.yaml"
    args = ["fit", "-c", str(config), "-c", str(EXPERIMENTS / "trainer" / "snd_selection.yaml"),
            *_feature_args(tmp_path), *QUICK, "--trainer.max_steps", "6", "--trainer.logger", "false",
            "--trainer.callbacks+=tlzoo.callbacks.analysis.FeatureAnalysis",
            "--trainer.callbacks.max_per_domain=30"]
    code, out = run_cli(args)
    assert code == 0, out
    assert "val/target_snd=" in out  # the checkpoint monitor's value is printed
    best = [p for p in Path("runs").rglob("best-*.ckpt")]
    assert best, out
    ckpt = torch.load(best[0], map_location="cpu", weights_only=False)
    monitor = next(v for k, v in ckpt["callbacks"].items() if k.startswith(("ModelCheckpoint", "BestCheckpoint")))
    assert monitor["monitor"] == "val/target_snd"
    report = json.loads(next(Path("runs").rglob("analysis/analysis.json")).read_text())
    assert -1.0 <= report["proxy_a_distance"] <= 2.0 and report["target_snd"] > 0
    assert next(Path("runs").rglob("analysis/tsne.png")).is_file()


def test_analyze_command_on_a_checkpoint(tmp_path: Path) -> None:
    from tlzoo.analysis.cli import main

    config = str(EXPERIMENTS / "source_only_office_caltech_decaf.yaml")
    data = _feature_args(tmp_path)
    code, out = run_cli(["fit", "-c", config, *data, *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    assert main(["--config", config, "--ckpt_path", str(ckpt), "--out", str(tmp_path / "an"), "--tsne",
                 "--a-distance", "--max-per-domain", "40", *data]) == 0
    result = json.loads((tmp_path / "an" / "analysis.json").read_text())
    assert (tmp_path / "an" / "tsne.png").is_file()
    assert {"proxy_a_distance", "source_acc", "target_acc", "target_snd", "protocol"} <= set(result)
    assert result["n_source"] == 10 and result["n_target"] == 40  # source val: 10% of 60, >= 1 per class
    assert main(["--config", config, "--ckpt_path", str(tmp_path / "nope.ckpt"), "--out", str(tmp_path / "x"),
                 *data]) == 2


def test_label_free_criteria_never_look_at_target_test_images() -> None:
    """val/target_entropy and SND / MI are computed on the unlabelled adaptation split: poisoning every target
    *test* image (NaN) changes target accuracy only, and the logged entropy equals the one recomputed by hand on
    the adaptation split."""
    import torch
    from lightning.pytorch import Trainer

    from tlzoo.callbacks.analysis import UnsupervisedValidators
    from tlzoo.data import EmbeddedDigits
    from tlzoo.data.tensors import TensorImageDataset
    from tlzoo.methods import SourceOnly
    from tlzoo.methods.da.base import prediction_entropy
    from tlzoo.nn.backbones import BackboneConfig

    class PoisonedTest(EmbeddedDigits):
        def build(self) -> None:
            super().build()
            test = self.target_test
            self.target_test = TensorImageDataset(torch.full_like(test.images, float("nan")), test.labels)

    dm = PoisonedTest(batch_size=32)
    model = SourceOnly(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    trainer = Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=2, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      accelerator="cpu", callbacks=[UnsupervisedValidators()])
    trainer.fit(model, dm)
    metrics = trainer.callback_metrics
    for name in ("val/target_entropy", "val/target_snd", "val/target_mi", "val/iwcv_risk", "val/dev_risk"):
        assert torch.isfinite(metrics[name]), name
    model.eval()
    with torch.no_grad():
        first = evaluation_order(len(dm.target_train))[:64].sort().values  # limit_val_batches 2 x batch 32
        x = torch.stack([dm.target_train[i][0] for i in first])
        expected = prediction_entropy(model(x)).mean()
    assert torch.allclose(metrics["val/target_entropy"], expected, atol=1e-5)
