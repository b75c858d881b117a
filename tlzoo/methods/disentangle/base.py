"""Shared skeleton of the single-domain conditional generative models (cVAE, cGAN, InfoGAN, AC-GAN, ...).

Data: a labelled image data module (:class:`tlzoo.data.labelled.ClassificationDataModule`, e.g.
``LabelledDigits``): batches ``(x, y)`` with ``x`` normalised as the module's ``spec`` says ([-1, 1] for digits,
the range of a ``tanh`` generator) and ``y`` the class.

What every method gets here:

* ``sample(codes, noise=None, generator=None)``: images (in the data's normalisation) of the requested codes:
  the class for conditional models, the categorical latent code for InfoGAN (``conditional = False``).
* Evaluation on the held-out split (``val/...`` while fitting, ``test/...`` with ``tlzoo test``). For every real
  batch ``(x, y)`` the model draws as many samples, of the classes ``y`` (InfoGAN: of uniformly drawn codes),
  with noise from a generator seeded by ``evaluation.seed`` and the batch index (the same samples every
  evaluation of the same weights; the training random streams are not touched):

  - ``judge_acc``: accuracy of a *judge* (a classifier trained by the zoo on real images of the domain, see
    :mod:`tlzoo.metrics.judge`) on the samples w.r.t. the requested class, and ``judge_acc_<k>`` per requested
    class ``k``. For InfoGAN, whose codes carry no class names, the codes are first matched one-to-one to the
    classes that maximise the agreement (Hungarian matching of the code x judged-class counts).
  - ``fid_judge`` / ``kid_judge`` (+ ``kid_judge_std``): FID / KID between the samples and the split's real
    images in the judge's feature space (``fid_inception`` too when ``evaluation.inception_weights`` is set),
    through :class:`tlzoo.metrics.image_quality.ImageTranslationMetrics`.
  - whatever the method adds in :meth:`evaluate_batch` / :meth:`finish_evaluation` (cVAE: ``recon``, ``kl``;
    GANs: ``d_loss``; InfoGAN: ``cluster_acc``; AC-GAN: ``aux_acc``).

  Without ``evaluation.judge`` the judge metrics are not logged (a warning says so once).
* ``image_grid(batch)``: a class grid for :class:`tlzoo.callbacks.ImageGrid`: the real examples, then one row
  per class (code) with the same noise in every column, so a column shows one "style" across classes.
* ``tlzoo predict`` writes one sample per test example, conditioned on its label (``predict_output = "images"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from lightning.pytorch.utilities import rank_zero_warn

from tlzoo.core.module import ZooModule, allow_in_checkpoints, keep_rng_states
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.metrics.clustering import PairCounts, hungarian_accuracy


@dataclass
class GenerationEval:
    """How class-conditional samples are scored.

    Args:
        judge: checkpoint of a zoo classifier of the domain (for MNIST: ``tlzoo fit -c
            experiments/disentangle/judge_labelled_mnist.yaml``, trained on data disjoint from the scored test split):
            ``judge_acc`` (per class too) and the features of ``fid_judge`` / ``kid_judge``. ``None``: no judge metrics.
        inception_weights: path of the FID Inception-v3 weights: adds ``fid_inception`` / ``kid_inception``.
        fid: compute FID / KID with each available feature extractor.
        kid_subset_size: KID subset size (clamped to the number of evaluation images).
        seed: seed of the evaluation noise (combined with the batch index).
    """

    judge: str | None = None
    inception_weights: str | None = None
    fid: bool = True
    kid_subset_size: int = 100
    seed: int = 0


allow_in_checkpoints(GenerationEval)


def check_image_shape(method: str, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """``(C, H, W)`` of square images, or a :class:`TLZooError` naming the flag."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or shape[1] != shape[2]:
        raise TLZooError(f"{method} generates square images (C, H, H); got input_shape {shape}: use an image data "
                         f"module (e.g. LabelledDigits) or set --model.init_args.input_shape")
    return shape  # type: ignore[return-value]


class ConditionalGenerativeMethod(ZooModule):
    """Base of the single-domain conditional generative models (not used directly).

    Subclasses build their networks and implement :meth:`generate`, ``training_step`` and their optimisers
    (GANs mix in :class:`tlzoo.core.adversarial.AdversarialMixin` first).

    Args:
        num_classes: classes of the data (linked from the data module by the CLI).
        input_shape: ``(C, H, W)`` of the images (linked from the data module by the CLI).
        latent_dim: dimension of the noise ``z``.
        evaluation: how samples are scored (judge, FID/KID).
    """

    predict_output = "images"
    #: Samples are conditioned on the class; ``False``: on an unsupervised categorical code (InfoGAN).
    conditional: ClassVar[bool] = True

    def __init__(self, num_classes: int, input_shape: tuple[int, int, int], latent_dim: int,
                 evaluation: GenerationEval | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if num_classes < 1:
            raise TLZooError(f"{name} needs num_classes >= 1, got {num_classes} (--model.init_args.num_classes)")
        if latent_dim < 1:
            raise TLZooError(f"{name} needs latent_dim >= 1, got {latent_dim} (--model.init_args.latent_dim)")
        self.num_classes = int(num_classes)
        self.input_shape = check_image_shape(name, input_shape)
        self.channels, self.image_size = self.input_shape[0], self.input_shape[1]
        self.latent_dim = int(latent_dim)
        self.evaluation = evaluation or GenerationEval()
        self.spec = ImageSpec.symmetric(self.channels, self.image_size)
        self.class_names = [str(k) for k in range(self.num_classes)]
        self._judge: Any = None
        self._judge_ready = False
        self._metrics: dict[str, dict[str, Any]] = {}
        self._warned_no_judge = False

    # -- to implement -------------------------------------------------------------------------
    def generate(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Images (data normalisation) from ``noise`` (:meth:`sample_noise`) and ``codes`` ``(N,)``."""
        raise NotImplementedError

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise vectors on the model's device: ``z ~ N(0, I)`` of ``latent_dim``. With ``generator`` (a CPU
        ``torch.Generator``) the draw leaves the global random streams alone."""
        if generator is None:
            return torch.randn(n, self.latent_dim, device=self.device)
        return torch.randn(n, self.latent_dim, generator=generator).to(self.device)

    @property
    def num_codes(self) -> int:
        """Values of the code :meth:`sample` is conditioned on (the classes; InfoGAN: its categorical code)."""
        return self.num_classes

    def evaluate_batch(self, x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, fake: torch.Tensor,
                       stage: str) -> None:
        """Method-specific evaluation of one held-out batch (``fake``: samples of ``codes``); log with ``stage/``."""

    def finish_evaluation(self, stage: str) -> None:
        """Method-specific end of an evaluation epoch (log what :meth:`evaluate_batch` accumulated)."""

    def extra_grid_rows(self, x: torch.Tensor, y: torch.Tensor, noise: torch.Tensor
                        ) -> list[tuple[str, torch.Tensor]]:
        """More rows of :meth:`image_grid` (images in [0, 1]): reconstructions, latent traversals, ..."""
        return []

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, codes: torch.Tensor, noise: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Images of the requested ``codes`` ``(N,)`` (classes, or InfoGAN's categorical code), in the data's
        normalisation; fresh noise unless ``noise`` is given."""
        codes = codes.to(self.device).long()
        if len(codes) and (int(codes.min()) < 0 or int(codes.max()) >= self.num_codes):
            raise TLZooError(f"{type(self).__name__}.sample: codes must be in [0, {self.num_codes}), got "
                             f"{int(codes.min())}..{int(codes.max())}")
        if noise is None:
            noise = self.sample_noise(len(codes), generator)
        return self.generate(noise.to(self.device), codes)

    def forward(self, codes: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        return self.sample(codes, noise)

    def _eval_generator(self, batch_idx: int) -> torch.Generator:
        return torch.Generator().manual_seed(int(self.evaluation.seed) * 1_000_003 + batch_idx)

    def _eval_codes(self, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if self.conditional:
            return y.long()
        return torch.randint(self.num_codes, (len(y),), generator=generator).to(y.device)

    # -- data ---------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        spec = getattr(datamodule, "spec", None)
        name = type(self).__name__
        if not isinstance(spec, ImageSpec):
            raise TLZooError(f"{name} needs a labelled image data module (batches (x, y) and a `spec`), e.g. "
                             f"LabelledDigits; got {type(datamodule).__name__}")
        if tuple(spec.shape) != self.input_shape:
            raise TLZooError(f"{name} was built for {self.input_shape} images but the data gives {tuple(spec.shape)}: "
                             f"set --model.init_args.input_shape (the CLI links it from the data)")
        classes = getattr(datamodule, "num_classes", self.num_classes)
        if self.conditional and classes != self.num_classes:
            raise TLZooError(f"{name} was built for {self.num_classes} classes but the data has {classes}: set "
                             f"--model.init_args.num_classes {classes}")
        self.spec = spec
        names = getattr(datamodule, "class_names", None)
        if names and len(names) == self.num_classes:
            self.class_names = [str(n) for n in names]

    # -- evaluation ---------------------------------------------------------------------------
    def set_judge(self, judge: Any) -> None:
        """Use ``judge`` (a :class:`tlzoo.metrics.judge.Judge`) instead of loading ``evaluation.judge``."""
        self._judge, self._judge_ready = judge, True
        self._metrics.clear()

    def judge(self) -> Any:
        """The judge (loaded from ``evaluation.judge`` on first use), or ``None``."""
        if not self._judge_ready:
            self._judge_ready = True
            if self.evaluation.judge:
                from tlzoo.metrics.judge import load_judge

                self._judge = load_judge(self.evaluation.judge)
        return self._judge

    def _metric_set(self, stage: str) -> dict[str, Any]:
        if stage in self._metrics:
            return self._metrics[stage]
        with keep_rng_states():  # judges and feature networks are built with random weights first
            judge = self.judge()
            features: list[Any] = []
            if self.evaluation.fid and judge is not None:
                features.append(judge.features)
            if self.evaluation.fid and self.evaluation.inception_weights:
                from tlzoo.metrics.features import InceptionFeatures

                features.append(InceptionFeatures(self.evaluation.inception_weights))
        if judge is None and not self._warned_no_judge:
            self._warned_no_judge = True
            rank_zero_warn(f"{type(self).__name__}: no evaluation.judge given, so judge_acc and fid_judge / kid_judge "
                           "are not logged; train a classifier of the domain (e.g. tlzoo fit -c "
                           "experiments/disentangle/judge_labelled_mnist.yaml) and pass "
                           "--model.init_args.evaluation.judge <ckpt>")
        metrics: dict[str, Any] = {}
        if features:
            from tlzoo.metrics.image_quality import ImageTranslationMetrics

            metrics["quality"] = ImageTranslationMetrics(
                fid=True, kid=True, features=features, kid_subset_size=self.evaluation.kid_subset_size
            ).to(self.device)
        if judge is not None:
            metrics["judged"] = PairCounts(self.num_codes, int(judge.num_classes)).to(self.device)
        self._metrics[stage] = metrics
        return metrics

    @torch.no_grad()
    def _eval_step(self, batch: Any, batch_idx: int, stage: str) -> None:
        x, y = batch[0], batch[1]
        generator = self._eval_generator(batch_idx)
        codes = self._eval_codes(y, generator)
        fake = self.sample(codes, generator=generator)
        metrics = self._metric_set(stage)
        fake01, real01 = self.spec.denormalize(fake), self.spec.denormalize(x)
        if "quality" in metrics:
            metrics["quality"].update(fake01, real01)
        if "judged" in metrics:
            judge = self._judge.to(self.device)
            metrics["judged"].update(codes, judge.predict(fake01))
        self.evaluate_batch(x, y, codes, fake, stage)

    def _eval_epoch_end(self, stage: str) -> None:
        metrics = self._metrics.get(stage, {})
        if "judged" in metrics:
            counts = metrics["judged"].compute()
            if int(counts.sum()) > 0:
                for name, value in judge_scores(counts, matched=not self.conditional).items():
                    self.log(f"{stage}/{name}", value, prog_bar=stage == "val" and name == "judge_acc")
            metrics["judged"].reset()
        if "quality" in metrics:
            for name, value in metrics["quality"].compute().items():
                self.log(f"{stage}/{name}", value)
            metrics["quality"].reset()
        self.finish_evaluation(stage)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, batch_idx, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, batch_idx, "test")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    @torch.no_grad()
    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        """One sample per example of the batch, of its label (InfoGAN: of a random code)."""
        y = batch[1] if isinstance(batch, (list, tuple)) else batch
        generator = self._eval_generator(batch_idx)
        fake = self.sample(self._eval_codes(y, generator), generator=generator)
        return {"images": self.spec.denormalize(fake)}

    # -- pictures -----------------------------------------------------------------------------
    def code_name(self, code: int) -> str:
        """Row label of ``code`` in :meth:`image_grid`."""
        return self.class_names[code] if self.conditional else f"code {code}"

    @torch.no_grad()
    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Rows for :class:`tlzoo.callbacks.ImageGrid`: the real examples, then one row per class (code) with the
        same noise in each column, then :meth:`extra_grid_rows`. Images in [0, 1]."""
        x, y = batch[0].to(self.device), batch[1].to(self.device)
        noise = self.sample_noise(len(x), self._eval_generator(-1))
        rows = [("real", self.spec.denormalize(x))]
        for code in range(self.num_codes):
            codes = torch.full((len(x),), code, dtype=torch.long, device=self.device)
            rows.append((self.code_name(code), self.spec.denormalize(self.generate(noise, codes))))
        return rows + self.extra_grid_rows(x, y, noise)


def judge_scores(counts: torch.Tensor, matched: bool) -> dict[str, torch.Tensor]:
    """``judge_acc`` and ``judge_acc_<k>`` from ``counts[requested, judged]``.

    ``matched=False``: the requested code is the class (accuracy = trace / total; per class: diagonal / row sum).
    ``matched=True``: codes are first mapped one-to-one to classes by Hungarian matching (InfoGAN).
    """
    counts = counts.detach().cpu().double()
    if matched:
        _, mapping = hungarian_accuracy(counts)
        hits = torch.tensor([counts[i, m] if m >= 0 else 0.0 for i, m in enumerate(mapping.tolist())],
                            dtype=torch.float64)
    else:
        k = min(counts.shape)
        hits = torch.zeros(counts.shape[0], dtype=torch.float64)
        hits[:k] = counts.diagonal()[:k]
    rows = counts.sum(1)
    out = {"judge_acc": (hits.sum() / rows.sum()).float()}
    for code in range(counts.shape[0]):
        if rows[code] > 0:
            out[f"judge_acc_{code}"] = (hits[code] / rows[code]).float()
    return out
