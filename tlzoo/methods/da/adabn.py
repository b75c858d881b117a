"""AdaBN: a source-only network whose BatchNorm statistics are re-estimated on the target domain.

Li, Wang, Shi, Hou & Liu, "Revisiting Batch Normalization for Practical Domain Adaptation",
ICLR 2017 Workshop (arXiv:1603.04779); Pattern Recognition 80:109-117, 2018.

Hypothesis of the paper: label information lives in the weights, domain information in the
BatchNorm statistics. So train on the source only (``min E_S[CE(C(G(x)), y)]``, identical to
:class:`~tlzoo.methods.da.source_only.SourceOnly`), then, for target data, replace every BN layer's
``(mu_j, sigma_j^2)`` by the mean and variance of that neuron's responses over the target domain
(Algorithm 1), keeping the learned scale ``gamma_j`` and shift ``beta_j``. No target label is used.

Code vs. paper: training is SourceOnly's; the statistics are re-estimated by
:class:`tlzoo.callbacks.AdaBNCallback` (which this model installs itself through
``configure_callbacks``) over the unlabelled ``target_train`` split before each validation / test /
predict run: target evaluation data uses target statistics, source evaluation data the source
(training) statistics. The same callback can be added to any other method
(``experiments/trainer/adabn.yaml``). The backbone must contain BatchNorm layers
(``backbone.batch_norm: true``).
"""

from __future__ import annotations

from lightning.pytorch import Callback

from tlzoo.callbacks.adabn import AdaBNCallback
from tlzoo.errors import TLZooError
from tlzoo.methods.da.base import OptimConfig
from tlzoo.methods.da.source_only import SourceOnly
from tlzoo.nn.adabn import batchnorm_layers
from tlzoo.nn.backbones import BackboneConfig


class AdaBN(SourceOnly):
    """SourceOnly training, target evaluation with target BatchNorm statistics (AdaBN).

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor (needs ``batch_norm: true``).
        bottleneck_dim: width of the optional bottleneck (0: none).
        classifier_hidden: hidden widths of the classifier.
        dropout: classifier dropout.
        adabn_batch_size: batch size of the statistics pass (default: the data module's).
        adabn_max_batches: limit the statistics pass to this many target batches (default: all).
        optim: optimiser and schedule.
    """

    #: AdaBN re-estimates BatchNorm statistics on the target before each evaluation; an average of the
    #: weights and statistics would blend them with the source ones it replaces.
    default_ema_decay = None

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        adabn_batch_size: int | None = None,
        adabn_max_batches: int | None = None,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if not batchnorm_layers(self):
            raise TLZooError("AdaBN needs BatchNorm layers: set --model.init_args.backbone.batch_norm true "
                             "(or a bottleneck_dim > 0)")
        self.adabn_batch_size = adabn_batch_size
        self.adabn_max_batches = adabn_max_batches

    def configure_callbacks(self) -> list[Callback]:
        return [AdaBNCallback(batch_size=self.adabn_batch_size, max_batches=self.adabn_max_batches)]
