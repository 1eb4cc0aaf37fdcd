"""Turn API objects (parsed JSON dicts) into typed Arrow tables and pandas frames.

How a page becomes rows (all measured; see ``benchmarks/normalise.py``):

1. Each page (a list of dicts) is converted to Arrow as soon as it arrives,
   with the nested schema declared in :mod:`scdata.schema`, in one C++ pass
   (``pa.array(page, type=struct)``). A generator of pages therefore keeps
   only one page of Python dicts alive. Keys not in the schema are ignored; a
   value of the wrong type raises :class:`~scdata.schema.SchemaError` naming
   the column and the record.
2. Records whose ``urn`` (or the urn built from ``id``) was already seen are
   dropped on the dicts, before conversion: the first one wins and no table is
   ever copied to remove rows.
3. Every ~10,000 rows the converted pages are concatenated and *finished*
   with ``pyarrow.compute``: flattened (``user.username`` -> ``user_username``),
   timestamps parsed, id/urn filled from each other, ``duration_s`` and the
   tag columns derived. Batches keep the temporaries small.
4. ``to_pandas`` with nullable dtypes; list columns become ``object`` columns
   of Python lists (see ``docs/columns.md`` for why).

The result has the same columns, order and dtypes for 0, 1 or 100,000 rows.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice, repeat
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scdata.schema import (
    TIMESTAMP_FORMAT,
    TRACK_COLUMNS,
    USER_COLUMNS,
    Column,
    SchemaError,
    arrow_schema,
    nested_arrow_schema,
)
from scdata.tags import split_tag_lists

__all__ = [
    "empty_tracks_frame",
    "empty_users_frame",
    "table_to_frame",
    "tracks_frame",
    "tracks_table",
    "users_frame",
    "users_table",
]

#: Users are converted to Arrow in batches of this many dicts.
USER_BATCH_SIZE = 1000
#: Converted pages are finished (parsed, derived) in batches of about this many rows:
#: large enough for fast kernels, small enough to keep temporary memory low.
BATCH_ROWS = 10_000

_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError, AttributeError)
_COUNTRY_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class _Spec:
    """Everything needed to build one kind of table, derived from its columns."""

    name: str
    columns: tuple[Column, ...]
    nested: pa.Schema
    record: pa.StructType
    final: pa.Schema
    list_inputs: tuple[str, ...]

    @classmethod
    def of(cls, name: str, columns: tuple[Column, ...]) -> _Spec:
        nested = nested_arrow_schema(columns)
        list_inputs = tuple(
            c.source for c in columns if c.kind == "list" and not c.derived and len(c.path) == 1
        )
        return cls(
            name, columns, nested, pa.struct(list(nested)), arrow_schema(columns), list_inputs
        )


_TRACKS = _Spec.of("tracks", TRACK_COLUMNS)
_USERS = _Spec.of("users", USER_COLUMNS)

_DERIVED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "duration_s": lambda a: pc.divide(pc.cast(a["duration"], pa.float64()), 1000.0),
}


# --------------------------------------------------------------------------- raw pages -> Arrow


def _values(records: list, key: str) -> list:
    """``[r.get(key) for r in records]`` in C; None for records that are not dicts."""
    try:
        return list(map(dict.get, records, repeat(key)))
    except TypeError:  # not all dicts: validation will name the bad record
        return [r.get(key) if isinstance(r, dict) else None for r in records]


def _tolerate_string_lists(records: list, spec: _Spec) -> list:
    """A string where a list of strings is declared is split, not read as characters."""
    for key in spec.list_inputs:
        values = _values(records, key)
        if str not in set(map(type, values)):
            continue
        records = list(records)
        for i, value in enumerate(values):
            if type(value) is str:
                codes = [code for code in _COUNTRY_SPLIT.split(value) if code]
                records[i] = {**records[i], key: codes}
    return records


def _drop_seen(records: list, seen: set[str], collection: str) -> list:
    """Drop the records whose urn (or the urn built from their id) is in `seen`.

    Done on the dicts, before Arrow, so no table is ever copied to remove rows.
    Records without a usable key are kept (validation reports bad ones later).
    """
    keys = _values(records, "urn")
    if None in keys:
        prefix = f"soundcloud:{collection}:"
        for i, key in enumerate(keys):
            record = records[i]
            if key is None and isinstance(record, dict) and type(record.get("id")) is int:
                keys[i] = prefix + str(record["id"])
    try:
        unique = set(keys)
    except TypeError:  # an unhashable urn: validation will name it
        return records
    unique.discard(None)
    if len(unique) == len(keys) and seen.isdisjoint(unique):
        seen.update(unique)
        return records
    kept = []
    for key, record in zip(keys, records, strict=True):
        if type(key) is str:
            if key in seen:
                continue
            seen.add(key)
        kept.append(record)
    return kept


def _label(page_no: int, page: list, record: object) -> str:
    position = next((i for i, r in enumerate(page) if r is record), None)
    where = f"page {page_no}" if position is None else f"page {page_no}, item {position}"
    if isinstance(record, dict):
        for key in ("urn", "id", "permalink_url"):
            if record.get(key) is not None:
                return f"{where}, {key}={record[key]!r}"
    return where


def _diagnose(
    records: list, page: list, page_no: int, spec: _Spec, error: Exception
) -> SchemaError:
    """Find which column and record broke a page conversion, for a readable error."""
    for record in records:
        if not isinstance(record, dict):
            return SchemaError(
                f"{spec.name}: expected a JSON object (dict), got a {type(record).__name__} "
                f"{record!r:.80} ({_label(page_no, page, record)})"
            )
    for field in spec.nested:
        if not pa.types.is_struct(field.type):
            continue
        for record in records:
            value = record.get(field.name)
            if value is not None and not isinstance(value, dict):
                return SchemaError(
                    f"columns {field.name}_* (API field {field.name!r}): expected an object or "
                    f"null, got {value!r:.80} ({type(value).__name__}) "
                    f"({_label(page_no, page, record)})"
                )
    for col in spec.columns:
        if col.derived:
            continue
        for record in records:
            value: Any = record
            for key in col.path:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                continue
            try:
                pa.array([value], type=col.raw_arrow_type)
            except _CONVERSION_ERRORS as exc:
                expected = "a string" if col.kind == "timestamp" else col.kind
                return SchemaError(
                    f"column {col.name!r} (API field {col.source!r}): expected {expected}, got "
                    f"{value!r:.80} ({type(value).__name__}) ({_label(page_no, page, record)}): "
                    f"{exc}"
                )
    return SchemaError(f"{spec.name}: page {page_no} does not fit the schema: {error}")


def _page_to_arrow(page: object, page_no: int, spec: _Spec, seen: set[str]) -> pa.Table:
    if isinstance(page, (dict, str, bytes)):
        raise TypeError(
            f"{spec.name}: each page must be a list of API objects (the page's 'collection'), "
            f"got a {type(page).__name__}; wrap a single list of objects as [objects]"
        )
    if not isinstance(page, list):
        page = list(page)  # type: ignore[call-overload]
    records = _tolerate_string_lists(_drop_seen(page, seen, spec.name), spec)
    try:
        # One C++ pass over the dicts as a struct array: faster than from_pylist, which
        # builds a Python list per column. Keys not in the schema are ignored.
        return pa.Table.from_struct_array(pa.array(records, type=spec.record))
    except _CONVERSION_ERRORS as exc:
        raise _diagnose(records, page, page_no, spec, exc) from exc


# --------------------------------------------------------------------------- Arrow finishing


def _parse_timestamps(raw: pa.Array, col: Column) -> pa.Array:
    try:
        parsed = pc.strptime(raw, format=TIMESTAMP_FORMAT, unit="s")
    except pa.ArrowInvalid:
        lenient = pc.strptime(raw, format=TIMESTAMP_FORMAT, unit="s", error_is_null=True)
        bad = pc.and_(raw.is_valid(), lenient.is_null())
        first = raw.filter(bad)[0].as_py()
        raise SchemaError(
            f"column {col.name!r} (API field {col.source!r}): expected a timestamp like "
            f"'2011/04/06 15:37:43 +0000', got {first!r:.80} "
            f"(in {pc.sum(bad).as_py()} record(s))"
        ) from None
    return parsed.cast(pa.timestamp("us", tz="UTC"))


def _fill_id_urn(arrays: dict[str, Any], id_col: Column, urn_col: Column) -> None:
    """Fill the id from the urn and the urn from the id where one of them is missing."""
    collection = id_col.urn_collection
    ids, urns = arrays[id_col.name], arrays[urn_col.name]
    if ids.null_count:
        match = pc.extract_regex(urns, pattern=rf"^soundcloud:{collection}:(?P<n>[0-9]+)$")
        try:
            parsed = pc.cast(pc.struct_field(match, [0]), pa.int64())
        except pa.ArrowInvalid as exc:
            raise SchemaError(
                f"column {urn_col.name!r} (API field {urn_col.source!r}): id in a urn does not "
                f"fit a 64-bit integer: {exc}"
            ) from None
        arrays[id_col.name] = pc.coalesce(ids, parsed)
    if urns.null_count:
        prefix = pa.scalar(f"soundcloud:{collection}:", urns.type)
        separator = pa.scalar("", urns.type)
        built = pc.binary_join_element_wise(prefix, pc.cast(ids, urns.type), separator)
        arrays[urn_col.name] = pc.coalesce(urns, built)


def _finish(raw: pa.Table, spec: _Spec) -> pa.Table:
    """Raw nested batch -> the final schema: flatten, parse, derive, order."""
    flat = raw.combine_chunks().flatten()
    arrays: dict[str, Any] = {}
    for col in spec.columns:
        if col.derived:
            continue
        column = flat.column(".".join(col.path)).chunk(0)
        arrays[col.name] = _parse_timestamps(column, col) if col.kind == "timestamp" else column

    pairs: dict[str, dict[str, Column]] = {}
    for col in spec.columns:
        if col.urn_collection:
            pairs.setdefault(col.urn_collection, {})[col.kind] = col
    for pair in pairs.values():
        _fill_id_urn(arrays, pair["int"], pair["str"])

    names = {c.name for c in spec.columns}
    if "tags" in names:
        arrays["tags"], arrays["machine_tags"] = split_tag_lists(arrays["tag_list"])
    for name, derive in _DERIVED.items():
        if name in names:
            arrays[name] = derive(arrays)
    return pa.Table.from_arrays([arrays[c.name] for c in spec.columns], schema=spec.final)


def _build(pages: Iterable[object], spec: _Spec) -> pa.Table:
    """Stream pages to Arrow; finish every ~BATCH_ROWS rows so temporaries stay small."""
    if isinstance(pages, (dict, str, bytes)):
        raise TypeError(
            f"{spec.name}: expected an iterable of pages (lists of dicts), "
            f"got a {type(pages).__name__}"
        )
    seen: set[str] = set()
    finished: list[pa.Table] = []
    pending: list[pa.Table] = []
    pending_rows = 0
    for page_no, page in enumerate(pages):
        table = _page_to_arrow(page, page_no, spec, seen)
        pending.append(table)
        pending_rows += table.num_rows
        if pending_rows >= BATCH_ROWS:
            finished.append(_finish(pa.concat_tables(pending), spec))
            pending, pending_rows = [], 0
    if pending or not finished:
        raw = pa.concat_tables(pending) if pending else spec.nested.empty_table()
        finished.append(_finish(raw, spec))
    return finished[0] if len(finished) == 1 else pa.concat_tables(finished)


def _batched(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    if isinstance(items, (dict, str, bytes)):
        raise TypeError(f"users: expected an iterable of user dicts, got a {type(items).__name__}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --------------------------------------------------------------------------- Arrow -> pandas

_TYPES_MAPPER = {
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.large_string(): pd.StringDtype(na_value=np.nan),
    pa.string(): pd.StringDtype(na_value=np.nan),
}.get


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _python_lists(column: pa.ChunkedArray | pa.Array) -> pd.Series:
    """``list<string>`` -> object Series of Python lists (None where null).

    Equal strings share one Python object (tags repeat a lot), which saves
    memory and time over ``to_pylist()``.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    flat = array.flatten()
    encoded = pc.dictionary_encode(flat)
    uniques = encoded.dictionary.to_pylist()
    codes = encoded.indices
    if codes.null_count:
        codes = codes.fill_null(len(uniques))
        uniques.append(None)
    pool = np.empty(len(uniques), dtype=object)
    pool[:] = uniques
    values = pool[codes.to_numpy()].tolist() if len(codes) else []
    offsets = array.offsets.to_numpy()
    offsets = (offsets - offsets[0]).tolist()
    # map/slice run in C: much faster than a Python loop over the rows. The cyclic GC is
    # paused meanwhile: these lists hold only strings, so they cannot form cycles, and
    # the collections their allocation triggers tripled the time (measured).
    lists = map(values.__getitem__, map(slice, offsets[:-1], offsets[1:]))
    with _gc_paused():
        out = np.fromiter(lists, dtype=object, count=len(array))
    if array.null_count:
        out[np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))] = None
    return pd.Series(out, dtype=object)


def table_to_frame(table: pa.Table, columns: tuple[Column, ...] = TRACK_COLUMNS) -> pd.DataFrame:
    """Convert a table of scdata columns to a pandas frame with the declared dtypes.

    Columns of `table` that are declared in `columns` get their declared pandas
    dtype (``Int64``, ``boolean``, ``str``, ``datetime64[us, UTC]``, ``float64``,
    object lists). Other columns are converted by pyarrow's defaults, using the
    table's pandas metadata when there is some. The column order is the
    table's.

    Parameters
    ----------
    table : pyarrow.Table
        Usually the output of :func:`tracks_table` or :func:`users_table`.
    columns : tuple of Column, default TRACK_COLUMNS
        The declarations to apply (``scdata.schema.USER_COLUMNS`` for users).

    Returns
    -------
    pandas.DataFrame
        With a plain ``RangeIndex``.

    Examples
    --------
    >>> df = table_to_frame(tracks_table([[{"id": 1, "playback_count": None}]]))
    >>> df.loc[0, "urn"], df["playback_count"].dtype
    ('soundcloud:tracks:1', Int64Dtype())
    """
    declared = {c.name: c for c in columns}
    list_names = [
        name for name in table.column_names if name in declared and declared[name].kind == "list"
    ]
    frame = table.drop_columns(list_names).to_pandas(types_mapper=_TYPES_MAPPER)
    for position, name in enumerate(table.column_names):
        if name in list_names:
            frame.insert(position, name, _python_lists(table.column(name)))
    for name in frame.columns:
        col = declared.get(name)
        if col is not None and col.kind != "list" and frame[name].dtype != col.pandas_dtype:
            frame[name] = frame[name].astype(col.pandas_dtype)
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    return frame


# --------------------------------------------------------------------------- public builders


def tracks_table(pages: Iterable[list[dict]]) -> pa.Table:
    """Build the typed Arrow table of tracks from API pages.

    Each page is converted to Arrow as it arrives (so a generator of pages
    keeps only one page of dicts in memory), then the pages are concatenated,
    flattened, derived columns are computed, and rows whose ``urn`` was
    already seen are dropped (the first one is kept).

    Parameters
    ----------
    pages : iterable of list of dict
        One list per API page: the parsed ``collection`` of
        ``GET /users/{urn}/tracks`` (track objects as dicts). Unknown keys are
        ignored.

    Returns
    -------
    pyarrow.Table
        Columns and types of ``scdata.schema.arrow_schema(TRACK_COLUMNS)``.

    Raises
    ------
    scdata.schema.SchemaError
        A value has the wrong type (e.g. ``"12"`` for an int); the message
        names the column and the record.
    TypeError
        `pages` is not an iterable of lists (e.g. a single dict).

    See Also
    --------
    tracks_frame : The same as a pandas DataFrame.

    Examples
    --------
    >>> page = [{"id": 13158665, "title": "Munching", "tag_list": '"hip hop" trap'}]
    >>> t = tracks_table([page])
    >>> t.num_rows, t.column("urn")[0].as_py(), t.column("tags")[0].as_py()
    (1, 'soundcloud:tracks:13158665', ['hip hop', 'trap'])
    """
    return _build(pages, _TRACKS)


def tracks_frame(pages: Iterable[list[dict]]) -> pd.DataFrame:
    """Build the typed tracks DataFrame from API pages.

    Parameters
    ----------
    pages : iterable of list of dict
        One list per API page: the parsed ``collection`` (track dicts).
        ``[]`` gives the empty frame with every column and dtype.

    Returns
    -------
    pandas.DataFrame
        One row per distinct track ``urn``, columns as in ``docs/columns.md``
        (``scdata.schema.TRACK_COLUMNS``), a plain ``RangeIndex``.

    Raises
    ------
    scdata.schema.SchemaError
        A value has the wrong type; the message names the column.

    See Also
    --------
    tracks_table : The same as a pyarrow Table.
    scdata.export.to_parquet : Save it losslessly.

    Examples
    --------
    >>> page = [
    ...     {"urn": "soundcloud:tracks:1", "created_at": "2011/04/06 15:37:43 +0000",
    ...      "playback_count": None, "tag_list": "soundcloud:source=iphone-record ",
    ...      "user": {"id": 7, "username": "alex"}},
    ... ]
    >>> df = tracks_frame([page])
    >>> df.loc[0, "id"], df.loc[0, "user_urn"], df.loc[0, "user_username"]
    (np.int64(1), 'soundcloud:users:7', 'alex')
    >>> df.loc[0, "created_at"]
    Timestamp('2011-04-06 15:37:43+0000', tz='UTC')
    >>> df.loc[0, "playback_count"] is pd.NA, df.loc[0, "machine_tags"]
    (True, ['soundcloud:source=iphone-record'])
    """
    return table_to_frame(tracks_table(pages), TRACK_COLUMNS)


def tracks_page_table(page: list[dict]) -> pa.Table:
    """The typed table of one API page (final schema), for keeping beside the HTTP cache.

    Duplicates inside the page are dropped; :func:`concat_tracks` drops those across pages.

    Examples
    --------
    >>> tracks_page_table([{"id": 1}, {"id": 1}, {"id": 2}]).column("urn").to_pylist()
    ['soundcloud:tracks:1', 'soundcloud:tracks:2']
    """
    return _finish(_page_to_arrow(page, 0, _TRACKS, set()), _TRACKS)


def concat_tracks(tables: Iterable[pa.Table]) -> pa.Table:
    """Concatenate typed track tables, keeping the first row of each ``urn``.

    Examples
    --------
    >>> a = tracks_page_table([{"id": 1}, {"id": 2}])
    >>> b = tracks_page_table([{"id": 2}, {"id": 3}])
    >>> concat_tracks([a, b]).column("id").to_pylist()
    [1, 2, 3]
    >>> concat_tracks([]).num_rows
    0
    """
    tables = list(tables)
    if len(tables) > 1:
        whole = pa.concat_tables(tables)
        if pc.count_distinct(whole.column("urn")).as_py() == whole.num_rows:
            return whole  # the usual case: no duplicates, no Python loop over the rows
    seen: set[str] = set()
    kept: list[pa.Table] = []
    for table in tables:
        first = []
        for urn in table.column("urn").to_pylist():
            first.append(urn not in seen)
            seen.add(urn)
        kept.append(table if all(first) else table.filter(pa.array(first)))
    if not kept:
        return _TRACKS.final.empty_table()
    return kept[0] if len(kept) == 1 else pa.concat_tables(kept)


def users_table(users: Iterable[dict]) -> pa.Table:
    """Build the typed Arrow table of users from API user objects.

    Parameters
    ----------
    users : iterable of dict
        User objects (e.g. the ``collection`` items of ``/users/{urn}/followings``,
        or ``[user]`` for one). Converted to Arrow in batches of 1000.

    Returns
    -------
    pyarrow.Table
        Columns and types of ``scdata.schema.arrow_schema(USER_COLUMNS)``;
        duplicate ``urn`` rows dropped, keeping the first.

    Raises
    ------
    scdata.schema.SchemaError
        A value has the wrong type; the message names the column.

    Examples
    --------
    >>> t = users_table([{"urn": "soundcloud:users:3699101", "followers_count": 0}])
    >>> t.column("id")[0].as_py(), t.column("followers_count")[0].as_py()
    (3699101, 0)
    """
    return _build(_batched(users, USER_BATCH_SIZE), _USERS)


def users_frame(users: Iterable[dict]) -> pd.DataFrame:
    """Build the typed users DataFrame from API user objects.

    Parameters
    ----------
    users : iterable of dict
        User objects as dicts. ``[]`` gives the empty frame.

    Returns
    -------
    pandas.DataFrame
        Columns as in ``docs/columns.md`` (``scdata.schema.USER_COLUMNS``).

    Examples
    --------
    >>> df = users_frame([{"id": 3699101, "username": "Alex Stevenson", "city": ""}])
    >>> df.loc[0, ["urn", "username", "city"]].tolist()
    ['soundcloud:users:3699101', 'Alex Stevenson', '']
    >>> df["followers_count"].isna().all()
    np.True_
    """
    return table_to_frame(users_table(users), USER_COLUMNS)


def empty_tracks_frame() -> pd.DataFrame:
    """Return the tracks frame with 0 rows: every column, in order, with its dtype.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = empty_tracks_frame()
    >>> len(df), df["created_at"].dtype
    (0, datetime64[us, UTC])
    """
    return tracks_frame([])


def empty_users_frame() -> pd.DataFrame:
    """Return the users frame with 0 rows: every column, in order, with its dtype.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = empty_users_frame()
    >>> len(df), df["followers_count"].dtype
    (0, Int64Dtype())
    """
    return users_frame([])
