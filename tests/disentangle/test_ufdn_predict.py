"""UFDN's translations: ``predict`` through the Trainer and the CLI, the domain names it takes, and the evaluation of
the translations (reconstruction error recomputed by hand, stand-in judges, FID in a judge's feature space)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything

from tests.test_adda import TinyDigits
from tlzoo.data.base import evaluation_order
from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.ufdn import UFDN
from tlzoo.methods.disentangle.ufdn_eval import reconstruction_l1


class NamedTinyDigits(TinyDigits):
    """TinyDigits whose domains have names, as the zoo's digit data modules do."""

    source, target = "uci", "mnist"


def _model(**kwargs: object) -> UFDN:
    return UFDN(10, (1, 28, 28), latent_dim=8, decoder_channels=4, latent_discriminator_hidden=(8,),
                **kwargs)  # type: ignore[arg-type]


def _trainer(**kwargs: object) -> Trainer:
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                   accelerator="cpu", devices=1, num_sanity_val_steps=0, **kwargs)  # type: ignore[arg-type]


def test_predict_returns_a_translation_per_requested_domain() -> None:
    seed_everything(0)
    both = _trainer(limit_predict_batches=1).predict(_model(), TinyDigits(batch_size=8))[0]
    assert set(both["translations"]) == {"source", "target"}  # data without domain names: the generic ones
    for image in both["translations"].values():
        assert image.shape == (8, 1, 28, 28) and 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert both["images"].shape == (8, 1, 28, 84)  # input | to source | to target
    assert torch.equal(both["images"][..., 28:56], both["translations"]["source"])
    # the classifier's prediction stays in the outputs
    assert both["pred"].shape == (8,) and torch.allclose(both["prob"].sum(1), torch.ones(8))
    assert torch.equal(both["label"], torch.arange(8))
    one = _trainer(limit_predict_batches=1).predict(_model(predict_domains=["mnist"]), NamedTinyDigits(batch_size=8))[0]
    assert list(one["translations"]) == ["mnist"] and one["images"].shape == (8, 1, 28, 28)
    assert torch.equal(one["images"], one["translations"]["mnist"])


def test_predicted_translation_is_the_decoder_on_the_mean_code() -> None:
    seed_everything(0)
    model = _model(predict_domains=["source"]).eval()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    out = model.predict_step((x, torch.zeros(3, dtype=torch.long)), 0)
    expected = ((model.decoder(model.posterior.posterior(model.backbone(x))[0], torch.zeros(3).long()) + 1) / 2)
    assert torch.allclose(out["images"], expected.clamp(0, 1), atol=1e-6)


@pytest.mark.parametrize("domains", [["svhn"], []])
def test_wrong_predict_domains_are_refused_with_the_flag(domains: list[str]) -> None:
    with pytest.raises(TLZooError, match="--model.init_args.predict_domains") as err:
        _trainer(limit_predict_batches=1).predict(_model(predict_domains=domains), NamedTinyDigits(batch_size=8))
    assert "\n" not in str(err.value)
    if domains:
        assert "uci, mnist" in str(err.value)


def test_reconstruction_l1_by_hand() -> None:
    x = torch.tensor([[[[0.0, 0.5], [1.0, 0.25]]], [[[1.0, 1.0], [0.0, 0.0]]]])
    recon = torch.tensor([[[[0.5, 0.5], [0.0, 0.25]]], [[[1.0, 0.75], [0.0, 0.25]]]])
    assert reconstruction_l1(x, recon).tolist() == pytest.approx([(0.5 + 0 + 1 + 0) / 4, (0 + 0.25 + 0 + 0.25) / 4])


def test_logged_reconstruction_error_recomputed_by_hand() -> None:
    seed_everything(0)
    model, data = _model(), TinyDigits(batch_size=8)
    metrics = _trainer(limit_test_batches=1).test(model, data, verbose=False)
    data.setup("test")
    model.eval()
    with torch.no_grad():
        for domain, (name, split) in enumerate((("source", data.source_val), ("target", data.target_test))):
            x = torch.stack([split[i][0] for i in evaluation_order(len(split))[:8]])  # the loader's first batch
            z = model.posterior.posterior(model.backbone(x))[0]
            recon01 = ((model.decoder(z, torch.full((8,), domain)) + 1) / 2).clamp(0, 1)
            expected = (recon01 - ((x + 1) / 2).clamp(0, 1)).abs().mean()
            assert metrics[domain][f"test/recon_l1_{name}"] == pytest.approx(expected.item(), rel=1e-4)
    assert "test/target_acc" in metrics[1] and "test/domain_reached_to_target" not in metrics[1]  # no judge: not scored


class _AlwaysTarget:
    """A stand-in domain judge that reads every image as the target domain (class 1)."""

    num_classes = 2
    checkpoint = "stand-in"
    features = None

    def to(self, device: object) -> _AlwaysTarget:
        return self

    def predict(self, x01: torch.Tensor) -> torch.Tensor:
        return torch.ones(len(x01), dtype=torch.long)


class _AlwaysZero(_AlwaysTarget):
    """A stand-in class judge that reads every image as class 0."""

    num_classes = 10

    def predict(self, x01: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(x01), dtype=torch.long)


def test_judges_score_the_translations() -> None:
    seed_everything(0)
    model = _model()
    model.evaluation.fid = False
    model.set_judges(_AlwaysTarget(), _AlwaysZero())
    metrics = _trainer(limit_test_batches=1).test(model, TinyDigits(batch_size=8), verbose=False)[0]
    assert metrics["test/domain_reached_to_target"] == 1.0 and metrics["test/domain_reached_to_source"] == 0.0
    assert metrics["test/judge_acc_real"] == pytest.approx(0.5)  # 8 source + 8 target images, all read "target"
    # classes 0..7 in each first batch: one image of class 0 per domain keeps its class
    for name in ("class_kept_to_target", "class_kept_to_source", "class_judge_acc_real_source",
                 "class_judge_acc_real_target"):
        assert metrics[f"test/{name}"] == pytest.approx(1 / 8), name
    model.set_judges(_AlwaysZero())  # a domain judge must classify the two domains
    with pytest.raises(TLZooError, match="evaluation.judge"):
        _trainer(limit_test_batches=1).test(model, TinyDigits(batch_size=8), verbose=False)


def test_fid_in_a_judges_feature_space() -> None:
    from tlzoo.metrics.judge import Judge

    seed_everything(0)
    model = _model()
    model.set_judges(class_judge=Judge(_model(), name="class_judge"))
    metrics = _trainer(limit_test_batches=1).test(model, TinyDigits(batch_size=8), verbose=False)[0]
    for domain in ("source", "target"):
        assert metrics[f"test/fid_class_judge_to_{domain}"] >= 0.0
        assert f"test/kid_class_judge_to_{domain}" in metrics


def test_cli_predict_writes_translated_images() -> None:
    from PIL import Image

    from tests.helpers import EXPERIMENTS, QUICK, run_cli
    from tests.test_experiments import data_args

    config = EXPERIMENTS / "disentangle" / "ufdn_usps_mnist.yaml"
    small = [*data_args(config, Path.cwd()), "--model.init_args.latent_dim", "8", "--model.init_args.decoder_channels",
             "4", "--model.init_args.latent_discriminator_hidden", "[8]", "--trainer.logger", "false"]
    code, out = run_cli(["fit", "-c", str(config), *QUICK, *small])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["predict", "-c", str(config), *QUICK, *small, "--ckpt_path", str(ckpt),
                         "--trainer.limit_predict_batches", "1", "--model.init_args.predict_domains", "[usps]"])
    assert code == 0, out
    images = sorted(Path("runs").rglob("predictions/*.png"))  # the checkpoint run's predictions/ folder
    assert len(images) == 8  # one batch of the target (USPS) test split, each rendered as USPS
    with Image.open(images[0]) as im:
        assert im.size == (28, 28)
