"""requests: the GETs scdata sends for one user, against the minimum and the original's pages."""

from __future__ import annotations

import dataclasses
import math

import requests
from _baselines import pages_of_ten
from _common import ORIGINAL_PAGE, PAGE, Bench, say, timer
from _report import Row

from sections.cold_pull import ColdPulls

TARGET_REQUEST_RATIO = 20.0  # at least this many times fewer GETs than pages of 10


@dataclasses.dataclass
class PagesOfTen:
    """The original service's way run literally: its time and requests."""

    seconds: float
    gets: int
    posts: int


def minimum_gets(track_count: int) -> int:
    """Pages of 200, the final empty page and one ``/resolve``."""
    return math.ceil(track_count / PAGE) + 1 + 1


def original_gets(track_count: int) -> int:
    """One ``/resolve`` and a page per 10 tracks (``track_count`` is given, not fetched)."""
    return 1 + math.ceil(track_count / ORIGINAL_PAGE)


def measure_pages_of_ten(bench: Bench, cold: ColdPulls) -> PagesOfTen:
    """Time and count the original service's ``limit=10&offset=...`` pages for the same user."""
    sb, user, track_count = bench.sb, cold.user, cold.track_count
    say(
        f"requests: the original service's pages of {ORIGINAL_PAGE} "
        f"({original_gets(track_count):,} GETs)"
    )
    sb.clear_log()
    with timer() as t, requests.Session() as session:
        pages_of_ten(session, sb.url, bench.token(), user, track_count)
    return PagesOfTen(t[0], bench.gets(), bench.posts())


def report(bench: Bench, cold: ColdPulls, ten: PagesOfTen) -> None:
    """The request-count rows and the note on what the minimum allows."""
    gets, track_count = cold.scdata.gets, cold.track_count
    minimum, original = minimum_gets(track_count), original_gets(track_count)
    bench.add(
        Row(
            "requests",
            f"GETs to fetch {cold.label}",
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
            f"{ten.gets:,}",
            f"{ten.gets / gets:.2f}× fewer",
            f"≥ {TARGET_REQUEST_RATIO:g}× fewer",
            ten.gets / gets >= TARGET_REQUEST_RATIO,
        ),
        Row(
            "requests",
            "token POSTs (client credentials), counted apart from the GETs",
            f"{cold.scdata.posts}",
            f"naive {cold.naive.posts}, pages of {ORIGINAL_PAGE} {ten.posts}",
        ),
    )
    bench.note(
        f"requests: minimum = ceil({track_count:,}/{PAGE}) pages + the final empty page + "
        f"1 `/resolve` = {minimum}. The original's pages of {ORIGINAL_PAGE} send 1 `/resolve`"
        f" + ceil({track_count:,}/{ORIGINAL_PAGE}) = {original:,} GETs (its `track_count` is "
        f"given, not fetched). So the best possible ratio is {original}/{minimum} = "
        f"{original / minimum:.2f}×: the ≥ {TARGET_REQUEST_RATIO:g}× target is arithmetically "
        "out of reach for this user even at the minimum."
    )
