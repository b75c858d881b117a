"""Reproduction of the JGSA (CVPR'17) Office-Caltech10 SURF table, and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tlzoo.shallow.cli import main
from tests.test_feature_files import REAL, needs_real

TASKS = [("amazon", "dslr"), ("amazon", "webcam"), ("dslr", "amazon"), ("dslr", "webcam"), ("webcam", "amazon"), ("webcam", "dslr")]
RAW = [35.67, 31.19, 28.29, 83.73, 31.63, 84.71]
JGSA_PRIMAL = [47.13, 45.76, 38.00, 91.86, 39.87, 90.45]


def _accs(method) -> list[float]:  # noqa: ANN001
    from tlzoo.data.feature_files import load_feature_domain

    out = []
    for s, t in TASKS:
        Xs, ys = load_feature_domain(f"office_caltech10_surf/{s}", root=REAL, preprocessing="l1_zscore_l2")
        Xt, yt = load_feature_domain(f"office_caltech10_surf/{t}", root=REAL, preprocessing="l1_zscore_l2")
        out.append(round(100 * float(np.mean(method.fit_predict(Xs, ys, Xt) == yt)), 2))
    return out


@pytest.mark.slow
@needs_real
def test_raw_row_exact() -> None:
    from tlzoo.shallow import Raw

    assert _accs(Raw()) == RAW


@pytest.mark.slow
@needs_real
def test_jgsa_primal_row_exact() -> None:
    from tlzoo.shallow import JGSA

    assert _accs(JGSA(k=30, lam=1.0, mu=1.0, beta=0.1, iterations=10)) == JGSA_PRIMAL


def test_cli_on_npz_files_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests._shallow_synth import two_domains

    Xs, ys, Xt, yt = two_domains()
    np.savez(tmp_path / "s.npz", X=Xs, y=ys)
    np.savez(tmp_path / "t.npz", X=Xt, y=yt)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dataset: ''\nsource: s.npz\ntarget: t.npz\npreprocessing: l2\nmethod:\n  class_path: CORAL\n")
    out = tmp_path / "r.csv"
    assert main(["--config", str(cfg), "--root", str(tmp_path), "--methods", "raw,coral", "--output", str(out)]) == 0
    assert "CORAL" in capsys.readouterr().out and out.read_text().startswith("method,source")
    assert main(["--config", str(cfg), "--root", str(tmp_path), "--method.init_args.nope", "1"]) == 2
