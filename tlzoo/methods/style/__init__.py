"""Neural style transfer: optimisation-based (Gatys et al., CVPR 2016) and feed-forward (Johnson et al., ECCV 2016).

``tlzoo stylize`` (:mod:`tlzoo.stylize`) runs either on one image; :class:`JohnsonStyleTransfer` trains with
``tlzoo fit`` (``experiments/style/``).
"""

from tlzoo.methods.style.gatys import GatysStyleTransfer, StylizeResult
from tlzoo.methods.style.johnson import JohnsonStyleTransfer

__all__ = ["GatysStyleTransfer", "JohnsonStyleTransfer", "StylizeResult"]
