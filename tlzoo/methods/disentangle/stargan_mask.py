"""StarGAN's mask vector: one generator trained on several labelled data sets at once.

Choi et al., "StarGAN", CVPR 2018, https://arxiv.org/abs/1711.09020, Sec. 3.2 "Training with Multiple Datasets".
With ``n`` data sets whose label vectors ``c_1, ..., c_n`` have widths ``w_1, ..., w_n`` (``label_sets``), the
label vector of an image is::

    c~ = [c_1, ..., c_n, m]

``c_j`` holds the labels of data set ``j`` where the image comes from data set ``j`` and is zero elsewhere (its
labels there are unknown); ``m`` is an ``n``-dim one-hot *mask* naming the data set whose labels are known. G takes
``c~`` (``sum w_j + n`` label channels); D's classifier has ``sum w_j`` outputs (one block per data set, as in the
authors' code) and ``-log D_cls`` of an image uses only its known block: D "minimizes only classification errors
associated to" the known labels. Target labels ``c`` of G are drawn within one data set's block, the image's own
(the authors' code, which alternates whole batches between the data sets), with ``m`` set to it and the other
blocks zero; the cycle ``G(G(x, c~), c~')`` uses the original ``c~'``.

Each data set has its own label *kind* (``kinds``): a ``domains`` block is one-hot (one label per image,
``-log D_cls`` a softmax cross-entropy over the block, e.g. RaFD's 8 expressions), an ``attributes`` block binary
(any number on, ``-log D_cls`` a BCE summed over the block's attributes, e.g. CelebA's 5 attributes), as in the
paper's CelebA + RaFD training; every branch on the kind (losses, uniform targets, D's accuracy, the evaluation
and predict edits, the reading of unlabelled images) is taken per block.

Batches (e.g. :class:`tlzoo.data.digit_label_sets.DigitLabelSets`, :class:`tlzoo.data.celeba_rafd.CelebARaFD`):
``(x, y, labels, s)`` with ``s`` the int64 data set of each image and ``labels`` its labels inside the
concatenation of the blocks: ``(N, sum w_j)`` floats (only its block read; one-hot inside a ``domains`` block), or,
when every data set is of kind ``domains``, the int64 position of its label (``sum_{j<s} w_j + k``).
Unlike the authors' code, a batch may mix the data sets; every loss term is per image, so this changes only how
often each data set is seen per step, not the objective.

Evaluation edits: for every data set ``j`` and label of its block, the edits of
:mod:`~tlzoo.methods.disentangle.stargan_targets` within that block, mask ``m = e_j``; images of other data sets
(their block unknown, zero) are edited too. That is the point of the mask vector: an image of one data set is
edited with the labels of another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.stargan_targets import EditTarget, evaluation_targets, parse_targets


class MaskedLabels:
    """The layout of ``c~ = [c_1, ..., c_n, m]`` (module docstring) and the losses and targets it changes.

    Args:
        widths: the label width ``w_j`` of each data set (two or more).
        kinds: the label kind of each data set, ``domains`` (one-hot block, cross-entropy) or ``attributes``
            (binary block, BCE); one string: that kind for every data set.
    """

    def __init__(self, widths: Sequence[int], kinds: str | Sequence[str]) -> None:
        self.widths = [int(w) for w in widths]
        if len(self.widths) < 2 or min(self.widths) < 1:
            raise TLZooError(f"label_sets needs the label widths of two or more data sets, each >= 1; got {widths}")
        self.kinds = [kinds] * len(self.widths) if isinstance(kinds, str) else [str(k) for k in kinds]
        if len(self.kinds) != len(self.widths) or not set(self.kinds) <= {"attributes", "domains"}:
            raise TLZooError(f"label_set_kinds needs one of 'attributes' / 'domains' per data set of label_sets "
                             f"{self.widths}; got {kinds!r}")
        self.starts = [sum(self.widths[:j]) for j in range(len(self.widths))]
        self.n_sets, self.n_labels = len(self.widths), sum(self.widths)
        self.dim = self.n_labels + self.n_sets
        self._owner = torch.cat([torch.full((w,), j) for j, w in enumerate(self.widths)])

    def block(self, j: int) -> slice:
        """Columns of data set ``j``'s labels ``c_j``."""
        return slice(self.starts[j], self.starts[j] + self.widths[j])

    def set_of(self, column: int) -> int:
        """The data set whose block holds label ``column``."""
        return int(self._owner[column])

    def known(self, dataset: torch.Tensor) -> torch.Tensor:
        """``(N, sum w)`` bool: the label columns known for images of data sets ``dataset`` ``(N,)``."""
        return self._owner.to(dataset.device)[None, :] == dataset.long()[:, None]

    def vectors(self, labels: torch.Tensor, dataset: torch.Tensor) -> torch.Tensor:
        """``c~`` ``(N, sum w + n)`` from the batch's ``labels`` and data sets (module docstring)."""
        if labels.ndim == 1 and set(self.kinds) != {"domains"}:
            raise TLZooError(f"label_set_kinds {self.kinds}: labels must be (N, {self.n_labels}) float vectors; "
                             "int64 label positions serve only data sets that are all of kind 'domains'")
        part = F.one_hot(labels.long(), self.n_labels).float() if labels.ndim == 1 else labels.float()
        mask = F.one_hot(dataset.long(), self.n_sets).to(part)
        return torch.cat([part * self.known(dataset), mask], 1)

    def split(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``c~`` -> (the label blocks ``(N, sum w)``, the data set of each row ``(N,)`` read from ``m``)."""
        return c[:, :self.n_labels], c[:, self.n_labels:].argmax(1)

    def embed(self, block_c: torch.Tensor, j: int) -> torch.Tensor:
        """``c~`` with data set ``j``'s block ``block_c`` ``(N, w_j)``, the other blocks zero and ``m = e_j``."""
        c = block_c.new_zeros(len(block_c), self.dim)
        c[:, self.block(j)] = block_c
        c[:, self.n_labels + j] = 1
        return c

    def local_groups(self, groups: Sequence[Sequence[int]], j: int) -> list[list[int]]:
        """The exclusive groups inside data set ``j``'s block, as indices into the block."""
        b = self.block(j)
        return [[i - b.start for i in g] for g in groups if g and all(b.start <= i < b.stop for i in g)]

    def check_names(self, names: Sequence[str], groups: Sequence[Sequence[int]]) -> None:
        """Label names must be unique (``predict_targets`` finds a name's data set) and no exclusive group may
        span two data sets."""
        if len(set(names)) != len(names):
            raise TLZooError(f"with label_sets the label names of all data sets must differ; got {list(names)}")
        for g in groups:
            if len({self.set_of(i) for i in g}) > 1:
                raise TLZooError(f"exclusive group {list(g)} spans two data sets of label_sets {self.widths}")

    # -- losses and targets -------------------------------------------------------------------
    def classification_loss(self, logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``-log D_cls`` on each image's known block only (its kind's: cross-entropy for ``domains``, BCE summed
        over the block's attributes for ``attributes``), averaged over the batch; the logits of unknown blocks get
        no gradient."""
        part, dataset = self.split(c)
        logits, total = logits.float(), logits.new_zeros((), dtype=torch.float32)
        for j in range(self.n_sets):
            rows, b = dataset == j, self.block(j)
            if not bool(rows.any()):
                continue
            lg, tg = logits[rows][:, b], part[rows][:, b].float()
            if self.kinds[j] == "domains":
                total = total + F.cross_entropy(lg, tg.argmax(1), reduction="sum")
            else:
                total = total + F.binary_cross_entropy_with_logits(lg, tg, reduction="sum")
        return total / len(c)

    def sample_targets(self, c_org: torch.Tensor, sampling: str, groups: Sequence[Sequence[int]]) -> torch.Tensor:
        """Targets ``c~`` inside each image's own data set, mask unchanged: its block permuted among the batch's
        images of that data set (``shuffle``) or drawn uniformly as the block's kind says (``uniform``: one domain,
        or independent attributes with at most one member of each exclusive group); the other blocks zero."""
        part, dataset = self.split(c_org)
        c = torch.zeros_like(c_org)
        c[:, self.n_labels:] = c_org[:, self.n_labels:]
        for j in range(self.n_sets):
            rows, b, w = torch.nonzero(dataset == j).flatten(), self.block(j), self.widths[j]
            if len(rows) == 0:
                continue
            if sampling == "shuffle":
                new = part[rows[torch.randperm(len(rows)).to(rows.device)], b]
            elif self.kinds[j] == "domains":
                new = F.one_hot(torch.randint(w, (len(rows),)), w).float()
            else:
                new = torch.randint(0, 2, (len(rows), w)).float()
                for g in self.local_groups(groups, j):
                    new[:, g] = F.one_hot(torch.randint(len(g), (len(rows),)), len(g)).float()
            c[rows, b] = new.to(c)
        return c

    def hits(self, logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Per image: D's accuracy on its known block, by the block's kind (argmax for ``domains``, the share of
        attributes with ``(logit > 0) == c`` for ``attributes``)."""
        part, dataset = self.split(c)
        out = logits.new_zeros(len(c), dtype=torch.float32)
        for j in range(self.n_sets):
            rows, b = dataset == j, self.block(j)
            lg, tg = logits[rows][:, b], part[rows][:, b]
            if self.kinds[j] == "domains":
                out[rows] = (lg.argmax(1) == tg.argmax(1)).float()
            else:
                out[rows] = ((lg > 0).float() == tg).float().mean(1)
        return out

    def from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """``c~`` of images whose labels are unknown (a folder): D's reading of the first data set's block, as its
        kind says (argmax domain, or the attributes with a positive logit)."""
        lg = logits[:, self.block(0)]
        if self.kinds[0] == "domains":
            return self.embed(F.one_hot(lg.argmax(1), self.widths[0]).float(), 0)
        return self.embed((lg > 0).float(), 0)

    # -- evaluation and predict edits ---------------------------------------------------------
    def evaluation_targets(self, c_org: torch.Tensor, names: Sequence[str],
                           groups: Sequence[Sequence[int]]) -> list[EditTarget]:
        """Per data set ``j``, the single-data-set edits of its block for its kind, mask ``e_j`` (module docstring);
        scored on every image of another data set and as :func:`evaluation_targets` says on data set ``j``'s own."""
        part, dataset = self.split(c_org)
        out = []
        for j in range(self.n_sets):
            b = self.block(j)
            own = dataset == j
            sub = part[:, b] * own[:, None]
            for t in evaluation_targets(sub, self.kinds[j], list(names)[b], self.local_groups(groups, j)):
                out.append(EditTarget(t.name, b.start + t.index, self.embed(t.c, j), t.mask | ~own, t.kind))
        return out

    def parse_targets(self, strings: Sequence[str], names: Sequence[str],
                      groups: Sequence[Sequence[int]]) -> list[Callable[[torch.Tensor], torch.Tensor]]:
        """``predict_targets`` strings: each names labels of one data set (the first name picks it), in the syntax
        of that data set's kind (a domain name, or ``+``-joined attribute settings)."""
        names = [str(n) for n in names]
        out: list[Callable[[torch.Tensor], torch.Tensor]] = []
        for text in strings:
            first = text.split("+")[0].partition("=")[0].strip()
            if first not in names:
                raise TLZooError(f"predict target {text!r}: {first!r} is not a label of the data ({names})")
            j = self.set_of(names.index(first))
            (sub_target,) = parse_targets([text], self.kinds[j], names[self.block(j)], self.local_groups(groups, j))

            def apply(c_org: torch.Tensor, j: int = j, f: Callable = sub_target) -> torch.Tensor:
                part, dataset = self.split(c_org)
                return self.embed(f(part[:, self.block(j)] * (dataset == j)[:, None]), j)

            out.append(apply)
        return out
