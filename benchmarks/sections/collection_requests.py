"""collections: requests and warm time of the collection functions (issue 12, point 8).

- **a collection of n items** (``followers_df`` of one user, by name): its pages against the
  minimum ``ceil(n/200)`` + at most one final empty page, and the one ``/resolve``; the owner
  lookup the collector does (``/users?urns=``, one request per 50 owners, which proves the user
  exists and gives the count the rows are checked against) is counted on its own line;
- **1,000 tracks by URN**: ``lookup_tracks`` (batches of 50) against one ``GET /tracks/{urn}``
  per track with plain ``requests`` (8 threads, keep-alive sessions);
- **followings of a user who follows 2,000+** (SoundCloud lists 2,000): at most 11 pages;
- **warm followers_df**: a new ``Client`` on the cold pull's cache against a naive loop on a
  warm ``requests_cache.CachedSession`` (pages of 200 following ``next_href``, ``json.loads``,
  ``pd.json_normalize``, dates parsed and counts made ``Int64``).

Request counts are read from the emulator's request log.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import requests
from _baselines import cached_session, follow_pages
from _common import PAGE, Bench, say, timer
from _report import Row, seconds

BATCH = 50  # SCDATA_BATCH_SIZE's default
TARGET_LOOKUP_RATIO = 40.0
TARGET_FOLLOWINGS_PAGES = 11
TARGET_WARM = 5.0
FOLLOWS_2000 = "empty-artist"  # follows 2,600 users; SoundCloud lists 2,000
COUNTS = ("followers_count", "followings_count", "track_count", "playlist_count",
          "public_favorites_count", "reposts_count", "likes_count", "comments_count")  # fmt: skip
SC_TIME = "%Y/%m/%d %H:%M:%S %z"


def sizes(bench: Bench) -> tuple[str, int]:
    """The user whose followers are pulled, and how many tracks are looked up."""
    return ("artist-002", 200) if bench.sizes.quick else ("big-catalog", 1000)


def minimum_pages(n: int) -> int:
    return math.ceil(n / PAGE)


def gets(bench: Bench, path: str) -> int:
    return bench.sb.count(method="GET", path=path)


# -- a collection of n items ----------------------------------------------------------------
def collection_requests(bench: Bench, user: str) -> tuple[Any, int]:
    """``followers_df(user)`` cold: adds its rows; returns the cache dir and the row count."""
    say(f"collections: followers_df({user!r}) cold")
    cache = bench.fresh_dir("collections-followers")
    bench.sb.clear_log()
    with timer() as t, bench.client(cache) as client:
        frame = client.followers_df(user, progress=False)
    n = len(frame)
    info = frame.attrs["scdata"]["inputs"][0]
    pages, resolves = gets(bench, "/users/*/followers"), gets(bench, "/resolve")
    lookups, total = gets(bench, "/users"), bench.gets()
    minimum = minimum_pages(n)
    bench.add(
        Row(
            "collections",
            f"GETs for followers_df({user!r}), {n:,} followers: pages + /resolve "
            f"({seconds(t[0])} cold)",
            f"{pages} pages + {resolves} /resolve",
            f"minimum {minimum} pages (+ ≤ 1 final empty) + 1 /resolve",
            f"{(pages + resolves) / (minimum + 1):.2f}×",
            "≤ minimum + 1 empty page",
            pages <= minimum + 1 and resolves == 1 and info["complete"],
        ),
        Row(
            "collections",
            "owner lookups of that call, apart (/users?urns=, 1 per 50 owners: proves the user "
            f"exists and gives followers_count to check the rows against); total GETs {total}",
            f"{lookups}",
            f"{math.ceil(1 / BATCH)} for 1 owner",
        ),
    )
    bench.note(
        f"collections: followers_df({user!r}) sent {pages} follower pages for {n:,} rows "
        f"(minimum ceil({n:,}/{PAGE}) = {minimum}; "
        f"{'no' if pages == minimum else 'one'} final empty page), 1 `/resolve` for the name, "
        f"and {lookups} owner lookup; expected {info['expected']:,}, got {info['got']:,}."
    )
    return cache, n


# -- lookups by URN ------------------------------------------------------------------------------
def one_by_one(bench: Bench, urns: list[str]) -> None:
    """``GET /tracks/{urn}`` per track, plain requests, 8 threads with their own sessions."""
    token = bench.token()
    local = threading.local()

    def get(urn: str) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        response = session.get(
            f"{bench.sb.url}/tracks/{urn}",
            headers={"Authorization": f"OAuth {token}"},
            timeout=30,
        )
        response.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, urns))


def lookups(bench: Bench, count: int) -> None:
    urns = [t["urn"] for t in bench.sb.catalog.tracks("big-catalog")[:count]]
    say(f"collections: lookup_tracks({count:,} URNs) against {count:,} single GETs")
    bench.sb.clear_log()
    with timer() as batched_t, bench.client(bench.fresh_dir("collections-lookup")) as client:
        frame = client.lookup_tracks(urns)
    batched = bench.gets()
    assert frame["urn"].tolist() == urns
    bench.sb.clear_log()
    with timer() as single_t:
        one_by_one(bench, urns)
    single = bench.gets()
    ratio = single / batched
    bench.add(
        Row(
            "collections",
            f"GETs to look up {count:,} tracks by URN (lookup_tracks, batches of {BATCH}; "
            f"{seconds(batched_t[0])} vs {seconds(single_t[0])} one by one on 8 threads)",
            f"{batched}",
            f"{single:,} one by one",
            f"{ratio:.1f}× fewer",
            f"= ceil({count:,}/{BATCH}) = {math.ceil(count / BATCH)}, ≥ "
            f"{TARGET_LOOKUP_RATIO:g}× fewer",
            batched == math.ceil(count / BATCH) and ratio >= TARGET_LOOKUP_RATIO,
        )
    )


# -- followings of a user who follows 2,000+ ---------------------------------------------
def followings(bench: Bench) -> None:
    say(f"collections: followings_df({FOLLOWS_2000!r})")
    bench.sb.clear_log()
    with bench.client(bench.fresh_dir("collections-followings")) as client:
        frame = client.followings_df(FOLLOWS_2000, progress=False)
    pages = gets(bench, "/users/*/followings")
    info = frame.attrs["scdata"]["inputs"][0]
    bench.add(
        Row(
            "collections",
            f"pages for followings_df({FOLLOWS_2000!r}): {len(frame):,} listed of "
            f"{info['expected']:,} followed (total GETs {bench.gets()} with /resolve and the "
            "owner lookup)",
            f"{pages}",
            f"minimum {minimum_pages(len(frame))} + ≤ 1 final empty page",
            "—",
            f"≤ {TARGET_FOLLOWINGS_PAGES}",
            pages <= TARGET_FOLLOWINGS_PAGES,
        )
    )


# -- warm followers_df --------------------------------------------------------------------
def naive_followers(session: requests.Session, api_url: str, token: str, urn: str) -> pd.DataFrame:
    """Pages of 200 following ``next_href``, ``json.loads``, ``pd.json_normalize``, dtypes."""
    headers = {"Authorization": f"OAuth {token}"}
    records = follow_pages(session, f"{api_url}/users/{urn}/followers", {"limit": PAGE}, headers)
    frame = pd.json_normalize(records)
    for column in ("created_at", "last_modified"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format=SC_TIME, utc=True)
    for column in COUNTS:
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def warm(bench: Bench, cache: Any, user: str, n: int) -> None:
    say(f"collections: warm followers_df({user!r}) against a naive loop on a warm cache")
    bench.sb.clear_log()

    def mine() -> None:
        with bench.client(cache) as client:
            client.followers_df(user, progress=False)

    mine_best = bench.best_of(mine)
    mine_gets = bench.gets()
    with bench.client(cache) as client:
        urn = client.user_urn(user)
    token = bench.token()
    naive_cache = str(bench.fresh_dir("collections-naive") / "http_cache")
    with cached_session(naive_cache) as session:
        rows = len(naive_followers(session, bench.sb.url, token, urn))  # fills the cache
    if rows != n:
        raise RuntimeError(f"the naive loop got {rows} followers, scdata {n}")

    def naive() -> None:
        with cached_session(naive_cache) as session:
            naive_followers(session, bench.sb.url, token, urn)

    bench.sb.clear_log()
    naive_best = bench.best_of(naive)
    naive_gets = bench.gets()
    bench.add(
        Row(
            "collections",
            f"warm followers_df({user!r}), {n:,} followers, new Client (best of "
            f"{bench.sizes.reps}; GETs sent: {mine_gets} / naive {naive_gets})",
            seconds(mine_best),
            f"naive json_normalize on CachedSession {seconds(naive_best)}",
            f"{naive_best / mine_best:.1f}× faster",
            f"≥ {TARGET_WARM:g}× faster",
            naive_best / mine_best >= TARGET_WARM,
        )
    )


def run(bench: Bench) -> None:
    user, count = sizes(bench)
    cache, n = collection_requests(bench, user)
    lookups(bench, count)
    followings(bench)
    warm(bench, cache, user, n)
