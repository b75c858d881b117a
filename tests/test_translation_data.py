"""The image-translation data contract: pix2pix / CycleGAN folders, paired MNIST <-> MNIST-M, unpaired digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.utilities import CombinedLoader
from PIL import Image

from tlzoo.data import fixtures, fixtures_extra
from tlzoo.data.digit_pairs import MNISTMPaired, UnpairedDigits
from tlzoo.data.fixtures_translation import write_cyclegan_folder, write_pix2pix_folder
from tlzoo.data.paired_folders import PIX2PIX_URL, PairedFolders
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, EpochKeySampler, JointRandomCropFlip
from tlzoo.data.unpaired_folders import UnpairedFolders
from tlzoo.errors import DataNotFoundError, TLZooError


def set_epoch(loader: object, epoch: int) -> None:
    """What Lightning's fit loop does at the start of every epoch."""
    loaders = loader.flattened if isinstance(loader, CombinedLoader) else [loader]
    for dl in loaders:
        dl.sampler.set_epoch(epoch)


def first_batch(loader: object) -> dict:
    batch = next(iter(loader))
    return batch[0] if isinstance(loader, CombinedLoader) else batch


# ----------------------------------------------------------------------------- ImageSpec / transforms
def test_image_spec_round_trip_shape_and_checkpoint_loading(tmp_path: Path) -> None:
    spec = ImageSpec(3, (24, 32), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert spec.shape == (3, 24, 32) and ImageSpec.symmetric(1, 28).shape == (1, 28, 28)
    x01 = torch.rand(2, 3, 24, 32)
    assert torch.allclose(spec.denormalize(spec.normalize(x01)), x01, atol=1e-6)
    assert spec.denormalize(torch.full((3, 4, 4), 100.0)).max() == 1.0  # clamped
    assert ImageSpec.symmetric(3, 8).value_range == (-1.0, 1.0)
    with pytest.raises(ValueError, match="channels"):
        ImageSpec(3, 8, (0.5, 0.5), (0.5,))
    torch.save({"spec": spec}, tmp_path / "s.pt")
    assert torch.load(tmp_path / "s.pt", weights_only=True)["spec"] == spec


def test_da_modules_expose_a_spec_per_domain() -> None:
    from tlzoo.data import USPSMNIST, EmbeddedDigits, MNISTToMNISTM

    assert EmbeddedDigits().spec_a.shape == (1, 28, 28)
    assert USPSMNIST(image_size=32).spec_b.shape == (1, 32, 32)
    assert MNISTToMNISTM(transductive=True).spec_b.shape == (3, 28, 28)


def test_joint_crop_flip_applies_one_geometry_and_eval_only_resizes() -> None:
    t = JointRandomCropFlip(load_size=40, crop_size=32, flip=True)
    a = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    geoms = set()
    for i in range(20):
        rng = np.random.default_rng(i)
        xa, xb = t(a, 255 - a, rng=rng)
        assert xa.shape == (3, 32, 32) and torch.allclose(xa + xb, torch.ones_like(xa), atol=2 / 255)
        geoms.add(t.sample(np.random.default_rng(i)))
        xa2, _ = t(a, 255 - a, rng=np.random.default_rng(i))
        assert torch.equal(xa, xa2)  # the generator alone decides
    assert len(geoms) > 5 and {g[2] for g in geoms} == {True, False}
    (e,) = t(a)
    assert torch.equal(e, a.float() / 255)  # eval: resize to crop_size only (already 32)
    with pytest.raises(ValueError):
        JointRandomCropFlip(30, 32, True)


# ----------------------------------------------------------------------------- pix2pix folders
def test_paired_folders_batches_are_aligned_pairs_with_jitter(tmp_path: Path) -> None:
    root = write_pix2pix_folder(tmp_path / "p2p", n_train=6, n_val=3, n_test=2, size=32)
    dm = PairedFolders(str(root), load_size=40, crop_size=32, batch_size=3)
    assert dm.paired and dm.num_classes is None and dm.spec_a == dm.spec_b == ImageSpec.symmetric(3, 32)
    dm.setup("fit")
    assert dm.split_sizes()["train_pairs"] == 6 and len(dm.eval_a) == len(dm.eval_b) == 3
    flips = 0
    for epoch in range(3):
        set_epoch(loader := dm.train_dataloader(), epoch)
        for batch in loader:
            assert set(batch) == {"A", "B"} and batch["A"].shape == batch["B"].shape == (3, 3, 32, 32)
            a, b = batch["A"], batch["B"]
            assert a.min() >= -1 and a.max() <= 1
            assert (a + b).abs().mean() < 0.05  # B = negative of A survives the joint crop/flip
            assert (a.flip(-1) + b).abs().mean() > 0.2  # ... which a one-sided flip would break
            plain = torch.stack([dm.eval_a[i][0] for i in range(3)])
            flips += int(not any(torch.allclose(x, p, atol=0.1) for x in a for p in plain))
    assert flips > 0  # the jitter does something
    val = dm.val_dataloader()
    assert isinstance(val, CombinedLoader) and val._mode == "max_size"
    batch = first_batch(val)
    (xa, ya), (xb, yb) = batch["A"], batch["B"]
    assert ya.tolist() == yb.tolist() == [-1, -1, -1] and (xa + xb).abs().mean() < 0.05  # eval pairs aligned
    assert dm.predict_dataloader().dataset is dm.eval_a


def test_paired_direction_swaps_the_halves(tmp_path: Path) -> None:
    root = write_pix2pix_folder(tmp_path / "p2p", n_train=4, n_val=2, n_test=0, size=32)
    ab, ba = (PairedFolders(str(root), direction=d, load_size=36, crop_size=32, batch_size=2) for d in ("AtoB", "BtoA"))
    for dm in (ab, ba):
        dm.setup("fit")
    x, y = first_batch(ab.train_dataloader()), first_batch(ba.train_dataloader())
    assert torch.equal(x["A"], y["B"]) and torch.equal(x["B"], y["A"])
    assert torch.equal(ab.eval_a[0][0], ba.eval_b[0][0])


def test_training_batches_depend_only_on_seed_and_epoch(tmp_path: Path) -> None:
    root = write_pix2pix_folder(tmp_path / "p2p", n_train=6, n_val=1, n_test=0, size=32)

    def batches(epoch: int, seed: int = 0, workers: int = 0) -> list[torch.Tensor]:
        dm = PairedFolders(str(root), load_size=40, crop_size=32, batch_size=2, seed=seed, num_workers=workers)
        dm.setup("fit")
        loader = dm.train_dataloader()
        assert isinstance(loader.sampler, EpochKeySampler)
        set_epoch(loader, epoch)
        return [b["A"] for b in loader]

    first = batches(1)
    assert all(torch.equal(u, v) for u, v in zip(first, batches(1)))  # a resumed epoch 1 sees the same
    assert all(torch.equal(u, v) for u, v in zip(first, batches(1, workers=1)))  # workers change nothing
    assert not all(torch.equal(u, v) for u, v in zip(first, batches(0)))
    assert not all(torch.equal(u, v) for u, v in zip(first, batches(1, seed=1)))


def test_missing_pix2pix_data_names_layout_and_flags(tmp_path: Path) -> None:
    dm = PairedFolders(str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError) as err:
        dm.setup("fit")
    msg = str(err.value)
    assert "{train,val,test}/*.jpg" in msg and "side by side" in msg
    assert "--data.root" in msg and "--data.download true" in msg
    write_pix2pix_folder(tmp_path / "p2p", n_train=2, n_val=2, n_test=0)
    with pytest.raises(DataNotFoundError, match="test"):
        PairedFolders(str(tmp_path / "p2p"), eval_split="test").setup("fit")
    with pytest.raises(TLZooError, match="dataset"):
        PairedFolders(str(tmp_path), download=True)


def test_pix2pix_download_fetches_the_public_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision.datasets.utils as tv_utils

    calls = []

    def fake_download(url: str, download_root: str, filename: str | None = None, **_: object) -> None:
        calls.append((url, filename))  # stands in for the network: extracts a tiny archive's contents
        write_pix2pix_folder(Path(download_root) / "facades", n_train=2, n_val=1, n_test=1)

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", fake_download)
    dm = PairedFolders(str(tmp_path / "data"), dataset="facades", download=True, load_size=32, crop_size=32)
    dm.prepare_data()
    dm.prepare_data()  # present now: no second download
    assert calls == [(PIX2PIX_URL.format(name="facades"), "facades.tar.gz")]
    dm.setup("fit")
    assert len(dm.train_pairs) == 2 and dm.folder == tmp_path / "data" / "facades"


# ----------------------------------------------------------------------------- CycleGAN folders
class Recorder(LightningModule):
    """Records what the loops hand to training_step / validation_step."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.train_batches: list = []
        self.val_batches: list = []

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        self.train_batches.append(batch)
        return (self.w * batch["A"].mean() + self.w * batch["B"].mean()) ** 2

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self.val_batches.append(batch)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_unpaired_folders_in_a_lightning_loop_with_max_size_eval(tmp_path: Path) -> None:
    root = write_cyclegan_folder(tmp_path / "cg", n_per_split=(3, 5), size=32, junk=True)
    dm = UnpairedFolders(str(root), load_size=36, crop_size=32, batch_size=2)
    assert not dm.paired and dm.input_shape == (3, 32, 32)
    model = Recorder()
    trainer = Trainer(max_steps=2, limit_val_batches=1.0, num_sanity_val_steps=0, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      accelerator="cpu")
    trainer.fit(model, datamodule=dm)
    assert dm.split_sizes() == {"train_a": 3, "train_b": 5, "eval_a": 3, "eval_b": 5}  # junk files skipped
    assert len(model.train_batches) == 2
    for batch in model.train_batches:
        assert set(batch) == {"A", "B"} and batch["A"].shape == batch["B"].shape == (2, 3, 32, 32)
    # evaluation: one CombinedLoader(max_size) -> 3 batches; A (3 images) is exhausted in the last one
    vb = model.val_batches
    assert len(vb) == 3 and all(set(b) == {"A", "B"} for b in vb)
    assert [len(b["B"][0]) for b in vb] == [2, 2, 1] and vb[2]["A"] is None and len(vb[1]["A"][0]) == 1
    assert vb[0]["A"][1].tolist() == [-1, -1]


def test_unpaired_domains_are_shuffled_and_jittered_independently(tmp_path: Path) -> None:
    root = write_cyclegan_folder(tmp_path / "cg", n_per_split=8, size=32)
    dm = UnpairedFolders(str(root), load_size=40, crop_size=32, batch_size=2)
    dm.setup("fit")
    loaders = dm.train_dataloader()
    assert isinstance(loaders, CombinedLoader) and loaders._mode == "max_size_cycle"
    a, b = loaders.iterables["A"], loaders.iterables["B"]
    assert [i for _, i in a.sampler] != [i for _, i in b.sampler]
    assert dm.train_a.rng(0, 0).random() != dm.train_b.rng(0, 0).random()
    assert isinstance(dm.train_a, EpochKeyedDataset)


def test_unpaired_direction_and_missing_data(tmp_path: Path) -> None:
    root = write_cyclegan_folder(tmp_path / "cg", n_per_split=(2, 3), size=32)
    dm = UnpairedFolders(str(root), direction="BtoA", load_size=32, crop_size=32)
    dm.setup("fit")
    assert len(dm.train_a) == 3 and len(dm.eval_b) == 2 and "trainB" in str(dm.train_a.paths[0].parent)
    with pytest.raises(DataNotFoundError) as err:
        UnpairedFolders(str(tmp_path / "none")).setup("fit")
    msg = str(err.value)
    assert "{trainA,trainB,testA,testB}" in msg and "--data.root" in msg and "--data.download true" in msg


# ----------------------------------------------------------------------------- predict folder
def test_predict_folder_reads_sorted_images_only(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, size in (("b.png", (20, 30)), ("a.JPG", (40, 40)), ("c.webp", (16, 16))):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(folder / name)
    (folder / "._a.png").write_bytes(b"\x00\x05\x16\x07 resource fork")
    (folder / "notes.txt").write_text("x")
    (folder / "sub.png").mkdir()
    dm = PairedFolders(str(tmp_path / "no_training_data"), predict_folder=str(folder), load_size=32, crop_size=32,
                       batch_size=2)
    dm.setup("predict")  # needs no training data
    assert [p.name for p in dm.predict_paths] == ["a.JPG", "b.png", "c.webp"]
    batches = list(dm.predict_dataloader())
    x, idx = batches[0]
    assert x.shape == (2, 3, 32, 32) and x.min() >= -1 and x.max() <= 1 and idx.tolist() == [0, 1]
    assert batches[1][1].tolist() == [2]
    grey = UnpairedDigits(predict_folder=str(folder), image_size=24)
    assert next(iter(grey.predict_dataloader()))[0].shape == (3, 1, 24, 24)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "._x.png").write_bytes(b"junk")
    with pytest.raises(TLZooError, match="--data.predict_folder"):
        PairedFolders(predict_folder=str(empty)).predict_dataloader()


# ----------------------------------------------------------------------------- digits
def write_digit_pairs(tmp: Path, n: int = 30) -> tuple[Path, Path]:
    fixtures.write_mnist_idx(tmp / "mnist", n_train=10, n_test=n + 2, gzipped=True)
    fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=n, size=32, zipped=True)
    return tmp / "mnist", tmp / "mnist_m"


def test_mnistm_paired_on_fixtures(tmp_path: Path) -> None:
    mnist, mnistm = write_digit_pairs(tmp_path)
    dm = MNISTMPaired(mnist_root=str(mnist), mnistm_root=str(mnistm), batch_size=4)
    assert dm.paired and dm.num_classes == 10 and dm.spec_a.shape == dm.spec_b.shape == (3, 32, 32)
    dm.setup("fit")
    assert dm.split_sizes()["train_pairs"] == 24 and len(dm.eval_a) == len(dm.eval_b) == 6  # a fifth held out
    batch = first_batch(dm.train_dataloader())
    assert batch["A"].shape == batch["B"].shape == (4, 3, 32, 32)
    a = batch["A"]
    assert torch.equal(a[:, 0], a[:, 1]) and a.min() >= -1 and a.max() <= 1  # grey A
    assert (a[:, :, :2] == -1).all() and (a[:, :, -2:] == -1).all()  # MNIST 28 padded by 2 (black border)
    (xa, ya), (xb, yb) = first_batch(dm.val_dataloader())["A"], first_batch(dm.val_dataloader())["B"]
    assert torch.equal(ya, yb) and ya.tolist() == [(24 + i) % 10 for i in range(4)]
    assert xa.shape == xb.shape == (4, 3, 32, 32)
    assert torch.equal(xa[0], dm.eval_a[0][0]) and torch.equal(xb[3], dm.eval_b[3][0])  # unshuffled
    ba = MNISTMPaired(mnist_root=str(mnist), mnistm_root=str(mnistm), direction="BtoA", batch_size=4)
    ba.setup("fit")
    assert torch.equal(first_batch(ba.train_dataloader())["B"], a)
    jitter = MNISTMPaired(mnist_root=str(mnist), mnistm_root=str(mnistm), load_size=36, batch_size=4)
    jitter.setup("fit")
    assert first_batch(jitter.train_dataloader())["A"].shape == (4, 3, 32, 32)


def test_mnistm_paired_rejects_unaligned_or_missing_files(tmp_path: Path) -> None:
    from tlzoo.data.mnist_m import write_mnist_m_split

    fixtures.write_mnist_idx(tmp_path / "mnist", n_train=10, n_test=20)
    imgs = np.zeros((20, 32, 32, 3), dtype=np.uint8)
    write_mnist_m_split(tmp_path / "mm", "test", imgs, (np.arange(20) + 1) % 10)  # shifted by one
    with pytest.raises(TLZooError, match="index-aligned"):
        MNISTMPaired(mnist_root=str(tmp_path / "mnist"), mnistm_root=str(tmp_path / "mm")).setup()
    with pytest.raises(DataNotFoundError, match="--data.mnist_root"):
        MNISTMPaired(mnist_root=str(tmp_path / "none"), mnistm_root=str(tmp_path / "mm")).setup()
    with pytest.raises(DataNotFoundError, match="--data.mnistm_root"):
        MNISTMPaired(mnist_root=str(tmp_path / "mnist"), mnistm_root=str(tmp_path / "none")).setup()


def test_mnistm_paired_on_the_real_data(shared_data: Path) -> None:
    dm = MNISTMPaired(mnist_root=str(shared_data / "mnist"), mnistm_root=str(shared_data / "mnist_m_test"),
                      batch_size=64)
    dm.setup("fit")
    assert dm.split_sizes()["train_pairs"] == 8001 and len(dm.eval_a) == 1000
    assert "pairs 0..8000" in dm.protocol
    batch = first_batch(dm.train_dataloader())
    a, b = (dm.spec_a.denormalize(batch["A"]).mean(1), dm.spec_b.denormalize(batch["B"]))
    # pixel alignment: MNIST-M = |digit - patch|, so the image changes most where the digit is
    dev = (b - b.flatten(2).median(2).values[..., None, None]).abs().mean(1)

    def corr(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        u, v = u.flatten(1) - u.flatten(1).mean(1, keepdim=True), v.flatten(1) - v.flatten(1).mean(1, keepdim=True)
        return ((u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1) + 1e-8)).mean()

    assert corr(a, dev) > 0.4 and corr(a, dev) > corr(a, dev.roll(1, 0)) + 0.2
    (_, ya), (_, yb) = first_batch(dm.val_dataloader())["A"], first_batch(dm.val_dataloader())["B"]
    assert torch.equal(ya, yb)


def test_unpaired_digits_embedded_domains() -> None:
    dm = UnpairedDigits(source="uci", target="mnist", batch_size=8)
    assert dm.num_classes == 10 and dm.spec_a.shape == (1, 32, 32) and not dm.paired
    dm.setup("fit")
    assert dm.split_sizes() == {"train_a": 1000, "train_b": 3000, "eval_a": 797, "eval_b": 2000}
    batch = first_batch(dm.train_dataloader())
    assert isinstance(batch["A"], torch.Tensor) and batch["A"].shape == batch["B"].shape == (8, 1, 32, 32)
    assert batch["A"].min() >= -1 and batch["A"].max() <= 1
    val = first_batch(dm.val_dataloader())
    assert val["A"][1].dtype == torch.long and 0 <= int(val["A"][1].min()) and int(val["B"][1].max()) <= 9
    rgb = UnpairedDigits(source="mnist", target="uci", channels=3, image_size=28, direction="BtoA")
    rgb.setup()
    assert len(rgb.train_a) == 1000 and rgb.spec_b.shape == (3, 28, 28) and rgb.eval_b[0][0].shape == (3, 28, 28)
    with pytest.raises(TLZooError, match="both"):
        UnpairedDigits(source="uci", target="uci")


def test_unpaired_digits_usps_and_mnist_files(tmp_path: Path) -> None:
    fixtures_extra.write_usps_h5(tmp_path / "usps", n_train=20, n_test=10)
    fixtures.write_mnist_idx(tmp_path / "mnist", n_train=30, n_test=12)
    dm = UnpairedDigits(source="usps", target="mnist", usps_root=str(tmp_path / "usps"),
                        mnist_root=str(tmp_path / "mnist"), batch_size=4)
    dm.setup("fit")
    assert dm.split_sizes() == {"train_a": 20, "train_b": 30, "eval_a": 10, "eval_b": 12}
    assert first_batch(dm.train_dataloader())["A"].shape == (4, 1, 32, 32)
    with pytest.raises(DataNotFoundError, match="--data.usps_root"):
        UnpairedDigits(source="usps", usps_root=str(tmp_path / "none")).setup()
