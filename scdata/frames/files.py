"""Write and read scdata frames as Parquet: typed, zstd-compressed, atomic.

A file written by :func:`to_parquet` reads back identically with
:func:`read_parquet` (``assert_frame_equal`` holds, dtypes included), and with
plain ``pd.read_parquet`` the dtypes are the same too (list columns come back
as numpy arrays of ``str`` instead of lists). DuckDB and Spark see ``BIGINT``,
``BOOLEAN``, ``DOUBLE``, ``VARCHAR``, ``TIMESTAMP WITH TIME ZONE`` and
``VARCHAR[]`` / ``array<string>``.

What is atomic
--------------
- **Single file**: written to a hidden temporary file in the same directory
  (``.<name>.<random>.scdata-tmp``), flushed with ``fsync``, then renamed over
  the target with ``os.replace`` and the directory is fsynced. A reader, or a
  crash at any moment, sees the old file or the new one, never a mix. A
  writer killed mid-way leaves the old file intact plus, at worst, the hidden
  temporary file, which a later :func:`to_parquet` into the same directory
  removes once it is more than an hour old.
- **Partitioned dataset** (``partition_cols``): the whole dataset is first
  written to a hidden temporary directory beside the target. Then, partition
  by partition, each new file is renamed into place (atomic per file) and the
  files of that partition left from a previous write are deleted, so a
  partition written again is *replaced*, never duplicated (the semantics of
  pyarrow's ``existing_data_behavior="delete_matching"``, which deletes before
  writing and so is not atomic). Each partition normally has exactly one
  file, ``part-0.parquet``, so each partition flips atomically; the dataset
  as a whole does not: a reader during the swap may see some partitions new
  and others old. Partitions not in the new data are kept.

A dataset directory holds nothing but its Parquet files (``<col>=<value>/part-0.parquet``), so
pandas, pyarrow, Spark, ``duckdb.read_parquet('dir')`` or ``('dir/**')`` and
``polars.scan_parquet(dir)`` all read it as it is; each file carries the whole schema in its
metadata. A dataset with no rows has one ``_common_metadata`` file instead, so its columns
survive.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._version import __version__
from ..storage import atomicfile
from ..storage.atomicfile import TEMP_SUFFIX, fsync, remove_stale_temps
from .convert import table_to_frame
from .schema import EXTRA_COLUMNS, SCHEMA_VERSION, SCHEMAS, Column, SchemaError

__all__ = [
    "COMPRESSION",
    "FRAME_SUFFIXES",
    "check_output",
    "frame_to_table",
    "read_parquet",
    "to_parquet",
    "write_frame",
]

#: Parquet codec: zstd (level 1) was 9.6 MiB against 15.0 MiB for snappy at the same speed.
COMPRESSION = "zstd"

#: The extensions :func:`write_frame` knows.
FRAME_SUFFIXES = (".parquet", ".csv", ".jsonl")
_COMMON_METADATA = "_common_metadata"  # only in a dataset without data files
_PARTITION_FILE = "part-{i}.parquet"


# --------------------------------------------------------------------------- frame <-> table


def _detect_table(names: Sequence[str]) -> str:
    """The item schema of a frame ('tracks', 'playlists'...) from its column names, or ''.

    A schema qualifies when more than half of its columns are present; of those, the one
    the frame's columns (extra columns aside) match best wins: a tracks frame holds most of
    the comments columns too, but far more columns the comments schema does not have.
    """
    present = {name for name in names if name in _ITEM_NAMES or name not in EXTRA_COLUMNS}
    best, best_score = "", 0.0
    for kind, columns in SCHEMAS.items():
        declared = {c.name for c in columns}
        matched = len(declared & present)
        if matched / len(declared) <= 0.5:
            continue
        score = matched / len(declared | present)
        if score > best_score:
            best, best_score = kind, score
    return best


_ITEM_NAMES = {c.name for columns in SCHEMAS.values() for c in columns}


def _fits(column: pd.Series, col: Column) -> bool:
    """Whether a frame's column holds what an extra column declares (or nothing at all).

    An extra column's name may be the user's own (``rank`` from ``Series.rank``, floats):
    it is typed as declared only when it already is of that kind or is all missing.
    """
    dtype = column.dtype
    types = pd.api.types
    fits = {
        "int": types.is_integer_dtype(dtype) and not types.is_bool_dtype(dtype),
        "float": types.is_float_dtype(dtype),
        "bool": types.is_bool_dtype(dtype),
        "str": types.is_string_dtype(dtype),
        "timestamp": isinstance(dtype, pd.DatetimeTZDtype),
        "list": types.is_object_dtype(dtype),
    }[col.kind]
    return fits or bool(column.isna().all())


def _declared(kind: str, df: pd.DataFrame | None = None) -> dict[str, Column]:
    """The columns typed in a frame of `kind`: its schema's, and the extra columns that fit."""
    if not kind:
        return {}
    item = {c.name: c for c in SCHEMAS[kind]}
    extras = {
        name: col
        for name, col in EXTRA_COLUMNS.items()
        if name not in item and df is not None and name in df.columns and _fits(df[name], col)
    }
    return {**item, **extras}


def _fetched_at(df: pd.DataFrame) -> str:
    value = df.attrs.get("fetched_at")
    stamp = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def _json_safe(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _name_bad_column(df: pd.DataFrame, schema: pa.Schema, error: Exception) -> Exception:
    for field in schema:
        try:
            pa.array(df[field.name], type=field.type, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            return SchemaError(
                f"column {field.name!r} (dtype {df[field.name].dtype}) cannot be written as "
                f"{field.type}: {exc}"
            )
    return error


def frame_to_table(df: pd.DataFrame) -> pa.Table:
    """Convert a frame to the Arrow table that :func:`to_parquet` writes.

    Columns declared in ``scdata.frames.schema`` (when the frame is made of one of its
    ``SCHEMAS``: tracks, users, playlists, comments, web profiles; and the
    ``EXTRA_COLUMNS`` then) get their declared Arrow type, so even an empty or all-null
    column is typed; other columns are inferred by pyarrow. The table carries the
    pandas metadata (so plain ``pd.read_parquet`` restores the dtypes) and the
    scdata keys ``scdata_version``, ``scdata_schema_version``,
    ``scdata_fetched_at`` (from ``df.attrs["fetched_at"]``, else now, in ISO
    UTC), ``scdata_table`` and ``scdata_columns``.

    Parameters
    ----------
    df : pandas.DataFrame
        Usually from ``scdata.frames.convert.items_frame`` (or ``tracks_frame``...). The
        index is not written.

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    scdata.frames.schema.SchemaError
        A declared column holds values of another type (e.g. floats with a
        fraction in ``playback_count``).

    Examples
    --------
    >>> from scdata.frames.convert import tracks_frame
    >>> table = frame_to_table(tracks_frame([[{"id": 1, "tag_list": "a b"}]]))
    >>> table.schema.field("tags").type, table.schema.metadata[b"scdata_table"]
    (ListType(list<item: string>), b'tracks')
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    kind = _detect_table([str(c) for c in df.columns])
    declared = _declared(kind, df)
    unknown = [c for c in df.columns if c not in declared]
    inferred = (
        pa.Schema.from_pandas(df[unknown], preserve_index=False) if unknown else pa.schema([])
    )
    fields = [
        pa.field(name, declared[name].arrow_type) if name in declared else inferred.field(name)
        for name in df.columns
    ]
    schema = pa.schema(fields)
    fetched_at = _fetched_at(df)
    # pyarrow stores df.attrs in the pandas metadata as JSON: keep what JSON can hold,
    # with fetched_at as its ISO string, so plain pd.read_parquet restores it too
    source = df.copy(deep=False)
    source.attrs = {k: v for k, v in df.attrs.items() if _json_safe(v)}
    source.attrs["fetched_at"] = fetched_at
    try:
        table = pa.Table.from_pandas(source, schema=schema, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
        raise _name_bad_column(df, schema, exc) from exc
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"scdata_version": __version__.encode(),
            b"scdata_schema_version": SCHEMA_VERSION.encode(),
            b"scdata_fetched_at": fetched_at.encode(),
            b"scdata_table": kind.encode(),
            b"scdata_columns": json.dumps([str(c) for c in df.columns]).encode(),
        }
    )
    return table.replace_schema_metadata(metadata)


def _restore(table: pa.Table) -> pd.DataFrame:
    """Table read from Parquet -> frame with the declared dtypes, order and attrs."""
    metadata = table.schema.metadata or {}
    kind = metadata.get(b"scdata_table", b"").decode() or _detect_table(table.column_names)
    if kind not in SCHEMAS:  # '' or a schema this version does not know
        kind = _detect_table(table.column_names)
    declared = _declared(kind)  # extra columns were written typed: never cast
    order = json.loads(metadata.get(b"scdata_columns", b"[]"))
    if sorted(order) == sorted(table.column_names):
        table = table.select(order)
    for name, col in declared.items():
        if name in table.column_names:
            i = table.column_names.index(name)
            if table.schema.field(i).type != col.arrow_type:
                table = table.set_column(i, name, table.column(i).cast(col.arrow_type))
    frame = table_to_frame(table, SCHEMAS[kind] if kind else ())
    for key, attr in (
        (b"scdata_fetched_at", "fetched_at"),
        (b"scdata_version", "scdata_version"),
        (b"scdata_schema_version", "scdata_schema_version"),
    ):
        if key in metadata:
            frame.attrs[attr] = metadata[key].decode()
    return frame


# --------------------------------------------------------------------------- file-system helpers


def _check_target(path: Path, *, dataset: bool) -> None:
    """Fail fast, naming the path, before any conversion or writing."""
    parent = path.parent
    if not parent.exists():
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot write: directory {str(parent)!r} does not exist",
            str(path),
        )
    if not parent.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write Parquet: {str(parent)!r} is not a directory", str(path)
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES,
            f"cannot write: directory {str(parent)!r} is not writable",
            str(path),
        )
    if dataset and path.exists() and not path.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR,
            "cannot write a partitioned dataset: the path is an existing file",
            str(path),
        )
    if not dataset and path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR,
            "cannot write a Parquet file: the path is a directory (pass partition_cols "
            "to write a dataset)",
            str(path),
        )


def check_output(path: str | os.PathLike[str], *, dataset: bool = False) -> Path:
    """Check, before any work, that a frame or a dataset can be written at `path`.

    For a file (``dataset=False``) the extension must be one :func:`write_frame` knows; for
    both, the parent directory must exist and be writable, and `path` must not be a
    directory (a file) or an existing file (a dataset). Nothing is created.

    Parameters
    ----------
    path : str or os.PathLike
        The file :func:`write_frame` would write, or a dataset directory.
    dataset : bool, default False
        `path` is a dataset directory (:func:`to_parquet` with ``partition_cols``,
        :func:`scdata.export_tracks`).

    Returns
    -------
    pathlib.Path
        `path`, with ``~`` expanded.

    Raises
    ------
    ValueError
        An unknown extension (usage, not I/O).
    FileNotFoundError, NotADirectoryError, PermissionError, IsADirectoryError
        The directory is missing or not writable, or the path has the wrong kind.

    Examples
    --------
    >>> check_output("out.xlsx")
    Traceback (most recent call last):
    ...
    ValueError: cannot write 'out.xlsx': unknown extension '.xlsx'; use .parquet, .csv or .jsonl
    >>> check_output("missing/dir/out.parquet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] cannot write: directory 'missing/dir' does not exist: ...
    """
    path = Path(path).expanduser()
    if not dataset:
        suffix = path.suffix.lower()
        if suffix not in FRAME_SUFFIXES:
            raise ValueError(
                f"cannot write {str(path)!r}: unknown extension {suffix or '(none)'!r}; "
                "use .parquet, .csv or .jsonl"
            )
    _check_target(path, dataset=dataset)
    return path


def _reraise_with_target(exc: OSError, path: Path) -> OSError:
    """Same kind of error, but naming the target rather than a temporary name."""
    err = type(exc)(exc.errno, f"cannot write Parquet: {exc.strerror}", str(path))
    err.__cause__ = exc
    return err


# --------------------------------------------------------------------------- writers


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """:func:`~scdata.storage.atomicfile.write_atomically`, errors naming ``path``, not a temp.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomically(target, lambda tmp: tmp.write_text("done"))
    >>> target.read_text()
    'done'
    """
    try:
        atomicfile.write_atomically(path, write)
    except OSError as exc:
        if exc.filename is not None and str(exc.filename) != str(path):
            raise _reraise_with_target(exc, path) from exc
        raise


def _write_file(df: pd.DataFrame, path: Path) -> None:
    def write(tmp: Path) -> None:
        pq.write_table(frame_to_table(df), tmp, compression=COMPRESSION)

    write_atomically(path, write)


def _partition_schema(table: pa.Table, partition_cols: list[str]) -> pa.Schema:
    fields = []
    for name in partition_cols:
        if name not in table.column_names:
            raise KeyError(f"partition column {name!r} is not a column of the frame")
        field = table.schema.field(name)
        typ = field.type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        if not (
            pa.types.is_integer(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ)
        ):
            raise ValueError(
                f"partition column {name!r} has type {field.type}; only integer and string "
                "columns can be partition columns (derive e.g. a year column first)"
            )
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _dataset_metadata(table: pa.Table, part_schema: pa.Schema) -> dict[bytes, bytes]:
    """Add the partition schema; drop the partition columns from the pandas metadata.

    The data files do not hold the partition columns. Described in the pandas
    metadata (e.g. as Int64), they made plain ``pd.read_parquet(dir)`` fail on
    the dictionary column that hive discovery gives them (measured); without,
    it reads them as category.
    """
    metadata = dict(table.schema.metadata or {})
    metadata[b"scdata_partition_schema"] = base64.b64encode(part_schema.serialize().to_pybytes())
    if b"pandas" in metadata:
        pandas_meta = json.loads(metadata[b"pandas"])
        pandas_meta["columns"] = [
            c for c in pandas_meta["columns"] if c.get("name") not in part_schema.names
        ]
        metadata[b"pandas"] = json.dumps(pandas_meta).encode()
    return metadata


def _swap_partitions(staging: Path, root: Path) -> None:
    """Move every new partition's files into `root`, then drop that partition's old files."""
    leaves: dict[Path, list[Path]] = {}
    for file in staging.rglob("*.parquet"):
        leaves.setdefault(file.parent, []).append(file)
    for leaf, files in sorted(leaves.items()):
        target = root / leaf.relative_to(staging)
        target.mkdir(parents=True, exist_ok=True)
        for file in files:
            fsync(file)
            os.replace(file, target / file.name)
        fsync(target, directory=True)
        new_names = {f.name for f in files}
        for old in target.iterdir():
            if old.is_file() and old.suffix == ".parquet" and old.name not in new_names:
                old.unlink()


def _keep_schema_if_empty(root: Path, schema: pa.Schema) -> None:
    """A ``_common_metadata`` file only while the dataset has no data file, else none.

    With no data file it is the only record of the columns (polars and DuckDB then read a typed
    empty table from it); beside data files, polars' ``scan_parquet(dir)`` refuses it, and each
    data file carries the schema anyway (:func:`_dataset_schema`).
    """
    common = root / _COMMON_METADATA
    if _data_files(root):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(common)
    else:
        write_atomically(common, lambda tmp: pq.write_metadata(schema, tmp))


def _write_dataset(df: pd.DataFrame, root: Path, partition_cols: list[str]) -> None:
    parent = root.parent
    remove_stale_temps(parent, root.name)
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{root.name}.", suffix=TEMP_SUFFIX))
    except OSError as exc:
        raise _reraise_with_target(exc, root) from exc
    try:
        table = frame_to_table(df)
        part_schema = _partition_schema(table, partition_cols)
        table = table.cast(
            pa.schema(
                [
                    part_schema.field(f.name) if f.name in partition_cols else f
                    for f in table.schema
                ],
                metadata=table.schema.metadata,
            )
        )
        table = table.replace_schema_metadata(_dataset_metadata(table, part_schema))
        n_partitions = table.group_by(partition_cols).aggregate([]).num_rows
        ds.write_dataset(
            table,
            staging,
            format="parquet",
            partitioning=ds.partitioning(part_schema, flavor="hive"),
            basename_template=_PARTITION_FILE,
            existing_data_behavior="error",  # staging is new and empty
            file_options=ds.ParquetFileFormat().make_write_options(compression=COMPRESSION),
            max_partitions=max(1024, n_partitions),
        )
        root.mkdir(exist_ok=True)
        _swap_partitions(staging, root)
        _keep_schema_if_empty(root, table.schema)
        fsync(root, directory=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def to_parquet(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    partition_cols: Sequence[str] | None = None,
) -> Path:
    """Write a frame to Parquet atomically (zstd, typed, with scdata metadata).

    Parameters
    ----------
    df : pandas.DataFrame
        A frame of one of the item schemas (other frames work too; their columns are
        typed by pyarrow). The index is not written.
    path : str or os.PathLike
        The ``.parquet`` file to write, or the dataset directory when
        `partition_cols` is given. Its parent directory must exist.
    partition_cols : sequence of str, optional
        Write a hive-partitioned dataset (``path/col=value/part-0.parquet``)
        split on these integer or string columns. Writing again replaces the
        partitions present in `df` and keeps the others.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    FileNotFoundError
        The parent directory does not exist (raised before any work).
    PermissionError
        The parent directory is not writable (raised before any work).
    IsADirectoryError, NotADirectoryError
        A file is expected and `path` is a directory, or the reverse.
    ValueError
        A partition column is not integer or string.
    scdata.frames.schema.SchemaError
        A declared column holds values of another type.

    See Also
    --------
    read_parquet : Read it back with the same dtypes.

    Notes
    -----
    File-level key-value metadata: ``scdata_version``,
    ``scdata_schema_version``, ``scdata_fetched_at`` (``df.attrs["fetched_at"]``
    if set, else now; ISO 8601 UTC), ``scdata_table``, ``scdata_columns``,
    plus pyarrow's ``pandas`` and ``ARROW:schema``. What is and is not atomic
    is described in the module docstring (``scdata.frames.files?``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from scdata.frames.convert import tracks_frame
    >>> df = tracks_frame([[{"id": 1, "title": "a", "playback_count": None}]])
    >>> out = to_parquet(df, pathlib.Path(tempfile.mkdtemp()) / "tracks.parquet")
    >>> out.name
    'tracks.parquet'
    >>> read_parquet(out)["playback_count"].dtype
    Int64Dtype()
    """
    path = Path(path).expanduser()
    columns = list(partition_cols or [])
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    _check_target(path, dataset=bool(columns))
    if columns:
        _write_dataset(df, path, columns)
    else:
        _write_file(df, path)
    return path


def _text_frame(df: pd.DataFrame, *, lists_as_json: bool) -> pd.DataFrame:
    """Timestamps as ISO 8601 strings (``+00:00``); lists as JSON text if asked."""
    out = df.copy(deep=False)
    for name in out.columns:
        column = out[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            column.dtype
        ):
            out[name] = pd.Series(
                [None if pd.isna(t) else t.isoformat() for t in column], dtype=object
            )
        elif lists_as_json and column.dtype == object:
            out[name] = pd.Series(
                [json.dumps(list(v), ensure_ascii=False) if _is_list(v) else v for v in column],
                dtype=object,
            )
    return out


def _is_list(value: object) -> bool:
    return isinstance(value, list) or (hasattr(value, "tolist") and hasattr(value, "ndim"))


def write_frame(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame as Parquet, CSV or JSON Lines, chosen by the extension, atomically.

    ``.parquet`` is :func:`to_parquet`. ``.csv`` writes timestamps as ISO 8601
    strings (``2011-04-06T15:37:43+00:00``) and list columns as JSON arrays
    (``["hip hop", "trap"]``), missing values as empty fields. ``.jsonl``
    writes one JSON object per row, with lists as arrays, timestamps as ISO
    8601 strings and missing values as ``null``. Every format is written to a
    temporary file first and renamed into place.

    Parameters
    ----------
    df : pandas.DataFrame
        Usually a frame of one of the item schemas (tracks, users, playlists...).
    path : str or os.PathLike
        Target file; its extension picks the format. Its directory must exist.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    ValueError
        The extension is not ``.parquet``, ``.csv`` or ``.jsonl``.
    FileNotFoundError, PermissionError
        As for :func:`to_parquet`, before any work.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from scdata.frames.convert import tracks_frame
    >>> df = tracks_frame([[{"id": 1, "tag_list": '"hip hop" trap'}]])
    >>> out = write_frame(df, pathlib.Path(tempfile.mkdtemp()) / "tracks.csv")
    >>> pd.read_csv(out).loc[0, "tags"]
    '["hip hop", "trap"]'
    """
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return to_parquet(df, path)
    if not isinstance(df, pd.DataFrame) and suffix in FRAME_SUFFIXES:
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    check_output(path)

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            _text_frame(df, lists_as_json=True).to_csv(tmp, index=False)
        else:
            _text_frame(df, lists_as_json=False).to_json(
                tmp, orient="records", lines=True, force_ascii=False
            )

    write_atomically(path, write)
    return path


# --------------------------------------------------------------------------- reader


def _data_files(root: Path) -> list[Path]:
    """The dataset's Parquet files, without hidden or ``_`` paths (the readers' convention)."""
    return sorted(
        p
        for p in root.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def _dataset_schema(root: Path) -> pa.Schema | None:
    """The whole dataset's schema: a data file's columns plus the partition columns.

    Every data file carries the partition schema in its metadata, so the dataset needs no
    sidecar; ``_common_metadata`` (an empty dataset's, or one an earlier version left beside
    the data) is read when present.
    """
    common = root / _COMMON_METADATA
    if common.exists():
        return pq.read_schema(common)
    files = _data_files(root)
    if not files:
        return None
    schema = pq.read_schema(files[0])
    encoded = (schema.metadata or {}).get(b"scdata_partition_schema")
    if not encoded:
        return None
    part_schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encoded)))
    return pa.schema([*schema, *part_schema], metadata=schema.metadata)


def _read_dataset(root: Path) -> pa.Table:
    schema = _dataset_schema(root)
    encoded = (schema.metadata or {}).get(b"scdata_partition_schema") if schema else None
    if encoded:
        part_schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encoded)))
        partitioning = ds.partitioning(part_schema, flavor="hive")
    else:
        partitioning = ds.HivePartitioning.discover(infer_dictionary=False)
    dataset = ds.dataset(root, format="parquet", partitioning=partitioning, schema=schema)
    return dataset.to_table()


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a file or dataset written by :func:`to_parquet` with scdata's dtypes.

    Parameters
    ----------
    path : str or os.PathLike
        A Parquet file, or the directory of a partitioned dataset.

    Returns
    -------
    pandas.DataFrame
        Declared columns get their declared dtypes (``Int64``, ``boolean``,
        ``str``, ``datetime64[us, UTC]``, ``float64``, object columns of lists),
        in the order they were written, with a ``RangeIndex``. ``df.attrs``
        holds ``fetched_at``, ``scdata_version`` and ``scdata_schema_version``
        from the file. A dataset's rows come back grouped by partition, not in
        their original order; its partition columns get their written dtype.

    Raises
    ------
    FileNotFoundError
        `path` does not exist.

    See Also
    --------
    to_parquet : Write a frame.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from scdata.frames.convert import users_frame
    >>> df = users_frame([{"id": 3699101, "username": "Alex", "online": False}])
    >>> p = to_parquet(df, pathlib.Path(tempfile.mkdtemp()) / "users.parquet")
    >>> back = read_parquet(p)
    >>> back.equals(df), back["online"].dtype
    (True, BooleanDtype)
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "no such Parquet file or dataset", str(path))
    table = _read_dataset(path) if path.is_dir() else pq.read_table(path, partitioning=None)
    return _restore(table)
