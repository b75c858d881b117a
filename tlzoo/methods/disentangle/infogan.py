"""InfoGAN: unsupervised disentanglement by maximising the mutual information between latent codes and samples.

Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable Representation Learning by
Information Maximizing Generative Adversarial Nets", NIPS 2016, https://arxiv.org/abs/1606.03657, eq. 5-6::

    min_{G, Q} max_D V_InfoGAN(D, G, Q) = V(D, G) - lambda L_I(G, Q)
    L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[log Q(c | x)] + H(c)   <=   I(c; G(z, c))

MNIST set-up (Sec. 7.1 and appendix C.1): ``c_1 ~ Cat(K = 10, p = 0.1)``, ``c_2, c_3 ~ Unif(-1, 1)``, 62 noise
variables; ``Q`` shares all convolutional layers of ``D`` and adds one fully-connected layer; the continuous
codes are treated as factored Gaussians; ``lambda = 1`` for discrete codes, smaller for continuous ones.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.optim import OptimConfig
from tlzoo.methods.disentangle.base import ConditionalGenerativeMethod, GenerationEval
from tlzoo.methods.translation.pix2pix import gan_optim
from tlzoo.metrics.clustering import PairCounts, hungarian_accuracy
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator
from tlzoo.nn.infogan_nets import PAPER_LEAKY_SLOPE, InfoGANMNISTDiscriminator, InfoGANMNISTGenerator
from tlzoo.nn.losses.adversarial import GANLoss, GANMode


def info_loss(cat_logits: torch.Tensor, cat_codes: torch.Tensor, cont_mean: torch.Tensor, cont_codes: torch.Tensor,
              lambda_cat: float = 1.0, lambda_cont: float = 0.1) -> dict[str, torch.Tensor]:
    """``-L_I`` up to constants, as a loss to minimise (batch means):

    * ``cat`` = ``-E[log Q(c_1 | x)]`` = cross-entropy of ``Q``'s categorical logits w.r.t. the drawn code;
    * ``cont`` = ``-E[log N(c_j; mu_j(x), 1)]`` up to ``log sqrt(2 pi)`` = ``1/2 sum_j (c_j - mu_j(x))^2``, the
      factored Gaussian of fixed unit variance;
    * ``total`` = ``lambda_cat * cat + lambda_cont * cont``.

    ``H(c)`` is a constant and left out, so ``L_I >= -total + H(c)`` still bounds ``I(c; G(z, c))`` from below.
    """
    cat = F.cross_entropy(cat_logits.float(), cat_codes.long())
    cont = 0.5 * (cont_codes.float() - cont_mean.float()).pow(2).sum(1).mean() if cont_codes.shape[1] else \
        cat.new_zeros(())
    return {"cat": cat, "cont": cont, "total": lambda_cat * cat + lambda_cont * cont}


class InfoGAN(AdversarialMixin, ConditionalGenerativeMethod):
    """InfoGAN (Chen et al., NIPS 2016) with one categorical and ``continuous_codes`` uniform codes.

    Per batch (the labels are not used for training): ``c_1`` uniform over ``categories``, ``c_cont ~ U(-1, 1)``,
    ``z ~ N(0, I)``, ``x_fake = G([z, one_hot(c_1), c_cont])``. D steps on ``GANLoss.discriminator_loss`` plus
    ``info_loss`` on ``x_fake`` (Q's head and D's shared body are D's player), then G on
    ``GANLoss.generator_loss`` plus ``info_loss`` (G and Q both minimise ``-L_I``, as in the authors' code, which
    adds the MI term to both the discriminator and the generator objectives).

    Evaluation: ``cluster_acc``, the accuracy of ``argmax Q(c_1 | x)`` on the held-out *real* images as a
    clustering of the digits, after matching codes to classes one-to-one (Hungarian algorithm; the paper reports
    5% error on MNIST); ``judge_acc`` (with a judge): the judge's accuracy on samples of each code, codes matched
    to classes the same way; ``d_loss``. The image grid shows a row per categorical code (same ``z`` and continuous
    codes in each column) and, per continuous code, a sweep from -2 to 2 (the paper's Fig. 2 range).

    Code vs. paper: ``generator`` = G, ``discriminator`` = D (a :class:`~tlzoo.nn.discriminators.DCGANDiscriminator`
    or, with ``networks="paper"``, a :class:`~tlzoo.nn.infogan_nets.InfoGANMNISTDiscriminator`: ``features`` is the
    body shared with Q, ``head`` D's output), ``q_head`` = Q's extra layers (FC 128 - BN -
    LeakyReLU - FC, as in appendix C.1), ``latent_dim`` = the 62 noise variables, ``categories`` = ``K``,
    ``lambda_cat`` / ``lambda_cont`` = ``lambda`` for the discrete and continuous codes.

    Networks (``networks``): ``dcgan`` (the default) is DCGAN-style convolutional D / G, narrower than the
    authors' MNIST networks (no FC 1024 layers; ``base_channels`` / ``discriminator_channels`` set the widths;
    Q's LeakyReLU has slope 0.2); ``paper`` is the paper's own MNIST networks of appendix C.1
    (:mod:`tlzoo.nn.infogan_nets`; D: conv 64 - conv 128 - BN - FC 1024 - BN, LeakyReLU 0.1; Q an FC 128 - BN -
    LeakyReLU 0.1 - FC head on the FC 1024 layer; G: FC 1024 - FC 7x7x128 - deconv 64 - deconv 1, all but the
    output with BN), for 28x28 one-channel images only, ``base_channels`` / ``discriminator_channels`` unused.

    Deviations: the default ``dcgan`` networks (above); a ``tanh`` output instead of their Bernoulli-mean
    (sigmoid) output; the continuous codes' Gaussian has a fixed unit variance instead of a learnt one (the paper
    says fixing it is sufficient, Sec. 6).
    The paper's learning rates (2e-4 for D and Q, 1e-3 for G) are ``optim`` and ``generator_optim`` in
    ``experiments/disentangle/infogan_mnist.yaml``; by default both players use ``optim``. The authors' launcher
    (``run_mnist_exp.py``) draws the 62 noise variables from ``U(-1, 1)`` (``noise="uniform"``, the YAML's
    choice; ``normal`` is ``N(0, I)``) and trains 50 x 100 updates of batch 128 (640,000 samples).

    Args:
        num_classes: classes of the evaluation labels (linked from the data; not used in training).
        input_shape: ``(C, H, W)`` (linked from the data), ``H`` in 16, 28, 32, 64.
        latent_dim: incompressible noise dimensions (62).
        categories: values of the categorical code (10 for MNIST digits).
        continuous_codes: number of ``Unif(-1, 1)`` codes (2).
        lambda_cat: weight of the categorical MI term (1).
        lambda_cont: weight of the continuous MI term (0.1).
        base_channels: generator width (``networks="dcgan"`` only).
        discriminator_channels: discriminator width (``networks="dcgan"`` only).
        q_hidden: width of Q's hidden layer (128).
        noise: distribution of the incompressible noise ``z``: ``normal`` ``N(0, I)`` or ``uniform`` ``U(-1, 1)``
            (the authors' MNIST launcher, ``Uniform(62)``).
        gan_mode: ``vanilla`` (BCE on logits), ``lsgan``, ``hinge``.
        optim: optimiser of D and Q (the paper: Adam 2e-4).
        generator_optim: optimiser of G (the paper: Adam 1e-3); ``None``: ``optim``.
        evaluation: judge / FID settings.
        networks: ``dcgan`` (DCGAN-style D / G of ``base_channels`` / ``discriminator_channels`` widths) or
            ``paper`` (the paper's MNIST networks, appendix C.1; needs ``input_shape`` ``(1, 28, 28)``).
    """

    conditional = False

    def __init__(self, num_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 62,
                 categories: int = 10, continuous_codes: int = 2, lambda_cat: float = 1.0, lambda_cont: float = 0.1,
                 base_channels: int = 64, discriminator_channels: int = 64, q_hidden: int = 128,
                 noise: Literal["normal", "uniform"] = "normal", gan_mode: GANMode = "vanilla",
                 optim: OptimConfig | None = None,
                 generator_optim: OptimConfig | None = None, evaluation: GenerationEval | None = None,
                 networks: Literal["dcgan", "paper"] = "dcgan") -> None:
        super().__init__(num_classes, input_shape, latent_dim, evaluation)
        self.save_hyperparameters()
        if categories < 2 or continuous_codes < 0 or lambda_cat < 0 or lambda_cont < 0:
            raise ValueError("InfoGAN needs categories >= 2, continuous_codes >= 0 and non-negative lambdas; got "
                             f"{categories}, {continuous_codes}, {lambda_cat}, {lambda_cont}")
        if noise not in ("normal", "uniform"):
            raise ValueError(f"InfoGAN noise must be 'normal' or 'uniform', got {noise!r}")
        self.categories, self.continuous_codes = categories, continuous_codes
        self.noise = noise
        self.lambda_cat, self.lambda_cont = lambda_cat, lambda_cont
        if networks not in ("dcgan", "paper"):
            raise ValueError(f"InfoGAN networks (--model.init_args.networks) must be 'dcgan' or 'paper', got "
                             f"{networks!r}")
        if networks == "paper" and tuple(self.input_shape) != (1, 28, 28):
            raise ValueError("--model.init_args.networks paper is the paper's MNIST networks (appendix C.1) and needs "
                             f"1x28x28 images, got input_shape {tuple(self.input_shape)}; use "
                             "--model.init_args.networks dcgan for other data")
        self.networks = networks
        input_dim = latent_dim + categories + continuous_codes
        self.generator: nn.Module
        self.discriminator: DCGANDiscriminator | InfoGANMNISTDiscriminator
        if networks == "paper":
            self.generator = InfoGANMNISTGenerator(input_dim, self.channels)
            self.discriminator = InfoGANMNISTDiscriminator(self.channels, self.image_size)
        else:
            self.generator = DCGANGenerator(input_dim, self.channels, self.image_size, base_channels)
            self.discriminator = DCGANDiscriminator(self.channels, self.image_size, discriminator_channels)
        slope = PAPER_LEAKY_SLOPE if networks == "paper" else 0.2
        self.q_head = nn.Sequential(nn.Linear(self.discriminator.feature_dim, q_hidden), nn.BatchNorm1d(q_hidden),
                                    nn.LeakyReLU(slope, inplace=True),
                                    nn.Linear(q_hidden, categories + continuous_codes))
        self.gan = GANLoss(gan_mode)
        self.optim_cfg = optim or gan_optim()
        self.generator_optim_cfg = generator_optim or self.optim_cfg
        self._clusters: dict[str, PairCounts] = {}

    @property
    def num_codes(self) -> int:
        return self.categories

    # -- the model ----------------------------------------------------------------------------
    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[z, c_cont]``: ``z`` (``latent_dim``) ``~ N(0, I)`` or ``~ U(-1, 1)`` (``noise``) and the continuous
        codes ``~ U(-1, 1)``."""
        draw = torch.randn if self.noise == "normal" else torch.rand
        if generator is None:
            z = draw(n, self.latent_dim, device=self.device)
            cont = torch.rand(n, self.continuous_codes, device=self.device)
        else:
            z = draw(n, self.latent_dim, generator=generator).to(self.device)
            cont = torch.rand(n, self.continuous_codes, generator=generator).to(self.device)
        if self.noise == "uniform":
            z = 2.0 * z - 1.0
        return torch.cat([z, 2.0 * cont - 1.0], 1)

    def generate(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        z, cont = noise[:, : self.latent_dim], noise[:, self.latent_dim:]
        one_hot = F.one_hot(codes.long(), self.categories).to(noise.dtype)
        return self.generator(torch.cat([z, one_hot, cont], 1))

    def discriminate(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(D logit (N,), Q categorical logits (N, K), Q continuous means (N, continuous_codes))``."""
        h = self.discriminator.features(x)
        q = self.q_head(h)
        return self.discriminator.head(h).squeeze(1), q[:, : self.categories], q[:, self.categories:]

    def predict_code(self, x: torch.Tensor) -> torch.Tensor:
        """``argmax_c Q(c_1 = c | x)``: the categorical code (cluster) of images ``x``."""
        return self.discriminate(x)[1].argmax(1)

    # -- training -----------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"discriminator": (list(self.discriminator.parameters()) + list(self.q_head.parameters()),
                                  self.optim_cfg),
                "generator": (list(self.generator.parameters()), self.generator_optim_cfg)}

    def losses(self, x: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor, noise: torch.Tensor,
               player: str) -> dict[str, torch.Tensor]:
        """The objective of ``player`` (``discriminator`` or ``generator``) and its parts (``gan``, ``cat``,
        ``cont``)."""
        cont = noise[:, self.latent_dim:]
        if player == "discriminator":
            s_fake, cat_logits, cont_mean = self.discriminate(fake.detach())
            gan = self.gan.discriminator_loss(self.discriminate(x)[0], s_fake)
        else:
            s_fake, cat_logits, cont_mean = self.discriminate(fake)
            gan = self.gan.generator_loss(s_fake)
        info = info_loss(cat_logits, codes, cont_mean, cont, self.lambda_cat, self.lambda_cont)
        return {"total": gan + info["total"], "gan": gan, "cat": info["cat"], "cont": info["cont"]}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        x = batch[0]
        codes = torch.randint(self.categories, (len(x),), device=self.device)
        noise = self.sample_noise(len(x))
        fake = self.generate(noise, codes)
        g_parts: dict[str, torch.Tensor] = {}

        def g_objective() -> torch.Tensor:
            g_parts.update(self.losses(x, fake, codes, noise, "generator"))
            return g_parts["total"]

        d_loss = self.player_step("discriminator", lambda: self.losses(x, fake, codes, noise, "discriminator")["total"])
        g_loss = self.player_step("generator", g_objective)
        self.log_train({"train/d_loss": d_loss, "train/g_loss": g_loss, "train/mi_cat": g_parts["cat"].detach(),
                        "train/mi_cont": g_parts["cont"].detach()})

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate_batch(self, x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, fake: torch.Tensor,
                       stage: str) -> None:
        s_real, cat_real, _ = self.discriminate(x)
        self.log(f"{stage}/d_loss", self.gan.discriminator_loss(s_real, self.discriminate(fake)[0]), batch_size=len(x))
        if stage not in self._clusters:
            self._clusters[stage] = PairCounts(self.categories, self.num_classes).to(self.device)
        self._clusters[stage].update(cat_real.argmax(1), y)

    def finish_evaluation(self, stage: str) -> None:
        if stage not in self._clusters:
            return
        counts = self._clusters[stage].compute()
        if int(counts.sum()) > 0:
            accuracy, _ = hungarian_accuracy(counts)
            self.log(f"{stage}/cluster_acc", accuracy, prog_bar=stage == "val")
        self._clusters[stage].reset()

    def extra_grid_rows(self, x: torch.Tensor, y: torch.Tensor, noise: torch.Tensor
                        ) -> list[tuple[str, torch.Tensor]]:
        """Per continuous code ``j`` and for codes 0 and 1: ``c_j`` swept over [-2, 2] along the row, with the
        first column's ``z``, the other continuous codes at 0."""
        n = len(x)
        rows = []
        for j in range(self.continuous_codes):
            for code in range(min(2, self.categories)):
                sweep = noise[:1].repeat(n, 1)
                sweep[:, self.latent_dim:] = 0.0
                sweep[:, self.latent_dim + j] = torch.linspace(-2.0, 2.0, n, device=noise.device)
                codes = torch.full((n,), code, dtype=torch.long, device=noise.device)
                rows.append((f"c{j + 2} sweep, code {code}", self.spec.denormalize(self.generate(sweep, codes))))
        return rows
