"""Token storage defects from the adversarial trial (issue 10): a token that can't be saved, a
lock that can't be created, stored JSON of the wrong shape, loose file modes, short-lived
tokens and absurd ``expires_in`` values."""

from __future__ import annotations

import json
import logging
import math
import os
import stat

import pytest

import scdata
from scdata.sandbox import Sandbox
from scdata.storage.tokens import FileTokenStore

from .token_server import token_server

TOKEN_PATH = "/oauth/token"
USERS = ["jowymusic", "big-catalog", "jowymusic", "big-catalog"]


def make_client(sb: Sandbox, cache_dir, **kw) -> scdata.Client:
    return scdata.Client(**sb.client_settings, cache_dir=cache_dir, **kw)


def token_file(client: scdata.Client, cache_dir) -> FileTokenStore:
    return FileTokenStore(cache_dir, client.settings.token_key)


@pytest.mark.slow  # over half a second: the full run has it
def test_token_that_cannot_be_saved_is_kept_in_memory(sandbox, cache_dir, caplog):
    client = make_client(sandbox, cache_dir)
    path = token_file(client, cache_dir).path
    path.mkdir(parents=True)  # the token file can't be written, even by root
    with caplog.at_level(logging.WARNING, logger="scdata"):
        for user in USERS:
            client.user(user, refresh=True)
    assert sandbox.count(TOKEN_PATH) == 1  # not 1 -> 2 -> 3 -> 4
    saves = [r for r in caplog.records if "cannot save the token" in r.message]
    assert len(saves) == 1 and saves[0].levelname == "WARNING"
    assert sandbox.client_secret not in caplog.text


@pytest.mark.slow  # over half a second: the full run has it
def test_unwritable_cache_dir_and_lock_do_not_break_calls(sandbox, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    cache_dir = blocker / "cache"  # its parent is a regular file: nothing can be created
    client = make_client(sandbox, cache_dir, cache="off")
    with caplog.at_level(logging.WARNING, logger="scdata"):
        for user in USERS:
            assert client.user(user)["permalink"] == user
    assert sandbox.count(TOKEN_PATH) == 1
    for what in ("cannot lock the token store", "cannot save the token"):
        assert sum(what in r.message for r in caplog.records) == 1, what


@pytest.mark.slow  # over half a second: the full run has it
def test_lock_that_cannot_be_created_does_not_break_calls(sandbox, cache_dir, caplog):
    client = make_client(sandbox, cache_dir)
    store = token_file(client, cache_dir)
    store._lock_path.mkdir(parents=True)  # a directory where the lock file goes
    with caplog.at_level(logging.WARNING, logger="scdata"):
        for user in USERS:
            client.user(user, refresh=True)
    assert sandbox.count(TOKEN_PATH) == 1
    assert store.load() is not None  # the token was still saved for other processes


@pytest.mark.parametrize(
    "content",
    ["[]", "null", '{"access_token": 5}', '{"access_token": 5, "expires_at": 9e9}',
     '{"access_token": "x", "expires_at": "soon"}', '"text"', "1e400"],
)  # fmt: skip
def test_token_file_of_the_wrong_shape_is_no_token(sandbox, cache_dir, content):
    client = make_client(sandbox, cache_dir)
    path = token_file(client, cache_dir).path
    path.parent.mkdir(parents=True)
    path.write_text(content)
    token = client.get_token()
    assert isinstance(token, str) and token.startswith("eyJ")
    assert client.user("jowymusic")["permalink"] == "jowymusic"
    assert sandbox.token_exchanges == 1
    assert json.loads(path.read_text())["access_token"] == token  # replaced by a good one


def test_token_file_readable_by_others_is_tightened(sandbox, cache_dir, caplog):
    token = make_client(sandbox, cache_dir).get_token()
    path = token_file(make_client(sandbox, cache_dir), cache_dir).path
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert make_client(sandbox, cache_dir).get_token() == token  # reused, not replaced
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "0o644" in caplog.text and "now 0600" in caplog.text
    assert sandbox.token_exchanges == 1


def test_world_writable_cache_dir_is_tightened(sandbox, cache_dir, caplog):
    cache_dir.mkdir(parents=True)
    os.chmod(cache_dir, 0o777)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        make_client(sandbox, cache_dir).get_token()
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert "writable by every user" in caplog.text


def test_shared_sticky_cache_dir_is_only_warned_about(sandbox, cache_dir, caplog):
    cache_dir.mkdir(parents=True)
    os.chmod(cache_dir, 0o1777)  # like /tmp: never chmod a shared directory
    with caplog.at_level(logging.WARNING, logger="scdata"):
        make_client(sandbox, cache_dir).get_token()
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o1777
    assert "SCDATA_CACHE_DIR to a private directory" in caplog.text


@pytest.mark.slow  # over half a second: the full run has it
def test_short_lived_tokens_are_not_renewed_before_every_request(cache_dir):
    with Sandbox(token_ttl=20) as sb:  # renewed 2 s before expiry, not 60 s (always)
        client = make_client(sb, cache_dir)
        for user in USERS:
            client.user(user, refresh=True)
        assert sb.count("/resolve") == 4
        assert sb.count(TOKEN_PATH) == 1
        assert (sb.token_exchanges, sb.refresh_exchanges) == (1, 0)


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [("3599", 3599), ("1e400", 86_400), ("-30", 1), ("0", 1), ("NaN", 3600),
     ('"soon"', 3600), ("true", 3600), ("1e12", 86_400), ("null", 3600)],
)  # fmt: skip
def test_expires_in_is_clamped_on_receipt(cache_dir, expires_in, lifetime):
    body = '{"access_token": "a", "refresh_token": "r", "expires_in": ' + expires_in + "}"
    with token_server() as server:
        server.answers.append((200, body))
        client = scdata.Client(client_id="id", client_secret="s", token_url=server.url,
                               cache_dir=cache_dir)  # fmt: skip
        assert client.get_token() == "a"
        stored = token_file(client, cache_dir).load()
        assert math.isclose(stored.expires_at - stored.obtained_at, lifetime)
        assert len(server.seen) == 1
