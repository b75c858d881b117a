"""Feed-forward style transfer (Johnson et al., ECCV 2016): the transformation network, the LightningModule's
training / checkpoint / predict contract, and (slow) a learning check with a random VGG-16 loss network."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer

from tlzoo.core.optim import OptimConfig
from tlzoo.data.content_images import ContentImages, read_rgb
from tlzoo.errors import TLZooError
from tlzoo.methods.style.johnson import JohnsonStyleTransfer
from tlzoo.nn.transform_net import TransformNet
from tlzoo.prediction_writer import ImagePredictionWriter, prediction_writer


@pytest.mark.parametrize("norm", ["instance", "batch"])
@pytest.mark.parametrize("upsample", ["transposed", "nearest"])
def test_transform_net_keeps_size_and_range(norm: str, upsample: str) -> None:
    net = TransformNet(base_channels=8, residual_blocks=1, norm=norm, upsample=upsample)
    y = net(torch.rand(2, 3, 20, 28))
    assert y.shape == (2, 3, 20, 28) and 0 <= y.min() and y.max() <= 1
    with pytest.raises(TLZooError, match="divisible by 4"):
        net(torch.rand(1, 3, 18, 20))


def test_paper_architecture_widths() -> None:
    convs = [m for m in TransformNet().modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    # c9s1-32, d64, d128, 5 x R128 (2 convs each), u64, u32, c9s1-3
    assert [c.out_channels for c in convs] == [32, 64, 128] + [128] * 10 + [64, 32, 3]
    assert convs[0].kernel_size == (9, 9) and convs[-1].kernel_size == (9, 9)


def _model(**kwargs) -> JohnsonStyleTransfer:  # noqa: ANN003
    return JohnsonStyleTransfer("skimage:immunohistochemistry", style_size=32, base_channels=8, residual_blocks=1,
                                pretrained=False, **kwargs)


def test_fit_checkpoint_without_vgg_and_predict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    data = ContentImages(source="skimage", image_size=16, batch_size=2, num_workers=0)
    model = _model()
    trainer = Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, default_root_dir=str(tmp_path), accelerator="cpu")
    trainer.fit(model, datamodule=data)
    assert {"train/loss", "train/style_loss", "val/loss", "val/content_loss"} <= set(trainer.callback_metrics)
    assert model.weights_source == "random"
    ckpt = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt)
    state = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    assert state and all(k.startswith("net.") for k in state)  # the VGG is not stored
    loaded = JohnsonStyleTransfer.load_from_checkpoint(ckpt)
    x = torch.rand(1, 3, 16, 16)
    assert torch.allclose(loaded(x), model(x), atol=1e-6)
    rows = dict(model.image_grid((x, torch.zeros(1))))
    assert set(rows) == {"content", "stylised", "style"} and rows["stylised"].shape == x.shape
    writer = prediction_writer(model, tmp_path / "out")
    assert isinstance(writer, ImagePredictionWriter)
    Trainer(logger=False, enable_progress_bar=False, callbacks=[writer], accelerator="cpu").predict(
        model, datamodule=data, return_predictions=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cat.png", "retina.png"]  # the held-out two


def test_data_module_folder_and_errors(tmp_path: Path) -> None:
    from tlzoo.data import fixtures

    fixtures.write_image_folder(tmp_path / "photos", ["a", "b"], per_class=2, size=24)
    data = ContentImages(root=str(tmp_path / "photos"), image_size=16, val_count=1, batch_size=2, num_workers=0)
    data.setup("fit")
    x, idx = next(iter(data.train_dataloader()))
    assert x.shape == (2, 3, 16, 16) and 0 <= x.min() and x.max() <= 1
    assert len(data.predict_paths) == 1 and data.predict_paths[0].endswith(".jpg")
    with pytest.raises(TLZooError, match="no image files"):
        ContentImages(root=str(tmp_path / "empty"), num_workers=0).setup("fit")
    with pytest.raises(TLZooError, match="--data.root"):
        ContentImages(num_workers=0)
    with pytest.raises(TLZooError, match="unknown scikit-image"):
        read_rgb("skimage:nothing")
    assert read_rgb("skimage:coffee", 64).shape == (1, 3, 44, 64)  # longer side 64, sides multiples of 4


@pytest.mark.slow
def test_training_lowers_the_style_loss_of_held_out_photographs() -> None:
    """~20 s of CPU: 150 Adam steps at 32 px, random VGG-16 (the ImageNet weights are not assumed present)."""
    torch.manual_seed(0)
    data = ContentImages(source="skimage", image_size=32, batch_size=4, num_workers=0)
    model = JohnsonStyleTransfer("skimage:immunohistochemistry", style_size=64, base_channels=16, residual_blocks=2,
                                 style_weight=100.0, pretrained=False,
                                 optim=OptimConfig(name="adam", lr=3e-3, schedule="constant"))
    data.setup("fit")
    x = next(iter(data.val_dataloader()))[0]
    with torch.no_grad():
        before = model.losses(x)
    Trainer(max_steps=150, logger=False, enable_progress_bar=False, enable_checkpointing=False, limit_val_batches=0,
            accelerator="cpu").fit(model, datamodule=data)
    with torch.no_grad():
        after = model.losses(x)
    assert after["style_loss"] < before["style_loss"] / 10, (before, after)  # measured: 25x
    # bounded (measured: 0.013 -> 0.023). With a random VGG this is no proof that the content survives: a uniform
    # grey image scores 0.020; docs/style.md says so.
    assert after["content_loss"] < 2.5 * before["content_loss"], (before, after)
