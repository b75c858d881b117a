"""``tlzoo shallow``: a --source/--target value is a path or a registry name, the own-data route end to end,
the preprocessing default of plain files, the papers' defaults of every method, and a light start-up."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from tlzoo.errors import DataNotFoundError, TLZooError
from tlzoo.shallow import METHODS, get_method
from tlzoo.shallow.cli import build_parser, main
from tlzoo.shallow.domains import FILE_PREPROCESSING, resolve_domain
from tlzoo.shallow.table import run_grid

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "tlzoo" / "experiments" / "shallow"


def _digits_files(folder: Path, suffix: str = ".csv", n: int = 300) -> tuple[Path, Path]:
    """Real 8x8 digits (scikit-learn): source as is, target shifted one pixel right (a real domain shift)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))
    s, t = idx[:n], idx[n : 2 * n]
    shifted = np.roll(X.reshape(-1, 8, 8), 1, axis=2).reshape(-1, 64)
    folder.mkdir(parents=True, exist_ok=True)
    src, tgt = folder / f"source{suffix}", folder / f"target{suffix}"
    if suffix == ".csv":
        header = ",".join([f"p{i}" for i in range(64)] + ["label"])
        np.savetxt(src, np.c_[X[s], y[s]], fmt="%g", delimiter=",", header=header, comments="")
        np.savetxt(tgt, np.c_[shifted[t], y[t]], fmt="%g", delimiter=",", header=header, comments="")
    else:  # MATLAB layout of the benchmark files: fts (n, d), labels (n, 1) starting at 1
        scipy.io.savemat(src, {"fts": X[s], "labels": y[s, None] + 1})
        scipy.io.savemat(tgt, {"fts": shifted[t], "labels": y[t, None] + 1})
    return src, tgt


# ----------------------------------------------------------------------------- path vs registry
def test_registry_names_resolve_with_and_without_dataset_prefix() -> None:
    ref = resolve_domain("amazon", "office_caltech10_surf")
    assert (ref.key, ref.is_file, ref.label) == ("office_caltech10_surf/amazon", False, "amazon")
    assert ref.default_preprocessing() == "l1_zscore_l2"
    full = resolve_domain("usps_mnist_jda/usps", "office_caltech10_surf")  # a full key works with any --dataset
    assert (full.key, full.is_file) == ("usps_mnist_jda/usps", False)
    assert resolve_domain("usps_mnist_jda/mnist", "").key == "usps_mnist_jda/mnist"


def test_a_file_path_is_a_path_not_joined_with_the_registry_folder(tmp_path: Path) -> None:
    (tmp_path / "feats").mkdir()
    np.savez(tmp_path / "feats" / "mine.npz", X=np.eye(3), y=np.arange(3))
    for value in ("feats/mine.npz", "./feats/mine.npz", str(tmp_path / "feats" / "mine.npz")):  # cwd is tmp_path
        ref = resolve_domain(value, "office_caltech10_surf", flag="--source")
        assert ref.is_file and Path(ref.key) == (tmp_path / "feats" / "mine.npz").resolve(), value
        assert ref.label == "mine" and ref.default_preprocessing() == FILE_PREPROCESSING == "l2"
    # a stray suffix-less file named like a registry domain does not shadow the registry
    (tmp_path / "amazon").write_text("not features")
    assert resolve_domain("amazon", "office_caltech10_surf").key == "office_caltech10_surf/amazon"


def test_relative_path_is_also_tried_under_an_explicit_root(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    np.savez(tmp_path / "data" / "s.npz", X=np.eye(2), y=np.arange(2))
    ref = resolve_domain("s.npz", None, root=str(tmp_path / "data"))
    assert ref.is_file and Path(ref.key) == (tmp_path / "data" / "s.npz").resolve()


def test_missing_path_and_unknown_name_fail_with_the_flag_and_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as err:
        resolve_domain("my/features.mat", "office_caltech10_surf", flag="--target")
    msg = str(err.value)
    assert "--target" in msg and "my/features.mat" in msg and str(tmp_path / "my" / "features.mat") in msg
    assert "feature file not found" in msg and "amazon, caltech, dslr, webcam" in msg
    with pytest.raises(TLZooError) as err:
        resolve_domain("amazom", "office_caltech10_surf", flag="--source")
    msg = str(err.value)
    assert "--source 'amazom'" in msg and "neither a feature file" in msg and "amazon, caltech" in msg
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(TLZooError, match="not a feature file"):
        resolve_domain("notes.txt", "office_caltech10_surf")


def test_cli_missing_file_exits_2_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    np.savez("s.npz", X=np.eye(3), y=np.arange(3))
    assert main(["--source", "s.npz", "--target", "nowhere/t.npz", "--methods", "raw"]) == 2
    err = capsys.readouterr().err
    assert "--target 'nowhere/t.npz'" in err and "feature file not found" in err
    assert main(["--source", "s.npz", "--methods", "raw"]) == 2
    assert "--target is missing" in capsys.readouterr().err


def test_plain_files_default_to_l2_preprocessing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Raw 1-NN: the target sample (2, 0) is nearest to class 0's (1, 1) as stored, but after per-sample L2
    # normalisation it coincides with class 1's (10, 0) -> (1, 0). Its label is 1.
    np.savez("s.npz", X=np.array([[1.0, 1.0], [10.0, 0.0]]), y=np.array([0, 1]))
    np.savez("t.npz", X=np.array([[2.0, 0.0], [2.0, 0.0]]), y=np.array([1, 1]))
    from tlzoo.shallow import Raw

    default = run_grid([Raw()], [("s.npz", "t.npz")], "office_caltech10_surf")
    as_stored = run_grid([Raw()], [("s.npz", "t.npz")], "office_caltech10_surf", preprocessing="none")
    assert default[0].accuracy == 100.0 and as_stored[0].accuracy == 0.0
    assert main(["--source", "s.npz", "--target", "t.npz", "--methods", "raw"]) == 0
    captured = capsys.readouterr()
    assert "preprocessing: l2 for feature files" in captured.err and "| Raw | 100.00 |" in captured.out


def test_mismatched_feature_spaces_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    np.savez("s.npz", X=np.eye(3), y=np.arange(3))
    np.savez("t.npz", X=np.eye(4), y=np.arange(4))
    assert main(["--source", "s.npz", "--target", "t.npz", "--methods", "raw"]) == 2
    assert "same feature space" in capsys.readouterr().err


def test_bare_all_tasks_switch_means_true() -> None:
    from tlzoo.shallow.cli import _bare_switches

    assert _bare_switches(["--all-tasks"]) == ["--all-tasks", "true"]
    assert _bare_switches(["--all-tasks", "--methods", "raw"]) == ["--all-tasks", "true", "--methods", "raw"]
    assert _bare_switches(["--all-tasks", "false"]) == ["--all-tasks", "false"]


# ----------------------------------------------------------------------------- own data, end to end
@pytest.mark.parametrize("suffix", [".csv", ".mat"])
def test_own_data_route_end_to_end_through_the_console_command(tmp_path: Path, suffix: str) -> None:
    src, tgt = _digits_files(tmp_path / "my features", suffix)  # a space in the folder name on purpose
    out = tmp_path / "table.csv"
    done = subprocess.run(
        [sys.executable, "-m", "tlzoo", "shallow", "--source", str(src.relative_to(tmp_path)), "--target", str(tgt),
         "--methods", "raw,coral,jda", "--output", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={"OMP_NUM_THREADS": "1", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "preprocessing: l2 for feature files" in done.stderr and "feature files (1nn accuracy" in done.stdout
    rows = {line.split(",")[0]: float(line.split(",")[4]) for line in out.read_text().splitlines()[1:]}
    assert set(rows) == {"Raw", "CORAL", "JDA"} and "source→target" in out.read_text()
    assert 40.0 < rows["Raw"] < 90.0 and rows["JDA"] > rows["Raw"]  # the shift hurts, JDA recovers part of it


def test_own_data_with_a_shipped_recipe_keeps_its_method_and_preprocessing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, tgt = _digits_files(tmp_path / "d", ".csv", n=120)
    # --source/--target replace the recipe's registry tasks; the recipe's method and preprocessing (l2) stay
    assert main(["-c", "tca_usps_mnist", "--source", str(src), "--target", str(tgt)]) == 0
    captured = capsys.readouterr()
    assert "| method | source→target | avg |" in captured.out and "| TCA |" in captured.out
    assert "preprocessing: l2 for feature files" not in captured.err  # the recipe names its preprocessing


# ----------------------------------------------------------------------------- the papers' defaults
#: The documented paper defaults (docs/shallow.md, "Defaults"); a change here must change the docs too.
PAPER_DEFAULTS: dict[str, dict[str, object]] = {
    "TCA": dict(k=100, lam=0.1, kernel="primal", gamma=1.0, normalize_input=True, normalize_output=False,
                scaling="unit"),
    "JDA": dict(k=100, lam=0.1, iterations=10, kernel="primal", gamma=1.0, normalize_input=True,
                normalize_output=True, scaling="unit"),
    "TJM": dict(k=100, lam=1.0, iterations=10, kernel="linear", gamma=1.0, scaling="unit", normalize_output=False,
                reweight="code"),
    "JGSA": dict(k=30, lam=1.0, mu=1.0, beta=0.1, iterations=10, kernel="primal", gamma=2.0, scaling="unit"),
    "GFK": dict(dim=20),
    "SA": dict(dim=20),
    "SDA": dict(dim=20),
    "CORAL": dict(reg=1.0),
    "SCA": dict(k=50, beta=0.1, delta=1.0, kernel="rbf_median", gamma=1.0, eps=1e-5),
    "OTGL": dict(reg_e=0.1, reg_cl=1.0, max_iter=20, max_inner_iter=200, norm="max"),
    "Raw": {},
}


def _defaults(cls: type) -> dict[str, object]:
    params = inspect.signature(cls.__init__).parameters
    return {k: p.default for k, p in params.items() if k != "self" and p.kind is p.POSITIONAL_OR_KEYWORD}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_defaults_are_the_documented_paper_values_with_a_source(name: str) -> None:
    cls = get_method(name)
    defaults = _defaults(cls)
    assert defaults == PAPER_DEFAULTS[cls.__name__]
    assert set(cls.defaults_source) == set(defaults), "every argument names where its default comes from"
    docs = (REPO / "docs" / "shallow.md").read_text()
    section = docs.split("## Defaults of each method and their source", 1)[1].split("\n## ", 1)[0]
    if defaults:
        row = next((line for line in section.splitlines() if line.startswith(f"| {cls.name} |")), None)
        assert row is not None, f"docs/shallow.md has no defaults row for {cls.name}"
        for k, v in defaults.items():
            assert f"{k}={v}" in row.replace("`", ""), (k, v, row)


def test_every_shipped_recipe_parses_and_builds_its_method() -> None:
    parser = build_parser()
    names = sorted(RECIPES.glob("*.yaml"))
    assert len(names) >= 20
    for path in names:
        cfg = parser.parse_args(["--config", str(path)])
        init = parser.instantiate(cfg)
        assert init.method is not None and (cfg.tasks or (cfg.source and cfg.target)), path.name


def test_family_recipes_hold_the_reproducing_settings() -> None:
    import yaml

    def args(name: str) -> tuple[str, dict[str, object]]:
        cfg = yaml.safe_load((RECIPES / f"{name}.yaml").read_text())
        return cfg["preprocessing"], cfg["method"].get("init_args", {})

    assert args("tca_usps_mnist") == ("l2", dict(k=100, lam=0.1, kernel="primal", normalize_output=False))
    assert args("jda_usps_mnist") == ("l2", dict(k=100, lam=0.1, iterations=10, kernel="primal"))
    assert args("jda_office_caltech_surf") == ("l1_zscore_l2", dict(k=100, lam=1.0, iterations=10, kernel="linear"))
    assert args("tca_office_caltech_surf") == (
        "l1_zscore_l2", dict(k=30, lam=1.0, kernel="linear", normalize_output=False)
    )
    assert args("gfk_office_caltech_surf") == ("l1_zscore", dict(dim=20))
    assert args("gfk_d10_office_caltech_surf") == ("l1_zscore", dict(dim=10))


# ----------------------------------------------------------------------------- start-up
def test_help_and_a_1nn_run_import_no_heavy_library(tmp_path: Path) -> None:
    np.savez(tmp_path / "s.npz", X=np.eye(4), y=np.arange(4))
    code = (
        "import sys\nfrom tlzoo.entry import run_light_command\n"
        "try:\n    run_light_command(['shallow', '--help'])\nexcept SystemExit:\n    pass\n"
        f"run_light_command(['shallow', '--source', {str(tmp_path / 's.npz')!r}, '--target', "
        f"{str(tmp_path / 's.npz')!r}, '--methods', 'raw,tca'])\n"
        "print(sorted(m for m in ('sklearn', 'torch', 'lightning', 'pandas', 'matplotlib', 'ot', 'scipy.stats') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
