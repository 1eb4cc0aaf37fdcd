"""A cache is disposable: a corrupt, read-only or full SQLite file never fails a call.

Through the real stack with real files: garbage bytes, damaged pages, a directory nobody can
write (``chattr +i`` as root, where permission bits stop nothing; ``chmod`` otherwise), a file
size limit (``RLIMIT_FSIZE``) in a subprocess standing for a full disk, and the CLI's
``scdata cache clear``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from requests_cache.backends import SQLiteCache

from scdata.cli.main import main
from scdata.errors import OfflineError
from scdata.http.session import CACHE_FILE
from scdata.storage.pages import PAGES_FILE

from .test_auth import make_client

FILES = {"http": CACHE_FILE, "pages": PAGES_FILE}
WHAT = {"http": "HTTP cache", "pages": "typed page copies"}


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "scdata" and r.levelno == logging.WARNING]  # fmt: skip


def fill(sandbox, cache_dir) -> pd.DataFrame:
    """A warm cache: every page of ``jowymusic`` in both files, written back to the main file."""
    with make_client(sandbox, cache_dir) as client:
        frame = client.tracks_df("jowymusic", progress=False)
    for name in FILES.values():
        with contextlib.closing(sqlite3.connect(cache_dir / name)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sandbox.clear_log()
    return frame


def garble(path: Path, *, keep: int = 0) -> None:
    """Overwrite ``path`` after its first ``keep`` bytes with garbage; drop its WAL files."""
    data = path.read_bytes()
    noise = bytes((i * 97 + 13) % 256 for i in range(len(data) - keep))
    path.write_bytes(data[:keep] + noise)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("which", ["http", "pages"])
def test_a_corrupt_file_is_set_aside_with_one_warning_and_rebuilt(
    sandbox, cache_dir, caplog, which
):
    expected = fill(sandbox, cache_dir)
    path = cache_dir / FILES[which]
    garble(path)
    caplog.set_level(logging.WARNING, logger="scdata")
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    (warning,) = cache_warnings(caplog)
    assert str(path) in warning and "not a database" in warning and "moved it aside" in warning
    assert (cache_dir / f"{path.name}.corrupt").exists()
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:  # the new file is a working cache
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("which", ["http", "pages"])
def test_damage_found_while_reading_is_a_miss_and_the_file_is_rebuilt(
    sandbox, cache_dir, caplog, which
):
    expected = fill(sandbox, cache_dir)
    path = cache_dir / FILES[which]
    garble(path, keep=4096)  # the header and schema page survive: the file opens
    caplog.set_level(logging.WARNING, logger="scdata")
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    warnings = cache_warnings(caplog)
    assert len(warnings) == 1 and str(path) in warnings[0] and "moved it aside" in warnings[0]
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` and its files really read-only, even for root (``chattr +i``)."""
    paths = [directory, *directory.iterdir()]
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no way to make a file read-only")
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
        if done.returncode:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
            pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
        undo = ["chattr", "-i", *map(str, paths)]
    else:
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in paths}
        for p in paths:
            os.chmod(p, 0o500 if p.is_dir() else 0o400)
    try:
        with pytest.raises(OSError):  # it really is read-only
            (directory / "probe").write_bytes(b"x")
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(undo, check=True)
        else:
            for p, mode in modes.items():
                os.chmod(p, mode)


def test_a_read_only_cache_serves_cached_and_offline_reads(sandbox, cache_dir, caplog):
    expected = fill(sandbox, cache_dir)

    def files() -> dict[str, bytes]:  # every file, the walk copies' directory included
        return {str(p.relative_to(cache_dir)): p.read_bytes() for p in cache_dir.rglob("*")
                if p.is_file()}  # fmt: skip

    before = files()
    caplog.set_level(logging.WARNING, logger="scdata")
    with read_only(cache_dir):
        with make_client(sandbox, cache_dir) as client:
            cached = client.tracks_df("jowymusic", progress=False)
            offline = client.tracks_df("jowymusic", offline=True)
        assert sorted(files()) == sorted(before)
    pd.testing.assert_frame_equal(cached, expected)
    pd.testing.assert_frame_equal(offline, expected)
    assert sandbox.requests == []
    assert files() == before
    warnings = cache_warnings(caplog)
    assert len(warnings) == 2, warnings  # one per file, naming it and what is wrong
    for which, warning in zip(FILES, sorted(warnings), strict=True):
        assert str(cache_dir / FILES[which]) in warning and "can't be written" in warning


def test_a_cache_directory_that_cannot_be_created_is_gone_without(sandbox, tmp_path, caplog):
    parent = tmp_path / "locked"
    parent.mkdir()
    caplog.set_level(logging.WARNING, logger="scdata")
    with read_only(parent), make_client(sandbox, parent / "cache") as client:
        with pytest.raises(OfflineError):  # a miss, not a crash
            client.tracks_df("jowymusic", offline=True)
        assert len(client.session.cache.responses) == 0 and len(client.pages.store) == 0
    warnings = cache_warnings(caplog)
    assert len(warnings) == 2, warnings
    for which, warning in zip(FILES, sorted(warnings), strict=True):
        assert f"{WHAT[which]} {parent / 'cache' / FILES[which]} can't be created" in warning
        assert "its directory can't be created" in warning


@pytest.fixture
def cli(sandbox_env):
    """The ``scdata`` command in this process (its log handler is removed afterwards)."""
    logger = logging.getLogger("scdata")
    handlers, level = list(logger.handlers), logger.level
    yield main
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_cache_clear_on_a_read_only_cache_is_one_clear_line(sandbox, cli, cache_dir, capsys):
    fill(sandbox, cache_dir)
    with read_only(cache_dir):
        assert cli(["cache", "clear"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("scdata: error:")]
    assert f"cannot clear the cache: HTTP cache {cache_dir / CACHE_FILE} can't be deleted" in line


def test_cache_clear_repairs_corrupt_files(sandbox, cli, cache_dir, capsys):
    fill(sandbox, cache_dir)
    for name in FILES.values():
        garble(cache_dir / name)
    assert cli(["cache", "clear"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    for name in FILES.values():
        assert not (cache_dir / f"{name}.corrupt").exists()
        with contextlib.closing(sqlite3.connect(cache_dir / name)) as db:
            assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:
        assert len(client.tracks_df("jowymusic", progress=False)) == 347
    assert sandbox.count("/users/*/tracks") == 3


FULL_DISK = """
import logging, resource, signal, scdata
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
with scdata.Client(**SETTINGS, cache_dir=CACHE_DIR) as client:
    print(len(client.tracks_df("jowymusic", progress=False)))  # cached
    print(len(client.tracks_df("big-catalog", limit=800, progress=False)))  # can't be stored
    print(len(client.tracks_df("big-catalog", limit=800, progress=False)))
"""


@pytest.mark.slow  # other processes
def test_a_full_disk_is_bypassed_with_one_warning_per_file(sandbox, cache_dir):
    fill(sandbox, cache_dir)
    limit = 64 * 1024  # below the size of either file: no page can be stored
    assert min((cache_dir / name).stat().st_size for name in FILES.values()) > limit
    given = f"LIMIT = {limit}\nSETTINGS = {sandbox.client_settings!r}\n"
    given += f"CACHE_DIR = {str(cache_dir)!r}\n"
    done = subprocess.run([sys.executable, "-c", given + textwrap.dedent(FULL_DISK)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["347", "800", "800"]
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2, done.stderr
    for which in FILES:
        (line,) = [w for w in warnings if str(cache_dir / FILES[which]) in w]
        assert f"{WHAT[which]} {cache_dir / FILES[which]} can't be written" in line
    assert sandbox.count("/users/*/tracks") == 2 * 4  # nothing stored: both calls asked


def test_a_world_writable_cache_directory_is_tightened(sandbox, cache_dir, caplog):
    cache_dir.mkdir()
    os.chmod(cache_dir, 0o777)
    (cache_dir / CACHE_FILE).touch(mode=0o644)
    os.chmod(cache_dir / CACHE_FILE, 0o644)
    caplog.set_level(logging.WARNING, logger="scdata")
    with make_client(sandbox, cache_dir) as client:
        client.tracks_df("jowymusic", limit=5, progress=False)
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    for name in FILES.values():
        assert stat.S_IMODE((cache_dir / name).stat().st_mode) == 0o600, name
    (warning,) = [w for w in cache_warnings(caplog) if "tightened" in w]
    assert str(cache_dir) in warning and "0o777" in warning


def test_a_shared_sticky_directory_is_warned_about_not_changed(sandbox, cache_dir, caplog):
    cache_dir.mkdir()
    os.chmod(cache_dir, 0o1777)  # like /tmp: shared by design, never ours to tighten
    caplog.set_level(logging.WARNING, logger="scdata")
    with make_client(sandbox, cache_dir) as client:
        client.user("jowymusic")
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o1777
    (warning,) = [w for w in cache_warnings(caplog) if "not ours to change" in w]
    assert str(cache_dir) in warning and "SCDATA_CACHE_DIR" in warning
    assert stat.S_IMODE((cache_dir / CACHE_FILE).stat().st_mode) == 0o600


def test_sessions_share_one_serializer_that_writes_what_plain_requests_cache_reads(
    sandbox, cache_dir
):
    with make_client(sandbox, cache_dir) as first, make_client(sandbox, cache_dir) as second:
        user = first.user("jowymusic")
        mine, theirs = first.api.session.cache.responses, second.api.session.cache.responses
        assert mine.serializer is theirs.serializer and mine.serializer is not None
        assert second.api.cached_user(user["urn"]) == user  # read back by another session
    plain = SQLiteCache(str(cache_dir / CACHE_FILE))
    try:
        answers = list(plain.responses.values())
    finally:
        plain.close()
    assert {a.status_code for a in answers} == {200, 302}
    assert any(a.json().get("urn") == user["urn"] for a in answers if a.status_code == 200)
