"""AdaBN: the statistics pass by hand, the callback's source/target switching, and the AdaBN method."""

from __future__ import annotations

import copy

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tlzoo.callbacks import AdaBNCallback
from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.errors import TLZooError
from tlzoo.methods import AdaBN, OptimConfig, SourceOnly
from tlzoo.nn.adabn import adapt_batchnorm, batchnorm_state, load_batchnorm_state
from tlzoo.nn.backbones import BackboneConfig


class ShiftedBlobs(DomainAdaptationDataModule):
    """3 Gaussian classes in 6-d; the target is the source under ``x -> scale * x + offset``.

    After a ``Linear-BatchNorm`` layer such a shift is removed exactly by target BN statistics, so
    AdaBN must recover the source accuracy on the target while a source-normalised network fails.
    """

    num_classes = 3
    input_shape = (6,)

    def __init__(self, scale: float = 2.5, offset: float = 6.0, n: int = 240, batch_size: int = 48,
                 seed: int = 0) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.scale, self.offset, self.n = scale, offset, n

    def build(self) -> None:
        g = torch.Generator().manual_seed(1234)
        means = 2.5 * torch.randn(self.num_classes, 6, generator=g)
        offset = self.offset * torch.randn(6, generator=g)

        def draw(n: int, target: bool) -> TensorDataset:
            y = torch.arange(n) % self.num_classes
            x = means[y] + torch.randn(n, 6, generator=g)
            if target:
                x = self.scale * x + offset
            return TensorDataset(x, y)

        self.source_train, self.source_val = draw(self.n, False), draw(self.n // 2, False)
        self.target_train, self.target_test = draw(self.n, True), draw(self.n // 2, True)


def blob_model(cls=SourceOnly, **kwargs):
    return cls(num_classes=3, input_shape=(6,), backbone=BackboneConfig(name="mlp", hidden=(32,), batch_norm=True),
               classifier_hidden=(), optim=OptimConfig(lr=0.05, schedule="constant"), **kwargs)


def quick_trainer(epochs: int = 6, callbacks=None, validate_during_fit: bool = True) -> Trainer:
    return Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False, callbacks=callbacks or [],
                   num_sanity_val_steps=0, limit_val_batches=None if validate_during_fit else 0)


# -- adapt_batchnorm by hand ---------------------------------------------------------------------
def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3), nn.Dropout(0.5), nn.BatchNorm1d(3))


def _target(n: int = 120) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return 2.0 * torch.randn(n, 4, generator=g) + torch.tensor([3.0, -1.0, 0.0, 10.0])


def test_one_batch_gives_exact_target_statistics_layer_by_layer() -> None:
    net, x = _net(), _target()
    net.train()
    assert adapt_batchnorm(net, [x]) == 2
    bn0, lin, bn1 = net[0], net[1], net[3]
    assert torch.allclose(bn0.running_mean, x.mean(0), atol=1e-5)
    assert torch.allclose(bn0.running_var, x.var(0, unbiased=True), atol=1e-4)
    # second layer: inputs normalised with the batch statistics, dropout OFF (eval) during the pass
    h = lin((x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + bn0.eps) * bn0.weight + bn0.bias).detach()
    assert torch.allclose(bn1.running_mean, h.mean(0), atol=1e-5)
    assert torch.allclose(bn1.running_var, h.var(0, unbiased=True), atol=1e-4)
    # modes and momenta restored
    assert all(m.training for m in net.modules())
    assert bn0.momentum == 0.1 and bn1.momentum == 0.1


def test_several_batches_give_the_cumulative_average() -> None:
    net, x = _net(), _target(120)
    net.eval()
    batches = [(x[i:i + 40], torch.zeros(40)) for i in range(0, 120, 40)]  # (x, y) batches: labels ignored
    adapt_batchnorm(net, batches)
    bn0 = net[0]
    assert torch.allclose(bn0.running_mean, x.mean(0), atol=1e-5)
    per_batch_var = torch.stack([b[0].var(0, unbiased=True) for b in batches]).mean(0)
    assert torch.allclose(bn0.running_var, per_batch_var, atol=1e-4)
    assert int(bn0.num_batches_tracked) == 3
    assert not any(m.training for m in net.modules())


def test_only_statistics_change_and_max_batches() -> None:
    net, x = _net(), _target()
    params = copy.deepcopy(dict(net.named_parameters()))
    adapt_batchnorm(net, [x[:40], x[40:80], x[80:]], max_batches=1)
    assert int(net[0].num_batches_tracked) == 1
    assert torch.allclose(net[0].running_mean, x[:40].mean(0), atol=1e-5)
    for name, p in net.named_parameters():
        assert torch.equal(p, params[name])


def test_no_batchnorm_and_empty_loader() -> None:
    assert adapt_batchnorm(nn.Linear(3, 2), [torch.randn(4, 3)]) == 0
    net = _net()
    before = batchnorm_state(net)
    with pytest.raises(ValueError):
        adapt_batchnorm(net, [])
    after = batchnorm_state(net)
    assert all(torch.equal(before[k], after[k]) for k in before)  # failure leaves the statistics alone


def test_state_round_trip() -> None:
    net = _net()
    saved = batchnorm_state(net)
    adapt_batchnorm(net, [_target()])
    assert not torch.equal(net[0].running_mean, saved["0.running_mean"])
    load_batchnorm_state(net, saved)
    assert torch.equal(net[0].running_mean, saved["0.running_mean"])


# -- the callback and the method -------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_source_only() -> tuple[SourceOnly, ShiftedBlobs]:
    seed_everything(0)
    dm = ShiftedBlobs()
    model = blob_model()
    quick_trainer(validate_during_fit=False).fit(model, datamodule=dm)
    return model, dm


def _accs(results: list[dict[str, float]], stage: str = "val") -> tuple[float, float]:
    merged = {k: v for r in results for k, v in r.items()}
    return merged[f"{stage}/source_acc"], merged[f"{stage}/target_acc"]


def test_callback_uses_target_statistics_for_target_only(trained_source_only) -> None:
    model, dm = trained_source_only
    before = batchnorm_state(model)
    src_plain, tgt_plain = _accs(quick_trainer().validate(model, datamodule=dm, verbose=False))
    src_ada, tgt_ada = _accs(quick_trainer(callbacks=[AdaBNCallback()]).validate(model, datamodule=dm, verbose=False))
    assert src_ada == pytest.approx(src_plain)  # source evaluated with the training statistics
    assert src_plain > 0.9
    assert tgt_ada > 0.9 and tgt_ada > tgt_plain + 0.2, (tgt_plain, tgt_ada)
    after = batchnorm_state(model)  # the model's own statistics are put back
    assert all(torch.equal(before[k], after[k]) for k in before)
    # test and predict stages too, under the same metric names
    _, tgt_test = _accs(quick_trainer(callbacks=[AdaBNCallback()]).test(model, datamodule=dm, verbose=False), "test")
    assert tgt_test == pytest.approx(tgt_ada)
    preds = quick_trainer(callbacks=[AdaBNCallback()]).predict(model, datamodule=dm)
    pred_acc = torch.cat([p["pred"] == p["label"] for p in preds]).float().mean()
    assert float(pred_acc) == pytest.approx(tgt_ada, abs=1e-6)


def test_callback_needs_a_datamodule(trained_source_only) -> None:
    model, dm = trained_source_only
    dm.setup()
    loaders = [DataLoader(dm.source_val, batch_size=16), DataLoader(dm.target_test, batch_size=16)]
    with pytest.raises(TLZooError, match="target_train"):
        quick_trainer(callbacks=[AdaBNCallback()]).validate(model, dataloaders=loaders, verbose=False)


def test_adabn_method_beats_source_only_on_a_bn_removable_shift(trained_source_only) -> None:
    so, dm = trained_source_only
    so_src, so_tgt = _accs(quick_trainer().validate(so, datamodule=dm, verbose=False))
    seed_everything(0)  # the same start as the SourceOnly fixture
    ada = blob_model(AdaBN)
    trainer = quick_trainer()
    trainer.fit(ada, datamodule=ShiftedBlobs())
    assert any(isinstance(cb, AdaBNCallback) for cb in trainer.callbacks)  # installed by the model
    assert trainer.callback_metrics["val/target_acc"] > 0.9  # validation during fit used AdaBN
    stats_after_fit = batchnorm_state(ada)
    ada_src, ada_tgt = _accs(quick_trainer().validate(ada, datamodule=dm, verbose=False))
    # same training as SourceOnly: identical weights and source accuracy
    assert ada_src == pytest.approx(so_src)
    assert ada_tgt > so_tgt + 0.2 and ada_tgt > 0.9, (so_tgt, ada_tgt)
    # training statistics are kept in the model between evaluations (what a checkpoint stores)
    after = batchnorm_state(ada)
    assert all(torch.equal(stats_after_fit[k], after[k]) for k in after)
    assert torch.allclose(after["backbone.body.1.running_mean"], batchnorm_state(so)["backbone.body.1.running_mean"])


def test_adabn_method_requires_batchnorm() -> None:
    with pytest.raises(TLZooError, match="BatchNorm"):
        AdaBN(num_classes=3, input_shape=(6,), backbone=BackboneConfig(name="mlp", batch_norm=False))
