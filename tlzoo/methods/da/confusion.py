"""Domain confusion with soft-label transfer (Tzeng et al., ICCV 2015).

Tzeng, Hoffman, Darrell & Saenko, "Simultaneous Deep Transfer Across Domains and Tasks", ICCV 2015,
arXiv:1510.02192. A domain classifier ``q = softmax(theta_D^T f(x))`` and the representation
``f(x; theta_repr)`` play two *different* objectives, optimised alternately (eq. 2-4)::

    min_{theta_D}    L_D    = -sum_d 1[y_D = d] log q_d                  (domain classifier)
    min_{theta_repr} L_conf = -sum_d 1/D log q_d                          (confusion: uniform q)

and the full objective of the representation and classifier (eq. 1) is::

    L = L_C(x_S, y_S, x_T, y_T) + lambda * L_conf + nu * L_soft(x_T, y_T)

``L_C`` is the cross-entropy on all labelled data (source, plus the few labelled target examples);
``L_soft = -sum_i l_i^(y_T) log p_i`` with ``p = softmax(logits / tau)`` matches each labelled target
example's tempered prediction to the *soft label* ``l^(k)`` of its class: the average tempered softmax
of the source examples of class ``k`` (eq. 5). The paper uses tau = 2.

Settings:

* ``target_labels_per_class: 0`` (default) is the unsupervised variant: ``L = L_C(source) +
  lambda L_conf``; no target label is used.
* ``target_labels_per_class: k > 0`` is the paper's supervised setting: ``k`` labelled examples per
  class are drawn once (seed ``labels_seed``) from the data module's ``target_train`` split by
  :func:`tlzoo.data.few_labels.few_labels_loader`; these ``k * num_classes`` labels are the only
  target labels used (report such runs as "k labelled target examples per class", not as
  unsupervised adaptation). They enter ``L_C`` and ``L_soft``.

Why manual optimisation: ``L_D`` and ``L_conf`` are different losses (confusion targets the uniform
distribution; it is not ``-L_D``), so no gradient-reversal trick gives both updates from one
backward pass. Each training step therefore makes two updates with two optimisers: first the
domain classifier on detached features (``L_D``), then the representation and label classifier
(``L``) with the domain classifier frozen (:meth:`~tlzoo.core.adversarial.AdversarialMixin.player_step`). Both
learning-rate schedules are stepped once per batch, and ``trainer.global_step`` (hence
``--trainer.max_steps``) counts batches, as for every method.

Code vs. paper: ``features`` = f(x; theta_repr) (fc7), ``classifier`` = theta_C (fc8),
``discriminator`` = theta_D (fcD; one logit for the two domains, q = (sigmoid(z), 1 - sigmoid(z));
``discriminator_hidden: []`` is the paper's single linear layer), ``confusion_weight`` = lambda,
``soft_label_weight`` = nu, ``temperature`` = tau.
Deviation: the paper computes the soft labels once, from a network fine-tuned on the source, before
adaptation. Here they are an exponential moving average (``soft_label_momentum``) of the current
network's per-class tempered source predictions (detached; a buffer, so saved in checkpoints), so no
separate source pre-training stage is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.data.few_labels import endless, few_labels_loader
from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.discriminators import DomainDiscriminator
from tlzoo.nn.losses import class_soft_labels, domain_classifier_loss, domain_confusion_loss, soft_label_loss


class DomainConfusion(AdversarialMixin, DomainAdaptationMethod):
    """Alternating domain classifier / domain confusion, plus soft-label loss on labelled target data.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor.
        bottleneck_dim: width of the optional bottleneck (0: none).
        classifier_hidden: hidden widths of the label classifier.
        dropout: classifier dropout.
        discriminator_hidden: hidden widths of the domain classifier (``[]``: linear, as the paper).
        discriminator_dropout: dropout in the domain classifier.
        confusion_weight: lambda, weight of the confusion loss.
        soft_label_weight: nu, weight of the soft-label loss (used only with labelled target data).
        temperature: tau of the soft labels.
        soft_label_momentum: EMA momentum of the per-class soft labels.
        target_labels_per_class: labelled target examples per class (0: unsupervised variant).
        labels_seed: seed that draws those labelled examples.
        optim: optimiser and schedule (both optimisers).
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        discriminator_hidden: tuple[int, ...] = (100,),
        discriminator_dropout: float = 0.0,
        confusion_weight: float = 0.01,
        soft_label_weight: float = 0.1,
        temperature: float = 2.0,
        soft_label_momentum: float = 0.9,
        target_labels_per_class: int = 0,
        labels_seed: int = 0,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if target_labels_per_class < 0:
            raise ValueError(f"target_labels_per_class must be >= 0, got {target_labels_per_class}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.discriminator = DomainDiscriminator(self.feature_dim, discriminator_hidden, discriminator_dropout)
        self.confusion_weight = confusion_weight
        self.soft_label_weight = soft_label_weight
        self.temperature = temperature
        self.soft_label_momentum = soft_label_momentum
        self.target_labels_per_class = target_labels_per_class
        self.labels_seed = labels_seed
        self.register_buffer("soft_labels", torch.full((num_classes, num_classes), 1.0 / num_classes))
        self.register_buffer("soft_labels_seen", torch.zeros(num_classes, dtype=torch.bool))
        self._labelled: Iterator[Any] | None = None

    # -- labelled target examples (supervised setting only) ------------------------------------
    def on_fit_start(self) -> None:
        if self.target_labels_per_class > 0:
            loader = few_labels_loader(self.trainer.datamodule, self.target_labels_per_class, seed=self.labels_seed)
            self._labelled = endless(loader)

    def next_labelled_target(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.target_labels_per_class == 0:
            return None
        if self._labelled is None:  # e.g. training_step called outside trainer.fit
            self.on_fit_start()
        assert self._labelled is not None
        x, y = next(self._labelled)
        return x.to(self.device), y.to(self.device)

    # -- soft labels ----------------------------------------------------------------------------
    @torch.no_grad()
    def update_soft_labels(self, source_logits: torch.Tensor, source_labels: torch.Tensor) -> None:
        soft, present = class_soft_labels(source_logits.detach(), source_labels, self.num_classes, self.temperature)
        m = self.soft_label_momentum
        first = present & ~self.soft_labels_seen
        old = self.soft_labels
        new = torch.where(first.unsqueeze(1), soft, m * old + (1 - m) * soft)
        self.soft_labels.copy_(torch.where(present.unsqueeze(1), new, old))
        self.soft_labels_seen |= present

    # -- training -------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        labelled = self.next_labelled_target()
        inputs = [x_s, x_t] + ([labelled[0]] if labelled is not None else [])
        feats = self.features(torch.cat(inputs))
        n_s = len(x_s)
        domains = torch.cat([torch.zeros(n_s, dtype=torch.long, device=feats.device),
                             torch.ones(len(feats) - n_s, dtype=torch.long, device=feats.device)])

        # 1) domain classifier: min L_D on detached features
        d_loss = self.player_step(
            "domain_classifier", lambda: domain_classifier_loss(self.discriminator(feats.detach()), domains))

        # 2) representation + label classifier: min L_C + lambda L_conf + nu L_soft (fcD frozen)
        parts: dict[str, torch.Tensor] = {}

        def representation_loss() -> torch.Tensor:
            logits = self.classifier(feats)
            parts["confusion"] = domain_confusion_loss(self.discriminator(feats))
            if labelled is not None:
                n_l = len(labelled[1])
                y_all = torch.cat([y_s, labelled[1]])
                parts["cls"] = F.cross_entropy(torch.cat([logits[:n_s], logits[-n_l:]]), y_all)
                self.update_soft_labels(logits[:n_s], y_s)
                parts["soft"] = soft_label_loss(logits[-n_l:], labelled[1], self.soft_labels, self.temperature)
            else:
                parts["cls"] = F.cross_entropy(logits[:n_s], y_s)
                parts["soft"] = torch.zeros((), device=feats.device)
            return parts["cls"] + self.confusion_weight * parts["confusion"] + self.soft_label_weight * parts["soft"]

        self.player_step("representation", representation_loss)
        self.log_train({"train/cls_loss": parts["cls"].detach(), "train/domain_loss": d_loss,
                        "train/confusion": parts["confusion"].detach(),
                        "train/soft_label_loss": parts["soft"].detach()})

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        """The domain classifier (theta_D) steps first, then the representation and label classifier."""
        disc = {id(p) for p in self.discriminator.parameters()}
        groups = []
        for g in self.parameter_groups():
            params = [p for p in g["params"] if id(p) not in disc]
            if params:
                groups.append({**g, "params": params})
        return {"domain_classifier": (list(self.discriminator.parameters()), self.optim_cfg),
                "representation": (groups, self.optim_cfg)}
