"""Parquet export (scdata.frames.files): round trips, metadata, atomic writes, datasets."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import scdata.frames.files as export
from scdata._version import __version__
from scdata.frames.convert import empty_tracks_frame, empty_users_frame, tracks_frame, users_frame
from scdata.frames.files import frame_to_table, read_parquet, to_parquet, write_frame
from scdata.frames.schema import SCHEMA_VERSION, SchemaError

REPO = Path(__file__).resolve().parents[1]
BIG = 2**63 - 1


def track(i: int, **fields: object) -> dict:
    tid = 2_147_483_648 + i  # above 2**31
    record: dict = {
        "kind": "track",
        "id": tid,
        "urn": f"soundcloud:tracks:{tid}",
        "title": f"Track {i} – ünïcode",
        "created_at": f"20{10 + i % 15:02d}/0{1 + i % 9}/14 12:00:0{i % 10} +0000",
        "duration": 1000 * i,
        "tag_list": f'"hip hop" t{i % 4} soundcloud:source=web-record',
        "playback_count": None if i % 3 == 0 else i,
        "streamable": None if i % 4 == 0 else bool(i % 2),
        "bpm": None if i % 2 else 120.5,
        "license": ["cc-by", "all-rights-reserved"][i % 2],
        "available_country_codes": None if i % 2 else ["DE", "GB"],
        "description": None if i % 5 == 0 else "text",
        "user": {"id": 42, "username": "dj", "followers_count": None},
    }
    record.update(fields)
    return record


@pytest.fixture
def tracks() -> pd.DataFrame:
    rows = [track(i) for i in range(40)]
    rows.append(track(99, id=BIG, urn=f"soundcloud:tracks:{BIG}", tag_list=""))
    return tracks_frame([rows[:20], rows[20:]])


@pytest.fixture
def users() -> pd.DataFrame:
    return users_frame(
        [
            {"id": 1, "username": "a", "created_at": "2011/03/17 09:03:40 +0000", "online": False},
            {"urn": "soundcloud:users:2", "followers_count": None, "city": ""},
        ]
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory of our own (tmp_path also holds the shared fixtures' home)."""
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


def temps(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.scdata-tmp"))


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "frame",
    ["tracks", "users", "empty_tracks", "empty_users"],
)
def test_round_trip_with_read_parquet(
    frame: str, tracks: pd.DataFrame, users: pd.DataFrame, workdir: Path
) -> None:
    df = {
        "tracks": tracks,
        "users": users,
        "empty_tracks": empty_tracks_frame(),
        "empty_users": empty_users_frame(),
    }[frame]
    path = to_parquet(df, workdir / "out.parquet")
    assert path == workdir / "out.parquet"
    back = read_parquet(path)
    pd.testing.assert_frame_equal(back, df)
    assert isinstance(back.index, pd.RangeIndex)


def test_list_columns_come_back_as_python_lists(tracks: pd.DataFrame, workdir: Path) -> None:
    back = read_parquet(to_parquet(tracks, workdir / "t.parquet"))
    assert back.loc[0, "tags"] == ["hip hop", "t0"]
    assert type(back.loc[0, "tags"]) is list
    assert back.loc[1, "available_country_codes"] is None
    assert back["tags"].iloc[-1] == []


@pytest.mark.parametrize("frame", ["tracks", "users", "empty_tracks"])
def test_plain_pandas_read_parquet_gives_the_same_dtypes(
    frame: str, tracks: pd.DataFrame, users: pd.DataFrame, workdir: Path
) -> None:
    df = {"tracks": tracks, "users": users, "empty_tracks": empty_tracks_frame()}[frame]
    back = pd.read_parquet(to_parquet(df, workdir / "out.parquet"))
    pd.testing.assert_series_equal(back.dtypes, df.dtypes)
    pd.testing.assert_frame_equal(back, df)  # lists come back as numpy arrays: equal values


def test_plain_pandas_values(tracks: pd.DataFrame, workdir: Path) -> None:
    back = pd.read_parquet(to_parquet(tracks, workdir / "t.parquet"))
    assert back["id"].dtype == "Int64" and back["id"].iloc[-1] == BIG
    assert back["playback_count"].isna().iloc[0]
    assert back["created_at"].dtype == "datetime64[us, UTC]"
    assert list(back.loc[0, "tags"]) == ["hip hop", "t0"]


def test_duckdb_reads_the_right_types_and_values(tracks: pd.DataFrame, workdir: Path) -> None:
    path = to_parquet(tracks, workdir / "t.parquet")
    types = {row[0]: row[1] for row in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    assert types["tags"] == "VARCHAR[]"
    assert types["machine_tags"] == "VARCHAR[]"
    assert types["available_country_codes"] == "VARCHAR[]"
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["id"] == types["user_id"] == types["playback_count"] == "BIGINT"
    assert types["streamable"] == "BOOLEAN"
    assert types["bpm"] == types["duration_s"] == "DOUBLE"
    assert types["title"] == types["urn"] == types["license"] == "VARCHAR"
    [(tags, ident, created)] = duckdb.sql(
        f"SELECT tags, id, created_at FROM '{path}' WHERE id = {BIG}"
    ).fetchall()
    assert tags == [] and ident == BIG
    assert created == tracks["created_at"].iloc[-1].to_pydatetime()
    [(nulls,)] = duckdb.sql(
        f"SELECT count(*) FROM '{path}' WHERE playback_count IS NULL"
    ).fetchall()
    assert nulls == tracks["playback_count"].isna().sum() > 0


def test_extra_columns_added_by_the_analyst_round_trip(tracks: pd.DataFrame, workdir: Path) -> None:
    df = tracks.assign(year=tracks["created_at"].dt.year.astype("Int64"), note="x")
    back = read_parquet(to_parquet(df, workdir / "t.parquet"))
    pd.testing.assert_frame_equal(back, df)


# --------------------------------------------------------------------------- metadata


def test_file_metadata(tracks: pd.DataFrame, workdir: Path) -> None:
    tracks.attrs["fetched_at"] = dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.UTC)
    path = to_parquet(tracks, workdir / "t.parquet")
    meta = pq.read_metadata(path)
    kv = meta.metadata
    assert kv[b"scdata_version"] == __version__.encode()
    assert kv[b"scdata_schema_version"] == SCHEMA_VERSION.encode()
    assert kv[b"scdata_fetched_at"] == b"2026-05-01T12:30:00+00:00"
    assert kv[b"scdata_table"] == b"tracks"
    assert meta.row_group(0).column(0).compression == "ZSTD"
    back = read_parquet(path)
    assert back.attrs["fetched_at"] == "2026-05-01T12:30:00+00:00"
    assert back.attrs["scdata_schema_version"] == SCHEMA_VERSION


def test_fetched_at_defaults_to_now_in_utc(users: pd.DataFrame, workdir: Path) -> None:
    before = pd.Timestamp.now(tz="UTC")
    path = to_parquet(users, workdir / "u.parquet")
    stamp = pd.Timestamp(pq.read_metadata(path).metadata[b"scdata_fetched_at"].decode())
    assert stamp.tz is not None and stamp.utcoffset() == dt.timedelta(0)
    assert before - pd.Timedelta(seconds=1) <= stamp <= pd.Timestamp.now(tz="UTC")


def test_fetched_at_string_is_normalised_to_utc(users: pd.DataFrame) -> None:
    users.attrs["fetched_at"] = "2026-05-01T14:30:00+02:00"
    meta = frame_to_table(users).schema.metadata
    assert meta[b"scdata_fetched_at"] == b"2026-05-01T12:30:00+00:00"


def test_wrong_values_in_a_declared_column_raise_naming_it(
    tracks: pd.DataFrame, workdir: Path
) -> None:
    bad = tracks.assign(playback_count=tracks["playback_count"].astype("float64") + 0.5)
    with pytest.raises(SchemaError, match="'playback_count'"):
        to_parquet(bad, workdir / "t.parquet")
    assert list(workdir.iterdir()) == []


# --------------------------------------------------------------------------- atomic writes

KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    import pyarrow.parquet as pq
    import scdata.frames.files as export
    from scdata.frames.convert import tracks_frame

    def slow_write_table(table, where, **kwargs):
        # the real writer, one row group at a time with pauses: a wide, sure mid-write window
        with pq.ParquetWriter(where, table.schema, **kwargs) as writer:
            for batch in table.to_batches(max_chunksize=500):
                writer.write_batch(batch)
                time.sleep(0.05)

    export.pq.write_table = slow_write_table
    rows = [{"id": i, "title": f"title {i} " * 20, "tag_list": "a b"} for i in range(20_000)]
    df = tracks_frame([rows])
    print("writing", flush=True)
    export.to_parquet(df, sys.argv[1])
    print("finished", flush=True)
    """
)


@pytest.mark.slow  # other processes
def test_killed_writer_leaves_the_previous_file_intact(workdir: Path) -> None:
    target = workdir / "tracks.parquet"
    old = tracks_frame([[track(1), track(2), track(3)]])
    to_parquet(old, target)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = [p for p in temps(workdir) if p.stat().st_size > 0]
            if partial:
                break
            assert child.poll() is None, "the writer finished before it could be killed"
            time.sleep(0.002)
        else:
            pytest.fail("no temporary file appeared")
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    pd.testing.assert_frame_equal(read_parquet(target), old)
    names = sorted(p.name for p in workdir.iterdir())
    assert names[-1] == "tracks.parquet"
    assert names[:-1], "the killed writer's partial temporary file should be left"
    assert all(n.startswith(".tracks.parquet.") and n.endswith(".scdata-tmp") for n in names[:-1])
    # the next write succeeds and replaces the file
    new = tracks_frame([[track(7)]])
    pd.testing.assert_frame_equal(read_parquet(to_parquet(new, target)), new)


def test_failed_write_cleans_up_and_keeps_the_old_file(
    tracks: pd.DataFrame, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = workdir / "t.parquet"
    old = tracks.head(3)
    to_parquet(old, target)

    def broken_write(table: object, where: str, **kwargs: object) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.pq, "write_table", broken_write)
    with pytest.raises(OSError, match="No space left"):
        to_parquet(tracks, target)
    monkeypatch.undo()
    assert temps(workdir) == []
    pd.testing.assert_frame_equal(read_parquet(target), old)


def test_old_temporaries_of_killed_writers_are_removed(tracks: pd.DataFrame, workdir: Path) -> None:
    stale = workdir / ".t.parquet.abc123.scdata-tmp"
    fresh = workdir / ".t.parquet.def456.scdata-tmp"
    other = workdir / ".other.parquet.abc123.scdata-tmp"
    for p in (stale, fresh, other):
        p.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    to_parquet(tracks, workdir / "t.parquet")
    assert not stale.exists()
    assert fresh.exists()  # may belong to a writer still running
    assert other.exists()  # another file's temporary


def test_written_file_is_readable_by_others(tracks: pd.DataFrame, workdir: Path) -> None:
    path = to_parquet(tracks, workdir / "t.parquet")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------- bad paths


def test_missing_directory_raises_before_any_work(
    tracks: pd.DataFrame, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_work(df: pd.DataFrame) -> None:
        raise AssertionError("converted before checking the path")

    monkeypatch.setattr(export, "frame_to_table", no_work)
    target = workdir / "missing" / "t.parquet"
    with pytest.raises(FileNotFoundError) as info:
        to_parquet(tracks, target)
    assert str(target) in str(info.value)
    assert str(target.parent) in str(info.value)
    with pytest.raises(FileNotFoundError, match="missing"):
        to_parquet(tracks, target.parent / "ds", partition_cols=["license"])
    assert not (workdir / "missing").exists()


@pytest.fixture
def unwritable_dir(workdir: Path) -> Iterator[Path]:
    directory = workdir / "read-only"
    directory.mkdir()
    if os.geteuid() != 0:
        directory.chmod(0o500)
        yield directory
        directory.chmod(0o700)
        return
    # root ignores permission bits; the immutable attribute still stops it
    if (
        shutil.which("chattr") is None
        or subprocess.run(
            ["chattr", "+i", str(directory)], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("cannot make a directory unwritable for root here")
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=False)


def test_unwritable_directory_raises_naming_the_path(
    tracks: pd.DataFrame, unwritable_dir: Path
) -> None:
    target = unwritable_dir / "t.parquet"
    with pytest.raises(PermissionError) as info:
        to_parquet(tracks, target)
    assert str(target) in str(info.value)
    with pytest.raises(PermissionError):
        to_parquet(tracks, unwritable_dir / "ds", partition_cols=["license"])
    assert list(unwritable_dir.iterdir()) == []


def test_directory_where_a_file_is_expected_and_the_reverse(
    tracks: pd.DataFrame, workdir: Path
) -> None:
    with pytest.raises(IsADirectoryError, match=str(workdir)):
        to_parquet(tracks, workdir)
    a_file = to_parquet(tracks, workdir / "t.parquet")
    with pytest.raises(NotADirectoryError):
        to_parquet(tracks, a_file, partition_cols=["license"])
    with pytest.raises(NotADirectoryError):
        to_parquet(tracks, a_file / "below.parquet")


def test_read_missing_path_raises(workdir: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.parquet"):
        read_parquet(workdir / "nope.parquet")


def test_not_a_frame_raises(workdir: Path) -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        to_parquet([{"id": 1}], workdir / "t.parquet")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- partitioned datasets


def sort(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("urn", ignore_index=True)


def test_partitioned_dataset_rewrite_replaces_partitions(
    tracks: pd.DataFrame, workdir: Path
) -> None:
    df = tracks.assign(year=tracks["created_at"].dt.year.astype("Int64"))
    root = workdir / "ds"
    assert to_parquet(df, root, partition_cols=["year"]) == root
    first_files = sorted(p.relative_to(root) for p in root.rglob("*.parquet"))
    assert all(p.name == "part-0.parquet" for p in first_files)

    # rewrite one partition with changed values, twice: replaced, never duplicated, even
    # when an earlier write left more files in that partition
    year = int(df["year"].iloc[0])
    partition = root / f"year={year}"
    shutil.copy(partition / "part-0.parquet", partition / "part-1.parquet")
    changed = df[df["year"] == year].assign(title="changed")
    to_parquet(changed, root, partition_cols=["year"])
    to_parquet(changed, root, partition_cols=["year"])
    back = read_parquet(root)
    assert len(back) == len(df)
    assert back["urn"].is_unique
    assert (back.loc[back["year"] == year, "title"] == "changed").all()
    assert (back.loc[back["year"] != year, "title"] != "changed").all()
    assert sorted(p.relative_to(root) for p in root.rglob("*.parquet")) == first_files
    assert temps(workdir) == []

    # dtypes, column order (partition column restored in place), values
    expected = df.copy()
    expected.loc[expected["year"] == year, "title"] = "changed"
    pd.testing.assert_frame_equal(sort(back), sort(expected))
    assert back["year"].dtype == "Int64"
    assert back.attrs["scdata_schema_version"] == SCHEMA_VERSION


def test_partitioned_dataset_by_a_schema_column(tracks: pd.DataFrame, workdir: Path) -> None:
    root = to_parquet(tracks, workdir / "ds", partition_cols=["license"])
    assert sorted(p.name for p in root.iterdir()) == [  # nothing but partitions: no sidecar
        "license=all-rights-reserved",
        "license=cc-by",
    ]
    back = read_parquet(root)
    pd.testing.assert_frame_equal(sort(back), sort(tracks))
    assert list(back.columns) == list(tracks.columns)


def test_partitioned_dataset_other_readers(tracks: pd.DataFrame, workdir: Path) -> None:
    df = tracks.assign(year=tracks["created_at"].dt.year.astype("Int64"))
    root = to_parquet(df, workdir / "ds", partition_cols=["year"])
    to_parquet(df, root, partition_cols=["year"])
    plain = pd.read_parquet(root)  # partition column as category: documented
    assert len(plain) == len(df)
    assert plain["playback_count"].dtype == "Int64"
    assert plain["created_at"].dtype == "datetime64[us, UTC]"
    [(count, distinct)] = duckdb.sql(
        f"SELECT count(*), count(DISTINCT id) FROM read_parquet('{root}/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    assert count == distinct == len(df)
    file = next(root.rglob("*.parquet"))
    assert pq.read_metadata(file).metadata[b"scdata_table"] == b"tracks"


def test_empty_partitioned_dataset_reads_back_typed(workdir: Path) -> None:
    df = empty_tracks_frame()
    root = to_parquet(df, workdir / "ds", partition_cols=["license"])
    pd.testing.assert_frame_equal(read_parquet(root), df)


def test_partition_columns_must_exist_and_be_int_or_str(
    tracks: pd.DataFrame, workdir: Path
) -> None:
    with pytest.raises(KeyError, match="nope"):
        to_parquet(tracks, workdir / "ds", partition_cols=["nope"])
    with pytest.raises(ValueError, match="created_at"):
        to_parquet(tracks, workdir / "ds", partition_cols=["created_at"])
    assert temps(workdir) == []


# --------------------------------------------------------------------------- other formats


def test_write_frame_parquet_is_to_parquet(tracks: pd.DataFrame, workdir: Path) -> None:
    path = write_frame(tracks, workdir / "t.parquet")
    pd.testing.assert_frame_equal(read_parquet(path), tracks)


def test_write_frame_csv(tracks: pd.DataFrame, workdir: Path) -> None:
    path = write_frame(tracks, workdir / "t.csv")
    back = pd.read_csv(path)
    assert list(back.columns) == list(tracks.columns)
    assert json.loads(back.loc[0, "tags"]) == tracks.loc[0, "tags"]
    assert back.loc[0, "created_at"] == tracks.loc[0, "created_at"].isoformat()
    assert back["id"].tolist() == tracks["id"].tolist()  # exact, even 2**63 - 1
    assert pd.isna(back.loc[1, "available_country_codes"])
    assert temps(workdir) == []


def test_write_frame_jsonl(tracks: pd.DataFrame, workdir: Path) -> None:
    path = write_frame(tracks, workdir / "t.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(tracks)
    assert rows[0]["tags"] == tracks.loc[0, "tags"]
    assert rows[0]["created_at"].endswith("+00:00")
    assert rows[0]["playback_count"] is None
    assert rows[-1]["id"] == BIG
    assert rows[0]["title"] == tracks.loc[0, "title"]  # not ASCII-escaped


def test_write_frame_rejects_unknown_extensions_before_any_work(
    tracks: pd.DataFrame, workdir: Path
) -> None:
    with pytest.raises(ValueError, match=r"\.txt"):
        write_frame(tracks, workdir / "t.txt")
    with pytest.raises(FileNotFoundError):
        write_frame(tracks, workdir / "missing" / "t.csv")
    assert list(workdir.iterdir()) == []
