# ruff: noqa: E501  (one case per line reads best)
"""The bad-input table: every wrong value gets a clear error naming the parameter and value.

Nothing is sent for a value that is wrong on its face (checked on the emulator's request log).
"""

from __future__ import annotations

import pandas as pd
import pytest

import scdata

CASES = [
    # (id, call(client, tmp_path), exception, text the message must contain)
    ("empty user", lambda c, p: c.tracks_df(""), scdata.InvalidUserError, "Se requiere un nombre de usuario"),
    ("blank user", lambda c, p: c.user("   "), scdata.InvalidUserError, "Se requiere un nombre de usuario"),
    ("None user", lambda c, p: c.tracks(None), scdata.InvalidUserError, "user=None"),
    ("float user", lambda c, p: c.user(1.5), scdata.InvalidUserError, "float 1.5"),
    ("bool user", lambda c, p: c.user(True), scdata.InvalidUserError, "bool True"),
    ("dict user", lambda c, p: c.tracks_df({"name": "x"}), scdata.InvalidUserError, "dict {'name': 'x'}"),
    ("other host", lambda c, p: c.user("https://evil.example.com/jowymusic"), scdata.InvalidUserError, "evil.example.com"),
    ("track URL", lambda c, p: c.user("https://soundcloud.com/jowymusic/a-track"), scdata.InvalidUserError, "a track or playlist URL"),
    ("playlist URL", lambda c, p: c.tracks_df("https://soundcloud.com/jowymusic/sets/x"), scdata.InvalidUserError, "sets/x"),
    ("tracked track URL", lambda c, p: c.user("https://soundcloud.com/jowymusic/a-track?utm_source=id_1"), scdata.InvalidUserError, "a track or playlist URL"),
    ("short link without code", lambda c, p: c.tracks_df("https://on.soundcloud.com/"), scdata.InvalidUserError, "not a SoundCloud short link"),
    ("space", lambda c, p: c.user("jowy music"), scdata.InvalidUserError, "'jowy music'"),
    ("question mark", lambda c, p: c.user("jowy?x=1"), scdata.InvalidUserError, "'jowy?x=1'"),
    ("hash", lambda c, p: c.user("jowy#top"), scdata.InvalidUserError, "'jowy#top'"),
    ("slash", lambda c, p: c.user("jowy/music"), scdata.InvalidUserError, "'jowy/music'"),
    ("dot dot", lambda c, p: c.user("../admin"), scdata.InvalidUserError, "'../admin'"),
    ("negative limit", lambda c, p: c.tracks("jowymusic", -1), ValueError, "limit must be an integer from 1 to 1000000, got -1"),
    ("zero limit", lambda c, p: c.tracks_df("jowymusic", 0), ValueError, "limit must be an integer from 1 to 1000000, got 0"),
    ("bool limit", lambda c, p: c.tracks("jowymusic", True), ValueError, "got True"),
    ("string limit", lambda c, p: c.tracks_df("jowymusic", "10"), ValueError, "limit must be an integer from 1 to 1000000, got '10'"),
    ("huge limit", lambda c, p: c.tracks("jowymusic", 10**7), ValueError, "got 10000000"),
    ("negative offset", lambda c, p: c.tracks("jowymusic", 10, -5), ValueError, "offset must be an integer from 0 to 1000000, got -5"),
    ("string offset", lambda c, p: c.tracks("jowymusic", 10, "5"), ValueError, "offset must be an integer from 0 to 1000000, got '5'"),
    ("empty list", lambda c, p: c.tracks_df([]), ValueError, "users must name at least one user, got an empty list"),
    ("bad user in a list", lambda c, p: c.tracks_df(["jowymusic", "a b"]), scdata.InvalidUserError, "users[1]='a b'"),
    ("zero workers", lambda c, p: c.tracks_df(["jowymusic", "bjork-unicode"], workers=0), ValueError, "workers must be a positive integer, got 0"),
    ("missing directory", lambda c, p: scdata.to_parquet(pd.DataFrame({"a": [1]}), p / "no" / "x.parquet"), FileNotFoundError, "no"),
    # sysfs refuses new files even to root (tests/test_export.py also covers chmod/chattr)
    ("unwritable path", lambda c, p: scdata.to_parquet(pd.DataFrame({"a": [1]}), "/sys/x.parquet"), PermissionError, "/sys/x.parquet"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "exc", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_and_nothing_is_sent(client, sandbox, tmp_path, call, exc, text):
    with pytest.raises(exc) as info:
        call(client, tmp_path)
    assert text in str(info.value)
    assert sandbox.requests == []


def test_the_table_is_long_enough():
    assert len(CASES) >= 20


def test_same_user_in_two_forms_is_returned_once(client, sandbox):
    user_id = sandbox.catalog.user("jowymusic")["id"]
    once = client.tracks_df("jowymusic", limit=3)
    twice = client.tracks_df(["jowymusic", user_id, "JowyMusic"], limit=3)
    assert twice["urn"].tolist() == once["urn"].tolist()
    assert [i["input"] for i in twice.attrs["scdata"]["inputs"]] == ["jowymusic"]
    users = client.users_df(["jowymusic", "bjork-unicode", f"soundcloud:users:{user_id}"])
    assert users["permalink"].tolist() == ["jowymusic", "bjork-unicode"]


def test_unicode_username_is_encoded_never_altering_the_path(client, sandbox):
    with pytest.raises(scdata.UserNotFoundError, match="ñandú-東京"):
        client.tracks_df("ñandú-東京")
    (record,) = [r for r in sandbox.requests if r.path != "/oauth/token"]
    assert record.path == "/resolve" and record.query["url"].endswith("/ñandú-東京")
