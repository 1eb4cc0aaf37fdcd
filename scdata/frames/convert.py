"""Turn API objects (parsed JSON dicts) into typed Arrow tables and pandas frames.

How a page becomes rows (all measured; see ``benchmarks/normalise.py``):

1. Each page (a list of dicts) is converted to Arrow as soon as it arrives,
   with the nested schema declared in :mod:`scdata.frames.schema`, in one C++ pass
   (``pa.array(page, type=struct)``). A generator of pages therefore keeps
   only one page of Python dicts alive. Keys not in the schema are ignored.
   Only when that pass fails (a value of another type: ``"1234"`` for an int,
   a lone surrogate...) or an integer column holds a float (Arrow would
   truncate ``12.5`` silently) is the page converted column by column, and
   only the columns that fail value by value: what can be read is read
   (numbers sent as strings, ``12.0``), the rest is missing and counted for one
   :class:`~scdata.frames.schema.ParseWarning` per column. Items that are not objects
   are skipped (counted too).
2. Records whose ``urn`` (or the urn built from ``id``) was already seen are
   dropped on the dicts, before conversion: the first one wins and no table is
   ever copied to remove rows.
3. Every ~10,000 rows the converted pages are concatenated and *finished*
   with ``pyarrow.compute``: flattened (``user.username`` -> ``user_username``),
   timestamps parsed (the API's format at full speed; ISO 8601 only for the
   values not in it), ``""`` in text columns made missing, id/urn filled from
   each other, ``duration_s`` and the tag columns derived. Batches keep the temporaries small.
4. ``to_pandas`` with nullable dtypes; list columns become ``object`` columns
   of Python lists (see ``docs/columns.md`` for why).

The result has the same columns, order and dtypes for 0, 1 or 100,000 rows.
"""

from __future__ import annotations

import gc
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice, repeat
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .jsonbody import without_surrogates
from .schema import (
    EXTRA_COLUMNS,
    SCHEMAS,
    TIMESTAMP_FORMAT,
    TRACK_COLUMNS,
    USER_COLUMNS,
    Column,
    ParseWarning,
    arrow_schema,
    nested_arrow_schema,
)
from .tags import split_tag_lists

__all__ = [
    "concat_pages",
    "empty_frame",
    "empty_tracks_frame",
    "empty_users_frame",
    "items_frame",
    "items_table",
    "page_table",
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
    by_path: dict[tuple[str, ...], Column]
    #: The URN collection of the ``urn`` key (``"tracks"``); None: no key, rows never dropped.
    key: str | None
    #: What one item is called in messages (``"track"``).
    item: str

    @classmethod
    def of(cls, name: str, columns: tuple[Column, ...]) -> _Spec:
        nested = nested_arrow_schema(columns)
        read = [c for c in columns if not c.derived]
        list_inputs = tuple(c.source for c in read if c.kind == "list" and len(c.path) == 1)
        by_path = {c.path: c for c in read}
        by_path.update({c.fallback_path: c for c in read if c.fallback_path})
        key = next((c.urn_collection for c in columns if c.name == "urn"), None)
        item = name[:-1].replace("_", " ")
        return cls(
            name, columns, nested, pa.struct(list(nested)), arrow_schema(columns), list_inputs,
            by_path, key, item,
        )  # fmt: skip


_SPECS: dict[str, _Spec] = {name: _Spec.of(name, columns) for name, columns in SCHEMAS.items()}
_TRACKS = _SPECS["tracks"]
_USERS = _SPECS["users"]


def _spec(kind: str) -> _Spec:
    """The spec of an item schema by its name, or a ValueError listing the names."""
    try:
        return _SPECS[kind]
    except (KeyError, TypeError):
        raise ValueError(
            f"kind={kind!r} is not an item schema; use one of {', '.join(map(repr, _SPECS))}"
        ) from None


def _ms_to_s(name: str) -> Callable[[dict[str, Any]], Any]:
    # safe=False: beyond 2**53 ms a float of seconds is only approximate, which is fine
    # (a safe cast raised for such a value and aborted the whole frame)
    return lambda a: pc.divide(pc.cast(a[name], pa.float64(), safe=False), 1000.0)


_DERIVED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "duration_s": _ms_to_s("duration"),
    "timestamp_s": _ms_to_s("timestamp"),
}


# --------------------------------------------------------------------------- parse problems

_ISSUES_KEY = b"scdata_parse_issues"
_SECRETISH = re.compile(
    r"(?i)token|secret|passw|bearer|oauth|authoriz|client_id|[A-Za-z0-9_\-+/=.]{32,}"
)


def _example(value: object) -> str:
    """One offending value for a warning: shortened, hidden if it looks like a credential."""
    text = repr(value)
    if _SECRETISH.search(text):
        return f"<a {type(value).__name__} hidden: it looks like a credential>"
    return text if len(text) <= 60 else text[:57] + "..."


class _Issues:
    """Values that could not be read, per column: how many, what was expected, one example.

    Carried in a table's schema metadata (so typed page copies keep them) and turned into
    one :class:`~scdata.frames.schema.ParseWarning` per column when a frame is built.
    """

    def __init__(self, found: dict[str, dict[str, Any]] | None = None) -> None:
        self.found: dict[str, dict[str, Any]] = found or {}

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, key: str, problem: str, count: int, example: object) -> None:
        if not count:
            return
        entry = self.found.get(key)
        if entry is None:
            self.found[key] = {"problem": problem, "count": count, "example": _example(example)}
        else:
            entry["count"] += count

    def merge(self, other: _Issues) -> None:
        for key, entry in other.found.items():
            if key in self.found:
                self.found[key]["count"] += entry["count"]
            else:
                self.found[key] = dict(entry)

    @classmethod
    def of(cls, table: pa.Table) -> _Issues:
        raw = (table.schema.metadata or {}).get(_ISSUES_KEY)
        if not raw:
            return cls()
        try:
            found = json.loads(raw)
        except ValueError:
            return cls()
        return cls(found if isinstance(found, dict) else None)

    def attach(self, table: pa.Table) -> pa.Table:
        """``table`` with these issues in its metadata (and none when there are none)."""
        metadata = dict(table.schema.metadata or {})
        metadata.pop(_ISSUES_KEY, None)
        if self.found:
            metadata[_ISSUES_KEY] = json.dumps(self.found).encode()
        elif not table.schema.metadata or _ISSUES_KEY not in table.schema.metadata:
            return table
        return table.replace_schema_metadata(metadata or None)

    def warn(self, table_name: str) -> None:
        for key, entry in self.found.items():
            count = entry["count"]
            warnings.warn(
                f"{table_name}: {key}: {count} value{'s' if count != 1 else ''} "
                f"{entry['problem']}, e.g. {entry['example']}",
                ParseWarning,
                stacklevel=4,
            )


# --------------------------------------------------------------------------- raw pages -> Arrow


def _values(records: list[Any], key: str) -> list[Any]:
    """``[r.get(key) for r in records]`` in C; None for records that are not dicts."""
    try:
        return list(map(dict.get, records, repeat(key)))
    except TypeError:  # not all dicts
        return [r.get(key) if isinstance(r, dict) else None for r in records]


def _objects_only(page: list[Any], spec: _Spec, issues: _Issues) -> tuple[list[Any], list[Any]]:
    """Skip the items that are not JSON objects (``null``...), with one warning.

    Returns the objects and their ``urn`` values (read in the same C-speed pass that
    finds a non-object).
    """
    try:
        return page, list(map(dict.get, page, repeat("urn")))
    except TypeError:
        pass
    bad = [r for r in page if not isinstance(r, dict)]
    issues.add(
        "items", f"of the collection are not {spec.item} objects and were skipped",
        len(bad), bad[0],
    )  # fmt: skip
    records = [r for r in page if isinstance(r, dict)]
    return records, [r.get("urn") for r in records]


def _tolerate_string_lists(records: list[Any], spec: _Spec) -> list[Any]:
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


def _key_of(record: dict[str, Any], prefix: str) -> str | None:
    """The urn a record would get from its id (an int, or digits in a string)."""
    rid = record.get("id")
    if type(rid) is int:
        return prefix + str(rid)
    if type(rid) is str and rid.strip().isascii() and rid.strip().isdigit():
        return prefix + str(int(rid))
    return None


def _drop_seen(records: list[Any], keys: list[Any], seen: set[str], collection: str) -> list[Any]:
    """Drop the records whose urn (or the urn built from their id) is in `seen`.

    Done on the dicts, before Arrow, so no table is ever copied to remove rows.
    Records without a usable key are kept. An empty urn counts as none.
    """
    if None in keys or "" in keys:
        prefix = f"soundcloud:{collection}:"
        for i, key in enumerate(keys):
            if key is None or key == "":
                keys[i] = _key_of(records[i], prefix)
    try:
        unique = set(keys)
    except TypeError:  # an unhashable urn: it is not a key
        keys = [k if isinstance(k, str) else None for k in keys]
        unique = set(keys)
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


def _page_to_arrow(page: object, spec: _Spec, seen: set[str], issues: _Issues) -> pa.Table:
    if isinstance(page, (dict, str, bytes)):
        raise TypeError(
            f"{spec.name}: each page must be a list of API objects (the page's 'collection'), "
            f"got a {type(page).__name__}; wrap a single list of objects as [objects]"
        )
    # any other object: list() raises TypeError unless it is iterable
    items: list[Any] = page if isinstance(page, list) else list(cast("Iterable[Any]", page))
    records, keys = _objects_only(items, spec, issues)
    if spec.key is not None:
        records = _drop_seen(records, keys, seen, spec.key)
    records = _tolerate_string_lists(records, spec)
    try:
        # One C++ pass over the dicts as a struct array: faster than from_pylist, which
        # builds a Python list per column. Keys not in the schema are ignored.
        return pa.Table.from_struct_array(pa.array(records, type=spec.record))
    except _CONVERSION_ERRORS:
        return _tolerant_table(records, spec, issues)  # convert column by column


# --------------------------------------------------------------------------- the slow path

_BAD = object()
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_EXACT_FLOAT = 2**53  # beyond this a float no longer holds every integer


def _as_int(v: Any) -> Any:
    if type(v) is bool:
        return _BAD
    if isinstance(v, float):
        v = int(v) if v.is_integer() and abs(v) <= _EXACT_FLOAT else _BAD
    elif isinstance(v, str):
        text = v.strip()
        v = int(text.split(".")[0]) if _INT_TEXT.fullmatch(text) else _BAD
    if isinstance(v, int) and _INT64_MIN <= v <= _INT64_MAX:
        return v
    return _BAD


def _as_float(v: Any) -> Any:
    if type(v) is bool:
        return _BAD
    if isinstance(v, str):
        v = v.strip()
        if not _FLOAT_TEXT.fullmatch(v):
            return _BAD
    if isinstance(v, (int, float, str)):
        try:
            number = float(v)
        except OverflowError:
            return _BAD
        return number if math.isfinite(number) else _BAD
    return _BAD


def _as_bool(v: Any) -> Any:
    if type(v) is bool:
        return v
    if type(v) is int and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(v.strip().lower(), _BAD)
    return _BAD


def _as_str(v: Any) -> Any:
    if isinstance(v, str):
        return without_surrogates(v)
    if type(v) is int or type(v) is float:
        return str(v)
    return _BAD


def _as_text(v: Any) -> Any:  # a timestamp, still a string at this stage
    return without_surrogates(v) if isinstance(v, str) else _BAD


def _as_list(v: Any) -> Any:
    if isinstance(v, str):
        return [code for code in _COUNTRY_SPLIT.split(without_surrogates(v)) if code]
    if isinstance(v, list) and all(x is None or isinstance(x, str) for x in v):
        return [without_surrogates(x) for x in v]
    return _BAD


_COERCE: dict[str, tuple[Callable[[Any], Any], str]] = {
    "int": (_as_int, "are not whole numbers (int64)"),
    "float": (_as_float, "are not numbers"),
    "bool": (_as_bool, "are not booleans"),
    "str": (_as_str, "are not strings"),
    "timestamp": (_as_text, "are not timestamps"),
    "list": (_as_list, "are not lists of strings"),
}


def _column_label(col: Column) -> str:
    if col.source == col.name:
        return f"column {col.name!r}"
    return f"column {col.name!r} (API field {col.source!r})"


def _convert(values: list[Any], col: Column, issues: _Issues) -> pa.Array:
    """One column's values -> Arrow: at C speed when they fit, else value by value.

    An int column comes back as exact doubles when it can (like the fast path), else as
    int64 (an integer beyond 2**53); fractions are refused later, in :func:`_exact_ints`.
    """
    typ = col.raw_arrow_type
    try:
        return pa.array(values, type=typ)
    except _CONVERSION_ERRORS:
        pass
    coerce, problem = _COERCE[col.kind]
    out: list[Any] = []
    bad: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        fixed = coerce(value)
        if fixed is _BAD:
            bad.append(value)
            fixed = None
        out.append(fixed)
    if bad:
        issues.add(_column_label(col), problem + " and are missing", len(bad), bad[0])
    if col.kind == "int":
        try:
            return pa.array(out, type=typ)
        except pa.ArrowInvalid:  # beyond 2**53: only int64 holds it exactly
            return pa.array(out, type=pa.int64())
    return pa.array(out, type=typ)


def _tolerant_table(records: list[Any], spec: _Spec, issues: _Issues) -> pa.Table:
    """Build the raw table column by column, reading what can be read, the rest missing."""
    arrays = []
    for field in spec.nested:
        if not pa.types.is_struct(field.type):
            column = spec.by_path[(field.name,)]
            arrays.append(_convert(_values(records, field.name), column, issues))
            continue
        parents = _values(records, field.name)
        bad = [p for p in parents if p is not None and not isinstance(p, dict)]
        if bad:
            issues.add(
                f"field {field.name!r} (columns {field.name}_*)",
                "are not objects; their columns are missing", len(bad), bad[0],
            )  # fmt: skip
        objects = [p if isinstance(p, dict) else None for p in parents]
        children = [
            _convert(
                [None if o is None else o.get(child.name) for o in objects],
                spec.by_path[(field.name, child.name)],
                issues,
            )
            for child in field.type
        ]
        mask = pa.array([o is None for o in objects], pa.bool_())
        fields = [pa.field(f.name, a.type) for f, a in zip(field.type, children, strict=True)]
        arrays.append(pa.StructArray.from_arrays(children, fields=fields, mask=mask))
    return pa.Table.from_arrays(arrays, names=spec.nested.names)


# --------------------------------------------------------------------------- Arrow finishing

_UTC_US = pa.timestamp("us", tz="UTC")
#: ISO 8601 with a zone (``Z`` or an offset), as Arrow's cast reads it.
_ISO_8601 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
)


def _iso_value(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


def _parse_timestamps(raw: pa.Array, col: Column, issues: _Issues) -> pa.Array:
    """The API's format at full speed; ISO 8601 only for the values that are not in it."""
    try:
        return pc.strptime(raw, format=TIMESTAMP_FORMAT, unit="s").cast(_UTC_US)
    except pa.ArrowInvalid:
        pass
    parsed = pc.strptime(raw, format=TIMESTAMP_FORMAT, unit="s", error_is_null=True)
    parsed = parsed.cast(_UTC_US)
    iso = pc.and_(parsed.is_null(), pc.match_substring_regex(raw, _ISO_8601).fill_null(False))
    if pc.any(iso).as_py():
        candidates = pc.if_else(iso, raw, pa.scalar(None, raw.type))
        try:
            more = pc.cast(candidates, _UTC_US)
        except pa.ArrowInvalid:  # e.g. month 13, or nanoseconds: one value at a time
            more = pa.array([_iso_value(v) for v in candidates.to_pylist()], type=_UTC_US)
        parsed = pc.coalesce(parsed, more)
    bad = pc.and_(raw.is_valid(), parsed.is_null())
    count = pc.sum(bad).as_py() or 0
    if count:
        issues.add(
            _column_label(col),
            "are not timestamps like '2011/04/06 15:37:43 +0000' or ISO 8601 with a zone "
            "and are missing",
            count,
            raw.filter(bad)[0].as_py(),
        )
    return parsed


def _whole_numbers(array: pa.Array, col: Column, issues: _Issues) -> pa.Array:
    """Doubles of an int column -> int64; a fraction is missing (and counted), not truncated.

    Also missing: a double beyond 2**53 (sent as a float, so its digits are not all known),
    infinities and NaN (from Python dicts only; JSON has none).
    """
    if array.type == pa.int64():
        return array
    try:
        return pc.cast(array, pa.int64())  # safe: raises on a fraction
    except pa.ArrowInvalid:
        pass
    whole = pc.and_(
        pc.equal(pc.floor(array), array), pc.less_equal(pc.abs(array), float(_EXACT_FLOAT))
    )
    bad = pc.and_(array.is_valid(), pc.invert(whole.fill_null(True)))
    issues.add(
        _column_label(col),
        "are not whole numbers and are missing (never truncated)",
        pc.sum(bad).as_py() or 0,
        array.filter(bad)[0].as_py(),
    )
    return pc.cast(pc.if_else(bad, pa.scalar(None, array.type), array), pa.int64())


def _exact_ints(flat: pa.Table, spec: _Spec, issues: _Issues) -> pa.Table:
    """A flattened raw table with every int column as int64 (fractions missing)."""
    for col in spec.columns:
        if col.kind == "int" and not col.derived:
            for path in (col.path, col.fallback_path):
                if path is None:
                    continue
                name = ".".join(path)
                i = flat.schema.get_field_index(name)
                column = _whole_numbers(flat.column(i).combine_chunks(), col, issues)
                flat = flat.set_column(i, name, column)
    return flat


def _blank_to_null(array: pa.Array) -> pa.Array:
    """``""`` -> null (the API's "no value" in free text), without copying when there is none."""
    if array.null_count == len(array):
        return array
    empty = pc.equal(pc.binary_length(array), 0)
    if not pc.any(empty).as_py():
        return array
    return pc.if_else(empty, pa.scalar(None, array.type), array)


def _ids_from_urns(urns: pa.Array, id_col: Column, urn_col: Column, issues: _Issues) -> pa.Array:
    collection = id_col.urn_collection
    match = pc.extract_regex(urns, pattern=rf"^soundcloud:{collection}:(?P<n>[0-9]+)$")
    digits = pc.struct_field(match, [0])
    try:
        return pc.cast(digits, pa.int64())
    except pa.ArrowInvalid:  # a number beyond int64: that one id is missing
        values = [None if d is None else int(d) for d in digits.to_pylist()]
        bad = [v for v in values if v is not None and v > _INT64_MAX]
        issues.add(
            f"{_column_label(id_col)} from {urn_col.name!r}",
            "do not fit a 64-bit integer and are missing", len(bad), bad[0] if bad else None,
        )  # fmt: skip
        return pa.array([v if v is not None and v <= _INT64_MAX else None for v in values],
                        type=pa.int64())  # fmt: skip


def _fill_id_urn(arrays: dict[str, Any], id_col: Column, urn_col: Column, issues: _Issues) -> None:
    """Fill the id from the urn and the urn from the id where one of them is missing."""
    collection = id_col.urn_collection
    ids, urns = arrays[id_col.name], arrays[urn_col.name]
    if ids.null_count:
        arrays[id_col.name] = pc.coalesce(ids, _ids_from_urns(urns, id_col, urn_col, issues))
    if urns.null_count:
        prefix = pa.scalar(f"soundcloud:{collection}:", urns.type)
        separator = pa.scalar("", urns.type)
        built = pc.binary_join_element_wise(prefix, pc.cast(ids, urns.type), separator)
        arrays[urn_col.name] = pc.coalesce(urns, built)


def _finish(raw: pa.Table, spec: _Spec, issues: _Issues) -> pa.Table:
    """Raw nested batch -> the final schema: flatten, parse, derive, order."""
    return _finish_flat(raw.combine_chunks().flatten(), spec, issues)


def _concat_raw(tables: list[pa.Table], spec: _Spec, issues: _Issues) -> pa.Table:
    """Concatenate raw page tables; flattened with exact ints when their types differ.

    They differ only when a page held an integer beyond 2**53 (int64 instead of double).
    """
    if all(t.schema.equals(tables[0].schema) for t in tables[1:]):
        return pa.concat_tables(tables).combine_chunks().flatten()
    flat = [_exact_ints(t.combine_chunks().flatten(), spec, issues) for t in tables]
    return pa.concat_tables(flat).combine_chunks()


def _read_flat(flat: pa.Table, path: tuple[str, ...], col: Column, issues: _Issues) -> pa.Array:
    """One flattened raw column -> its final type (ints exact, timestamps parsed, "" missing)."""
    column = flat.column(".".join(path))
    column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if col.kind == "int":
        column = _whole_numbers(column, col, issues)
    elif col.kind == "timestamp":
        column = _parse_timestamps(column, col, issues)
    elif col.kind == "str" and not col.keep_empty:
        column = _blank_to_null(column)
    return column


def _finish_flat(flat: pa.Table, spec: _Spec, issues: _Issues) -> pa.Table:
    """Flattened raw batch -> the final schema: parse, derive, order."""
    arrays: dict[str, Any] = {}
    for col in spec.columns:
        if col.derived:
            continue
        column = _read_flat(flat, col.path, col, issues)
        if col.fallback_path is not None and column.null_count:
            column = pc.coalesce(column, _read_flat(flat, col.fallback_path, col, issues))
        arrays[col.name] = column

    pairs: dict[str, dict[str, Column]] = {}
    for col in spec.columns:
        if col.urn_collection:
            pairs.setdefault(col.urn_collection, {})[col.kind] = col
    for pair in pairs.values():
        _fill_id_urn(arrays, pair["int"], pair["str"], issues)

    names = {c.name for c in spec.columns}
    if "tags" in names:
        arrays["tags"], arrays["machine_tags"] = split_tag_lists(arrays["tag_list"])
    for name, derive in _DERIVED.items():
        if name in names:
            arrays[name] = derive(arrays)
    return pa.Table.from_arrays([arrays[c.name] for c in spec.columns], schema=spec.final)


def _build(pages: Iterable[object], spec: _Spec) -> tuple[pa.Table, _Issues]:
    """Stream pages to Arrow; finish every ~BATCH_ROWS rows so temporaries stay small."""
    if isinstance(pages, (dict, str, bytes)):
        raise TypeError(
            f"{spec.name}: expected an iterable of pages (lists of dicts), "
            f"got a {type(pages).__name__}"
        )
    issues = _Issues()
    seen: set[str] = set()
    finished: list[pa.Table] = []
    pending: list[pa.Table] = []
    pending_rows = 0
    for page in pages:
        table = _page_to_arrow(page, spec, seen, issues)
        pending.append(table)
        pending_rows += table.num_rows
        if pending_rows >= BATCH_ROWS:
            finished.append(_finish_flat(_concat_raw(pending, spec, issues), spec, issues))
            pending, pending_rows = [], 0
    if pending or not finished:
        flat = (
            _concat_raw(pending, spec, issues) if pending else spec.nested.empty_table().flatten()
        )
        finished.append(_finish_flat(flat, spec, issues))
    return (finished[0] if len(finished) == 1 else pa.concat_tables(finished)), issues


def _batched(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
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
def _lists_unscanned() -> Iterator[None]:
    """Build many acyclic Python lists without the cyclic GC scanning them.

    A list is tracked by the cyclic GC from its creation; the ~20,000 lists of a
    10,000-track frame (``tags``, ``machine_tags``, ``available_country_codes``) would be
    traversed by the young collections their allocation triggers, and again when promoted:
    measured, that cost as much as building them. They hold only strings, so they can never
    be part of a cycle. So: the young generations are collected first (the collections that
    were due anyway, so no garbage of the caller's is carried along unexamined), the GC is
    paused while the lists are built, and the survivors are moved to the oldest generation
    at once (``gc.freeze()`` + ``gc.unfreeze()``), where a full collection sees them as it
    sees any long-lived object. Left as it is: a process that freezes objects itself
    (``gc.get_freeze_count() > 0``, as pre-fork servers do), whose frozen objects must stay
    frozen, and one that disabled the GC.
    """
    if not gc.isenabled():
        yield
        return
    promote = gc.get_freeze_count() == 0
    if promote:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if promote:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def _python_lists(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """``list<string>`` -> 1-D object array of Python lists (None where null).

    pyarrow builds the lists in C++ (``to_pylist``): measured with pyarrow 26, two to
    twenty times faster than slicing one shared list of strings row by row, which this
    replaced (equal strings are no longer one shared object: about 50 bytes more per tag).
    ``np.fromiter`` keeps lists of equal length from becoming a 2-D array. The caller builds
    them in :func:`_lists_unscanned`: they hold only strings, so they cannot form cycles.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return np.fromiter(array.to_pylist(), dtype=object, count=len(array))


def _one_chunk_masked(table: pa.Table) -> pa.Table:
    """``table`` with its int64 and bool columns in one chunk each.

    pandas builds ``Int64`` and ``boolean`` columns chunk by chunk in Python, then
    concatenates them: for a frame read from 50 page copies, combining those columns in
    Arrow first halves the time of ``to_pandas`` (measured). Other columns are left chunked
    (``str`` columns are wrapped, not copied).
    """
    for i, column in enumerate(table.columns):
        if column.num_chunks > 1 and column.type in (pa.int64(), pa.bool_()):
            table = table.set_column(i, table.field(i), column.combine_chunks())
    return table


def table_to_frame(
    table: pa.Table, columns: tuple[Column, ...] | str = TRACK_COLUMNS
) -> pd.DataFrame:
    """Convert a table of scdata columns to a pandas frame with the declared dtypes.

    Columns of `table` that are declared in `columns`, or in
    ``scdata.frames.schema.EXTRA_COLUMNS`` (``position``, ``liker_urn``...), get their
    declared pandas dtype (``Int64``, ``boolean``, ``str``, ``datetime64[us, UTC]``,
    ``float64``, object lists). Other columns are converted by pyarrow's defaults, using
    the table's pandas metadata when there is some. The column order is the table's.

    Parameters
    ----------
    table : pyarrow.Table
        Usually the output of :func:`items_table`, :func:`concat_pages`,
        :func:`tracks_table` or :func:`users_table`, with or without extra columns.
    columns : tuple of Column or str, default TRACK_COLUMNS
        The declarations to apply: a value of ``scdata.frames.schema.SCHEMAS``
        (``USER_COLUMNS`` for users) or its name (``"comments"``).

    Returns
    -------
    pandas.DataFrame
        With a plain ``RangeIndex``.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column, when the table's pages held values that could not be read
        (recorded by :func:`tracks_page_table`; they are missing in the frame).

    Examples
    --------
    >>> df = table_to_frame(tracks_table([[{"id": 1, "playback_count": None}]]))
    >>> df.loc[0, "urn"], df["playback_count"].dtype
    ('soundcloud:tracks:1', Int64Dtype())

    Extra columns are typed too, even when they are all null:

    >>> t = page_table("users", [{"id": 7}]).append_column("position", pa.nulls(1))
    >>> table_to_frame(t, "users")["position"].dtype
    Int64Dtype()
    """
    if isinstance(columns, str):
        columns = _spec(columns).columns
    name = next((k for k, v in SCHEMAS.items() if v is columns), "frame")
    _Issues.of(table).warn(name)
    declared = {c.name: c for c in columns}
    if declared:  # extra columns, when they have their declared (or no) type
        for extra in EXTRA_COLUMNS.values():
            if extra.name in declared or extra.name not in table.column_names:
                continue
            if table.schema.field(extra.name).type in (extra.arrow_type, pa.null()):
                declared[extra.name] = extra
    list_names = [
        name for name in table.column_names if name in declared and declared[name].kind == "list"
    ]
    masked = _one_chunk_masked(table.drop_columns(list_names))
    frame: pd.DataFrame = masked.to_pandas(types_mapper=_TYPES_MAPPER)
    for label, dtype in frame.dtypes.items():
        col = declared.get(str(label))
        if col is not None and col.kind != "list" and dtype != col.pandas_dtype:
            frame[label] = frame[label].astype(col.pandas_dtype)
    with _lists_unscanned() if list_names and table.num_rows else nullcontext():
        for position, name in enumerate(table.column_names):
            if name in list_names:  # positional: whatever index the pandas metadata restored
                frame.insert(position, name, _python_lists(table.column(name)))
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    return frame


# --------------------------------------------------------------------------- public builders


def tracks_table(pages: Iterable[list[dict[str, Any]]]) -> pa.Table:
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
        Columns and types of ``scdata.frames.schema.arrow_schema(TRACK_COLUMNS)``.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column: values that could not be read as the column's type
        (after reading numbers sent as strings, ISO 8601 timestamps...) are
        missing; items that are not objects are skipped. Never raises for data.

    Raises
    ------
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
    table, issues = _build(pages, _TRACKS)
    issues.warn("tracks")
    return table


def tracks_frame(pages: Iterable[list[dict[str, Any]]]) -> pd.DataFrame:
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
        (``scdata.frames.schema.TRACK_COLUMNS``), a plain ``RangeIndex``.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column with values that could not be read (they are missing).

    See Also
    --------
    tracks_table : The same as a pyarrow Table.
    scdata.frames.files.to_parquet : Save it losslessly.

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

    Numbers sent as strings and ISO 8601 timestamps are read:

    >>> df = tracks_frame([[{"id": "5", "bpm": "12.5", "created_at": "2020-07-16T16:09:54Z"}]])
    >>> df.loc[0, "id"], df.loc[0, "bpm"], df.loc[0, "created_at"]
    (np.int64(5), np.float64(12.5), Timestamp('2020-07-16 16:09:54+0000', tz='UTC'))
    """
    return table_to_frame(tracks_table(pages), TRACK_COLUMNS)


def _page_table(page: list[Any], spec: _Spec) -> pa.Table:
    issues = _Issues()
    table = _finish(_page_to_arrow(page, spec, set(), issues), spec, issues)
    return issues.attach(table)


def _concat(
    tables: Iterable[pa.Table], spec: _Spec, *, distinct: bool, dedupe: bool = True
) -> pa.Table:
    tables = list(tables)
    issues = _Issues()
    for table in tables:
        issues.merge(_Issues.of(table))
    if not tables:
        return spec.final.empty_table()
    whole = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    if spec.key is None or not dedupe:
        return issues.attach(whole)
    urns = whole.column("urn")
    if (distinct and not urns.null_count) or pc.count_distinct(urns).as_py() == len(urns):
        return issues.attach(whole)  # the usual case: no duplicates, no loop over rows
    seen: set[str] = set()
    kept: list[pa.Table] = []
    for table in tables:
        first = []
        for urn in table.column("urn").to_pylist():
            first.append(urn not in seen)
            seen.add(urn)
        kept.append(table if all(first) else table.filter(pa.array(first)))
    return issues.attach(kept[0] if len(kept) == 1 else pa.concat_tables(kept))


def tracks_page_table(page: list[dict[str, Any]]) -> pa.Table:
    """The typed table of one API page (final schema), for keeping beside the HTTP cache.

    Duplicates inside the page are dropped; :func:`concat_tracks` drops those across pages.
    Values that could not be read are recorded in the table's metadata, not warned about:
    :func:`table_to_frame` warns once per column for the whole frame.
    ``page_table("tracks", page)`` is the same.

    Examples
    --------
    >>> tracks_page_table([{"id": 1}, {"id": 1}, {"id": 2}]).column("urn").to_pylist()
    ['soundcloud:tracks:1', 'soundcloud:tracks:2']
    """
    return _page_table(page, _TRACKS)


def concat_tracks(tables: Iterable[pa.Table], *, distinct: bool = False) -> pa.Table:
    """Concatenate typed track tables, keeping the first row of each ``urn``.

    The tables' records of values that could not be read are merged into the result's.
    ``distinct=True`` says that no ``urn`` repeats across the tables (the pages of one walk:
    it drops a track listed again); the check is then skipped when no ``urn`` is missing.
    ``concat_pages("tracks", tables)`` is the same.

    Examples
    --------
    >>> a = tracks_page_table([{"id": 1}, {"id": 2}])
    >>> b = tracks_page_table([{"id": 2}, {"id": 3}])
    >>> concat_tracks([a, b]).column("id").to_pylist()
    [1, 2, 3]
    >>> concat_tracks([]).num_rows
    0
    """
    return _concat(tables, _TRACKS, distinct=distinct)


def page_table(kind: str, items: list[Any]) -> pa.Table:
    """The typed table of one API page of any item schema (its final Arrow schema).

    For keeping beside the HTTP cache and for :func:`concat_pages`. Duplicates inside the
    page (same ``urn``, or the urn built from ``id``) are dropped, keeping the first; web
    profiles have no key and keep every row. Values that could not be read are missing and
    recorded in the table's metadata, not warned about: :func:`table_to_frame` warns once
    per column for the whole frame. Items that are not objects are skipped (recorded too).

    Parameters
    ----------
    kind : {"tracks", "users", "playlists", "comments", "web_profiles"}
        A key of ``scdata.frames.schema.SCHEMAS``.
    items : list of dict
        The page's items: its ``collection``, or the bare array (web profiles).

    Returns
    -------
    pyarrow.Table
        Columns and types of ``arrow_schema(SCHEMAS[kind])``.

    Raises
    ------
    ValueError
        `kind` is not a schema name.
    TypeError
        `items` is a dict or a string rather than a list of objects.

    Examples
    --------
    >>> t = page_table("comments", [{"id": 5, "timestamp": "4960", "track_id": 9}])
    >>> t.column("urn")[0].as_py(), t.column("timestamp")[0].as_py()
    ('soundcloud:comments:5', 4960)
    >>> t.column("timestamp_s")[0].as_py(), t.column("track_urn")[0].as_py()
    (4.96, 'soundcloud:tracks:9')
    """
    return _page_table(items, _spec(kind))


def concat_pages(
    kind: str, tables: Iterable[pa.Table], *, distinct: bool = False, dedupe: bool = True
) -> pa.Table:
    """Concatenate typed tables of one item schema, keeping the first row of each ``urn``.

    The tables' records of values that could not be read are merged into the result's.
    ``distinct=True`` says that no ``urn`` repeats across the tables (the pages of one walk);
    the check is then skipped when no ``urn`` is missing. Web profiles are never
    deduplicated. Meant for the pages of one owner's list: the same item in the lists of
    two owners (a track liked by two users) is concatenated with ``dedupe=False``.

    Parameters
    ----------
    kind : str
        A key of ``scdata.frames.schema.SCHEMAS``.
    tables : iterable of pyarrow.Table
        Tables from :func:`page_table` (same kind).
    distinct : bool, default False
        Promise that no ``urn`` repeats (skips the check when every urn is known).
    dedupe : bool, default True
        ``False`` keeps every row: the lists of several owners, where one item may appear
        once per owner (the tables may then carry extra columns, the same in each).

    Returns
    -------
    pyarrow.Table
        The empty typed table when `tables` is empty.

    Examples
    --------
    >>> a = page_table("playlists", [{"id": 1}, {"id": 2}])
    >>> b = page_table("playlists", [{"id": 2}, {"id": 3}])
    >>> concat_pages("playlists", [a, b]).column("urn").to_pylist()
    ['soundcloud:playlists:1', 'soundcloud:playlists:2', 'soundcloud:playlists:3']
    >>> concat_pages("web_profiles", []).num_rows
    0
    """
    return _concat(tables, _spec(kind), distinct=distinct, dedupe=dedupe)


def items_table(kind: str, pages: Iterable[list[dict[str, Any]]]) -> pa.Table:
    """Build the typed Arrow table of any item schema from API pages.

    The generic form of :func:`tracks_table`: each page is converted as it arrives (a
    generator of pages keeps one page of dicts in memory), rows whose ``urn`` was already
    seen are dropped (none for web profiles), derived columns computed.

    Parameters
    ----------
    kind : {"tracks", "users", "playlists", "comments", "web_profiles"}
        A key of ``scdata.frames.schema.SCHEMAS``.
    pages : iterable of list of dict
        One list per API page (its ``collection``, or the bare array). Unknown keys are
        ignored.

    Returns
    -------
    pyarrow.Table
        Columns and types of ``arrow_schema(SCHEMAS[kind])``.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column with values that could not be read (they are missing).

    Raises
    ------
    ValueError
        `kind` is not a schema name.
    TypeError
        `pages` is not an iterable of lists (e.g. a single dict).

    Examples
    --------
    >>> page = [{"urn": "soundcloud:playlists:7", "tag_list": 'lofi "chill beats"',
    ...          "duration": 1500, "user_id": 21626}]
    >>> t = items_table("playlists", [page])
    >>> t.column("tags")[0].as_py(), t.column("duration_s")[0].as_py()
    (['lofi', 'chill beats'], 1.5)
    >>> t.column("id")[0].as_py(), t.column("user_urn")[0].as_py()
    (7, 'soundcloud:users:21626')
    """
    spec = _spec(kind)
    table, issues = _build(pages, spec)
    issues.warn(spec.name)
    return table


def items_frame(kind: str, pages: Iterable[list[dict[str, Any]]]) -> pd.DataFrame:
    """Build the typed DataFrame of any item schema from API pages.

    Parameters
    ----------
    kind : {"tracks", "users", "playlists", "comments", "web_profiles"}
        A key of ``scdata.frames.schema.SCHEMAS``.
    pages : iterable of list of dict
        One list per API page. ``[]`` gives the empty frame with every column and dtype.

    Returns
    -------
    pandas.DataFrame
        Columns as in ``docs/columns.md``, a plain ``RangeIndex``.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column with values that could not be read (they are missing).

    Examples
    --------
    >>> page = [
    ...     {"urn": "soundcloud:comments:1", "body": "drop!", "timestamp": 4960,
    ...      "user": {"urn": "soundcloud:users:3", "username": "ann"}},
    ...     {"urn": "soundcloud:comments:2", "body": "hi", "timestamp": None},
    ... ]
    >>> df = items_frame("comments", [page])
    >>> df["timestamp"].tolist(), df["timestamp_s"].tolist(), df.loc[0, "user_urn"]
    ([4960, <NA>], [4.96, nan], 'soundcloud:users:3')
    >>> df["timestamp"].dtype
    Int64Dtype()
    """
    spec = _spec(kind)
    return table_to_frame(items_table(kind, pages), spec.columns)


def empty_frame(kind: str, extras: Iterable[str] = ()) -> pd.DataFrame:
    """Return the frame of an item schema with 0 rows: every column, in order, with its dtype.

    Parameters
    ----------
    kind : str
        A key of ``scdata.frames.schema.SCHEMAS``.
    extras : iterable of str, default ()
        Names of ``scdata.frames.schema.EXTRA_COLUMNS`` to add after the item columns
        (e.g. ``["liker_urn", "position"]``), typed.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        `kind` is not a schema name, or an extra is not declared.

    Examples
    --------
    >>> df = empty_frame("comments", ["position"])
    >>> len(df), df["timestamp"].dtype, df["position"].dtype, df.columns[-1]
    (0, Int64Dtype(), Int64Dtype(), 'position')
    """
    spec = _spec(kind)
    names = list(extras)
    unknown = [n for n in names if n not in EXTRA_COLUMNS]
    if unknown or isinstance(extras, str):
        raise ValueError(
            f"extras={extras!r}: not extra columns: {unknown or [extras]}; "
            f"use names of EXTRA_COLUMNS ({', '.join(EXTRA_COLUMNS)})"
        )
    table = spec.final.empty_table()
    for name in names:
        table = table.append_column(
            pa.field(name, EXTRA_COLUMNS[name].arrow_type),
            pa.array([], EXTRA_COLUMNS[name].arrow_type),
        )
    return table_to_frame(table, spec.columns)


def users_table(users: Iterable[dict[str, Any]]) -> pa.Table:
    """Build the typed Arrow table of users from API user objects.

    Parameters
    ----------
    users : iterable of dict
        User objects (e.g. the ``collection`` items of ``/users/{urn}/followings``,
        or ``[user]`` for one). Converted to Arrow in batches of 1000.

    Returns
    -------
    pyarrow.Table
        Columns and types of ``scdata.frames.schema.arrow_schema(USER_COLUMNS)``;
        duplicate ``urn`` rows dropped, keeping the first.

    Warns
    -----
    scdata.frames.schema.ParseWarning
        Once per column with values that could not be read (they are missing).

    Examples
    --------
    >>> t = users_table([{"urn": "soundcloud:users:3699101", "followers_count": 0}])
    >>> t.column("id")[0].as_py(), t.column("followers_count")[0].as_py()
    (3699101, 0)
    """
    table, issues = _build(_batched(users, USER_BATCH_SIZE), _USERS)
    issues.warn("users")
    return table


def users_frame(users: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Build the typed users DataFrame from API user objects.

    Parameters
    ----------
    users : iterable of dict
        User objects as dicts. ``[]`` gives the empty frame.

    Returns
    -------
    pandas.DataFrame
        Columns as in ``docs/columns.md`` (``scdata.frames.schema.USER_COLUMNS``).

    Examples
    --------
    >>> df = users_frame([{"id": 3699101, "username": "Alex Stevenson", "city": ""}])
    >>> df.loc[0, ["urn", "username"]].tolist(), df["city"].isna().all()
    (['soundcloud:users:3699101', 'Alex Stevenson'], np.True_)
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


def warn_parse_issues(table: pa.Table, name: str) -> None:
    """Warn once per column about the values of ``table`` that could not be read.

    :func:`table_to_frame` does it for a frame; a caller that hands out the Arrow table itself
    (``backend="arrow"``) calls this instead, so no problem goes unsaid.

    Examples
    --------
    >>> warn_parse_issues(page_table("tracks", [{"id": 1}]), "tracks")  # nothing to say
    """
    _Issues.of(table).warn(name)
