"""Learning check on embedded digits (UCI 8x8 -> MNIST): DANN's target accuracy beats source-only.

The experiments' own configs and budget (20 epochs; DANN needs its whole lambda / learning-rate
schedule: at 8 epochs it is still behind), one seed: about 100 s on 2 cores, so it stays in the
default suite. The 3-seed numbers are in docs/results.md.
"""

from __future__ import annotations

import sys

from tests.helpers import EXPERIMENTS, REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from common import fit_and_test  # noqa: E402

BUDGET = ["--seed_everything", "0"]


def test_dann_beats_source_only_on_embedded_digits(tmp_path) -> None:
    so = fit_and_test([str(EXPERIMENTS / "source_only_digits.yaml")], BUDGET, str(tmp_path / "so"))
    dann = fit_and_test([str(EXPERIMENTS / "dann_digits.yaml")], BUDGET, str(tmp_path / "dann"))
    assert so["test/source_acc"] > 0.9, so  # both learn the source task
    assert dann["test/target_acc"] > so["test/target_acc"] + 0.03, (so, dann)
