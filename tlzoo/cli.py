"""The ``tlzoo`` command: ``tlzoo fit | validate | test | predict`` on LightningCLI.

Models and data modules are chosen by short class name (``class_path: DANN``), because this module
imports :mod:`tlzoo.methods` and :mod:`tlzoo.data` before parsing. ``data.num_classes`` and
``data.input_shape`` are linked into the model. Several ``-c`` files compose, later ones win.

Defaults added here: W&B logger (offline without credentials), a ``checkpoint`` callback
(``--checkpoint.*``; by default it monitors what the method declares in ``default_monitor``, e.g.
``val/source_acc`` for domain adaptation, never target labels, and keeps ``last.ckpt``), a
checkpoint on interruption, and the resolved config saved next to the checkpoints. What ``tlzoo
predict`` writes is the method's ``predict_output`` (class CSV, image folder, label maps).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback

import tlzoo.callbacks  # noqa: F401  (registers the callbacks' short names)
import tlzoo.data  # noqa: F401  (registers the data modules' short names)
import tlzoo.methods  # noqa: F401  (registers the methods' short names)
from tlzoo.errors import TLZooError
from tlzoo.loggers import TLZooWandbLogger


def run_dir(trainer: Trainer) -> Path:
    """The folder of this run: where its checkpoints and config live."""
    for cb in trainer.callbacks:  # type: ignore[attr-defined]
        if isinstance(cb, ModelCheckpoint) and cb.dirpath:
            return Path(cb.dirpath).parent
    logger = trainer.logger
    if logger is not None and logger.version is not None:
        return Path(logger.save_dir or trainer.default_root_dir) / str(logger.name) / str(logger.version)
    return Path(trainer.default_root_dir)


class SaveConfigWithRun(SaveConfigCallback):
    """Writes the resolved config as ``config.yaml`` in the run folder and into the W&B run config."""

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if not trainer.is_global_zero:
            return
        folder = run_dir(trainer)
        folder.mkdir(parents=True, exist_ok=True)
        self.parser.save(self.config, folder / "config.yaml", skip_none=False, overwrite=True,
                         multifile=False)
        protocol = getattr(trainer.datamodule, "protocol", "")
        if protocol:
            (folder / "protocol.txt").write_text(protocol + "\n")
            print(f"data protocol: {protocol}", file=sys.stderr)
        if isinstance(trainer.logger, TLZooWandbLogger):
            import json

            flat = json.loads(self.parser.dump(self.config, skip_none=False, format="json"))
            trainer.logger.experiment.config.update({"config": flat, "data_protocol": protocol},
                                                    allow_val_change=True)


class TLZooCLI(LightningCLI):
    """LightningCLI with the tlzoo defaults (see the module docstring)."""

    def __init__(self, args: list[str] | None = None, run: bool = True) -> None:
        super().__init__(
            model_class=None,
            datamodule_class=None,
            subclass_mode_model=True,
            subclass_mode_data=True,
            save_config_callback=SaveConfigWithRun,
            save_config_kwargs={"save_to_log_dir": False, "overwrite": True},
            trainer_defaults={
                "logger": {"class_path": "tlzoo.loggers.TLZooWandbLogger"},
                "default_root_dir": "runs",
            },
            seed_everything_default=0,
            auto_configure_optimizers=False,
            args=args,
            run=run,
            parser_kwargs={"default_env": False, "description": "tlzoo: transfer learning zoo"},
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": AUTO,  # the method's default_monitor (see resolve_default_monitor)
                "checkpoint.mode": "max",
                "checkpoint.save_last": False,  # last.ckpt comes from LatestCheckpoint, every epoch
                "checkpoint.filename": "best-{epoch}-{step}",
                "checkpoint.auto_insert_metric_name": False,
            }
        )
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")
        parser.link_arguments("data.input_shape", "model.init_args.input_shape", apply_on="instantiate")

    def instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        resolve_default_monitor(config)
        # jsonargparse wraps errors raised by a data module's or model's __init__ in a ValueError
        # listing Union subtypes; surface our own actionable error instead.
        try:
            super().instantiate_classes()
        except ValueError as err:
            cause: BaseException | None = err
            while cause is not None and not isinstance(cause, TLZooError):
                cause = cause.__cause__ or cause.__context__
            if cause is None:
                raise
            raise cause from None

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        trainer = super().instantiate_trainer(**kwargs)
        callbacks = trainer.callbacks  # type: ignore[attr-defined]
        if trainer.logger is not None and not any(isinstance(cb, LearningRateMonitor) for cb in callbacks):
            callbacks.append(LearningRateMonitor(logging_interval="step"))
        if self.subcommand == "predict":
            from tlzoo.prediction_writer import prediction_writer

            callbacks.append(prediction_writer(self.model, Path(trainer.default_root_dir) / "predictions"))
        ckpt = next((cb for cb in callbacks if isinstance(cb, ModelCheckpoint)), None)
        if ckpt is not None and not any(isinstance(cb, InterruptCheckpoint) for cb in callbacks):
            callbacks.append(InterruptCheckpoint(ckpt))
        if ckpt is not None and not any(isinstance(cb, LatestCheckpoint) for cb in callbacks):
            callbacks.append(LatestCheckpoint(dirpath=ckpt.dirpath))
        return trainer

    def after_fit(self) -> None:
        trainer = self.trainer
        if isinstance(trainer.logger, TLZooWandbLogger):
            trainer.logger.report_location()
        ckpt = trainer.checkpoint_callback
        if ckpt is not None and trainer.is_global_zero:
            best = ckpt.best_model_path or ckpt.last_model_path
            if best:
                config_args = " ".join(f"-c {c}" for c in _config_paths(self.config))
                chosen = f"{ckpt.monitor}={_fmt(ckpt.best_model_score)}" if ckpt.monitor else "last epoch"
                print(f"best checkpoint ({chosen}): {best}\n"
                      f"  evaluate it with: tlzoo test {config_args} --ckpt_path {best}", file=sys.stderr)


#: ``--checkpoint.monitor auto`` (the default): the method's ``default_monitor``.
AUTO = "auto"


def method_class(config: Any) -> type | None:
    """The LightningModule class a parsed config names (``model.class_path``), if importable."""
    import importlib

    class_path = (config.get("model") or {}).get("class_path") if hasattr(config, "get") else None
    if not class_path:
        return None
    module, _, name = str(class_path).rpartition(".")
    try:
        return getattr(importlib.import_module(module or "tlzoo.methods"), name)
    except (ImportError, AttributeError):
        return None


def resolve_default_monitor(config: Any) -> None:
    """Replace ``checkpoint.monitor: auto`` by the method's ``default_monitor`` (``None``: keep the last
    epoch); an explicit ``--checkpoint.monitor`` / ``--checkpoint.mode`` is left alone."""
    checkpoint = config.get("checkpoint") if hasattr(config, "get") else None
    if checkpoint is None or checkpoint.get("monitor") != AUTO:
        return
    cls = method_class(config)
    default = getattr(cls, "default_monitor", None)
    checkpoint["monitor"] = default[0] if default else None
    if default:
        checkpoint["mode"] = default[1]


def _fmt(value: Any) -> str:
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return "n/a"


def _config_paths(config: Any) -> list[str]:
    paths = config.get("fit", {}).get("config") or []
    return [str(p) for p in paths]


class LatestCheckpoint(ModelCheckpoint):
    """``last.ckpt``, overwritten at the end of every epoch (and validation): what ``--ckpt_path``
    resumes from. Lightning's own ``save_last`` only rewrites it when the monitored checkpoint is
    saved, i.e. when the metric improves, so it would lag behind training."""

    def __init__(self, dirpath: str | None = None) -> None:
        super().__init__(dirpath=dirpath, filename="last", monitor=None, save_top_k=1,
                         enable_version_counter=False)


class InterruptCheckpoint(Callback):
    """Saves ``interrupted.ckpt`` next to the other checkpoints when training dies or is stopped
    (Ctrl-C included), and says how to resume. Unlike Lightning's ``OnExceptionCheckpoint`` it
    does not make later ``fit`` calls resume implicitly."""

    def __init__(self, checkpoint: ModelCheckpoint) -> None:
        self.checkpoint = checkpoint

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if trainer.state.fn != "fit" or self.checkpoint.dirpath is None:
            return
        path = os.path.join(self.checkpoint.dirpath, "interrupted.ckpt")
        trainer.save_checkpoint(path)
        print(f"training stopped ({type(exception).__name__}); state saved to {path}\n"
              f"  resume with: tlzoo fit <same -c files> --ckpt_path {path}", file=sys.stderr)


#: Subcommands beside LightningCLI's fit/validate/test/predict: name -> module with ``main(argv) -> int``.
EXTRA_COMMANDS = {
    "shallow": "tlzoo.shallow.cli",  # closed-form adaptation on feature files (no Trainer)
    "analyze": "tlzoo.analysis.cli",  # t-SNE and proxy A-distance of a checkpoint's features
}


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in EXTRA_COMMANDS:
        import importlib

        code = importlib.import_module(EXTRA_COMMANDS[args[0]]).main(args[1:])
        if code:
            raise SystemExit(code)
        return
    if not args or args[0] in ("-h", "--help"):
        print("tlzoo subcommands: fit, validate, test, predict (LightningCLI, below), "
              "shallow (closed-form adaptation on feature files), analyze (t-SNE / A-distance of a checkpoint)\n")
    try:
        TLZooCLI(args=argv)  # None: LightningCLI reads sys.argv itself
    except TLZooError as err:
        print(f"tlzoo: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
