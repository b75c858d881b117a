"""One model object can be validated, fitted and tested in any order: metric states made under inference mode
(``trainer.validate`` / ``test``) are given normal copies before the validation inside ``trainer.fit``."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics import MeanMetric

from tests.translation.tiny import cpu_trainer
from tlzoo.core.metric_states import held_metrics, states_to_current_mode
from tlzoo.core.module import ZooModule


class LazyMetricModel(ZooModule):
    """A linear regressor whose validation error lives in a metric built on first use, in a plain dict (as the
    generative methods keep their judges and FID/KID out of the state dict)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 1)
        self._lazy: dict[str, Any] = {}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x).squeeze(1), y)

    def _evaluate(self, batch: Any, stage: str) -> None:
        if stage not in self._lazy:
            self._lazy[stage] = MeanMetric()
        x, y = batch
        self._lazy[stage].update((self.net(x).squeeze(1) - y).abs())

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_validation_epoch_end(self) -> None:
        self.log("val/err", self._lazy["val"].compute())
        self._lazy["val"].reset()

    def on_test_epoch_end(self) -> None:
        self.log("test/err", self._lazy["test"].compute())
        self._lazy["test"].reset()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 2, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1)), batch_size=8)


def test_validate_fit_test_validate_on_one_model_object() -> None:
    model = LazyMetricModel()
    before = cpu_trainer(None).validate(model, _loader(), verbose=False)[0]["val/err"]
    cpu_trainer(None, max_epochs=3).fit(model, _loader(), _loader())  # validates under no_grad, not inference
    cpu_trainer(None).test(model, _loader(), verbose=False)
    cpu_trainer(None, max_epochs=4).fit(model, _loader(), _loader())
    after = cpu_trainer(None).validate(model, _loader(), verbose=False)[0]["val/err"]
    assert after < before


def test_states_get_normal_copies_with_their_values_outside_inference_mode() -> None:
    with torch.inference_mode():
        metric = MeanMetric()
        metric.update(torch.tensor([1.0, 3.0]))
    holder = {"m": metric}
    found = list(held_metrics(torch.nn.Module())) + list(held_metrics(_Holder(holder)))
    assert found == [metric]
    with torch.inference_mode():
        states_to_current_mode(found)  # a no-op in inference mode
    assert metric.mean_value.is_inference()
    states_to_current_mode(found)
    assert not metric.mean_value.is_inference() and not metric._defaults["mean_value"].is_inference()
    metric.update(torch.tensor([5.0]))
    assert float(metric.compute()) == 3.0


class _Holder(torch.nn.Module):
    def __init__(self, metrics: dict[str, Any]) -> None:
        super().__init__()
        self.kept = metrics
