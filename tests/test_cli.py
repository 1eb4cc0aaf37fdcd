"""The real console script, run in a subprocess against the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import scdata
from scdata.frames.convert import tracks_frame
from scdata.storage.tokens import FileTokenStore

SCRIPT = str(Path(sys.executable).with_name("scdata"))


def run(args, env, cwd=None, timeout=120):
    return subprocess.run(
        [SCRIPT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env(sandbox, cache_dir):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}


@pytest.fixture
def bare_env(cache_dir):
    """No credentials at all."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, "SCDATA_CACHE_DIR": str(cache_dir)}


@pytest.mark.slow  # the console script in a subprocess
def test_help_everywhere_with_examples(bare_env):
    top = run(["--help"], bare_env)
    assert top.returncode == 0 and "scdata tracks jowymusic -o" in top.stdout
    for command in ("tracks", "user", "cache", "sandbox", "demo"):
        sub = run([command, "--help"], bare_env)
        assert sub.returncode == 0 and "example" in sub.stdout, command


def test_python_dash_m_runs_the_same_command(bare_env):
    out = subprocess.run([sys.executable, "-m", "scdata", "--help"], env=bare_env,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0 and "usage: scdata" in out.stdout


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize(
    "args",
    [[], ["tracks"], ["frobnicate"], ["tracks", "jowymusic", "--limit", "0"],
     ["tracks", "jowymusic", "--limit", "ten"], ["tracks", "two words"],
     ["tracks", "jowymusic", "-o", "out.txt"], ["followers", "jowymusic", "--limit", "0"],
     ["cache"]],
)  # fmt: skip
def test_bad_usage_exits_2(args, env, tmp_path):
    out = run(args, env, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and out.stdout == ""


@pytest.mark.slow  # over half a second: the full run has it
def test_unknown_user_exits_1_with_one_line(env):
    out = run(["tracks", "nobody-here-123"], env)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "scdata: error: No se pudo encontrar al usuario nobody-here-123 — check the spelling of "
        "the profile URL's last part (soundcloud.com/<name>), or pass the numeric id or URN"
    )


@pytest.mark.slow  # over half a second: the full run has it
def test_missing_credentials_exit_1_naming_them(bare_env):
    out = run(["user", "jowymusic"], bare_env)
    assert out.returncode == 1 and "SOUNDCLOUD_CLIENT_ID" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_tracks_to_each_format_reads_back(env, sandbox, tmp_path, suffix):
    path = tmp_path / f"jowy{suffix}"
    out = run(["tracks", "jowymusic", "-o", str(path)], env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""  # data went to the file, messages to stderr
    expected = sandbox.catalog.tracks("jowymusic")  # every track, blocked ones too
    if suffix == ".parquet":
        back = scdata.read_parquet(path)
        assert str(back["created_at"].dtype) == "datetime64[us, UTC]"
        assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == len(expected)
    elif suffix == ".csv":
        back = pd.read_csv(path)
        parsed = tracks_frame([expected[:1]])
        assert json.loads(back.loc[0, "tags"]) == list(parsed.loc[0, "tags"])
        assert back.loc[0, "created_at"] == parsed.loc[0, "created_at"].isoformat()
    else:
        back = pd.read_json(path, lines=True)
        first = json.loads(path.read_text().splitlines()[0])
        assert isinstance(first["tags"], list)
        assert first["created_at"].endswith("Z") or "+00:00" in first["created_at"]
    assert back["id"].tolist() == [t["id"] for t in expected]
    assert back["title"].tolist() == [t["title"] for t in expected]


@pytest.mark.slow  # the console script in a subprocess
def test_tracks_table_on_stdout(env, sandbox):
    out = run(["tracks", "jowymusic", "--limit", "5"], env)
    assert out.returncode == 0, out.stderr
    first = sandbox.catalog.tracks("jowymusic")[0]["title"]
    assert first[:30] in out.stdout and "playback_count" in out.stdout


@pytest.mark.slow  # the console script in a subprocess
def test_user_command(env, tmp_path):
    path = tmp_path / "users.csv"
    out = run(["user", "jowymusic", "big-catalog", "-o", str(path)], env)
    assert out.returncode == 0, out.stderr
    back = pd.read_csv(path)
    assert back["permalink"].tolist() == ["jowymusic", "big-catalog"]


@pytest.mark.slow  # the console script in a subprocess
def test_cache_info_and_clear_never_show_the_token(env, cache_dir, sandbox):
    assert run(["tracks", "jowymusic", "--limit", "3"], env).returncode == 0
    info = run(["cache", "info"], env)
    assert info.returncode == 0, info.stderr
    assert (
        str(cache_dir) in info.stdout and "entries: 2" in info.stdout
    )  # the /resolve 302 and one page
    assert "valid, expires" in info.stdout
    token = FileTokenStore(cache_dir, f"{sandbox.client_id}@{sandbox.token_url}").load()
    assert token.access_token.reveal() not in info.stdout + info.stderr
    assert run(["cache", "clear", "--expired"], env).returncode == 0
    assert "entries: 2" in run(["cache", "info"], env).stdout
    cleared = run(["cache", "clear"], env)
    assert cleared.returncode == 0 and "removed 2" in cleared.stderr
    assert "entries: 0" in run(["cache", "info"], env).stdout


@pytest.mark.slow  # the console script in a subprocess
def test_offline_with_empty_cache(env, sandbox):
    out = run(["tracks", "jowymusic", "--offline"], env)
    assert out.returncode == 1 and "not in the cache" in out.stderr
    assert sandbox.requests == []


@pytest.mark.slow  # the console script in a subprocess
def test_refresh_refetches(env, sandbox):
    run(["tracks", "jowymusic", "--limit", "3"], env)
    sandbox.clear_log()
    assert run(["tracks", "jowymusic", "--limit", "3", "--refresh"], env).returncode == 0
    assert sandbox.count("/users/*/tracks") == 1


@pytest.mark.slow  # the console script in a subprocess
def test_no_ansi_progress_when_stderr_is_not_a_terminal(env):
    out = run(["tracks", "big-catalog", "-o", os.devnull + ".parquet"], env)
    assert "\x1b[" not in out.stderr and "\r" not in out.stderr


@pytest.mark.slow  # the console script in a subprocess
def test_debug_logs_one_line_per_request_and_no_secret(env, sandbox):
    out = run(["--debug", "user", "jowymusic"], env)
    assert out.returncode == 0, out.stderr
    assert "GET /resolve" in out.stderr and "network 302" in out.stderr
    assert sandbox.client_secret not in out.stderr


@pytest.mark.slow  # the console script in a subprocess
def test_demo_without_credentials(bare_env, tmp_path):
    out = run(["demo"], bare_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    path = tmp_path / "jowymusic.parquet"
    assert path.exists() and f"file: {path}" in out.stdout
    for line in ("rows: ", "dates: ", "top tags: ", "total plays: "):
        assert line in out.stdout
    rows = int(out.stdout.split("rows: ")[1].split()[0])
    assert len(scdata.read_parquet(path)) == rows > 0
    assert "emulator" in out.stderr


@pytest.mark.slow  # the console script in a subprocess
def test_sandbox_command_prints_environment_and_stops_on_sigint(bare_env):
    proc = subprocess.Popen([SCRIPT, "sandbox", "--port", "0"], env=bare_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        assert any(line.startswith("export SOUNDCLOUD_API_URL=http://127.0.0.1:") for line in lines)
        url = next(line for line in lines if "SOUNDCLOUD_API_URL" in line).split("=", 1)[1].strip()
        import requests

        assert requests.get(f"{url}/resolve", timeout=5).status_code == 401  # alive, needs a token
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def stderr_on_a_terminal(args, env) -> str:
    """Run the command with stderr on a pseudo-terminal of 120 columns; return what it drew."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # a real terminal has a size; tqdm draws nothing on a 0-column one
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([SCRIPT, *args], env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.slow  # the console script in a subprocess
def test_progress_bar_on_a_terminal_with_the_track_count_as_total(env, tmp_path, sandbox):
    sandbox.latency = 0.25  # a pull long enough for the bar to appear (it waits half a second)
    args = ["tracks", "jowymusic", "-o", str(tmp_path / "j.parquet")]
    shown = stderr_on_a_terminal(args, env)
    total = sandbox.catalog.user("jowymusic")["track_count"]
    assert f"/{total}" in shown and "track" in shown  # e.g. "tracks:  58%|...| 200/347"
    again = stderr_on_a_terminal(args, env)  # cached: over at once, so no bar at all
    assert f"/{total}" not in again and again.startswith("wrote 347 rows")
