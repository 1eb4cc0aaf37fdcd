"""``benchmarks/run.py --quick`` runs end to end (that it ran and reported, not its timings)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import needs_extra

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTIONS = (
    "requests",
    "cold pull",
    "warm pull",
    "normalisation",
    "many users",
    "collections",
    "fleet",
    "token",
    "search",
    "sync",
    "cli startup",
)
# the fleet lines --quick must print (start of the measure), each with figures in these columns
FLEET = {
    "wall time, 10 users": (2, 3, 4),  # Dask, one process, ratio
    "wall time with the cluster startup included": (2, 3, 4),
    "cluster startup": (2,),
    "GETs sent": (2, 3),
    "request rate": (2, 3),
    "CPU seconds": (2, 3),
    "client-credentials exchanges, Dask path": (2, 3),
    "rows:": (2, 3),
}
# issue 12's request economy (collections section): request counts are exact on the emulator, so
# these lines must PASS even in --quick; the warm-time line must be there with its figures
COLLECTIONS_PASS = (
    "GETs for followers_df(",  # ceil(n/200) pages + at most one empty page + one /resolve
    "GETs to look up 200 tracks by URN",  # ceil(200/50) = 4, >= 40x fewer than one by one
    "pages for followings_df('empty-artist')",  # <= 11
)
COLLECTIONS_INFO = ("owner lookups of that call", "warm followers_df(")
NUMBER = re.compile(r"\d")


def _fingerprint(path: Path) -> tuple[int, str] | None:
    if not path.exists():
        return None
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@needs_extra("dask")  # the fleet section starts a Dask cluster
def test_quick_benchmark_runs_and_reports_every_section(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    env["TMPDIR"] = str(tmp_path)  # every cache the benchmark makes lands here
    before = _fingerprint(RESULTS)

    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    for section in SECTIONS:
        mine = [row.split(" | ") for row in rows if row.startswith(f"| {section} | ")]
        assert mine, f"no {section!r} line in:\n{proc.stdout}"
        # the scdata column of the section's first line carries a figure
        assert NUMBER.search(mine[0][2]), f"{section!r} line without a number: {mine[0]}"
        assert all(cells[-1].strip(" |") in ("PASS", "FAIL", "INFO") for cells in mine)
    fleet = [row.split(" | ") for row in rows if row.startswith("| fleet | ")]
    for start, columns in FLEET.items():
        found = [cells for cells in fleet if cells[1].startswith(start)]
        assert len(found) == 1, f"fleet line {start!r} missing or repeated in:\n{proc.stdout}"
        for column in columns:
            assert NUMBER.search(found[0][column]), f"fleet line without a figure: {found[0]}"
    collections = [row.split(" | ") for row in rows if row.startswith("| collections | ")]
    for start in (*COLLECTIONS_PASS, *COLLECTIONS_INFO):
        found = [cells for cells in collections if cells[1].startswith(start)]
        assert len(found) == 1, f"collections line {start!r} missing or repeated:\n{proc.stdout}"
        assert NUMBER.search(found[0][2]), f"collections line without a figure: {found[0]}"
        if start in COLLECTIONS_PASS:
            assert found[0][-1].strip(" |") == "PASS", f"request economy lost: {found[0]}"
    warm = [row.split(" | ") for row in rows if row.startswith("| warm pull | ")]
    floor = [cells for cells in warm if cells[1].startswith("floor: requests-cache reads")]
    assert len(floor) == 1, f"warm pull floor line missing or repeated in:\n{proc.stdout}"
    assert floor[0][-1].strip(" |") in ("PASS", "FAIL"), f"the floor has a target: {floor[0]}"
    cli = [row.split(" | ") for row in rows if row.startswith("| cli startup | ")]
    timing = [cells for cells in cli if cells[1].startswith("wall time of `scdata --help`")]
    assert len(timing) == 1, f"cli startup timing line missing or repeated in:\n{proc.stdout}"
    assert NUMBER.search(timing[0][3]), f"cli startup line without a baseline: {timing[0]}"
    assert timing[0][-1].strip(" |") in ("PASS", "FAIL")
    imports = [cells for cells in cli if cells[1].startswith("pandas / pyarrow imported")]
    assert len(imports) == 1, f"cli startup imports line missing or repeated in:\n{proc.stdout}"
    assert re.match(r"pandas: (yes|no).*, pyarrow: (yes|no)", imports[0][2]), imports[0]
    assert imports[0][-1].strip(" |") == "INFO"
    assert "note: fleet: " in proc.stdout
    assert re.search(r"\d+ targets pass, \d+ fail", proc.stdout)
    assert _fingerprint(RESULTS) == before, "--quick must not write RESULTS.md"


@pytest.mark.slow  # other processes
def test_quick_refuses_to_write_results() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "not with --quick" in proc.stderr


def test_best_alternately_runs_each_function_in_turns_and_keeps_its_best(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from _common import best_alternately

    calls: list[str] = []
    results = best_alternately(
        [lambda: calls.append("a"), lambda: calls.append("b")], reps=5, block=2
    )
    assert "".join(calls) == "aabbaabbab"
    assert all(0 < best < 1 for best in results)
