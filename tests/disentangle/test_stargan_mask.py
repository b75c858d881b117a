"""StarGAN's mask vector (Choi et al., CVPR 2018, Sec. 3.2): the layout of c~ = [c_1, ..., c_n, m] by hand, D's
classification loss on the known data set only (recomputed by hand; the unknown blocks' logits change nothing),
targets drawn within one data set with its mask, the evaluation / predict edits, the two-data-set digits module,
the YAML through the real CLI, and the single-data-set model left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.contracts.cases_stargan import TinyMultiDomain, tiny_stargan
from tests.disentangle.tiny import TINY_STARGAN_CLI
from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.stargan import StarGAN
from tlzoo.methods.disentangle.stargan_mask import MaskedLabels

#: Two data sets: set 0 with labels {a, b}, set 1 with labels {p, q, r}; c~ has 2 + 3 + 2 = 7 entries.
NAMES = ["a", "b", "p", "q", "r"]


def _layout(kind: str = "domains") -> MaskedLabels:
    return MaskedLabels([2, 3], kind)


def _masked_model(num_domains: int = 5, label_sets: tuple[int, ...] = (2, 3)) -> StarGAN:
    """A tiny StarGAN (16 px grey) with the mask vector."""
    return StarGAN(num_domains=num_domains, label_kind="domains", label_sets=list(label_sets), base_channels=4,
                   residual_blocks=1, discriminator_channels=4, discriminator_layers=2, input_shape=(1, 16, 16))


def test_label_vector_layout_by_hand() -> None:
    m = _layout()
    assert (m.n_labels, m.n_sets, m.dim) == (5, 2, 7)
    labels, dataset = torch.tensor([1, 4, 2]), torch.tensor([0, 1, 1])  # b of set 0; r and p of set 1
    expected = torch.tensor([[0, 1, 0, 0, 0, 1, 0],
                             [0, 0, 0, 0, 1, 0, 1],
                             [0, 0, 1, 0, 0, 0, 1]], dtype=torch.float32)
    assert torch.equal(m.vectors(labels, dataset), expected)
    # attributes: the block of the other data set is unknown and zeroed whatever the batch carries there
    attrs = torch.tensor([[1.0, 1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0, 1.0]])
    got = _layout("attributes").vectors(attrs, torch.tensor([0, 1]))
    assert torch.equal(got, torch.tensor([[1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]]))
    model = _masked_model()
    batch = (torch.zeros(3, 1, 16, 16), torch.zeros(3), labels, dataset)
    assert torch.equal(model.batch_labels(batch), expected)
    assert model.generator.label_dim == 7 and model.discriminator(torch.zeros(1, 1, 16, 16))[1].shape == (1, 5)


def test_classification_loss_reads_only_the_known_data_set_by_hand() -> None:
    m = _layout()
    c = m.vectors(torch.tensor([1, 4, 2]), torch.tensor([0, 1, 1]))
    logits = torch.randn(3, 5, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    loss = m.classification_loss(logits, c)
    by_hand = -(logits[0, :2].log_softmax(0)[1] + logits[1, 2:].log_softmax(0)[2]
                + logits[2, 2:].log_softmax(0)[0]) / 3
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    (grad,) = torch.autograd.grad(loss, logits)
    assert grad[0, 2:].abs().sum() == 0 and grad[1:, :2].abs().sum() == 0  # unknown blocks: no gradient
    changed = logits.detach().clone()
    changed[0, 2:] = torch.tensor([9.0, -9.0, 5.0])
    changed[1:, :2] = torch.tensor([[-7.0, 7.0], [3.0, 30.0]])
    assert m.classification_loss(changed, c).item() == pytest.approx(loss.item(), rel=1e-6)
    # attributes: BCE summed over the known block's attributes, averaged over the images
    ma = _layout("attributes")
    ca = ma.vectors(torch.tensor([[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 1.0]]), torch.tensor([0, 1]))
    lg = torch.randn(2, 5, generator=torch.Generator().manual_seed(1))
    p = torch.sigmoid(lg)
    bce = -(p[0, 0].log() + (1 - p[0, 1]).log()
            + p[1, 2].log() + (1 - p[1, 3]).log() + p[1, 4].log()) / 2
    assert ma.classification_loss(lg, ca).item() == pytest.approx(bce.item(), rel=1e-5)


def test_discriminator_loss_uses_the_mask() -> None:
    torch.manual_seed(0)
    model = _masked_model()
    x, fake = torch.rand(3, 1, 16, 16) * 2 - 1, torch.rand(3, 1, 16, 16) * 2 - 1
    c_org = model.label_vectors(torch.tensor([0, 3, 4]), torch.tensor([0, 1, 1]))
    got = model.discriminator_losses(x, c_org, fake)
    logits = model.discriminator(x)[1]
    by_hand = (F.cross_entropy(logits[:1, :2], torch.tensor([0]), reduction="sum")
               + F.cross_entropy(logits[1:, 2:], torch.tensor([1, 2]), reduction="sum")) / 3
    assert got["cls"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    # the cycle edits back with the original c~ (mask included)
    c_trg = model.sample_targets(c_org)
    rec = (model.generator(model.generator(x, c_trg), c_org) - x).abs().mean()
    assert model.generator_losses(x, c_org, c_trg)["rec"].item() == pytest.approx(rec.item(), rel=1e-5)


@pytest.mark.parametrize(("kind", "sampling"), [("domains", "shuffle"), ("domains", "uniform"),
                                                ("attributes", "shuffle"), ("attributes", "uniform")])
def test_targets_stay_within_the_images_data_set(kind: str, sampling: str) -> None:
    torch.manual_seed(0)
    m = _layout(kind)
    dataset = torch.arange(40) % 2
    labels = torch.where(dataset == 0, torch.arange(40) % 2, 2 + torch.arange(40) % 3)
    if kind == "attributes":
        labels = (torch.rand(40, 5) > 0.5).float()
    c_org = m.vectors(labels, dataset)
    c = m.sample_targets(c_org, sampling, [[2, 3]] if kind == "attributes" else [])
    assert torch.equal(c[:, 5:], c_org[:, 5:])  # the mask: the image's own data set
    assert torch.equal(c[:, :5] * m.known(dataset), c[:, :5])  # nothing outside the own block
    if kind == "domains":
        assert torch.equal(c[:, :5].sum(1), torch.ones(40))
    if sampling == "shuffle":  # each data set's block rows permuted among its own images
        for j in (0, 1):
            rows, b = dataset == j, m.block(j)
            assert sorted(map(tuple, c[rows][:, b].tolist())) == sorted(map(tuple, c_org[rows][:, b].tolist()))
    elif kind == "attributes":
        assert torch.all(c[dataset == 1][:, 2:4].sum(1) == 1)  # one of the exclusive group p, q
    assert not torch.equal(c, c_org)


def test_evaluation_and_predict_edits_cross_data_sets() -> None:
    m = _layout()
    c_org = m.vectors(torch.tensor([1, 3]), torch.tensor([0, 1]))  # b (set 0), q (set 1)
    targets = m.evaluation_targets(c_org, NAMES, [])
    assert [t.name for t in targets] == NAMES and [t.index for t in targets] == [0, 1, 2, 3, 4]
    to_b, to_q = targets[1], targets[3]
    assert torch.equal(to_b.c, torch.tensor([[0.0, 1, 0, 0, 0, 1, 0]]).repeat(2, 1))
    assert to_b.mask.tolist() == [False, True]  # image 0 is already b; image 1's set-0 label is unknown
    assert torch.equal(to_q.c, torch.tensor([[0.0, 0, 0, 1, 0, 0, 1]]).repeat(2, 1))
    assert to_q.mask.tolist() == [True, False]
    to_r, to_a = m.parse_targets(["r", "a"], NAMES, [])
    assert to_r(c_org).tolist() == [[0, 0, 0, 0, 1, 0, 1]] * 2 and to_a(c_org).tolist() == [[1, 0, 0, 0, 0, 1, 0]] * 2
    with pytest.raises(TLZooError, match="not a label"):
        m.parse_targets(["z"], NAMES, [])
    assert m.hits(torch.tensor([[0.0, 1, 9, 9, 9], [9.0, 9, 0, 1, 0]]), c_org).tolist() == [1.0, 1.0]


def test_digit_label_sets_batches() -> None:
    from tlzoo.data.digit_label_sets import DigitLabelSets

    dm = DigitLabelSets(batch_size=64)
    assert dm.label_sets == [2, 10] and dm.domain_names[:3] == ["uci", "mnist", "digit_0"]
    dm.setup("fit")
    assert dm.split_sizes() == {"train": 900 + 2700, "val": 100 + 300, "test": 797 + 2000}
    x, y, labels, s = next(iter(dm.train_dataloader()))
    assert x.shape == (64, 1, 32, 32) and set(s.tolist()) == {0, 1}
    assert torch.all(labels[s == 0] < 2) and torch.equal(labels[s == 1], 2 + y[s == 1])
    parts = dm.train_set.datasets  # uci (set 0), mnist's domain half (set 0), mnist's digit half (set 1)
    images = [{tuple(p.dataset.images[i].flatten().tolist()) for i in range(len(p))} for p in parts[1:]]
    assert len(parts[1]) == len(parts[2]) == 1350 and not images[0] & images[1]
    with pytest.raises(TLZooError, match="digit_domain"):
        DigitLabelSets(digit_domain="usps")


def test_cli_fits_tests_and_predicts_the_yaml() -> None:
    from tests.helpers import EXPERIMENTS, QUICK, run_cli

    config = str(EXPERIMENTS / "disentangle" / "stargan_digits_mask.yaml")
    small = TINY_STARGAN_CLI
    code, out = run_cli(["fit", "-c", config, *QUICK, *small])
    assert code == 0, out
    ckpt = next(Path("runs").rglob("last.ckpt"))
    code, out = run_cli(["test", "-c", config, *QUICK, *small, "--ckpt_path", str(ckpt)])
    assert code == 0, out
    assert "test/cycle_l1" in out and "test/dcls_acc_real" in out
    code, out = run_cli(["predict", "-c", config, *QUICK, *small, "--ckpt_path", str(ckpt),
                         "--trainer.limit_predict_batches", "1", "--model.init_args.predict_targets", "[digit_7]"])
    assert code == 0, out
    assert len(sorted(Path("runs").rglob("predictions/*.png"))) == 4


def test_single_data_set_model_is_unchanged_and_mismatches_are_refused() -> None:
    from lightning.pytorch import Trainer

    plain = tiny_stargan("domains")
    assert plain.mask_vector is None and plain.generator.label_dim == 3 and plain.hparams.label_sets is None
    assert torch.equal(plain.batch_labels((torch.zeros(2, 1, 16, 16), torch.zeros(2), torch.tensor([2, 0]))),
                       torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    c = torch.eye(3)[[0, 1, 2, 0]]
    assert plain.sample_targets(c).shape == (4, 3)
    hparams = {k: v for k, v in plain.hparams.items() if k != "label_sets"}  # a checkpoint from before the option
    assert StarGAN(**hparams).state_dict().keys() == plain.state_dict().keys()
    with pytest.raises(TLZooError, match="num_domains = their sum"):
        _masked_model(3, (2, 3))
    trainer = Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                      max_steps=1, enable_checkpointing=False)
    with pytest.raises(TLZooError, match="label_sets null"):
        trainer.fit(_masked_model(3, (1, 2)), TinyMultiDomain("domains"))
