"""StarGAN on CelebA + RaFD (Choi et al., CVPR 2018, Sec. 3.2): the mask vector with one label kind per data set
(CelebA's binary attributes with BCE, RaFD's one-hot expressions with cross-entropy) recomputed by hand, targets
and edits of each block's kind, the CelebARaFD data module on fixtures in the real file formats, a 2-step fit of a
tiny StarGAN on it, and the one-line errors when model and data disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch import Trainer

from tests.disentangle.tiny import TINY_STARGAN_CLI
from tlzoo.data.celeba_rafd import RAFD_EXPRESSIONS, CelebARaFD, SharedKeySampler, read_rafd_folder
from tlzoo.data.fixtures_celeba import write_celeba
from tlzoo.data.fixtures_rafd import write_rafd
from tlzoo.errors import DataNotFoundError, TLZooError
from tlzoo.methods.disentangle.stargan import StarGAN
from tlzoo.methods.disentangle.stargan_mask import MaskedLabels

ATTRS = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
NAMES = [*ATTRS, *RAFD_EXPRESSIONS]
KINDS = ["attributes", "domains"]
HAIR = [[0, 1, 2]]


def _layout() -> MaskedLabels:
    return MaskedLabels([5, 8], KINDS)


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Rows 0, 1 CelebA (black hair + male; blond + young), rows 2, 3 RaFD (happy = 4, sad = 6)."""
    labels = torch.zeros(4, 13)
    labels[0, [0, 3]] = 1
    labels[1, [1, 4]] = 1
    labels[2, 5 + 4] = 1
    labels[3, 5 + 6] = 1
    return labels, torch.tensor([0, 0, 1, 1])


def _tiny(**kwargs: object) -> StarGAN:
    args = {"num_domains": 13, "label_kind": "attributes", "label_sets": [5, 8], "label_set_kinds": KINDS,
            "base_channels": 4, "residual_blocks": 1, "discriminator_channels": 4, "discriminator_layers": 3,
            "n_critic": 1, "input_shape": (3, 32, 32), **kwargs}
    return StarGAN(**args)  # type: ignore[arg-type]


def test_mixed_kind_vectors_and_classification_loss_by_hand() -> None:
    m = _layout()
    assert m.kinds == KINDS and (m.n_labels, m.dim) == (13, 15)
    labels, dataset = _batch()
    labels[2, :5] = 1.0  # a RaFD image's CelebA block is unknown: zeroed whatever the batch carries
    c = m.vectors(labels, dataset)
    assert c[:, 13:].tolist() == [[1, 0], [1, 0], [0, 1], [0, 1]]
    assert c[0, :13].tolist() == [1, 0, 0, 1, 0] + [0] * 8 and c[2, :13].tolist() == [0] * 5 + [0, 0, 0, 0, 1, 0, 0, 0]
    logits = torch.randn(4, 13, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    loss = m.classification_loss(logits, c)
    p = torch.sigmoid(logits[:2, :5])
    t = labels[:2, :5]
    bce = -(t * p.log() + (1 - t) * (1 - p).log()).sum()
    ce = -(logits[2, 5:].log_softmax(0)[4] + logits[3, 5:].log_softmax(0)[6])
    assert loss.item() == pytest.approx(((bce + ce) / 4).item(), rel=1e-5)
    (grad,) = torch.autograd.grad(loss, logits)
    assert grad[:2, 5:].abs().sum() == 0 and grad[2:, :5].abs().sum() == 0  # unknown blocks: no gradient
    changed = logits.detach().clone()
    changed[:2, 5:] = 40.0
    changed[2:, :5] = -40.0
    assert m.classification_loss(changed, c).item() == pytest.approx(loss.item(), rel=1e-5)
    with pytest.raises(TLZooError, match="float vectors"):
        m.vectors(torch.tensor([0, 9]), torch.tensor([0, 1]))  # int positions only for all-domain sets


def test_one_kind_string_and_bad_kinds() -> None:
    assert MaskedLabels([2, 3], "domains").kinds == ["domains", "domains"]
    assert MaskedLabels([2, 3], "domains").vectors(torch.tensor([1, 4]), torch.tensor([0, 1])).shape == (2, 7)
    with pytest.raises(TLZooError, match="label_set_kinds"):
        MaskedLabels([5, 8], ["attributes"])
    with pytest.raises(TLZooError, match="label_set_kinds"):
        MaskedLabels([5, 8], ["attributes", "classes"])


@pytest.mark.parametrize("sampling", ["shuffle", "uniform"])
def test_targets_stay_in_the_own_block_with_its_kind(sampling: str) -> None:
    torch.manual_seed(0)
    m = _layout()
    dataset = torch.arange(40) % 2
    labels = torch.zeros(40, 13)
    labels[dataset == 0, :5] = (torch.rand(20, 5) > 0.5).float()
    labels[dataset == 1, 5:] = F.one_hot(torch.arange(20) % 8, 8).float()
    c_org = m.vectors(labels, dataset)
    c = m.sample_targets(c_org, sampling, HAIR)
    assert torch.equal(c[:, 13:], c_org[:, 13:])  # mask unchanged
    assert torch.equal(c[:, :13] * m.known(dataset), c[:, :13])  # nothing outside the own block
    assert torch.all(c[dataset == 1][:, 5:13].sum(1) == 1)  # RaFD: one expression
    assert set(c[dataset == 0][:, :5].unique().tolist()) <= {0.0, 1.0}
    if sampling == "uniform":
        assert torch.all(c[dataset == 0][:, :3].sum(1) == 1)  # one hair colour of the exclusive group
    else:
        for j, b in ((0, m.block(0)), (1, m.block(1))):
            rows = dataset == j
            assert sorted(map(tuple, c[rows][:, b].tolist())) == sorted(map(tuple, c_org[rows][:, b].tolist()))


def test_evaluation_predict_hits_and_from_logits_follow_each_blocks_kind() -> None:
    m = _layout()
    labels, dataset = _batch()
    c_org = m.vectors(labels, dataset)
    targets = m.evaluation_targets(c_org, NAMES, HAIR)
    assert [t.name for t in targets] == NAMES
    assert [t.kind for t in targets] == ["attributes"] * 5 + ["domains"] * 8
    male = targets[3]  # attribute flip on CelebA rows, the other blocks zero, mask e_0
    assert male.c[:2, :13].tolist() == [[1, 0, 0, 0, 0] + [0] * 8, [0, 1, 0, 1, 1] + [0] * 8]
    assert male.c[:, 13:].tolist() == [[1, 0]] * 4 and male.mask.tolist() == [True] * 4
    happy = targets[5 + 4]  # one-hot in the RaFD block for every image, mask e_1; the happy image not scored
    assert happy.c.tolist() == [[0] * 9 + [1, 0, 0, 0] + [0, 1]] * 4
    assert happy.mask.tolist() == [True, True, False, True]
    blond = targets[1]  # hair colour set, the others cleared; scored where not blond already
    assert blond.c[0, :3].tolist() == [0, 1, 0] and blond.mask.tolist() == [True, False, True, True]
    to_happy, to_blond = m.parse_targets(["happy", "Blond_Hair+Male=0"], NAMES, HAIR)
    assert to_happy(c_org)[0].tolist() == [0] * 9 + [1, 0, 0, 0] + [0, 1]
    assert to_blond(c_org)[:2, :5].tolist() == [[0, 1, 0, 0, 0], [0, 1, 0, 0, 1]]
    assert to_blond(c_org)[2:, :13].tolist() == [[0, 1, 0, 0, 0] + [0] * 8] * 2  # RaFD faces: unknown -> 0 + edit
    logits = torch.full((4, 13), -5.0)
    logits[0, [0, 3]] = 5.0
    logits[1, [1]] = 5.0  # Young missed: 4 of 5 attributes right
    logits[2, 5 + 4] = 5.0
    logits[3, 5 + 1] = 5.0  # wrong expression
    assert m.hits(logits, c_org).tolist() == pytest.approx([1.0, 0.8, 1.0, 0.0])
    assert m.from_logits(logits)[1].tolist() == [0, 1, 0, 0, 0] + [0] * 8 + [1, 0]  # block 0 read as attributes
    rafd_first = MaskedLabels([8, 5], ["domains", "attributes"])
    assert rafd_first.from_logits(torch.arange(13.0)[None])[0, :8].tolist() == [0] * 7 + [1]  # argmax, one-hot


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    write_celeba(tmp_path / "celeba_root", splits=(8, 4, 4))
    write_rafd(tmp_path / "rafd", subjects=5, angles=(0, 45, 90), gazes=("frontal", "left"))
    return tmp_path / "celeba_root", tmp_path / "rafd"


def _data(roots: tuple[Path, Path], **kwargs: object) -> CelebARaFD:
    args = {"root": str(roots[0]), "rafd_root": str(roots[1]), "image_size": 32, "batch_size": 8, "num_workers": 0,
            **kwargs}
    return CelebARaFD(**args)  # type: ignore[arg-type]


def test_data_module_splits_shapes_labels_and_mask(roots: tuple[Path, Path]) -> None:
    dm = _data(roots)
    assert dm.label_sets == [5, 8] and dm.label_set_kinds == KINDS and dm.domain_names == NAMES
    assert dm.exclusive_groups == HAIR and dm.input_shape == (3, 32, 32)
    dm.setup("fit")
    # 5 subjects x 2 angles (45, 90; not 0) x 2 gazes x 8 expressions = 160 RaFD images; one test, one val subject
    assert {s: d.sizes for s, d in (("train", dm.train_set), ("val", dm.val_set), ("test", dm.test_set))} == \
        {"train": [8, 96], "val": [4, 32], "test": [4, 32]}
    subjects = {s: {f.subject for f in d.parts[1].files} for s, d in
                (("train", dm.train_set), ("val", dm.val_set), ("test", dm.test_set))}
    assert not (subjects["train"] & subjects["val"]) and not (subjects["train"] & subjects["test"])
    assert all(f.angle in (45, 90) for f in dm.train_set.parts[1].files)
    x, y, labels, s = next(iter(dm.test_dataloader()))
    assert x.shape == (8, 3, 32, 32) and x.min() >= -1 and x.max() <= 1 and torch.all(y == -1)
    assert labels.shape == (8, 13) and labels.dtype == torch.float32
    assert torch.all(labels[s == 1, :5] == 0) and torch.all(labels[s == 1, 5:].sum(1) == 1)
    assert torch.all(labels[s == 0, 5:] == 0)
    first = dm.test_set[0]  # CelebA part first: its attributes in block 0
    assert first[3].item() == 0 and torch.equal(first[2][:5], dm.test_set.parts[0].attrs[0])
    model = _tiny()
    c = model.batch_labels((x, y, labels, s))
    assert torch.equal(c[:, 13:], F.one_hot(s, 2).float())


def test_training_draws_rafd_at_its_share(roots: tuple[Path, Path]) -> None:
    keys = list(SharedKeySampler([1000, 40], [0.5, 0.5], seed=3))
    assert len(keys) == 1040 and all(k[0] == 0 for k in keys)
    rafd = [k for _, k in keys if k >= 1000]
    assert 0.44 < len(rafd) / 1040 < 0.56 and set(rafd) == set(range(1000, 1040))  # every RaFD image, repeated
    dm = _data(roots, rafd_share=None)
    dm.setup("fit")
    assert len(dm.train_dataloader().sampler) == 104


def test_rafd_crop_forms_and_missing_data(roots: tuple[Path, Path], tmp_path: Path) -> None:
    for crop in (None, 40, [4, 10, 60]):
        dm = _data(roots, rafd_crop=crop)
        dm.setup("fit")
        assert dm.test_set[len(dm.test_set) - 1][0].shape == (3, 32, 32)
    with pytest.raises(TLZooError, match="rafd_crop"):
        bad = _data(roots, rafd_crop=[0, 0, 200])
        bad.setup("fit")
        bad.test_set[len(bad.test_set) - 1]
    with pytest.raises(DataNotFoundError, match=r"--data\.rafd_root"):
        _data((roots[0], tmp_path / "nowhere")).setup("fit")
    with pytest.raises(DataNotFoundError, match="no RaFD file of camera angles"):
        read_rafd_folder(roots[1], [180])
    with pytest.raises(DataNotFoundError, match=r"--data\.root"):
        _data((tmp_path / "no_celeba", roots[1])).setup("fit")


def test_tiny_stargan_fits_two_steps(roots: tuple[Path, Path]) -> None:
    torch.manual_seed(0)
    model = _tiny()
    trainer = Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                      accelerator="cpu", devices=1, max_steps=2, limit_val_batches=1, num_sanity_val_steps=0)
    trainer.fit(model, _data(roots, batch_size=4))
    assert trainer.global_step == 2 and model.domain_names == NAMES
    (scores,) = trainer.validate(model, _data(roots, batch_size=36), verbose=False)  # the whole val split
    assert {"val/cycle_l1", "val/dcls_acc_real_set0", "val/dcls_acc_real_set1"} <= set(scores)


def test_mismatched_kinds_are_refused(roots: tuple[Path, Path]) -> None:
    trainer = Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                      accelerator="cpu", max_steps=1)
    with pytest.raises(TLZooError, match=r"--model.init_args.label_set_kinds \[attributes,domains\]"):
        trainer.fit(_tiny(label_set_kinds=["attributes", "attributes"]), _data(roots))
    with pytest.raises(TLZooError, match=r"--model.init_args.label_set_kinds \[attributes,domains\]"):
        trainer.fit(_tiny(label_set_kinds=None, label_kind="domains"), _data(roots))
    with pytest.raises(TLZooError, match="needs label_sets"):
        StarGAN(num_domains=13, label_set_kinds=["attributes", "domains"])


def test_cli_fits_and_predicts_the_yaml_on_fixtures(roots: tuple[Path, Path]) -> None:
    from tests.helpers import EXPERIMENTS, QUICK, run_cli

    config = str(EXPERIMENTS / "disentangle" / "stargan_celeba_rafd.yaml")
    small = ["--data.root", str(roots[0]), "--data.rafd_root", str(roots[1]), "--data.image_size", "32",
             "--data.num_workers", "0", "--model.init_args.discriminator_layers", "3", *TINY_STARGAN_CLI]
    code, out = run_cli(["fit", "-c", config, *QUICK, *small])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["predict", "-c", config, *QUICK, *small, "--ckpt_path", str(ckpt),
                         "--trainer.limit_predict_batches", "1",
                         "--model.init_args.predict_targets", "[happy,Blond_Hair+Male=0]"])
    assert code == 0, out
    assert len(sorted(Path("runs").rglob("predictions/*.png"))) == 4
