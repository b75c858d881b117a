"""DTN: f is fixed (loaded from a zoo checkpoint, or pre-trained in stage 1 then frozen), the losses match a hand
computation (L_D, L_GANG, f-constancy, TID), both data contracts work, and a slow learning check on real digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback, Trainer, seed_everything

from tests.contracts.cases_unit_dtn import TinyTranslation
from tests.test_adda import TinyDigits
from tests.translation.tiny import cpu_trainer, fit_and_test
from tlzoo.errors import TLZooError
from tlzoo.methods import DTN, OptimConfig, SourceOnly
from tlzoo.methods.translation.dtn import total_variation
from tlzoo.nn.backbones import BackboneConfig


def _trainer(tmp: Path, **kwargs: Any) -> Trainer:
    return cpu_trainer(1, default_root_dir=tmp, **kwargs)


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _source_classifier(tmp_path: Path) -> Path:
    """A tiny zoo classifier of the source domain (dann_digits with BatchNorm), saved as a run would be."""
    seed_everything(0)
    clf = SourceOnly(10, (1, 28, 28), backbone=BackboneConfig(name="dann_digits", batch_norm=True),
                     classifier_hidden=())
    trainer = _trainer(tmp_path / "f", max_epochs=1, limit_train_batches=2)
    trainer.fit(clf, TinyDigits(batch_size=8))
    run = tmp_path / "f_run"
    (run / "checkpoints").mkdir(parents=True)
    trainer.save_checkpoint(run / "checkpoints" / "last.ckpt")
    (run / "config.yaml").write_text("data: {class_path: tlzoo.data.USPSMNIST}\n")
    return run / "checkpoints" / "last.ckpt"


def _dtn(**kwargs: Any) -> DTN:
    return DTN(channels_a=1, channels_b=1, generator_channels=4, discriminator_channels=4, **kwargs)


def test_without_an_encoder_the_error_names_the_flags() -> None:
    with pytest.raises(TLZooError, match="encoder_checkpoint.*pretrain_epochs"):
        _dtn(image_size=16)


def test_f_from_a_checkpoint_never_changes(tmp_path: Path) -> None:
    model = _dtn(encoder_checkpoint=str(_source_classifier(tmp_path)), image_size=16)
    f_before, g_before = _state(model.encoder), _state(model.generator)
    assert not any(p.requires_grad for p in model.encoder.parameters())
    seed_everything(0)
    trainer = _trainer(tmp_path, max_epochs=2, limit_train_batches=2)
    trainer.fit(model, TinyTranslation())
    assert _same(f_before, _state(model.encoder))  # weights and BatchNorm statistics
    assert not _same(g_before, _state(model.generator))
    assert {"val/f_constancy", "val/tid_mse"} <= set(trainer.callback_metrics)


def test_losses_by_hand() -> None:
    seed_everything(0)
    model = _dtn(pretrain_epochs=1, num_classes=10, input_shape=(1, 16, 16))
    x_s, x_t = torch.rand(3, 1, 16, 16) * 2 - 1, torch.rand(3, 1, 16, 16) * 2 - 1
    f_s = model.f(x_s, "a")
    fake_s, fake_t = model.generator(f_s), model.G(x_t, "b")
    model.eval()  # D's BatchNorm: running statistics, so the two computations see the same D
    parts = model.generator_losses(x_t, f_s, fake_s, fake_t)
    p_s, p_t = model.discriminator(fake_s).softmax(1), model.discriminator(fake_t).softmax(1)
    gang = -p_s[:, 2].log().mean() - p_t[:, 2].log().mean()
    const = ((model.encoder(fake_s * 0.5 + 0.5) - f_s) ** 2).mean()
    tid = ((fake_t - x_t) ** 2).mean()
    assert torch.allclose(parts["gang"], gang, atol=1e-5)
    assert torch.allclose(parts["const"], const, atol=1e-6) and torch.allclose(parts["tid"], tid, atol=1e-6)
    assert torch.allclose(parts["total"], gang + 15 * const + 15 * tid, atol=1e-4)
    p_real = model.discriminator(x_t).softmax(1)
    l_d = -p_s[:, 0].log().mean() - p_t[:, 1].log().mean() - p_real[:, 2].log().mean()
    assert torch.allclose(model.discriminator_loss(x_t, fake_s, fake_t), l_d, atol=1e-5)



def _tv_by_hand(z: torch.Tensor) -> torch.Tensor:
    """The docstring's ``L_TV`` with ``B = 1``, pixel by pixel: the mean over ``(n, c, i, j)``, ``i < H - 1``,
    ``j < W - 1``, of ``sqrt((z[i, j+1] - z[i, j])^2 + (z[i+1, j] - z[i, j])^2 + 1e-8)``."""
    n, c, h, w = z.shape
    terms = [((z[a, b, i, j + 1] - z[a, b, i, j]) ** 2 + (z[a, b, i + 1, j] - z[a, b, i, j]) ** 2 + 1e-8).sqrt()
             for a in range(n) for b in range(c) for i in range(h - 1) for j in range(w - 1)]
    return torch.stack(terms).mean()


def test_total_variation_term_by_hand() -> None:
    ramp = torch.arange(5.0).repeat(4, 1).reshape(1, 1, 4, 5) * 0.25  # z_ij = j / 4: every term is 1 / 4
    assert torch.allclose(total_variation(ramp), torch.tensor(0.25), atol=1e-6)
    seed_everything(0)
    model = _dtn(pretrain_epochs=1, num_classes=10, input_shape=(1, 16, 16), gamma=0.5)
    x_s, x_t = torch.rand(2, 1, 16, 16) * 2 - 1, torch.rand(2, 1, 16, 16) * 2 - 1
    f_s = model.f(x_s, "a")
    fake_s, fake_t = model.generator(f_s), model.G(x_t, "b")
    model.eval()
    parts = model.generator_losses(x_t, f_s, fake_s, fake_t)
    tv = _tv_by_hand(fake_s)  # on G(x) of source x only (the paper's L_TV)
    assert tv > 0.01 and torch.allclose(parts["tv"], tv, atol=1e-6)
    assert torch.allclose(parts["total"], parts["gang"] + 15 * parts["const"] + 15 * parts["tid"] + 0.5 * tv,
                          atol=1e-4)
    assert not torch.allclose(tv, _tv_by_hand(fake_t))  # so the check above tells the two apart

class _EncoderWatch(Callback):
    """Records f's weights at the start and end of every epoch."""

    def __init__(self) -> None:
        self.states: list[tuple[int, str, dict[str, torch.Tensor]]] = []

    def on_train_epoch_start(self, trainer: Trainer, pl_module: Any) -> None:
        self.states.append((trainer.current_epoch, "start", _state(pl_module.encoder)))

    def on_train_epoch_end(self, trainer: Trainer, pl_module: Any) -> None:
        self.states.append((trainer.current_epoch, "end", _state(pl_module.encoder)))


def test_stage_one_pretrains_f_then_freezes_it(tmp_path: Path) -> None:
    seed_everything(0)
    model = _dtn(pretrain_epochs=1, num_classes=10, input_shape=(1, 28, 28),
                 backbone=BackboneConfig(name="dann_digits", batch_norm=True))
    watch = _EncoderWatch()
    trainer = _trainer(tmp_path, max_epochs=2, limit_train_batches=2, callbacks=[watch])
    trainer.fit(model, TinyDigits(batch_size=8))
    (e0, _, s0), (_, _, e0_end), (_, _, s1), *_, (_, _, last) = watch.states
    assert e0 == 0 and not _same(s0, e0_end)  # stage 1 trains f
    assert _same(s1, last) and int(model.stage) == 2  # stage 2 never changes it
    assert {"val/f_source_acc", "val/f_target_acc", "val/f_constancy"} <= set(trainer.callback_metrics)


def test_stage_one_needs_source_labels(tmp_path: Path) -> None:
    model = _dtn(pretrain_epochs=1, num_classes=10, input_shape=(1, 16, 16))
    with pytest.raises(TLZooError, match="source labels"):
        _trainer(tmp_path, max_epochs=1, limit_train_batches=1).fit(model, TinyTranslation())


@pytest.mark.slow
def test_dtn_translates_uci_to_mnist_preserving_labels(tmp_path: Path) -> None:
    """UCI -> MNIST with f pre-trained on UCI labels (stage 1) and a short adversarial stage: a MNIST judge
    labels the translated UCI digits well above chance (0.1)."""
    from tests.translation.digit_judge import train_mnist_judge
    from tlzoo.data.digits import EmbeddedDigits
    from tlzoo.methods.translation.base import TranslationEval

    torch.set_num_threads(1)
    judge = train_mnist_judge(tmp_path, epochs=2)
    seed_everything(0)
    model = DTN(channels_a=1, channels_b=1, pretrain_epochs=3, num_classes=10, input_shape=(1, 28, 28),
                generator_channels=32, discriminator_channels=32, evaluation=TranslationEval(judge_b=str(judge)),
                optim=OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999), schedule="constant"))
    data = EmbeddedDigits(source="uci", batch_size=64)
    trainer = _trainer(tmp_path, max_epochs=12, limit_val_batches=None, check_val_every_n_epoch=12)
    out = fit_and_test(trainer, model, data)
    assert out["test/label_preservation"] > 0.3, out


def test_export_module_is_G() -> None:
    model = _dtn(pretrain_epochs=1, num_classes=10, input_shape=(1, 16, 16)).eval()
    module, channels = model.export_module()
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    assert channels == 1 and torch.allclose(module(x), model.translate(x))
