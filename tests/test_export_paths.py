"""An output path that cannot be written is refused before any request is sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import scdata
from scdata.datasets.export import export_tracks

SCRIPT = str(Path(sys.executable).with_name("scdata"))


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(sandbox, cache_dir):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("scdata: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize(
    ("args", "path"),
    [(["tracks", "jowymusic", "-o", "out.xlsx"], "out.xlsx"),
     (["tracks", "jowymusic", "big-catalog", "-o", "out"], "out"),
     (["user", "jowymusic", "-o", "users.PARQUET.bak"], "users.PARQUET.bak"),
     (["demo", "jowymusic", "--sandbox", "-o", "demo.xlsx"], "demo.xlsx")],
)  # fmt: skip
def test_an_unknown_extension_exits_2_before_any_request(env, sandbox, tmp_path, args, path):
    work = tmp_path / "work"
    work.mkdir()
    done = run(args, env, work)
    assert done.returncode == 2, done.stderr
    assert path in error_line(done.stderr) and "unknown extension" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert sandbox.requests == []
    assert list(work.iterdir()) == []


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize(
    "args",
    [["tracks", "jowymusic", "-o", "missing/dir/out.parquet"],
     ["user", "jowymusic", "-o", "missing/dir/users.csv"],
     ["tracks", "jowymusic", "-o", "a-file/out.jsonl"],
     ["tracks", "jowymusic", "-o", "a-dir"],
     ["export", "users.txt", "-o", "missing/dir/tracks"],
     ["export", "users.txt", "-o", "a-file"]],
)  # fmt: skip
def test_an_unwritable_output_exits_1_before_any_request(env, sandbox, tmp_path, args):
    (tmp_path / "users.txt").write_text("jowymusic\n")
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "a-dir.parquet").mkdir()
    args = [a if a != "a-dir" else "a-dir.parquet" for a in args]

    done = run(args, env, tmp_path)

    assert done.returncode == 1, done.stderr
    assert args[-1] in error_line(done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert sandbox.requests == []
    assert (tmp_path / "a-file").read_text() == "not a directory"
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_exits_1_before_any_request(env, sandbox, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        done = run(["tracks", "jowymusic", "-o", "locked/out.parquet"], env, tmp_path)
    finally:
        locked.chmod(0o700)
    assert done.returncode == 1 and "not writable" in error_line(done.stderr)
    assert sandbox.requests == []


def test_export_tracks_refuses_a_root_that_is_a_file_before_any_request(
    sandbox, sandbox_env, tmp_path
):
    a_file = tmp_path / "tracks"
    a_file.write_text("keep me")
    with pytest.raises(NotADirectoryError, match="tracks"):
        export_tracks(["jowymusic"], a_file)
    with pytest.raises(FileNotFoundError, match="missing"):
        export_tracks(["jowymusic"], tmp_path / "missing" / "tracks")
    assert sandbox.requests == []
    assert a_file.read_text() == "keep me"


def test_check_output(tmp_path):
    assert scdata.frames.files.check_output(tmp_path / "x.CSV") == tmp_path / "x.CSV"
    assert scdata.frames.files.check_output(tmp_path / "ds", dataset=True) == tmp_path / "ds"
    with pytest.raises(ValueError, match=r"'\.txt'"):
        scdata.frames.files.check_output(tmp_path / "x.txt")
    (tmp_path / "d.parquet").mkdir()
    with pytest.raises(IsADirectoryError):
        scdata.frames.files.check_output(tmp_path / "d.parquet")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "x.CSV").exists()
