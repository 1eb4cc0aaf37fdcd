"""Shared fixtures: every test runs against a fresh local SoundCloud emulator over real HTTP.

The environment is scrubbed of SoundCloud/scdata variables, and the cache directory and HOME
point into the test's temporary directory, so no test ever touches a real user cache.

Lanes: ``pytest -m "not slow"`` is the fast lane; ``pytest`` runs everything (CI). Without an
optional extra (redis, dask, spark, graph), ``redis-server``, Java or ``../shared``, the tests
that need it skip with a reason; ``SCDATA_TESTS_REQUIRE_ALL=1`` (set by ``scripts/test``) turns
a missing extra or program into an error at the start instead, so CI cannot pass by skipping.
``SCDATA_SHARED_DIR`` points the tests at another copy of ``../shared`` (or at none).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scdata
from scdata._client import replace_default
from scdata.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """``../shared`` beside the checkout (a worktree's: beside one of its parents), or
    ``$SCDATA_SHARED_DIR``."""
    chosen = os.environ.get("SCDATA_SHARED_DIR")
    if chosen:
        return Path(chosen)
    for parent in REPO.parents[:3]:
        if (parent / "shared" / "soundcloud-api").is_dir():
            return parent / "shared"
    return REPO.parent / "shared"


SHARED = _shared_dir()
SHARED_API = SHARED / "soundcloud-api"
needs_shared = pytest.mark.skipif(
    not SHARED_API.is_dir(), reason="../shared/soundcloud-api (API notes and samples) is absent"
)

# the optional extras (and what they install) and programs some tests need
EXTRAS = {
    "redis": ["redis"],
    "dask": ["dask", "distributed"],
    "spark": ["pyspark"],
    "polars": ["polars"],
    "duckdb": ["duckdb"],
    "graph": ["networkx"],
}
PROGRAMS = {"redis-server": "redis-server", "java": "a Java runtime (17+)"}


def have(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def extra_reason(extra: str) -> str:
    return f"needs the {extra} extra: pip install -e '.[{extra}]'"


def needs_extra(extra: str) -> pytest.MarkDecorator:
    """Skip a test unless the modules of ``extra`` can be imported."""
    missing = [m for m in EXTRAS[extra] if not have(m)]
    return pytest.mark.skipif(bool(missing), reason=extra_reason(extra))


def program_missing(name: str) -> bool:
    """Whether program ``name`` (a key of ``PROGRAMS``) is absent; Java may be in ``$JAVA_HOME``."""
    if name == "java" and os.environ.get("JAVA_HOME"):
        return not Path(os.environ["JAVA_HOME"], "bin", "java").exists()
    return shutil.which(name) is None


def need_program(name: str) -> None:
    """Skip the calling test (or fixture) when program ``name`` is not installed."""
    if program_missing(name):
        pytest.skip(f"{PROGRAMS[name]} is not installed ({name} not found)")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``SCDATA_TESTS_REQUIRE_ALL=1``, refuse to start without every extra and program."""
    if os.environ.get("SCDATA_TESTS_REQUIRE_ALL") != "1":
        return
    missing = [f"{m} (scdata[{extra}])" for extra, mods in EXTRAS.items() for m in mods
               if not have(m)]  # fmt: skip
    missing += [PROGRAMS[name] for name in PROGRAMS if program_missing(name)]
    if missing:
        raise pytest.UsageError(
            "SCDATA_TESTS_REQUIRE_ALL=1 but these are missing: " + ", ".join(missing)
        )


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


# The pace of the tests' clients (``client``, ``make_client``) unless a test sets its own: below
# the emulator's 10 requests/s (burst 20), so they are never throttled, and they wait less than
# at the default 5/s. Tests about pacing set ``rate_limit`` themselves.
TEST_PACE = 9.0


@pytest.fixture
def client(sandbox: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    with scdata.Client(**sandbox.client_settings, cache_dir=cache_dir, rate_limit=TEST_PACE) as c:
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


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real redis-server for the module's tests (skips with a reason without one)."""
    from .redis_server import redis_server

    with redis_server() as url:
        yield url


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[Any]:
    """The emulator behind ``/sc-api`` on another port (``tests/test_walk_proxy.ApiProxy``)."""
    from .test_walk_proxy import ApiProxy

    with ApiProxy(sandbox, "/sc-api") as front:
        yield front


@pytest.fixture
def proxied(proxy: Any, cache_dir: Path) -> Iterator[scdata.Client]:
    """A client whose API requests go through ``proxy`` (unpaced: some walks here are long)."""
    with scdata.Client(**proxy.client_settings, cache_dir=cache_dir, rate_limit=0) as client:
        yield client
