"""Spark reads scdata's Parquet with the right types and the same values (a real local JVM)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

import scdata

from .conftest import extra_reason, need_program

pytest.importorskip("pyspark", reason=extra_reason("spark"))
pytestmark = pytest.mark.slow  # a JVM starts


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    need_program("java")
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark warns that it does not yet know pandas 3
        session = (
            SparkSession.builder.master("local[1]")
            .appName("scdata-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    yield session
    session.stop()


def test_spark_reads_a_tracks_file(client, tmp_path, spark):
    df = client.tracks_df(["jowymusic", "urn-era-artist"], progress=False)
    path = scdata.to_parquet(df, tmp_path / "tracks.parquet")
    sdf = spark.read.parquet(str(path))
    types = dict(sdf.dtypes)
    assert types["id"] == types["user_id"] == types["playback_count"] == "bigint"
    assert types["created_at"] == "timestamp" and types["tags"] == "array<string>"
    assert types["streamable"] == "boolean" and types["title"] == "string"
    assert types["duration_s"] == "double"
    rows = sdf.select("urn", "id", "created_at", "tags", "playback_count").collect()
    assert [r["urn"] for r in rows] == df["urn"].tolist()
    assert [r["id"] for r in rows] == df["id"].tolist()  # ids above 2^31 exact
    utc = df["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    assert [pd.Timestamp(r["created_at"]) for r in rows] == utc.tolist()
    assert [r["tags"] for r in rows] == df["tags"].tolist()
    hidden = [r["playback_count"] is None for r in rows]
    assert hidden == df["playback_count"].isna().tolist() and any(hidden)


def test_spark_reads_an_exported_dataset(client, tmp_path, spark):
    users = ["jowymusic", "bjork-unicode"]
    scdata.export_tracks(users, tmp_path / "ds", client=client)
    sdf = spark.read.parquet(str(tmp_path / "ds"))
    counts = {
        r["user_permalink"]: r["count"] for r in sdf.groupBy("user_permalink").count().collect()
    }
    assert counts == {u: len(client.tracks_df(u, progress=False)) for u in users}
