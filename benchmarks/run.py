"""scdata benchmark: requests, cold and warm pulls, normalisation, many users, token reuse.

One command starts the bundled emulator with a per-request latency (standing in for the
network) and measures, side by side in the same run, scdata against what people write without
it, printing every figure with its target and PASS/FAIL:

- **requests**: GETs ``tracks_df("big-catalog")`` sends (10,000 tracks) against the minimum
  (``ceil(N/200)`` pages + the final empty page + 1 ``/resolve``) and against the original
  service's pages of 10 (``limit=10&offset=...``, run literally);
- **cold pull**: wall time with an empty cache, scdata against a naive ``requests`` loop
  (pages of 200 following ``next_href``, ``json.loads``, ``pd.json_normalize``, dtype fixes);
- **warm pull**: the same with every page cached (a new ``Client``), against the naive loop on
  a warm ``requests_cache.CachedSession`` and against reading the cached bodies alone;
- **normalisation**: ``benchmarks/normalise.py``'s measurement (100,000 tracks, time and peak
  memory, each approach in its own process);
- **many users**: ``tracks_df([20 users])`` against a serial loop, the request rate and
  whether the client-side rate limit held;
- **fleet**: 200 users (``artist-001`` ... ``artist-200``, 500 tracks each), cold, the Dask
  path (``scdata.dask.tracks_ddf(users).to_parquet(...)`` on a
  ``distributed.LocalCluster(n_workers=2, threads_per_worker=4, processes=True)`` whose workers
  share a cache dir) against one process's ``Client.tracks_df(users)``: wall times (cluster
  startup apart), requests, request rates, client-credentials exchanges, row counts;
- **token**: client-credentials exchanges across 10 fresh processes sharing a cache dir.

It exits 0 when a target fails (it is a report); only a crash exits non-zero.

Usage::

    python benchmarks/run.py                  # full run, prints the table
    python benchmarks/run.py --write          # ... and writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick          # small sizes (fleet of 10 users), < 60 s (CI)
    python benchmarks/run.py --profile        # also pyinstrument the warm and normalise paths
    python benchmarks/run.py --latency 0.1    # emulator latency per request (default 0.05 s)
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import importlib
import logging
import math
import os
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import normalise
import pandas as pd
import requests
from _baselines import (
    cached_session,
    fetch_token,
    naive_pull,
    pages_of_ten,
)
from _report import Row, machine, results_markdown, seconds, table, times
from requests_cache.backends import SQLiteCache

import scdata
from scdata.fanout import DEFAULT_WORKERS
from scdata.sandbox import Sandbox
from scdata.session import cache_path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PAGE = 200  # scdata's page size
ORIGINAL_PAGE = 10  # the original service's getUserTracks default

TARGET_REQUEST_RATIO = 20.0  # at least this many times fewer GETs than pages of 10
TARGET_WARM = 5.0  # warm pull at least this many times faster than the naive warm loop
TARGET_NORMALISE = normalise.SPEED_TARGET
TARGET_NORMALISE_MEMORY = normalise.MEMORY_RATIO_TARGET
TARGET_MANY = 4.0  # concurrent tracks_df at least this many times faster than a serial loop
TARGET_EXCHANGES = 1
TARGET_FLEET_EXCHANGES = 1  # the whole Dask fleet shares one token through the cache dir
FLEET_WORKERS = 2  # distributed.LocalCluster(n_workers=..., threads_per_worker=...)
FLEET_THREADS = 4
# imported in every worker while the cluster starts (part of the startup time, as this
# process's imports are paid by Bench.warm_up before anything is timed)
FLEET_IMPORTS = ("scdata", "scdata.dask", "dask.dataframe", "pyarrow.parquet", "pyarrow.dataset")


class Sizes:
    """What one mode measures."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.user = "artist-001" if quick else "big-catalog"
        self.users = [f"artist-{i:03d}" for i in range(1, (3 if quick else 20) + 1)]
        self.processes = 2 if quick else 10
        self.fleet = [f"artist-{i:03d}" for i in range(1, (10 if quick else 200) + 1)]
        self.normalise_n = normalise.QUICK_N if quick else 100_000
        self.reps = 3  # warm runs and normalisation runs; the best is kept


STARTED = time.perf_counter()


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout), with the seconds since the start."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` updated with ``values`` (inherited by processes started inside)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def bucket_respected(arrivals: list[float], rate: float, burst: float, slack: int = 1) -> bool:
    """Whether request arrival times fit a token bucket (``rate``/s, ``burst``).

    ``slack`` requests of tolerance absorb network jitter between the client's permit and the
    server's clock.
    """
    if rate <= 0:
        return True
    arrivals = sorted(arrivals)
    for i, first in enumerate(arrivals):
        for j in range(i, len(arrivals)):
            if j - i + 1 > burst + rate * (arrivals[j] - first) + slack:
                return False
    return True


def cpu_seconds() -> float:
    """User + system CPU seconds of the calling process so far (also run on Dask workers)."""
    now = os.times()
    return now.user + now.system


def speed_up(baseline: float, measured: float) -> str:
    """``"2.10× faster"``, or ``"1.50× slower"`` when ``measured`` took longer."""
    if measured <= baseline:
        return f"{baseline / measured:.2f}× faster"
    return f"{measured / baseline:.2f}× slower"


def busiest_second(arrivals: list[float]) -> int:
    """The most requests that arrived within any one second."""
    arrivals = sorted(arrivals)
    best, i = 0, 0
    for j, t in enumerate(arrivals):
        while t - arrivals[i] >= 1.0:
            i += 1
        best = max(best, j - i + 1)
    return best


class Bench:
    """The measurements, against one running emulator, in fresh temporary directories."""

    def __init__(self, sb: Sandbox, root: Path, sizes: Sizes) -> None:
        self.sb = sb
        self.root = root
        self.sizes = sizes
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.warm_dir: Path | None = None
        self.rtt_small = self.rtt_page = math.nan

    # -- helpers ---------------------------------------------------------------------------------
    def fresh_dir(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))

    def client(self, cache_dir: Path, **settings: Any) -> scdata.Client:
        return scdata.Client(**self.sb.client_settings, cache_dir=cache_dir, **settings)

    def tracks_df(self, cache_dir: Path, users: str | list[str], **settings: Any) -> pd.DataFrame:
        with self.client(cache_dir, **settings) as client:
            return client.tracks_df(users, progress=False)

    def token(self) -> str:
        return fetch_token(self.sb.token_url, self.sb.client_id, self.sb.client_secret)

    def gets(self) -> int:
        return self.sb.count(method="GET")

    def posts(self) -> int:
        return self.sb.count(method="POST")

    def best_of(self, func: Callable[[], object]) -> float:
        best = math.inf
        for _ in range(self.sizes.reps):
            with timer() as t:
                func()
            best = min(best, t[0])
        return best

    # -- checks and warm-up ----------------------------------------------------------------------
    def warm_up(self) -> None:
        """Import and first-call costs of both pipelines, paid before anything is timed."""
        latency, self.sb.latency = self.sb.latency, 0.0
        try:
            cache = self.fresh_dir("warm-up")
            for _ in range(2):
                self.tracks_df(cache, "jowymusic")
            token = self.token()
            with requests.Session() as session:
                naive_pull(session, self.sb.url, token, "jowymusic")
            with cached_session(str(self.fresh_dir("warm-up-naive") / "cache")) as session:
                for _ in range(2):
                    naive_pull(session, self.sb.url, token, "jowymusic")
        finally:
            self.sb.latency = latency

    def round_trips(self) -> tuple[float, float]:
        """Median seconds of one GET at the emulator's latency: a small answer, a page of 200."""
        sb, token = self.sb, self.token()
        headers = {"Authorization": f"OAuth {token}"}
        small = (f"{sb.url}/resolve", {"url": "https://soundcloud.com/jowymusic"})
        page = (f"{sb.url}/users/soundcloud:users:123456789/tracks", {"limit": PAGE})
        medians = []
        with requests.Session() as session:
            for url, params in (small, page):
                samples = []
                for _ in range(9):
                    with timer() as t:
                        session.get(url, params=params, headers=headers, allow_redirects=False)
                    samples.append(t[0])
                medians.append(statistics.median(samples))
        return medians[0], medians[1]

    # -- sections --------------------------------------------------------------------------------
    def one_user(self) -> None:
        """requests, cold pull and warm pull for one big user."""
        sb, user = self.sb, self.sizes.user
        track_count = sb.catalog.user(user)["track_count"]
        minimum = math.ceil(track_count / PAGE) + 1 + 1
        original = 1 + math.ceil(track_count / ORIGINAL_PAGE)

        say(f"cold pull: scdata tracks_df({user!r}), empty cache")
        cache = self.fresh_dir("scdata-one-user")
        sb.clear_log()
        with timer() as t:
            frame = self.tracks_df(cache, user)
        cold, gets, posts = t[0], self.gets(), self.posts()
        self.warm_dir = cache
        # the naive loop asks for what scdata asked for (its `access` filter, if any)
        access = next(
            (r.query.get("access") for r in sb.requests if fnmatch.fnmatch(r.path, "*/tracks")),
            None,
        )

        say("cold pull: naive requests loop, pages of 200")
        sb.clear_log()
        with timer() as t, requests.Session() as session:
            naive = naive_pull(session, sb.url, self.token(), user, access)
        naive_cold, naive_gets, naive_posts = t[0], self.gets(), self.posts()
        try:
            pd.testing.assert_frame_equal(frame, naive)
            same = "yes"
        except AssertionError as exc:
            same = "no: " + " ".join(str(exc).split())[:80]

        say(f"requests: the original service's pages of {ORIGINAL_PAGE} ({original:,} GETs)")
        sb.clear_log()
        with timer() as t, requests.Session() as session:
            pages_of_ten(session, sb.url, self.token(), user, track_count)
        ten, ten_gets, ten_posts = t[0], self.gets(), self.posts()

        say("warm pull: scdata, every page cached, a new Client per run")
        sb.clear_log()
        warm = self.best_of(lambda: self.tracks_df(cache, user))
        warm_gets = self.gets()

        say("warm pull: naive loop on a warm requests_cache.CachedSession")
        naive_cache = str(self.fresh_dir("naive-cached") / "http_cache")
        token = self.token()
        with cached_session(naive_cache) as session:
            naive_pull(session, sb.url, token, user, access)  # fills the cache

        def naive_warm_run() -> None:
            with cached_session(naive_cache) as session:
                naive_pull(session, sb.url, token, user, access)

        sb.clear_log()
        naive_warm = self.best_of(naive_warm_run)
        naive_warm_gets = self.gets()

        say("warm pull: floors (reading the cached bodies alone)")
        db = cache_path(self.client(cache).settings)

        def read_responses() -> int:
            backend = SQLiteCache(str(db))
            try:
                return sum(len(r.content) for r in backend.responses.values())
            finally:
                backend.close()

        def read_blobs() -> int:
            with contextlib.closing(sqlite3.connect(db)) as con:
                return sum(len(v) for (v,) in con.execute("SELECT value FROM responses"))

        floor_responses = self.best_of(read_responses)
        floor_blobs = self.best_of(read_blobs)
        with contextlib.closing(sqlite3.connect(db)) as con:
            (entries,) = con.execute("SELECT count(*) FROM responses").fetchone()

        rows = frame.shape[0]
        label = f"`{user}` ({track_count:,} tracks, {rows:,} rows)"
        self.rows += [
            Row(
                "requests",
                f"GETs to fetch {label}",
                f"{gets:,}",
                f"minimum {minimum:,}",
                f"{gets / minimum:.2f}×",
                "= minimum",
                gets == minimum,
            ),
            Row(
                "requests",
                f"GETs against the original's pages of {ORIGINAL_PAGE} (resolve + 1 per "
                f"{ORIGINAL_PAGE} tracks)",
                f"{gets:,}",
                f"{ten_gets:,}",
                f"{ten_gets / gets:.2f}× fewer",
                f"≥ {TARGET_REQUEST_RATIO:g}× fewer",
                ten_gets / gets >= TARGET_REQUEST_RATIO,
            ),
            Row(
                "requests",
                "token POSTs (client credentials), counted apart from the GETs",
                f"{posts}",
                f"naive {naive_posts}, pages of {ORIGINAL_PAGE} {ten_posts}",
            ),
            Row(
                "cold pull",
                f"wall time, empty cache, {label}",
                seconds(cold),
                f"naive {seconds(naive_cold)} ({naive_gets:,} GETs)",
                f"{naive_cold / cold:.2f}× faster",
            ),
            Row(
                "cold pull",
                f"wall time against pages of {ORIGINAL_PAGE} (requests + json.loads only)",
                seconds(cold),
                seconds(ten),
                f"{ten / cold:.1f}× faster",
            ),
            Row(
                "cold pull",
                "same DataFrame as the naive loop (assert_frame_equal)",
                same,
                f"{naive.shape[0]:,} × {naive.shape[1]}",
            ),
            Row(
                "warm pull",
                f"wall time, every page cached, new Client (best of {self.sizes.reps}; "
                f"GETs sent: {warm_gets} / naive {naive_warm_gets})",
                seconds(warm),
                f"naive on CachedSession {seconds(naive_warm)}",
                f"{naive_warm / warm:.1f}× faster",
                f"≥ {TARGET_WARM:g}× faster",
                naive_warm / warm >= TARGET_WARM,
            ),
            Row(
                "warm pull",
                f"floor: requests-cache reads its {entries} cached responses, no parsing",
                seconds(warm),
                seconds(floor_responses),
                f"scdata takes {times(warm / floor_responses)} the floor",
            ),
            Row(
                "warm pull",
                "floor: raw SQLite read of the cached response blobs",
                seconds(warm),
                seconds(floor_blobs),
                f"scdata takes {times(warm / floor_blobs)} the floor",
            ),
        ]
        self.notes += [
            f"requests: minimum = ceil({track_count:,}/{PAGE}) pages + the final empty page + "
            f"1 `/resolve` = {minimum}. The original's pages of {ORIGINAL_PAGE} send 1 `/resolve`"
            f" + ceil({track_count:,}/{ORIGINAL_PAGE}) = {original:,} GETs (its `track_count` is "
            f"given, not fetched). So the best possible ratio is {original}/{minimum} = "
            f"{original / minimum:.2f}×: the ≥ {TARGET_REQUEST_RATIO:g}× target is arithmetically "
            "out of reach for this user even at the minimum.",
            (
                f"rows: {rows:,} of {track_count:,} tracks, because the API (and the emulator) "
                "filter `blocked` tracks out of each page after cutting it"
                + (f" (scdata asked for `access={access}`)." if access else ".")
                if rows < track_count
                else f"rows: {rows:,} of {track_count:,} tracks"
                + (
                    f": scdata asked for `access={access}`, blocked ones included."
                    if access
                    else "."
                )
            ),
            "naive loop: keep-alive `requests.Session`, 1 `/resolve` read but not followed (as "
            "scdata), pages of 200 with `linked_partitioning=true` following `next_href` and "
            + (f"the same `access={access}` as scdata" if access else "no `access` (as scdata)")
            + ", "
            "`json.loads` per page, `pd.json_normalize` + the dtype fixes of "
            "`normalise.naive_frame`. Its warm run uses a plain SQLite `CachedSession` that "
            "also caches the 302, and reuses a token fetched before timing (scdata's warm run "
            "needs no token at all).",
            "cold times include the token POST for every approach; they are dominated by "
            f"{self.sb.latency * 1000:g} ms × the number of requests.",
        ]
        stall = self.rtt_small - self.sb.latency
        if stall > 0.010:
            self.notes.append(
                f"emulator artefact: a small answer takes {self.rtt_small * 1000:.0f} ms at "
                f"{self.sb.latency * 1000:g} ms latency (a page of {PAGE}: "
                f"{self.rtt_page * 1000:.0f} ms). The emulator sends headers and body in "
                "separate writes without TCP_NODELAY, so a small body waits for the client's "
                "delayed ACK (~40 ms; `SandboxHandler.disable_nagle_algorithm = True` removes "
                f"it). Pages of {ORIGINAL_PAGE} and `/resolve` are small: about {ten_gets:,} × "
                f"{stall * 1000:.0f} ms ≈ {ten_gets * stall:.0f} s of the {ten:.0f} s of pages of "
                f"{ORIGINAL_PAGE} is this stall, so the cold time ratio against it overstates "
                "what a real network would show; request counts are unaffected."
            )

    def normalisation(self) -> None:
        n, reps = self.sizes.normalise_n, self.sizes.reps
        say(f"normalisation: {n:,} tracks, benchmarks/normalise.py, one process per approach")
        normalise._check_same_output(min(n, 2_000), 42)
        pages = normalise.make_pages(n, 42)
        mib = sum(map(len, pages)) / 2**20
        path = self.fresh_dir("normalise") / "pages.bin"
        normalise._write_pages(pages, path)
        del pages
        fast = normalise._measure("scdata", path, reps)
        slow = normalise._measure("naive", path, reps)
        speedup = slow["best_s"] / fast["best_s"]
        ratio = fast["peak_delta_mib"] / slow["peak_delta_mib"]
        self.rows += [
            Row(
                "normalisation",
                f"time, {n:,} tracks from {mib:.0f} MiB of page bytes (best of {reps})",
                seconds(fast["best_s"]),
                seconds(slow["best_s"]),
                f"{speedup:.1f}× faster",
                f"≥ {TARGET_NORMALISE:g}× faster",
                speedup >= TARGET_NORMALISE,
            ),
            Row(
                "normalisation",
                "peak memory (ΔRSS over the process before converting)",
                f"{fast['peak_delta_mib']:.0f} MiB",
                f"{slow['peak_delta_mib']:.0f} MiB",
                f"{ratio:.2f}×",
                f"≤ {TARGET_NORMALISE_MEMORY:g}× naive",
                ratio <= TARGET_NORMALISE_MEMORY,
            ),
            Row(
                "normalisation",
                "scdata peak ΔRSS (normalise.py's absolute target)",
                f"{fast['peak_delta_mib']:.0f} MiB",
                target=f"< {normalise.PEAK_TARGET_MIB:g} MiB",
                ok=fast["peak_delta_mib"] < normalise.PEAK_TARGET_MIB,
            ),
        ]

    def many_users(self) -> None:
        sb, users = self.sb, self.sizes.users
        each = sb.catalog.user(users[0])["track_count"]
        rate = self.client(self.root).settings.rate_limit
        burst = max(1.0, rate)

        say(f"many users: serial loop of tracks_df(user) over {len(users)} users")
        serial_dir = self.fresh_dir("many-serial")
        sb.clear_log()
        with timer() as t, self.client(serial_dir) as client:
            for user in users:
                client.tracks_df(user, progress=False)
        serial, serial_gets = t[0], self.gets()

        say(f"many users: tracks_df([{len(users)} users]), {DEFAULT_WORKERS} workers")
        sb.clear_log()
        with timer() as t:
            frame = self.tracks_df(self.fresh_dir("many-concurrent"), users)
        concurrent = t[0]
        arrivals = [r.time for r in sb.requests if r.method == "GET"]
        gets = len(arrivals)
        respected = bucket_respected(arrivals, rate, burst)
        busiest = busiest_second(arrivals)

        say("many users: the same with the rate limiter off (rate_limit=0, not the default)")
        sb.clear_log()
        with timer() as t:
            self.tracks_df(self.fresh_dir("many-unlimited"), users, rate_limit=0)
        unlimited = t[0]

        # what the speed-up can be at best, given the latency and the rate limit
        per_request = serial / serial_gets
        waves = math.ceil(len(users) / min(DEFAULT_WORKERS, len(users)))
        pages_each = (gets - len(users)) / len(users)
        latency_bound = waves * (1 + pages_each) * per_request
        rate_bound = max(0.0, gets - burst) / rate if rate > 0 else 0.0
        ceiling = serial / max(latency_bound, rate_bound)
        ceiling_unlimited = serial / latency_bound

        label = f"{len(users)} users × {each:,} tracks ({frame.shape[0]:,} rows), cold"
        self.rows += [
            Row(
                "many users",
                f"wall time, {label}: tracks_df([...]) vs a serial loop",
                seconds(concurrent),
                seconds(serial),
                f"{serial / concurrent:.2f}× faster",
                f"≥ {TARGET_MANY:g}× faster",
                serial / concurrent >= TARGET_MANY,
            ),
            Row(
                "many users",
                f"request rate (GETs / wall time); limiter {rate:g}/s, burst {burst:g}",
                f"{gets / concurrent:.1f}/s ({gets} GETs, busiest second {busiest})",
                f"serial {serial_gets / serial:.1f}/s ({serial_gets} GETs)",
                target=f"token bucket {rate:g}/s + burst {burst:g}",
                ok=respected,
            ),
            Row(
                "many users",
                f"best speed-up possible at {self.sb.latency * 1000:g} ms latency and "
                f"{rate:g} req/s",
                times(ceiling),
                ratio=f"rate bound {seconds(rate_bound)}, latency bound {seconds(latency_bound)}",
            ),
            Row(
                "many users",
                "wall time with rate_limit=0 (limiter off; not the default)",
                seconds(unlimited),
                seconds(serial),
                f"{serial / unlimited:.1f}× faster",
                target=f"best possible {times(ceiling_unlimited)}",
            ),
        ]
        serial_rate = serial_gets / serial
        why = (
            f"many users: at {self.sb.latency * 1000:g} ms per request a serial loop runs at "
            f"{serial_rate:.0f} requests/s; the default client-side limit is {rate:g} requests/s "
            f"(burst {burst:g}). {gets} GETs need at least max(({gets} − {burst:g}) / {rate:g}, "
            f"0) = {rate_bound:.1f} s whatever the workers (rate bound), and each user's pages "
            f"come one after another, {waves} wave(s) of {min(DEFAULT_WORKERS, len(users))} "
            f"users = {latency_bound:.1f} s (latency bound); serial took {serial:.1f} s, so "
            f"tracks_df([...]) can be at most {ceiling:.2f}× faster here."
        )
        if ceiling < TARGET_MANY <= ceiling_unlimited:
            needed = (gets - burst) / (serial / TARGET_MANY)
            why += (
                f" The ≥ {TARGET_MANY:g}× target is out of reach with the default rate_limit at "
                f"this latency: it needs a limit of about {needed:.0f} requests/s or more. "
                f"With the limiter off the same call took {unlimited:.2f} s "
                f"({serial / unlimited:.1f}×)."
            )
        elif ceiling_unlimited < TARGET_MANY:
            why += (
                f" Even without a rate limit the latency bound allows only "
                f"{ceiling_unlimited:.1f}×: too few users per worker for ≥ {TARGET_MANY:g}×."
            )
        self.notes.append(why)

    def fleet(self) -> None:
        """Many users on a Dask cluster of processes against one process, both cold."""
        import pyarrow.dataset as ds
        from distributed import Client as DaskClient
        from distributed import LocalCluster

        from scdata.dask import TRACKS_SCHEMA, tracks_ddf

        sb, users = self.sb, self.sizes.fleet
        slots = FLEET_WORKERS * FLEET_THREADS  # partitions computed at once
        for user in users:  # the emulator builds each user's tracks once; not timed by either
            sb.catalog.tracks(user)
        each = sb.catalog.user(users[0])["track_count"]
        rate = self.client(self.root).settings.rate_limit
        burst = max(1.0, rate)

        def arrivals() -> list[float]:
            return [r.time for r in sb.requests if r.method == "GET"]

        say(f"fleet: one process, tracks_df([{len(users)} users]), {DEFAULT_WORKERS} threads")
        sb.clear_log()
        before, cpu_before = sb.token_exchanges, cpu_seconds()
        with timer() as t:
            frame = self.tracks_df(self.fresh_dir("fleet-single"), users)
        single, single_gets = t[0], self.gets()
        single_cpu = cpu_seconds() - cpu_before
        single_exchanges = sb.token_exchanges - before
        single_busiest = busiest_second(arrivals())

        say(
            f"fleet: starting distributed.LocalCluster({FLEET_WORKERS} processes × "
            f"{FLEET_THREADS} threads)"
        )
        cache = self.fresh_dir("fleet-dask-cache")
        out = self.fresh_dir("fleet-dask-out") / "tracks"
        with contextlib.ExitStack() as stack:
            stack.enter_context(environ(sb.env | {"SCDATA_CACHE_DIR": str(cache)}))
            with timer() as t:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=FLEET_WORKERS,
                        threads_per_worker=FLEET_THREADS,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                )
                dask_client = stack.enter_context(DaskClient(cluster))
                for module in FLEET_IMPORTS:
                    dask_client.run(importlib.import_module, module)
                dask_client.wait_for_workers(FLEET_WORKERS)
            startup = t[0]
            worker_pids = set(dask_client.run(os.getpid).values())

            say(f"fleet: tracks_ddf([{len(users)} users]).to_parquet(...) on the cluster")
            sb.clear_log()
            before, cpu_before = sb.token_exchanges, cpu_seconds()
            workers_before = dask_client.run(cpu_seconds)
            with timer() as t:
                ddf = tracks_ddf(users)
                ddf.to_parquet(out, partition_on=["user_permalink"], schema=TRACKS_SCHEMA)
            fleet = t[0]
            main_cpu = cpu_seconds() - cpu_before
            workers_cpu = sum(dask_client.run(cpu_seconds).values()) - sum(workers_before.values())
            fleet_gets = self.gets()
            fleet_exchanges = sb.token_exchanges - before
            fleet_arrivals = arrivals()
            partitions = ddf.npartitions
            with timer() as t:
                stack.close()
            shutdown = t[0]

        dataset = ds.dataset(out, format="parquet", partitioning="hive")
        written = dataset.to_table(columns=["user_permalink", "urn"]).to_pandas()
        per_user = frame["user_permalink"].value_counts().sort_index()
        per_user_written = written["user_permalink"].astype(str).value_counts().sort_index()
        same_users = per_user.to_dict() == per_user_written.to_dict()
        same_urns = set(frame["urn"]) == set(written["urn"].astype(str))
        rows, rows_written = frame.shape[0], len(written)
        match = rows == rows_written and same_users and same_urns
        fleet_busiest = busiest_second(fleet_arrivals)
        fleet_respected = bucket_respected(
            fleet_arrivals, FLEET_WORKERS * rate, FLEET_WORKERS * burst
        )

        # what each path can do at best, given the latency and the per-process rate limit
        per_user_gets = single_gets / len(users)
        rtt = self.rtt_page
        single_rate_bound = max(0.0, single_gets - burst) / rate if rate > 0 else 0.0
        single_latency_bound = math.ceil(len(users) / DEFAULT_WORKERS) * per_user_gets * rtt
        fleet_rate = FLEET_WORKERS * rate
        fleet_rate_bound = (
            max(0.0, fleet_gets - FLEET_WORKERS * burst) / fleet_rate if rate > 0 else 0.0
        )
        fleet_latency_bound = math.ceil(partitions / slots) * per_user_gets * rtt
        single_bound = max(single_rate_bound, single_latency_bound)
        fleet_bound = max(fleet_rate_bound, fleet_latency_bound)

        label = (
            f"{len(users)} users × {each:,} tracks ({rows:,} rows), cold: Dask "
            f"`tracks_ddf(users).to_parquet(...)` on {FLEET_WORKERS} processes × "
            f"{FLEET_THREADS} threads vs one process's `tracks_df(users)`"
        )
        self.rows += [
            Row(
                "fleet",
                f"wall time, {label}; cluster startup excluded",
                seconds(fleet),
                seconds(single),
                speed_up(single, fleet),
            ),
            Row(
                "fleet",
                "wall time with the cluster startup included",
                seconds(startup + fleet),
                seconds(single),
                speed_up(single, startup + fleet),
            ),
            Row(
                "fleet",
                f"cluster startup: LocalCluster + Client + importing scdata, dask.dataframe, "
                f"pyarrow in each worker (shutdown: {seconds(shutdown)})",
                seconds(startup),
            ),
            Row(
                "fleet",
                f"GETs sent (minimum {len(users)} × (1 `/resolve` + "
                f"{math.ceil(each / PAGE)} pages + the final empty page) = "
                f"{len(users) * (math.ceil(each / PAGE) + 2):,})",
                f"{fleet_gets:,}",
                f"one process {single_gets:,}",
            ),
            Row(
                "fleet",
                f"request rate (GETs / wall time, startup excluded); limiter {rate:g}/s per "
                f"process, so {FLEET_WORKERS} worker processes may send {fleet_rate:g}/s",
                f"{fleet_gets / fleet:.1f}/s (busiest second {fleet_busiest})",
                f"one process {single_gets / single:.1f}/s (busiest second {single_busiest})",
                target=f"≤ {fleet_rate:g}/s + burst {FLEET_WORKERS * burst:g} vs ≤ {rate:g}/s + "
                f"burst {burst:g}",
            ),
            Row(
                "fleet",
                f"CPU seconds (user + system) during the pull, {os.cpu_count()} logical cores "
                "for everything",
                f"workers {workers_cpu:.1f} s + this process {main_cpu:.1f} s (emulator, "
                "scheduler)",
                f"one process {single_cpu:.1f} s (client + emulator)",
                f"cores busy: {(workers_cpu + main_cpu) / fleet:.2f} vs {single_cpu / single:.2f}",
            ),
            Row(
                "fleet",
                f"client-credentials exchanges, Dask path ({len(worker_pids)} worker processes "
                "sharing the token file in one SCDATA_CACHE_DIR)",
                f"{fleet_exchanges}",
                f"one process {single_exchanges}",
                target=f"= {TARGET_FLEET_EXCHANGES}",
                ok=fleet_exchanges == TARGET_FLEET_EXCHANGES,
            ),
            Row(
                "fleet",
                "rows: Dask's Parquet dataset (read back) vs the one-process frame "
                f"(per user: {'same' if same_users else 'different'}; track urns: "
                f"{'same' if same_urns else 'different'})",
                f"{rows_written:,}",
                f"{rows:,}",
                target="same rows",
                ok=match,
            ),
        ]
        ms_per_user = 1000 / len(users)
        self.notes += [
            "fleet: the Dask job is `scdata.dask.tracks_ddf(users).to_parquet(dir, "
            "partition_on=['user_permalink'], schema=TRACKS_SCHEMA)`, the realistic fleet job: "
            "the workers write the dataset and nothing is gathered into one process. It uses the "
            f"default of one partition per user ({partitions} partitions), on "
            f"`distributed.LocalCluster(n_workers={FLEET_WORKERS}, "
            f"threads_per_worker={FLEET_THREADS}, processes=True)`. The workers get the "
            "emulator's environment and one fresh SCDATA_CACHE_DIR through `os.environ`, as in "
            "tests/test_dask.py. The one-process pull (`Client.tracks_df(users)`, "
            f"{DEFAULT_WORKERS} threads) uses another fresh cache dir and runs first. The Dask "
            "wall time includes writing Parquet; the one-process time ends with the frame in "
            "memory. Cluster startup (processes, connections, the workers' imports, paid once "
            "per cluster as this process's imports are paid before anything is timed) is kept "
            "out of the Dask wall time; the table shows it apart and added to it.",
            f"fleet: scdata's client-side rate limit ({rate:g} requests/s, burst {burst:g}) is "
            f"per process, so {FLEET_WORKERS} worker processes may send {fleet_rate:g}/s "
            f"together (their arrivals {'fit' if fleet_respected else 'do not fit'} a "
            f"{fleet_rate:g}/s bucket with burst {FLEET_WORKERS * burst:g}), and a fleet of N "
            f"processes N × {rate:g}/s: size `rate_limit` to the API's limit divided by the "
            "number of processes.",
            f"fleet: bounds at {rtt * 1000:.0f} ms per GET: one process {single_bound:.1f} s "
            f"(rate {single_rate_bound:.1f} s; latency {single_latency_bound:.1f} s, "
            f"{DEFAULT_WORKERS} users at a time), Dask {fleet_bound:.1f} s (rate "
            f"{fleet_rate_bound:.1f} s; latency {fleet_latency_bound:.1f} s, {slots} partitions "
            f"at a time); measured {single:.1f} s and {fleet:.1f} s. CPU per user: the Dask "
            f"workers {workers_cpu * ms_per_user:.0f} ms (a `tracks_df` call and a Parquet write "
            f"per partition) against {single_cpu * ms_per_user:.0f} ms for the one process, "
            "client and emulator together. The emulator and the cluster's scheduler run in "
            f"this process, on the same {os.cpu_count()} logical cores as the workers.",
        ]

    def token_reuse(self) -> None:
        sb, count = self.sb, self.sizes.processes
        say(f"token: {count} fresh processes, one after another, one shared cache dir")
        cache = self.fresh_dir("token")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
        env |= sb.env | {"SCDATA_CACHE_DIR": str(cache)}
        code = "import sys, scdata; sys.exit(0 if scdata.user_info('jowymusic') else 3)"
        before = sb.token_exchanges
        durations = []
        for i in range(count):
            with timer() as t:
                proc = subprocess.run(
                    [sys.executable, "-c", code], env=env, capture_output=True, text=True
                )
            durations.append(t[0])
            if proc.returncode != 0:
                raise RuntimeError(f"token process {i} exited {proc.returncode}:\n{proc.stderr}")
        exchanges = sb.token_exchanges - before
        self.rows.append(
            Row(
                "token",
                f"client-credentials exchanges, {count} fresh processes sharing a cache dir "
                f"(`scdata.user_info('jowymusic')`, {sum(durations) / count:.2f} s each)",
                f"{exchanges}",
                f"{count} without a shared token",
                target=f"= {TARGET_EXCHANGES}",
                ok=exchanges == TARGET_EXCHANGES,
            )
        )

    def profiles(self, out_dir: Path) -> str:
        from _profile import profile

        assert self.warm_dir is not None
        cache, user = self.warm_dir, self.sizes.user
        say(f"profile: warm tracks_df({user!r})")
        parts = [profile("warm-pull", lambda: self.tracks_df(cache, user), out_dir, repeat=5)]
        n = self.sizes.normalise_n
        say(f"profile: normalisation of {n:,} tracks (normalise.scdata_frame)")
        pages = normalise.make_pages(n, 42)
        parts.append(
            profile("normalisation", lambda: normalise.scdata_frame(pages), out_dir, repeat=3)
        )
        return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, < 60 s (CI)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="emulator seconds per request (0.05)"
    )
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    parser.add_argument(
        "--profile", action="store_true", help="pyinstrument the warm and normalisation paths"
    )
    args = parser.parse_args(argv)
    if args.quick and args.write:
        parser.error(f"--write records the full benchmark in {RESULTS.name}; not with --quick")
    if args.latency < 0:
        parser.error("--latency must be >= 0")
    started = time.perf_counter()
    sizes = Sizes(args.quick)

    # nothing measured may read the user's credentials or cache
    for name in [k for k in os.environ if k.startswith(("SOUNDCLOUD_", "SCDATA_"))]:
        del os.environ[name]
    profile_text = None
    with tempfile.TemporaryDirectory(prefix="scdata-bench-") as root:
        os.environ["SCDATA_CACHE_DIR"] = str(Path(root) / "default-cache")
        artists = max(len(sizes.users), len(sizes.fleet))
        sandbox = Sandbox(latency=args.latency, artists=artists, token_budget=100_000)
        with sandbox as sb:
            bench = Bench(sb, Path(root), sizes)
            bench.warm_up()
            bench.rtt_small, bench.rtt_page = bench.round_trips()
            bench.one_user()
            bench.normalisation()
            bench.many_users()
            bench.fleet()
            bench.token_reuse()
            if args.profile:
                out = Path(tempfile.mkdtemp(prefix="scdata-bench-profiles-"))
                profile_text = bench.profiles(out)
    elapsed = time.perf_counter() - started

    about = machine(args.latency)
    about.append(
        (
            "measured round trip",
            f"median GET {bench.rtt_small * 1000:.0f} ms for a small answer (a 302), "
            f"{bench.rtt_page * 1000:.0f} ms for a page of {PAGE} tracks",
        )
    )
    mode = "quick" if args.quick else "full"
    print(f"scdata benchmark ({mode}), emulator latency {args.latency * 1000:g} ms per request")
    for label, value in about:
        print(f"  {label}: {value}")
    print()
    print(table(bench.rows))
    print()
    for note in bench.notes:
        print(f"note: {note}")
    if profile_text:
        print()
        print(profile_text)
    failed = [row for row in bench.rows if row.ok is False]
    print()
    print(
        f"{sum(row.ok is True for row in bench.rows)} targets pass, {len(failed)} fail"
        f"{' (' + '; '.join(f'{r.section}: {r.measure}' for r in failed) + ')' if failed else ''}"
        f"; took {elapsed:.0f} s"
    )
    if args.write:
        command = "python benchmarks/run.py --write"
        if args.latency != 0.05:
            command += f" --latency {shlex.quote(str(args.latency))}"
        if args.profile:
            command += " --profile"
        RESULTS.write_text(
            results_markdown(bench.rows, about, bench.notes, command, elapsed, profile_text)
        )
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
