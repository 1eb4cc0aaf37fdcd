"""Shared fixtures: every test runs against a fresh local SoundCloud emulator over real HTTP.

The environment is scrubbed of SoundCloud/scdata variables, and the cache directory and HOME
point into the test's temporary directory, so no test ever touches a real user cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import scdata
from scdata.client import replace_default
from scdata.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for var in list(os.environ):
        if var.startswith(("SOUNDCLOUD_", "SCDATA_")):
            monkeypatch.delenv(var)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("SCDATA_CACHE_DIR", str(cache_dir))
    replace_default(None)
    yield cache_dir
    previous = replace_default(None)
    if previous is not None:
        previous.close()


@pytest.fixture
def cache_dir(isolated_env: Path) -> Path:
    return isolated_env


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the environment (and so the default client) at the emulator."""
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    return sandbox.env


@pytest.fixture
def client(sandbox: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    with scdata.Client(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        api_url=sandbox.url,
        token_url=sandbox.token_url,
        cache_dir=cache_dir,
    ) as c:
        yield c


def accessible(tracks: list[dict]) -> list[dict]:
    """What the API lists by default (access=playable,preview)."""
    return [t for t in tracks if t.get("access") in ("playable", "preview", None)]
