"""The emulator as users meet it: serve() and start() point scdata's default client at it."""

from __future__ import annotations

import pytest

import scdata
from scdata._client import default_client, replace_default
from scdata.sandbox import serve, start


def test_serve_configures_the_default_client_and_restores_it():
    mine = scdata.Client(client_id="x", client_secret="y", cache="memory")
    replace_default(mine)
    with serve(artists=2) as sb:
        assert default_client() is not mine
        assert default_client().settings.api_url == sb.url
        assert scdata.user_info("jowymusic")["permalink"] == "jowymusic"
        assert len(scdata.user_tracks("jowymusic", 3, 0)) == 3
        assert sb.token_exchanges == 1
    assert default_client() is mine


def test_start_runs_until_stop():
    sb = start(artists=1)
    try:
        assert scdata.user_info("empty-artist")["track_count"] == 0
    finally:
        sb.stop()
    assert not sb.running
    with pytest.raises(scdata.ConfigurationError):  # back to the (empty) environment
        scdata.get_token()


@pytest.mark.slow  # other processes
def test_sandbox_and_dask_load_on_first_use_from_the_package():
    import importlib
    import subprocess
    import sys

    code = (
        "import sys, scdata\n"
        "assert 'scdata.sandbox' not in sys.modules and 'dask' not in sys.modules\n"
        "assert scdata.sandbox.Sandbox and scdata.dask.tracks_ddf\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    assert importlib.import_module("scdata").sandbox is importlib.import_module("scdata.sandbox")
