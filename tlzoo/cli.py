"""The ``tlzoo`` command: ``tlzoo fit | validate | test | predict`` on LightningCLI.

Models and data modules are chosen by short class name (``class_path: DANN``), because this module
imports :mod:`tlzoo.methods` and :mod:`tlzoo.data` before parsing. ``data.num_classes`` and
``data.input_shape`` are linked into the model. Several ``-c`` files compose, later ones win.

Defaults added here: W&B logger (offline without credentials), a ``checkpoint`` callback
(``--checkpoint.*``; by default it monitors what the method declares in ``default_monitor``, e.g.
``val/target_mi`` for domain adaptation, never target labels, and keeps ``last.ckpt``), a
checkpoint on interruption, the resolved config saved next to the checkpoints, and for methods that
declare ``default_ema_decay`` (domain adaptation) an exponential moving average of the weights
(``--ema_decay``). What ``tlzoo predict`` writes is the method's ``predict_output`` (class CSV, image
folder, label maps).

Reliability (docs/errors.md): user errors are one ``tlzoo: error:`` line and exit 2; ``fit`` stops at the
first non-finite loss (:class:`~tlzoo.callbacks.guards.NonFiniteGuard`); checkpoints are written
atomically (:mod:`tlzoo.callbacks.checkpointing`); without a logger each run gets ``<root>/version_<N>``;
``--ckpt_path`` must hold a checkpoint of the configured class, and the config (not the checkpoint's
hyper-parameters) says what is built; ``validate`` / ``test`` / ``predict`` need ``--ckpt_path``; SIGTERM
saves ``interrupted.ckpt`` and exits 143, a second SIGTERM ends the process at once.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any, Literal, Optional

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint, WeightAveraging
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException

import tlzoo.callbacks  # noqa: F401  (registers the callbacks' short names)
import tlzoo.data
import tlzoo.methods  # noqa: F401  (registers the methods' short names)
from tlzoo.callbacks.averaging import EMAWeights
from tlzoo.callbacks.checkpointing import (
    BestCheckpoint,
    InterruptCheckpoint,
    LatestCheckpoint,
)
from tlzoo.callbacks.guards import NonFiniteGuard
from tlzoo.callbacks.history import MetricsHistory
from tlzoo.callbacks.paths import run_folder
from tlzoo.checkpoints import checkpoint_hparams, method_class
from tlzoo.entry import run_light_command
from tlzoo.errors import TLZooError
from tlzoo.experiment_configs import resolve_config_args
from tlzoo.loggers import TLZooWandbLogger

tlzoo.data.load_all()  # registers the data modules' short names (the package imports them lazily)


def _keep_none() -> dict[str, bool]:
    """jsonargparse's flag that keeps ``None`` values in saved configs (renamed ``skip_unset`` in 4.49)."""
    from jsonargparse import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return {"skip_unset": False} if (major, minor) >= (4, 49) else {"skip_none": False}


#: Keyword for ``parser.save`` / ``parser.dump`` that keeps ``None`` values (an explicit ``null`` must survive).
KEEP_NONE = _keep_none()


def run_dir(trainer: Trainer) -> Path:
    """The folder of this run: where its checkpoints and config live (see :func:`run_folder`)."""
    return run_folder(trainer)


class SaveConfigWithRun(SaveConfigCallback):
    """Writes the resolved config in the run folder (``config.yaml`` for ``fit``; ``test_config.yaml`` etc.
    for an evaluation, next to the evaluated run's own config) and into the W&B run config."""

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if not trainer.is_global_zero:
            return
        folder = run_folder(trainer, self.config.get("ckpt_path"))
        folder.mkdir(parents=True, exist_ok=True)
        prefix = "" if stage == "fit" else f"{getattr(stage, 'value', stage)}_"  # TrainerFn.TESTING -> "test_"
        self.parser.save(self.config, folder / f"{prefix}config.yaml", overwrite=True, multifile=False,
                         **KEEP_NONE)
        protocol = getattr(trainer.datamodule, "protocol", "")
        if protocol:
            (folder / f"{prefix}protocol.txt").write_text(protocol + "\n")
            print(f"data protocol: {protocol}", file=sys.stderr)
        if isinstance(trainer.logger, TLZooWandbLogger):
            import json

            flat = json.loads(self.parser.dump(self.config, format="json", **KEEP_NONE))
            trainer.logger.experiment.config.update({"config": flat, "data_protocol": protocol},
                                                    allow_val_change=True)
            ckpt = trainer.checkpoint_callback
            if stage == "fit" and isinstance(ckpt, ModelCheckpoint) and ckpt.monitor:
                trainer.logger.summarize_best(ckpt.monitor, ckpt.mode)
        if stage == "fit":
            write_run_record(folder, trainer)


class TLZooCLI(LightningCLI):
    """LightningCLI with the tlzoo defaults (see the module docstring)."""

    def __init__(self, args: list[str] | None = None, run: bool = True) -> None:
        self._argv = list(sys.argv[1:] if args is None else args)
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
                "log_every_n_steps": 10,  # a curve even for short epochs (digits: 23-46 batches); YAMLs may change it
            },
            seed_everything_default=0,
            auto_configure_optimizers=False,
            args=args,
            run=run,
            parser_kwargs={"default_env": False, "description": "tlzoo: transfer learning zoo"},
        )

    def subcommands(self) -> dict[str, set[str]]:  # type: ignore[override]
        """Only the subcommand this command line runs, when it names one: LightningCLI builds a parser from every
        method's and data module's signature for each subcommand it knows (about 0.3 s each), and one run needs
        one. Without a known subcommand (a typo, or none), all four, so the error lists them."""
        every = LightningCLI.subcommands()
        wanted = next((a for a in self._argv if a in every), None)
        return every if wanted is None else {wanted: every[wanted]}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(BestCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": AUTO,  # the method's default_monitor (see resolve_default_monitor)
                "checkpoint.mode": "max",
                "checkpoint.save_last": False,  # last.ckpt comes from LatestCheckpoint, every epoch
                "checkpoint.filename": "best-{epoch}-{step}",
                "checkpoint.auto_insert_metric_name": False,
            }
        )
        parser.add_argument("--ema_decay", type=float | Literal["auto"] | None, default=AUTO,
                            help="fit: evaluate and save an exponential moving average of the weights with this "
                                 "decay per step (tlzoo.callbacks.EMAWeights); auto: the method's default_ema_decay "
                                 "(0.99 for domain adaptation, none elsewhere); null: off")
        parser.add_argument("--predict_folder", type=Optional[str], default=None,
                            help="tlzoo predict: classify the images of this folder (recursively) instead of the "
                                 "data module's test split, with its evaluation preprocessing")
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")
        parser.link_arguments("data.input_shape", "model.init_args.input_shape", apply_on="instantiate")

    # -- checks before anything is built ------------------------------------------------------
    def _parse_ckpt_path(self) -> None:
        """Check ``--ckpt_path`` before anything is built; the config, not the checkpoint, says what to build.

        LightningCLI would replace the model config by the checkpoint's hyper-parameters, so a
        checkpoint of another method silently replaced the configured one and explicit flags were
        ignored on resume. Here the checkpoint must be of the configured class, and each configured
        value that differs from the checkpoint's is printed on one line (the configured value is used).
        """
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        ckpt_path = self.config[subcommand].get("ckpt_path")
        if subcommand in EVALUATION_COMMANDS and not ckpt_path:
            raise TLZooError(
                f"tlzoo {subcommand} needs trained weights: pass --ckpt_path <run>/checkpoints/last.ckpt (or a "
                f"best-*.ckpt written by tlzoo fit); without it the untrained network would be scored"
            )
        if not ckpt_path:
            return
        hparams = checkpoint_hparams(ckpt_path)
        self._ckpt_hparams = hparams
        model = self.config[subcommand].get("model") or {}
        configured = str(model.get("class_path") or "")
        stored = str(hparams.get("_class_path") or "")
        if configured and stored and stored.rpartition(".")[2] != configured.rpartition(".")[2]:
            raise TLZooError(
                f"checkpoint {ckpt_path} is a {stored.rpartition('.')[2]} model but the config asks for "
                f"{configured.rpartition('.')[2]}: pass the -c file the checkpoint was trained with, or a "
                f"checkpoint of {configured.rpartition('.')[2]}"
            )
        init_args = model.get("init_args")
        current = init_args.as_dict() if hasattr(init_args, "as_dict") else dict(init_args or {})
        for key, (now, then) in sorted(_differences(current, hparams).items()):
            print(f"note: model.init_args.{key} = {now!r} (configured; the checkpoint was trained with {then!r})",
                  file=sys.stderr)

    def _run_config(self) -> Any:
        """The parsed config of the subcommand being run (the whole config for ``run=False``)."""
        return self.config[self.subcommand] if self.subcommand else self.config

    def before_instantiate_classes(self) -> None:
        config = self._run_config()
        continue_run(config, self.subcommand)
        if self.subcommand == "predict" and (config.get("trainer") or {}).get("logger") is not None:
            config["trainer"]["logger"] = False  # predictions are files; no empty W&B run
        trainer = config.get("trainer") or {}
        if trainer.get("strategy") == "ddp" and _several_players(config):
            # each player's step leaves the other players' parameters without gradients: DDP must expect that
            trainer["strategy"] = "ddp_find_unused_parameters_true"
        root = trainer.get("default_root_dir")
        logger = trainer.get("logger")
        # The default logger writes under its own save_dir ("runs"): follow --trainer.default_root_dir.
        if root and logger is not None and not isinstance(logger, bool):
            loggers = logger if isinstance(logger, list) else [logger]
            for one in loggers:
                class_path = str(_get(one, "class_path") or "")
                init_args = _get(one, "init_args")
                if class_path.endswith("TLZooWandbLogger") and init_args is not None \
                        and _get(init_args, "save_dir") in (None, "runs"):
                    _set(init_args, "save_dir", str(root))

    def instantiate_classes(self) -> None:
        config = self._run_config()
        resolve_default_monitor(config, explicit_mode=_mode_given(self._argv))
        resolve_default_ema_decay(config)
        # jsonargparse wraps errors raised by a data module's or model's __init__ in a ValueError
        # listing Union subtypes; surface our own actionable error instead (also a plain ValueError
        # raised by a tlzoo argument check, e.g. batch_size 0).
        try:
            super().instantiate_classes()
        except ValueError as err:
            user = _user_error(err)
            if user is None:
                raise
            raise user from None

    def _predictions_folder(self, trainer: Trainer) -> Path:
        """``<run>/predictions/`` of the checkpoint's run (``.../predictions/<folder name>`` for a
        ``--predict_folder``), else ``<default_root_dir>/predictions``."""
        config = self.config["predict"]
        folder = checkpoint_run_folder(config.get("ckpt_path")) or Path(trainer.default_root_dir)
        out = folder / "predictions"
        user_folder = config.get("predict_folder")
        return out / Path(user_folder).resolve().name if user_folder else out

    def after_instantiate_classes(self) -> None:
        if self.subcommand == "predict" and self.config["predict"].get("predict_folder"):
            use = getattr(self.datamodule, "use_predict_folder", None)
            if use is None:
                raise TLZooError(f"--predict_folder is not supported by {type(self.datamodule).__name__}; "
                                 f"translation data modules take --data.predict_folder")
            use(self.config["predict"]["predict_folder"])
        hparams = getattr(self, "_ckpt_hparams", None)
        if not hparams or self.datamodule is None:
            return
        stored, data = hparams.get("num_classes"), getattr(self.datamodule, "num_classes", None)
        if isinstance(stored, int) and isinstance(data, int) and stored != data:
            raise TLZooError(
                f"the checkpoint was trained for {stored} classes but the data has {data}: pass a checkpoint "
                f"trained on these classes (--ckpt_path), or the data it was trained on (--data.*)"
            )

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        trainer = super().instantiate_trainer(**kwargs)
        callbacks = trainer.callbacks  # type: ignore[attr-defined]
        if trainer.logger is not None and not any(isinstance(cb, LearningRateMonitor) for cb in callbacks):
            callbacks.append(LearningRateMonitor(logging_interval="step"))
        if not any(isinstance(cb, NonFiniteGuard) for cb in callbacks):
            callbacks.append(NonFiniteGuard())
        if self.subcommand == "fit" and not any(isinstance(cb, MetricsHistory) for cb in callbacks):
            callbacks.append(MetricsHistory())
        # ``run=False`` (no subcommand: a CLI built to be fitted by the caller, as the benchmarks do) counts as fit
        decay = self._run_config().get("ema_decay")
        if self.subcommand in ("fit", None) and decay is not None \
                and not any(isinstance(cb, WeightAveraging) for cb in callbacks):
            callbacks.append(EMAWeights(decay))
        if self.subcommand == "predict":
            from tlzoo.prediction_writer import prediction_writer

            callbacks.append(prediction_writer(self.model, self._predictions_folder(trainer)))
        ckpt = next((cb for cb in callbacks if isinstance(cb, ModelCheckpoint)), None)
        if ckpt is not None and ckpt.dirpath is None and trainer.logger is None and self.subcommand == "fit":
            # No logger gives no run folder: one per run, so two runs never share last.ckpt / config.yaml.
            ckpt.dirpath = str((new_run_folder(Path(trainer.default_root_dir)) / "checkpoints").resolve())
        if ckpt is not None and not any(isinstance(cb, InterruptCheckpoint) for cb in callbacks):
            callbacks.append(InterruptCheckpoint(ckpt))
        if ckpt is not None and not any(isinstance(cb, LatestCheckpoint) for cb in callbacks):
            callbacks.append(LatestCheckpoint(dirpath=ckpt.dirpath))
        return trainer

    def _run_subcommand(self, subcommand: str) -> None:
        """Run it with a SIGTERM handler that ends the process on the second SIGTERM (the first one asks
        Lightning to stop after the current batch, which a stalled read never finishes)."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            super()._run_subcommand(subcommand)
            return
        previous = signal.getsignal(signal.SIGTERM)
        received = {"count": 0}

        def on_sigterm(signum: int, frame: Any) -> None:
            received["count"] += 1
            if received["count"] == 1:
                print("tlzoo: SIGTERM received, stopping after this batch (send it again to stop now)",
                      file=sys.stderr, flush=True)
                return
            print("tlzoo: second SIGTERM, stopping now without saving", file=sys.stderr, flush=True)
            os._exit(143)

        signal.signal(signal.SIGTERM, on_sigterm)
        try:
            super()._run_subcommand(subcommand)
        finally:
            signal.signal(signal.SIGTERM, previous)
            self._finish_wandb_run()

    def _finish_wandb_run(self) -> None:
        """Close this command's W&B run, so that a later command in the same Python process (a notebook, a
        script calling :func:`main` twice) starts its own run instead of writing into this one."""
        trainer = getattr(self, "trainer", None)
        if isinstance(getattr(trainer, "logger", None), TLZooWandbLogger):
            import wandb

            if wandb.run is not None:
                wandb.finish()

    def after_fit(self) -> None:
        trainer = self.trainer
        if isinstance(trainer.logger, TLZooWandbLogger) and trainer.is_global_zero:
            trainer.logger.report_location()
        ckpt = trainer.checkpoint_callback
        if ckpt is None or not trainer.is_global_zero:
            return
        write_fit_summary(run_dir(trainer), trainer)
        latest = next((cb for cb in trainer.callbacks if isinstance(cb, LatestCheckpoint)), None)  # type: ignore[attr-defined]
        best = ckpt.best_model_path or (latest.best_model_path if latest is not None else "") or ckpt.last_model_path
        if best:
            chosen = f"{ckpt.monitor}={_fmt(ckpt.best_model_score)}" if ckpt.best_model_path and ckpt.monitor \
                else "end of training"
            # the run's own resolved config: command-line overrides and callbacks added with += included
            config = run_dir(trainer) / "config.yaml"
            config_args = (f"-c {config}" if config.is_file()
                           else " ".join(f"-c {c}" for c in _config_paths(self.config)))
            print(f"best checkpoint ({chosen}): {best}\n"
                  f"  evaluate it with: tlzoo test {config_args} --ckpt_path {best}", file=sys.stderr)


    def after_test(self) -> None:
        self._save_metrics("test")

    def after_validate(self) -> None:
        self._save_metrics("validate")

    def _save_metrics(self, stage: str) -> None:
        """``<run>/<stage>_metrics.json``: the figures just printed, with the checkpoint they came from."""
        trainer = self.trainer
        if not trainer.is_global_zero:
            return
        import json

        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()
                   if getattr(v, "numel", lambda: 1)() == 1}
        folder = run_dir(trainer)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stage}_metrics.json"
        record = {"ckpt_path": str(trainer.ckpt_path), "global_step": trainer.global_step, "metrics": metrics}
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"{stage} metrics written to {path}", file=sys.stderr)


#: ``--checkpoint.monitor auto`` (the default): the method's ``default_monitor``.
AUTO = "auto"

#: Subcommands that score or apply trained weights, so need ``--ckpt_path``.
EVALUATION_COMMANDS = ("validate", "test", "predict")


def new_run_folder(root: Path) -> Path:
    """A new ``root/version_<N>`` folder (the first free N, created here, so concurrent runs never share one)."""
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[8:]) for p in root.glob("version_*") if p.name[8:].isdigit()]
    n = max(numbers, default=-1) + 1
    while True:
        folder = root / f"version_{n}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1


#: File in a run folder that says which W&B run logged it (read when the run is resumed or evaluated).
RUN_RECORD = "run.json"


def write_run_record(folder: Path, trainer: Trainer) -> None:
    """Remember the run's W&B id and project in ``<run>/run.json``."""
    import json

    record: dict[str, Any] = {"run_folder": str(folder.resolve())}
    logger = trainer.logger
    if isinstance(logger, TLZooWandbLogger):
        record.update(wandb_id=logger.version, wandb_project=logger.name)
    (folder / RUN_RECORD).write_text(json.dumps(record, indent=2) + "\n")


def write_fit_summary(folder: Path, trainer: Trainer) -> None:
    """``<run>/fit_summary.json``: the selection metric's best value and checkpoint, and the last value of every
    logged scalar (what ``tlzoo sweep`` and ``tlzoo report`` read)."""
    import json

    ckpt = trainer.checkpoint_callback
    best: dict[str, Any] = {}
    if isinstance(ckpt, ModelCheckpoint) and ckpt.monitor and ckpt.best_model_score is not None:
        best = {"metric": ckpt.monitor, "mode": ckpt.mode, "value": float(ckpt.best_model_score),
                "checkpoint": ckpt.best_model_path}
    last = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    summary = {"best": best, "last": last, "global_step": trainer.global_step, "epochs": trainer.current_epoch}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fit_summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def checkpoint_run_folder(ckpt_path: Any) -> Path | None:
    """The run folder of a checkpoint written by ``tlzoo fit`` (``<run>/checkpoints/x.ckpt``), else ``None``."""
    if not ckpt_path or str(ckpt_path) in ("best", "last", "hpc", "registry"):
        return None
    path = Path(str(ckpt_path))
    return path.parent.parent if path.parent.name == "checkpoints" and path.is_file() else None


def continue_run(config: Any, subcommand: str | None) -> None:
    """A checkpoint of an earlier run keeps its run: ``fit --ckpt_path`` resumes into the same run folder (so the
    best-checkpoint record survives) and the same W&B run; ``test`` / ``validate`` / ``predict`` log into a W&B
    run grouped with the training run. Explicit ``--checkpoint.dirpath`` / logger ``id`` / ``group`` win."""
    import json

    folder = checkpoint_run_folder(config.get("ckpt_path")) if subcommand else None
    if folder is None:
        return
    record_file = folder / RUN_RECORD
    record = json.loads(record_file.read_text()) if record_file.is_file() else {}
    checkpoint = config.get("checkpoint")
    if subcommand == "fit" and checkpoint is not None and checkpoint.get("dirpath") is None:
        checkpoint["dirpath"] = str((folder / "checkpoints").resolve())
    run_id = record.get("wandb_id")
    logger = (config.get("trainer") or {}).get("logger")
    if not run_id or logger is None or isinstance(logger, bool):
        return
    for one in logger if isinstance(logger, list) else [logger]:
        init_args = _get(one, "init_args")
        if not str(_get(one, "class_path") or "").endswith("TLZooWandbLogger") or init_args is None:
            continue
        if subcommand == "fit" and _get(init_args, "id") is None:
            _set(init_args, "id", run_id)
            if _get(init_args, "save_dir") in (None, "runs") and folder.parent.name == record.get("wandb_project"):
                _set(init_args, "save_dir", str(folder.parent.parent))  # <save_dir>/<project>/<id>: the same run
        elif subcommand != "fit" and _get(init_args, "group") is None:
            _set(init_args, "group", run_id)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if hasattr(obj, "get") else getattr(obj, key, None)


def _set(obj: Any, key: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[key] = value
    else:
        setattr(obj, key, value)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(value, tuple):
        value = list(value)
    return {prefix[:-1]: value}


#: Model arguments the CLI links from the data module when it builds the model (the parsed value is not used).
LINKED = ("num_classes", "input_shape")


def _differences(configured: Any, stored: Any) -> dict[str, tuple[Any, Any]]:
    """``{key: (configured, stored)}`` for the leaf values both have and that differ; not the values the data
    module sets when the model is built (``LINKED``: what the config says for them is never used)."""
    now, then = _flatten(configured), _flatten(stored)
    return {k: (now[k], then[k]) for k in now.keys() & then.keys() if now[k] != then[k] and k not in LINKED}


def _user_error(err: BaseException) -> TLZooError | None:
    """The TLZooError in ``err``'s causes, or a ValueError raised by tlzoo's own argument checks, as a TLZooError."""
    cause: BaseException | None = err
    found: TLZooError | None = None
    while cause is not None:
        if isinstance(cause, TLZooError):
            return cause
        if found is None and isinstance(cause, ValueError) and _raised_in_tlzoo(cause):
            found = TLZooError(str(cause))
        cause = cause.__cause__ or cause.__context__
    return found


def _raised_in_tlzoo(err: BaseException) -> bool:
    tb = err.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and f"{os.sep}tlzoo{os.sep}" in last


def _several_players(config: Any) -> bool:
    """Whether the configured method steps several optimisers by hand (an ``AdversarialMixin`` method)."""
    from tlzoo.core.adversarial import AdversarialMixin

    try:
        cls = configured_method_class(config)
    except Exception:  # an unknown class is reported by the parser later, with its own message
        return False
    return isinstance(cls, type) and issubclass(cls, AdversarialMixin)


def configured_method_class(config: Any) -> type | None:
    """The LightningModule class a parsed config names (``model.class_path``), if importable."""
    class_path = (config.get("model") or {}).get("class_path") if hasattr(config, "get") else None
    return method_class(class_path) if class_path else None


def resolve_default_monitor(config: Any, explicit_mode: bool = False) -> None:
    """Replace ``checkpoint.monitor: auto`` by the method's ``default_monitor`` (``None``: keep the last
    epoch) and its mode; an explicit ``--checkpoint.monitor`` / ``--checkpoint.mode`` is left alone."""
    checkpoint = config.get("checkpoint") if hasattr(config, "get") else None
    if checkpoint is None or checkpoint.get("monitor") != AUTO:
        return
    cls = configured_method_class(config)
    default = getattr(cls, "default_monitor", None)
    checkpoint["monitor"] = default[0] if default else None
    if default and not explicit_mode:
        checkpoint["mode"] = default[1]


def resolve_default_ema_decay(config: Any) -> None:
    """Replace ``ema_decay: auto`` by the method's ``default_ema_decay`` (``None``: no weight averaging)."""
    if not hasattr(config, "get"):
        return
    if config.get("ema_decay") == AUTO:
        config["ema_decay"] = getattr(configured_method_class(config), "default_ema_decay", None)
    decay = config.get("ema_decay")
    if decay is not None and not 0.0 < decay < 1.0:
        raise TLZooError(f"--ema_decay must be in (0, 1), e.g. 0.99 (or null for the raw weights), got {decay}")


def _mode_given(args: list[str]) -> bool:
    """Whether the command line or one of its ``-c`` files sets ``checkpoint.mode``."""
    import yaml

    if any(a == "--checkpoint.mode" or a.startswith("--checkpoint.mode=") for a in args):
        return True
    for i, arg in enumerate(args[:-1]):
        if arg in ("-c", "--config") and Path(args[i + 1]).is_file():
            try:
                content = yaml.safe_load(Path(args[i + 1]).read_text()) or {}
            except yaml.YAMLError:
                continue
            if isinstance(content, dict) and "mode" in (content.get("checkpoint") or {}):
                return True
    return False


def _fmt(value: Any) -> str:
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return "n/a"


def _config_paths(config: Any) -> list[str]:
    paths = config.get("fit", {}).get("config") or []
    return [str(p) for p in paths]


#: Exit status after SIGTERM (128 + 15, what a shell reports for a process the signal ended).
SIGTERM_EXIT = 143



def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if run_light_command(args):
        return
    from tlzoo.quiet import quiet_known_noise

    quiet_known_noise()
    try:
        args = resolve_config_args(args)
        check_config_files(args)
        if argv is None:  # console script: LightningCLI reads sys.argv (and warns when given both)
            sys.argv = [sys.argv[0], *args]
        TLZooCLI(args=None if argv is None else args)
    except SIGTERMException:
        raise SystemExit(SIGTERM_EXIT) from None  # stopped, not finished: schedulers and `&&` chains must know
    except (TLZooError, MisconfigurationException) as err:
        print(f"tlzoo: error: {error_line(err)}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC,
                             getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise
        print(f"tlzoo: error: cannot write {err.filename or 'the output'}: {err.strerror}. Free space or pick a "
              f"writable folder with --trainer.default_root_dir", file=sys.stderr)
        raise SystemExit(2) from None


def check_config_files(args: list[str]) -> None:
    """Each ``-c`` / ``--config`` file must exist and hold a YAML mapping (jsonargparse's own message for an
    empty file is ``Unexpected config:``)."""
    import yaml

    paths = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-c", "--config")]
    paths += [a.split("=", 1)[1] for a in args if a.startswith("--config=")]
    for path in paths:
        p = Path(path)
        if not p.is_file():
            if path.lstrip().startswith("{"):  # an inline config
                continue
            raise TLZooError(f"config file not found: {p} (-c)")
        try:
            content = yaml.safe_load(p.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            first = " ".join(str(err).split())[:200]
            raise TLZooError(f"config file {p} is not valid YAML: {first}") from None
        if content is None:
            raise TLZooError(f"config file {p} is empty: it needs at least model: and data: "
                             f"(see experiments/*.yaml)")
        if not isinstance(content, dict):
            raise TLZooError(f"config file {p} must be a YAML mapping (key: value lines), got a "
                             f"{type(content).__name__}")


def error_line(err: BaseException) -> str:
    """One line for a user error: a data loader worker's wrapped traceback is cut to its message, Lightning's
    configuration errors get a hint about the flag."""
    text = str(err)
    if "Original Traceback" in text:  # raised in a DataLoader worker: keep the original message
        last = [line for line in text.strip().splitlines() if line.strip()][-1]
        text = last.split(": ", 1)[1] if last.split(":", 1)[0].endswith("Error") else last
    text = " ".join(text.split())
    if isinstance(err, MisconfigurationException) and "gpu" in text.lower():
        text += " No GPU is usable here: pass --trainer.accelerator cpu (or auto)"
    return text


if __name__ == "__main__":
    main()
