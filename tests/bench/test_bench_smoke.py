"""Each benchmark's smoke mode runs to the end and prints its ratio line (figures are not asserted here).

The benchmarks themselves live in bench/ and are run by hand for bench/RESULTS.md; CI runs their
``--smoke`` mode so they keep working. In the PostgreSQL run the benchmarks that have a database run
on PostgreSQL too (``--postgres``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import dbsupport

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
RATIO = re.compile(r"^RATIO name=(?P<name>[\w-]+) ratio=\d+\.\d\d goal=[<>]=[\d.]+ met=(yes|no)\b", re.MULTILINE)
BENCHES = {
    "transport": (["transport-hub-vs-aiohttp"], False),
    "fanout": (["fanout", "fanout-memory"], True),
    "inbox": (["inbox-rate", "inbox-p99"], True),
    "group_page": (["group-page-p99", "group-page-growth", "signed-in-group-p99", "signed-in-group-growth",
                    "signed-in-thread-p99", "signed-in-thread-growth", "signed-in-home-p99", "signed-in-home-growth"], True),
    "faults": (["faults"], True),
    "stall": (["stall-max", "stall-page-p50"], False),
    "signin": (["signin-page-during-guessing"], False),
    "budgets": (["budgets-redis-vs-postgres"], True),
    "multiproc": (["multiproc-inbox-2-vs-1", "multiproc-budget", "multiproc-block"], True),
}
POSTGRES_ONLY = {"budgets", "multiproc"}
"""Benchmarks of several processes sharing one PostgreSQL: only in the PostgreSQL run."""


@pytest.mark.parametrize("bench", sorted(BENCHES))
def test_smoke_mode_exits_0_and_prints_its_ratios(bench: str) -> None:
    """``python -m bench.NAME --smoke`` exits 0 and prints one RATIO line per goal."""
    names, has_database = BENCHES[bench]
    if bench in POSTGRES_ONLY and dbsupport.backend() != "postgres":
        pytest.skip("shares state between processes on PostgreSQL: runs in the PostgreSQL pass")
    args = [sys.executable, "-m", f"bench.{bench}", "--smoke"]
    if has_database and dbsupport.backend() == "postgres":
        args += ["--postgres", dbsupport.postgres_admin_url()]
    result = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert [m["name"] for m in RATIO.finditer(result.stdout)] == names, result.stdout[-2000:]
