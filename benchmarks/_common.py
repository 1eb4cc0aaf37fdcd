"""What every section shares: the sizes, the emulator, the :class:`Bench` context, timers.

The two settings the benchmark must not take from scdata's defaults live here, each in one
place:

- the client request rate: :attr:`Bench.rate` (``run.py --rate``, default :data:`DEFAULT_RATE`)
  reaches every ``scdata.Client`` through :meth:`Bench.client_options` and every process the
  benchmark starts (Dask workers, token processes) through :meth:`Bench.client_env`;
- the emulator: :func:`start_emulator` is the only place a ``Sandbox`` is built, in a
  process of its own (:mod:`_emulator`), so that its CPU does not compete with the client's
  for this process's GIL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import normalise
import pandas as pd
import requests
from _baselines import cached_session, fetch_token, naive_pull
from _emulator import RemoteSandbox
from _report import Row

import scdata

PAGE = 200  # scdata's page size
ORIGINAL_PAGE = 10  # the original service's getUserTracks default
# the benchmark's client rate (requests/s per process), not scdata's default: the figures
# compare pipelines at one fixed rate whatever scdata ships with
DEFAULT_RATE = 50.0
DEFAULT_LATENCY = 0.05  # emulator seconds per request
TOKEN_BUDGET = 100_000  # client-credentials exchanges the emulator allows in one run

STARTED = time.perf_counter()


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout), with the seconds since the start."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


class Sizes:
    """What one mode measures."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.user = "artist-001" if quick else "big-catalog"
        self.users = [f"artist-{i:03d}" for i in range(1, (3 if quick else 20) + 1)]
        self.processes = 2 if quick else 10
        self.fleet = [f"artist-{i:03d}" for i in range(1, (10 if quick else 200) + 1)]
        self.normalise_n = normalise.QUICK_N if quick else 100_000
        self.reps = 3  # runs of a second or more (naive warm loop, normalisation); the best is kept
        self.quick_reps = 40  # runs of milliseconds (warm pull and its floors): more, as cheap
        self.cli_reps = 5  # `scdata --help` and `python -c pass` runs; the best is kept

    @property
    def artists(self) -> int:
        """Generated artists the emulator needs (``artist-001`` ...)."""
        return max(len(self.users), len(self.fleet))


def start_emulator(latency: float, artists: int) -> RemoteSandbox:
    """The one place the benchmark builds its emulator (enter it with ``with``).

    Everything the benchmark needs from the emulator's defaults is spelled out here; an
    emulator that limits each app's request rate must be built with that limit off, or it
    would measure the emulator's limit instead of scdata's. It runs in a process of its own,
    as SoundCloud runs on machines of its own: in this process, its ~6 ms of CPU per page
    competed with the client for the GIL and cut the concurrent speed-ups it measures.
    """
    return RemoteSandbox(
        latency=latency,
        artists=artists,
        request_rate=0,  # production shapes, but no per-app limit: scdata's pace is measured
        token_app_limit=TOKEN_BUDGET,
        token_ip_limit=TOKEN_BUDGET,
    )


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


def without_scdata_environ(environment: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """``environment`` without any ``SOUNDCLOUD_*`` or ``SCDATA_*`` variable."""
    return {k: v for k, v in environment.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def best_time(func: Callable[[], object], reps: int) -> float:
    """The shortest of ``reps`` wall times of ``func()``.

    A run ends when ``func`` returns its result, as a caller's call does: the result is
    released after the clock stops, so freeing it (a frame's Python lists, a list of
    responses) is not counted, whichever side of a comparison it is on.
    """
    best = math.inf
    for _ in range(reps):
        with timer() as t:
            result = func()
        del result
        best = min(best, t[0])
    return best


def best_alternately(
    funcs: Sequence[Callable[[], object]], reps: int, block: int = 1
) -> list[float]:
    """The best of ``reps`` wall times of each of ``funcs``, run in turns of ``block`` runs.

    Taking turns, the functions see the same machine load, so their ratio measures their
    work rather than the moment each was run (a VM's neighbours come and go within seconds).
    """
    best = [math.inf] * len(funcs)
    done = 0
    while done < reps:
        n = min(block, reps - done)
        for i, func in enumerate(funcs):
            best[i] = min(best[i], best_time(func, n))
        done += n
    return best


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


def busiest_second(arrivals: list[float]) -> int:
    """The most requests that arrived within any one second."""
    arrivals = sorted(arrivals)
    best, i = 0, 0
    for j, t in enumerate(arrivals):
        while t - arrivals[i] >= 1.0:
            i += 1
        best = max(best, j - i + 1)
    return best


def cpu_seconds() -> float:
    """User + system CPU seconds of the calling process so far (also run on Dask workers)."""
    now = os.times()
    return now.user + now.system


def speed_up(baseline: float, measured: float) -> str:
    """``"2.10× faster"``, or ``"1.50× slower"`` when ``measured`` took longer."""
    if measured <= baseline:
        return f"{baseline / measured:.2f}× faster"
    return f"{measured / baseline:.2f}× slower"


@dataclasses.dataclass
class Bench:
    """One run's context: the emulator, a temporary root, the sizes, the client rate.

    Sections append their table rows to :attr:`rows` and their notes to :attr:`notes`.
    """

    sb: RemoteSandbox
    root: Path
    sizes: Sizes
    rate: float = DEFAULT_RATE
    rows: list[Row] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    rtt_small: float = math.nan  # median GET of a small answer, set by measure_round_trips
    rtt_page: float = math.nan  # median GET of a page of 200

    # -- the client rate, in one place -------------------------------------------------------------
    @property
    def burst(self) -> float:
        """The limiter's burst at :attr:`rate` (scdata's: ``max(1, rate)``)."""
        return max(1.0, self.rate)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of every ``scdata.Client`` the benchmark builds."""
        return {**self.sb.client_settings, "rate_limit": self.rate}

    def client_env(self, cache_dir: Path) -> dict[str, str]:
        """The same for the processes it starts, as environment variables."""
        return self.sb.env | {
            "SCDATA_RATE_LIMIT": str(self.rate),
            "SCDATA_CACHE_DIR": str(cache_dir),
        }

    def rate_note(self) -> str:
        return (
            f"client rate: every scdata client the benchmark runs (in this process, the Dask "
            f"workers and the token processes) is limited to {self.rate:g} requests/s (burst "
            f"{self.burst:g}), the benchmark's `--rate`, whatever scdata's default is."
        )

    # -- helpers -----------------------------------------------------------------------------------
    def fresh_dir(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))

    def client(self, cache_dir: Path, **settings: Any) -> scdata.Client:
        """A ``scdata.Client`` on the emulator; ``settings`` override the benchmark's."""
        return scdata.Client(**{**self.client_options(), "cache_dir": cache_dir, **settings})

    def tracks_df(self, cache_dir: Path, users: str | list[str], **settings: Any) -> pd.DataFrame:
        with self.client(cache_dir, **settings) as client:
            return client.tracks_df(users, progress=False)

    def token(self) -> str:
        """A token fetched with plain requests (for the baselines)."""
        return fetch_token(self.sb.token_url, self.sb.client_id, self.sb.client_secret)

    def gets(self) -> int:
        return self.sb.count(method="GET")

    def posts(self) -> int:
        return self.sb.count(method="POST")

    def get_arrivals(self) -> list[float]:
        """When each logged GET arrived (emulator clock)."""
        return [r.time for r in self.sb.requests if r.method == "GET"]

    def best_of(self, func: Callable[[], object]) -> float:
        return best_time(func, self.sizes.reps)

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def note(self, *notes: str) -> None:
        self.notes.extend(notes)


def warm_up(bench: Bench) -> None:
    """Import and first-call costs of both pipelines, paid before anything is timed."""
    sb = bench.sb
    latency, sb.latency = sb.latency, 0.0
    try:
        cache = bench.fresh_dir("warm-up")
        for _ in range(2):
            bench.tracks_df(cache, "jowymusic")
        token = bench.token()
        with requests.Session() as session:
            naive_pull(session, sb.url, token, "jowymusic")
        with cached_session(str(bench.fresh_dir("warm-up-naive") / "cache")) as session:
            for _ in range(2):
                naive_pull(session, sb.url, token, "jowymusic")
    finally:
        sb.latency = latency


def measure_round_trips(bench: Bench) -> None:
    """Median seconds of one GET at the emulator's latency: a small answer, a page of 200."""
    sb, token = bench.sb, bench.token()
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
    bench.rtt_small, bench.rtt_page = medians
