"""The cache stays bounded: expired answers and page copies are purged, a bounded batch at a time.

A user who uploads between runs shifts every cursor, so each run stores pages under new URLs
and, without a purge, the files grow by a run's pages every run (measured: ~32 MiB per hourly
run for a 10,000-track user).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from scdata.http.session import CACHE_FILE
from scdata.storage import cachefile
from scdata.storage.cachefile import purge_statement
from scdata.storage.pages import PAGES_FILE

from .test_auth import make_client

TABLES = {CACHE_FILE: "responses", PAGES_FILE: "pages"}


def rows(cache_dir: Path) -> dict[str, int]:
    counts = {}
    for name, table in TABLES.items():
        with contextlib.closing(sqlite3.connect(cache_dir / name)) as db:
            counts[name] = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return counts


def upload(sandbox, n: int) -> None:
    """A new newest track for ``jowymusic``: every page boundary, so every cursor, moves."""
    newest = sandbox.catalog.tracks("jowymusic")[0]
    created = time.strftime("%Y/%m/%d %H:%M:%S +0000", time.gmtime(time.time() + n))
    track = {**newest, "id": 990_000_000 + n, "urn": f"soundcloud:tracks:{990_000_000 + n}",
             "created_at": created}  # fmt: skip
    sandbox.catalog.add_tracks("jowymusic", [track])


@pytest.mark.slow
def test_after_many_expiring_runs_the_cache_stops_growing(sandbox, cache_dir, monkeypatch):
    monkeypatch.setattr(cachefile, "KEEP_EXPIRED", 0.0)  # purge as soon as expired ...
    monkeypatch.setattr(cachefile, "PURGE_EVERY", 0.0)  # ... on every write
    seen = []
    for run in range(4):
        upload(sandbox, run)
        with make_client(sandbox, cache_dir, expire_after=1) as client:
            frame = client.tracks_df("jowymusic", progress=False)
        assert len(frame) == 348 + run
        seen.append(rows(cache_dir))
        time.sleep(1.05)  # everything stored so far expires
    # Each run stores the resolve, three pages (the last two under new cursors) and their
    # copies: without the purge every run adds two rows to each file (10 and 9 rows after four
    # runs). With it, a run's rows plus at most one the purge saw a moment before it expired.
    assert seen[0] == {CACHE_FILE: 4, PAGES_FILE: 3}
    assert all(c[CACHE_FILE] <= 5 and c[PAGES_FILE] <= 4 for c in seen), seen


def old_rows(cache_dir: Path) -> dict[str, tuple[int, int]]:
    """Per file: (made-up rows past the offline window, made-up rows within it) left."""
    left = {}
    for name, table in TABLES.items():
        with contextlib.closing(sqlite3.connect(cache_dir / name)) as db:
            count = db.execute(f"SELECT sum(key LIKE 'old-2-%'), sum(key LIKE 'old-1-%') "
                               f"FROM {table}").fetchone()  # fmt: skip
        left[name] = tuple(count)
    return left


def stale_rows(cache_dir: Path, n: int, *, days: int) -> None:
    """``n`` made-up rows in each file that expired ``days`` days (minus a minute) ago."""
    expires = time.time() - days * 86400 + 60
    for name, table in TABLES.items():
        with contextlib.closing(sqlite3.connect(cache_dir / name, isolation_level=None)) as db:
            keys = [f"old-{days}-{i}" for i in range(n)]
            if table == "responses":
                values = [(key, b"x", int(expires)) for key in keys]
                db.executemany("INSERT INTO responses VALUES (?, ?, ?)", values)
            else:
                db.executemany("INSERT INTO pages VALUES (?, ?, NULL, ?)",
                               [(key, expires, b"x") for key in keys])  # fmt: skip


@pytest.mark.slow  # over half a second: the full run has it
def test_a_purge_pass_does_bounded_work_and_keeps_what_offline_may_read(sandbox, cache_dir):
    assert (cachefile.KEEP_EXPIRED, cachefile.PURGE_BATCH, cachefile.PURGE_EVERY) == (
        86400,
        500,
        300,
    )  # fmt: skip  (the documented policy)
    users = ["jowymusic", "bjork-unicode", "urn-era-artist", "geo-blocked"]
    with make_client(sandbox, cache_dir) as client:
        expected = client.tracks_df(users[0], limit=5, progress=False)
    stale_rows(cache_dir, 1200, days=2)  # expired two days ago: past the offline window
    stale_rows(cache_dir, 10, days=1)  # expired a day less a minute ago: still kept
    full = {name: (1200, 10) for name in TABLES}
    assert old_rows(cache_dir) == full
    with make_client(sandbox, cache_dir) as client:
        offline = client.tracks_df(users[0], limit=5, offline=True)
        assert old_rows(cache_dir) == full  # reading never purges
        client.tracks_df(users[1], limit=5, progress=False)  # stores: one pass per file
        assert old_rows(cache_dir) == {name: (700, 10) for name in TABLES}
        client.tracks_df(users[2], limit=5, progress=False)  # within PURGE_EVERY: no pass
        assert old_rows(cache_dir) == {name: (700, 10) for name in TABLES}
    pd.testing.assert_frame_equal(offline, expected)
    with make_client(sandbox, cache_dir) as client:  # the next run: its own first pass
        client.tracks_df(users[3], limit=5, progress=False)
    assert old_rows(cache_dir) == {name: (200, 10) for name in TABLES}


@pytest.mark.parametrize("name", TABLES)
def test_the_purge_finds_expired_rows_through_an_index(sandbox, cache_dir, name):
    with make_client(sandbox, cache_dir) as client:
        client.tracks_df("jowymusic", limit=5, progress=False)
    query = purge_statement(TABLES[name]).replace("DELETE FROM", "SELECT * FROM", 1)
    with contextlib.closing(sqlite3.connect(cache_dir / name)) as db:
        plan = " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", (0, 1)))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
