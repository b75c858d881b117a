"""Image metrics: FID / KID with pluggable features, SSIM / PSNR, label preservation, FCN-scores, judges."""

from __future__ import annotations

import socket
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.errors import TLZooError
from tlzoo.metrics import (
    ClassifierFeatures,
    ImageTranslationMetrics,
    InceptionFeatures,
    Judge,
    Normalization,
    SegmentationScores,
    load_judge,
)
from tlzoo.metrics.features import INCEPTION_WEIGHTS_FILE, INCEPTION_WEIGHTS_URL, PYTORCH_FID_WEIGHTS_FILE


class TinyFeatures(nn.Module):
    """A fixed random conv net: images in [0, 1] -> 6 features."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(channels, 6, 3, padding=1), nn.Tanh(), nn.AdaptiveAvgPool2d(2),
                                 nn.Flatten(), nn.Linear(24, 6))
        self.name = "tiny"
        self.num_features = 6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Brightness(nn.Module):
    """A toy classifier: class 1 if the mean pixel (of its normalised input) is above 0, else class 0."""

    def __init__(self, input_shape: tuple[int, int, int] = (1, 8, 8)) -> None:
        super().__init__()
        self.input_shape = input_shape
        self.num_classes = 2
        self.seen: list[torch.Tensor] = []
        self.scale = nn.Parameter(torch.tensor(10.0))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.clone())
        return x.mean(dim=(1, 2, 3)).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x) * self.scale
        return torch.cat([-f, f], dim=1)


def images(n: int = 32, seed: int = 0, size: int = 16, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, size, size, generator=g) * 0.6 + 0.2 + shift).clamp(0, 1)


# ----------------------------------------------------------------------------- FID / KID
def test_fid_and_kid_of_a_set_with_itself_are_zero_and_grow_with_a_shift() -> None:
    x = images()
    same = ImageTranslationMetrics(fid=True, kid=True, features=TinyFeatures(), kid_subset_size=16, kid_subsets=20)
    same.update(x[:16], x[:16])
    same.update(x[16:], x[16:])
    out = same.compute()
    assert set(out) == {"fid_tiny", "kid_tiny", "kid_tiny_std"}
    assert abs(float(out["fid_tiny"])) < 1e-3

    shifted = ImageTranslationMetrics(fid=True, kid=True, features=TinyFeatures(), kid_subset_size=16,
                                      kid_subsets=20)
    shifted.update(images(seed=1, shift=0.25), x)
    far = shifted.compute()
    assert float(far["fid_tiny"]) > 100 * max(abs(float(out["fid_tiny"])), 1e-6)
    assert float(far["kid_tiny"]) > 0
    assert abs(float(out["kid_tiny"])) < 0.1 * float(far["kid_tiny"])

    same.reset()
    same.update(x, x)
    assert abs(float(same.compute()["fid_tiny"])) < 1e-3


def test_kid_clamps_the_subset_size_is_reproducible_and_leaves_the_rng_alone() -> None:
    metrics = ImageTranslationMetrics(fid=False, kid=True, features=TinyFeatures(), kid_subset_size=1000,
                                      kid_subsets=5)
    metrics.update(images(seed=1, shift=0.2), images())
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with pytest.warns(UserWarning, match="kid_subset_size=1000 is more than the 32 samples"):
        first = metrics.compute()
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(metrics.compute()["kid_tiny"], first["kid_tiny"])
    assert "fid_tiny" not in first


def test_fid_with_fewer_than_two_samples_is_skipped_with_a_warning() -> None:
    metrics = ImageTranslationMetrics(fid=True, kid=True, features=TinyFeatures(), kid_subset_size=4)
    metrics.update(images(1), images(1))
    with pytest.warns(UserWarning, match="fid_tiny, kid_tiny"):
        assert metrics.compute() == {}


def test_torchmetrics_fid_accepts_a_zoo_feature_module_directly() -> None:
    """torchmetrics' own FID with our module as `feature` (it reads num_features, passes floats in [0, 1])."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    feats = ClassifierFeatures(Brightness((3, 8, 8)), name="b", input_spec=Normalization((0.0,), (1.0,)))
    fid = FrechetInceptionDistance(feature=feats, normalize=True)
    fid.update(images(8), real=True)
    fid.update(images(8, seed=2, shift=0.3), real=False)
    assert float(fid.compute()) > 0


def test_extractors_and_judge_stay_out_of_the_state_dict() -> None:
    judge = Judge(Brightness(), input_spec=Normalization((0.0,), (1.0,)))
    metrics = ImageTranslationMetrics(fid=True, kid=True, features=[TinyFeatures(), judge.features],
                                      ssim_psnr=True, judge=judge, kid_subset_size=4)
    assert sorted(metrics.extractors) == ["judge", "tiny"]
    assert not any("net." in k or "scale" in k for k in metrics.state_dict())
    assert not any(p.numel() for p in metrics.parameters())
    metrics.train()
    assert not judge.training and not judge.model.training


# ----------------------------------------------------------------------------- SSIM / PSNR, labels
def test_ssim_and_psnr_of_identical_and_different_images() -> None:
    x = images(4)
    same = ImageTranslationMetrics(fid=False, ssim_psnr=True)
    same.update(x, target01=x)
    out = same.compute()
    assert float(out["ssim"]) == pytest.approx(1.0, abs=1e-5)
    assert float(out["psnr"]) == float("inf") or float(out["psnr"]) > 80

    other = ImageTranslationMetrics(fid=False, ssim_psnr=True)
    other.update((x + 0.1).clamp(0, 1), target01=x)
    out = other.compute()
    assert float(out["ssim"]) < 1.0
    assert 10 < float(out["psnr"]) < 30  # MSE about 0.01 -> about 20 dB
    with pytest.raises(ValueError, match="target01"):
        other.update(x)


def test_label_preservation_is_the_judge_accuracy_on_translated_images() -> None:
    judge = Judge(Brightness(), input_spec=Normalization((0.5,), (0.5,)))
    dark, bright = torch.full((3, 1, 8, 8), 0.1), torch.full((5, 1, 8, 8), 0.9)
    fake = torch.cat([dark, bright])
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1, 1])
    assert judge.predict(fake).tolist() == labels.tolist()
    assert float(judge.accuracy(fake, labels)) == 1.0

    metrics = ImageTranslationMetrics(fid=False, judge=judge)
    metrics.update(fake, source_labels=labels)
    metrics.update(fake, source_labels=1 - labels)
    assert float(metrics.compute()["label_preservation"]) == pytest.approx(0.5)

    no_labels = ImageTranslationMetrics(fid=False, judge=judge)
    no_labels.update(fake)
    with pytest.warns(UserWarning, match="label_preservation"):
        assert no_labels.compute() == {}


# ----------------------------------------------------------------------------- feature extractors
def test_classifier_features_adapt_size_channels_and_normalisation() -> None:
    grey = Brightness((1, 28, 28))
    feats = ClassifierFeatures(grey, name="g", input_spec=Normalization((0.5,), (0.5,)))
    assert feats.num_features == 1  # probed with a dummy input
    rgb = torch.full((2, 3, 32, 32), 0.75)
    out = feats(rgb)
    assert out.shape == (2, 1)
    assert grey.seen[-1].shape == (2, 1, 28, 28)
    assert torch.allclose(grey.seen[-1], torch.full_like(grey.seen[-1], 0.5))  # (0.75 - 0.5) / 0.5
    assert not any(p.requires_grad for p in grey.parameters())

    colour = Brightness((3, 28, 28))
    feats = ClassifierFeatures(colour, input_spec=Normalization((0.0, 0.5, 1.0), (1.0, 1.0, 1.0)))
    feats(torch.ones(2, 1, 32, 32))
    x = colour.seen[-1]
    assert x.shape == (2, 3, 28, 28)
    assert [float(x[0, c].mean()) for c in range(3)] == pytest.approx([1.0, 0.5, 0.0], abs=1e-6)
    feats.train()
    assert not feats.training


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network, an empty torch hub cache and no weights variable."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("TLZOO_INCEPTION_WEIGHTS", raising=False)


def test_inception_features_without_weights_name_the_file_and_never_download(offline: None, tmp_path: Path) -> None:
    with pytest.raises(TLZooError) as err:
        InceptionFeatures()
    message = str(err.value)
    assert INCEPTION_WEIGHTS_FILE in message and INCEPTION_WEIGHTS_URL in message
    assert PYTORCH_FID_WEIGHTS_FILE in message and "weights_path" in message
    with pytest.raises(TLZooError, match="not found"):
        InceptionFeatures(str(tmp_path / "nowhere.pth"))
    with pytest.raises(TLZooError, match=INCEPTION_WEIGHTS_FILE):  # no default Inception behind FID either
        ImageTranslationMetrics(fid=True)
    bad = tmp_path / INCEPTION_WEIGHTS_FILE
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(TLZooError, match="is not the FID Inception-v3 weights file"):
        InceptionFeatures(str(tmp_path))


def test_inception_features_load_a_weights_file_in_the_pytorch_fid_layout(offline: None, tmp_path: Path) -> None:
    """pytorch-fid's file is a torchvision Inception-v3 (1008 classes, no aux head) state dict: it must load
    into torch-fidelity's network (random weights here: only names and shapes are checked)."""
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008)
    torch.save(net.state_dict(), tmp_path / PYTORCH_FID_WEIGHTS_FILE)
    del net
    feats = InceptionFeatures(str(tmp_path))
    assert feats.name == "inception" and feats.num_features == 2048
    out = feats(torch.rand(2, 1, 28, 28))  # grey, small: repeated to RGB, resized to 299
    assert out.shape == (2, 2048) and out.dtype == torch.float32 and torch.isfinite(out).all()


# ----------------------------------------------------------------------------- judges
def test_load_judge_from_a_tlzoo_fit_checkpoint(tmp_path: Path) -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "source_only_digits.yaml"), *QUICK,
                         "--trainer.logger", "false"])
    assert code == 0, out
    ckpt = sorted(Path("runs").rglob("last.ckpt"))[0]
    judge = load_judge(ckpt)
    assert type(judge.model).__name__ == "SourceOnly" and judge.num_classes == 10
    assert judge.features.input_shape == (1, 28, 28)
    assert judge.features.mean.flatten().tolist() == [0.5]  # EmbeddedDigits: images in [-1, 1]
    assert not any(p.requires_grad for p in judge.parameters())
    x01 = torch.rand(5, 3, 32, 32)
    pred = judge.predict(x01)
    assert pred.shape == (5,) and pred.dtype == torch.long
    grey28 = torch.nn.functional.interpolate(x01.mean(1, keepdim=True), size=(28, 28), mode="bilinear")
    with torch.no_grad():
        assert torch.equal(pred, judge.model((grey28 - 0.5) / 0.5).argmax(1))
    assert 0.0 <= float(judge.accuracy(x01, pred)) == 1.0
    assert judge.features(x01).shape == (5, judge.features.num_features)

    # Copied away from its run folder, the normalisation must be given.
    alone = tmp_path / "alone" / "judge.ckpt"
    alone.parent.mkdir()
    alone.write_bytes(ckpt.read_bytes())
    with pytest.raises(TLZooError, match="input_mean= and input_std="):
        load_judge(alone)
    assert load_judge(alone, input_mean=0.0, input_std=1.0).features.std.flatten().tolist() == [1.0]

    # A checkpoint of a model that is not a tlzoo method.
    data = torch.load(ckpt, map_location="cpu", weights_only=False)
    data["hyper_parameters"]["_class_path"] = "somewhere.else.Model"
    torch.save(data, tmp_path / "foreign_class.ckpt")
    with pytest.raises(TLZooError, match="not a tlzoo method"):
        load_judge(tmp_path / "foreign_class.ckpt", input_mean=0.5, input_std=0.5)


def test_load_judge_rejects_missing_foreign_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(TLZooError, match="judge checkpoint not found"):
        load_judge(tmp_path / "missing.ckpt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(TLZooError, match="not a tlzoo/Lightning checkpoint"):
        load_judge(tmp_path / "foreign.pt")
    (tmp_path / "corrupt.ckpt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(TLZooError, match="not a readable torch checkpoint"):
        load_judge(tmp_path / "corrupt.ckpt")


# ----------------------------------------------------------------------------- FCN-scores
def test_segmentation_scores_by_hand() -> None:
    scores = SegmentationScores(num_classes=3, ignore_index=255)
    target = torch.tensor([[[0, 0, 1], [1, 2, 255]]])
    preds = torch.tensor([[[0, 1, 1], [1, 0, 2]]])
    scores.update(preds, target)
    out = scores.compute()
    # confusion (rows true, cols pred): [[1, 1, 0], [0, 2, 0], [1, 0, 0]]; the 255 pixel is ignored
    assert float(out["pixel_acc"]) == pytest.approx(3 / 5)
    assert out["class_acc"].tolist() == pytest.approx([1 / 2, 1.0, 0.0])
    assert float(out["mean_class_acc"]) == pytest.approx(0.5)
    assert out["class_iou"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert float(out["mean_iou"]) == pytest.approx(1 / 3)

    # Scores (N, K, H, W) give the same; a class predicted but absent from the ground truth has no accuracy
    # (NaN, left out of the mean) and IoU 0 (counted).
    four = SegmentationScores(num_classes=4)
    logits = torch.nn.functional.one_hot(torch.tensor([[[0, 3], [1, 1]]]), 4).permute(0, 3, 1, 2).float()
    four.update(logits, torch.tensor([[[0, 0], [1, 255]]]))
    out = four.compute()
    assert float(out["pixel_acc"]) == pytest.approx(2 / 3)
    assert torch.isnan(out["class_acc"][2]) and torch.isnan(out["class_acc"][3])
    assert float(out["mean_class_acc"]) == pytest.approx((1 / 2 + 1) / 2)
    assert out["class_iou"][3] == 0 and torch.isnan(out["class_iou"][2])
    assert float(out["mean_iou"]) == pytest.approx((1 / 2 + 1 + 0) / 3)
    four.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.isnan(four.compute()["pixel_acc"])
