"""No secret in DEBUG logs of a whole run, nor in reprs or error messages."""

from __future__ import annotations

import logging

import pytest

import scdata


def test_debug_log_of_a_full_run_has_no_secret(client, sandbox, caplog):
    with caplog.at_level(logging.DEBUG):  # every logger: scdata, urllib3, requests_cache
        client.user("jowymusic")
        client.tracks("jowymusic", limit=300)
        sandbox.expire_tokens()
        client.user("big-catalog")
        sandbox.token_fault(status=401, times=1)
        failing = scdata.Client(
            **sandbox.client_settings,
            cache="memory",
        )
        with pytest.raises(scdata.AuthError) as info:
            failing.get_token()
    token = client.tokens.store.load()
    secrets = [
        sandbox.client_secret,
        token.access_token.reveal(),
        token.refresh_token.reveal(),
        client.settings.basic_authorization(),
    ]
    assert "GET /resolve" in caplog.text  # the log did capture the run
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in str(info.value)
        assert secret not in repr(client) and secret not in repr(client.tokens)
