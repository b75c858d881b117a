"""What people look at when a classifier trains: its templates and its confusion matrix.

:class:`ClassifierFigures` works with any module of :mod:`tlzoo.methods.basics` (and any module with the same
hooks):

* **Templates** (a module with ``templates() -> (K, C, H, W)``, e.g.
  :class:`~tlzoo.methods.basics.LinearClassifier`): at the end of every ``every_n_epochs``-th validation, one
  image per class in a row, each template min-max scaled to [0, 1] on its own (enlarged to at least 64 pixels),
  the class names below, written to ``<run folder>/templates/epoch_{epoch:03d}.png`` and logged to W&B as
  ``val/templates``.
* **Confusion matrix** (a module that sets ``test_confusion``, a ``(K, K)`` tensor, at the end of ``tlzoo
  test``): ``<run folder>/test_confusion_matrix.png`` (rows: true class, columns: predicted; counts, coloured
  by row-normalised rate) and ``<run folder>/test_per_class_acc.md`` (a markdown table of per-class accuracy),
  both logged to W&B (``test/confusion_matrix``). The run folder is the evaluated checkpoint's
  (:func:`tlzoo.callbacks.paths.run_folder`).

Everything happens on the global-zero process only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from tlzoo.callbacks.images import save_image_grid
from tlzoo.callbacks.paths import run_folder

CONFUSION_FILE = "test_confusion_matrix.png"
PER_CLASS_FILE = "test_per_class_acc.md"


def scale_templates(templates: torch.Tensor) -> torch.Tensor:
    """Each template min-max scaled to [0, 1] on its own (a constant template becomes 0.5)."""
    t = templates.detach().float().cpu()
    flat = t.flatten(1)
    low, high = flat.min(1).values, flat.max(1).values
    span = (high - low).clamp_min(1e-12)
    out = (flat - low[:, None]) / span[:, None]
    out[(high - low) <= 1e-12] = 0.5
    return out.reshape(t.shape)


def confusion_figure(confusion: torch.Tensor, class_names: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Draw a ``(K, K)`` confusion matrix (rows: true, columns: predicted) as a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cm = confusion.detach().cpu().double()
    rates = cm / cm.sum(1, keepdim=True).clamp_min(1)
    k = cm.shape[0]
    side = max(4.0, 0.45 * k + 2)
    fig = Figure(figsize=(side, side))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(rates.numpy(), cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(k), labels=list(class_names), rotation=90 if k > 10 or max(map(len, class_names)) > 3 else 0)
    ax.set_yticks(range(k), labels=list(class_names))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def per_class_table(confusion: torch.Tensor, class_names: Sequence[str]) -> str:
    """A markdown table ``class | examples | accuracy`` from a confusion matrix, with the overall and mean rows."""
    cm = confusion.detach().cpu().double()
    support = cm.sum(1)
    acc = cm.diagonal() / support.clamp_min(1)
    lines = ["| class | examples | accuracy |", "|---|---:|---:|"]
    for name, n, a in zip(class_names, support.tolist(), acc.tolist()):
        lines.append(f"| {name} | {int(n)} | {a:.4f} |" if n > 0 else f"| {name} | 0 | n/a |")
    total = cm.sum().item()
    overall = cm.diagonal().sum().item() / max(total, 1)
    present = support > 0
    mean = acc[present].mean().item() if present.any() else 0.0
    lines += [f"| **overall** | {int(total)} | {overall:.4f} |", f"| **mean over classes** | | {mean:.4f} |"]
    return "\n".join(lines) + "\n"


class ClassifierFigures(Callback):
    """Class templates every few validations, confusion matrix and per-class accuracy after ``tlzoo test``.

    Args:
        every_n_epochs: draw the templates at the end of the validation of epochs ``n-1, 2n-1, ...``.
        dirname: sub-folder of the run folder for the template PNGs.
    """

    def __init__(self, every_n_epochs: int = 1, dirname: str = "templates") -> None:
        if every_n_epochs < 1:
            raise ValueError(f"every_n_epochs must be >= 1, got {every_n_epochs}")
        self.every_n_epochs = every_n_epochs
        self.dirname = dirname
        self.saved: list[Path] = []

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        templates = getattr(pl_module, "templates", None)
        if trainer.sanity_checking or not trainer.is_global_zero or not callable(templates):
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs != 0:
            return
        t = scale_templates(templates())
        if t.shape[-1] < 64:  # small images (digits, CIFAR): enlarge, nearest neighbour, to see the pixels
            t = torch.nn.functional.interpolate(t, scale_factor=-(-64 // t.shape[-1]), mode="nearest")
        names = list(getattr(pl_module, "class_names", [str(i) for i in range(len(t))]))
        path = run_folder(trainer) / self.dirname / f"epoch_{trainer.current_epoch:03d}.png"
        save_image_grid([("templates", t)], path, labels=False)
        self._caption_strip(path, names, t.shape[-1])
        self.saved.append(path)
        self._log_images(trainer, "val/templates", [path], [f"epoch {trainer.current_epoch}: " + " ".join(names)])

    @staticmethod
    def _caption_strip(path: Path, names: Sequence[str], cell: int) -> None:
        """Add the class names under the template row (one name per cell, cut to the cell's width)."""
        from PIL import Image, ImageDraw, ImageFont

        image = Image.open(path).convert("RGB")
        font = ImageFont.load_default()
        strip = 14
        canvas = Image.new("RGB", (image.width, image.height + strip), (255, 255, 255))
        canvas.paste(image, (0, 0))
        draw = ImageDraw.Draw(canvas)
        step = cell + 2
        for i, name in enumerate(names):
            text = name
            while text and draw.textlength(text, font=font) > step:
                text = text[:-1]
            draw.text((2 + i * step, image.height), text, fill=(0, 0, 0), font=font)
        canvas.save(path)

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        confusion = getattr(pl_module, "test_confusion", None)
        if confusion is None or not trainer.is_global_zero:
            return
        names = list(getattr(pl_module, "class_names", [str(i) for i in range(len(confusion))]))
        folder = run_folder(trainer)
        total = int(confusion.sum())
        acc = float(confusion.diagonal().sum()) / max(total, 1)
        figure = confusion_figure(confusion, names, folder / CONFUSION_FILE,
                                  title=f"{type(pl_module).__name__}: test accuracy {acc:.4f} ({total} images)")
        table = per_class_table(confusion, names)
        (folder / PER_CLASS_FILE).write_text(table)
        self.saved.append(figure)
        self._log_images(trainer, "test/confusion_matrix", [figure], [f"test accuracy {acc:.4f}"])

    @staticmethod
    def _log_images(trainer: Trainer, key: str, paths: list[Path], captions: list[str]) -> None:
        from lightning.pytorch.loggers import WandbLogger

        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key=key, images=[str(p) for p in paths], step=trainer.global_step, caption=captions)
