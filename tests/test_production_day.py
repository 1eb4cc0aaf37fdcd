"""A production day: a 200-user export through every wall the real SoundCloud puts up.

The emulator runs in production mode (a per-app request limit, the edge's 429, rolling token
windows that count failures) and, while the export runs, SoundCloud's edge blocks the IP for a
spell, the token endpoint has an outage just as the token expires, 1 % of answers are 5xx, and
one user is deleted. The export is run the way a nightly job runs it: again after a stop, until
it is complete. At the end every reachable user's rows are in the dataset exactly once, the
manifest names the deleted user, the outage cost at most two token requests, and the blocked
spell saw no request beyond the back-off's probes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import scdata
from scdata.datasets.export import manifest_path
from scdata.sandbox import Sandbox

USERS = [f"artist-{k:03d}" for k in range(1, 201)]
DELETED = "artist-200"  # the last user: its turn comes after the deletion
TRACKS = 30  # per user: one page each
WORKERS = 4
BLOCK_AT, BLOCK_FOR = 1.5, 3.0  # seconds after the start, how long
OUTAGE_AT, OUTAGE_FOR = 14.0, 3.0  # after the names are resolved, mid-export
DELETE_AT = 3.0


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    # production mode; the app limit is raised from 10/s so the day fits in a test, and the
    # client is paced above it, so the limit is met and the shared back-off slows everyone
    with Sandbox(artists=200, artist_tracks=TRACKS, request_rate=30, request_burst=30) as sandbox:
        yield sandbox


def make_client(sb: Sandbox, cache_dir: Path) -> scdata.Client:
    return scdata.Client(
        **sb.client_settings,
        cache_dir=cache_dir,
        rate_limit=40,  # above the emulator's 30/s: it will throttle
        throttle_backoff=0.5,
        max_retry_wait=20,  # the blocked spell (3 s) is waited through, probing
        token_cooldown=4,  # the outage (3 s) stops the run; the next run finds it over
        retry_backoff=0.05,
        max_retries=4,
    )


def schedule(at: float, action) -> threading.Timer:
    timer = threading.Timer(at, action)
    timer.daemon = True
    timer.start()
    return timer


def wait_for_the_shared_pause(client: scdata.Client) -> None:
    """Time passes between nightly runs: sleep until the client's shared pause is over."""
    until = client.session.scdata_throttle.state.read().get("paused_until") or 0
    time.sleep(max(0.0, until - time.time()) + 0.1)


@pytest.mark.slow
def test_a_200_user_export_survives_a_production_day(sb: Sandbox, cache_dir, tmp_path):
    out = tmp_path / "tracks"
    reachable = {t["urn"] for u in USERS if u != DELETED for t in sb.catalog.tracks(u)}
    sb.error_rate(0.01, status=503, seed=7)
    outage: dict[str, float] = {}

    def token_outage() -> None:
        outage["start"] = time.time()
        sb.token_outage(OUTAGE_FOR, kind="500")
        sb.expire_tokens()  # the token runs out just as the endpoint fails

    block: dict[str, float] = {}

    def block_ip() -> None:
        block["start"] = time.time()
        sb.block_ip(BLOCK_FOR)

    timers = [
        schedule(BLOCK_AT, block_ip),
        schedule(DELETE_AT, lambda: sb.delete_user(DELETED)),
        schedule(OUTAGE_AT, token_outage),
    ]
    runs: list[tuple[str, pd.DataFrame]] = []
    with make_client(sb, cache_dir) as client:
        started = time.time()
        for _ in range(8):
            try:
                manifest = scdata.export_tracks(USERS, out, client=client, workers=WORKERS)
                runs.append(("finished", manifest))
            except (scdata.RateLimitError, scdata.AuthError) as stop:
                runs.append((type(stop).__name__, stop.manifest))  # type: ignore[attr-defined]
            entries = runs[-1][1].set_index("user")
            if (entries.drop(index=DELETED)["status"] == "ok").all() and "start" in outage:
                break
            wait_for_the_shared_pause(client)
            time.sleep(max(0.0, outage.get("start", 0) + OUTAGE_FOR + 4.5 - time.time()))
        elapsed = time.time() - started
    for timer in timers:
        timer.cancel()

    # every reachable user's rows exactly once; the deleted user named, with its error
    entries = runs[-1][1].set_index("user")
    assert (entries.drop(index=DELETED)["status"] == "ok").all(), runs
    assert entries.loc[DELETED, "status"] == "failed"
    assert "No se pudo encontrar al usuario" in entries.loc[DELETED, "error"]
    dataset = scdata.read_parquet(out)
    assert dataset["urn"].is_unique
    assert len(reachable) == (len(USERS) - 1) * TRACKS
    # a user deleted after its export keeps the rows exported before: only reachable ones here
    assert reachable <= set(dataset["urn"])
    assert len(dataset) - len(reachable) in (0, TRACKS)
    assert len(runs) >= 2, "the token outage stops a run; the next one completes it"

    # run 1 stopped at the token outage with users done, failed and not attempted; run 2 finished
    first = runs[0][1]["status"].value_counts()
    assert (
        runs[0][0] == "AuthError" and first.get("ok", 0) > 0 and first.get("not_attempted", 0) > 0
    )

    # the token outage: at most two token requests while it lasted
    log = sb.requests
    in_outage = [
        r
        for r in log
        if r.path.endswith("/oauth/token")
        and outage["start"] <= r.time < outage["start"] + OUTAGE_FOR
    ]
    assert 1 <= len(in_outage) <= 2, in_outage

    # the blocked spell: the requests in flight when it began, then only the back-off's probes
    blocked = [r for r in log if r.cause == "block"]
    assert blocked, "the spell was met"
    probes_possible = 1 + int(BLOCK_FOR / 0.5).bit_length()  # pauses 0.5, 1, 2, 4 s...
    assert len(blocked) <= WORKERS + probes_possible, [(r.time - block["start"]) for r in blocked]

    # the app limit was met and the back-off slowed everyone instead of hammering it
    throttled = sb.count(cause="throttle")
    assert throttled <= WORKERS * 4, throttled
    assert elapsed < 120
    manifest_file = manifest_path(out)
    assert manifest_file.exists()


FLEET_CODE = """
import os
client = scdata.Client(throttle_backoff=0.5, max_retry_wait=30)
users = [int(u) for u in os.environ["USER_IDS"].split(",")]
print(len(client.tracks_df(users, progress=False)))
"""
FLEET_RATE = 20.0  # requests per second for the whole fleet (SCDATA_RATE_LIMIT, shared)


@pytest.mark.slow
def test_four_processes_sharing_redis_slow_down_together_through_a_throttling_spell(tmp_path):
    from .conftest import run_together
    from .redis_server import redis_server

    with (
        redis_server() as redis_url,
        Sandbox(artists=12, artist_tracks=450, request_rate=0) as sb,
    ):
        ids = [u["id"] for u in sb.catalog.users() if u["permalink"].startswith("artist-")]
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
        envs = [
            {**base, **sb.env, "SCDATA_CACHE": redis_url,
             "SCDATA_CACHE_DIR": str(tmp_path / f"w{i}"), "SCDATA_RATE_LIMIT": str(FLEET_RATE),
             "USER_IDS": ",".join(map(str, ids[i::4]))}
            for i in range(4)
        ]  # fmt: skip
        spell: dict[str, float] = {}

        def start_the_spell() -> None:  # once the fleet is under way
            while sb.count("/users/*/tracks") < 15:
                time.sleep(0.01)
            spell["start"] = time.time()
            sb.incident(1.0)

        watcher = threading.Thread(target=start_the_spell, daemon=True)
        watcher.start()
        outs = run_together(FLEET_CODE, envs)
        watcher.join(5)

        assert sum(int(out) for out in outs) == len(ids) * 450
        pages = sorted((r for r in sb.requests if r.path.endswith("/tracks")), key=lambda r: r.time)
        before = [r.time for r in pages if r.time < spell["start"]]
        during = [r for r in pages if spell["start"] <= r.time < spell["start"] + 1.0]
        after = [r.time for r in pages if r.time >= spell["start"] + 1.0 and r.status == 200]
    # one pace for the fleet before the spell: 20/s in all (a burst of at most one second's worth)
    assert len(before) <= FLEET_RATE * (before[-1] - before[0]) + FLEET_RATE + 1
    # during the spell: what was in flight (one per worker thread at most) and the probes
    assert len([r for r in during if r.status == 429]) <= 4 * 8 + 3
    # after it, the whole fleet sends at the shared, reduced pace: at most half of 20/s over the
    # first two seconds (four processes pacing alone would send four times the full pace)
    first_two_seconds = [t for t in after if t < after[0] + 2.0]
    assert len(first_two_seconds) <= 0.5 * FLEET_RATE * 2.0 + 2, len(first_two_seconds)
