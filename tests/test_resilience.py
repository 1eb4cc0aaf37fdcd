"""Faults through the real stack: 5xx bursts, dropped connections, 429s, token expiry mid-walk."""

from __future__ import annotations

import time

import pytest

import scdata
from scdata.http.endpoints import FetchOptions
from scdata.http.refs import parse_user
from scdata.http.throttle import Throttle, WaitBudget
from scdata.storage.sharedstate import MemoryState

from .conftest import accessible
from .test_auth import make_client


def page_requests(sb):
    return [r for r in sb.requests if r.path.endswith("/tracks")]


@pytest.fixture
def fast_client(sandbox, cache_dir):
    # pacing is not what these tests are about (test_throttle.py is): the emulator's app limit
    # is raised to 60/s, burst 60, and the client paces at 50/s (burst 50), below both
    sandbox.request_rate, sandbox.request_burst = 60, 60
    return make_client(sandbox, cache_dir, max_retries=3, retry_backoff=0.05, rate_limit=50)


def test_burst_of_502_html_then_complete_result(fast_client, sandbox):
    sandbox.fail(path="/users/*/tracks", status=502, times=3, html=True)
    tracks = list(fast_client.iter_tracks("jowymusic"))
    assert [t["id"] for t in tracks] == [t["id"] for t in sandbox.catalog.tracks("jowymusic")]
    assert sandbox.count("/users/*/tracks", status=502) == 3


def test_persistent_5xx_raises_with_status_and_excerpt(fast_client, sandbox):
    sandbox.fail(path="/users/*/tracks", status=503, times=100, html=True)
    with pytest.raises(scdata.APIError) as info:
        fast_client.tracks("jowymusic")
    assert info.value.status == 503 and "<" in info.value.excerpt
    assert sandbox.count("/users/*/tracks", status=503) == 4  # 1 try + 3 retries


def test_error_answers_are_not_cached(fast_client, sandbox):
    sandbox.fail(path="/users/*/tracks", status=500, times=4, html=False)
    with pytest.raises(scdata.APIError):
        fast_client.tracks("jowymusic", limit=5)
    assert len(fast_client.tracks("jowymusic", limit=5)) == 5
    assert sandbox.count("/users/*/tracks", status=200) == 1


def test_dropped_connections_are_retried(fast_client, sandbox):
    sandbox.drop(path="/users/*/tracks", times=2)
    assert len(fast_client.tracks("jowymusic", limit=300)) == 300


def test_connection_that_never_answers_raises_clearly(fast_client, sandbox):
    sandbox.drop(path="/users/*/tracks", times=100)
    with pytest.raises(scdata.APIError, match="could not reach SoundCloud after 4 attempt"):
        fast_client.tracks("jowymusic", limit=5)


@pytest.mark.slow  # waits real seconds by design
def test_429_waits_for_reset_time_from_the_body(fast_client, sandbox):
    sandbox.rate_limit(path="/users/*/tracks", times=1, reset_in=2.0, shape="plays")
    started = time.monotonic()
    assert len(fast_client.tracks("jowymusic", limit=5)) == 5
    assert time.monotonic() - started >= 1.0  # the body said ~2 s; no Retry-After was sent
    assert sandbox.count("/users/*/tracks", status=429) == 1


def test_429_that_never_clears_raises_within_the_cap(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, max_retry_wait=5)
    sandbox.rate_limit(path="*", times=1000, reset_in=None, shape="plays")
    started = time.monotonic()
    with pytest.raises(scdata.RateLimitError) as info:
        client.user("jowymusic")
    assert time.monotonic() - started < 2  # the reset is far away: fail fast, don't wait
    message = str(info.value)
    assert "plays" in message and "resets after" in message
    assert info.value.reset_time is not None and info.value.limit_name == "plays"


def test_429_without_reset_backs_off_then_gives_up_at_the_cap(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, max_retry_wait=3)
    sandbox.rate_limit(path="*", times=1000, shape="edge")
    started = time.monotonic()
    with pytest.raises(scdata.RateLimitError, match="Rate Limit Exceeded") as info:
        client.user("jowymusic")
    # the first shared pause (SCDATA_THROTTLE_BACKOFF, 15 s) is beyond the 3 s cap: raise at once
    assert time.monotonic() - started < 2
    assert sandbox.count(status=429) == 1
    message = str(info.value)
    assert "gave no reset time" in message and "SCDATA_RATE_LIMIT" in message


@pytest.mark.slow  # a 10,000-track walk
def test_token_expiring_between_pages(fast_client, sandbox):
    ref = parse_user("big-catalog")
    pages = fast_client.track_pages(ref, None, FetchOptions())
    got = list(next(pages))
    sandbox.expire_tokens()
    for page in pages:
        got.extend(page)
    assert len(got) == len(accessible(sandbox.catalog.tracks("big-catalog")))  # API default access
    assert sandbox.refresh_exchanges == 1 and sandbox.token_exchanges == 1


@pytest.mark.slow  # a 10,000-track walk
def test_failed_page_raises_and_rerun_resumes_from_cache(fast_client, sandbox):
    walk = fast_client.iter_tracks("big-catalog")
    first = [next(walk) for _ in range(450)]  # pages 1-3 fetched
    sandbox.fail(path="/users/*/tracks", status=502, times=100)
    with pytest.raises(scdata.APIError):
        list(walk)
    sandbox.clear_faults()
    sandbox.clear_log()
    again = list(fast_client.iter_tracks("big-catalog"))
    assert [t["id"] for t in again[:450]] == [t["id"] for t in first]
    # pages 1-3 came from the cache: 50 pages + the empty one - 3 cached
    assert len(page_requests(sandbox)) == 51 - 3


def test_token_post_is_never_replayed(client, sandbox):
    sandbox.token_fault(status=500, times=1)
    with pytest.raises(scdata.AuthError, match="HTTP 500"):
        client.get_token()
    assert sandbox.count("/oauth/token") == 1


def test_offline_with_empty_cache_raises_without_a_request(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, offline=True)
    with pytest.raises(scdata.OfflineError, match="not in the cache"):
        client.user("jowymusic")
    assert sandbox.requests == []


def test_offline_answers_from_a_warm_cache(client, sandbox):
    expected = client.tracks("jowymusic")
    sandbox.clear_log()
    assert client.tracks("jowymusic", offline=True) == expected
    assert sandbox.requests == []


def test_refresh_refetches_and_replaces(client, sandbox):
    client.tracks("jowymusic", limit=5)
    sandbox.clear_log()
    client.tracks("jowymusic", limit=5, refresh=True)
    assert sandbox.count("/users/*/tracks") == 1 and sandbox.count("/resolve") == 1
    sandbox.clear_log()
    client.tracks("jowymusic", limit=5)
    assert sandbox.requests == []


def test_shared_pace_spaces_requests_after_the_burst():
    throttle = Throttle(MemoryState(), rate=20, backoff=15)
    started = time.monotonic()
    for _ in range(26):
        throttle.acquire(WaitBudget(60))
    # a burst of 20 (one second's worth), then 6 slots of 1/20 s
    assert 0.28 <= time.monotonic() - started < 1.0


def test_cache_hits_do_not_consume_the_rate_limit(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, rate_limit=2)
    user_id = sandbox.catalog.user("jowymusic")["id"]
    client.user(user_id)
    started = time.monotonic()
    for _ in range(20):
        client.user(user_id)
    assert time.monotonic() - started < 1.0  # 20 network calls at 2/s would take ~10 s


@pytest.mark.parametrize("kind", ["malformed", "truncated", "html", "shape"])
def test_broken_200_bodies_raise_and_are_never_cached(fast_client, sandbox, kind):
    sandbox.corrupt(path="/users/*/tracks", times=1, kind=kind)
    with pytest.raises(scdata.APIError) as info:
        fast_client.tracks("jowymusic", limit=5)
    assert info.value.status == 200
    # the broken answer left nothing behind: the next call asks again and gets the real page
    assert len(fast_client.tracks("jowymusic", limit=5)) == 5
    assert sandbox.count("/users/*/tracks") == 2
    sandbox.clear_log()
    fast_client.tracks("jowymusic", limit=5)
    assert sandbox.requests == []


@pytest.mark.slow  # paced at the real rate by design
def test_retries_consume_the_rate_limit(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, rate_limit=4, retry_backoff=0.001, max_retries=7)
    user_id = sandbox.catalog.user("jowymusic")["id"]
    client.get_token()
    sandbox.fail(path="/users/*", status=502, times=7, html=True)
    started = time.monotonic()
    client.user(user_id)  # 8 attempts, 4 free in the burst, 4 paced at 4/s
    assert time.monotonic() - started >= 0.9
    assert sandbox.count("/users/*") == 8


@pytest.mark.slow  # waits real seconds by design
def test_offline_answers_from_expired_entries_too(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, expire_after=1)
    expected = client.tracks("jowymusic", limit=250)
    frame = client.tracks_df("jowymusic", progress=False)
    client.user("jowymusic")
    time.sleep(1.2)  # every entry has expired
    sandbox.clear_log()
    assert client.tracks("jowymusic", limit=250, offline=True) == expected
    assert client.user("jowymusic", offline=True)["permalink"] == "jowymusic"
    assert len(client.tracks_df("jowymusic", offline=True)) == len(frame)
    assert sandbox.requests == []
