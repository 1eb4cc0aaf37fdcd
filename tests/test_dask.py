"""scdata.dask: lazy tracks frames computed on a real distributed cluster against the emulator."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import scdata
from scdata.dask import TRACKS_SCHEMA, tracks_ddf
from scdata.frames.convert import empty_tracks_frame
from scdata.sandbox import Sandbox

from .conftest import have, needs_extra

if have("dask") and have("distributed"):
    import dask
    from distributed import Client, LocalCluster

needs_dask = needs_extra("dask")

USERS = [f"artist-{k:03d}" for k in range(1, 21)]


@pytest.fixture
def sb(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Iterator[Sandbox]:
    """An emulator, with os.environ (inherited by worker processes) pointing at it."""
    with Sandbox(artists=20, artist_tracks=120) as sandbox:
        for key, value in sandbox.env.items():
            monkeypatch.setenv(key, value)
        yield sandbox


def expected_sizes(sb: Sandbox, users: list[str]) -> dict[str, int]:
    return {u: len(sb.catalog.tracks(u)) for u in users}


@pytest.mark.slow  # Dask
@needs_dask
def test_tracks_ddf_on_a_distributed_cluster(sb, tmp_path):
    out = tmp_path / "dataset"
    ddf = tracks_ddf(USERS, npartitions=6)
    assert ddf.dtypes.to_dict() == empty_tracks_frame().dtypes.to_dict()
    assert sb.count() == 0  # building it fetched nothing

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        as cluster,
        Client(cluster),
    ):  # fmt: skip
        ddf.to_parquet(out, partition_on=["user_permalink"], schema=TRACKS_SCHEMA)
        sizes = ddf.groupby("user_permalink").size().compute()
        got = ddf.compute()

    expected = expected_sizes(sb, USERS)
    assert sizes.to_dict() == expected
    # every track, blocked ones included: the rows are the sum of the users' track_count
    assert len(got) == sum(sb.catalog.user(u)["track_count"] for u in USERS)
    assert expected["artist-007"] == sb.catalog.user("artist-007")["track_count"] == 120
    pd.testing.assert_frame_equal(got.reset_index(drop=True), scdata.tracks_df(USERS))
    assert got.dtypes.to_dict() == ddf.dtypes.to_dict()
    assert isinstance(got["tags"].iloc[0], list)

    back = scdata.read_parquet(out)
    assert back["user_permalink"].value_counts().to_dict() == expected
    pd.testing.assert_frame_equal(
        back[got.columns].sort_values("urn").reset_index(drop=True),
        got.sort_values("urn").reset_index(drop=True),
    )
    assert len(pd.read_parquet(out)) == len(got)
    query = f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)"
    assert duckdb.sql(query).fetchall() == [(len(got),)]
    # two worker processes and this one shared the token file in SCDATA_CACHE_DIR
    assert sb.token_exchanges == 1


@pytest.mark.slow  # Dask
@needs_dask
def test_partitions_are_consecutive_groups_of_users(sb):
    users = ["artist-003", "artist-001", "artist-002", "geo-blocked", "empty-artist"]
    with dask.config.set(scheduler="synchronous"):
        ddf = tracks_ddf(users, npartitions=2, limit=30)
        assert ddf.npartitions == 2 and not ddf.known_divisions
        parts = [ddf.get_partition(i).compute() for i in range(2)]
        assert [p["user_permalink"].unique().tolist() for p in parts] == [
            ["artist-003", "artist-001", "artist-002"],
            ["geo-blocked"],
        ]
        assert ddf.map_partitions(len).compute().tolist() == [90, 30]
        assert tracks_ddf(users[:2]).npartitions == 2  # default: one per user
        assert tracks_ddf(users[:2], npartitions=9).npartitions == 2
        single = tracks_ddf("artist-004").compute()
    pd.testing.assert_frame_equal(single, scdata.tracks_df("artist-004"))


@needs_dask
def test_bad_arguments_fail_before_anything_is_fetched(sb):
    with pytest.raises(ValueError, match="npartitions must be a positive integer"):
        tracks_ddf(USERS, npartitions=0)
    assert tracks_ddf(["artist-001", "ARTIST-001"]).npartitions == 1  # named twice: once
    with pytest.raises(ValueError, match="limit"):
        tracks_ddf(USERS, limit=0)
    with pytest.raises(scdata.InvalidUserError):
        tracks_ddf(["artist-001", "two words"])
    lazy = tracks_ddf(["artist-001", "no-such-user"])
    assert sb.count() == 0
    with pytest.raises(scdata.UserNotFoundError):  # as tracks_df: no partial frame
        lazy.compute(scheduler="synchronous")


@pytest.mark.slow  # other processes
def test_without_dask_the_error_names_the_extra():
    code = (
        "import sys; sys.modules['dask'] = None\n"
        "from scdata.dask import tracks_ddf\n"
        "try:\n    tracks_ddf(['artist-001'])\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == (
        "scdata.dask needs dask[dataframe] and distributed: pip install scdata[dask]"
    )
