"""The collection commands (`scdata followers`, `likes`, `comments`, `resolve`...) against the
emulator over a real socket, run in this process (``main([...])``) for speed; the console
script itself is covered by tests/test_cli*.py and the --help startup test."""

from __future__ import annotations

import importlib
import io
import json

import pandas as pd
import pytest

import scdata
from scdata._resources import COLLECTIONS
from scdata.cli.collections import COMMANDS

from .conftest import TEST_PACE

cli = importlib.import_module("scdata.cli.main")  # `scdata.cli.main` is also the function

JOWY = "soundcloud:users:52461337"
TRACK = "https://soundcloud.com/jowymusic/analog-satellite"  # the emulator's
TRACK_LINK = "https://on.soundcloud.com/sbJowyTrack1"  # the same track
PLAYLIST = "https://soundcloud.com/jowymusic/sets/neon-engine-priya-remix"  # 161 slots, 128 listed
REF = {"users": "jowymusic", "tracks": TRACK, "playlists": PLAYLIST}


@pytest.fixture
def run(sandbox_env, monkeypatch, capsys):
    """``scdata ARGS`` in this process: (exit status, stdout, stderr)."""
    monkeypatch.setenv("SCDATA_RATE_LIMIT", str(TEST_PACE))

    def run(*args: str) -> tuple[int, str, str]:
        status = cli.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def api_requests(sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if not r.path.startswith("/oauth")]


def csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


# ----------------------------------------------------------------------------- declarations


def test_every_collection_has_a_command():
    reached = {name for c in COMMANDS for _, name in c.kinds}
    assert reached | {"tracks"} == set(COLLECTIONS)  # tracks: `scdata tracks`, `scdata export`


def test_every_command_takes_the_common_options():
    options = {name: opts for name, opts in _subcommands().items()}
    for declared in COMMANDS:
        opts = options[declared.name]
        assert {"-o", "--format", "--errors", "--offline", "--refresh", "--sandbox", "-v"} <= opts
        assert ("--limit" in opts) == (declared.collection().paging != "array"), declared.name
        assert ("--max-per-user" in opts) == declared.max_per_user
        assert ("--kind" in opts) == (len(declared.kinds) > 1)
    assert {"--kind", "--errors", "-o"} <= options["resolve"]
    assert "--what" in options["export"]


def _subcommands() -> dict[str, set[str]]:
    parser = cli._parser([])
    sub = next(a for a in parser._actions if a.dest == "command")
    return {
        name: {opt for action in p._actions for opt in action.option_strings}
        for name, p in sub.choices.items()
    }


# ----------------------------------------------------------------------------- each command


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("declared", COMMANDS, ids=lambda c: c.name)
def test_each_command_writes_the_collection_as_csv(declared, run, sandbox):
    collection = declared.collection()
    ref = "bjork-unicode" if declared.name == "web-profiles" else REF[collection.owner]
    args = [declared.name, ref, "-o", "-"]
    if collection.paging != "array":
        args += ["--limit", "3"]
    status, out, err = run(*args)
    assert status == 0, err
    frame = csv(out)
    assert 0 < len(frame) <= (3 if collection.paging != "array" else 100)
    assert f"wrote {len(frame)} rows to stdout (csv)" in err
    if collection.owner_column:  # every row says whose list it is in
        assert frame[collection.owner_column].nunique() == 1
    if collection.position_column:
        assert frame[collection.position_column].tolist() == list(range(len(frame)))


def test_likes_and_reposts_take_kind(run):
    status, out, err = run("likes", "jowymusic", "--kind", "playlists", "--limit", "2", "-o", "-")
    assert status == 0, err
    frame = csv(out)
    assert frame["urn"].str.startswith("soundcloud:playlists:").all()
    assert set(frame["liker_urn"]) == {JOWY}
    status, out, _ = run("reposts", "jowymusic", "--limit", "2", "-o", "-")  # default: tracks
    assert status == 0 and csv(out)["urn"].str.startswith("soundcloud:tracks:").all()


def test_followers_max_per_user_caps_each_list_and_says_so(run):
    status, out, err = run("-v", "followers", "jowymusic", "bjork-unicode",
                           "--max-per-user", "4", "-o", "-")  # fmt: skip
    assert status == 0, err
    frame = csv(out)
    assert frame.groupby("followed_urn").size().tolist() == [4, 4]
    assert "scdata: INFO: jowymusic: 4 users of 123456 (followers_count); capped" in err


def test_a_table_says_whose_each_row_is_and_how_many_rows(run):
    status, out, err = run("followings", "jowymusic", "bjork-unicode", "--limit", "2")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["user", "position", "username"]
    assert [line.split()[1] for line in lines[1:]] == ["jowymusic"] * 2 + ["bjork-unicode"] * 2
    assert err.strip() == "scdata: 4 rows"
    status, out, err = run("comments", TRACK, "--limit", "2")  # one input: no input column
    assert status == 0 and out.splitlines()[0].split()[:2] == ["position", "user_permalink"]


def test_parquet_keeps_the_declared_types(run, tmp_path):
    path = tmp_path / "comments.parquet"
    status, _, err = run("comments", TRACK, "--limit", "5", "-o", str(path))
    assert status == 0 and f"wrote 5 rows to {path}" in err
    back = scdata.read_parquet(path)
    assert str(back["timestamp"].dtype) == "Int64" and str(back["position"].dtype) == "Int64"
    assert back["track_urn"].nunique() == 1


def test_jsonl_of_web_profiles(run, tmp_path):
    path = tmp_path / "links.jsonl"
    status, _, err = run("web-profiles", "bjork-unicode", "-o", str(path))
    assert status == 0, err
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows and {r["user_urn"] for r in rows} == {"soundcloud:users:7340229"}


def test_playlist_tracks_verbose_says_why_rows_and_count_differ(run):
    status, out, err = run("-v", "playlist-tracks", PLAYLIST, "-o", "-")
    assert status == 0, err
    assert len(csv(out)) == 128
    line = next(x for x in err.splitlines() if x.startswith(f"scdata: INFO: {PLAYLIST}: "))
    assert "128 tracks of 161 (track_count): track_count counts tracks since deleted" in line


def test_offline_answers_from_the_cache_and_refresh_refetches(run, sandbox):
    args = ("related", TRACK_LINK, "--limit", "3", "-o", "-")
    first = run(*args)
    assert first[0] == 0, first[2]
    sandbox.clear_log()
    again = run(*args, "--offline")
    assert again[:2] == first[:2] and api_requests(sandbox) == []
    refreshed = run(*args, "--refresh")
    assert refreshed[0] == 0 and api_requests(sandbox)


# ----------------------------------------------------------------------------- resolve


def test_resolve_any_url(run):
    urls = ["https://m.soundcloud.com/jowymusic?utm_source=x#top", TRACK_LINK, PLAYLIST,
            "soundcloud:users:7340229"]  # fmt: skip
    status, out, err = run("resolve", *urls, "-o", "-")
    assert status == 0, err
    frame = csv(out)
    assert frame["url"].tolist() == urls
    assert frame["kind"].tolist() == ["user", "track", "playlist", "user"]
    assert frame.loc[0, "urn"] == JOWY and frame.loc[3, "id"] == 7340229
    status, out, _ = run("resolve", "jowymusic", TRACK)  # a table: one row per input given
    assert status == 0 and "jowymusic" in out and "track" in out


def test_resolve_a_bare_id_needs_kind(run):
    status, _, err = run("resolve", "7340229")
    assert status == 2 and "7340229" in err
    status, out, _ = run("resolve", "7340229", "--kind", "users", "-o", "-")
    assert status == 0 and csv(out)["kind"].tolist() == ["user"]


# ----------------------------------------------------------------------------- --errors skip


def test_errors_skip_names_each_failure_and_exits_0_when_some_succeeded(run):
    status, out, err = run("likes", "jowymusic", "nobody-here-123", "--limit", "2",
                           "--errors", "skip", "-o", "-")  # fmt: skip
    assert status == 0, err
    assert set(csv(out)["liker_urn"]) == {JOWY}
    skipped = [line for line in err.splitlines() if line.startswith("scdata: skipped ")]
    assert len(skipped) == 1
    assert skipped[0].startswith("scdata: skipped nobody-here-123: UserNotFoundError: ")


def test_one_input_named_twice_is_fetched_once(run):
    status, out, err = run("followings", "jowymusic", JOWY, "--limit", "2", "-o", "-")
    assert status == 0, err
    assert csv(out)["position"].tolist() == [0, 1]


def test_errors_skip_exits_1_when_every_input_failed(run):
    status, out, err = run("comments", "soundcloud:tracks:1", "--errors", "skip", "-o", "-")
    assert status == 1 and out == ""
    assert "scdata: skipped soundcloud:tracks:1: NotFoundError" in err
    assert err.strip().endswith("scdata: error: every input failed (1); nothing to write")


def test_without_skip_a_missing_input_exits_1_with_one_line(run):
    status, out, err = run("followers", "jowymusic", "nobody-here-123", "--limit", "2")
    assert status == 1 and out == ""
    assert err.strip().startswith("scdata: error: No se pudo encontrar al usuario nobody-here")
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["followers", TRACK], "is a track or playlist URL, not a profile URL"),
        (["comments", "https://soundcloud.com/jowymusic"], "is a user"),
        (["comments", "soundcloud:playlists:900000000"], "playlist"),
        (["playlist-tracks", TRACK], "is a track"),
        (["likes", "jowymusic", "--kind", "albums"], "invalid choice: 'albums'"),
        (["followers", "jowymusic", "--max-per-user", "0"], "--max-per-user: must be a positive"),
        (["followers", "jowymusic", "--limit", "0"], "--limit: must be a positive integer"),
        (["web-profiles", "jowymusic", "--limit", "3"], "unrecognized arguments: --limit"),
        (["comments", TRACK, "-o", "out.txt"], "or pass --format"),
        (["export", "--what", "tweets", "users.txt", "-o", "x"], "'tweets' is not a collection"),
    ],
)
def test_bad_input_exits_2_naming_it_before_any_request(args, says, run, sandbox, tmp_path,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    status, out, err = run(*args)
    assert status == 2 and out == "", err
    assert says in err and "Traceback" not in err
    assert api_requests(sandbox) == []


def test_a_short_link_to_nothing_is_a_data_error_naming_it(run):
    status, _, err = run("comments", "https://on.soundcloud.com/nothing42")
    assert status == 1
    assert "https://on.soundcloud.com/nothing42" in err and "no track" in err
