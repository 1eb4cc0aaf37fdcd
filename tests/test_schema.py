"""The column declarations (scdata.frames.schema), the docs generated from them, and tag parsing."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from scdata.frames import schema
from scdata.frames.schema import (
    SCHEMA_VERSION,
    TRACK_COLUMNS,
    USER_COLUMNS,
    arrow_schema,
    column_names,
    columns_document,
    columns_markdown,
    nested_arrow_schema,
    pandas_dtypes,
)
from scdata.frames.tags import is_machine_tag, parse_tag_list, split_tag_lists

REPO = Path(__file__).resolve().parents[1]
TABLES = {"tracks": TRACK_COLUMNS, "users": USER_COLUMNS}

TRACK_COUNTS = [
    "playback_count",
    "favoritings_count",
    "comment_count",
    "reposts_count",
    "download_count",
]
#: Zeroed or absent in the user SoundCloud embeds in track collections (API-NOTES-2 §1.3):
#: the tracks frame must not present them as data (join users_df instead).
EMBEDDED_USER_COUNTS = [
    "user_followers_count",
    "user_followings_count",
    "user_track_count",
    "user_playlist_count",
    "user_public_favorites_count",
    "user_reposts_count",
    "user_likes_count",
    "user_comments_count",
]
USER_COUNTS = [
    "followers_count",
    "followings_count",
    "track_count",
    "public_favorites_count",
    "playlist_count",
    "likes_count",
    "reposts_count",
    "comments_count",
]
USER_FIELDS = [
    "id",
    "urn",
    "username",
    "permalink",
    "permalink_url",
    "avatar_url",
    "kind",
    "created_at",
    "last_modified",
    "first_name",
    "last_name",
    "full_name",
    "city",
    "country",
    "description",
    "track_count",
    "public_favorites_count",
    "reposts_count",
    "followers_count",
    "followings_count",
    "plan",
    "playlist_count",
    "likes_count",
    "website",
    "website_title",
    "myspace_name",
    "discogs_name",
    "comments_count",
    "online",
]
TRACK_USER_FIELDS = [
    "user_id",
    "user_urn",
    "user_username",
    "user_permalink",
    "user_permalink_url",
    "user_avatar_url",
    "user_city",
    "user_country",
]


def kinds(columns: tuple[schema.Column, ...]) -> dict[str, str]:
    return {c.name: c.kind for c in columns}


# --------------------------------------------------------------------------- declarations


def test_schema_version() -> None:
    assert SCHEMA_VERSION == "2"  # 2: embedded-user counts dropped, "" is missing


def test_no_embedded_user_count_in_the_tracks_frame() -> None:
    names = set(column_names(TRACK_COLUMNS))
    assert not names & set(EMBEDDED_USER_COUNTS)
    assert not [c.name for c in TRACK_COLUMNS if c.source.startswith("user.") and c.kind == "int"
                if c.name != "user_id"]  # fmt: skip
    assert len(TRACK_COLUMNS) == 59
    assert {"user_urn", "user_id", "user_username", "user_permalink_url"} <= names


def test_the_join_to_users_is_documented() -> None:
    doc = columns_document()
    assert "tracks.user_urn" in doc and "users.urn" in doc
    assert 'add_prefix("user_")' in doc
    for name in EMBEDDED_USER_COUNTS[:5]:
        assert name in doc


def test_only_tag_list_keeps_empty_strings() -> None:
    keep = [c.name for c in TRACK_COLUMNS + USER_COLUMNS if c.keep_empty]
    assert keep == ["tag_list"]


@pytest.mark.parametrize("table", TABLES)
def test_names_are_unique_and_the_key_comes_first(table: str) -> None:
    names = column_names(TABLES[table])
    assert len(names) == len(set(names))
    assert names[:2] == ["urn", "id"]


@pytest.mark.parametrize("table", TABLES)
def test_names_are_the_api_names_with_the_parent_as_prefix(table: str) -> None:
    for col in TABLES[table]:
        if col.derived:
            continue
        assert "_".join(col.path) == col.name, col
        assert len(col.path) in (1, 2)


@pytest.mark.parametrize("table", TABLES)
def test_every_column_is_described(table: str) -> None:
    for col in TABLES[table]:
        assert col.kind in schema.KINDS
        assert col.description.strip() and "\n" not in col.description
        assert col.source


def test_ids_are_int64_and_urns_strings_paired_by_collection() -> None:
    pairs = {
        "tracks": (TRACK_COLUMNS, [("id", "urn", "tracks"), ("user_id", "user_urn", "users")]),
        "users": (USER_COLUMNS, [("id", "urn", "users")]),
    }
    for columns, expected in pairs.values():
        by_name = {c.name: c for c in columns}
        for id_name, urn_name, collection in expected:
            assert by_name[id_name].kind == "int"
            assert by_name[id_name].arrow_type == pa.int64()
            assert by_name[urn_name].kind == "str"
            assert by_name[id_name].urn_collection == collection
            assert by_name[urn_name].urn_collection == collection
        assert sum(c.urn_collection is not None for c in columns) == 2 * len(expected)


@pytest.mark.parametrize(
    ("columns", "names"), [(TRACK_COLUMNS, TRACK_COUNTS), (USER_COLUMNS, USER_COUNTS)]
)
def test_counts_are_nullable_int64(columns: tuple[schema.Column, ...], names: list[str]) -> None:
    dtypes = pandas_dtypes(columns)
    for name in names:
        assert dtypes[name] == pd.Int64Dtype(), name


def test_track_columns_follow_the_rules() -> None:
    k = kinds(TRACK_COLUMNS)
    assert k["created_at"] == "timestamp"
    assert k["duration"] == "int" and k["duration_s"] == "float"
    assert k["tag_list"] == "str"
    assert k["tags"] == k["machine_tags"] == k["available_country_codes"] == "list"
    assert k["bpm"] == "float"
    for name in ["streamable", "downloadable", "commentable", "user_favorite"]:
        assert k[name] == "bool"
    for name in ["kind", "sharing", "license", "embeddable_by", "access", "genre", "title"]:
        assert k[name] == "str"
    assert set(TRACK_USER_FIELDS) <= set(k)
    derived = {c.name: c.source for c in TRACK_COLUMNS if c.derived}
    assert derived == {
        "duration_s": "duration",
        "tags": "tag_list",
        "machine_tags": "tag_list",
    }


def test_user_columns_cover_the_api_user_fields() -> None:
    k = kinds(USER_COLUMNS)
    assert set(USER_FIELDS) <= set(k)
    assert k["created_at"] == k["last_modified"] == "timestamp"
    assert k["online"] == "bool"
    assert not any(c.derived for c in USER_COLUMNS)


def test_closed_sets_are_documented_but_kept_as_str() -> None:
    by_name = {c.name: c for c in TRACK_COLUMNS}
    assert by_name["access"].values == ("playable", "preview", "blocked")
    assert "cc-by-nc-sa" in by_name["license"].values
    for name in ["kind", "sharing", "license", "embeddable_by", "access"]:
        assert by_name[name].values and by_name[name].pandas_dtype == "str"


# --------------------------------------------------------------------------- derived schemas


def test_nested_schema_reads_raw_json_shapes() -> None:
    nested = nested_arrow_schema(TRACK_COLUMNS)
    assert "tags" not in nested.names and "duration_s" not in nested.names
    assert nested.field("created_at").type == pa.large_string()
    assert nested.field("available_country_codes").type == pa.list_(pa.string())
    user = nested.field("user").type
    assert pa.types.is_struct(user)
    assert {user.field(i).name for i in range(user.num_fields)} >= {"id", "urn", "username"}
    track_fields_named_user = {"user_favorite", "user_playback_count"}
    flattened = [n for n in nested.names if n.startswith("user_")]
    assert set(flattened) == track_fields_named_user


def test_users_nested_schema_is_flat() -> None:
    nested = nested_arrow_schema(USER_COLUMNS)
    assert nested.names == column_names(USER_COLUMNS)
    assert nested.field("last_modified").type == pa.large_string()


@pytest.mark.parametrize("table", TABLES)
def test_final_arrow_schema_types(table: str) -> None:
    final = arrow_schema(TABLES[table])
    expected = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "str": pa.large_string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "list": pa.list_(pa.string()),
    }
    assert final.names == column_names(TABLES[table])
    for col in TABLES[table]:
        assert final.field(col.name).type == expected[col.kind]


@pytest.mark.parametrize("table", TABLES)
def test_pandas_dtypes(table: str) -> None:
    dtypes = pandas_dtypes(TABLES[table])
    assert list(dtypes) == column_names(TABLES[table])
    expected = {
        "int": pd.Int64Dtype(),
        "float": np.dtype("float64"),
        "bool": pd.BooleanDtype(),
        "str": pd.StringDtype(na_value=np.nan),
        "timestamp": pd.DatetimeTZDtype("us", "UTC"),
        "list": np.dtype(object),
    }
    for col in TABLES[table]:
        assert dtypes[col.name] == expected[col.kind]


# --------------------------------------------------------------------------- docs


@pytest.mark.parametrize("table", TABLES)
def test_columns_markdown_has_one_row_per_column(table: str) -> None:
    text = columns_markdown(TABLES[table])
    lines = text.splitlines()
    assert lines[0].startswith("| # | column | pandas dtype")
    assert len(lines) == 2 + len(TABLES[table])
    for line, col in zip(lines[2:], TABLES[table], strict=True):
        assert f"`{col.name}`" in line
        assert schema.KINDS[col.kind]["pandas"] in line


def test_committed_docs_are_up_to_date() -> None:
    committed = (REPO / "docs" / "columns.md").read_text(encoding="utf-8")
    assert committed == columns_document(), "run: python -m scdata.frames.schema > docs/columns.md"


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("tag_list", "tags", "machine"),
    [
        (
            '"hip hop" trap soundcloud:source=web-record ',
            ["hip hop", "trap"],
            ["soundcloud:source=web-record"],
        ),
        ("", [], []),
        ("  ", [], []),
        ("soundcloud:source=iphone-record ", [], ["soundcloud:source=iphone-record"]),
        (' 80s Alternative "New Wave"', ["80s", "Alternative", "New Wave"], []),
        ('rock "hip hop', ["rock", "hip hop"], []),  # unbalanced: the rest is one tag
        ('"', [], []),
        ('a ""  b', ["a", "b"], []),
        ('"  spaced  out  "', ["spaced  out"], []),
        ("dj:bpm=128 geo:lat=52.5 trap trap", ["trap", "trap"], ["dj:bpm=128", "geo:lat=52.5"]),
        ("http://x.com a:b c=d", ["http://x.com", "a:b", "c=d"], []),
        ("tab\tand\nnewline", ["tab", "and", "newline"], []),
        ('"soundcloud:source=web-record"', [], ["soundcloud:source=web-record"]),
    ],
)
def test_parse_tag_list(tag_list: str, tags: list[str], machine: list[str]) -> None:
    assert parse_tag_list(tag_list) == (tags, machine)
    vec_tags, vec_machine = split_tag_lists(pa.array([tag_list]))
    assert vec_tags.to_pylist() == [tags]
    assert vec_machine.to_pylist() == [machine]


def test_machine_tag_pattern() -> None:
    assert is_machine_tag("soundcloud:source=web-record")
    assert is_machine_tag("geo:lat=")
    assert not is_machine_tag("hip hop")
    assert not is_machine_tag("a:b")
    assert not is_machine_tag("=x")


def test_vectorised_parser_matches_the_reference_on_random_strings() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "é", " ", " ", "\t", "\xa0", '"', ":", "=", "x:y=z", "-", "\u2003"]
    values = ["".join(rng.choices(alphabet, k=rng.randint(0, 25))) for _ in range(5000)]
    tags, machine = split_tag_lists(pa.array(values))
    got = list(zip(tags.to_pylist(), machine.to_pylist(), strict=True))
    assert got == [parse_tag_list(v) for v in values]


def test_vectorised_parser_keeps_nulls_chunks_and_slices() -> None:
    chunked = pa.chunked_array([pa.array(["a b", None]), pa.array(['"x y" k:v=1'])])
    tags, machine = split_tag_lists(chunked)
    assert tags.to_pylist() == [["a", "b"], None, ["x y"]]
    assert machine.to_pylist() == [[], None, ["k:v=1"]]
    sliced = pa.array(["skip me", "c d", "e"]).slice(1)
    assert split_tag_lists(sliced)[0].to_pylist() == [["c", "d"], ["e"]]
    empty_tags, empty_machine = split_tag_lists(pa.array([], pa.large_string()))
    assert len(empty_tags) == len(empty_machine) == 0
    assert empty_tags.type == empty_machine.type == pa.list_(pa.string())
