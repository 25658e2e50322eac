"""bench/scale.py's process measure: a command's own peak memory, not that of the process that started it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import scale  # noqa: E402


def test_a_commands_peak_is_its_own_however_large_the_bench_process_is() -> None:
    """Linux counts the parent's memory in a forked child's ru_maxrss; the measure reads the child's VmHWM."""
    ballast = bytearray(400 * 1024 * 1024)  # the bench process holding 100,000 facts, say
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touched: resident, not only reserved
    took, peak_kib, code, _ = scale._process(["--help"])
    assert code == 0 and took > 0
    assert 10 * 1024 < peak_kib < 300 * 1024  # a `commitments --help` process: tens of MiB, not 400
    del ballast
