"""The token circuit breaker, refresh requests with one client-authentication method, the
refresh fallback and what ``scdata cache info`` says about tokens (issue 10)."""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from datetime import UTC, datetime

import pytest

import scdata
import scdata.http.auth
from scdata.cli.cache import cache_report
from scdata.sandbox import Sandbox
from scdata.storage.tokens import FileTokenStore, MemoryTokenStore

from .conftest import run_together
from .token_server import token_server

TOKEN_PATH = "/oauth/token"


def make_client(sb: Sandbox, cache_dir, **kw) -> scdata.Client:
    return scdata.Client(**sb.client_settings, cache_dir=cache_dir, **kw)


@pytest.mark.slow  # waits real seconds by design
def test_eight_threads_during_an_outage_send_one_token_request(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30)
    sandbox.token_fault(status=500, times=100)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(user: str) -> None:
        barrier.wait()
        try:
            client.user(user)
        except scdata.AuthError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in ["jowymusic", "big-catalog"] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sandbox.count(TOKEN_PATH) == 1
    kinds = sorted(type(e).__name__ for e in errors)
    assert kinds == ["AuthError"] + ["TokenCooldownError"] * 7
    (first,) = [e for e in errors if type(e) is scdata.AuthError]
    assert "HTTP 500" in str(first) and "no new token request until" in str(first)


def test_one_call_with_retries_sends_one_token_request(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30, retry_backoff=0.01)
    sandbox.token_fault(status=503, times=100)
    for _ in range(3):  # a notebook cell re-run three times during the outage
        with pytest.raises(scdata.AuthError):
            client.tracks_df("jowymusic", progress=False)
    assert sandbox.count(TOKEN_PATH) == 1


def test_cooldown_error_says_when_and_why_without_secrets(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30)
    sandbox.token_fault(status=429, times=1)
    with pytest.raises(scdata.AuthError, match="429 rate_limit_exceeded"):
        client.get_token()
    before = datetime.now(UTC)
    with pytest.raises(scdata.TokenCooldownError) as info:
        client.user("jowymusic")
    error = info.value
    message = str(error)
    assert isinstance(error, scdata.AuthError)
    assert message.startswith("Fallo en la autenticación de SoundCloud: no token request until ")
    assert 28 <= (error.retry_at - before).total_seconds() <= 30.5
    assert f"{error.retry_at:%Y-%m-%d %H:%M:%S} UTC" in message
    assert "(in 30 s)" in message or "(in 29 s)" in message
    assert "HTTP 429 rate_limit_exceeded (client_credentials)" in message
    assert "SCDATA_TOKEN_COOLDOWN" in message
    assert sandbox.client_secret not in message
    assert client.settings.basic_authorization().split()[1] not in message
    assert sandbox.count(TOKEN_PATH) == 1


@pytest.mark.slow  # waits real seconds by design
def test_cooldown_expires_then_one_new_attempt_and_it_doubles_while_failing(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=0.4)
    sandbox.token_fault(status=500, times=2)
    with pytest.raises(scdata.AuthError, match="HTTP 500"):
        client.get_token()
    with pytest.raises(scdata.TokenCooldownError):
        client.get_token()
    time.sleep(0.45)
    with pytest.raises(scdata.AuthError, match="HTTP 500") as second:
        client.get_token()  # one new attempt, which fails again: 0.8 s this time
    assert not isinstance(second.value, scdata.TokenCooldownError)
    assert sandbox.count(TOKEN_PATH) == 2
    time.sleep(0.45)
    with pytest.raises(scdata.TokenCooldownError):
        client.get_token()
    assert sandbox.count(TOKEN_PATH) == 2
    time.sleep(0.4)
    assert client.user("jowymusic")["permalink"] == "jowymusic"
    assert sandbox.count(TOKEN_PATH) == 3
    record = client.tokens.breaker.state.read()
    assert record["consecutive_failures"] == 0 and record["open_until"] == 0


@pytest.mark.parametrize(
    ("arm", "match"),
    [
        (lambda sb: sb.corrupt(TOKEN_PATH, kind="shape"), "200 without an access_token"),
        (lambda sb: sb.delay(TOKEN_PATH, seconds=1.5), r"could not be reached \(ReadTimeout\)"),
        (lambda sb: sb.drop(TOKEN_PATH), "could not be reached"),
        (lambda sb: sb.token_fault(401), "HTTP 401 invalid_client"),
    ],
)
def test_every_kind_of_failure_opens_the_breaker(sandbox, cache_dir, arm, match):
    client = make_client(sandbox, cache_dir, token_cooldown=30, timeout=0.5)
    arm(sandbox)
    with pytest.raises(scdata.AuthError, match=match):
        client.get_token()
    with pytest.raises(scdata.TokenCooldownError):
        client.get_token()
    assert sandbox.count(TOKEN_PATH) <= 1  # a timed-out request is logged when it completes


def test_cloudfront_403_page_on_the_token_host_says_the_ip_is_blocked(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30)
    sandbox.token_fault(status=403, times=1)  # the CDN's HTML "Request blocked." page
    with pytest.raises(scdata.AuthError) as info:
        client.get_token()
    message = str(info.value)
    assert "HTTP 403" in message and "blocked at SoundCloud's edge" in message
    assert "datacenter IP?" in message and "<" not in message
    with pytest.raises(scdata.TokenCooldownError, match="CloudFront 403 page"):
        client.get_token()


def test_recorded_cloudfront_403_sample_is_recognised(cache_dir):
    sample = scdata_sample("issue521_token_403_cloudfront_datacenter_ip_2026.json")
    with token_server() as server:
        server.answers.append((403, sample))  # served as JSON content type: body sniffed
        client = scdata.Client(client_id="id", client_secret="s", token_url=server.url,
                               cache="memory", token_cooldown=30)  # fmt: skip
        with pytest.raises(scdata.AuthError, match="blocked at SoundCloud's edge"):
            client.get_token()


def scdata_sample(name: str) -> str:
    import json

    from .conftest import SHARED

    path = SHARED / "soundcloud-api" / "samples" / name
    if not path.exists():
        pytest.skip(f"../shared/soundcloud-api/samples/{name} is not available")
    return json.loads(path.read_text())["body"]


def test_api_401_to_fresh_tokens_renews_once_then_auth_error(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30)
    client.get_token()
    sandbox.fail(path="/resolve", status=401, times=100, html=False)  # the API refuses tokens
    with pytest.raises(scdata.AuthError, match="401 again"):
        client.user("jowymusic")
    for _ in range(4):
        with pytest.raises(scdata.TokenCooldownError, match="rejected a freshly issued token"):
            client.user("big-catalog")
    assert sandbox.count(TOKEN_PATH) == 2  # the first token and one renewal, no storm
    assert sandbox.count("/resolve") == 3


ASK_FOR_A_TOKEN = (  # a worker process: what one token request came to
    "try:\n"
    "    scdata.get_token()\n"
    "    print('ok')\n"
    "except scdata.TokenCooldownError:\n"
    "    print('cooldown')\n"
    "except scdata.AuthError:\n"
    "    print('failed')\n"
)


@pytest.mark.slow  # two interpreters on a loaded machine
def test_breaker_is_shared_by_two_processes_on_one_cache_dir(sandbox, cache_dir):
    sandbox.token_fault(status=500, times=100)
    code = ASK_FOR_A_TOKEN
    env = {**os.environ, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir),
           "SCDATA_TOKEN_COOLDOWN": "30"}  # fmt: skip
    outs = sorted(out.strip() for out in run_together(code, [env, env]))
    assert outs == ["cooldown", "failed"]
    assert sandbox.count(TOKEN_PATH) == 1


# -- refresh: one client-authentication method -------------------------------------------------
@pytest.mark.slow  # waits real seconds by design
def test_refresh_sends_credentials_in_the_form_only(cache_dir):
    with Sandbox(token_ttl=1, artists=0) as sb:  # renewed 0.1 s before expiry
        client = make_client(sb, cache_dir)
        client.get_token()
        time.sleep(1.0)
        client.get_token()
        records = [(r.grant_type, r.auth_scheme, r.status) for r in sb.requests]
        assert records == [("client_credentials", "Basic", 200), ("refresh_token", None, 200)]
        assert (sb.token_exchanges, sb.refresh_exchanges) == (1, 1)


def test_refresh_request_shape_with_a_secret_and_with_authorization_only(cache_dir):
    basic = "Basic " + base64.b64encode(b"id:s3cret").decode()
    with token_server() as server:
        for settings in ({"client_secret": "s3cret"}, {"authorization": basic}):
            server.seen.clear()
            server.issued = 0
            manager = scdata.http.auth.TokenManager(
                scdata.config.Settings.load({}, client_id="id", token_url=server.url, **settings),
                MemoryTokenStore(),
            )
            token = manager.get()
            manager.invalidate(token)  # as after an API 401: renewed with the refresh grant
            assert manager.get() != token
            grant, refresh = server.seen
            assert grant.form == {"grant_type": "client_credentials"}
            assert grant.headers["authorization"] == basic
            if "client_secret" in settings:
                assert "authorization" not in refresh.headers
                assert refresh.form == {"grant_type": "refresh_token", "refresh_token": "refresh-1",
                                        "client_id": "id", "client_secret": "s3cret"}  # fmt: skip
            else:
                assert refresh.headers["authorization"] == basic
                assert refresh.form == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}


@pytest.mark.slow  # waits real seconds by design
def test_refused_refresh_falls_back_with_one_warning_and_a_count(cache_dir, caplog, monkeypatch):
    monkeypatch.setattr(scdata.http.auth, "_fallback_warned", False)
    with Sandbox(token_ttl=1, artists=0) as sb:
        client = make_client(sb, cache_dir)
        client.get_token()
        with caplog.at_level(logging.INFO, logger="scdata"):
            for _ in range(2):
                time.sleep(1.0)
                sb.token_fault(status=400, times=1)  # invalid_grant for the refresh
                client.get_token()
        fallbacks = [r for r in caplog.records if "refused the token refresh" in r.message]
        assert [r.levelname for r in fallbacks] == ["WARNING", "INFO"]
        assert "HTTP 400 invalid_grant" in fallbacks[0].message
        assert sb.token_exchanges == 3 and sb.count(TOKEN_PATH) == 5
        record = client.tokens.breaker.state.read()
        assert record["refresh_fallbacks"] == 2
        report = cache_report(client)
        assert report["refresh fallbacks"].startswith("2, last at ")
        assert "HTTP 400 invalid_grant (refresh_token)" not in report["token breaker"]


@pytest.mark.slow  # waits real seconds by design
def test_refresh_failing_by_outage_does_not_fall_back(cache_dir):
    with Sandbox(token_ttl=1, artists=0) as sb:
        client = make_client(sb, cache_dir, token_cooldown=30)
        client.get_token()
        time.sleep(1.0)
        sb.token_fault(status=500, times=1)
        with pytest.raises(scdata.AuthError, match="HTTP 500"):
            client.get_token()
        with pytest.raises(scdata.TokenCooldownError, match=r"HTTP 500 .*\(refresh_token\)"):
            client.get_token()
        assert [r.grant_type for r in sb.requests] == ["client_credentials", "refresh_token"]
        assert client.tokens.breaker.state.read().get("refresh_fallbacks", 0) == 0


# -- scdata cache info ----------------------------------------------------------------------------
def test_cache_info_shows_attempts_fallbacks_and_breaker_without_tokens(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, token_cooldown=30)
    assert cache_report(client)["token breaker"] == "closed"
    assert cache_report(client)["token requests (last hour)"] == "none"
    client.user("jowymusic")
    client.tokens.invalidate(client.get_token())
    sandbox.token_fault(status=500, times=1)
    with pytest.raises(scdata.AuthError):
        client.get_token()
    report = cache_report(client)
    attempts = report["token requests (last hour)"]
    assert attempts.startswith("2 (1 failed), last at ") and " UTC; " in attempts
    assert attempts.endswith("client_credentials 1, refresh_token 1")
    assert report["refresh fallbacks"] == "0"
    assert report["token breaker"].startswith("open until ")
    assert report["token breaker"].endswith("after HTTP 500 HTML error page (refresh_token)")
    stored = FileTokenStore(cache_dir, client.settings.token_key).load()
    text = repr(report)
    for secret in (stored.access_token.reveal(), stored.refresh_token.reveal(),
                   sandbox.client_secret):  # fmt: skip
        assert secret not in text
    # the same record seen by another client on the same cache directory (and the CLI)
    assert cache_report(make_client(sandbox, cache_dir))["token breaker"].startswith("open until")
