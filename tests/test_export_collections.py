"""Bulk, resumable exports of any collection (`export_collection`, `scdata export --what`)
against the emulator over a real socket."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import scdata
from scdata.datasets.export import (
    default_partition_cols,
    export_collection,
    export_tracks,
    manifest_path,
)
from scdata.sandbox import Sandbox

from .conftest import TEST_PACE

cli = importlib.import_module("scdata.cli.main")

TRACK = "https://soundcloud.com/jowymusic/analog-satellite"
TRACK_LINK = "https://on.soundcloud.com/sbJowyTrack1"  # the same track


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=3, artist_tracks=20) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    with scdata.Client(**sb.client_settings, cache_dir=cache_dir, rate_limit=TEST_PACE) as c:
        yield c


def test_followings_of_many_users_one_partition_each(sb, client, tmp_path):
    out = tmp_path / "follows"
    users = ["bjork-unicode", "artist-001", "nobody-here-123"]
    manifest = export_collection("followings", users, out, limit=40, client=client)
    assert manifest["status"].tolist() == ["ok", "ok", "failed"]
    assert "No se pudo encontrar al usuario nobody-here-123" in manifest.loc[2, "error"]
    back = scdata.read_parquet(out)
    assert len(back) == manifest["rows"].sum()
    # each owner's partition holds exactly what collection_df gives for it
    for user, urn in zip(users[:2], manifest["urn"][:2], strict=True):
        expected = client.collection_df("followings", user, limit=40)
        got = back[back["follower_urn"] == urn].sort_values("position").reset_index(drop=True)
        assert got["urn"].tolist() == expected["urn"].tolist()
        assert str(got["followers_count"].dtype) == "Int64"
    document = json.loads(manifest_path(out).read_text())
    assert document["table"] == "followings" and document["partition_cols"] == ["follower_urn"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"follower_urn={urn.replace(':', '%3A')}" for urn in manifest["urn"][:2]
    )


def test_a_second_run_skips_fresh_owners_and_retries_the_failed(sb, client, tmp_path):
    out = tmp_path / "comments"
    first = export_collection("comments", [TRACK, "soundcloud:tracks:1"], out, limit=10,
                              client=client)  # fmt: skip
    assert first["status"].tolist() == ["ok", "failed"]
    sb.clear_log()
    again = export_collection("comments", [TRACK_LINK, TRACK, "soundcloud:tracks:1"], out,
                              limit=10, client=client)  # fmt: skip
    assert again["user"].tolist() == [TRACK_LINK, "soundcloud:tracks:1"]  # one track, 2 forms
    assert again["merged"].tolist() == [[TRACK], []]
    assert again["skipped"].tolist() == [True, False]
    assert sb.count("/tracks/*/comments") == 0  # the fresh one was not fetched again
    assert len(scdata.read_parquet(out)) == 10


def test_a_directory_holds_one_collection_and_partitions_name_the_owner(client, tmp_path):
    out = tmp_path / "data"
    export_collection("web_profiles", "bjork-unicode", out, client=client)
    with pytest.raises(scdata.ArgumentError, match="holds web_profiles, not followers"):
        export_collection("followers", "bjork-unicode", out, limit=5, client=client)
    with pytest.raises(scdata.ArgumentError, match="including one of"):
        export_collection("followers", "bjork-unicode", tmp_path / "f",
                          partition_cols=["city"], client=client)  # fmt: skip
    with pytest.raises(scdata.ArgumentError, match="not a collection"):
        export_collection("tweets", "bjork-unicode", tmp_path / "t", client=client)
    with pytest.raises(scdata.InvalidReferenceError, match=r"tracks\[0\]="):
        export_collection("comments", ["https://soundcloud.com/jowymusic"], tmp_path / "c",
                          client=client)  # fmt: skip
    assert default_partition_cols("tracks") == ("user_permalink",)
    assert default_partition_cols("playlists") == ("user_permalink",)
    assert default_partition_cols("comments") == ("track_urn",)


def test_export_tracks_is_export_collection_of_tracks(client, tmp_path):
    a = export_tracks(["artist-001"], tmp_path / "a", limit=5, client=client)
    b = export_collection("tracks", ["artist-001"], tmp_path / "b", limit=5, client=client)
    cols = ["user", "urn", "status", "rows", "partitions"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert json.loads(manifest_path(tmp_path / "a").read_text())["table"] == "tracks"


@pytest.mark.slow  # four exports through the console script (~15 s)
def test_cli_export_what(sb, client, tmp_path, monkeypatch, capsys):
    for key, value in sb.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCDATA_RATE_LIMIT", str(TEST_PACE))
    users = tmp_path / "users.txt"
    users.write_text("# fans\nbjork-unicode\nartist-002\n")
    out = tmp_path / "fans"
    assert cli.main(["export", "--what", "followers", str(users), "-o", str(out),
                     "--limit", "7"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert f"export: 2 users: 2 ok (2 fetched, 0 fresh), 0 failed; 14 rows in {out}" in err
    assert scdata.read_parquet(out).groupby("followed_urn").size().tolist() == [7, 7]
    tracks = tmp_path / "tracks.txt"
    tracks.write_text(f"{TRACK}\nsoundcloud:tracks:1\n")
    status = cli.main(["export", "--what", "related-tracks", str(tracks), "-o",
                       str(tmp_path / "related"), "--limit", "3"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert "export: 2 tracks: 1 ok (1 fetched, 0 fresh), 1 failed" in err
    assert "scdata: error: 1 of 2 tracks failed" in err


def test_a_wall_stops_a_collection_export_and_the_manifest_says_so(cache_dir, tmp_path):
    users = ["artist-001", "artist-002", "artist-003", "bjork-unicode"]
    settings = dict(cache="off", max_retries=1, retry_backoff=0.01, max_retry_wait=1,
                    rate_limit=8)  # fmt: skip
    with (
        Sandbox(artists=3, artist_tracks=20, request_rate=0) as sb,
        scdata.Client(**sb.client_settings, cache_dir=cache_dir, **settings) as client,
    ):
        wall = sb.catalog.user("artist-002")["id"]
        sb.rate_limit(f"/users/soundcloud:users:{wall}/followers", times=1000, reset_in=None)
        with pytest.raises(scdata.RateLimitError) as caught:
            export_collection("followers", users, tmp_path / "fans", limit=3, workers=1,
                              client=client)  # fmt: skip
        assert sb.count("/users/*/followers") == 2  # none after the wall but its retry
    frame = caught.value.manifest  # type: ignore[attr-defined]
    assert frame["status"].tolist() == ["ok", "failed", "not_attempted", "not_attempted"]
    document = json.loads(manifest_path(tmp_path / "fans").read_text())
    assert document["stopped"]["error_type"] == "RateLimitError"
