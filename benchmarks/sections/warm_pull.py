"""warm pull: the cold pull's user again with every page cached, against the naive loop."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from pathlib import Path

from _baselines import cached_session, naive_pull
from _common import Bench, say
from _report import Row, seconds, times
from requests_cache.backends import SQLiteCache

from scdata.http.session import cache_path
from sections.cold_pull import ColdPulls

TARGET_WARM = 5.0  # warm pull at least this many times faster than the naive warm loop


@dataclasses.dataclass
class WarmPulls:
    """Best-of times of the warm pulls and of reading the cache alone."""

    scdata: float
    scdata_gets: int
    naive: float
    naive_gets: int
    floor_responses: float  # requests-cache reading its responses
    floor_blobs: float  # raw SQLite read of the response blobs
    entries: int  # responses in scdata's cache


def time_scdata_warm(bench: Bench, cold: ColdPulls) -> tuple[float, int]:
    """A new ``Client`` per run on the cold pull's cache: best time, GETs sent."""
    say("warm pull: scdata, every page cached, a new Client per run")
    bench.sb.clear_log()
    best = bench.best_of(lambda: bench.tracks_df(cold.cache, cold.user))
    return best, bench.gets()


def time_naive_warm(bench: Bench, cold: ColdPulls) -> tuple[float, int]:
    """The naive loop on a ``CachedSession`` filled beforehand: best time, GETs sent."""
    say("warm pull: naive loop on a warm requests_cache.CachedSession")
    sb, user, access = bench.sb, cold.user, cold.access
    naive_cache = str(bench.fresh_dir("naive-cached") / "http_cache")
    token = bench.token()
    with cached_session(naive_cache) as session:
        naive_pull(session, sb.url, token, user, access)  # fills the cache

    def naive_warm_run() -> None:
        with cached_session(naive_cache) as session:
            naive_pull(session, sb.url, token, user, access)

    sb.clear_log()
    best = bench.best_of(naive_warm_run)
    return best, bench.gets()


def time_cache_floors(bench: Bench, cache: Path) -> tuple[float, float, int]:
    """Reading scdata's cached bodies alone: via requests-cache, via SQLite; entries."""
    say("warm pull: floors (reading the cached bodies alone)")
    with bench.client(cache) as client:
        db = cache_path(client.settings)

    def read_responses() -> int:
        backend = SQLiteCache(str(db))
        try:
            return sum(len(r.content) for r in backend.responses.values())
        finally:
            backend.close()

    def read_blobs() -> int:
        with contextlib.closing(sqlite3.connect(db)) as con:
            return sum(len(v) for (v,) in con.execute("SELECT value FROM responses"))

    floor_responses = bench.best_of(read_responses)
    floor_blobs = bench.best_of(read_blobs)
    with contextlib.closing(sqlite3.connect(db)) as con:
        (entries,) = con.execute("SELECT count(*) FROM responses").fetchone()
    return floor_responses, floor_blobs, entries


def measure(bench: Bench, cold: ColdPulls) -> WarmPulls:
    mine, mine_gets = time_scdata_warm(bench, cold)
    naive, naive_gets = time_naive_warm(bench, cold)
    floors = time_cache_floors(bench, cold.cache)
    return WarmPulls(mine, mine_gets, naive, naive_gets, *floors)


WARM_NOTE = (
    "warm pull: scdata reads one walk copy (the whole list as one Arrow file, checked against "
    "the expiry of each page copy it was built from) instead of a copy per page. What it does "
    "beyond the floor: a `/resolve` and a user look-up from requests-cache (the floor reads "
    "responses but builds no session), and the frame: docs/columns.md promises list columns "
    "(`tags`, `machine_tags`, `available_country_codes`) as Python lists, about 30,000 list "
    "objects for 10,000 tracks, built and then scanned once by the cyclic GC; the floor builds "
    "no frame at all."
)


def report(bench: Bench, warm: WarmPulls) -> None:
    mine = warm.scdata
    bench.note(WARM_NOTE)
    bench.add(
        Row(
            "warm pull",
            f"wall time, every page cached, new Client (best of {bench.sizes.reps}; "
            f"GETs sent: {warm.scdata_gets} / naive {warm.naive_gets})",
            seconds(mine),
            f"naive on CachedSession {seconds(warm.naive)}",
            f"{warm.naive / mine:.1f}× faster",
            f"≥ {TARGET_WARM:g}× faster",
            warm.naive / mine >= TARGET_WARM,
        ),
        Row(
            "warm pull",
            f"floor: requests-cache reads its {warm.entries} cached responses, no parsing",
            seconds(mine),
            seconds(warm.floor_responses),
            f"scdata takes {times(mine / warm.floor_responses)} the floor",
        ),
        Row(
            "warm pull",
            "floor: raw SQLite read of the cached response blobs",
            seconds(mine),
            seconds(warm.floor_blobs),
            f"scdata takes {times(mine / warm.floor_blobs)} the floor",
        ),
    )
