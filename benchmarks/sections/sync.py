"""sync: one nightly ``scdata.sync`` of a roster against the naive loop, requests and time.

The roster is the fleet's artists (200, or 10 with ``--quick``), synced into a new store: every
profile and every track. First the run that resolves the names (pinned in ``watch.json``), then
the nightly run (``refresh=True`` answers, nothing resolved again). Its GETs are compared with
the minimum for what it observes: ``ceil(n/50)`` batch lookups of the profiles plus each
artist's track list in pages of 200 (``ceil(track_count/200)`` and the final empty page a
cursor list ends with); and no URL may be asked twice
in one run. The baseline is the loop a label writes by hand with scdata's own functions: for
each artist, ``users_df(artist, refresh=True)`` and ``tracks_df(artist, refresh=True)``.
"""

from __future__ import annotations

import math
from collections import Counter

from _common import Bench, say, speed_up, timer
from _report import Row, seconds

import scdata


def _urls(bench: Bench) -> Counter[str]:
    return Counter(
        r.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(r.query.items()))
        for r in bench.sb.requests
        if r.method == "GET"
    )


def run(bench: Bench) -> None:
    roster = list(bench.sizes.fleet)
    n = len(roster)
    counts = [bench.sb.catalog.user(a)["track_count"] for a in roster]
    # a cursor list ends with an empty page (API-NOTES-2 §2): ceil(count/200) + 1 per artist
    minimum = math.ceil(n / 50) + sum(math.ceil(c / 200) + 1 for c in counts)
    store = bench.fresh_dir("sync-store") / "store"
    cache = bench.fresh_dir("sync-cache")

    say(f"sync: scdata.sync of {n} artists, first run (resolves the names)")
    bench.sb.clear_log()
    with timer() as first_t, bench.client(cache) as client:
        first = scdata.sync(roster, store, client=client)
    first_gets = bench.gets()

    say("sync: the nightly run, a day later (names pinned, every answer fresh)")
    bench.sb.advance(days=1)  # the emulator's clock: the next night's answers are dated then
    bench.sb.clear_log()
    with timer() as t, bench.client(cache) as client:
        nightly = scdata.sync(roster, store, client=client)
    urls = _urls(bench)
    gets, repeated = sum(urls.values()), sum(c - 1 for c in urls.values() if c > 1)

    say(f"sync: the naive loop, users_df + tracks_df per artist, {n} artists")
    bench.sb.clear_log()
    with timer() as naive_t, bench.client(bench.fresh_dir("sync-naive")) as client:
        rows = 0
        for artist in roster:
            client.users_df(artist, refresh=True)
            rows += len(client.tracks_df(artist, refresh=True, progress=False))
    naive_gets = bench.gets()

    history = len(scdata.history_df(store, "tracks"))
    bench.add(
        Row(
            "sync",
            f"GETs of one nightly sync of {n} artists (profiles + every track)",
            f"{gets:,}",
            f"minimum {minimum:,} = ceil({n}/50) batches + pages of 200 + final pages",
            f"{gets / minimum:.2f}×",
            "= minimum",
            gets <= minimum,
        ),
        Row("sync", "URLs asked twice in one sync", f"{repeated}", "—", "—", "0", repeated == 0),
        Row(
            "sync",
            f"GETs against the naive loop (users_df + tracks_df per artist, {n} artists)",
            f"{gets:,}",
            f"{naive_gets:,}",
            f"{naive_gets / gets:.2f}× fewer",
            "fewer",
            gets < naive_gets,
        ),
        Row(
            "sync",
            f"wall time of the nightly sync against the naive loop ({n} artists)",
            seconds(t[0]),
            seconds(naive_t[0]),
            speed_up(naive_t[0], t[0]),
            "faster",
            t[0] < naive_t[0],
        ),
        Row(
            "sync",
            f"first sync (resolves {n} names): GETs and wall time",
            f"{first_gets:,} GETs, {seconds(first_t[0])}",
        ),
        Row(
            "sync",
            "rows observed: tracks of the nightly run (= the naive loop's), history after two",
            f"{nightly.observed['tracks']:,} / {history:,}",
            f"{rows:,} tracks (naive)",
            "—",
            "all, once per run",
            nightly.observed["tracks"] == rows
            and history == first.observed["tracks"] + nightly.observed["tracks"],
        ),
    )
