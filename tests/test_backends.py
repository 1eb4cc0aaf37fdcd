"""``backend="arrow"|"polars"`` and ``observe=True`` on every frame function, for real."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

import scdata
import scdata._collect
import scdata.frames.convert
from scdata.frames.files import frame_to_table
from scdata.frames.schema import EXTRA_COLUMNS, TRACK_COLUMNS, arrow_schema
from scdata.sandbox import Sandbox

from .conftest import needs_extra

USER = "bjork-unicode"


def no_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any Arrow -> pandas conversion fail: the call under test must not make one."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("went through pandas")

    monkeypatch.setattr(scdata._collect, "table_to_frame", refuse)
    monkeypatch.setattr(scdata.frames.convert, "table_to_frame", refuse)
    monkeypatch.setattr(pd, "DataFrame", refuse)


# each function, with what it is called with (found before pandas is refused)
CALLS = {
    "tracks_df": lambda c: USER,
    "users_df": lambda c: [USER, "jowymusic"],
    "followings_df": lambda c: USER,
    "comments_df": lambda c: c.tracks_df(USER, limit=1)["urn"][0],
    "lookup_tracks": lambda c: c.tracks_df(USER)["urn"].tolist(),
    "resolve": lambda c: ["jowymusic", f"https://soundcloud.com/{USER}"],
}


@pytest.mark.parametrize("name", CALLS)
def test_arrow_is_the_typed_table_of_the_frame_without_pandas(client, monkeypatch, name):
    refs = CALLS[name](client)
    frame = getattr(client, name)(refs)
    expected = frame_to_table(frame).select(frame.columns.tolist())
    no_pandas(monkeypatch)
    table = getattr(client, name)(refs, backend="arrow")
    assert isinstance(table, pa.Table)
    assert table.column_names == frame.columns.tolist()
    for column in table.column_names:  # same values and types as the pandas frame's
        assert table.column(column).to_pylist() == expected.column(column).to_pylist(), column
    meta = json.loads(table.schema.metadata[b"scdata"])
    assert meta["failures"] == frame.attrs["scdata"]["failures"]
    assert "fetched_at" in meta


def test_arrow_tracks_have_the_parquet_schema(client):
    table = client.tracks_df(USER, backend="arrow")
    assert table.schema.remove_metadata().equals(arrow_schema(TRACK_COLUMNS))


@needs_extra("polars")
def test_polars_reads_the_same_rows(client, monkeypatch):
    import polars as pl

    frame = client.followings_df(USER)
    no_pandas(monkeypatch)
    df = client.followings_df(USER, backend="polars")
    assert isinstance(df, pl.DataFrame)
    assert df.columns == frame.columns.tolist()
    assert df["urn"].to_list() == frame["urn"].tolist()
    assert df["position"].dtype == pl.Int64 and df["created_at"].dtype == pl.Datetime("us", "UTC")


@pytest.mark.slow  # over half a second: the full run has it
def test_search_has_the_backends_too(cache_dir):
    with (
        Sandbox(artists=0) as small,
        scdata.Client(**small.client_settings, cache_dir=cache_dir) as client,
    ):
        table = client.search_users("jowy", backend="arrow")
    assert isinstance(table, pa.Table) and "search_rank" in table.column_names
    assert table.schema.field("search_rank").type == EXTRA_COLUMNS["search_rank"].arrow_type


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda c: c.tracks_df(USER, backend="spark"), "backend must be"),
        (lambda c: c.followers_df(USER, backend=None), "backend must be"),
        (lambda c: c.tracks_df(USER, raw=True, backend="arrow"), "raw=True"),
        (lambda c: c.tracks_df(USER, raw=True, observe=True), "raw=True"),
    ],
)
def test_a_bad_backend_is_named_and_nothing_is_sent(client, sandbox, call, text):
    with pytest.raises(scdata.ArgumentError, match=text):
        call(client)
    assert sandbox.requests == []


# ---------------------------------------------------------------------------------- observe
def test_observed_at_is_when_soundcloud_answered_and_a_cached_answer_keeps_it(client, sandbox):
    first = client.followings_df(USER, observe=True)  # the emulator's clock: its Date header
    assert str(first["observed_at"].dtype) == "datetime64[us, UTC]"
    assert (first["observed_at"] == pd.Timestamp(sandbox.now)).all()
    sandbox.advance(hours=5)
    again = client.followings_df(USER, observe=True)  # from the cache: the same answers
    pd.testing.assert_series_equal(first["observed_at"], again["observed_at"])
    fresh = client.followings_df(USER, observe=True, refresh=True)
    assert (fresh["observed_at"] == pd.Timestamp(sandbox.now)).all()
    assert (fresh["observed_at"] - first["observed_at"] == pd.Timedelta(hours=5)).all()


def test_observe_on_lookups_dates_each_item(client, sandbox):
    users = client.users_df([USER, "jowymusic"], observe=True)
    assert users["observed_at"].notna().all()
    tracks = client.lookup_tracks(client.tracks_df(USER, limit=3)["urn"].tolist(), observe=True)
    assert tracks["observed_at"].nunique() == 1  # one batch request answered them all


def test_observe_keeps_the_columns_when_a_list_is_empty(client):
    df = client.tracks_df("empty-artist", observe=True)
    assert len(df) == 0 and "observed_at" in df.columns
    assert str(df["observed_at"].dtype) == "datetime64[us, UTC]"
