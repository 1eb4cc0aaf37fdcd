"""A new user's frictions with the command line, each through the real console script."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests

import scdata
import scdata.sandbox

from .conftest import REPO
from .test_cli import SCRIPT, run, stderr_on_a_terminal

pytestmark = pytest.mark.slow  # each test runs the console script in a subprocess (1-4 s each)

cli = importlib.import_module("scdata.cli.main")  # `scdata.cli.main` is also the function


def scrubbed() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}


@pytest.fixture
def env(sandbox, cache_dir):
    return {**scrubbed(), **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}


@pytest.fixture
def bare_env(cache_dir):
    """No credentials at all."""
    return {**scrubbed(), "SCDATA_CACHE_DIR": str(cache_dir)}


# ----------------------------------------------------------------------------- --sandbox


@pytest.mark.parametrize(
    ("command", "column"),
    [
        (["tracks", "jowymusic", "--limit", "3"], "user_permalink"),
        (["user", "jowymusic"], "permalink"),
    ],
)
def test_sandbox_works_on_every_data_command_without_credentials(command, column, bare_env,
                                                                 cache_dir):  # fmt: skip
    out = run([*command, "--sandbox", "-o", "-"], bare_env)
    assert out.returncode == 0, out.stderr
    assert "local SoundCloud emulator" in out.stderr
    assert set(pd.read_csv(io.StringIO(out.stdout))[column]) == {"jowymusic"}
    assert not cache_dir.exists() or not any(cache_dir.iterdir())  # a temporary cache


def test_export_with_sandbox(bare_env, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("artist-001\nempty-artist\n")
    out = run(["export", str(users), "-o", str(tmp_path / "tracks"), "--sandbox"], bare_env)
    assert out.returncode == 0, out.stderr
    assert len(scdata.read_parquet(tmp_path / "tracks")) == 500


def test_sandbox_with_offline_is_a_usage_error(bare_env):
    out = run(["tracks", "jowymusic", "--sandbox", "--offline"], bare_env)
    assert out.returncode == 2 and "--offline with --sandbox" in out.stderr


@pytest.mark.parametrize("command", [["tracks", "jowymusic"], ["user", "jowymusic"]])
def test_the_credentials_error_names_sandbox(command, bare_env):
    out = run(command, bare_env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "SOUNDCLOUD_CLIENT_ID and SOUNDCLOUD_CLIENT_SECRET" in out.stderr
    assert "add --sandbox" in out.stderr and "scdata tracks jowymusic --sandbox" in out.stderr


def test_a_client_made_after_start_talks_to_the_sandbox(cache_dir):
    before = dict(os.environ)
    sb = scdata.sandbox.start(artists=1)
    try:
        client = scdata.Client()
        assert client.settings.api_url == sb.url
        assert client.user("empty-artist")["track_count"] == 0
        # a child process too: the environment points at the emulator while it runs
        child = run(["user", "empty-artist", "-o", "-"], dict(os.environ))
        assert child.returncode == 0 and "empty-artist" in child.stdout, child.stderr
        client.close()
    finally:
        sb.stop()
    assert dict(os.environ) == before  # restored
    with pytest.raises(scdata.ConfigurationError):
        scdata.Client().get_token()


def test_serve_leaves_a_variable_changed_meanwhile():
    with scdata.sandbox.serve(artists=1):
        os.environ["SOUNDCLOUD_API_URL"] = "https://api.example.test"
    assert os.environ.pop("SOUNDCLOUD_API_URL") == "https://api.example.test"
    assert "SOUNDCLOUD_CLIENT_ID" not in os.environ


# ----------------------------------------------------------------------------- -o - / --format


def test_csv_to_stdout_pipes_into_duckdb(env, sandbox):
    # DuckDB reading the pipe (its CLI: `duckdb -c "... FROM read_csv('/dev/stdin')"`)
    reader = (
        "import duckdb, sys\n"
        "tracks = duckdb.read_csv(sys.stdin.buffer)\n"
        "print(*duckdb.sql('SELECT count(*), count(DISTINCT id) FROM tracks').fetchall()[0])\n"
    )
    command = [SCRIPT, "tracks", "jowymusic", "-o", "-", "--format", "csv"]
    producer = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    consumer = subprocess.run([sys.executable, "-c", reader], stdin=producer.stdout,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    producer.stdout.close()
    assert producer.wait(timeout=60) == 0, producer.stderr.read()
    total = len(sandbox.catalog.tracks("jowymusic"))
    assert consumer.stdout.split() == [str(total), str(total)], consumer.stderr
    assert f"wrote {total} rows to stdout (csv)" in producer.stderr.read().decode()


def test_parquet_to_stdout_is_binary_and_typed(env, sandbox):
    out = subprocess.run([SCRIPT, "tracks", "jowymusic", "--limit", "7", "-o", "-", "--format",
                          "parquet"], env=env, capture_output=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    table = pq.read_table(io.BytesIO(out.stdout))
    assert table.num_rows == 7
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    expected = [t["id"] for t in sandbox.catalog.tracks("jowymusic")[:7]]
    assert table.column("id").to_pylist() == expected


def test_format_alone_or_dash_alone_writes_to_stdout(env):
    jsonl = run(["user", "jowymusic", "big-catalog", "--format", "jsonl"], env)
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["permalink"] for r in rows] == ["jowymusic", "big-catalog"]
    csv = run(["user", "jowymusic", "-o", "-"], env)  # no --format: CSV
    assert pd.read_csv(io.StringIO(csv.stdout))["permalink"].tolist() == ["jowymusic"]


def test_format_overrides_the_extension(env, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    path = tmp_path / "tracks.txt"
    out = run(["tracks", "jowymusic", "--limit", "4", "-o", str(path), "--format", "csv"], env)
    assert out.returncode == 0, out.stderr
    assert len(pd.read_csv(path)) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["tracks.txt"]  # no temporary left
    parquet = tmp_path / "tracks.data"
    assert run(["tracks", "jowymusic", "--limit", "4", "-o", str(parquet), "--format",
                "parquet"], env).returncode == 0  # fmt: skip
    assert scdata.read_parquet(parquet)["id"].tolist() == pd.read_csv(path)["id"].tolist()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-o", "out.txt"], "or pass --format"),
        (["--format", "xlsx"], "invalid choice: 'xlsx'"),
        (["-o", "out.csv", "--format", "xls"], "invalid choice"),
    ],
)
def test_bad_format_exits_2_before_any_request(args, says, env, sandbox, tmp_path):
    out = run(["tracks", "jowymusic", *args], env, cwd=tmp_path)
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert sandbox.requests == []


def test_parquet_is_not_written_to_a_terminal(env, sandbox):
    import pty

    master, slave = pty.openpty()
    proc = subprocess.run([SCRIPT, "tracks", "jowymusic", "--format", "parquet"], env=env,
                          stdout=slave, stderr=subprocess.PIPE, text=True, timeout=60)  # fmt: skip
    os.close(slave)
    os.close(master)
    assert proc.returncode == 2 and "refusing to write Parquet to a terminal" in proc.stderr
    assert sandbox.requests == []


# ----------------------------------------------------------------------------- tables


def test_a_table_of_several_users_says_whose_each_row_is_and_how_many(env, sandbox):
    out = run(["tracks", "jowymusic", "bjork-unicode", "--limit", "3"], env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["user", "title"]
    assert [line.split()[1] for line in lines[1:]] == ["jowymusic"] * 3 + ["bjork-unicode"] * 3
    assert out.stderr.strip() == "scdata: 6 rows"


def test_a_long_table_says_what_it_left_out(env, sandbox):
    out = run(["tracks", "jowymusic"], env)
    total = len(sandbox.catalog.tracks("jowymusic"))
    assert f"scdata: {total} rows, showing the first and last 30" in out.stderr
    assert "user " not in out.stdout.splitlines()[0]  # one user: no user column


def test_a_user_table_counts_its_rows(env):
    out = run(["user", "jowymusic", "big-catalog"], env)
    assert out.returncode == 0 and out.stderr.strip() == "scdata: 2 rows"


# ----------------------------------------------------------------------------- -v, --offline


def test_verbose_says_what_was_fetched_from_where_and_how_many_rows(env, sandbox):
    first = run(["-v", "tracks", "jowymusic", "bjork-unicode", "-o", "-"], env)
    assert first.returncode == 0, first.stderr
    info = [line for line in first.stderr.splitlines() if line.startswith("scdata: INFO: ")]
    jowy, bjork = (len(sandbox.catalog.tracks(u)) for u in ("jowymusic", "bjork-unicode"))
    assert "scdata: INFO: fetching the tracks of jowymusic, bjork-unicode" in info
    assert f"scdata: INFO: jowymusic: {jowy} tracks" in info
    assert f"scdata: INFO: bjork-unicode: {bjork} tracks" in info
    assert f"scdata: INFO: {jowy + bjork} tracks in all" in info
    sent = len([r for r in sandbox.requests if not r.path.startswith("/oauth")])
    summary = f"scdata: INFO: requests: {sent} sent to SoundCloud, 0 answered from the cache"
    assert info[-1] == summary
    assert "DEBUG" not in first.stderr  # -v is not --debug
    again = run(["-v", "tracks", "jowymusic", "bjork-unicode", "-o", "-"], env)
    assert again.stderr.splitlines()[-1] == (
        "scdata: INFO: requests: none sent to SoundCloud; 2 answered from the cache"
    )  # the two /resolve answers; the pages come from their typed copies


def test_quiet_by_default(env):
    out = run(["tracks", "jowymusic", "--limit", "2", "-o", "-"], env)
    assert "INFO" not in out.stderr


def data_commands() -> dict[str, set[str]]:
    """Each subcommand -> its options, from the parser itself."""
    parser = cli._parser(["sandbox"])
    sub = next(a for a in parser._actions if a.dest == "command")
    return {
        name: {opt for action in p._actions for opt in action.option_strings}
        for name, p in sub.choices.items()
    }


def test_the_readme_lists_exactly_the_commands_that_take_offline_refresh_and_sandbox():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    options = data_commands()
    for flag in ("--offline", "--refresh", "--sandbox"):
        listed = re.search(rf"`{flag}`[^:]*: ([^.]+)", section)  # "`--x` (...): `a`, `b`."
        assert listed, flag
        named = set(re.findall(r"`([\w-]+)`", listed.group(1)))
        assert named == {c for c, opts in options.items() if flag in opts}, flag


@pytest.mark.parametrize("command", ["tracks", "user", "export"])
def test_offline_and_refresh_are_accepted(command, env, sandbox, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("jowymusic\n")
    args = {
        "tracks": ["tracks", "jowymusic", "--limit", "2", "-o", "-"],
        "user": ["user", "jowymusic", "-o", "-"],
        "export": ["export", str(users), "-o", str(tmp_path / "out"), "--limit", "2"],
    }[command]
    assert run(args, env).returncode == 0
    sandbox.clear_log()
    offline = run([*args, "--offline"], env)
    assert offline.returncode == 0 and sandbox.requests == [], offline.stderr
    refreshed = run([*args, "--refresh"], env)
    assert refreshed.returncode == 0 and len(sandbox.requests) > 0, refreshed.stderr


def test_export_refresh_refetches_fresh_users(env, sandbox, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("artist-001\nartist-002\n")
    args = ["export", str(users), "-o", str(tmp_path / "out")]
    assert run(args, env).returncode == 0
    sandbox.clear_log()
    again = run(args, env)
    assert "0 fetched, 2 fresh" in again.stderr and sandbox.count("/users/*/tracks") == 0
    refreshed = run([*args, "--refresh"], env)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "2 fetched, 0 fresh" in refreshed.stderr
    assert sandbox.count("/users/*/tracks", status=200) >= 2  # from SoundCloud, not the cache


# ----------------------------------------------------------------------------- scdata sandbox


def test_sandbox_passes_the_emulators_flags_through(bare_env):
    args = ["sandbox", "--no-production", "--request-rate", "0.01", "--request-burst", "1",
            "--throttle-mode", "403"]  # fmt: skip
    help_ = run([*args[:1], "--help"], bare_env)
    for flag in args[1:]:
        if flag.startswith("--"):
            assert flag in help_.stdout, flag
    proc = subprocess.Popen([SCRIPT, *args], env=bare_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        lines = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in (proc.stdout.readline() for _ in range(4))
        )
        url = lines["SOUNDCLOUD_API_URL"]
        credentials = (lines["SOUNDCLOUD_CLIENT_ID"], lines["SOUNDCLOUD_CLIENT_SECRET"])
        grant = {"grant_type": "client_credentials"}
        token_url = lines["SOUNDCLOUD_URL_GET_TOKEN"]
        token = requests.post(token_url, data=grant, auth=credentials, timeout=5).json()
        headers = {"Authorization": f"OAuth {token['access_token']}"}
        user = requests.get(f"{url}/users/soundcloud:users:52461337", headers=headers, timeout=5)
        assert user.status_code == 200
        assert "utm_" not in user.json()["permalink_url"]  # --no-production: clean URLs
        throttled = requests.get(f"{url}/users/soundcloud:users:52461337", headers=headers,
                                 timeout=5)  # fmt: skip
        assert throttled.status_code == 403 and "<html" in throttled.text.lower()  # burst 1, 403
    finally:
        proc.send_signal(2)
        assert proc.wait(timeout=10) == 0


# ----------------------------------------------------------------------------- exit status


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (scdata.SchemaError("column 'x' holds text"), 1),
        (scdata.APIError("unexpected answer", status=502), 1),
        (scdata.UserNotFoundError("nobody"), 1),
        (scdata.ConfigurationError("SCDATA_TIMEOUT must be a number"), 1),
        (OSError(28, "No space left on device"), 1),
        (scdata.ArgumentError("limit must be an integer"), 2),
        (scdata.InvalidUserError("user='a b' is not a user"), 2),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_data_errors_exit_1_and_usage_errors_exit_2(error, status, sandbox_env, monkeypatch,
                                                    capsys):  # fmt: skip
    def fail(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(scdata.Client, "tracks_df", fail)
    assert cli.main(["tracks", "jowymusic"]) == status
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"scdata: error: {error}"
    assert ("usage: scdata" in err) == (status == 2)


def test_an_api_error_exits_1(env, sandbox):
    sandbox.fail("/resolve", status=500, times=20)
    out = run(["tracks", "jowymusic"], {**env, "SCDATA_MAX_RETRIES": "0"})
    assert out.returncode == 1 and "HTTP 500" in out.stderr and "usage:" not in out.stderr


def test_a_closed_pipe_is_not_an_error(env):
    proc = subprocess.Popen([SCRIPT, "tracks", "jowymusic", "-o", "-"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    assert proc.wait(timeout=120) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_progress_bar_still_on_a_terminal_with_verbose(env, tmp_path, sandbox):
    sandbox.latency = 0.25
    shown = stderr_on_a_terminal(["-v", "tracks", "jowymusic", "-o", str(tmp_path / "j.csv")], env)
    assert "INFO: jowymusic: 347 tracks" in shown and "/347" in shown  # both on stderr
