"""A partitioned dataset written by scdata is read as it is by polars, DuckDB, pyarrow and pandas.

The directory holds nothing but Parquet files: polars' ``scan_parquet(dir)`` refuses a
directory with any other file in it, and DuckDB's ``read_parquet('dir/**')`` tries to read every
file as Parquet. The export's manifest lives beside the directory (``<dir>.manifest.json``).
(Spark: ``tests/test_spark.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import scdata
from scdata.datasets.export import manifest_path
from scdata.frames.files import _dataset_schema
from scdata.sandbox import Sandbox

polars = pytest.importorskip("polars", reason="polars is in the test extra")

USERS = ["jowymusic", "bjork-unicode"]


def only_parquet(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def counts_by_user(rows: list[tuple[str, int]]) -> dict[str, int]:
    return {user: count for user, count in rows}


@pytest.fixture
def exported(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    with scdata.Client(**sandbox.client_settings, cache="memory") as client:
        root = tmp_path / "tracks"
        manifest = scdata.export_tracks(USERS, root, client=client)
        expected = dict(zip(manifest["user"], manifest["rows"].astype(int), strict=True))
    return root, expected


def test_an_export_directory_holds_only_parquet_files(exported):
    root, _ = exported
    assert only_parquet(root) == [f"user_permalink={u}/part-0.parquet" for u in sorted(USERS)]
    assert manifest_path(root) == root.parent / "tracks.manifest.json"
    assert json.loads(manifest_path(root).read_text())["partition_cols"] == ["user_permalink"]


def test_polars_scans_the_directory(exported):
    root, expected = exported
    frame = polars.scan_parquet(root).collect()
    by_user = frame.group_by("user_permalink").len().rows()
    assert counts_by_user(by_user) == expected
    assert frame.schema["id"] == polars.Int64 and frame.schema["tags"] == polars.List(polars.String)


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("where", ["{root}", "{root}/**", "{root}/**/*.parquet"])
def test_duckdb_reads_the_directory(exported, where):
    root, expected = exported
    source = where.format(root=root)
    rows = duckdb.sql(
        f"SELECT user_permalink, count(*) FROM read_parquet('{source}', hive_partitioning = true) "
        "GROUP BY ALL"
    ).fetchall()
    assert counts_by_user(rows) == expected


def test_pandas_and_scdata_read_the_directory(exported):
    root, expected = exported
    assert pd.read_parquet(root)["user_permalink"].value_counts().to_dict() == expected
    back = scdata.read_parquet(root)
    assert back["user_permalink"].value_counts().to_dict() == expected
    assert back["user_permalink"].dtype == "str"


def test_to_parquet_with_partition_cols_writes_no_sidecar(sandbox, tmp_path):
    with scdata.Client(**sandbox.client_settings, cache="memory") as client:
        df = client.tracks_df("jowymusic", progress=False)
    df = df.assign(year=df["created_at"].dt.year.astype("Int64"))
    root = scdata.to_parquet(df, tmp_path / "by_year", partition_cols=["year"])
    assert all(name.endswith(".parquet") for name in only_parquet(root))
    assert polars.scan_parquet(root).select(polars.len()).collect().item() == len(df)
    back = scdata.read_parquet(root)
    assert list(back.columns) == list(df.columns) and back["year"].dtype == "Int64"


def test_a_dataset_of_an_earlier_version_is_read_and_cleaned_up(sandbox, tmp_path):
    """``_common_metadata`` and ``_manifest.json`` inside the directory: read, then moved out."""
    root = tmp_path / "tracks"
    with scdata.Client(**sandbox.client_settings, cache="memory") as client:
        scdata.export_tracks(USERS[:1], root, client=client)
        old = manifest_path(root)
        document = json.loads(old.read_text())
        old.rename(root / "_manifest.json")  # where earlier versions kept it
        (root / ".manifest.lock").touch()
        df = scdata.read_parquet(root)
        # the sidecar earlier versions wrote: the whole schema, partition column included
        pq.write_metadata(_dataset_schema(root), root / "_common_metadata")
        pd.testing.assert_frame_equal(scdata.read_parquet(root), df)

        again = scdata.export_tracks(USERS, root, client=client)
    assert again.set_index("user").loc[USERS[0], "skipped"]  # the old manifest was read
    assert json.loads(manifest_path(root).read_text())["users"][0] == document["users"][0]
    assert not (root / "_manifest.json").exists() and not (root / ".manifest.lock").exists()
    assert not (root / "_common_metadata").exists()
    assert polars.scan_parquet(root).select(polars.len()).collect().item() == len(
        scdata.read_parquet(root)
    )
