"""The HTTP cache: hits, expiry, what is stored and what never is."""

from __future__ import annotations

import os
import stat
import time

import pytest

import scdata
from scdata.http.session import cache_path

from .test_auth import make_client


def test_second_identical_call_makes_no_request(client, sandbox):
    first = client.user("jowymusic")
    sandbox.clear_log()
    assert client.user("jowymusic") == first
    assert sandbox.requests == []


def test_resolve_302_is_stored_as_is_and_reused(client, sandbox):
    client.user("jowymusic")
    paths = [r.path for r in sandbox.requests if r.path != "/oauth/token"]
    assert paths == [
        "/resolve",
        f"/users/soundcloud:users:{sandbox.catalog.user('jowymusic')['id']}",
    ]
    sandbox.clear_log()
    client.tracks("jowymusic", limit=5)  # the cached 302 names the user: no second resolve
    assert [r.path for r in sandbox.requests if r.path != "/oauth/token"] == [
        f"/users/soundcloud:users:{sandbox.catalog.user('jowymusic')['id']}/tracks"
    ]


@pytest.mark.slow  # a 10,000-track walk
def test_a_full_walk_costs_the_minimum_of_requests(client, sandbox):
    tracks = list(client.iter_tracks("big-catalog"))
    pages = -(-len(sandbox.catalog.tracks("big-catalog")) // 200)
    api_requests = [r for r in sandbox.requests if r.path != "/oauth/token"]
    assert len(api_requests) == 1 + pages + 1  # resolve, full pages, the final empty page
    assert tracks


@pytest.mark.slow  # waits real seconds by design
def test_entries_expire_after_expire_after_seconds(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, expire_after=1)
    client.user(sandbox.catalog.user("jowymusic")["id"])
    time.sleep(1.2)
    sandbox.clear_log()
    client.user(sandbox.catalog.user("jowymusic")["id"])
    assert sandbox.count("/users/*") == 1


def test_errors_are_not_cached(client, sandbox):
    assert scdata.SoundCloudError
    for _ in range(2):
        with pytest.raises(scdata.UserNotFoundError):
            client.user("no-such-user-anywhere")
    assert sandbox.count("/resolve", status=404) == 2


def test_requests_carry_the_documented_headers(client, sandbox):
    client.user("jowymusic")
    api_calls = [r for r in sandbox.requests if r.path != "/oauth/token"]
    assert api_calls and all(r.auth_scheme == "OAuth" for r in api_calls)
    session = client.session
    assert session.headers["accept"] == "application/json; charset=utf-8"
    assert session.headers["User-Agent"].startswith(f"scdata/{scdata.__version__}")


def test_cache_file_and_directory_are_private(client, cache_dir):
    client.user("jowymusic")
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache_path(client.settings)).st_mode) == 0o600


def test_no_secret_or_token_in_the_cache_database(client, sandbox, cache_dir):
    client.user("jowymusic")
    client.tracks("jowymusic", limit=250)
    client.tracks_df("big-catalog", limit=450, progress=False)  # typed page copies too
    sandbox.expire_tokens()  # a second token, via refresh, also passes through
    client.user("big-catalog")
    store = client.tokens.store
    token = store.load()
    secrets = {
        sandbox.client_secret,
        token.access_token.reveal(),
        token.refresh_token.reveal(),
        client.settings.basic_authorization().split()[1],
    }
    client.close()
    files = [p for p in cache_dir.iterdir() if p.is_file() and p != store.path]
    assert any(p.name.startswith("http_cache") for p in files)
    assert any(p.name.startswith("arrow_pages") for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:6]}… found in {path.name}"


def test_cache_off_always_asks(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, cache="off")
    client.user(sandbox.catalog.user("jowymusic")["id"])
    client.user(sandbox.catalog.user("jowymusic")["id"])
    assert sandbox.count("/users/*") == 2
    assert not cache_path(client.settings).exists()


def test_memory_cache_keeps_nothing_on_disk(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, cache="memory")
    client.user("jowymusic")
    client.user("jowymusic")
    assert sandbox.count("/resolve") == 1
    assert not cache_dir.exists() or not any(cache_dir.iterdir())


def test_the_token_request_is_never_in_the_http_cache(client, sandbox):
    client.get_token()
    client.user("jowymusic")
    urls = list(client.session.cache.urls())
    assert urls and not any("/oauth" in url for url in urls)
