"""Tokens: one exchange shared by calls, threads and processes; renewal; errors without secrets."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

import scdata
from scdata.sandbox import Sandbox
from scdata.storage.tokens import FileTokenStore

from .conftest import TEST_PACE, run_together

TOKEN_PATH = "/oauth/token"


def make_client(sb: Sandbox, cache_dir, **kw) -> scdata.Client:
    kw.setdefault("rate_limit", TEST_PACE)  # unless the test is about pacing
    return scdata.Client(**sb.client_settings, cache_dir=cache_dir, **kw)


def test_token_is_reused_across_calls(client, sandbox):
    first = client.get_token()
    assert client.get_token() == first
    client.user("jowymusic")
    client.user("big-catalog")
    assert sandbox.count(TOKEN_PATH) == 1
    assert sandbox.token_exchanges == 1


def test_token_request_shape(client, sandbox):
    client.get_token()
    (record,) = [r for r in sandbox.requests if r.path == TOKEN_PATH]
    assert record.method == "POST" and record.grant_type == "client_credentials"


def test_sixteen_threads_share_one_exchange(client, sandbox):
    tokens: list[str] = []
    barrier = threading.Barrier(16)

    def work() -> None:
        barrier.wait()
        tokens.append(client.get_token())

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 16 and len(set(tokens)) == 1
    assert sandbox.token_exchanges == 1


@pytest.mark.slow  # other processes
def test_token_file_is_private_and_reused_by_a_fresh_process(client, sandbox, cache_dir):
    token = client.get_token()
    store = FileTokenStore(cache_dir, client.settings.token_key)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert json.loads(store.path.read_text())["access_token"] == token
    code = "import scdata; print(scdata.get_token())"
    env = {**os.environ, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == token
    assert sandbox.token_exchanges == 1


@pytest.mark.slow  # other processes
def test_two_processes_at_once_make_one_exchange(sandbox, cache_dir):
    code = "print(scdata.user_info('jowymusic')['permalink'], scdata.get_token()[:12])\n"
    env = {**os.environ, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}
    lines = {out.strip() for out in run_together(code, [env, env])}
    assert len(lines) == 1 and lines.pop().startswith("jowymusic ")
    assert sandbox.token_exchanges == 1


@pytest.mark.slow  # waits real seconds by design
def test_expired_token_is_renewed_with_the_refresh_grant(sandbox, cache_dir):
    with Sandbox(token_ttl=2) as sb:  # renewed 0.2 s (10 % of its lifetime) before expiry
        client = make_client(sb, cache_dir)
        first = client.get_token()
        time.sleep(1.9)
        second = client.get_token()
        assert second != first
        assert (sb.token_exchanges, sb.refresh_exchanges) == (1, 1)
        refresh = [r for r in sb.requests if r.path == TOKEN_PATH][-1]
        assert refresh.grant_type == "refresh_token"


def test_failed_refresh_falls_back_to_client_credentials(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir)
    client.get_token()
    store = FileTokenStore(cache_dir, client.settings.token_key)
    stale = store.load()
    # spend the refresh token elsewhere (single use), then let ours expire
    import requests

    requests.post(
        sandbox.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": stale.refresh_token.reveal(),
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
        timeout=5,
    ).raise_for_status()
    store.save(stale.expired_copy())
    fresh = make_client(sandbox, cache_dir)
    assert fresh.get_token() != stale.access_token.reveal()
    assert sandbox.token_exchanges == 2


def test_api_401_renews_once_and_repeats(client, sandbox):
    client.user("jowymusic")
    sandbox.expire_tokens()
    user = client.user("big-catalog")
    assert user["permalink"] == "big-catalog"
    statuses = [r.status for r in sandbox.requests if r.path.startswith("/resolve")]
    assert statuses == [302, 401, 302]
    assert sandbox.refresh_exchanges == 1 and sandbox.token_exchanges == 1


def test_repeated_401_is_an_auth_error(client, sandbox):
    client.get_token()
    sandbox.fail(path="/resolve", status=401, times=2, html=False)
    with pytest.raises(scdata.AuthError, match=r"^Fallo en la autenticación de SoundCloud"):
        client.user("jowymusic")


@pytest.mark.parametrize(
    ("status", "code"), [(401, "invalid_client"), (429, "rate_limit_exceeded")]
)
def test_token_failures_raise_auth_error_without_secrets(client, sandbox, status, code):
    sandbox.token_fault(status=status, times=1)
    with pytest.raises(scdata.AuthError) as info:
        client.get_token()
    message = str(info.value)
    assert message.startswith("Fallo en la autenticación de SoundCloud")
    assert str(status) in message and code in message
    assert sandbox.client_secret not in message
    assert client.settings.basic_authorization() not in message
    if status == 429:
        assert "budget" in message and "50" in message


def test_wrong_secret_is_invalid_client(sandbox, cache_dir):
    client = scdata.Client(**{**sandbox.client_settings, "client_secret": "wrong"},
                           cache_dir=cache_dir)  # fmt: skip
    with pytest.raises(scdata.AuthError, match="401 invalid_client"):
        client.get_token()


def test_compat_get_token_uses_environment(sandbox_env, sandbox):
    assert scdata.get_token() == scdata.get_token()
    assert sandbox.token_exchanges == 1


def test_fully_cached_run_makes_no_token_request(client, sandbox, cache_dir):
    client.user("jowymusic")
    client.tracks("jowymusic", limit=5)
    FileTokenStore(cache_dir, client.settings.token_key).clear()
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as again:
        again.user("jowymusic")
        again.tracks("jowymusic", limit=5)
    assert sandbox.requests == []
