"""Any collection of many inputs as a lazy ``dask.dataframe``: one call per partition.

:func:`collection_ddf` builds the followers of many users, the comments on many tracks...
(any name of :data:`scdata._resources.COLLECTIONS`); :func:`tracks_ddf` is
``collection_ddf("tracks", users)``.

Needs the ``dask`` extra (``pip install scdata[dask]``). Each partition is computed where
dask runs it: a worker calls :func:`scdata.collection_df` with its default client, built from
the worker's environment (``SOUNDCLOUD_*``, ``SCDATA_*``). Workers that share
``SCDATA_CACHE_DIR`` share the access token (one token exchange for the whole cluster) and
the HTTP cache.

The frame's ``meta`` is the collection's declared frame with 0 rows, so building it fetches
nothing, and dask's string conversion (``dataframe.convert-string``) is switched off for it:
the list columns stay lists and the ``str`` columns keep their dtype. Divisions are unknown
(each partition has its own ``RangeIndex``). The inputs are checked when the frame is built
(a bad reference raises at once; the same item named twice in one form is kept once; a short
link and the URL it stands for are only known to be one item once resolved, inside a
partition, so in two partitions their rows come twice).

Write it to Parquet with the declared schema (dask cannot infer the type of the list
columns from ``meta``)::

    ddf.to_parquet("tracks/", partition_on=["user_permalink"], schema=TRACKS_SCHEMA)
    fans.to_parquet("fans/", partition_on=["followed_urn"], schema=collection_schema("followers"))

:func:`sync` runs a big watch list's observations on dask (one task per unit of 50 items)
and commits them into the store from the calling process, the store's only writer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ._checks import check_count
from ._collect import as_list, check_errors, frame_columns, parse_ref
from ._resources import collection
from .frames.convert import table_to_frame
from .frames.schema import TRACK_COLUMNS, Column, arrow_schema

if TYPE_CHECKING:
    import dask.dataframe

    from .datasets.sync import Observation, SyncRun, Unit

__all__ = ["TRACKS_SCHEMA", "collection_ddf", "collection_meta", "collection_schema", "sync",
           "tracks_ddf"]  # fmt: skip

#: The Arrow schema of a tracks frame, for ``ddf.to_parquet(..., schema=TRACKS_SCHEMA)``.
TRACKS_SCHEMA: pa.Schema = arrow_schema(TRACK_COLUMNS)


def _import_dask() -> ModuleType:
    try:
        import dask
        import dask.dataframe
    except ImportError as exc:
        raise ImportError(
            "scdata.dask needs dask[dataframe] and distributed: pip install scdata[dask]"
        ) from exc
    return dask


def _columns(what: str) -> tuple[Column, ...]:
    declared = collection(what)
    return frame_columns(declared.item, [declared])


def collection_meta(what: str) -> pd.DataFrame:
    """The frame of collection ``what`` with 0 rows: every column with its dtype.

    Examples
    --------
    >>> meta = collection_meta("followers")
    >>> len(meta), list(meta.columns[-2:]), str(meta["position"].dtype)
    (0, ['followed_urn', 'position'], 'Int64')
    """
    columns = _columns(what)
    return table_to_frame(arrow_schema(columns).empty_table(), columns)


def collection_schema(what: str) -> pa.Schema:
    """The Arrow schema of collection ``what``'s frame, for ``ddf.to_parquet(schema=...)``.

    Examples
    --------
    >>> collection_schema("comments").field("timestamp").type
    DataType(int64)
    """
    return arrow_schema(_columns(what))


def _partition(
    refs: list[str | int], what: str, limit: int | None, max_per_user: int | None, errors: str
) -> pd.DataFrame:
    """One partition: the rows of a group of inputs, fetched by the default client."""
    from ._functions import collection_df

    frame = collection_df(
        what, refs, limit=limit, max_per_user=max_per_user, errors=errors, progress=False
    )
    assert isinstance(frame, pd.DataFrame)
    return frame


def _distinct(refs: object, owner: str) -> list[str | int]:
    """The inputs as given, each checked (nothing fetched); the same item twice kept once."""
    listed = as_list(refs, owner)
    given: list[str | int] = []
    seen: set[str] = set()
    for i, value in enumerate(listed):
        label = owner if len(listed) == 1 else f"{owner}[{i}]"
        ref = parse_ref(value, (owner,), label)
        if ref.key not in seen:
            seen.add(ref.key)
            given.append(value)  # type: ignore[arg-type]  # str or int: the parser said so
    return given


def collection_ddf(
    what: str,
    refs: str | int | Sequence[str | int],
    npartitions: int | None = None,
    *,
    limit: int | None = None,
    max_per_user: int | None = None,
    errors: str = "raise",
) -> dask.dataframe.DataFrame:
    """Collection ``what`` of many inputs as a dask DataFrame, one call per partition.

    Parameters
    ----------
    what : str
        A collection name (``"followers"``, ``"likes_tracks"``, ``"comments"``...).
    refs : str, int or sequence of them
        The owners (users, tracks or playlists, as the collection wants), checked at once
        (nothing is fetched); the same item named twice is kept once.
    npartitions : int, optional
        Number of partitions; inputs are split into this many consecutive groups.
        Default: one partition per input.
    limit, max_per_user : int, optional
        At most this many rows per input (default: all).
    errors : {"raise", "skip"}, default "raise"
        As for :func:`scdata.collection_df`, in each partition.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``compute()`` equals ``scdata.collection_df(what, refs)`` (same rows in the
        same order, same dtypes) apart from the index, which restarts at 0 in each partition,
        and ``attrs``.

    Raises
    ------
    ImportError
        dask is not installed (``pip install scdata[dask]``).
    ArgumentError, InvalidReferenceError
        An unknown ``what``, a bad reference (a track URL given as a user), an empty list,
        a bad ``npartitions``, ``limit`` or ``max_per_user`` (all ``ValueError`` too).

    Examples
    --------
    >>> from scdata.dask import collection_ddf
    >>> fans = collection_ddf("followers", ["jowymusic", "bjork-unicode"], max_per_user=50)
    >>> fans.npartitions, str(fans["followers_count"].dtype)
    (2, 'Int64')
    >>> fans.groupby("followed_urn").size().compute().tolist()
    [50, 50]
    """
    dask = _import_dask()
    declared = collection(what)
    given = _distinct(refs, declared.owner)
    count = len(given) if npartitions is None else npartitions
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"npartitions must be a positive integer, got {npartitions!r}")
    count = min(count, len(given))
    size, extra = divmod(len(given), count)
    groups, start = [], 0
    for i in range(count):
        stop = start + size + (i < extra)
        groups.append(given[start:stop])
        start = stop
    check_count("limit", limit, minimum=1, allow_none=True)
    check_count("max_per_user", max_per_user, minimum=1, allow_none=True)
    check_errors(errors)
    with dask.config.set({"dataframe.convert-string": False}):
        return dask.dataframe.from_map(
            _partition,
            groups,
            what=declared.name,
            limit=limit,
            max_per_user=max_per_user,
            errors=errors,
            meta=collection_meta(declared.name),
            label=f"scdata-{declared.name.replace('_', '-')}",
            enforce_metadata=True,
        )


def tracks_ddf(
    users: str | int | Sequence[str | int],
    npartitions: int | None = None,
    *,
    limit: int | None = None,
) -> dask.dataframe.DataFrame:
    """Every track of many users as a dask DataFrame, one ``tracks_df`` call per partition.

    Parameters
    ----------
    users : str, int or sequence of them
        Usernames, ids, URNs or profile URLs, validated at once (nothing is fetched).
    npartitions : int, optional
        Number of partitions; users are split into this many consecutive groups.
        Default: one partition per user.
    limit : int, optional
        At most this many tracks per user, newest first (default: all).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``compute()`` equals ``scdata.tracks_df(users)`` (same rows in the same order,
        same dtypes) apart from the index, which restarts at 0 in each partition.

    Raises
    ------
    ImportError
        dask is not installed (``pip install scdata[dask]``).
    InvalidUserError, ValueError
        A bad user, an empty list, a bad ``npartitions``. A user named twice (in any two
        forms) is fetched once, as by ``tracks_df``.

    Examples
    --------
    >>> from scdata.dask import tracks_ddf
    >>> ddf = tracks_ddf(["artist-001", "artist-002", "artist-003"], npartitions=2)
    >>> ddf.npartitions, ddf["created_at"].dtype
    (2, datetime64[us, UTC])
    >>> ddf.groupby("user_permalink").size().compute().sort_index()
    user_permalink
    artist-001    500
    artist-002    500
    artist-003    500
    dtype: int64
    """
    return collection_ddf("tracks", users, npartitions, limit=limit)


def _on_dask(units: list[Unit], kw: dict[str, Any]) -> Iterator[tuple[Unit, Observation]]:
    """Observe each unit as a dask task; yield them as they finish (distributed) or at once."""
    dask = _import_dask()
    from .datasets.sync import observe_unit

    try:
        from distributed import as_completed, get_client

        cluster = get_client()
    except (ImportError, ValueError):  # no distributed Client: the local scheduler
        results = dask.compute(*[dask.delayed(observe_unit)(u, **kw) for u in units])
        yield from zip(units, results, strict=True)
        return
    futures = {cluster.submit(observe_unit, u, **kw, pure=False): u for u in units}
    for future in as_completed(futures):
        yield futures[future], future.result()


def sync(
    watch: str | os.PathLike[str] | Sequence[str | int],
    store: str | os.PathLike[str],
    **kwargs: Any,
) -> SyncRun:
    """:func:`scdata.sync` with the observations run as dask tasks, one per unit of 50 items.

    Each task calls the API with the default client of the worker's environment (share
    ``SCDATA_CACHE=redis://…`` so that the workers share one token and one rate limit); the
    calling process resolves the watch list, stages each unit as it finishes and commits the
    run, so a killed run resumes as usual. With a ``distributed.Client`` active the tasks go
    to its cluster; otherwise to dask's local scheduler.

    Examples
    --------
    >>> import scdata.dask
    >>> run = scdata.dask.sync(["artist-001", "artist-002"], "store", tracks=False)
    >>> run.status, run.observed["users"]
    ('ok', 2)
    """
    _import_dask()
    from .datasets.sync import sync as sync_

    return sync_(watch, store, **kwargs, _executor=_on_dask)
