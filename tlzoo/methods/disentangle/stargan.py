"""StarGAN: one generator that edits an image towards any target domain or attribute set.

Choi, Choi, Kim, Ha, Kim & Choo, "StarGAN: Unified Generative Adversarial Networks for Multi-Domain
Image-to-Image Translation", CVPR 2018, https://arxiv.org/abs/1711.09020. Objective (eq. 1-3, 5-7)::

    L_D = -L_adv + lambda_cls L_cls^r          L_G = L_adv + lambda_cls L_cls^f + lambda_rec L_rec
    L_adv   = E_x[D_src(x)] - E_{x,c}[D_src(G(x, c))] - lambda_gp E_x^[(||grad D_src(x^)||_2 - 1)^2]   (WGAN-GP)
    L_cls^r = E_{x,c'}[-log D_cls(c' | x)]      (D learns the labels c' of real images)
    L_cls^f = E_{x,c}[-log D_cls(c | G(x, c))]  (G makes its output carry the target labels c)
    L_rec   = E_{x,c,c'}[||x - G(G(x, c), c')||_1]                                        (cycle consistency)

with ``lambda_cls = 1``, ``lambda_rec = 10``, ``lambda_gp = 10``, five critic updates per generator update,
Adam (lr 1e-4, betas 0.5 / 0.999) for both players, the rate decayed linearly to 0 over the second half of
training (Sec. 4.4: 10 + 10 epochs on CelebA, 100k + 100k iterations in the authors' code).
``-log D_cls`` is a binary cross-entropy per attribute for multi-attribute labels (CelebA; summed over the
attributes and averaged over the batch, as the authors' code does) and a softmax cross-entropy for one-hot
domains (RaFD, digits).

Code vs. paper: ``generator`` = G, ``discriminator`` = D (``D(x) = (D_src, D_cls)``), ``c_org`` = c' (the
real labels), ``c_trg`` = c (the target labels), ``lambda_cls`` / ``lambda_rec`` / ``lambda_gp``,
``n_critic`` = the critic updates per generator update. Players ``D`` (steps every batch) and ``G`` (steps
on the batches ``k`` with ``(k + 1) % n_critic == 0``, as the authors' loop does).

Choices and deviations:

* Target labels are the batch's real labels in a random order (``target_sampling="shuffle"``, the authors'
  code: it keeps the attribute combinations realistic), or uniform draws (``"uniform"``: every domain
  equally often; at most one member of each exclusive group on).
* ``lambda_idt`` (0 by default, the paper) adds an identity term ``lambda_idt E_x ||G(x, c') - x||_1``: an
  image edited towards the labels it already has should come back unchanged (CycleGAN's identity loss, Zhu et
  al., ICCV 2017, Sec. 5.2; DTN's ``L_TID``). Nothing in the paper's objective ties an edit to its input except
  the cycle, which the generator can meet by hiding the input in an unrelated output (Chu et al., "CycleGAN, a
  Master of Steganography", arXiv 1712.02950): on digit domains the digit is then lost; the term anchors ``G``
  at the identity, so that an edit changes what the labels ask for and keeps the rest.
* ``label_sets`` turns on the mask vector for training on several labelled data sets at once (Sec. 3.2):
  :mod:`tlzoo.methods.disentangle.stargan_mask`. Off by default (one data set, one label vector).
  ``label_set_kinds`` gives each data set its own label kind, as the paper's CelebA (5 binary attributes, BCE)
  + RaFD (8 expressions, one-hot, cross-entropy) training (:class:`tlzoo.data.celeba_rafd.CelebARaFD`).
* Evaluation edits every held-out image towards each domain (``domains``), or flips each attribute
  (``attributes``; a hair colour is set, and the other hair colours cleared, as in the authors' test code),
  and logs ``cycle_l1`` (``|G(G(x, c), c') - x|`` in [0, 1] pixels, over all edits) and ``dcls_acc_real``
  (D's own classifier on *real* images: a training diagnostic, not a score of the edits). D cannot judge its
  own generator honestly, so the edits are scored only by independent classifiers (:class:`StarGANEval`):
  ``edit_acc`` / ``edit_acc_<name>`` (a judge of the domains / attributes reads the requested label on the
  edit), ``class_kept`` (a judge of the content classes, e.g. the digit, still reads the source class), each
  judge's accuracy on the real images (``judge_acc_real``, ``class_judge_acc_real``) and FID / KID between
  edits and real images in the judges' (or Inception) feature space.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.module import ZooModule
from tlzoo.core.optim import OptimConfig
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.stargan_eval import StarGANEval, StarGANEvaluation
from tlzoo.methods.disentangle.stargan_mask import MaskedLabels
from tlzoo.methods.disentangle.stargan_targets import parse_targets
from tlzoo.nn.losses.adversarial import gradient_penalty
from tlzoo.nn.losses.reconstruction import cycle_consistency_loss, identity_loss
from tlzoo.nn.stargan import StarGANDiscriminator, StarGANGenerator

LabelKind = Literal["attributes", "domains"]



def stargan_optim() -> OptimConfig:
    """Adam, lr 1e-4, betas (0.5, 0.999), constant for half of training then linear decay to 0."""
    return OptimConfig(name="adam", lr=1e-4, betas=(0.5, 0.999), schedule="linear_decay", decay_start=0.5)


class StarGAN(StarGANEvaluation, AdversarialMixin, ZooModule):
    """StarGAN (Choi et al., CVPR 2018): multi-domain / multi-attribute image editing with one generator.

    Data: a :class:`tlzoo.data.multi_domain.MultiDomainDataModule` (``CelebA``, ``MultiDomainDigits``; with
    ``label_sets``, one that declares the same ``label_sets`` and label kinds, e.g. ``DigitLabelSets``,
    ``CelebARaFD``).

    Args:
        num_domains: length of the label vector ``c`` (the data's attributes or domains; with ``label_sets``, the
            labels of all data sets together, ``sum(label_sets)``).
        label_kind: ``attributes`` (multi-hot, BCE) or ``domains`` (one-hot, cross-entropy); must match the data.
        base_channels: generator width (64).
        residual_blocks: generator bottleneck blocks (6).
        n_downsampling: generator stride-2 layers per side (2).
        discriminator_channels: discriminator width (64).
        discriminator_layers: strided discriminator layers (6 for 128 px, 3 for 32 px).
        lambda_cls: weight of the domain classification terms (1).
        lambda_rec: weight of the reconstruction (cycle) term (10).
        lambda_gp: weight of the gradient penalty (10).
        lambda_idt: weight of the identity term ``||G(x, c') - x||_1`` (0: off, the paper; not in the paper).
        n_critic: discriminator updates per generator update (5).
        target_sampling: ``shuffle`` (the batch's labels permuted, the authors' code) or ``uniform``.
        label_sets: the label width of each of several labelled data sets (e.g. ``[2, 10]``): turns on the mask
            vector (Sec. 3.2, :mod:`~tlzoo.methods.disentangle.stargan_mask`); batches then say which data set each
            image comes from. ``None``: one data set.
        label_set_kinds: with ``label_sets``, the label kind of each data set (e.g. ``[attributes, domains]`` for
            CelebA + RaFD); ``None``: ``label_kind`` for every data set. Must match the data's ``label_set_kinds``.
        g_optim: the generator's optimiser (Adam 1e-4, betas 0.5/0.999, linear decay from half-way).
        d_optim: the discriminator's optimiser (the same).
        evaluation: judges and FID/KID of the edits.
        predict_targets: the edits ``tlzoo predict`` writes, e.g. ``["Blond_Hair", "Male=0+Young"]`` or
            ``["mnist"]`` (see :func:`tlzoo.methods.disentangle.stargan_targets.parse_targets`); ``None``: every
            evaluation edit. One target: one edited image per input; several: a strip ``input | edit 1 | ...``.
        num_classes: classes of the content labels (linked from the data by the CLI; unused).
        input_shape: ``(C, H, W)`` of the images (linked from the data by the CLI; default 3 x 128 x 128).
    """

    predict_output = "images"

    def __init__(
        self,
        num_domains: int = 5,
        label_kind: LabelKind = "attributes",
        base_channels: int = 64,
        residual_blocks: int = 6,
        n_downsampling: int = 2,
        discriminator_channels: int = 64,
        discriminator_layers: int = 6,
        lambda_cls: float = 1.0,
        lambda_rec: float = 10.0,
        lambda_gp: float = 10.0,
        lambda_idt: float = 0.0,
        n_critic: int = 5,
        target_sampling: Literal["shuffle", "uniform"] = "shuffle",
        label_sets: list[int] | None = None,
        label_set_kinds: list[LabelKind] | None = None,
        g_optim: OptimConfig | None = None,
        d_optim: OptimConfig | None = None,
        evaluation: StarGANEval | None = None,
        predict_targets: list[str] | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        shape = tuple(int(v) for v in (input_shape or (3, 128, 128)))
        if len(shape) != 3 or shape[1] != shape[2]:
            raise TLZooError(f"StarGAN edits square images (C, H, H); got input_shape {shape}")
        if num_domains < 1 or n_critic < 1 or min(lambda_cls, lambda_rec, lambda_gp, lambda_idt) < 0:
            raise TLZooError(f"StarGAN needs num_domains >= 1, n_critic >= 1 and non-negative weights; got "
                             f"{num_domains}, {n_critic}, {lambda_cls}, {lambda_rec}, {lambda_gp}, {lambda_idt}")
        if label_kind not in ("attributes", "domains"):
            raise TLZooError(f"label_kind must be 'attributes' or 'domains', got {label_kind!r}")
        self.input_shape = shape
        self.num_domains, self.label_kind = int(num_domains), label_kind
        if label_set_kinds and not label_sets:
            raise TLZooError(f"label_set_kinds {list(label_set_kinds)} needs label_sets (the data sets' label widths)")
        self.mask_vector = MaskedLabels(label_sets, label_set_kinds or label_kind) if label_sets else None
        if self.mask_vector is not None and self.mask_vector.n_labels != num_domains:
            raise TLZooError(f"with label_sets {list(label_sets or [])} StarGAN needs num_domains = their sum, "
                             f"{self.mask_vector.n_labels}; got {num_domains}")
        if self.mask_vector is not None and evaluation is not None and (evaluation.judge or evaluation.class_judge):
            raise TLZooError("StarGAN with label_sets does not take evaluation judges: a judge reads one label set")
        label_dim = num_domains if self.mask_vector is None else self.mask_vector.dim
        self.generator = StarGANGenerator(shape[0], label_dim, base_channels, residual_blocks, n_downsampling)
        self.discriminator = StarGANDiscriminator(shape[0], shape[1], num_domains, discriminator_channels,
                                                  discriminator_layers)
        self.lambda_cls, self.lambda_rec, self.lambda_gp = lambda_cls, lambda_rec, lambda_gp
        self.lambda_idt = lambda_idt
        self.n_critic, self.target_sampling = n_critic, target_sampling
        self.g_optim, self.d_optim = g_optim or stargan_optim(), d_optim or stargan_optim()
        self.evaluation = evaluation or StarGANEval()
        self.predict_targets = list(predict_targets) if predict_targets else None
        self.spec = ImageSpec.symmetric(shape[0], shape[1])
        self.domain_names = [str(k) for k in range(num_domains)]
        self.exclusive_groups: list[list[int]] = []
        self._init_evaluation()

    # -- labels -------------------------------------------------------------------------------
    def label_vectors(self, labels: torch.Tensor, dataset: torch.Tensor | None = None) -> torch.Tensor:
        """The data's labels as ``(N, n_d)`` float vectors ``c`` (domain indices -> one-hot); with ``label_sets``,
        ``c~ = [c_1, ..., c_n, m]`` from the labels and the data set of each image (``dataset``)."""
        if self.mask_vector is not None:
            if dataset is None:
                raise TLZooError("StarGAN with label_sets needs the data set of each image (batches (x, y, c, s))")
            return self.mask_vector.vectors(labels, dataset)
        if self.label_kind == "domains":
            return F.one_hot(labels.long(), self.num_domains).float()
        return labels.float()

    def batch_labels(self, batch: Any) -> torch.Tensor:
        """``c'`` of a data batch: its last entry (``(x, y, d)`` / ``(x, attrs)``), or with ``label_sets`` its last
        two (``(x, y, labels, s)``)."""
        if self.mask_vector is not None:
            return self.label_vectors(batch[-2], batch[-1])
        return self.label_vectors(batch[-1])

    def classification_loss(self, logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``-log D_cls(c | x)``: per-attribute BCE summed over attributes (attributes) or cross-entropy (domains),
        averaged over the batch; with ``label_sets``, on each image's known data set only."""
        if self.mask_vector is not None:
            return self.mask_vector.classification_loss(logits, c)
        logits = logits.float()
        if self.label_kind == "domains":
            return F.cross_entropy(logits, c.argmax(1))
        return F.binary_cross_entropy_with_logits(logits, c.float(), reduction="sum") / len(logits)

    def sample_targets(self, c_org: torch.Tensor) -> torch.Tensor:
        """Target labels ``c`` for a training batch (``target_sampling``; with ``label_sets``, within each image's
        own data set)."""
        if self.mask_vector is not None:
            return self.mask_vector.sample_targets(c_org, self.target_sampling, self.exclusive_groups)
        n = len(c_org)
        if self.target_sampling == "shuffle":
            return c_org[torch.randperm(n).to(c_org.device)]
        if self.label_kind == "domains":
            return F.one_hot(torch.randint(self.num_domains, (n,)), self.num_domains).float().to(c_org.device)
        c = torch.randint(0, 2, (n, self.num_domains)).float()
        for group in self.exclusive_groups:
            c[:, group] = F.one_hot(torch.randint(len(group), (n,)), len(group)).float()
        return c.to(c_org.device)

    def edit(self, x: torch.Tensor, c_trg: torch.Tensor) -> torch.Tensor:
        """``G(x, c)``: ``x`` (data normalisation) edited towards the label vectors ``c_trg`` ``(N, n_d)``."""
        return self.generator(x, c_trg.to(x.dtype))

    forward = edit

    # -- data ---------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        data = getattr(self.trainer, "datamodule", None)
        names, kind, spec = (getattr(data, "domain_names", None), getattr(data, "label_kind", None),
                             getattr(data, "spec", None))
        if names is None or kind is None or not isinstance(spec, ImageSpec):
            raise TLZooError(f"StarGAN needs a multi-domain data module (domain_names, label_kind, spec), e.g. CelebA "
                             f"or MultiDomainDigits; got {type(data).__name__}")
        sets = getattr(data, "label_sets", None)
        mine = self.mask_vector.widths if self.mask_vector is not None else None
        if (list(sets) if sets else None) != mine:
            raise TLZooError(f"StarGAN was built for label_sets {mine} but the data has {sets}: set "
                             f"--model.init_args.label_sets {list(sets) if sets else 'null'}")
        self._check_kinds(kind, getattr(data, "label_set_kinds", None), names)
        if tuple(spec.shape) != self.input_shape:
            raise TLZooError(f"StarGAN was built for {self.input_shape} images but the data gives {tuple(spec.shape)}")
        self.spec, self.domain_names = spec, [str(n) for n in names]
        self.exclusive_groups = [list(g) for g in getattr(data, "exclusive_groups", [])]
        if self.mask_vector is not None:
            self.mask_vector.check_names(self.domain_names, self.exclusive_groups)

    def _check_kinds(self, kind: str, set_kinds: list[str] | None, names: list[str]) -> None:
        """The label count and kind (one data set), or the kind of each data set (``label_sets``), against the
        data's ``label_kind`` / ``label_set_kinds`` (a data module without the latter: ``label_kind`` for all)."""
        if self.mask_vector is None and (kind != self.label_kind or len(names) != self.num_domains):
            raise TLZooError(f"StarGAN was built for {self.num_domains} {self.label_kind} but the data has "
                             f"{len(names)} {kind} ({names}): set --model.init_args.num_domains {len(names)} "
                             f"--model.init_args.label_kind {kind}")
        if self.mask_vector is None:
            return
        if len(names) != self.num_domains:
            raise TLZooError(f"StarGAN was built for {self.num_domains} labels but the data has {len(names)} "
                             f"({names}): set --model.init_args.num_domains {len(names)}")
        theirs = [str(k) for k in set_kinds] if set_kinds else [kind] * self.mask_vector.n_sets
        if theirs != self.mask_vector.kinds:
            raise TLZooError(f"StarGAN was built for label_set_kinds {self.mask_vector.kinds} but the data has "
                             f"{theirs}: set --model.init_args.label_set_kinds [{','.join(theirs)}]")

    # -- training -----------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"D": (list(self.discriminator.parameters()), self.d_optim),
                "G": (list(self.generator.parameters()), self.g_optim)}

    def discriminator_losses(self, x: torch.Tensor, c_org: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """``-L_adv`` (with the penalty) and ``L_cls^r``; ``total = -L_adv + lambda_cls L_cls^r``."""
        src_real, cls_real = self.discriminator(x)
        src_fake, _ = self.discriminator(fake.detach())
        adv = src_fake.float().mean() - src_real.float().mean()
        gp = gradient_penalty(self.discriminator, x, fake)
        cls = self.classification_loss(cls_real, c_org)
        total = adv + self.lambda_gp * gp + self.lambda_cls * cls
        return {"adv": adv, "gp": gp, "cls": cls, "total": total}

    def generator_losses(self, x: torch.Tensor, c_org: torch.Tensor, c_trg: torch.Tensor) -> dict[str, torch.Tensor]:
        """``L_adv``, ``L_cls^f``, ``L_rec`` and, with ``lambda_idt > 0``, the identity term ``idt``;
        ``total = L_adv + lambda_cls L_cls^f + lambda_rec L_rec [+ lambda_idt idt]``."""
        fake = self.edit(x, c_trg)
        src_fake, cls_fake = self.discriminator(fake)
        adv = -src_fake.float().mean()
        cls = self.classification_loss(cls_fake, c_trg)
        rec = cycle_consistency_loss(x, self.edit(fake, c_org))
        total = adv + self.lambda_cls * cls + self.lambda_rec * rec
        parts = {"adv": adv, "cls": cls, "rec": rec}
        if self.lambda_idt > 0:
            parts["idt"] = identity_loss(x, self.edit(x, c_org))
            total = total + self.lambda_idt * parts["idt"]
        return {**parts, "total": total}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        x = batch[0]
        c_org = self.batch_labels(batch)
        c_trg = self.sample_targets(c_org)
        d_parts: dict[str, torch.Tensor] = {}

        def d_objective() -> torch.Tensor:
            with torch.no_grad():
                fake = self.edit(x, c_trg)
            d_parts.update(self.discriminator_losses(x, c_org, fake))
            return d_parts["total"]

        d_loss = self.player_step("D", d_objective)
        logs = {"train/d_loss": d_loss, "train/d_adv": d_parts["adv"].detach(), "train/d_gp": d_parts["gp"].detach(),
                "train/d_cls": d_parts["cls"].detach()}
        if (self._batch_start_step + 1) % self.n_critic == 0:
            g_parts: dict[str, torch.Tensor] = {}

            def g_objective() -> torch.Tensor:
                g_parts.update(self.generator_losses(x, c_org, c_trg))
                return g_parts["total"]

            logs["train/g_loss"] = self.player_step("G", g_objective)
            logs.update({f"train/g_{name}": value.detach() for name, value in g_parts.items() if name != "total"})
        self.log_train(logs)

    # -- predict and pictures -----------------------------------------------------------------
    def source_labels(self, batch: Any) -> torch.Tensor:
        """``c'`` of a predict batch: the data's labels, or, for a folder of the user's images (``(x, index)``),
        D's classification of them (their labels are unknown)."""
        x, last = batch[0], batch[-1]
        if not (len(batch) == 2 and last.ndim == 1):  # a folder gives (x, index); the data's splits labels
            return self.batch_labels(batch)
        logits = self.discriminator(x)[1]
        if self.mask_vector is not None:
            return self.mask_vector.from_logits(logits)
        if self.label_kind == "domains":
            return F.one_hot(logits.argmax(1), self.num_domains).float()
        return (logits > 0).float()

    @torch.no_grad()
    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        x = batch[0]
        c_org = self.source_labels(batch)
        if self.predict_targets:
            names, groups = self.domain_names, self.exclusive_groups
            targets = (parse_targets(self.predict_targets, self.label_kind, names, groups) if self.mask_vector is None
                       else self.mask_vector.parse_targets(self.predict_targets, names, groups))
            cs = [t(c_org) for t in targets]
        else:
            cs = [t.c for t in self.evaluation_targets(c_org)]
        edits = [self.spec.denormalize(self.edit(x, c)) for c in cs]
        if len(edits) == 1:
            return {"images": edits[0]}
        return {"images": torch.cat([self.spec.denormalize(x), *edits], dim=-1)}

    @torch.no_grad()
    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Rows for :class:`tlzoo.callbacks.ImageGrid`: the inputs, then their edit towards each domain (or with each
        attribute flipped). Images in [0, 1]."""
        x = batch[0].to(self.device)
        c_org = self.batch_labels([b.to(self.device) for b in batch])
        rows = [("input", self.spec.denormalize(x))]
        for target in self.evaluation_targets(c_org):
            rows.append((f"-> {target.name}", self.spec.denormalize(self.edit(x, target.c))))
        return rows


