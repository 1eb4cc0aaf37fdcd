"""cold pull: one user's tracks with an empty cache, scdata against a naive ``requests`` loop."""

from __future__ import annotations

import dataclasses
import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import requests
from _baselines import naive_pull
from _common import ORIGINAL_PAGE, PAGE, Bench, say, timer
from _report import Row, seconds

if TYPE_CHECKING:
    from sections.requests_count import PagesOfTen


@dataclasses.dataclass
class Pull:
    """One timed pull and the requests it sent."""

    seconds: float
    gets: int
    posts: int


@dataclasses.dataclass
class ColdPulls:
    """scdata's and the naive loop's cold pulls of one user."""

    user: str
    track_count: int
    cache: Path  # scdata's cache dir, now warm
    access: str | None  # the `access` filter scdata sent, if any
    frame: pd.DataFrame
    naive_frame: pd.DataFrame
    scdata: Pull
    naive: Pull

    @property
    def label(self) -> str:
        return f"`{self.user}` ({self.track_count:,} tracks, {self.frame.shape[0]:,} rows)"


def access_filter_sent(bench: Bench) -> str | None:
    """The ``access`` filter of the logged ``/tracks`` requests (the naive loop sends the same)."""
    tracks = (r for r in bench.sb.requests if fnmatch.fnmatch(r.path, "*/tracks"))
    return next((r.query.get("access") for r in tracks), None)


def measure(bench: Bench) -> ColdPulls:
    """scdata's ``tracks_df(user)`` then the naive loop, both from nothing."""
    sb, user = bench.sb, bench.sizes.user
    track_count = sb.catalog.user(user)["track_count"]
    say(f"cold pull: scdata tracks_df({user!r}), empty cache")
    cache = bench.fresh_dir("scdata-one-user")
    sb.clear_log()
    with timer() as t:
        frame = bench.tracks_df(cache, user)
    scdata = Pull(t[0], bench.gets(), bench.posts())
    access = access_filter_sent(bench)

    say("cold pull: naive requests loop, pages of 200")
    sb.clear_log()
    with timer() as t, requests.Session() as session:
        naive_frame = naive_pull(session, sb.url, bench.token(), user, access)
    naive = Pull(t[0], bench.gets(), bench.posts())
    return ColdPulls(user, track_count, cache, access, frame, naive_frame, scdata, naive)


def same_frame(frame: pd.DataFrame, other: pd.DataFrame) -> str:
    """``"yes"``, or ``"no: "`` and the start of what differs."""
    try:
        pd.testing.assert_frame_equal(frame, other)
    except AssertionError as exc:
        return "no: " + " ".join(str(exc).split())[:80]
    return "yes"


def report(bench: Bench, cold: ColdPulls, ten: PagesOfTen) -> None:
    """The cold pull rows and the notes on rows, the naive loop and the emulator's stall."""
    mine, naive = cold.scdata.seconds, cold.naive.seconds
    bench.add(
        Row(
            "cold pull",
            f"wall time, empty cache, {cold.label}",
            seconds(mine),
            f"naive {seconds(naive)} ({cold.naive.gets:,} GETs)",
            f"{naive / mine:.2f}× faster",
        ),
        Row(
            "cold pull",
            f"wall time against pages of {ORIGINAL_PAGE} (requests + json.loads only)",
            seconds(mine),
            seconds(ten.seconds),
            f"{ten.seconds / mine:.1f}× faster",
        ),
        Row(
            "cold pull",
            "same DataFrame as the naive loop (assert_frame_equal)",
            same_frame(cold.frame, cold.naive_frame),
            f"{cold.naive_frame.shape[0]:,} × {cold.naive_frame.shape[1]}",
        ),
    )
    bench.note(rows_note(cold), naive_loop_note(cold.access), cold_times_note(bench))
    stall = stall_note(bench, ten)
    if stall:
        bench.note(stall)


def rows_note(cold: ColdPulls) -> str:
    rows, track_count, access = cold.frame.shape[0], cold.track_count, cold.access
    if rows < track_count:
        return (
            f"rows: {rows:,} of {track_count:,} tracks, because the API (and the emulator) "
            "filter `blocked` tracks out of each page after cutting it"
            + (f" (scdata asked for `access={access}`)." if access else ".")
        )
    return f"rows: {rows:,} of {track_count:,} tracks" + (
        f": scdata asked for `access={access}`, blocked ones included." if access else "."
    )


def naive_loop_note(access: str | None) -> str:
    return (
        "naive loop: keep-alive `requests.Session`, 1 `/resolve` read but not followed (as "
        "scdata), pages of 200 with `linked_partitioning=true` following `next_href` and "
        + (f"the same `access={access}` as scdata" if access else "no `access` (as scdata)")
        + ", "
        "`json.loads` per page, `pd.json_normalize` + the dtype fixes of "
        "`normalise.naive_frame`. Its warm run uses a plain SQLite `CachedSession` that "
        "also caches the 302, and reuses a token fetched before timing (scdata's warm run "
        "needs no token at all)."
    )


def cold_times_note(bench: Bench) -> str:
    return (
        "cold times include the token POST for every approach; they are dominated by "
        f"{bench.sb.latency * 1000:g} ms × the number of requests."
    )


def stall_note(bench: Bench, ten: PagesOfTen) -> str | None:
    """How much of the pages-of-10 time is the emulator's delayed-ACK stall, if there is one."""
    latency = bench.sb.latency
    stall = bench.rtt_small - latency
    if stall <= 0.010:
        return None
    return (
        f"emulator artefact: a small answer takes {bench.rtt_small * 1000:.0f} ms at "
        f"{latency * 1000:g} ms latency (a page of {PAGE}: "
        f"{bench.rtt_page * 1000:.0f} ms). The emulator sends headers and body in "
        "separate writes without TCP_NODELAY, so a small body waits for the client's "
        "delayed ACK (~40 ms; `SandboxHandler.disable_nagle_algorithm = True` removes "
        f"it). Pages of {ORIGINAL_PAGE} and `/resolve` are small: about {ten.gets:,} × "
        f"{stall * 1000:.0f} ms ≈ {ten.gets * stall:.0f} s of the {ten.seconds:.0f} s of pages of "
        f"{ORIGINAL_PAGE} is this stall, so the cold time ratio against it overstates "
        "what a real network would show; request counts are unaffected."
    )
