"""Cross-city adaptation: class-wise weights and loss (ignored pixels count for nothing), the data modules, and a
short real run of the method (adapted and source-only)."""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.pytorch import Trainer, seed_everything

from tests.contracts.cases_pixel_da import TinySegmentation
from tlzoo.data.cross_city import CLASS_NAMES, CityscapesToCrossCity
from tlzoo.data.digit_segmentation import digit_masks
from tlzoo.methods import CrossCityAdaptation
from tlzoo.nn.segmentation_alignment import (
    ClassWiseDomainDiscriminators,
    class_wise_domain_loss,
    grid_class_probabilities,
    grid_class_weights,
)


def test_class_weights_leave_ignored_pixels_out() -> None:
    mask = torch.tensor([[[0, 1, 255, 255], [1, 1, 255, 7]]])  # 7 >= K = 3: out of range, ignored too
    w = grid_class_weights(mask, 3, 255, (1, 2))
    assert w.shape == (1, 3, 1, 2)
    assert torch.allclose(w[0, :, 0, 0], torch.tensor([0.25, 0.75, 0.0]))
    assert torch.allclose(w[0, :, 0, 1], torch.zeros(3))  # a cell of ignored pixels weighs nothing


def test_class_wise_loss_ignores_ignore_index_pixels() -> None:
    torch.manual_seed(0)
    d = ClassWiseDomainDiscriminators(4, 3, hidden=5)
    feats = torch.randn(2, 4, 2, 2, requires_grad=True)
    mask = torch.randint(0, 3, (2, 8, 8))
    mask[0, :4, :4] = 255  # the top-left cell of image 0 is all ignored
    weights = grid_class_weights(mask, 3, 255, (2, 2))
    loss = class_wise_domain_loss(d(feats), weights, 1.0)
    loss.backward()
    assert feats.grad is not None and feats.grad[0, :, 0, 0].abs().sum() == 0  # no signal from ignored pixels
    assert feats.grad[0, :, 1, 1].abs().sum() > 0
    # by hand: weighted BCE over the labelled pixels' classes only
    logits = d(feats).detach()
    bce = torch.nn.functional.softplus(-logits)  # BCE with label 1
    assert torch.allclose(loss, (weights * bce).sum() / weights.sum(), atol=1e-6)
    # an all-ignored batch gives zero loss (not NaN)
    empty = grid_class_weights(torch.full((2, 8, 8), 255), 3, 255, (2, 2))
    assert class_wise_domain_loss(d(feats), empty, 1.0).item() == 0.0


def test_predicted_class_maps_and_prior() -> None:
    logits = torch.zeros(1, 3, 4, 4)
    logits[:, 2] = 5.0
    p = grid_class_probabilities(logits, (2, 2))
    assert torch.allclose(p.sum(1), torch.ones(1, 2, 2)) and (p[:, 2] > 0.9).all()
    prior = torch.ones(1, 3, 4, 4)
    prior[:, 2] = 0.0  # the prior rules class 2 out
    p = grid_class_probabilities(logits, (2, 2), prior)
    assert torch.allclose(p[:, 2], torch.zeros(1, 2, 2)) and torch.allclose(p.sum(1), torch.ones(1, 2, 2))


def test_digit_masks() -> None:
    digits = torch.tensor([[[0, 200], [130, 100]]], dtype=torch.uint8)
    assert digit_masks(digits, torch.tensor([4]), 0.5).tolist() == [[[0, 5], [5, 0]]]


def test_cross_city_data_maps_labels_to_the_13_classes(tmp_path: Path) -> None:
    from tlzoo.data import fixtures_cityscapes, fixtures_cross_city

    fixtures_cityscapes.write_cityscapes(tmp_path / "cs", per_city=1, size=(16, 32))
    fixtures_cross_city.write_cross_city(tmp_path / "nthu", cities=("Rio",), n_train=2, n_test=1, size=(16, 32))
    dm = CityscapesToCrossCity(root=str(tmp_path / "nthu"), city="Rio", cityscapes_root=str(tmp_path / "cs"),
                               image_size=(16, 32), batch_size=1, num_workers=0)
    dm.setup("fit")
    assert dm.num_classes == len(CLASS_NAMES) == 13 and dm.split_sizes()["target_train"] == 2
    import numpy as np
    from PIL import Image

    label = np.asarray(Image.open(next((tmp_path / "nthu" / "Rio" / "Labels" / "Test").glob("*_eval.png"))))
    _, mask = dm.target_test[0]
    expected = {7: 0, 8: 1, 11: 2, 21: 5, 23: 6, 24: 7, 26: 9, 17: 255, 9: 255, 0: 255, 1: 255}
    for label_id, cls in expected.items():
        where = torch.from_numpy(label == label_id)
        if where.any():
            assert (mask[where] == cls).all(), label_id
    _, source_mask = dm.source_train[0]
    assert set(source_mask.unique().tolist()) <= set(range(13)) | {255}
    batch, *_ = next(iter(dm.train_dataloader()))  # CombinedLoader yields (batch, batch_idx, dataloader_idx)
    assert batch["source"][0].shape == (1, 3, 16, 32) and batch["target"].shape == (1, 3, 16, 32)


def _fit(model: CrossCityAdaptation, steps: int = 3) -> Trainer:
    trainer = Trainer(max_steps=steps, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(model, TinySegmentation())
    return trainer


def test_adaptation_trains_both_players_and_logs_target_and_source_miou() -> None:
    seed_everything(0)
    model = CrossCityAdaptation(3, (3, 16, 16), arch="unet_small", global_weight=0.1, class_weight=0.1,
                                global_hidden=(8,), class_hidden=4)
    d_before = [p.clone() for p in model.class_discriminators.parameters()]
    trainer = _fit(model)
    assert trainer.global_step == 3
    assert any(not torch.equal(a, b) for a, b in zip(d_before, model.class_discriminators.parameters()))
    metrics = trainer.callback_metrics
    assert {"val/miou", "val/source_miou", "val/iou_background", "train/class_adv"} <= set(metrics)


def test_source_only_never_steps_the_discriminators() -> None:
    seed_everything(0)
    model = CrossCityAdaptation(3, (3, 16, 16), arch="unet_small", global_weight=0.0, class_weight=0.0,
                                global_hidden=(8,), class_hidden=4)
    d_before = [p.clone() for p in model.global_discriminator.parameters()]
    trainer = _fit(model, steps=2)
    assert trainer.global_step == 2
    assert all(torch.equal(a, b) for a, b in zip(d_before, model.global_discriminator.parameters()))
