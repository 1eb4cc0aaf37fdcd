"""Bulk export (scdata.datasets.export, ``scdata export``): dataset, manifest, resuming."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import scdata
from scdata.datasets.export import export_tracks, manifest_path, read_users_file
from scdata.frames.convert import empty_tracks_frame
from scdata.sandbox import Sandbox

SCDATA = Path(sys.executable).with_name("scdata")
USERS = ["artist-001", "artist-002", "artist-003", "artist-007", "geo-blocked", "empty-artist"]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=10, artist_tracks=120) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    """No HTTP cache, so that the emulator's request log shows every fetch."""
    with scdata.Client(
        **sb.client_settings, cache_dir=cache_dir, cache="off", max_retries=1, retry_backoff=0.01
    ) as c:
        yield c


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "tracks"


def expected_rows(sb: Sandbox, user: str) -> int:
    return len(sb.catalog.tracks(user))  # every track: blocked ones too (access="all")


def tracks_path(sb: Sandbox, user: str) -> str:
    return f"/users/soundcloud:users:{sb.catalog.user(user)['id']}/tracks"


def manifest_entries(out: Path) -> dict[str, dict]:
    return {e["user"]: e for e in json.loads(manifest_path(out).read_text())["users"]}


def check_dataset(out: Path, sb: Sandbox, users: list[str]) -> pd.DataFrame:
    """Every user's tracks exactly once, through scdata, pandas and DuckDB."""
    expected = {u: expected_rows(sb, u) for u in users if expected_rows(sb, u)}
    back = scdata.read_parquet(out)
    assert back["user_permalink"].value_counts().to_dict() == expected
    assert back["urn"].is_unique
    assert back.dtypes.to_dict() == empty_tracks_frame().dtypes.to_dict()
    plain = pd.read_parquet(out)
    assert len(plain) == len(back) and set(plain.columns) == set(back.columns)
    counts = duckdb.sql(
        f"SELECT user_permalink, count(*) FROM read_parquet('{out}/**/*.parquet', "
        "hive_partitioning = true) GROUP BY ALL"
    ).fetchall()
    assert dict(counts) == expected
    ok = [e for e in manifest_entries(out).values() if e["rows"]]
    assert sum(e["rows"] for e in ok) == len(back)
    return back


@pytest.mark.slow  # a multi-user export, paced
def test_export_writes_one_partition_per_user(sb, client, out):
    manifest = export_tracks(USERS, out, client=client)

    assert manifest["user"].tolist() == USERS
    assert (manifest["status"] == "ok").all() and not manifest["skipped"].any()
    assert manifest["rows"].tolist() == [expected_rows(sb, u) for u in USERS]
    assert manifest.loc[3, "rows"] == sb.catalog.user("artist-007")["track_count"] == 120
    # every track, the blocked ones too: the rows are each user's track_count
    assert manifest["rows"].tolist() == [sb.catalog.user(u)["track_count"] for u in USERS]
    assert str(manifest["fetched_at"].dtype) == "datetime64[us, UTC]"
    back = check_dataset(out, sb, USERS)
    dirs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert dirs == [f"user_permalink={u}" for u in sorted(USERS) if u != "empty-artist"]
    assert [p.name for p in (out / "user_permalink=artist-001").iterdir()] == ["part-0.parquet"]
    # the same rows and values as tracks_df
    expected = client.tracks_df(USERS, progress=False)
    key = ["user_permalink", "urn"]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
    )
    described = duckdb.sql(f"DESCRIBE SELECT * FROM '{out}/**/*.parquet'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE" and types["tags"] == "VARCHAR[]"
    assert types["user_permalink"] == "VARCHAR" and len(types) == len(back.columns)
    entry = manifest_entries(out)["artist-001"]
    assert entry["urn"] == "soundcloud:users:400007919" and entry["error"] is None
    assert entry["partitions"] == ["user_permalink=artist-001"] and entry["status"] == "ok"
    assert manifest["error"].isna().all() and manifest["urn"].str.startswith("soundcloud:").all()


@pytest.mark.slow  # a multi-user export, paced
def test_unknown_user_fails_alone_then_rerun_skips_fresh_and_retries_it(sb, client, out):
    users = ["artist-001", "newcomer", "artist-002"]
    first = export_tracks(users, out, client=client, workers=3)

    assert first["status"].tolist() == ["ok", "failed", "ok"]
    assert first.loc[1, "error"].startswith("No se pudo encontrar al usuario newcomer — check ")
    assert first.loc[1, "rows"] == 0 and pd.isna(first.loc[1, "fetched_at"])
    check_dataset(out, sb, ["artist-001", "artist-002"])
    text = manifest_path(out).read_text()
    assert client.get_token() not in text and sb.client_secret not in text

    # the user appears; a second run fetches only them
    user = {"id": 990_000_001, "kind": "user", "permalink": "newcomer", "username": "New"}
    tracks = [
        {"id": 990_000_100 + i, "kind": "track", "access": "playable", "title": f"t{i}",
         "created_at": f"2024/01/0{i + 1} 10:00:00 +0000",
         "user": {"id": 990_000_001, "permalink": "newcomer"}}
        for i in range(3)
    ]  # fmt: skip
    sb.catalog.add_user(user, tracks)
    sb.clear_log()
    second = export_tracks(users, out, client=client, workers=3)

    assert second["status"].tolist() == ["ok", "ok", "ok"]
    assert second["skipped"].tolist() == [True, False, True]
    assert sb.count(tracks_path(sb, "artist-001")) == sb.count(tracks_path(sb, "artist-002")) == 0
    assert sb.count("/users/*/tracks") > 0
    check_dataset(out, sb, [*users])
    assert manifest_entries(out)["newcomer"]["error"] is None


@pytest.mark.slow  # a multi-user export, paced
def test_interrupted_export_resumes_without_refetching_or_duplicating(sb, client, out):
    users = [f"artist-{k:03d}" for k in range(1, 9)]
    broken = ["artist-002", "artist-005"]
    for user in broken:
        sb.fail(path=tracks_path(sb, user), status=502, times=100)
    first = export_tracks(users, out, client=client)

    failed = first.loc[first["status"] == "failed", "user"].tolist()
    assert failed == broken
    assert (
        first.set_index("user")
        .loc["artist-002", "error"]
        .startswith("unexpected answer from SoundCloud — HTTP 502")
    )
    check_dataset(out, sb, [u for u in users if u not in broken])

    sb.clear_faults()
    sb.clear_log()
    second = export_tracks(users, out, client=client)

    assert (second["status"] == "ok").all()
    assert second.loc[second["skipped"], "user"].tolist() == [u for u in users if u not in broken]
    for user in users:
        assert (sb.count(tracks_path(sb, user)) > 0) == (user in broken), user
    check_dataset(out, sb, users)


@pytest.mark.slow  # a multi-user export, paced
def test_refetch_replaces_partitions_and_a_failed_refresh_keeps_old_rows(sb, client, out):
    users = ["artist-001", "artist-003", "geo-blocked"]
    export_tracks(users, out, client=client)
    again = export_tracks(users, out, client=client, max_age=0)  # everything is stale
    assert not again["skipped"].any()
    check_dataset(out, sb, users)

    sb.fail(path=tracks_path(sb, "artist-003"), status=503, times=100)
    third = export_tracks(users, out, client=client, max_age=0)
    row = third.set_index("user").loc["artist-003"]
    assert row["status"] == "failed" and row["rows"] == expected_rows(sb, "artist-003")
    assert row["attempted_at"] > row["fetched_at"]
    check_dataset(out, sb, users)  # the old rows are kept, and counted in the manifest


@pytest.mark.slow  # a multi-user export, paced
def test_limit_and_partition_cols(sb, client, out, tmp_path):
    manifest = export_tracks(["artist-001", "artist-004"], out, client=client, limit=7)
    assert manifest["rows"].tolist() == [7, 7]
    # another limit is another export: not skipped
    assert not export_tracks(["artist-001"], out, client=client, limit=9)["skipped"].any()
    assert len(scdata.read_parquet(out)) == 16

    by_id = export_tracks(
        ["artist-006"], tmp_path / "id", client=client, partition_cols=["user_id"]
    )
    assert by_id.loc[0, "partitions"] == [f"user_id={400_000_000 + 7919 * 6}"]
    with pytest.raises(ValueError, match="partitioned on"):
        export_tracks(["artist-001"], out, client=client, partition_cols=["user_id"])
    for columns in (["genre"], ["user_id", "created_at"], ["user_id", "nope"]):
        with pytest.raises(ValueError, match="must be integer or string track columns"):
            export_tracks(["artist-001"], tmp_path / "g", client=client, partition_cols=columns)
    # a user listed twice is fetched once, under the first form (tests/test_export_duplicates.py)
    twice = export_tracks(["artist-001", "Artist-001"], out, client=client, limit=9)
    assert twice["user"].tolist() == ["artist-001"] and twice.loc[0, "merged"] == ["Artist-001"]


@pytest.fixture
def cli_env(sb: Sandbox, cache_dir: Path) -> dict[str, str]:
    return {**os.environ, **sb.env, "SCDATA_CACHE_DIR": str(cache_dir), "SCDATA_CACHE": "off",
            "SCDATA_MAX_RETRIES": "1", "SCDATA_RETRY_BACKOFF": "0.01"}  # fmt: skip


@pytest.mark.slow  # the console script in a subprocess
def test_cli_export_reports_failures_with_exit_status_1(sb, cli_env, out, tmp_path):
    users_file = tmp_path / "users.txt"
    users_file.write_text("# artists\nartist-001\n\n  artist-007   # all playable\nnobody-here\n")
    assert read_users_file(users_file) == ["artist-001", "artist-007", "nobody-here"]
    command = [str(SCDATA), "export", str(users_file), "-o", str(out), "-q"]

    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[-2] == (
        f"export: 3 users: 2 ok (2 fetched, 0 fresh), 1 failed; "
        f"{expected_rows(sb, 'artist-001') + 120} rows in {out}"
    )
    assert lines[-1].startswith("scdata: error: 1 of 3 users failed") and "nobody-here" in lines[-1]
    check_dataset(out, sb, ["artist-001", "artist-007"])
    assert manifest_entries(out)["nobody-here"]["status"] == "failed"

    again = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "2 ok (0 fetched, 2 fresh), 1 failed" in again.stderr


@pytest.mark.slow  # the console script in a subprocess
def test_cli_export_killed_half_way_then_resumed(sb, cli_env, out, tmp_path):
    users = [f"artist-{k:03d}" for k in range(1, 11)]
    users_file = tmp_path / "users.txt"
    users_file.write_text("\n".join(users) + "\n")
    command = [str(SCDATA), "export", str(users_file), "-o", str(out), "--workers", "1", "-q"]
    sb.latency = 0.15
    proc = subprocess.Popen(command, env=cli_env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        done: list[str] = []
        while len(done) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if manifest_path(out).exists():
                done = [u for u, e in manifest_entries(out).items() if e["status"] == "ok"]
        assert proc.poll() is None, "the export finished before it could be interrupted"
    finally:
        proc.kill()
        proc.wait()
    assert 2 <= len(done) < len(users)

    sb.latency = 0
    sb.clear_log()
    resumed = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)

    assert resumed.returncode == 0, resumed.stderr
    for user in done:
        assert sb.count(tracks_path(sb, user)) == 0, user
    assert f"{len(done)} fresh" in resumed.stderr
    check_dataset(out, sb, users)
