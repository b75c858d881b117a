"""Weights & Biases as the default logger, offline when no API key is configured."""

from __future__ import annotations

import netrc
import os
import sys
from pathlib import Path

from lightning.pytorch.loggers import WandbLogger


def wandb_credentials_available() -> bool:
    """True when W&B could log online: an API key in the environment or in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        auth = netrc.netrc().authenticators("api.wandb.ai")
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False
    return bool(auth and auth[2])


class TLZooWandbLogger(WandbLogger):
    """``WandbLogger`` that never prompts: with no credentials (or ``WANDB_MODE=offline``) it logs
    offline under ``save_dir/wandb`` and tells the user how to sync the run later.

    Args:
        project: W&B project.
        name: run name (default: W&B's generated name).
        save_dir: where runs, configs and checkpoints are written.
        offline: force offline (``True``) or online (``False``); ``None`` decides from the
            credentials and ``WANDB_MODE``.
        log_model: upload checkpoints as W&B artifacts.
        tags: run tags.
        group: run group (e.g. a sweep or a seed study).
        entity: W&B team or user the run belongs to (default: your W&B default entity).
        notes: a longer description shown with the run.
        id: the W&B run id: pass an existing one to continue that run (``tlzoo fit --ckpt_path`` of a run's
            checkpoint and ``tlzoo test`` of it set this for you).
        resume: W&B's resume mode for ``id`` (``allow``, ``must``, ``never``); ``None``: ``allow`` when ``id``
            is given.
    """

    def __init__(
        self,
        project: str = "tlzoo",
        name: str | None = None,
        save_dir: str = "runs",
        offline: bool | None = None,
        log_model: bool = False,
        tags: list[str] | None = None,
        group: str | None = None,
        entity: str | None = None,
        notes: str | None = None,
        id: str | None = None,  # noqa: A002  (W&B's own name for it)
        resume: str | None = None,
    ) -> None:
        if offline is None:
            offline = os.environ.get("WANDB_MODE") in ("offline", "dryrun") or not wandb_credentials_available()
        os.environ.setdefault("WANDB_SILENT", "true")
        Path(save_dir).mkdir(parents=True, exist_ok=True)
        self.is_offline = offline
        extra = {"entity": entity, "notes": notes}
        if id is not None:
            extra["resume"] = resume or "allow"
        super().__init__(
            project=project, name=name, save_dir=save_dir, offline=offline, log_model=log_model,
            tags=tags, group=group, id=id, **{k: v for k, v in extra.items() if v is not None},
        )
        # Lightning always passes `anonymous`, which recent W&B versions warn about on every run.
        init = getattr(self, "_wandb_init", None)
        if isinstance(init, dict) and init.get("anonymous") is None:
            init.pop("anonymous", None)

    def summarize_best(self, metric: str, mode: str) -> None:
        """Make the run summary of ``metric`` its best value (what a sweep optimises), not the last one."""
        self.experiment.define_metric(metric, summary=mode)

    def report_location(self) -> None:
        """Print where the run lives and, offline, how to upload it."""
        run = self.experiment
        run_dir = Path(getattr(run, "dir", "")).parent
        if self.is_offline:
            print(
                f"W&B: logged offline to {run_dir} (no API key found). Upload it later with:\n"
                f"  wandb sync {run_dir}",
                file=sys.stderr,
            )
        else:
            print(f"W&B: run at {getattr(run, 'url', run_dir)}", file=sys.stderr)
