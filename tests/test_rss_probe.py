"""The memory probe of ``benchmarks/memory_stages.py`` reads this process's figures from ``/proc``."""

from __future__ import annotations

import mmap
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status (Linux)")


def test_memory_reads_rss_and_its_parts() -> None:
    from rss_probe import memory

    before = memory()
    assert set(before) == {"rss_mb", "anon_mb", "file_mb", "hwm_mb"}
    assert before["anon_mb"] + before["file_mb"] <= before["rss_mb"] + 1
    size = 64 * 1024 * 1024
    # fresh private anonymous pages (a heap block could reuse free memory that is already resident)
    with mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) as block:
        for offset in range(0, size, mmap.PAGESIZE):
            block[offset] = 1  # a page counts once written
        after = memory()
    assert after["anon_mb"] - before["anon_mb"] >= 60
    assert after["hwm_mb"] >= after["rss_mb"]
