"""Building typed frames from API pages (scdata.frames.convert)."""

from __future__ import annotations

import contextlib
import gc
import json
import warnings
import weakref
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from scdata.frames import convert as frames
from scdata.frames.convert import (
    empty_tracks_frame,
    empty_users_frame,
    table_to_frame,
    tracks_frame,
    tracks_table,
    users_frame,
    users_table,
)
from scdata.frames.schema import (
    TRACK_COLUMNS,
    USER_COLUMNS,
    ParseWarning,
    arrow_schema,
    column_names,
    pandas_dtypes,
)

from .conftest import SHARED

SAMPLE = SHARED / "soundcloud-api" / "samples" / "get_track_13158665_2022-05-05.json"
BIG = 2**63 - 1  # largest int64


def sample_track() -> dict:
    if not SAMPLE.exists():
        pytest.skip(f"the recorded sample is not here: {SAMPLE.name} (../shared/soundcloud-api)")
    return json.loads(SAMPLE.read_text(encoding="utf-8"))["response"]["body"]


def track(i: int, **fields: object) -> dict:
    """A small but realistic modern track (with urn)."""
    tid = 2_000_000_000 + i
    record: dict = {
        "kind": "track",
        "id": tid,
        "urn": f"soundcloud:tracks:{tid}",
        "title": f"Track {i}",
        "created_at": "2024/03/14 12:00:00 +0000",
        "duration": 180_000 + i,
        "tag_list": '"deep house" chill',
        "playback_count": 10 * i,
        "favoritings_count": None,
        "streamable": True,
        "bpm": 120,
        "available_country_codes": ["DE", "GB"],
        "user": {"id": 42, "urn": "soundcloud:users:42", "username": "dj", "city": "Berlin"},
    }
    record.update(fields)
    return record


def assert_schema(df: pd.DataFrame, columns: tuple = TRACK_COLUMNS) -> None:
    assert list(df.columns) == column_names(columns)
    assert df.dtypes.to_dict() == pandas_dtypes(columns)
    assert isinstance(df.index, pd.RangeIndex)
    assert df.index.equals(pd.RangeIndex(len(df)))


# --------------------------------------------------------------------------- shape and dtypes


def test_empty_frame_has_every_column_and_dtype() -> None:
    assert_schema(empty_tracks_frame())
    assert_schema(tracks_frame([]))
    assert_schema(tracks_frame([[], []]))
    assert len(empty_tracks_frame()) == 0


def test_empty_users_frame() -> None:
    assert_schema(empty_users_frame(), USER_COLUMNS)
    assert_schema(users_frame([]), USER_COLUMNS)


def test_same_dtypes_for_0_1_and_1000_rows() -> None:
    empty = empty_tracks_frame().dtypes
    one = tracks_frame([[track(0)]])
    many = tracks_frame([[track(i) for i in range(p * 200, p * 200 + 200)] for p in range(5)])
    assert_schema(one)
    assert_schema(many)
    assert len(many) == 1000
    pd.testing.assert_series_equal(one.dtypes, empty)
    pd.testing.assert_series_equal(many.dtypes, empty)


def test_all_null_columns_keep_their_dtype() -> None:
    df = tracks_frame([[{"id": 1}]])
    assert_schema(df)
    assert df.loc[0, "created_at"] is pd.NaT
    assert df["created_at"].dtype == "datetime64[us, UTC]"


def test_table_has_the_final_arrow_schema() -> None:
    table = tracks_table([[track(1)]])
    assert table.schema.equals(arrow_schema(TRACK_COLUMNS))
    assert users_table([{"id": 1}]).schema.equals(arrow_schema(USER_COLUMNS))
    assert tracks_table([]).schema.equals(arrow_schema(TRACK_COLUMNS))


def test_table_to_frame_equals_tracks_frame() -> None:
    pages = [[track(i) for i in range(5)]]
    pd.testing.assert_frame_equal(table_to_frame(tracks_table(pages)), tracks_frame(pages))


def test_batches_give_the_same_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [[track(i), track(i + 100, urn=None), track(i + 200, id=None)] for i in range(10)]
    pages[4].append(track(3))  # duplicate from an earlier batch
    whole = tracks_frame(pages)
    monkeypatch.setattr(frames, "BATCH_ROWS", 4)
    pd.testing.assert_frame_equal(tracks_frame(pages), whole)
    assert len(whole) == 30


# --------------------------------------------------------------------------- the real recording


def test_real_recorded_track_is_normalised_like_any_other() -> None:
    df = tracks_frame([[sample_track()]])
    assert_schema(df)
    row = df.iloc[0]
    assert row["urn"] == "soundcloud:tracks:13158665"  # derived: the 2022 API sent no urn
    assert row["id"] == 13158665
    assert row["user_urn"] == "soundcloud:users:3699101"
    assert row["user_id"] == 3699101
    assert row["created_at"] == pd.Timestamp("2011-04-06 15:37:43", tz="UTC")
    assert row["duration"] == 18109
    assert row["duration_s"] == pytest.approx(18.109)
    assert row["tag_list"] == "soundcloud:source=iphone-record "
    assert row["tags"] == []
    assert row["machine_tags"] == ["soundcloud:source=iphone-record"]
    assert row["comment_count"] == 7
    assert row["playback_count"] == 17319
    assert row["download_count"] == 134
    assert row["favoritings_count"] == 5
    assert row["reposts_count"] == 1
    assert row["user_playback_count"] == 1
    assert df["user_favorite"].tolist() == [False]
    assert row["commentable"] and row["streamable"] and not row["downloadable"]
    assert row["license"] == "all-rights-reserved"
    assert row["access"] == "playable"
    assert row["user_username"] == "Alex Stevenson"
    assert pd.isna(row["user_city"])  # the API's "" for "no value" is missing
    assert pd.isna(row["user_country"])
    assert "user_followers_count" not in df.columns  # zeroed in embedded users: not data
    assert row["user_plan"] == "Free"
    assert row["available_country_codes"] is None
    assert pd.isna(row["bpm"]) and pd.isna(row["genre"]) and pd.isna(row["release_year"])
    assert row["waveform_url"] == "https://wave.sndcdn.com/fxguEjG4ax6B_m.png"


def test_real_recorded_user_in_users_frame() -> None:
    user = sample_track()["user"]
    df = users_frame([user])
    assert_schema(df, USER_COLUMNS)
    row = df.iloc[0]
    assert row["urn"] == "soundcloud:users:3699101"
    assert row["created_at"] == pd.Timestamp("2011-03-17 09:03:40", tz="UTC")
    assert row["last_modified"] == pd.Timestamp("2011-06-13 23:58:44", tz="UTC")
    assert pd.isna(row["first_name"]) and pd.isna(row["full_name"])  # "" is missing
    assert df["online"].tolist() == [False]
    assert row["likes_count"] == 0 and row["playlist_count"] == 0  # a real 0 stays 0
    assert pd.isna(row["website"])


# --------------------------------------------------------------------------- missing values


def test_counts_stay_missing_never_zero_or_float() -> None:
    records = [
        track(1, playback_count=None, comment_count=0),
        track(2, playback_count=5),
        {k: v for k, v in track(3).items() if k != "playback_count"},  # key absent
    ]
    df = tracks_frame([records])
    counts = df["playback_count"]
    assert counts.dtype == pd.Int64Dtype()
    assert counts.isna().tolist() == [True, False, True]
    assert counts[0] is pd.NA
    assert counts[1] == 5
    assert df.loc[0, "comment_count"] == 0
    assert df["favoritings_count"].isna().all()
    assert df["favoritings_count"].dtype == pd.Int64Dtype()


def test_missing_user_gives_missing_user_columns() -> None:
    df = tracks_frame([[track(1, user=None), {"id": 5}]])
    track_fields = {"user_favorite", "user_playback_count"}
    user_cols = [c for c in df.columns if c.startswith("user_") and c not in track_fields]
    assert df[user_cols].isna().all().all()
    assert df["user_id"].dtype == pd.Int64Dtype()


def test_booleans_are_nullable() -> None:
    df = tracks_frame([[track(1, streamable=None), track(2, streamable=False)]])
    assert df["streamable"].dtype == pd.BooleanDtype()
    assert df["streamable"].isna().tolist() == [True, False]
    assert not df.loc[1, "streamable"]


def test_strings_use_the_pandas_str_dtype() -> None:
    df = tracks_frame([[track(1, description=None), track(2, description="hi")]])
    assert df["description"].dtype == "str"
    assert pd.isna(df.loc[0, "description"])
    assert df.loc[1, "description"] == "hi"


# --------------------------------------------------------------------------- ids and urns


@pytest.mark.parametrize("number", [2**31 + 1, 2**53 + 1, 2**62 + 3, BIG])
def test_large_ids_are_exact(number: int) -> None:
    from_id = tracks_frame([[{"id": number, "user": {"id": number}}]])
    from_urn = tracks_frame([[{"urn": f"soundcloud:tracks:{number}"}]])
    assert from_id.loc[0, "id"] == number
    assert from_id.loc[0, "urn"] == f"soundcloud:tracks:{number}"
    assert from_id.loc[0, "user_id"] == number
    assert from_id.loc[0, "user_urn"] == f"soundcloud:users:{number}"
    assert from_urn.loc[0, "id"] == number
    assert int(from_urn["id"].astype("Int64").iloc[0]) == number


def test_id_and_urn_are_derived_from_each_other() -> None:
    df = tracks_frame(
        [
            [
                {"id": 7},  # urn from id
                {"urn": "soundcloud:tracks:8"},  # id from urn
                {"id": 9, "urn": "soundcloud:tracks:9"},
                {"urn": "soundcloud:tracks:not-a-number"},  # id stays missing, no error
                {"title": "neither"},
                {"user": {"urn": "soundcloud:users:11"}},
                {"user": {"id": 12}},
            ]
        ]
    )
    assert df["urn"].tolist()[:4] == [
        "soundcloud:tracks:7",
        "soundcloud:tracks:8",
        "soundcloud:tracks:9",
        "soundcloud:tracks:not-a-number",
    ]
    assert df["id"].tolist()[:3] == [7, 8, 9]
    assert df["id"].isna().tolist()[3:] == [True, True, True, True]
    assert pd.isna(df.loc[4, "urn"])
    assert df.loc[5, "user_id"] == 11
    assert df.loc[6, "user_urn"] == "soundcloud:users:12"


def test_users_id_urn_derivation() -> None:
    df = users_frame([{"id": 3}, {"urn": "soundcloud:users:4"}])
    assert df["urn"].tolist() == ["soundcloud:users:3", "soundcloud:users:4"]
    assert df["id"].tolist() == [3, 4]


def test_urn_id_too_large_is_missing_with_a_warning() -> None:
    with pytest.warns(ParseWarning, match=r"'id' from 'urn': 1 value .*64-bit") as caught:
        df = tracks_frame([[{"urn": f"soundcloud:tracks:{2**64}"}, {"id": 5}]])
    assert len(caught) == 1
    assert pd.isna(df.loc[0, "id"]) and df.loc[0, "urn"] == f"soundcloud:tracks:{2**64}"
    assert df.loc[1, "id"] == 5


# --------------------------------------------------------------------------- duplicates


def test_duplicate_urns_are_dropped_keeping_the_first() -> None:
    pages = [
        [track(1, title="first"), track(2), track(1, title="same page dup")],
        [track(3), track(2, title="later page dup")],
        [{"id": 2_000_000_003, "title": "dup by id only"}],
        [{"title": "no key"}, {"title": "no key"}],
    ]
    df = tracks_frame(pages)
    assert df["urn"].tolist()[:3] == [
        "soundcloud:tracks:2000000001",
        "soundcloud:tracks:2000000002",
        "soundcloud:tracks:2000000003",
    ]
    assert df.loc[0, "title"] == "first"
    assert df.loc[1, "title"] == "Track 2"
    assert len(df) == 5  # rows without any urn/id are all kept
    assert df["urn"].dropna().is_unique
    assert isinstance(df.index, pd.RangeIndex) and df.index.equals(pd.RangeIndex(5))


def test_duplicate_users_are_dropped() -> None:
    df = users_frame([{"id": 1, "username": "a"}, {"urn": "soundcloud:users:1"}, {"id": 2}])
    assert df["username"].tolist()[0] == "a"
    assert df["id"].tolist() == [1, 2]


# --------------------------------------------------------------------------- tags and lists


def test_tags_are_parsed_into_two_list_columns() -> None:
    df = tracks_frame(
        [
            [
                track(1, tag_list='"hip hop" trap soundcloud:source=web-record '),
                track(2, tag_list=""),
                track(3, tag_list="  "),
                track(4, tag_list='rock "unclosed quote'),
                track(5, tag_list=None),
            ]
        ]
    )
    assert df["tags"].tolist() == [["hip hop", "trap"], [], [], ["rock", "unclosed quote"], None]
    assert df["machine_tags"].tolist() == [["soundcloud:source=web-record"], [], [], [], None]
    assert df.loc[0, "tag_list"] == '"hip hop" trap soundcloud:source=web-record '
    assert all(isinstance(v, list) for v in df["tags"][:4])


def test_available_country_codes_array_null_or_string() -> None:
    df = tracks_frame(
        [
            [
                track(1, available_country_codes=["DE", "GB"]),
                track(2, available_country_codes=None),
                track(3, available_country_codes="US, FR BR"),
                track(4, available_country_codes=[]),
            ]
        ]
    )
    assert df["available_country_codes"].tolist() == [["DE", "GB"], None, ["US", "FR", "BR"], []]
    assert df["available_country_codes"].dtype == object


def test_numbers() -> None:
    df = tracks_frame([[track(1, bpm=128, duration=1500), track(2, bpm=174.5, duration=None)]])
    assert df["bpm"].dtype == np.float64
    assert df["bpm"].tolist() == [128.0, 174.5]
    assert df["duration"].tolist()[0] == 1500
    assert df["duration_s"].tolist()[0] == 1.5
    assert np.isnan(df["duration_s"].tolist()[1])


def test_timestamps_are_utc_microseconds() -> None:
    df = tracks_frame([[track(1, created_at="2019/01/15 15:40:49 +0000")]])
    assert df["created_at"].dtype == pd.DatetimeTZDtype("us", "UTC")
    assert df.loc[0, "created_at"] == pd.Timestamp("2019-01-15T15:40:49Z")


# --------------------------------------------------------------------------- robustness


def test_unknown_fields_are_ignored() -> None:
    plain = tracks_frame([[track(1)]])
    extra = track(1, brand_new_field={"nested": [1, 2]}, another=3.5)
    extra["user"] = {**extra["user"], "subscriptions": [{"product": {"id": "free"}}], "x": 1}
    pd.testing.assert_frame_equal(tracks_frame([[extra]]), plain)


@pytest.mark.parametrize(
    ("fields", "column", "value"),
    [
        ({"playback_count": "many"}, "playback_count", "'many'"),
        ({"playback_count": 12.5}, "playback_count", "12.5"),
        ({"streamable": "maybe"}, "streamable", "'maybe'"),
        ({"title": {"text": "x"}}, "title", "{'text': 'x'}"),
        ({"bpm": "fast"}, "bpm", "'fast'"),
        ({"created_at": "yesterday"}, "created_at", "'yesterday'"),
        ({"created_at": 1547566849}, "created_at", "1547566849"),
        ({"user": {"id": 1.5}}, "user_id", "1.5"),
        ({"user": "someone"}, "user_*", "'someone'"),
        ({"available_country_codes": [1, 2]}, "available_country_codes", "[1, 2]"),
        ({"duration": "long"}, "'duration'", "'long'"),
    ],
)
def test_unreadable_values_are_missing_with_one_warning(
    fields: dict, column: str, value: str
) -> None:
    good = [track(i) for i in range(3)]
    bad = [track(9, **fields), track(10, **fields)]
    with pytest.warns(ParseWarning) as caught:
        df = tracks_frame([good, bad])
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert column in messages[0] and "2 values" in messages[0] and value in messages[0]
    assert_schema(df)
    assert len(df) == 5  # nothing aborted, no row lost
    assert df["urn"].notna().all()
    name = column.strip("'").replace("_*", "_username")
    assert df[name].iloc[:3].notna().all() and df[name].iloc[3:].isna().all()


def test_numbers_sent_as_strings_are_read() -> None:
    rows = [
        track(1, playback_count="1234", bpm="12.5", release_year=" 2020 ", duration="1500.0"),
        track(2, streamable="false", downloadable=1, title=2024, comment_count=7.0),
        track(3, id="2000000003", urn=None, user={"id": "42", "username": "dj"}),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all of these are readable: no warning at all
        df = tracks_frame([rows])
    assert df.loc[0, "playback_count"] == 1234 and df.loc[0, "bpm"] == 12.5
    assert df.loc[0, "release_year"] == 2020 and df.loc[0, "duration"] == 1500
    assert df.loc[0, "duration_s"] == 1.5
    assert not df.loc[1, "streamable"] and df.loc[1, "downloadable"]
    assert df.loc[1, "title"] == "2024" and df.loc[1, "comment_count"] == 7
    assert df.loc[2, "urn"] == "soundcloud:tracks:2000000003"
    assert df.loc[2, "user_urn"] == "soundcloud:users:42"
    assert_schema(df)


def test_a_fraction_in_an_integer_column_is_never_truncated() -> None:
    rows = [track(1, playback_count=12.0), track(2, playback_count=12.5), track(3)]
    with pytest.warns(ParseWarning, match=r"'playback_count': 1 value .*never truncated.*12\.5"):
        df = tracks_frame([rows])
    assert df["playback_count"].tolist()[:2] == [12, pd.NA]
    assert df.loc[2, "playback_count"] == 30
    odd = [track(i, playback_count=v) for i, v in enumerate([1e20, float("inf"), 2.0**53])]
    with pytest.warns(ParseWarning, match="'playback_count': 2 values"):
        df = tracks_frame([odd])  # a float beyond 2**53 has lost digits: missing too
    assert df["playback_count"].tolist() == [pd.NA, pd.NA, 2**53]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020/07/16 16:09:54 +0000", "2020-07-16T16:09:54Z"),
        ("2020/07/16 18:09:54 +0200", "2020-07-16T16:09:54Z"),
        ("2020-07-16T16:09:54Z", "2020-07-16T16:09:54Z"),
        ("2020-07-16T16:09:54.123Z", "2020-07-16T16:09:54.123Z"),
        ("2020-07-16T16:09:54.123456Z", "2020-07-16T16:09:54.123456Z"),
        ("2020-07-16T18:09:54+02:00", "2020-07-16T16:09:54Z"),
        ("2020-07-16T18:09:54.5+0200", "2020-07-16T16:09:54.5Z"),
        ("2020-07-16 16:09:54Z", "2020-07-16T16:09:54Z"),
        ("2020-07-16T16:09:54.123456789Z", "2020-07-16T16:09:54.123456Z"),  # ns: to us
    ],
)
def test_every_timestamp_format_soundcloud_has_used(text: str, expected: str) -> None:
    rows = [track(1), track(2, created_at=text)]  # mixed with the API's usual format
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = tracks_frame([rows])
    assert df.loc[1, "created_at"] == pd.Timestamp(expected)
    assert df.loc[0, "created_at"] == pd.Timestamp("2024-03-14T12:00:00Z")
    assert df["created_at"].dtype == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    "text", ["2020-07-16", "2020-07-16T16:09:54", "2020-13-16T16:09:54Z", "", "16/07/2020"]
)
def test_timestamps_that_cannot_be_read_are_missing(text: str) -> None:
    with pytest.warns(ParseWarning, match="'created_at': 1 value") as caught:
        df = tracks_frame([[track(1), track(2, created_at=text)]])
    assert len(caught) == 1
    assert df.loc[0, "created_at"] == pd.Timestamp("2024-03-14T12:00:00Z")
    assert df.loc[1, "created_at"] is pd.NaT


def test_one_warning_per_column_for_the_whole_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "BATCH_ROWS", 3)  # several batches, each with bad values
    pages = [[track(p * 10 + i, bpm="?", created_at="soon") for i in range(4)] for p in range(3)]
    with pytest.warns(ParseWarning) as caught:
        df = tracks_frame(pages)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages
    assert "'bpm': 12 values" in messages[0] and "'created_at': 12 values" in messages[1]
    assert len(df) == 12 and df["bpm"].isna().all()


def test_the_warning_never_shows_a_credential() -> None:
    secret = "Bearer 2-123456-abcdefABCDEF0123456789abcdef"
    with pytest.warns(ParseWarning) as caught:
        tracks_frame([[track(1, bpm=secret)]])
    message = str(caught[0].message)
    assert "abcdef" not in message and "hidden" in message and "'bpm'" in message


def test_null_items_are_skipped_never_a_row_without_a_key() -> None:
    with pytest.warns(ParseWarning, match=r"items: 3 values .*skipped.*None") as caught:
        df = tracks_frame([[track(1), None, track(2)], [None, "soundcloud:tracks:1", track(3)]])
    assert len(caught) == 1
    assert len(df) == 3 and df["urn"].notna().all() and df["id"].notna().all()
    with pytest.warns(ParseWarning, match="items"):
        users = users_frame([{"id": 1}, None])
    assert users["id"].tolist() == [1]


def test_lone_surrogates_are_replaced_not_fatal() -> None:
    rows = [track(1, title="caf\ud800", user={"id": 1, "username": "\udcff dj"})]
    df = tracks_frame([rows])
    assert df.loc[0, "title"] == "caf\ufffd"
    assert df.loc[0, "user_username"] == "\ufffd dj"
    pd.testing.assert_frame_equal(
        table_to_frame(frames.tracks_page_table(rows)),
        df,  # the client's per-page path too
    )


def test_empty_strings_are_missing_but_an_empty_tag_list_means_no_tags() -> None:
    row = track(1, genre="", description="", label_name="", tag_list="", urn="")
    row["user"] = {"id": 4, "username": "dj", "city": "", "country": "", "permalink": ""}
    df = tracks_frame([[row, track(2, genre=" ")]])
    for name in ["genre", "description", "label_name", "user_city", "user_country"]:
        assert pd.isna(df.loc[0, name]), name
    assert pd.isna(df.loc[0, "user_permalink"])
    assert df.loc[0, "urn"] == "soundcloud:tracks:2000000001"  # "" urn rebuilt from the id
    assert df.loc[0, "tag_list"] == "" and df.loc[0, "tags"] == []
    assert df.loc[0, "machine_tags"] == []
    assert df.loc[1, "genre"] == " "  # whitespace is kept as sent
    assert_schema(df)


def test_page_tables_carry_their_problems_to_one_warning_per_frame() -> None:
    """The client's path: typed page tables, concatenated, then a frame."""
    a = frames.tracks_page_table([track(1, bpm="?"), track(2)])
    b = frames.tracks_page_table([track(3, bpm="??"), None])
    c = frames.tracks_page_table([track(4)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # building page tables does not warn
        combined = frames.concat_tracks([a, b, c])
    with pytest.warns(ParseWarning) as caught:
        df = table_to_frame(combined)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages
    assert "'bpm': 2 values" in messages[0] and "items: 1 value " in messages[1]
    assert df["id"].tolist() == [2_000_000_001, 2_000_000_002, 2_000_000_003, 2_000_000_004]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table_to_frame(frames.concat_tracks([c]))  # a clean table: no warning


def test_users_tolerate_odd_values() -> None:
    with pytest.warns(ParseWarning) as caught:
        df = users_frame(
            [
                {"id": 1, "followers_count": "12", "last_modified": "2020-07-16T16:09:54Z"},
                {"id": 2, "followers_count": "lots", "last_modified": "yesterday", "city": ""},
            ]
        )
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages
    assert "users: column 'followers_count': 1 value" in messages[0]
    assert "'last_modified': 1 value" in messages[1] and "'yesterday'" in messages[1]
    assert df["followers_count"].tolist() == [12, pd.NA]
    assert df.loc[0, "last_modified"] == pd.Timestamp("2020-07-16T16:09:54Z")
    assert pd.isna(df.loc[1, "city"])
    assert_schema(df, USER_COLUMNS)


def test_pages_must_be_lists_of_dicts() -> None:
    with pytest.raises(TypeError, match="collection"):
        tracks_frame([track(1)])  # a list of tracks, not a list of pages
    with pytest.raises(TypeError):
        tracks_frame(track(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        users_frame({"id": 1})  # type: ignore[arg-type]


def test_pages_are_converted_as_they_arrive() -> None:
    """A page that is not a list raises before the next page is even requested (streaming)."""
    requested: list[int] = []

    def pages() -> Iterator[list[dict]]:
        for n in range(5):
            requested.append(n)
            yield track(n) if n == 1 else [track(n)]  # type: ignore[misc]

    with pytest.raises(TypeError):
        tracks_frame(pages())
    assert requested == [0, 1]


def test_generator_of_pages_and_of_users() -> None:
    df = tracks_frame([track(i)] for i in range(3))
    assert len(df) == 3
    users = users_frame({"id": i} for i in range(2500))  # spans several internal batches
    assert users["id"].tolist() == list(range(2500))


# --------------------------------------------------------------------------- the cyclic GC


@contextlib.contextmanager
def _no_automatic_collection() -> Iterator[None]:
    """Only explicit collections run (a young collection would otherwise come by chance)."""
    threshold = gc.get_threshold()
    gc.set_threshold(10**9)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _tag_table(n: int = 50) -> pa.Table:
    return tracks_table([[{"id": i, "tag_list": f'tag{i} "deep house"'} for i in range(n)]])


def test_list_cells_land_in_the_oldest_generation_unscanned_and_the_gc_stays_on() -> None:
    table = _tag_table()
    with _no_automatic_collection():
        df = table_to_frame(table)
    assert gc.isenabled()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert df["tags"].map(id).isin(oldest).all()
    assert df.loc[0, "tags"] == ["tag0", "deep house"]


def test_the_callers_young_garbage_is_collected_not_carried_into_the_oldest_generation() -> None:
    table = _tag_table()

    class Node:
        pass

    with _no_automatic_collection():
        node = Node()
        node.self = node  # a cycle: only the cyclic GC frees it
        ref = weakref.ref(node)
        del node
        table_to_frame(table)
        assert ref() is None


def test_a_process_that_froze_objects_keeps_them_frozen() -> None:
    table = _tag_table()
    keep = [object() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        df = table_to_frame(table)
        assert gc.get_freeze_count() == frozen  # nothing unfrozen, nothing promoted
        assert df.loc[1, "tags"] == ["tag1", "deep house"]
    finally:
        gc.unfreeze()
    del keep


def test_a_process_that_disabled_the_gc_keeps_it_disabled() -> None:
    table = _tag_table()
    gc.disable()
    try:
        df = table_to_frame(table)
        assert not gc.isenabled()
        assert len(df) == 50
    finally:
        gc.enable()
