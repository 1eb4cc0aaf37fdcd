"""Reading a sync store back: observations, growth per period, and SQL over it with DuckDB.

Growth and gaps
---------------
:func:`growth_df` gives one row per item and period in which the item was observed. Its
counts are those of the period's last observation; its ``*_delta`` is the change since the
previous observation before the period (the last one of the previous observed period), over
``elapsed_days``; ``*_per_day`` is ``delta / elapsed_days``. When syncs were missed the
delta spans several periods: it is **not** attributed to the period that ends it: ``gap``
is true, ``elapsed_days`` says how long the delta took, and ``*_per_day`` is the honest
average rate over that time (plot ``*_per_day``, not ``*_delta``, when syncs are irregular).
Periods without an observation have no row. An item's first period has no delta. The sum
of an item's deltas is its growth from its first observation to its last.

The ``growth`` view of :func:`connect` is the same computation for ``freq="D"`` in SQL.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._checks import check_choice
from ..errors import ArgumentError
from ..frames.schema import Column
from .store import (
    CATALOGUE_COLUMNS,
    EDGE_COLUMNS,
    HISTORY_COLUMNS,
    KINDS,
    Store,
    _derived,
    arrow_schema,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["FREQS", "GROWTH_COLUMNS", "METRICS", "catalogue_df", "connect", "edges_df",
           "growth_df", "history_df"]  # fmt: skip

#: ``freq`` values of :func:`growth_df`: a day, a week (from Monday), a calendar month (UTC).
FREQS = {"D": "day", "W": "week", "M": "month"}
#: The metrics of growth and the count each is read from, per kind.
METRICS: dict[str, dict[str, str]] = {
    "plays": {"tracks": "playback_count"},
    "likes": {"tracks": "favoritings_count", "playlists": "likes_count"},
    "reposts": {"tracks": "reposts_count"},
    "comments": {"tracks": "comment_count"},
    "followers": {"users": "followers_count"},
}
GROWTH_COLUMNS: tuple[Column, ...] = (
    _derived("kind", "str", '"tracks", "users" or "playlists".'),
    _derived("urn", "str", "The item."),
    _derived("period", "timestamp", "The start of the period (UTC)."),
    _derived("observed_at", "timestamp", "The period's last observation."),
    _derived("since", "timestamp", "The observation the deltas are counted from (missing "
                                   "for an item's first period)."),
    _derived("elapsed_days", "float", "Days from `since` to `observed_at`."),
    _derived("observations", "int", "Observations in the period."),
    _derived("gap", "bool", "The delta spans at least one whole period without an "
                            "observation: it is not this period's alone (use *_per_day)."),
    *(c for m in METRICS for c in (
        _derived(m, "int", f"{m.capitalize()} at the period's last observation."),
        _derived(f"{m}_delta", "int", f"Change in {m} since `since`."),
        _derived(f"{m}_per_day", "float", f"{m}_delta / elapsed_days."),
    )),
)  # fmt: skip


def _kinds(kind: object) -> tuple[str, ...]:
    if kind is None:
        return KINDS
    return (check_choice("kind", kind, KINDS),)


def _since(since: object) -> datetime | None:
    if since is None:
        return None
    try:
        stamp = pd.Timestamp(since)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"since must be a date or a timestamp, got {since!r}") from exc
    if pd.isna(stamp):
        raise ArgumentError(f"since must be a date or a timestamp, got {since!r}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _urns(urns: object) -> set[str] | None:
    if urns is None:
        return None
    if isinstance(urns, str):
        return {urns}
    return {str(u) for u in urns}  # type: ignore[attr-defined]


def history_df(
    store: str | os.PathLike[str],
    kind: str = "tracks",
    urns: str | list[str] | None = None,
    since: str | datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every observation of a store's tracks, users or playlists, oldest first per item.

    Parameters
    ----------
    store : str or os.PathLike
        A store written by :func:`scdata.sync`.
    kind : {"tracks", "users", "playlists"}, default "tracks"
    urns : str or list of str, optional
        Only these items.
    since : date, timestamp or ISO string, optional
        Only observations at or after it (UTC when naive); older date partitions are not read.

    Returns
    -------
    pandas.DataFrame
        ``urn``, ``observed_at`` (when SoundCloud answered), the counts of the kind
        (``playback_count``, ``favoritings_count``... or ``followers_count``...), ``run_id``.

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store")
    >>> h = scdata.history_df("store", "tracks")
    >>> len(h), h["observed_at"].dtype
    (500, datetime64[us, UTC])
    """
    (kind,) = _kinds(kind)
    start = _since(since)
    wanted = _urns(urns)
    frame = Store(store).read_history(kind, start)
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= frame["observed_at"] >= pd.Timestamp(start)
    if wanted is not None:
        keep &= frame["urn"].isin(wanted)
    frame = frame[keep].sort_values(["urn", "observed_at"], kind="stable")
    return frame.reset_index(drop=True)


def catalogue_df(store: str | os.PathLike[str]) -> pd.DataFrame:
    """The store's catalogue: each item's ``first_seen_at``, ``last_seen_at``, ``removed_at``.

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store")
    >>> catalogue_df("store")["kind"].value_counts().to_dict()
    {'tracks': 500, 'users': 1}
    """
    s = Store(store)
    return s.read_table(s.catalogue_path, CATALOGUE_COLUMNS)


def edges_df(store: str | os.PathLike[str]) -> pd.DataFrame:
    """The store's dated edges: ``src_urn``, ``dst_urn``, ``relation`` and when seen.

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store", tracks=False, edges=["followings"])
    >>> edges_df("store")["relation"].unique().tolist()
    ['follows']
    """
    s = Store(store)
    return s.read_table(s.edges_path, EDGE_COLUMNS)


def _period(times: pd.Series, freq: str) -> tuple[pd.Series, pd.Series]:
    """The start of each time's period (UTC), and the period's ordinal (to count gaps)."""
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    if freq == "D":
        start = naive.dt.floor("D")
        ordinal = (start - pd.Timestamp(0)).dt.days
    elif freq == "W":
        start = (naive - pd.to_timedelta(naive.dt.day_of_week, unit="D")).dt.floor("D")
        ordinal = (start - pd.Timestamp(0)).dt.days // 7
    else:
        start = naive.dt.to_period("M").dt.start_time
        ordinal = naive.dt.year * 12 + naive.dt.month
    return start.dt.tz_localize("UTC").astype("datetime64[us, UTC]"), ordinal


def _observations(store: Store, kinds: tuple[str, ...], since: datetime | None,
                  wanted: set[str] | None) -> pd.DataFrame:  # fmt: skip
    parts = []
    for kind in kinds:
        frame = store.read_history(kind, since)
        if wanted is not None:
            frame = frame[frame["urn"].isin(wanted)]
        if frame.empty:
            continue
        part = pd.DataFrame({"kind": kind, "urn": frame["urn"],
                             "observed_at": frame["observed_at"]})  # fmt: skip
        for metric, sources in METRICS.items():
            source = sources.get(kind)
            part[metric] = frame[source] if source else pd.array([pd.NA] * len(frame), "Int64")
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["kind", "urn", "observed_at", *METRICS])
    return pd.concat(parts, ignore_index=True)


def growth_df(
    store: str | os.PathLike[str],
    freq: str = "D",
    *,
    kind: str | None = None,
    urns: str | list[str] | None = None,
    since: str | datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Growth per item and period: plays, likes, reposts, comments and followers gained.

    Parameters
    ----------
    store : str or os.PathLike
        A store written by :func:`scdata.sync`.
    freq : {"D", "W", "M"}, default "D"
        Days, weeks (from Monday) or calendar months, in UTC.
    kind : {"tracks", "users", "playlists"}, optional
        Only this kind (default: all; metrics a kind does not have are missing).
    urns : str or list of str, optional
        Only these items.
    since : date, timestamp or ISO string, optional
        Only periods whose last observation is at or after it (the delta of the first
        period kept still counts from the observation before it).

    Returns
    -------
    pandas.DataFrame
        One row per item and observed period: ``kind``, ``urn``, ``period``,
        ``observed_at``, ``since``, ``elapsed_days``, ``observations``, ``gap``, and for each
        of ``plays``, ``likes``, ``reposts``, ``comments``, ``followers``: the count, its
        ``_delta`` and its ``_per_day``. How a gap between syncs is handled: see the module
        docstring (``scdata.datasets.history?``).

    Raises
    ------
    ArgumentError
        An unknown ``freq`` or ``kind``.

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store", tracks=False)
    >>> g = scdata.growth_df("store", kind="users")
    >>> g[["period", "followers", "followers_delta"]].shape
    (1, 3)
    >>> scdata.growth_df("store", freq="fortnightly")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: freq must be "D" (days), "W" (weeks) or "M" (months), got ...
    """
    if freq not in FREQS:
        raise ArgumentError(f'freq must be "D" (days), "W" (weeks) or "M" (months), got {freq!r}')
    kinds = _kinds(kind)
    start = _since(since)
    wanted = _urns(urns)
    s = Store(store)
    # the period before `since` is read too: it holds the baseline of the first period kept
    read_from = None if start is None else start - pd.Timedelta(days=62)
    obs = _observations(s, kinds, read_from, wanted)
    columns = GROWTH_COLUMNS
    if obs.empty:
        from .store import empty_frame

        return empty_frame(columns)
    obs["period"], obs["_ordinal"] = _period(obs["observed_at"], freq)
    obs = obs.sort_values(["kind", "urn", "observed_at"], kind="stable")
    keys = ["kind", "urn", "period"]
    grouped = obs.groupby(keys, sort=False)
    last = grouped.tail(1).set_index(keys)
    last["observations"] = grouped.size()
    out = last.reset_index()
    prev = out.groupby(["kind", "urn"], sort=False).shift(1)
    out["since"] = prev["observed_at"]
    elapsed = (out["observed_at"] - out["since"]).dt.total_seconds() / 86400.0
    out["elapsed_days"] = elapsed.astype("float64")
    out["gap"] = ((out["_ordinal"] - prev["_ordinal"]) > 1).fillna(False).astype("boolean")
    for metric in METRICS:
        now, before = out[metric].astype("Int64"), prev[metric].astype("Int64")
        out[metric] = now
        out[f"{metric}_delta"] = now - before
        rate = out[f"{metric}_delta"].astype("Float64") / out["elapsed_days"].where(elapsed > 0)
        out[f"{metric}_per_day"] = rate.astype("float64").replace([np.inf, -np.inf], np.nan)
    if start is not None:
        out = out[out["observed_at"] >= pd.Timestamp(start)]
    out = out.sort_values(["kind", "urn", "period"], kind="stable").reset_index(drop=True)
    table = _typed(out, columns)
    return table


def _typed(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in columns:
        out[c.name] = frame[c.name].astype(c.pandas_dtype)
    return out


# --------------------------------------------------------------------------- DuckDB

_GROWTH_SQL = """
CREATE OR REPLACE VIEW growth AS
WITH obs AS (
    SELECT 'tracks' AS kind, urn, observed_at, playback_count AS plays,
           favoritings_count AS likes, reposts_count AS reposts, comment_count AS comments,
           CAST(NULL AS BIGINT) AS followers
    FROM history_tracks
    UNION ALL
    SELECT 'users', urn, observed_at, NULL, NULL, NULL, NULL, followers_count FROM history_users
    UNION ALL
    SELECT 'playlists', urn, observed_at, NULL, likes_count, NULL, NULL, NULL
    FROM history_playlists
), periods AS (
    SELECT kind, urn, date_trunc('day', observed_at) AS period,
           max(observed_at) AS observed_at, count(*) AS observations,
           arg_max(plays, observed_at) AS plays, arg_max(likes, observed_at) AS likes,
           arg_max(reposts, observed_at) AS reposts, arg_max(comments, observed_at) AS comments,
           arg_max(followers, observed_at) AS followers
    FROM obs GROUP BY ALL
), lagged AS (
    SELECT *, lag(observed_at) OVER w AS since, lag(period) OVER w AS prev_period,
           lag(plays) OVER w AS p_plays, lag(likes) OVER w AS p_likes,
           lag(reposts) OVER w AS p_reposts, lag(comments) OVER w AS p_comments,
           lag(followers) OVER w AS p_followers
    FROM periods WINDOW w AS (PARTITION BY kind, urn ORDER BY period)
), timed AS (
    SELECT *, epoch(observed_at) - epoch(since) AS secs FROM lagged
)
SELECT kind, urn, period, observed_at, since, secs / 86400.0 AS elapsed_days, observations,
       coalesce(prev_period < period - INTERVAL 1 DAY, false) AS gap,
       plays, plays - p_plays AS plays_delta,
       (plays - p_plays) / nullif(secs / 86400.0, 0) AS plays_per_day,
       likes, likes - p_likes AS likes_delta,
       (likes - p_likes) / nullif(secs / 86400.0, 0) AS likes_per_day,
       reposts, reposts - p_reposts AS reposts_delta,
       (reposts - p_reposts) / nullif(secs / 86400.0, 0) AS reposts_per_day,
       comments, comments - p_comments AS comments_delta,
       (comments - p_comments) / nullif(secs / 86400.0, 0) AS comments_per_day,
       followers, followers - p_followers AS followers_delta,
       (followers - p_followers) / nullif(secs / 86400.0, 0) AS followers_per_day
FROM timed
"""


def _quote(path: Any) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(store: str | os.PathLike[str], database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the store as views (needs ``pip install scdata[duckdb]``).

    Views: ``tracks``, ``users``, ``playlists`` (the current rows), ``history_tracks``,
    ``history_users``, ``history_playlists`` (every observation, with the ``date``
    partition), ``catalogue``, ``edges`` and ``growth`` (:func:`growth_df` with
    ``freq="D"``). They read the Parquet files when queried, so a connection sees later
    syncs. The session's time zone is UTC.

    Parameters
    ----------
    store : str or os.PathLike
        A store written by :func:`scdata.sync`.
    database : str, default ":memory:"
        Where DuckDB keeps the views (a file keeps them for other sessions).

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store")
    >>> con = scdata.connect("store")
    >>> con.execute("SELECT count(*) FROM history_tracks").fetchone()
    (500,)
    >>> con.execute("SELECT relation FROM edges").fetchall()
    []
    """
    try:
        import duckdb
    except ImportError as exc:
        raise ImportError("scdata.connect needs DuckDB: pip install 'scdata[duckdb]'") from exc
    s = Store(store)
    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")

    def view(name: str, glob: str, hive: bool, columns: tuple[Column, ...]) -> None:
        root = s.root.absolute()
        if any(root.glob(glob)):
            options = ", hive_partitioning = true, hive_types = {'date': DATE}" if hive else ""
            source = f"read_parquet({_quote(root / glob)}, union_by_name = true{options})"
        else:  # nothing written yet: the typed columns, no rows
            empty = arrow_schema(columns).empty_table()
            con.register(f"_empty_{name}", empty)
            source = f"_empty_{name}"
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source}")

    from .sync import CURRENT_COLUMNS

    for kind in KINDS:
        view(kind, f"current/{kind}.parquet", False, CURRENT_COLUMNS[kind])
        view(f"history_{kind}", f"history/{kind}/date=*/*.parquet", True, HISTORY_COLUMNS[kind])
    view("catalogue", "catalogue.parquet", False, CATALOGUE_COLUMNS)
    view("edges", "edges.parquet", False, EDGE_COLUMNS)
    con.execute(_GROWTH_SQL)
    return con
