"""Configuration: environment, keywords, defaults, validation, masked secrets."""

from __future__ import annotations

import pytest

import scdata
from scdata.config import Settings


def test_defaults_from_the_issue(cache_dir):
    s = Settings.load()
    assert s.api_url == "https://api.soundcloud.com"
    assert s.token_url == "https://secure.soundcloud.com/oauth/token"
    assert (s.cache, s.expire_after) == ("sqlite", 3600)
    assert s.cache_dir == cache_dir


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SOUNDCLOUD_CLIENT_ID", "cid")
    monkeypatch.setenv("SOUNDCLOUD_CLIENT_SECRET", "csecret")
    monkeypatch.setenv("SOUNDCLOUD_API_URL", "https://api.example.org/")
    monkeypatch.setenv("SOUNDCLOUD_URL_GET_TOKEN", "https://auth.example.org/token")
    monkeypatch.setenv("SCDATA_CACHE", "memory")
    monkeypatch.setenv("SCDATA_EXPIRE_AFTER", "120")
    s = Settings.load()
    assert s.client_id == "cid" and s.client_secret.reveal() == "csecret"
    assert s.api_url == "https://api.example.org"
    assert s.token_url == "https://auth.example.org/token"
    assert (s.cache, s.expire_after) == ("memory", 120)


def test_keywords_win_over_environment(monkeypatch):
    monkeypatch.setenv("SCDATA_EXPIRE_AFTER", "120")
    assert Settings.load(expire_after=5).expire_after == 5


def test_default_authorization_is_basic_of_id_and_secret():
    s = Settings.load(client_id="my_client_id", client_secret="my_client_secret")
    # the staff example from SoundCloud's API tracker (API-NOTES §1.2)
    assert s.basic_authorization() == "Basic bXlfY2xpZW50X2lkOm15X2NsaWVudF9zZWNyZXQ="


def test_soundcloud_authorization_overrides_basic(monkeypatch):
    monkeypatch.setenv("SOUNDCLOUD_AUTHORIZATION", "Basic custom")
    assert Settings.load(client_id="a", client_secret="b").basic_authorization() == "Basic custom"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["SOUNDCLOUD_CLIENT_ID", "SOUNDCLOUD_CLIENT_SECRET"]),
        ({"SOUNDCLOUD_CLIENT_ID": "x"}, ["SOUNDCLOUD_CLIENT_SECRET"]),
        ({"SOUNDCLOUD_CLIENT_SECRET": "x"}, ["SOUNDCLOUD_CLIENT_ID"]),
    ],
)
def test_missing_credentials_named_before_any_request(env, missing, sandbox, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = scdata.Client(api_url=sandbox.url, token_url=sandbox.token_url)
    with pytest.raises(scdata.ConfigurationError) as info:
        client.user("jowymusic")
    for name in missing:
        assert name in str(info.value)
    assert sandbox.requests == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SCDATA_EXPIRE_AFTER", "soon"),
        ("SCDATA_EXPIRE_AFTER", "-5"),
        ("SCDATA_CACHE", "postgres"),
        ("SOUNDCLOUD_API_URL", "http://api.soundcloud.com"),
        ("SOUNDCLOUD_URL_GET_TOKEN", "ftp://secure.soundcloud.com/oauth/token"),
    ],
)
def test_bad_settings_name_the_variable_and_value(key, value, monkeypatch):
    monkeypatch.setenv(key, value)
    with pytest.raises(scdata.ConfigurationError) as info:
        Settings.load()
    assert value in str(info.value)
    assert key.split("_")[-1].lower() in str(info.value).lower()


def test_plain_http_allowed_on_loopback_only():
    assert Settings.load(api_url="http://127.0.0.1:8080").api_url == "http://127.0.0.1:8080"
    assert Settings.load(api_url="http://localhost:1/").api_url == "http://localhost:1"
    with pytest.raises(scdata.ConfigurationError):
        Settings.load(api_url="http://10.0.0.1:8080")


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="clientid"):
        scdata.Client(clientid="x")


def test_secret_never_in_repr():
    s = Settings.load(client_id="cid", client_secret="s3cr3t-value", authorization="Basic zzz")
    client = scdata.Client(client_id="cid", client_secret="s3cr3t-value")
    for text in (repr(s), str(s), repr(client), repr(client.tokens), repr(s.client_secret)):
        assert "s3cr3t-value" not in text and "zzz" not in text


def test_configure_replaces_the_default_client():
    first = scdata.configure(client_id="one", client_secret="x", cache="memory")
    second = scdata.configure(client_id="two", client_secret="x", cache="memory")
    from scdata._client import default_client

    assert default_client() is second and first is not second


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SCDATA_MAX_RETRY_WAIT", "nan"),
        ("SCDATA_MAX_RETRY_WAIT", "inf"),
        ("SCDATA_MAX_RETRY_WAIT", "-1"),
        ("SCDATA_EXPIRE_AFTER", str(10**15)),
        ("SCDATA_EXPIRE_AFTER", "1e400"),
        ("SCDATA_EXPIRE_AFTER", "2.5"),
        ("SCDATA_RATE_LIMIT", "nan"),
        ("SCDATA_RATE_LIMIT", "1e9"),
        ("SCDATA_TIMEOUT", "-inf"),
        ("SCDATA_TIMEOUT", "86400"),
        ("SCDATA_MAX_RETRIES", "1000"),
        ("SCDATA_RETRY_BACKOFF", "nan"),
        ("SCDATA_THROTTLE_BACKOFF", "0"),
        ("SCDATA_THROTTLE_BACKOFF", "inf"),
        ("SCDATA_TOKEN_COOLDOWN", "nan"),
    ],
)
def test_nan_inf_negative_and_absurd_numbers_are_refused_at_load(key, value, monkeypatch):
    monkeypatch.setenv(key, value)
    with pytest.raises(scdata.ConfigurationError) as info:
        Settings.load()
    assert key in str(info.value) and repr(value) in str(info.value)


@pytest.mark.parametrize("keyword", ["max_retry_wait", "rate_limit", "throttle_backoff"])
def test_nan_keyword_is_refused_naming_the_keyword(keyword):
    with pytest.raises(scdata.ConfigurationError, match=f"^{keyword} must be a finite number"):
        Settings.load(**{keyword: float("nan")})


def test_bounds_are_inclusive_and_documented():
    from scdata.config import BOUNDS

    s = Settings.load(**{key: high for key, (_, high) in BOUNDS.items()})
    assert s.expire_after == 366 * 86_400 and s.rate_limit == 1_000
    assert Settings.load(rate_limit=0).rate_limit == 0  # 0 disables pacing


def test_defaults_for_throttling():
    s = Settings.load()
    assert (s.rate_limit, s.throttle_backoff, s.token_cooldown) == (5, 15, 60)


def test_redis_url_keeps_its_case_and_its_password_is_masked(monkeypatch):
    url = "redis://:MyPa55Word@Cache.Example:6379/0"
    monkeypatch.setenv("SCDATA_CACHE", "REDIS://:MyPa55Word@Cache.Example:6379/0")
    s = Settings.load()
    assert s.cache == url  # only the scheme is lowered: the password keeps its capitals
    client = scdata.Client()
    for text in (repr(s), repr(client)):
        assert "MyPa55Word" not in text and "redis://***@Cache.Example:6379/0" in text


def test_credentials_in_urls_are_masked_in_errors_and_reprs():
    with pytest.raises(scdata.ConfigurationError) as info:
        Settings.load(api_url="http://user:Hunter2@10.0.0.1/")
    assert "Hunter2" not in str(info.value) and "***@10.0.0.1" in str(info.value)
    with pytest.raises(scdata.ConfigurationError) as info:
        Settings.load(cache="rediz://:Hunter2@host/0")
    assert "Hunter2" not in str(info.value)
    s = Settings.load(api_url="https://user:Hunter2@api.example.org")
    assert "Hunter2" not in repr(s) and s.api_url == "https://user:Hunter2@api.example.org"
