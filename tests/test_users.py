"""Users: every accepted form, bad forms, unknown users, and what is sent on the wire."""

from __future__ import annotations

import logging

import pytest

import scdata
from scdata.http.refs import parse_user


@pytest.fixture
def jowy(sandbox):
    return sandbox.catalog.user("jowymusic")


def forms(user: dict) -> list:
    return [
        user["permalink"],
        f"  {user['permalink']}  ",
        user["id"],
        str(user["id"]),
        f"soundcloud:users:{user['id']}",
        f"https://soundcloud.com/{user['permalink']}",
        f"https://soundcloud.com/{user['permalink']}/",
        f"https://www.soundcloud.com/{user['permalink']}",
        f"https://m.soundcloud.com/{user['permalink']}",
        f"http://soundcloud.com/{user['permalink']}",
    ]


def test_every_accepted_form_gives_the_same_user(sandbox_env, jowy):
    for form in forms(jowy):
        info = scdata.user_info(form)
        assert info is not None, form
        assert (info["id"], info["permalink"]) == (jowy["id"], "jowymusic")


def test_ids_use_the_urn_path_and_names_use_resolve(client, sandbox, jowy):
    client.user(jowy["id"])
    client.user("jowymusic")
    paths = [r.path for r in sandbox.requests if r.path != "/oauth/token"]
    assert paths[0] == f"/users/soundcloud:users:{jowy['id']}"
    assert paths[1] == "/resolve"
    resolve = next(r for r in sandbox.requests if r.path == "/resolve")
    assert resolve.query["url"] == "https://soundcloud.com/jowymusic"


def test_profile_url_hosts_are_normalised_for_the_resolver(client, sandbox):
    client.user("https://m.soundcloud.com/jowymusic/")
    resolve = next(r for r in sandbox.requests if r.path == "/resolve")
    assert resolve.query["url"] == "https://soundcloud.com/jowymusic"


def test_ids_above_two_to_the_31(client, sandbox):
    user = next(u for u in sandbox.catalog.users() if u["id"] > 2**31)
    assert client.user(user["id"])["id"] == user["id"]
    assert client.user(user["permalink"])["urn"] == f"soundcloud:users:{user['id']}"


def test_unicode_user(client, sandbox):
    user = sandbox.catalog.user("bjork-unicode")
    assert not user["username"].isascii()
    assert client.user("bjork-unicode")["username"] == user["username"]


@pytest.mark.parametrize("blank", ["", "   ", None, "\t\n"])
def test_blank_user_is_a_caller_error_everywhere(blank, sandbox_env, sandbox):
    for call in (scdata.user_info, lambda u: scdata.user_tracks(u), scdata.Client().user):
        with pytest.raises(scdata.InvalidUserError, match="Se requiere un nombre de usuario"):
            call(blank)
    with pytest.raises(ValueError):  # InvalidUserError is a ValueError
        scdata.user_info(blank)
    assert sandbox.requests == []


BAD_NAMES = [
    "two words",
    "a/b",
    "what?",
    "hash#tag",
    "..",
    "../etc",
    "a\\b",
    "100%",
    "https://soundcloud.com/jowymusic/some-track",
    "https://soundcloud.com/jowymusic/sets/a-playlist",
    "https://evil.example.com/jowymusic",
    "soundcloud:tracks:123",
    1.5,
    True,
    {"u": 1},
    ["jowymusic"],
    -3,
    0,
]


@pytest.mark.parametrize("bad", BAD_NAMES, ids=repr)
def test_impossible_names_raise_in_new_api_and_return_none_in_compat(
    bad, sandbox_env, sandbox, caplog
):
    with pytest.raises(scdata.InvalidUserError) as info:
        scdata.Client().user(bad)
    assert repr(bad) in str(info.value)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_info(bad) is None
        assert scdata.user_tracks(bad) is None
    assert repr(bad) in caplog.text
    assert sandbox.requests == []  # never sent, not even as a query


def test_unicode_name_is_sent_encoded_in_the_query_only(client, sandbox):
    with pytest.raises(scdata.UserNotFoundError):
        client.user("björk-ñ-東京")
    resolve = next(r for r in sandbox.requests if r.path == "/resolve")
    assert resolve.query["url"] == "https://soundcloud.com/björk-ñ-東京"


def test_unknown_user_none_in_compat_and_error_in_new_api(sandbox_env, caplog):
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_info("nobody-here-123") is None
    # the original function: the original message, exactly (no hint)
    assert caplog.messages == [
        "user_info('nobody-here-123') -> None: No se pudo encontrar al usuario nobody-here-123"
    ]
    # the modern API: the original message, then what to check next
    with pytest.raises(
        scdata.UserNotFoundError,
        match=r"^No se pudo encontrar al usuario nobody-here-123 — check the spelling of the "
        r"profile URL's last part \(soundcloud.com/<name>\), or pass the numeric id or URN$",
    ) as info:
        scdata.Client().user("nobody-here-123")
    assert info.value.message == "No se pudo encontrar al usuario nobody-here-123"
    with pytest.raises(scdata.UserNotFoundError):
        scdata.Client().user(987654321987)


def test_api_error_gives_none_and_a_warning(sandbox_env, sandbox, caplog, monkeypatch):
    monkeypatch.setenv("SCDATA_RETRY_BACKOFF", "0.01")
    sandbox.fail(path="/resolve", status=500, times=10, html=True)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_info("jowymusic") is None
    assert "500" in caplog.text


def test_parse_user_keeps_ids_exact():
    assert parse_user(str(2**63 - 1)).user_id == 2**63 - 1
    with pytest.raises(scdata.InvalidUserError):
        parse_user(2**63)


def test_errors_are_importable_and_shaped():
    assert issubclass(scdata.InvalidUserError, scdata.SoundCloudError)
    assert issubclass(scdata.InvalidUserError, ValueError)
    for name in ("AuthError", "UserNotFoundError", "RateLimitError", "APIError"):
        assert issubclass(getattr(scdata, name), scdata.SoundCloudError)
    err = scdata.APIError("boom", status=503, url="/x", body="<html>  bad\n gateway </html>" * 50)
    assert err.status == 503 and len(err.excerpt) <= 200 and "\n" not in str(err)
