"""DTN: the Domain Transfer Network, translation that keeps a fixed encoder's output unchanged.

Taigman, Polyak & Wolf, "Unsupervised Cross-Domain Image Generation", ICLR 2017,
https://arxiv.org/abs/1611.02200. A **fixed**, pre-trained encoder ``f`` (trained on the source domain S,
e.g. a digit classifier's penultimate layer) and a generator ``g`` make ``G = g . f: S -> T``. A
discriminator ``D`` with three classes (1: ``G(x)`` of a source ``x``, 2: ``G(x)`` of a target ``x``, 3: a real
target image) plays against ``G`` (Sec. 3, eq. 3-8)::

    L_D     = - E_{x in s} log D1(G(x)) - E_{x in t} log D2(G(x)) - E_{x in t} log D3(x)
    L_GANG  = - E_{x in s} log D3(G(x)) - E_{x in t} log D3(G(x))
    L_CONST = sum_{x in s} d(f(x), f(G(x)))              d = MSE                    (f-constancy)
    L_TID   = sum_{x in t} d2(x, G(x))                   d2 = MSE                   (identity on T)
    L_TV(z) = sum_ij ((z_{i,j+1} - z_ij)^2 + (z_{i+1,j} - z_ij)^2)^(B/2),   B = 1     (on G(x), x in s)
    L_G     = L_GANG + alpha L_CONST + beta L_TID + gamma L_TV

Digits (Sec. 5.1, SVHN -> MNIST): ``f`` is a 4-layer convolutional SVHN classifier's last hidden layer, ``g``
four transposed-convolution blocks (BatchNorm + ReLU, tanh output), ``D`` four convolution blocks;
``alpha = beta = 15``, ``gamma = 0``. Reported: a MNIST classifier labels 84.44% of the translated SVHN test
digits correctly.

Where ``f`` comes from (``f`` never trains during the adversarial game):

* ``encoder_checkpoint``: a zoo classifier trained on the source domain (``tlzoo fit`` of e.g. ``SourceOnly``
  with ``--data.init_args.source usps``); loaded with :func:`tlzoo.metrics.judge.load_judge` (its input
  normalisation and size are honoured), ``f = bottleneck . backbone``. Works with both data contracts.
* otherwise, ``pretrain_epochs > 0`` epochs of stage 1 train ``f`` (``backbone``) and a linear classifier on
  the source labels of a domain-adaptation data module (``USPSMNIST``, ``SVHNToMNIST``), as ADDA's stage 1;
  then both are frozen and the adversarial stage runs. The stage is the ``stage`` buffer (resumes right).

Evaluation (besides the translation metrics of :class:`TranslationMethod`, where ``label_preservation`` with a
judge of T (``evaluation.judge_b``) on translated source images is the paper's measure): ``f_constancy``
(MSE between ``f(x)`` and ``f(G(x))`` on source evaluation images) and ``tid_mse`` (``|G(x) - x|^2`` on target
evaluation images), both label-free; with stage-1 pre-training on adaptation data, ``source_acc`` /
``target_acc`` of ``f`` + its classifier (the source-only baseline of that encoder).

Code vs. paper: ``encoder`` = f, ``generator`` = g, ``discriminator`` = D (logits of classes 0, 1, 2 = the
paper's D1, D2, D3), ``alpha`` / ``beta`` / ``gamma`` = alpha, beta, gamma. ``L_CONST`` and ``L_TID`` are
means (over examples and dimensions) instead of sums, and ``L_TV`` a per-pixel mean (with ``sqrt(. + 1e-8)``).
Deviations: ``g`` is :class:`tlzoo.nn.generators.DCGANGenerator` and ``D`` the body of
:class:`tlzoo.nn.discriminators.DCGANDiscriminator` (3 strided convolutions for 32 px, 2 for 28 px) with a
3-way linear head; f is any zoo encoder (LeNet by default); Adam 2e-4, betas (0.5, 0.999) (the paper gives no
optimiser settings). ``D`` steps first, then ``G``, on the same generated batch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.optim import OptimConfig, build_scheduler
from tlzoo.errors import TLZooError
from tlzoo.methods.translation.base import TranslationEval
from tlzoo.methods.translation.labelled_source import LabelledSourceTranslation, split_accuracies, split_batch
from tlzoo.metrics.features import to_channels
from tlzoo.nn.backbones import BackboneConfig, build_backbone
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator

#: D's classes (the paper's D1, D2, D3).
FAKE_FROM_SOURCE, FAKE_FROM_TARGET, REAL_TARGET = 0, 1, 2


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """``L_TV`` with ``B = 1`` as a per-pixel mean: ``mean sqrt((x_{i,j+1} - x_ij)^2 + (x_{i+1,j} - x_ij)^2)``."""
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return (dx.float().pow(2) + dy.float().pow(2) + 1e-8).sqrt().mean()


class ContextEncoder(nn.Module):
    """``f`` on images in [0, 1]: converted to the encoder's channels and size, normalised, encoded, flattened.

    Args:
        net: the encoder (images in its own normalisation -> features).
        input_shape: ``(C, H, W)`` it expects.
        mean: per-channel mean of its normalisation.
        std: per-channel std.
    """

    def __init__(self, net: nn.Module, input_shape: tuple[int, ...], mean: torch.Tensor | float = 0.5,
                 std: torch.Tensor | float = 0.5) -> None:
        super().__init__()
        self.net = net
        self.input_shape = tuple(int(s) for s in input_shape)
        c = self.input_shape[0]
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(-1).expand(c)
                             .reshape(1, c, 1, 1).clone(), persistent=False)
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(-1).expand(c)
                             .reshape(1, c, 1, 1).clone(), persistent=False)

    def forward(self, x01: torch.Tensor) -> torch.Tensor:
        x = to_channels(x01, self.input_shape[0])
        if tuple(x.shape[-2:]) != self.input_shape[1:]:
            x = F.interpolate(x, size=self.input_shape[1:], mode="bilinear", align_corners=False)
        return self.net((x - self.mean) / self.std).flatten(1)


def load_context_encoder(checkpoint: str) -> tuple[ContextEncoder, int]:
    """``f`` from a zoo classifier checkpoint (``bottleneck . backbone``), frozen, and its feature width."""
    from tlzoo.methods.da.base import DomainAdaptationMethod
    from tlzoo.metrics.judge import load_judge

    judge = load_judge(checkpoint, name="f")
    model = judge.model
    if not isinstance(model, DomainAdaptationMethod):
        raise TLZooError(f"encoder_checkpoint {checkpoint} holds a {type(model).__name__}; DTN's f must be a zoo "
                         "classifier with a backbone (e.g. SourceOnly trained on the source domain)")
    feats = judge.features
    encoder = ContextEncoder(nn.Sequential(model.backbone, model.bottleneck), feats.input_shape, feats.mean, feats.std)
    encoder.requires_grad_(False)
    return encoder, int(model.feature_dim)


class _Translator(nn.Module):
    """``g(f((x + 1) / 2))``: DTN's ``G`` on images in [-1, 1], for export."""

    def __init__(self, encoder: nn.Module, generator: nn.Module) -> None:
        super().__init__()
        self.encoder, self.generator = encoder, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(self.encoder(x * 0.5 + 0.5))


class DTN(LabelledSourceTranslation):
    """Domain Transfer Network (Taigman et al., ICLR 2017; module docstring).

    Args:
        channels_a: channels of source (S) images.
        channels_b: channels of target (T) images.
        encoder_checkpoint: checkpoint of a zoo classifier trained on S: the fixed ``f``.
        backbone: ``f``'s architecture when it is pre-trained here (``pretrain_epochs > 0``).
        pretrain_epochs: epochs of stage 1 (``f`` + a linear classifier on source labels; needs adaptation
            data); 0 with ``encoder_checkpoint``.
        pretrain_optim: optimiser of stage 1 (Adam 1e-3, constant).
        generator_channels: width of ``g`` (channels of its last hidden layer).
        discriminator_channels: width of ``D``.
        alpha: weight of ``L_CONST`` (15 for digits).
        beta: weight of ``L_TID`` (15 for digits).
        gamma: weight of ``L_TV`` (0 for digits).
        optim: optimiser of ``g`` and ``D`` (Adam 2e-4, betas 0.5/0.999).
        evaluation: how translations are scored (``judge_b``: label preservation, the paper's measure).
        num_classes: classes of the source labels (linked from the data; stage 1's classifier).
        input_shape: shape of source images (linked from the data; gives the image size).
        image_size: side of the generated images when ``input_shape`` is not given.
    """

    #: f is fixed and the last epoch is what the paper reports.
    default_monitor = None

    def __init__(
        self,
        channels_a: int = 1,
        channels_b: int = 1,
        encoder_checkpoint: str | None = None,
        backbone: BackboneConfig | None = None,
        pretrain_epochs: int = 0,
        pretrain_optim: OptimConfig | None = None,
        generator_channels: int = 64,
        discriminator_channels: int = 64,
        alpha: float = 15.0,
        beta: float = 15.0,
        gamma: float = 0.0,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
        image_size: int = 32,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.save_hyperparameters()
        if min(alpha, beta, gamma) < 0 or pretrain_epochs < 0:
            raise ValueError(f"alpha, beta, gamma and pretrain_epochs must be >= 0, got {alpha}, {beta}, {gamma}, "
                             f"{pretrain_epochs}")
        if encoder_checkpoint and pretrain_epochs > 0:
            raise TLZooError("DTN got both --model.init_args.encoder_checkpoint and pretrain_epochs > 0: f is either "
                             "loaded or pre-trained here; set --model.init_args.pretrain_epochs 0")
        size = int(input_shape[-1]) if input_shape is not None and len(input_shape) == 3 else image_size
        self.f_head: nn.Module | None = None
        if encoder_checkpoint:
            self.encoder, feature_dim = load_context_encoder(encoder_checkpoint)
        elif pretrain_epochs > 0:
            if not num_classes:
                raise TLZooError("DTN pre-training f (pretrain_epochs > 0) needs labelled source data: use a "
                                 "domain-adaptation data module (USPSMNIST, SVHNToMNIST, EmbeddedDigits)")
            shape = tuple(input_shape) if input_shape is not None else (channels_a, size, size)
            net = build_backbone(backbone or BackboneConfig(name="lenet"), shape)
            self.encoder = ContextEncoder(net, shape)
            feature_dim = net.out_dim
            self.f_head = nn.Linear(feature_dim, num_classes)
        else:
            raise TLZooError("DTN needs a fixed pre-trained encoder f: pass --model.init_args.encoder_checkpoint "
                             "<checkpoint of a zoo classifier trained on the source domain, e.g. SourceOnly> or "
                             "--model.init_args.pretrain_epochs N with a labelled-source data module (USPSMNIST)")
        self.generator = DCGANGenerator(feature_dim, channels_b, size, generator_channels)
        body = DCGANDiscriminator(channels_b, size, discriminator_channels)
        self.discriminator = nn.Sequential(body.body, nn.Linear(body.feature_dim, 3))
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.pretrain_epochs = pretrain_epochs
        self.optim_cfg = optim or OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999), schedule="constant")
        self.pretrain_optim = pretrain_optim or OptimConfig(name="adam", lr=1e-3, schedule="constant")
        self.register_buffer("stage", torch.full((), 1 if pretrain_epochs > 0 else 2, dtype=torch.long))
        if self.f_head is None:
            self.freeze(self.encoder)
        else:
            self.eval_acc = split_accuracies(int(num_classes or 0))

    # -- networks -----------------------------------------------------------------------------
    def f(self, x: torch.Tensor, domain: str = "a") -> torch.Tensor:
        """``f`` of images in the normalisation of domain A (``"a"``) or B."""
        spec = self.spec_a if domain == "a" else self.spec_b
        x01 = spec.denormalize(x) if spec is not None else x * 0.5 + 0.5
        return self.encoder(x01)

    def G(self, x: torch.Tensor, domain: str = "a") -> torch.Tensor:  # noqa: N802 (the paper's name)
        """``G(x) = g(f(x))``, in B's normalisation."""
        return self.generator(self.f(x, domain))

    def translate(self, x_a: torch.Tensor) -> torch.Tensor:
        return self.G(x_a, "a")

    def export_module(self) -> tuple[nn.Module, int]:
        """``G = g . f`` on source images in [-1, 1] (the digit modules' normalisation; ``tlzoo export``)."""
        return _Translator(self.encoder, self.generator), self.channels_a

    # -- stages -------------------------------------------------------------------------------
    @property
    def adapting(self) -> bool:
        """Whether stage 2 (the adversarial game with f fixed) runs."""
        return int(self.stage) >= 2

    def on_train_epoch_start(self) -> None:
        if not self.adapting and self.current_epoch >= self.pretrain_epochs:
            self.stage.fill_(2)
        if self.adapting:
            self.freeze(*[m for m in (self.encoder, self.f_head) if m is not None])

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        players: dict[str, tuple[Any, OptimConfig]] = {}
        if self.f_head is not None:
            players["encoder"] = (list(self.encoder.parameters()) + list(self.f_head.parameters()), self.pretrain_optim)
        players["discriminator"] = (list(self.discriminator.parameters()), self.optim_cfg)
        players["generator"] = (list(self.generator.parameters()), self.optim_cfg)
        return players

    def configure_optimizers(self) -> Any:
        optimizers, schedulers = super().configure_optimizers()
        if self.f_head is not None:  # stage 1's schedule runs over the pre-training batches
            trainer = self._trainer
            steps = (lambda: max(float(trainer.num_training_batches) * self.pretrain_epochs, 1.0)) if trainer else \
                (lambda: float("inf"))
            schedulers[0] = build_scheduler(optimizers[0], self.pretrain_optim, steps)
        return optimizers, schedulers

    # -- losses -------------------------------------------------------------------------------
    def discriminator_loss(self, x_t: torch.Tensor, fake_s: torch.Tensor, fake_t: torch.Tensor) -> torch.Tensor:
        """``L_D``: three-way cross-entropy (G(source) -> 0, G(target) -> 1, real target -> 2)."""
        def ce(x: torch.Tensor, cls: int) -> torch.Tensor:
            logits = self.discriminator(x).float()
            return F.cross_entropy(logits, torch.full((len(x),), cls, dtype=torch.long, device=x.device))

        return ce(fake_s.detach(), FAKE_FROM_SOURCE) + ce(fake_t.detach(), FAKE_FROM_TARGET) + ce(x_t, REAL_TARGET)

    def generator_losses(self, x_t: torch.Tensor, f_s: torch.Tensor, fake_s: torch.Tensor, fake_t: torch.Tensor
                         ) -> dict[str, torch.Tensor]:
        """``L_GANG``, ``L_CONST``, ``L_TID``, ``L_TV`` and ``L_G``."""
        real = torch.full((len(fake_s),), REAL_TARGET, dtype=torch.long, device=fake_s.device)
        gang = (F.cross_entropy(self.discriminator(fake_s).float(), real)
                + F.cross_entropy(self.discriminator(fake_t).float(), real[: len(fake_t)]))
        const = F.mse_loss(self.f(fake_s, "b").float(), f_s.float())
        tid = F.mse_loss(fake_t.float(), x_t.float())
        tv = total_variation(fake_s) if self.gamma > 0 else torch.zeros((), device=fake_s.device)
        total = gang + self.alpha * const + self.beta * tid + self.gamma * tv
        return {"total": total, "gang": gang, "const": const, "tid": tid, "tv": tv}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s, x_t = split_batch(batch)
        if not self.adapting:
            if y_s is None:
                raise TLZooError("DTN's stage 1 (pretrain_epochs > 0) trains f on source labels: use a "
                                 "domain-adaptation data module (USPSMNIST, SVHNToMNIST) or pass "
                                 "--model.init_args.encoder_checkpoint")
            assert self.f_head is not None
            loss = self.player_step("encoder", lambda: F.cross_entropy(self.f_head(self.f(x_s, "a")), y_s))
            self.log_train({"train/cls_loss": loss, "train/stage": 1.0})
            return
        with torch.no_grad():
            f_s, f_t = self.f(x_s, "a"), self.f(x_t, "b")
        fake_s, fake_t = self.generator(f_s), self.generator(f_t)
        d_loss = self.player_step("discriminator", lambda: self.discriminator_loss(x_t, fake_s, fake_t))
        g_loss, parts = self.step_with_parts("generator", lambda: self.generator_losses(x_t, f_s, fake_s, fake_t))
        self.log_train({"train/d_loss": d_loss, "train/g_loss": g_loss, "train/gang": parts["gang"].detach(),
                        "train/const": parts["const"].detach(), "train/tid": parts["tid"].detach(),
                        "train/stage": 2.0})

    # -- evaluation ---------------------------------------------------------------------------
    def _label_free(self, x: torch.Tensor | None, domain: str, stage: str) -> None:
        if x is None:
            return
        fake = self.G(x, domain)
        if domain == "a":
            self.log(f"{stage}/f_constancy", F.mse_loss(self.f(fake, "b"), self.f(x, "a")), batch_size=len(x),
                     add_dataloader_idx=False)
        else:
            self.log(f"{stage}/tid_mse", F.mse_loss(fake, x), batch_size=len(x), add_dataloader_idx=False)

    def _eval_step(self, batch: dict[str, Any], stage: str) -> None:
        super()._eval_step(batch, stage)
        for key, domain in (("A", "a"), ("B", "b")):
            part = batch.get(key)
            self._label_free(part[0] if part is not None else None, domain, stage)

    def _da_eval_step(self, batch: Any, stage: str, dataloader_idx: int) -> None:
        super()._da_eval_step(batch, stage, dataloader_idx)
        self._label_free(batch[0], "a" if dataloader_idx == 0 else "b", stage)

    def classify_eval(self, x: torch.Tensor, y: torch.Tensor, split: str, stage: str) -> None:
        f_head = self.f_head
        if f_head is None:
            return
        self.log_split_accuracy(lambda images, domain: f_head(self.f(images, domain)), x, y, split, stage,
                                f"f_{split}_acc")
