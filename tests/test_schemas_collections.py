"""Every item schema (playlists, comments, web profiles besides tracks and users) and the
extra columns of the collection functions: typed at 0 and N rows, and through Parquet."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scdata.frames.convert import (
    concat_pages,
    empty_frame,
    items_frame,
    items_table,
    page_table,
    table_to_frame,
    tracks_frame,
)
from scdata.frames.files import frame_to_table, read_parquet, to_parquet, write_frame
from scdata.frames.schema import (
    COMMENT_COLUMNS,
    EXTRA_COLUMNS,
    KINDS,
    PLAYLIST_COLUMNS,
    SCHEMAS,
    TRACK_COLUMNS,
    USER_COLUMNS,
    WEB_PROFILE_COLUMNS,
    Column,
    ParseWarning,
    arrow_schema,
    column_names,
    columns_document,
    pandas_dtypes,
)

from .conftest import SHARED_API

SAMPLES = SHARED_API / "samples"
#: Counts of an embedded user: zeroed or absent in real answers (API-NOTES-2 §1.3, #210).
EMBEDDED_USER_COUNTS = {
    "user_followers_count",
    "user_followings_count",
    "user_track_count",
    "user_playlist_count",
    "user_public_favorites_count",
    "user_reposts_count",
    "user_likes_count",
    "user_comments_count",
}


def value(col: Column, i: int) -> Any:
    """A realistic API value of a column for row `i` (None on every third row)."""
    if col.urn_collection and col.kind == "int":
        return 1_000 + i
    if col.urn_collection:
        return f"soundcloud:{col.urn_collection}:{1_000 + i}"
    if col.name == "tag_list":
        return '"hip hop" trap soundcloud:source=web-record'
    if i % 3 == 2:
        return None
    return {
        "int": 2**40 + i,
        "float": 120.5 + i,
        "bool": i % 2 == 0,
        "str": f"{col.name} {i} é",
        "timestamp": "2020/07/16 16:09:54 +0000",
        "list": ["DE", "GB"],
    }[col.kind]


def item(kind: str, i: int) -> dict[str, Any]:
    """An API object of `kind` with every declared field, nested as the API nests them."""
    record: dict[str, Any] = {}
    for col in SCHEMAS[kind]:
        if col.derived:
            continue
        head, *rest = col.path
        if rest:
            record.setdefault(head, {})[rest[0]] = value(col, i)
        else:
            record[head] = value(col, i)
    return record


def check_typed(df: pd.DataFrame, kind: str) -> None:
    assert list(df.columns) == column_names(SCHEMAS[kind])
    assert df.dtypes.to_dict() == pandas_dtypes(SCHEMAS[kind])
    assert isinstance(df.index, pd.RangeIndex)


# --------------------------------------------------------------------------- declarations


def test_the_registry_names_every_schema() -> None:
    assert list(SCHEMAS) == ["tracks", "users", "playlists", "comments", "web_profiles"]
    assert SCHEMAS["tracks"] is TRACK_COLUMNS and SCHEMAS["users"] is USER_COLUMNS
    assert SCHEMAS["playlists"] is PLAYLIST_COLUMNS
    assert SCHEMAS["comments"] is COMMENT_COLUMNS
    assert SCHEMAS["web_profiles"] is WEB_PROFILE_COLUMNS


@pytest.mark.parametrize("kind", SCHEMAS)
def test_names_are_unique_the_key_first_and_described(kind: str) -> None:
    names = column_names(SCHEMAS[kind])
    assert len(names) == len(set(names))
    assert names[:2] == ["urn", "id"]
    assert all(c.description.endswith(".") for c in SCHEMAS[kind])


@pytest.mark.parametrize("kind", ["tracks", "playlists", "comments"])
def test_no_embedded_user_count(kind: str) -> None:
    names = set(column_names(SCHEMAS[kind]))
    assert not names & EMBEDDED_USER_COUNTS
    user_ints = [c.name for c in SCHEMAS[kind] if c.name.startswith("user_") and c.kind == "int"]
    assert set(user_ints) <= {"user_id", "user_playback_count"}


def test_the_spec_fields_are_columns() -> None:
    """api.yaml's Playlist, Comment and WebProfiles properties (API-NOTES-2 §2.3, 2.7, 2.9)."""
    playlist = {c.source for c in PLAYLIST_COLUMNS} | {c.fallback for c in PLAYLIST_COLUMNS}
    not_kept = {"tracks", "user", "label", "tags"}  # tracks: playlist_tracks_df
    spec = [
        "title", "urn", "kind", "artwork_url", "created_at", "description", "downloadable",
        "duration", "ean", "embeddable_by", "genre", "label_id", "label_name", "last_modified",
        "license", "permalink", "permalink_url", "playlist_type", "purchase_title",
        "purchase_url", "release", "release_day", "release_month", "release_year", "sharing",
        "streamable", "tag_list", "track_count", "type", "uri", "likes_count", "tracks_uri",
    ]  # fmt: skip
    assert set(spec) - not_kept <= playlist
    comment = {c.source for c in COMMENT_COLUMNS} | {c.fallback for c in COMMENT_COLUMNS}
    assert {"body", "created_at", "urn", "kind", "user_urn", "timestamp", "track_urn", "uri",
            "user.urn", "user.username", "user.permalink", "user.permalink_url",
            "user.avatar_url"} <= comment  # fmt: skip
    assert column_names(WEB_PROFILE_COLUMNS) == [
        "urn", "id", "kind", "service", "title", "url", "username", "created_at"
    ]  # fmt: skip


def test_extra_columns_are_declared_once_and_typed() -> None:
    assert list(EXTRA_COLUMNS) == [
        "position", "rank", "search_rank", "search_query", "window_start", "window_end",
        "liker_urn", "reposter_urn", "followed_urn", "follower_urn", "item_urn",
        "playlist_urn", "source_urn", "user_urn", "tracks_missing", "observed_at", "track_urns",
    ]  # fmt: skip
    kinds = {name: col.kind for name, col in EXTRA_COLUMNS.items()}
    assert kinds["position"] == kinds["rank"] == kinds["search_rank"] == "int"
    assert kinds["tracks_missing"] == "int" and kinds["track_urns"] == "list"
    assert kinds["window_start"] == kinds["observed_at"] == "timestamp"
    assert all(kinds[n] == "str" for n in EXTRA_COLUMNS if n.endswith("_urn"))
    for col in EXTRA_COLUMNS.values():
        assert col.description.endswith(".") and col.derived
    assert "0 = first" in EXTRA_COLUMNS["position"].description
    # an extra column never clashes with an item column of another type
    for columns in SCHEMAS.values():
        for col in columns:
            if col.name in EXTRA_COLUMNS:
                assert EXTRA_COLUMNS[col.name].kind == col.kind


def test_the_document_covers_every_schema_and_extra() -> None:
    doc = columns_document()
    for heading in ("## Tracks", "## Users", "## Playlists", "## Comments", "## Web profiles",
                    "## Extra columns"):  # fmt: skip
        assert heading in doc
    for name in EXTRA_COLUMNS:
        assert f"| `{name}` |" in doc
    assert "`user_urn`, else `user.urn`" in doc  # the fallback source is shown


# --------------------------------------------------------------------------- 0 and N rows


@pytest.mark.parametrize("kind", SCHEMAS)
def test_zero_and_n_rows_keep_columns_and_dtypes(kind: str) -> None:
    check_typed(empty_frame(kind), kind)
    check_typed(items_frame(kind, []), kind)
    check_typed(items_frame(kind, [[]]), kind)
    pages = [[item(kind, i) for i in range(p * 4, p * 4 + 4)] for p in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParseWarning)
        df = items_frame(kind, pages)
    check_typed(df, kind)
    assert len(df) == 12
    assert items_table(kind, pages).schema.equals(arrow_schema(SCHEMAS[kind]))
    # the page tables of a walk give the same frame
    tables = [page_table(kind, page) for page in pages]
    whole = table_to_frame(concat_pages(kind, tables, distinct=True), kind)
    pd.testing.assert_frame_equal(whole, df)


@pytest.mark.parametrize("kind", SCHEMAS)
def test_all_missing_values_keep_dtypes(kind: str) -> None:
    df = items_frame(kind, [[{"urn": f"soundcloud:x:{i}"} for i in range(3)]])
    check_typed(df, kind)


def test_an_unknown_kind_is_refused() -> None:
    for call in (
        lambda: page_table("track", []),
        lambda: items_frame("likes", []),
        lambda: empty_frame("Tracks"),
        lambda: concat_pages("", []),
    ):
        with pytest.raises(ValueError, match=r"not an item schema.*'web_profiles'"):
            call()
    with pytest.raises(ValueError, match="not extra columns"):
        empty_frame("tracks", ["positon"])


def test_the_generic_functions_equal_the_tracks_and_users_ones() -> None:
    from scdata.frames.convert import concat_tracks, tracks_page_table, users_frame

    pages = [[item("tracks", i) for i in range(5)], [item("tracks", 3), item("tracks", 9)]]
    pd.testing.assert_frame_equal(items_frame("tracks", pages), tracks_frame(pages))
    users = [item("users", i) for i in range(4)]
    pd.testing.assert_frame_equal(items_frame("users", [users]), users_frame(users))
    a, b = (tracks_page_table(p) for p in pages)
    assert concat_pages("tracks", [page_table("tracks", p) for p in pages]).equals(
        concat_tracks([a, b])
    )


# --------------------------------------------------------------------------- comments


def test_comment_timestamp_from_a_number_a_numeric_string_or_null() -> None:
    sent = [4960, "4960", " 12000 ", "7.0", 7.0, None, 0, 2**53 + 2]
    page = [{"id": i, "timestamp": t} for i, t in enumerate(sent)]
    df = items_frame("comments", [page])
    assert df["timestamp"].dtype == pd.Int64Dtype()
    assert df["timestamp"].tolist() == [4960, 4960, 12000, 7, 7, pd.NA, 0, 2**53 + 2]
    assert df["timestamp_s"].dtype == np.float64
    assert df["timestamp_s"].tolist()[:5] == [4.96, 4.96, 12.0, 0.007, 0.007]
    assert np.isnan(df.loc[5, "timestamp_s"]) and df.loc[6, "timestamp_s"] == 0.0


def test_a_comment_timestamp_that_is_not_a_whole_number_is_missing_with_a_warning() -> None:
    page = [{"id": 1, "timestamp": "12.5"}, {"id": 2, "timestamp": "soon"}, {"id": 3,
            "timestamp": 12.5}, {"id": 4, "timestamp": 100}]  # fmt: skip
    with pytest.warns(ParseWarning, match="timestamp"):
        df = items_frame("comments", [page])
    assert df["timestamp"].tolist() == [pd.NA, pd.NA, pd.NA, 100]


def test_comment_ids_and_users_from_either_field() -> None:
    page = [
        # the spec's shape: URNs only, the commenter at the top and in `user`
        {"urn": "soundcloud:comments:1", "track_urn": "soundcloud:tracks:9",
         "user_urn": "soundcloud:users:5",
         "user": {"urn": "souncloud:users:5", "username": "ann", "followers_count": 138}},
        # the historic writer: ids only
        {"id": 2, "track_id": 9, "user_id": 6, "user": {"id": 6, "permalink": "bob"}},
        # the commenter only inside `user`
        {"id": 3, "user": {"urn": "soundcloud:users:7", "avatar_url": "https://a/b.jpg"}},
    ]  # fmt: skip
    df = items_frame("comments", [page])
    assert df["urn"].tolist() == [f"soundcloud:comments:{i}" for i in (1, 2, 3)]
    assert df["id"].tolist() == [1, 2, 3]
    assert df["track_urn"].tolist()[:2] == ["soundcloud:tracks:9"] * 2
    assert df["track_id"].tolist()[:2] == [9, 9]
    # the top-level field wins over the (misspelt) embedded one
    assert df["user_urn"].tolist() == [f"soundcloud:users:{i}" for i in (5, 6, 7)]
    assert df["user_id"].tolist() == [5, 6, 7]
    assert df.loc[0, "user_username"] == "ann" and df.loc[1, "user_permalink"] == "bob"
    assert "user_followers_count" not in df.columns


def test_comments_are_deduplicated_by_urn() -> None:
    page = [{"id": 1, "body": "a"}, {"urn": "soundcloud:comments:1", "body": "b"}, {"id": 2}]
    assert items_frame("comments", [page])["body"].tolist()[:1] == ["a"]
    assert len(items_frame("comments", [page])) == 2


# --------------------------------------------------------------------------- playlists


def test_playlist_tags_duration_and_creator() -> None:
    page = [
        {"urn": "soundcloud:playlists:1", "tag_list": 'lofi "chill beats" soundcloud:source=web',
         "duration": 1624060, "user_id": 21626, "track_count": 0, "label": None,
         "tags": "ignored", "tracks": [{"id": 1}], "user": {"username": "alex"}},
        {"id": 2, "tag_list": "", "user": {"urn": "soundcloud:users:3", "id": 3}},
        {"id": 3, "tag_list": None, "label": {"urn": "soundcloud:users:8", "id": 8}},
    ]  # fmt: skip
    df = items_frame("playlists", [page])
    assert df["tags"].tolist() == [["lofi", "chill beats"], [], None]
    assert df["machine_tags"].tolist() == [["soundcloud:source=web"], [], None]
    assert df["tag_list"].tolist()[1] == ""
    assert df.loc[0, "duration"] == 1624060 and df.loc[0, "duration_s"] == 1624.06
    assert df["user_id"].tolist()[:2] == [21626, 3]
    assert df["user_urn"].tolist()[:2] == ["soundcloud:users:21626", "soundcloud:users:3"]
    assert df.loc[0, "user_username"] == "alex"
    assert df["label_urn"].tolist()[2] == "soundcloud:users:8"
    assert df["id"].tolist() == [1, 2, 3]
    assert df.loc[0, "track_count"] == 0


def test_recorded_playlist_2022(tmp_path: Path) -> None:
    """#210: a real playlist item (server key order, `user_id`, `label`, no `urn`)."""
    path = SAMPLES / "issue210_me_playlists_track_count_zero_2022.json"
    if not path.exists():
        pytest.skip(f"the recorded sample is not here: {path.name}")
    record = json.loads(path.read_text(encoding="utf-8"))["body"]["value"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParseWarning)
        df = items_frame("playlists", [[record]])
    check_typed(df, "playlists")
    row = df.iloc[0]
    assert row["duration"] == 1624060 and row["duration_s"] == 1624.06
    assert row["user_id"] == 21626 and row["user_urn"] == "soundcloud:users:21626"
    assert row["track_count"] == 0 and row["tags"] == [] and row["tag_list"] == ""
    assert pd.isna(row["genre"]) and pd.isna(row["release_year"]) and pd.isna(row["label_urn"])
    assert row["last_modified"] == pd.Timestamp("2022-04-25 13:49:42", tz="UTC")
    assert row["license"] == "all-rights-reserved"
    pd.testing.assert_frame_equal(read_parquet(to_parquet(df, tmp_path / "p.parquet")), df)


def test_the_spec_examples() -> None:
    """api.yaml's examples of a playlist, a comment and web profiles read without a warning."""
    yaml = pytest.importorskip("yaml")
    spec_path = SHARED_API / "api.yaml"
    if not spec_path.exists():
        pytest.skip("../shared/soundcloud-api/api.yaml is absent")
    examples = yaml.safe_load(spec_path.read_text(encoding="utf-8"))["components"]["examples"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParseWarning)
        playlist = items_frame("playlists", [[examples["Playlist"]["value"]]])
        comment = items_frame("comments", [[examples["Comment"]["value"]]])
        profiles = items_frame("web_profiles", [examples["WebProfiles"]["value"]])
    assert playlist.loc[0, "urn"] == "soundcloud:playlists:12345"
    assert playlist.loc[0, "id"] == 12345 and playlist.loc[0, "user_id"] == 1234
    assert playlist.loc[0, "duration_s"] == 11.0 and playlist.loc[0, "tags"] == []
    assert comment.loc[0, "timestamp"] == 4960 and comment.loc[0, "timestamp_s"] == 4.96
    assert comment.loc[0, "user_urn"] == "soundcloud:users:12345"  # not the misspelt one
    assert comment.loc[0, "track_id"] == 123456 and comment.loc[0, "id"] == 1234
    assert comment.loc[0, "created_at"] == pd.Timestamp("2007-09-11 15:40:24", tz="UTC")
    assert profiles.loc[0, "service"] == "facebook" and profiles.loc[0, "id"] == 1234
    assert profiles.loc[0, "urn"] == "soundcloud:users:1234"  # kept as sent


# --------------------------------------------------------------------------- web profiles


def test_web_profiles_are_never_dropped_as_duplicates() -> None:
    same = {"urn": "soundcloud:users:1", "kind": "web-profile"}
    page = [{**same, "service": "facebook"}, {**same, "service": "instagram"}, {"id": 5}]
    df = items_frame("web_profiles", [page])
    assert df["service"].tolist() == ["facebook", "instagram", np.nan]
    assert df["urn"].tolist() == ["soundcloud:users:1", "soundcloud:users:1", np.nan]
    tables = [page_table("web_profiles", page), page_table("web_profiles", page)]
    assert concat_pages("web_profiles", tables).num_rows == 6


def test_items_that_are_not_objects_are_skipped_with_a_warning() -> None:
    with pytest.warns(ParseWarning, match="not web profile objects"):
        df = items_frame("web_profiles", [[None, {"service": "x"}]])
    assert df["service"].tolist() == ["x"]


# --------------------------------------------------------------------------- extra columns


def with_extras(table: pa.Table, rows: int, nulls: bool = False) -> pa.Table:
    values = {
        "int": list(range(rows)),
        "str": [f"soundcloud:users:{i}" for i in range(rows)],
        "timestamp": [pd.Timestamp("2024-01-01", tz="UTC")] * rows,
        "list": [["soundcloud:tracks:1", "soundcloud:tracks:2"]] * rows,
    }
    for name, col in EXTRA_COLUMNS.items():
        if name in table.column_names:
            continue
        array = pa.nulls(rows) if nulls else pa.array(values[col.kind], col.arrow_type)
        table = table.append_column(name, array)
    return table


@pytest.mark.parametrize("nulls", [False, True], ids=["values", "all-null"])
@pytest.mark.parametrize("kind", SCHEMAS)
def test_extra_columns_are_typed(kind: str, nulls: bool) -> None:
    table = with_extras(items_table(kind, [[item(kind, i) for i in range(3)]]), 3, nulls)
    df = table_to_frame(table, kind)
    for name, col in EXTRA_COLUMNS.items():
        if name not in column_names(SCHEMAS[kind]):
            assert df[name].dtype == col.pandas_dtype, name
    if not nulls:
        assert df["track_urns"].tolist()[0] == ["soundcloud:tracks:1", "soundcloud:tracks:2"]
        assert df["position"].tolist() == [0, 1, 2]


def test_empty_frame_with_extras() -> None:
    df = empty_frame("tracks", ["liker_urn", "position"])
    assert list(df.columns)[-2:] == ["liker_urn", "position"]
    assert df["position"].dtype == pd.Int64Dtype() and df["liker_urn"].dtype == "str"
    check_typed(df.iloc[:, :-2], "tracks")


# --------------------------------------------------------------------------- files


def frames_of(kind: str) -> dict[str, pd.DataFrame]:
    df = items_frame(kind, [[item(kind, i) for i in range(5)]])
    extra = table_to_frame(with_extras(items_table(kind, [[item(kind, i) for i in range(5)]]),
                                       5), kind)  # fmt: skip
    return {"0 rows": empty_frame(kind), "N rows": df, "extras": extra,
            "0 rows extras": extra.iloc[:0].reset_index(drop=True)}  # fmt: skip


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("kind", SCHEMAS)
def test_parquet_round_trip(kind: str, tmp_path: Path) -> None:
    for label, df in frames_of(kind).items():
        path = to_parquet(df, tmp_path / f"{label}.parquet")
        assert pq.read_metadata(path).metadata[b"scdata_table"] == kind.encode(), label
        back = read_parquet(path)
        pd.testing.assert_frame_equal(back, df, obj=label)
        plain = pd.read_parquet(path)
        assert plain.dtypes.to_dict() == df.dtypes.to_dict(), label
        pd.testing.assert_frame_equal(plain, df, obj=label)  # lists come back as arrays
        table = pq.read_table(path)
        assert table.schema.remove_metadata().equals(frame_to_table(df).schema.remove_metadata()), (
            label
        )
        assert (
            table.select(column_names(SCHEMAS[kind]))
            .schema.remove_metadata()
            .equals(arrow_schema(SCHEMAS[kind]))
        )


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("kind", SCHEMAS)
def test_a_file_without_scdata_metadata_is_detected(kind: str, tmp_path: Path) -> None:
    df = frames_of(kind)["extras"]
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(), path)
    pd.testing.assert_frame_equal(read_parquet(path), df)


@pytest.mark.parametrize("kind", SCHEMAS)
def test_duckdb_and_polars_read_every_schema(kind: str, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    polars = pytest.importorskip("polars")
    df = frames_of(kind)["extras"]
    path = to_parquet(df, tmp_path / "f.parquet")
    rows = duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()
    described = {row[0]: row[1] for row in rows}
    assert list(described) == list(df.columns)
    declared = {c.name: c for c in (*EXTRA_COLUMNS.values(), *SCHEMAS[kind])}
    for name in df.columns:
        assert described[name] == KINDS[declared[name].kind]["duckdb"], name
    assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(5,)]
    pl = polars.read_parquet(path)
    assert pl.columns == list(df.columns) and pl.height == 5
    assert pl.schema["position"] == polars.Int64
    assert pl.schema["track_urns"] == polars.List(polars.String)


def test_detection_prefers_the_closest_schema() -> None:
    from scdata.frames.files import _detect_table

    for kind, columns in SCHEMAS.items():
        assert _detect_table(column_names(columns)) == kind
        assert _detect_table([*column_names(columns), "position", "liker_urn"]) == kind
    # most of the comment columns are in a tracks frame, but it is a tracks frame
    assert _detect_table(column_names(TRACK_COLUMNS)[:40]) == "tracks"
    assert _detect_table(["a", "b"]) == ""


def test_a_users_own_column_named_like_an_extra_is_left_alone(tmp_path: Path) -> None:
    df = items_frame("tracks", [[item("tracks", i) for i in range(4)]])
    df["rank"] = df["playback_count"].rank()  # floats, ties give halves
    df["position"] = ["a", "b", "c", "d"]
    back = read_parquet(to_parquet(df, tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back, df)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("kind", ["playlists", "comments", "web_profiles"])
def test_text_formats(kind: str, suffix: str, tmp_path: Path) -> None:
    df = frames_of(kind)["extras"]
    path = write_frame(df, tmp_path / f"f{suffix}")
    if suffix == ".csv":
        back = pd.read_csv(path)
    else:  # not pd.read_json: it reads a column named "timestamp" as dates
        lines = path.read_text(encoding="utf-8").splitlines()
        back = pd.DataFrame([json.loads(line) for line in lines])
    assert list(back.columns) == list(df.columns) and len(back) == 5
    if kind == "comments":
        assert back["timestamp"].tolist()[:2] == df["timestamp"].tolist()[:2]
