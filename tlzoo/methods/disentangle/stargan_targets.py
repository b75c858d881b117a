"""Target label vectors of StarGAN's edits: the evaluation edits, and the ``predict_targets`` strings users give.

Evaluation (as in the authors' test code): for one-hot **domains**, one edit per domain ``k`` (``c = e_k``),
scored on the images not already in ``k``; for **attributes**, one edit per attribute ``i``: an attribute of an
exclusive group (a hair colour) is set and the rest of its group cleared, scored on the images that did not have
it; any other attribute is flipped (``c_i = 1 - c'_i``), scored on every image.

``predict_targets`` strings:

* domains: a domain name, e.g. ``"mnist"``;
* attributes: ``+``-joined settings of named attributes on top of the source labels, each ``Name`` (turn on;
  for a hair colour, the other hair colours off), ``Name=1`` (the same) or ``Name=0`` (turn off), e.g.
  ``"Blond_Hair"``, ``"Male=0+Young"``. Attributes not named keep the source image's value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tlzoo.errors import TLZooError


@dataclass
class EditTarget:
    """One evaluation edit of a batch.

    Args:
        name: the domain or attribute edited.
        index: its position in the label vector.
        c: ``(N, n_d)`` target label vectors.
        mask: ``(N,)`` the examples the edit changes (scored).
        kind: ``domains`` or ``attributes``.
    """

    name: str
    index: int
    c: torch.Tensor
    mask: torch.Tensor
    kind: str

    def hits(self, logits: torch.Tensor) -> torch.Tensor:
        """Per scored example: whether a judge's ``logits`` (of the masked edits) read the requested label."""
        if self.kind == "domains":
            return (logits.argmax(1) == self.index).float()
        return ((logits[:, self.index] > 0).float() == self.c[self.mask, self.index]).float()


def _group_of(index: int, groups: Sequence[Sequence[int]]) -> list[int]:
    return next((list(g) for g in groups if index in g), [])


def evaluation_targets(c_org: torch.Tensor, kind: str, names: Sequence[str],
                       groups: Sequence[Sequence[int]]) -> list[EditTarget]:
    """The edits of the module docstring for source labels ``c_org`` ``(N, n_d)``."""
    n, n_d = c_org.shape
    targets = []
    for i in range(n_d):
        if kind == "domains":
            c = F.one_hot(torch.full((n,), i, dtype=torch.long, device=c_org.device), n_d).to(c_org.dtype)
            mask = c_org.argmax(1) != i
        else:
            c = c_org.clone()
            group = _group_of(i, groups)
            if group:
                c[:, group] = 0
                c[:, i] = 1
                mask = c_org[:, i] == 0
            else:
                c[:, i] = 1 - c[:, i]
                mask = torch.ones(n, dtype=torch.bool, device=c_org.device)
        targets.append(EditTarget(str(names[i]), i, c, mask, kind))
    return targets


def parse_targets(strings: Sequence[str], kind: str, names: Sequence[str],
                  groups: Sequence[Sequence[int]]) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """``predict_targets`` strings (module docstring) -> functions from source labels ``c'`` to targets ``c``."""
    names = [str(n) for n in names]
    out: list[Callable[[torch.Tensor], torch.Tensor]] = []
    for text in strings:
        if kind == "domains":
            if text not in names:
                raise TLZooError(f"predict target {text!r} is not a domain of the data ({names}): "
                                 "--model.init_args.predict_targets takes domain names")
            k = names.index(text)
            out.append(lambda c, k=k: F.one_hot(torch.full((len(c),), k, dtype=torch.long, device=c.device),
                                                len(names)).to(c.dtype))
            continue
        settings: list[tuple[int, float]] = []
        for item in text.split("+"):
            name, _, value = item.strip().partition("=")
            if name not in names or value not in ("", "0", "1"):
                raise TLZooError(f"predict target {text!r}: {item!r} is not 'Name', 'Name=1' or 'Name=0' with Name "
                                 f"among the data's attributes {names}")
            settings.append((names.index(name), 0.0 if value == "0" else 1.0))

        def apply(c_org: torch.Tensor, settings: list[tuple[int, float]] = settings) -> torch.Tensor:
            c = c_org.clone()
            for i, v in settings:
                if v == 1.0:
                    c[:, _group_of(i, groups)] = 0
                c[:, i] = v
            return c

        out.append(apply)
    return out
