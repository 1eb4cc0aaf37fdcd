"""warm pull: the cold pull's user again with every page cached, against the naive loop."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from typing import Any

import pandas as pd
from _baselines import cached_session, naive_pull
from _common import Bench, best_alternately, say
from _report import Row, seconds, times
from requests_cache.backends import SQLiteCache

from scdata.http.session import cache_path
from sections.cold_pull import ColdPulls

TARGET_WARM = 5.0  # warm pull at least this many times faster than the naive warm loop
TARGET_FLOOR = 1.5  # warm pull at most this many times requests-cache reading its responses
WARM_BLOCK = 5  # runs of one side before the other takes its turn


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


def time_scdata_and_floors(bench: Bench, cold: ColdPulls) -> tuple[float, int, float, float, int]:
    """scdata's warm pull (a new ``Client`` per run) and the two floors, run alternately.

    Returns the best time of each (scdata, requests-cache, raw SQLite), the GETs scdata sent
    and the responses in its cache. Each is run :attr:`Sizes.quick_reps` times in all, in
    blocks that take turns, so that the three see the same machine load: the ratio is then
    the work, not the moment.
    """
    say("warm pull: scdata (a new Client per run) and the floors (the cached bodies), in turns")
    with bench.client(cold.cache) as client:
        db = cache_path(client.settings)

    def scdata_run() -> pd.DataFrame:
        return bench.tracks_df(cold.cache, cold.user)

    def read_responses() -> list[Any]:
        backend = SQLiteCache(str(db))
        try:
            return list(backend.responses.values())  # held until the clock stops, as a frame
        finally:
            backend.close()

    def read_blobs() -> list[bytes]:
        with contextlib.closing(sqlite3.connect(db)) as con:
            return [v for (v,) in con.execute("SELECT value FROM responses")]

    bench.sb.clear_log()
    mine, floor_responses, floor_blobs = best_alternately(
        [scdata_run, read_responses, read_blobs], bench.sizes.quick_reps, block=WARM_BLOCK
    )
    gets = bench.gets()
    with contextlib.closing(sqlite3.connect(db)) as con:
        (entries,) = con.execute("SELECT count(*) FROM responses").fetchone()
    return mine, gets, floor_responses, floor_blobs, entries


def measure(bench: Bench, cold: ColdPulls) -> WarmPulls:
    mine, mine_gets, floor_responses, floor_blobs, entries = time_scdata_and_floors(bench, cold)
    naive, naive_gets = time_naive_warm(bench, cold)
    return WarmPulls(mine, mine_gets, naive, naive_gets, floor_responses, floor_blobs, entries)


WARM_NOTE = (
    "warm pull: scdata reads one walk copy (the whole list as one Arrow file, checked against "
    "the expiry of each page copy it was built from) instead of a copy per page. What it does "
    "beyond the floor: a `/resolve` and a user look-up from requests-cache (the floor reads "
    "responses but builds no session), and the frame: docs/columns.md promises list columns "
    "(`tags`, `machine_tags`, `available_country_codes`) as Python lists, about 20,500 lists "
    "(the other cells are null) for 10,000 tracks, built with the cyclic GC paused and moved "
    "to its oldest generation unscanned (they hold only strings: no cycle); the floor builds no "
    "frame at all. "
    "Every timed run ends when the call returns: the frame (or the floor's responses) is freed "
    "after the clock stops."
)


def report(bench: Bench, warm: WarmPulls) -> None:
    mine = warm.scdata
    bench.note(WARM_NOTE)
    bench.add(
        Row(
            "warm pull",
            f"wall time, every page cached, new Client (best of {bench.sizes.quick_reps}; "
            f"GETs sent: {warm.scdata_gets} / naive {warm.naive_gets})",
            seconds(mine),
            f"naive on CachedSession {seconds(warm.naive)}",
            f"{warm.naive / mine:.1f}× faster",
            f"≥ {TARGET_WARM:g}× faster",
            warm.naive / mine >= TARGET_WARM,
        ),
        Row(
            "warm pull",
            f"floor: requests-cache reads its {warm.entries} cached responses, no parsing "
            f"(best of {bench.sizes.quick_reps})",
            seconds(mine),
            seconds(warm.floor_responses),
            f"scdata takes {times(mine / warm.floor_responses)} the floor",
            f"≤ {TARGET_FLOOR:g}× the floor",
            mine / warm.floor_responses <= TARGET_FLOOR,
        ),
        Row(
            "warm pull",
            "floor: raw SQLite read of the cached response blobs "
            f"(best of {bench.sizes.quick_reps})",
            seconds(mine),
            seconds(warm.floor_blobs),
            f"scdata takes {times(mine / warm.floor_blobs)} the floor",
        ),
    )
