"""Shared fixtures: every test runs against a fresh local SoundCloud emulator over real HTTP.

The environment is scrubbed of SoundCloud/scdata variables, and the cache directory and HOME
point into the test's temporary directory, so no test ever touches a real user cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scdata
from scdata._client import replace_default
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
    with scdata.Client(**sandbox.client_settings, cache_dir=cache_dir) as c:
        yield c


def accessible(tracks: list[dict]) -> list[dict]:
    """What the API lists by default (access=playable,preview)."""
    return [t for t in tracks if t.get("access") in ("playable", "preview", None)]


def run_together(code: str, envs: list[dict[str, str]], timeout: float = 180) -> list[str]:
    """Run ``code`` in one Python process per environment, all released at the same moment.

    Each process imports scdata, says it is ready, and waits; when all are ready they are
    released together. ``WORKER`` holds each one's index. Returns their stdouts (each must
    exit 0).
    """
    prelude = "import sys, scdata\nprint('ready', flush=True)\nsys.stdin.readline()\n"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", f"WORKER = {i}\n{prelude}{code}"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, env in enumerate(envs)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outs = [proc.communicate(timeout=timeout) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert "database is locked" not in err
    return [out for out, _ in outs]
