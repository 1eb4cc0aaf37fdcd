"""Tracks of many users as a lazy ``dask.dataframe``: one ``tracks_df`` call per partition.

Needs the ``dask`` extra (``pip install scdata[dask]``). Each partition is computed where
dask runs it: a worker calls :func:`scdata.tracks_df` with its default client, built from
the worker's environment (``SOUNDCLOUD_*``, ``SCDATA_*``). Workers that share
``SCDATA_CACHE_DIR`` share the access token (one token exchange for the whole cluster) and
the HTTP cache.

The frame's ``meta`` is scdata's empty tracks frame, so building it fetches nothing, and
dask's string conversion (``dataframe.convert-string``) is switched off for it: the list
columns stay lists and the ``str`` columns keep their dtype. Divisions are unknown (each
partition has its own ``RangeIndex``).

Write it to Parquet with the declared schema (dask cannot infer the type of the list
columns from ``meta``)::

    ddf.to_parquet("tracks/", partition_on=["user_permalink"], schema=TRACKS_SCHEMA)

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
from ._fanout import user_refs
from .frames.convert import empty_tracks_frame
from .frames.schema import TRACK_COLUMNS, arrow_schema

if TYPE_CHECKING:
    import dask.dataframe

    from .datasets.sync import Observation, SyncRun, Unit

__all__ = ["TRACKS_SCHEMA", "sync", "tracks_ddf"]

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


def _tracks_partition(users: list[str | int], limit: int | None) -> pd.DataFrame:
    """One partition: the tracks of a group of users, fetched by the default client."""
    from ._functions import tracks_df

    return tracks_df(users, limit, progress=False)


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
        A bad user, an empty list, a user listed twice, a bad ``npartitions``.

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
    dask = _import_dask()
    given = [users] if isinstance(users, str | int) else list(users)
    refs = user_refs(users if isinstance(users, str | int) else given)
    count = len(refs) if npartitions is None else npartitions
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"npartitions must be a positive integer, got {npartitions!r}")
    count = min(count, len(refs))
    size, extra = divmod(len(refs), count)
    groups, start = [], 0
    for i in range(count):
        stop = start + size + (i < extra)
        groups.append(given[start:stop])
        start = stop
    check_count("limit", limit, minimum=1, allow_none=True)
    with dask.config.set({"dataframe.convert-string": False}):
        return dask.dataframe.from_map(
            _tracks_partition,
            groups,
            limit=limit,
            meta=empty_tracks_frame(),
            label="scdata-tracks",
            enforce_metadata=True,
        )


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
