"""The shared back-off and pace, through the real stack: threads, processes sharing a cache dir.

A worker that meets throttling pauses every worker that shares its token; when the pause ends
exactly one probe goes out, and the pause doubles while probes are throttled. "One request per
pause" is checked on the emulator's log: the throttled answers come one at a time, separated by
at least the (jittered) pause, and nothing else reaches the server in between.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

import scdata
from scdata.http.throttle import JITTER
from scdata.sandbox import Sandbox

from .conftest import run_together
from .test_auth import make_client

BACKOFF = 0.3


def user_ids(sb: Sandbox, n: int) -> list[int]:
    return [u["id"] for u in sb.catalog.users()[:n]]


def wait_for_pause(client: scdata.Client, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not client.session.scdata_throttle.state.read().get("paused_until"):
        assert time.monotonic() < deadline, "no pause was recorded"
        time.sleep(0.01)


def assert_one_request_per_pause(sb: Sandbox, throttled: int, backoff: float = BACKOFF) -> None:
    """The first ``throttled`` answers are the only ones until the pause lifts, spaced out."""
    log = sorted((r for r in sb.requests if r.path.startswith("/users/")), key=lambda r: r.time)
    statuses = [r.status for r in log]
    assert statuses[:throttled] == [log[0].status] * throttled, statuses
    assert log[0].status in (429, 403) and log[throttled].status == 200, statuses
    assert all(status == 200 for status in statuses[throttled:]), statuses
    for k in range(1, throttled + 1):  # pause k lasts backoff × 2**(k-1), jittered
        gap = log[k].time - log[k - 1].time
        assert gap >= JITTER[0] * backoff * 2 ** (k - 1) - 0.02, (k, gap)


@pytest.mark.slow  # waits real seconds by design
def test_eight_threads_pause_together_and_one_probe_per_pause(sandbox, cache_dir, caplog):
    client = make_client(sandbox, cache_dir, cache="memory", rate_limit=0, throttle_backoff=BACKOFF)
    ids = user_ids(sandbox, 8)
    client.get_token()
    sandbox.rate_limit(path="/users/*", times=3, shape="edge")
    results: dict[int, object] = {}

    def fetch(i: int) -> None:
        try:
            results[i] = client.user(ids[i])["id"]
        except Exception as exc:
            results[i] = exc

    with caplog.at_level(logging.WARNING, logger="scdata"):
        first = threading.Thread(target=fetch, args=(0,))
        first.start()
        wait_for_pause(client)  # the other seven arrive while the app is paused
        others = [threading.Thread(target=fetch, args=(i,)) for i in range(1, 8)]
        for thread in others:
            thread.start()
        for thread in [first, *others]:
            thread.join(30)
    assert results == {i: ids[i] for i in range(8)}
    assert sandbox.count("/users/*", status=429) == 3
    assert sandbox.count("/users/*") == 3 + 8
    assert_one_request_per_pause(sandbox, throttled=3)
    pauses = [r for r in caplog.records if "pauses for" in r.getMessage()]
    assert len(pauses) == 3  # one WARNING per pause, not one per worker


@pytest.mark.slow  # waits real seconds by design
@pytest.mark.parametrize("shape", ["edge", "text", "standard", "plays", "bucket"])
def test_any_429_body_is_throttling_and_clears_after_one_pause(sandbox, cache_dir, shape):
    client = make_client(sandbox, cache_dir, rate_limit=0, throttle_backoff=BACKOFF)
    sandbox.rate_limit(path="/users/*", times=1, shape=shape, reset_in=0.2)
    started = time.monotonic()
    assert client.user(user_ids(sandbox, 1)[0])["kind"] == "user"
    assert sandbox.count("/users/*", status=429) == 1
    assert time.monotonic() - started >= 0.2


@pytest.mark.slow  # waits real seconds by design
def test_cloudfront_403_is_throttling_and_raises_blocked_error(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, throttle_backoff=BACKOFF, max_retry_wait=1)
    sandbox.fail(path="/users/*", status=403, html=True, times=1000)
    started = time.monotonic()
    with pytest.raises(scdata.BlockedError) as info:
        client.user(user_ids(sandbox, 1)[0])
    assert isinstance(info.value, scdata.RateLimitError)
    assert time.monotonic() - started < 1 + 1
    # 0.3 s, then 0.6 s: the third pause (1.2 s) is beyond what is left of the 1 s cap
    assert 2 <= sandbox.count("/users/*", status=403) <= 3
    message = str(info.value)
    for words in ("blocking this IP", "not a permission error", "minutes to hours",
                  "datacenter", "SCDATA_RATE_LIMIT"):  # fmt: skip
        assert words in message


def test_api_json_403_stays_a_final_api_error(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, throttle_backoff=BACKOFF)
    sandbox.fail(path="/users/*", status=403, html=False, times=1000)
    with pytest.raises(scdata.APIError) as info:
        client.user(user_ids(sandbox, 1)[0])
    assert info.value.status == 403
    assert sandbox.count("/users/*") == 1
    assert not client.session.scdata_throttle.state.read().get("paused_until")


@pytest.mark.slow  # waits real seconds by design
def test_429_gives_up_at_the_cap_after_backing_off(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, throttle_backoff=BACKOFF, max_retry_wait=2)
    sandbox.rate_limit(path="*", times=1000, shape="text")
    started = time.monotonic()
    with pytest.raises(scdata.RateLimitError) as info:
        client.user(user_ids(sandbox, 1)[0])
    assert time.monotonic() - started < 2 + 1
    assert 3 <= sandbox.count(status=429) <= 4  # 0.3 + 0.6 (+ 1.2) s, then 2.4 s is too long
    assert not isinstance(info.value, scdata.BlockedError)
    message = str(info.value)
    assert "throttling this app" in message and "gave no reset time" in message
    assert "waited" in message and "SCDATA_RATE_LIMIT" in message


@pytest.mark.slow  # waits real seconds by design
def test_pace_is_halved_after_throttling_and_recovers_gradually(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, cache="memory", rate_limit=10, throttle_backoff=0.1)
    ids = user_ids(sandbox, 21)
    client.get_token()
    started = time.monotonic()
    for user_id in ids[:10]:
        client.user(user_id)
    assert time.monotonic() - started < 0.5  # a burst of 10 at 10/s is allowed
    sandbox.rate_limit(path="/users/*", times=1, shape="edge")
    client.user(ids[10])  # throttled once: one pause, then the probe answers
    record = client.session.scdata_throttle.state.read()
    assert record["factor"] == pytest.approx(0.5 + 0.02)
    started = time.monotonic()
    for user_id in ids[11:21]:
        client.user(user_id)
    # no burst after a pause, ~5/s: 10 requests take about 1.6 s instead of none
    assert time.monotonic() - started >= 1.2
    assert client.session.scdata_throttle.state.read()["factor"] == pytest.approx(0.52 + 0.2)


@pytest.mark.slow  # waits real seconds by design
def test_rate_limit_zero_disables_the_pace_not_the_back_off(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, rate_limit=0, throttle_backoff=BACKOFF)
    ids = user_ids(sandbox, 12)
    client.get_token()
    started = time.monotonic()
    for user_id in ids[:10]:
        client.user(user_id)
    assert time.monotonic() - started < 0.5
    sandbox.rate_limit(path="/users/*", times=2, shape="edge")
    started = time.monotonic()
    client.user(ids[10])
    assert time.monotonic() - started >= JITTER[0] * BACKOFF * 3  # 0.3 s, then 0.6 s


PROCESS_CODE = """
import os, time
from scdata.storage.backends import shared_state
from scdata.storage.redis_store import RedisConnection
client = scdata.Client(throttle_backoff=float(os.environ["BACKOFF"]), rate_limit=0)
if WORKER == 1:  # arrive while the first worker's pause is on
    state = shared_state(client.settings, RedisConnection(client.settings.cache), "throttle")
    deadline = time.monotonic() + 20
    while not state.read().get("paused_until") and time.monotonic() < deadline:
        time.sleep(0.01)
print(client.user(int(os.environ["USER_ID"]))["id"])
"""


def worker_envs(sb: Sandbox, cache: str, dirs: list[str], ids: list[int]) -> list[dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return [
        {**base, **sb.env, "SCDATA_CACHE": cache, "SCDATA_CACHE_DIR": d,
         "BACKOFF": str(BACKOFF), "USER_ID": str(i)}
        for d, i in zip(dirs, ids, strict=True)
    ]  # fmt: skip


@pytest.mark.slow
def test_two_processes_sharing_a_cache_dir_pause_together(sandbox, cache_dir):
    ids = user_ids(sandbox, 2)
    scdata.Client(**sandbox.client_settings).get_token()  # one token file for both
    sandbox.rate_limit(path="/users/*", times=3, shape="text")
    envs = worker_envs(sandbox, "sqlite", [str(cache_dir)] * 2, ids)
    outs = run_together(PROCESS_CODE, envs)
    assert [int(out) for out in outs] == ids
    assert sandbox.count("/users/*") == 3 + 2
    assert_one_request_per_pause(sandbox, throttled=3)
