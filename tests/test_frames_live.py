"""Frames through the whole stack: the real recorded track, big users, several users at once."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import scdata
from scdata.frames.convert import empty_tracks_frame
from scdata.frames.schema import ParseWarning

from .conftest import REPO, SHARED, accessible

SAMPLE = SHARED / "soundcloud-api" / "samples" / "get_track_13158665_2022-05-05.json"


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/soundcloud-api/samples is not here")
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


@pytest.mark.slow  # a 10,000-track walk
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


# --------------------------------------------------------------------------- issue 10


def _artist(uid: int, permalink: str) -> dict:
    """A user as /users/{urn} sends it: the real counts."""
    return {
        "id": uid, "urn": f"soundcloud:users:{uid}", "kind": "user", "permalink": permalink,
        "username": permalink.title(), "permalink_url": f"https://soundcloud.com/{permalink}",
        "followers_count": 1_234_567, "followings_count": 89, "track_count": 3,
        "playlist_count": 4, "public_favorites_count": 56, "city": "Berlin", "country": "",
    }  # fmt: skip


def _embedded(user: dict) -> dict:
    """The same user as SoundCloud embeds it in a track collection: counts zeroed or absent."""
    keep = ("id", "urn", "kind", "permalink", "username", "city", "country")
    zeroed = dict.fromkeys(["followers_count", "followings_count", "public_favorites_count"], 0)
    return {
        **{k: user[k] for k in keep}, **zeroed,
        "permalink_url": user["permalink_url"] + "?utm_medium=api&utm_campaign=social_sharing"
        "&utm_source=id_317307",
    }  # fmt: skip


def _track(tid: int, user: dict, **fields: object) -> dict:
    return {
        "id": tid, "urn": f"soundcloud:tracks:{tid}", "kind": "track", "title": f"T{tid}",
        "created_at": "2024/03/14 12:00:00 +0000", "duration": 1000, "tag_list": "",
        "access": "playable", "user": _embedded(user), **fields,
    }  # fmt: skip


def test_embedded_user_counts_are_not_columns_and_the_join_gives_the_real_ones(client, sandbox):
    user = _artist(700_001, "zeroed-embedded")
    sandbox.catalog.add_user(user, [_track(800_000_000 + i, user) for i in range(3)])
    tracks = client.tracks_df("zeroed-embedded", progress=False)
    assert not [c for c in tracks.columns if c.startswith("user_") and c.endswith("_count")
                if c != "user_playback_count"]  # fmt: skip
    users = client.users_df(tracks["user_urn"].dropna().unique().tolist())
    counts = users[["urn", "followers_count", "followings_count", "track_count"]]
    joined = tracks.merge(
        counts.add_prefix("user_"), on="user_urn", how="left", validate="many_to_one"
    )
    assert joined["user_followers_count"].tolist() == [1_234_567] * 3  # not the embedded 0
    assert joined["user_track_count"].tolist() == [3] * 3
    assert str(joined["user_followers_count"].dtype) == "Int64"
    # the raw permalink_url (with the API's tracking query) is data, kept as sent
    assert tracks["user_permalink_url"].str.contains("utm_source=id_317307").all()
    assert tracks["user_country"].isna().all()  # "" is missing


@pytest.mark.slow  # over half a second: the full run has it
def test_the_join_example_in_docs_columns_md_runs(sandbox, sandbox_env):
    text = (REPO / "docs" / "columns.md").read_text(encoding="utf-8")
    section = text.split("## The uploader's counts", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(code, "docs/columns.md", "exec"), scope)
    tracks = scope["tracks"]
    names = ("jowymusic", "bjork-unicode")
    expected = {u: sandbox.catalog.user(u)["followers_count"] for u in names}
    got = tracks.groupby("user_permalink")["user_followers_count"].first().to_dict()
    assert got == expected
    assert len(tracks) == sum(len(sandbox.catalog.tracks(u)) for u in expected)


def test_odd_values_through_the_whole_stack(client, sandbox):
    user = _artist(700_002, "odd-values")
    tracks = [
        _track(810_000_001, user, playback_count="1234", bpm="12.5", genre=""),
        _track(810_000_002, user, playback_count=12.5, comment_count=7.0, description=""),
        _track(810_000_003, user, playback_count="lots", release_year="2020"),
        _track(810_000_004, user, label_name="", streamable="true"),
    ]
    sandbox.catalog.add_user(user, tracks)
    # served exactly as stored: timestamps as SoundCloud's other APIs write them
    tracks[0]["created_at"] = "2024-03-14T12:00:01Z"
    tracks[1]["created_at"] = "2024-03-14T14:00:02.5+02:00"
    tracks[2]["created_at"] = "not a date"
    with pytest.warns(ParseWarning) as caught:
        df = client.tracks_df("odd-values", progress=False)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages  # one per column, for the whole frame
    assert "'created_at': 1 value" in messages[0] and "'not a date'" in messages[0]
    assert "'playback_count': 2 values" in messages[1]
    by_id = df.set_index("id")
    assert by_id.loc[810_000_001, "playback_count"] == 1234
    assert by_id.loc[810_000_001, "bpm"] == 12.5
    assert pd.isna(by_id.loc[810_000_002, "playback_count"])  # 12.5: never truncated to 12
    assert by_id.loc[810_000_002, "comment_count"] == 7
    assert pd.isna(by_id.loc[810_000_003, "playback_count"])
    assert by_id.loc[810_000_003, "release_year"] == 2020
    assert by_id.loc[810_000_001, "created_at"] == pd.Timestamp("2024-03-14T12:00:01Z")
    assert by_id.loc[810_000_002, "created_at"] == pd.Timestamp("2024-03-14T12:00:02.5Z")
    assert by_id.loc[810_000_003, "created_at"] is pd.NaT
    assert by_id.loc[810_000_004, "streamable"]
    assert df[["genre", "description", "label_name"]].isna().all().all()
    assert df.dtypes.equals(empty_tracks_frame().dtypes)
    # a second frame from the cached typed pages warns again (the values are still missing)
    with pytest.warns(ParseWarning):
        again = client.tracks_df("odd-values", progress=False)
    pd.testing.assert_frame_equal(again, df)


def test_odd_values_keep_every_dtype_through_parquet(client, sandbox, tmp_path):
    user = _artist(700_003, "odd-parquet")
    tracks = [_track(820_000_001, user, bpm="fast", genre="", playback_count="9")]
    sandbox.catalog.add_user(user, tracks)
    tracks[0]["created_at"] = "2024-03-14T12:00:01.123Z"
    with pytest.warns(ParseWarning, match="'bpm'"):
        df = client.tracks_df("odd-parquet", progress=False)
    path = tmp_path / "odd.parquet"
    scdata.to_parquet(df, path)
    back = scdata.read_parquet(path)
    pd.testing.assert_frame_equal(back, df)
    assert back.loc[0, "playback_count"] == 9 and pd.isna(back.loc[0, "bpm"])
    assert back.loc[0, "created_at"] == pd.Timestamp("2024-03-14T12:00:01.123Z")


def test_one_warning_per_column_for_several_users(client, sandbox):
    for n in (1, 2):
        user = _artist(700_010 + n, f"odd-user-{n}")
        sandbox.catalog.add_user(user, [_track(830_000_000 + n, user, bpm="?")])
    with pytest.warns(ParseWarning) as caught:
        df = client.tracks_df(["odd-user-1", "odd-user-2"], progress=False)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "'bpm': 2 values" in messages[0], messages
    assert df["id"].tolist() == [830_000_001, 830_000_002]
