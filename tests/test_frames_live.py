"""Frames through the whole stack: the real recorded track, big users, several users at once."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import scdata
from scdata.frames import empty_tracks_frame

from .conftest import SHARED, accessible

SAMPLE = SHARED / "soundcloud-api" / "samples" / "get_track_13158665_2022-05-05.json"


def test_real_recorded_track_served_by_the_emulator_is_normalised(client, sandbox):
    track = json.loads(SAMPLE.read_text())["response"]["body"]  # recorded 2022: no urn
    user = track["user"]
    sandbox.catalog.add_user(user, [track])
    df = client.tracks_df(user["permalink"], progress=False)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["urn"] == "soundcloud:tracks:13158665" and row["id"] == 13158665
    assert row["user_urn"] == "soundcloud:users:3699101"
    assert row["created_at"] == pd.Timestamp("2011-04-06 15:37:43", tz="UTC")
    assert row["duration"] == 18109 and row["duration_s"] == 18.109
    assert row["playback_count"] == 17319 and pd.isna(row["bpm"]) and pd.isna(row["genre"])
    assert row["tags"] == [] and row["machine_tags"] == ["soundcloud:source=iphone-record"]
    assert row["tag_list"] == "soundcloud:source=iphone-record "
    assert df.dtypes.equals(empty_tracks_frame().dtypes)


def test_hidden_counts_stay_missing(client, sandbox):
    tracks = sandbox.catalog.tracks("jowymusic")
    df = client.tracks_df("jowymusic", progress=False)
    hidden = [t["playback_count"] is None for t in tracks]
    assert any(hidden)
    assert df["playback_count"].isna().tolist() == hidden
    assert str(df["playback_count"].dtype) == "Int64"


def test_empty_user_frame_equals_the_schema(client):
    df = client.tracks_df("empty-artist", progress=False)
    pd.testing.assert_frame_equal(df, empty_tracks_frame())


def test_ten_thousand_tracks_complete_without_duplicates(client, sandbox):
    df = client.tracks_df("big-catalog", progress=False)
    assert df["id"].tolist() == [t["id"] for t in sandbox.catalog.tracks("big-catalog")]
    assert len(df) == sandbox.catalog.user("big-catalog")["track_count"]
    assert df["urn"].is_unique
    assert sandbox.count("/users/*/tracks") <= 51


def test_three_users_concurrently_in_the_order_given(client, sandbox):
    users = ["bjork-unicode", "jowymusic", "urn-era-artist"]
    df = client.tracks_df(users, progress=False)
    expected = [t["id"] for u in users for t in sandbox.catalog.tracks(u)]
    assert df["id"].tolist() == expected
    assert df["user_permalink"].drop_duplicates().tolist() == users


def test_unknown_user_in_a_list_raises_naming_it(client):
    try:
        client.tracks_df(["jowymusic", "nobody-here-123"], progress=False)
    except scdata.UserNotFoundError as exc:
        assert "nobody-here-123" in str(exc)
    else:
        raise AssertionError("no error for an unknown user")


def test_unknown_id_is_not_an_empty_frame(client):
    try:
        client.tracks_df(987654321987, progress=False)
    except scdata.UserNotFoundError as exc:
        assert "987654321987" in str(exc)
    else:
        raise AssertionError("no error for an unknown id")


def test_users_df_types(client, sandbox):
    df = client.users_df(["jowymusic", "urn-era-artist"])
    assert df["id"].tolist() == [
        sandbox.catalog.user(u)["id"] for u in ("jowymusic", "urn-era-artist")
    ]
    assert str(df["followers_count"].dtype) == "Int64"
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"


def test_new_api_fields_never_break_the_frame_and_raw_keeps_them(client, sandbox):
    track = dict(accessible(sandbox.catalog.tracks("jowymusic"))[0])
    track.update(id=9_000_000_001, urn="soundcloud:tracks:9000000001", brand_new_field={"x": 1})
    sandbox.catalog.add_tracks("empty-artist", [track])
    df = client.tracks_df("empty-artist", progress=False)
    assert "brand_new_field" not in df.columns and df.loc[0, "id"] == 9_000_000_001
    raw = client.tracks_df("empty-artist", raw=True)
    assert raw[0]["brand_new_field"] == {"x": 1}


def test_users_straight_from_a_dataframe_column(client, sandbox):
    users = client.users_df(["jowymusic", "bjork-unicode"])
    by_id = client.tracks_df(users["id"], limit=np.int64(5), progress=False)  # numpy integers
    by_name = client.tracks_df(users["permalink"], limit=5, progress=False)
    pd.testing.assert_frame_equal(by_id, by_name)
    assert len(by_id) == 10
