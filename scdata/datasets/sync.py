"""Sync a watch list into a store: every run a real observation, dated by SoundCloud's clock.

:func:`sync` observes the users, tracks and playlists of a watch list (users' profiles, all
their tracks, the edge collections asked for) and writes the observations to a store
(:mod:`scdata.datasets.store`): appended history rows, the current rows, the catalogue of
first-seen and removed dates, the dated edges. The API gives none of that history; a store
synced every night builds it.

How a run goes
--------------
1. The store is opened (created when missing; a newer layout is refused) and locked: a second
   sync on the same store is refused with :class:`~scdata.datasets.store.StoreLockedError`
   naming the holder; a lock whose process is gone is taken over.
2. The watch list is read (one entry a line in a file; blank lines and ``#`` comments
   skipped), checked (an invalid entry is reported in the run log and left out, duplicates
   are kept once), and names and links are resolved once, then pinned in ``watch.json``.
3. The entries are cut into units of ``SCDATA_BATCH_SIZE`` (50) of one kind. Each unit is
   observed with ``refresh=True`` (so every answer is new, and its ``observed_at`` is the
   response's ``Date``), ``errors="skip"`` (a failing item is recorded; the others go on) and
   ``workers`` threads, and staged in ``runs/.staging-<run>/``; the run log records the unit
   as done.
4. When every unit is done, the run commits: history rows appended (one new file per date
   partition; rows already in the store by ``(urn, observed_at)`` dropped), then the
   catalogue, the edges and ``current/`` rewritten atomically. The run log says ``ok`` (or
   ``partial`` when items failed) and the staging directory is removed.

A run killed at any point (or stopped at a wall: rate limit, block, credentials) leaves its
log as ``running``/``stopped``: the next sync of the same watch list within
:data:`RESUME_HOURS` resumes it (the units done are not observed again) and commits it; an
older one, or one of another watch list, is committed with what it observed (``interrupted``)
before a new run starts. Committing twice adds nothing, so a crash during the commit is
harmless too. Failed items are listed in the run log and observed again by the next run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pandas as pd

from .._client import Client, default_client
from .._collect import parse_ref
from .._fanout import DEFAULT_WORKERS
from ..errors import ArgumentError, InvalidReferenceError
from ..frames.files import write_atomically
from ..frames.schema import SCHEMAS, Column
from ..http.refs import ITEM_KINDS
from .export import read_users_file
from .store import (
    CATALOGUE_COLUMNS,
    EDGE_COLUMNS,
    HISTORY_COLUMNS,
    KINDS,
    OBSERVED_AT,
    Store,
    frame_table,
    now_utc,
)

__all__ = ["EDGES", "RESUME_HOURS", "SyncRun", "read_watch", "sync"]

log = logging.getLogger("scdata")

#: An unfinished run younger than this is resumed by the next sync of the same watch list.
RESUME_HOURS = 12.0
#: The edge collections ``edges=`` may name: each is (collection, relation, the owner's side).
EDGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "followers": (("followers", "follows", "dst"),),
    "followings": (("followings", "follows", "src"),),
    "likes": (("likes_tracks", "likes", "src"), ("likes_playlists", "likes", "src")),
    "likes_tracks": (("likes_tracks", "likes", "src"),),
    "likes_playlists": (("likes_playlists", "likes", "src"),),
    "reposts": (("reposts_tracks", "reposts", "src"), ("reposts_playlists", "reposts", "src")),
    "reposts_tracks": (("reposts_tracks", "reposts", "src"),),
    "reposts_playlists": (("reposts_playlists", "reposts", "src"),),
}
#: The columns kept of each item in ``current/`` and in a run's staging.
CURRENT_COLUMNS: dict[str, tuple[Column, ...]] = {k: (*SCHEMAS[k], OBSERVED_AT) for k in KINDS}
_EDGE_OBS: tuple[Column, ...] = (*EDGE_COLUMNS[:3], OBSERVED_AT)
_DEFAULT_UNIT = 50
_NOT_FOUND = ("NotFoundError", "UserNotFoundError")


# --------------------------------------------------------------------------- the watch list


def read_watch(path: str | os.PathLike[str]) -> list[str]:
    """Read a watch file: one user, track or playlist a line; blank lines and ``#`` comments
    are skipped (the format of ``scdata export``'s users file: :func:`read_users_file`).

    Examples
    --------
    >>> _ = Path("roster.txt").write_text("# label roster\\nartist-001\\n\\nartist-002  # new\\n")
    >>> read_watch("roster.txt")
    ['artist-001', 'artist-002']
    """
    return read_users_file(path)


def _watch_values(watch: object) -> list[object]:
    if isinstance(watch, os.PathLike) or (
        isinstance(watch, str) and ("/" in watch or "\\" in watch or watch.endswith(".txt"))
        and not watch.startswith(("http://", "https://")) and Path(watch).is_file()
    ):  # fmt: skip
        return list(read_watch(cast("str | os.PathLike[str]", watch)))
    if isinstance(watch, str | int) and not isinstance(watch, bool):
        return [watch]
    if isinstance(watch, dict | bytes) or not isinstance(watch, Iterable):
        raise ArgumentError(
            f"watch must be a list of users, tracks and playlists or a watch file, got "
            f"{type(watch).__name__}"
        )
    return list(watch)


@dataclass
class _Entry:
    given: str
    key: str
    kind: str | None = None  # known before resolving (a URN, an id of a user)
    urn: str | None = None
    resolve: str | None = None  # what to resolve: a URL or short link


def _entry(value: object, label: str) -> _Entry:
    """One watch entry: a user (name, id, URL), or a track or playlist (URN, URL)."""
    text = value.strip() if isinstance(value, str) else value
    is_name = isinstance(text, int) or (
        isinstance(text, str) and "/" not in text and not text.startswith("soundcloud:")
    )  # a name or an id is a user's
    ref = parse_ref(value, ("users",) if is_name else ITEM_KINDS, label)
    if ref.urn is not None:
        return _Entry(str(value), ref.urn, ref.kind, ref.urn)
    return _Entry(str(value), ref.key, ref.kind, None, ref.resolve_url)


def _parse_watch(values: list[object]) -> tuple[list[_Entry], list[dict[str, Any]]]:
    entries: list[_Entry] = []
    invalid: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        try:
            entry = _entry(value, f"watch[{i}]")
        except (InvalidReferenceError, ArgumentError) as exc:
            invalid.append(_failure(str(value), "watch", exc))
            continue
        if entry.key not in seen:
            seen.add(entry.key)
            entries.append(entry)
    return entries, invalid


def _failure(given: str, step: str, exc: BaseException | dict[str, Any]) -> dict[str, Any]:
    if isinstance(exc, dict):
        return {"input": given, "step": step, "error": exc.get("error"),
                "message": exc.get("message")}  # fmt: skip
    return {"input": given, "step": step, "error": type(exc).__name__, "message": str(exc)}


# --------------------------------------------------------------------------- observing


@dataclass(frozen=True)
class Unit:
    """Up to one batch of watched items of one kind, observed together."""

    id: str
    kind: str
    urns: tuple[str, ...]


@dataclass
class Observation:
    """What one unit saw: typed rows per kind, edges, the complete lists and the failures."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    edges: pd.DataFrame | None = None
    #: owners whose track list was walked to its end: {owner_urn: when (iso)}
    listed: dict[str, str] = field(default_factory=dict)
    #: complete edge lists: {"relation", "side", "urn", "dst_kind", "at"}
    scopes: list[dict[str, Any]] = field(default_factory=list)
    #: items SoundCloud answered 404 for: {urn: kind}
    gone: dict[str, str] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)


def _latest(frame: pd.DataFrame) -> pd.Timestamp | None:
    if frame.empty or "observed_at" not in frame:
        return None
    value = frame["observed_at"].max()
    return None if pd.isna(value) else pd.Timestamp(value)


def _latest_by(frame: pd.DataFrame, column: str) -> dict[str, pd.Timestamp]:
    """The latest ``observed_at`` of each owner's rows (when its list was seen)."""
    if frame.empty:
        return {}
    pairs = pd.DataFrame({"owner": frame[column].to_numpy(), "at": frame["observed_at"].array})
    return {str(k): pd.Timestamp(v) for k, v in pairs.groupby("owner")["at"].max().items()}


def observe_unit(
    unit: Unit,
    *,
    tracks: bool = True,
    users: bool = True,
    edges: Sequence[str] = (),
    workers: int = DEFAULT_WORKERS,
    client: Client | None = None,
) -> Observation:
    """Observe one unit (fresh answers, ``errors="skip"``); nothing is written.

    This is what runs on a dask worker for :func:`scdata.dask.sync` (the default client of
    the worker's environment when `client` is None).
    """
    client = client or default_client()
    obs = Observation()
    urns: list[str | int] = list(unit.urns)
    kw: dict[str, Any] = {"errors": "skip", "workers": workers, "refresh": True, "observe": True}

    def failed(frame: pd.DataFrame, step: str, kind: str) -> None:
        for f in frame.attrs.get("scdata", {}).get("failures", []):
            obs.failures.append(_failure(f["input"], step, f))
            if f.get("error") in _NOT_FOUND:
                obs.gone[str(f["input"])] = kind

    if unit.kind in ("tracks", "playlists"):
        lookup = client.lookup_tracks if unit.kind == "tracks" else client.lookup_playlists
        frame = lookup(urns, **kw)
        failed(frame, unit.kind, unit.kind)
        obs.frames[unit.kind] = frame
        return obs

    profiles: pd.DataFrame | None = None
    if users:
        profiles = client.users_df(urns, **kw)
        failed(profiles, "users", "users")
        obs.frames["users"] = profiles
    when = {} if profiles is None else dict(zip(profiles["urn"], profiles["observed_at"],
                                                strict=True))  # fmt: skip
    if tracks:
        frame = cast("pd.DataFrame", client.collection_df("tracks", urns, progress=False, **kw))
        failed(frame, "tracks", "users")
        obs.frames["tracks"] = frame
        latest = _latest_by(frame, "user_urn")
        for info in frame.attrs.get("scdata", {}).get("inputs", []):
            if info.get("complete"):
                at = latest.get(info["urn"]) or when.get(info["urn"]) or _latest(frame)
                if at is not None:
                    obs.listed[info["urn"]] = pd.Timestamp(at).isoformat()
    parts = []
    for name in edges:
        for what, relation, side in EDGES[name]:
            frame = cast("pd.DataFrame", client.collection_df(what, urns, progress=False, **kw))
            failed(frame, what, "users")
            owner = _OWNER_COLUMN[what]
            if not frame.empty:
                parts.append(pd.DataFrame({
                    "src_urn": frame[owner] if side == "src" else frame["urn"],
                    "dst_urn": frame["urn"] if side == "src" else frame[owner],
                    "relation": relation,
                    "observed_at": frame["observed_at"],
                }))  # fmt: skip
            dst_kind = SCHEMAS_KIND[what]
            latest = _latest_by(frame, owner)
            for info in frame.attrs.get("scdata", {}).get("inputs", []):
                if not info.get("complete"):
                    continue
                at = latest.get(info["urn"]) or when.get(info["urn"]) or _latest(frame)
                if at is not None:
                    obs.scopes.append({"relation": relation, "side": side, "urn": info["urn"],
                                       "dst_kind": dst_kind,
                                       "at": pd.Timestamp(at).isoformat()})  # fmt: skip
    if parts:
        obs.edges = pd.concat(parts, ignore_index=True)
    return obs


#: the column naming the owner in each edge collection's frame
_OWNER_COLUMN = {"followers": "followed_urn", "followings": "follower_urn",
                 "likes_tracks": "liker_urn", "likes_playlists": "liker_urn",
                 "reposts_tracks": "reposter_urn", "reposts_playlists": "reposter_urn"}  # fmt: skip
#: what the other end of each edge collection is (an edge's scope covers only that kind)
SCHEMAS_KIND = {"followers": "users", "followings": "users", "likes_tracks": "tracks",
                "likes_playlists": "playlists", "reposts_tracks": "tracks",
                "reposts_playlists": "playlists"}  # fmt: skip


# --------------------------------------------------------------------------- staging


def _stage(store: Store, run_id: str, unit: Unit, obs: Observation) -> dict[str, Any]:
    """Write a unit's observation to the run's staging directory; return its log entry."""
    staging = store.staging_dir(run_id)
    staging.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, frame in obs.frames.items():
        if not frame.empty:
            path = staging / f"{unit.id}.{kind}.parquet"
            store.write_table(path, frame_table(frame, CURRENT_COLUMNS[kind]))
            files[kind] = path.name
    if obs.edges is not None and not obs.edges.empty:
        path = staging / f"{unit.id}.edges.parquet"
        store.write_table(path, frame_table(obs.edges, _EDGE_OBS))
        files["edges"] = path.name
    return {"id": unit.id, "kind": unit.kind, "files": files, "listed": obs.listed,
            "scopes": obs.scopes, "gone": obs.gone, "failures": obs.failures,
            "done_at": now_utc().isoformat()}  # fmt: skip


def _staged(store: Store, run_id: str, done: list[dict[str, Any]], name: str,
            columns: tuple[Column, ...]) -> pd.DataFrame:  # fmt: skip
    frames = [store.read_table(store.staging_dir(run_id) / u["files"][name], columns)
              for u in done if name in u.get("files", {})]  # fmt: skip
    frames = [f for f in frames if not f.empty]
    if not frames:
        from .store import empty_frame

        return empty_frame(columns)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- committing


def _title(kind: str, frame: pd.DataFrame) -> pd.Series:
    return frame["username"] if kind == "users" else frame["title"]


def _commit_catalogue(
    store: Store,
    latest: dict[str, pd.DataFrame],
    watched: set[str],
    done: list[dict[str, Any]],
    clock: pd.Timestamp,
) -> dict[str, int]:
    """Fold a run's observations into the catalogue; return counts of new and removed items."""
    old = store.read_table(store.catalogue_path, CATALOGUE_COLUMNS)
    seen_parts = []
    for kind, frame in latest.items():
        if frame.empty:
            continue
        seen_parts.append(pd.DataFrame({
            "kind": kind, "urn": frame["urn"],
            "owner_urn": frame.get("user_urn", pd.NA),
            "title": _title(kind, frame), "permalink_url": frame["permalink_url"],
            "first": frame["first_at"], "last": frame["observed_at"],
        }))  # fmt: skip
    seen = (
        pd.concat(seen_parts, ignore_index=True)
        if seen_parts
        else pd.DataFrame(
            columns=["kind", "urn", "owner_urn", "title", "permalink_url", "first", "last"]
        )
    )
    merged = old.merge(seen, on="urn", how="outer", suffixes=("", "_new"), indicator=True)
    new_items = int((merged["_merge"] == "right_only").sum())
    for name in ("kind", "owner_urn", "title", "permalink_url"):
        merged[name] = merged[f"{name}_new"].where(merged[f"{name}_new"].notna(), merged[name])
    hit = merged["_merge"] != "left_only"
    first = pd.to_datetime(merged["first"], utc=True)
    merged["first_seen_at"] = merged["first_seen_at"].where(
        merged["first_seen_at"].notna() & ~(hit & (first < merged["first_seen_at"])), first
    )
    last = pd.to_datetime(merged["last"], utc=True)
    merged["last_seen_at"] = merged["last_seen_at"].where(
        merged["last_seen_at"].notna() & ~(hit & (last > merged["last_seen_at"])), last
    )
    # seen again after its removal: back (its removal was a gap, or it was restored)
    back = hit & merged["removed_at"].notna() & (last > merged["removed_at"])
    merged.loc[back, "removed_at"] = pd.NaT
    merged["watched"] = merged["urn"].isin(watched) | merged["watched"].fillna(False).astype(bool)
    # gone: a 404 for a watched item, or missing from its owner's complete track list
    listed: dict[str, pd.Timestamp] = {}
    gone: dict[str, str] = {}
    for u in done:
        listed.update({k: pd.Timestamp(v) for k, v in u.get("listed", {}).items()})
        gone.update(u.get("gone", {}))
    when = pd.Series(pd.NaT, index=merged.index, dtype="datetime64[us, UTC]")
    tracked = (merged["kind"] == "tracks") & merged["owner_urn"].isin(list(listed))
    when[tracked] = merged.loc[tracked, "owner_urn"].map(listed).astype("datetime64[us, UTC]")
    when[merged["urn"].isin(list(gone))] = clock
    gone_now = merged["removed_at"].isna() & ~hit & when.notna() & (when > merged["last_seen_at"])
    merged.loc[gone_now, "removed_at"] = when[gone_now]
    removed = int(gone_now.sum())
    out = merged[[c.name for c in CATALOGUE_COLUMNS]].sort_values(["kind", "urn"])
    store.write_table(store.catalogue_path, frame_table(out, CATALOGUE_COLUMNS))
    return {"new": new_items, "removed": removed}


def _commit_edges(store: Store, seen: pd.DataFrame, done: list[dict[str, Any]]) -> dict[str, int]:
    old = store.read_table(store.edges_path, EDGE_COLUMNS)
    if seen.empty and not any(u.get("scopes") for u in done):
        return {"new": 0, "removed": 0}
    keys = ["src_urn", "dst_urn", "relation"]
    agg = seen.groupby(keys, as_index=False).agg(first=("observed_at", "min"),
                                                last=("observed_at", "max"))  # fmt: skip
    merged = old.merge(agg, on=keys, how="outer", indicator=True)
    hit = merged["_merge"] != "left_only"
    new_edges = int((merged["_merge"] == "right_only").sum())
    first, last = merged["first"], merged["last"]
    merged["first_seen_at"] = merged["first_seen_at"].where(
        merged["first_seen_at"].notna() & ~(hit & (first < merged["first_seen_at"])), first
    )
    merged["last_seen_at"] = merged["last_seen_at"].where(
        merged["last_seen_at"].notna() & ~(hit & (last > merged["last_seen_at"])), last
    )
    back = hit & merged["removed_at"].notna() & (last > merged["removed_at"])
    merged.loc[back, "removed_at"] = pd.NaT
    removed = 0
    for scope in (s for u in done for s in u.get("scopes", [])):
        column = "src_urn" if scope["side"] == "src" else "dst_urn"
        other = "dst_urn" if scope["side"] == "src" else "src_urn"
        at = pd.Timestamp(scope["at"])
        mask = (~hit & merged["removed_at"].isna()
                & (merged["relation"] == scope["relation"])
                & (merged[column] == scope["urn"])
                & merged[other].str.startswith(f"soundcloud:{scope['dst_kind']}:")
                & (merged["last_seen_at"] < at))  # fmt: skip
        merged.loc[mask, "removed_at"] = at
        removed += int(mask.sum())
    out = merged[[c.name for c in EDGE_COLUMNS]].sort_values(keys)
    store.write_table(store.edges_path, frame_table(out, EDGE_COLUMNS))
    return {"new": new_edges, "removed": removed}


def _commit(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    """Fold a run's staged units into the store (idempotent: a second commit adds nothing)."""
    run_id, done = run["run_id"], run["units"]
    latest: dict[str, pd.DataFrame] = {}
    observed: dict[str, int] = {}
    clocks = []
    for kind in KINDS:
        rows = _staged(store, run_id, done, kind, CURRENT_COLUMNS[kind])
        rows = rows[rows["observed_at"].notna()].sort_values("observed_at", kind="stable")
        # one observation per item per run (a watched track is also in its owner's list)
        first = rows.groupby("urn")["observed_at"].min()
        rows = rows.drop_duplicates("urn", keep="last")
        observed[kind] = len(rows)
        history = rows.assign(run_id=run_id)
        store.append_history(kind, history[[c.name for c in HISTORY_COLUMNS[kind]]], run_id)
        last = rows.copy()
        last["first_at"] = first.reindex(last["urn"]).array
        latest[kind] = last
        if not rows.empty:
            clocks.append(rows["observed_at"].max())
        # current/: the latest row of every item ever observed
        path = store.current_path(kind)
        current = store.read_table(path, CURRENT_COLUMNS[kind])
        if not last.empty:
            keep = current[~current["urn"].isin(last["urn"])]
            fresh = last[[c.name for c in CURRENT_COLUMNS[kind]]]
            current = pd.concat([keep, fresh], ignore_index=True) if len(keep) else fresh
            store.write_table(path, frame_table(current, CURRENT_COLUMNS[kind]))
    clock = max(clocks) if clocks else pd.Timestamp(now_utc())
    watched = set(run.get("watched", []))
    catalogue = _commit_catalogue(store, latest, watched, done, clock)
    seen_edges = _staged(store, run_id, done, "edges", _EDGE_OBS)
    edges = _commit_edges(store, seen_edges, done)
    observed["edges"] = len(seen_edges.drop_duplicates(["src_urn", "dst_urn", "relation"]))
    return {"observed": observed, "catalogue": catalogue, "edges": edges}


# --------------------------------------------------------------------------- the run


@dataclass
class SyncRun:
    """What one :func:`sync` did (its run log is ``runs/<run_id>.json`` in the store).

    Attributes
    ----------
    run_id, status : str
        ``status`` is ``"ok"``, or ``"partial"`` when some items failed (listed in
        ``failures`` and observed again by the next run).
    observed : dict
        Distinct items observed per kind (``tracks``, ``users``, ``playlists``) and ``edges``.
    new, removed : dict
        Items (``catalogue``) and edges (``edges``) first seen, and first seen gone, by this run.
    failures : list of dict
        ``input``, ``step``, ``error``, ``message`` of each failure (invalid watch entries too).
    resumed : bool
        This run completed one that was killed or stopped.
    """

    run_id: str
    status: str
    store: Path
    observed: dict[str, int]
    new: dict[str, int]
    removed: dict[str, int]
    failures: list[dict[str, Any]]
    resumed: bool = False
    log: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """One line for a cron log.

        Examples
        --------
        >>> run = SyncRun("r1", "ok", Path("store"), {"tracks": 500, "users": 1, "playlists": 0,
        ...               "edges": 0}, {"catalogue": 501, "edges": 0},
        ...               {"catalogue": 0, "edges": 0}, [])
        >>> print(run.summary())  # doctest: +NORMALIZE_WHITESPACE
        sync ok: 1 users, 500 tracks, 0 playlists, 0 edges observed; 501 new, 0 removed;
        0 failed -> store
        """
        o = self.observed
        text = (f"sync {self.status}{' (resumed)' if self.resumed else ''}: "
                f"{o.get('users', 0)} users, {o.get('tracks', 0)} tracks, "
                f"{o.get('playlists', 0)} playlists, {o.get('edges', 0)} edges observed; "
                f"{self.new.get('catalogue', 0) + self.new.get('edges', 0)} new, "
                f"{self.removed.get('catalogue', 0) + self.removed.get('edges', 0)} removed; "
                f"{len(self.failures)} failed -> {self.store}")  # fmt: skip
        return text


def _new_run_id() -> str:
    return now_utc().strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)


def _check_edges(edges: object) -> tuple[str, ...]:
    names = (edges,) if isinstance(edges, str) else tuple(cast("Iterable[str]", edges or ()))
    for name in names:
        if name not in EDGES:
            raise ArgumentError(
                f"unknown edge collection {name!r}: edges may name "
                + ", ".join(repr(n) for n in EDGES)
            )
    return tuple(dict.fromkeys(names))


def _resolve(store: Store, client: Client, entries: list[_Entry], workers: int
             ) -> list[dict[str, Any]]:  # fmt: skip
    """Give every entry its kind and URN: pinned ones from ``watch.json``, the rest resolved."""
    path = store.root / "watch.json"
    pinned: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        pinned = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    todo = [e for e in entries if e.urn is None and e.key not in pinned]
    failures: list[dict[str, Any]] = []
    for kind in ("users", None):  # users by name: "No se pudo encontrar al usuario"
        group = [e for e in todo if (e.kind == "users") == (kind == "users")]
        if not group:
            continue
        frame = client.resolve([e.resolve for e in group], kind=kind, errors="skip",
                               workers=workers)  # fmt: skip
        by_given = dict(zip(frame["url"], frame["urn"], strict=True))
        for e in group:
            if e.resolve in by_given:
                pinned[e.key] = str(by_given[e.resolve])
        for f in frame.attrs.get("scdata", {}).get("failures", []):
            given = next((e.given for e in group if e.resolve == f["input"]), f["input"])
            failures.append(_failure(given, "resolve", f))
    if todo:
        data = json.dumps(pinned, indent=1, sort_keys=True).encode()
        write_atomically(path, lambda tmp: tmp.write_bytes(data))
    for e in entries:
        if e.urn is None and e.key in pinned:
            e.urn = pinned[e.key]
            e.kind = e.urn.split(":")[1]
    return failures


def _plan(entries: list[_Entry], size: int) -> list[Unit]:
    units = []
    for kind in ("users", "tracks", "playlists"):
        urns = list(dict.fromkeys(e.urn for e in entries if e.kind == kind and e.urn))
        for n in range(0, len(urns), size):
            units.append(Unit(f"{kind}-{n // size:05d}", kind, tuple(urns[n : n + size])))
    return units


def _plan_json(units: list[Unit], options: dict[str, Any]) -> list[Any]:
    return [options, [[u.id, u.kind, list(u.urns)] for u in units]]


#: Runs units somewhere and yields each with what it saw, as they finish: given the units and
#: the keywords of :func:`observe_unit` (without ``client``: a remote worker uses its own).
Executor = Callable[[list[Unit], dict[str, Any]], Iterator[tuple[Unit, Observation]]]


def _unfinished(store: Store) -> dict[str, Any] | None:
    runs = [r for r in store.runs() if r.get("status") in ("running", "stopped", "committing")]
    return runs[-1] if runs else None


def sync(
    watch: str | os.PathLike[str] | Sequence[str | int],
    store: str | os.PathLike[str],
    *,
    tracks: bool = True,
    users: bool = True,
    edges: Sequence[str] | str = (),
    workers: int = DEFAULT_WORKERS,
    client: Client | None = None,
    _executor: Executor | None = None,
) -> SyncRun:
    """Observe a watch list and record it in a store: history, catalogue, edges, current rows.

    Parameters
    ----------
    watch : list or path
        Users (names, ids, URNs, profile URLs, short links), tracks and playlists (URNs,
        page URLs) in any form scdata accepts; or a watch file (a ``pathlib.Path``, or a
        string with a ``/`` or ending in ``.txt`` naming a file), one entry a line,
        ``#`` comments and blank lines skipped. Duplicates are observed once; an invalid
        entry is reported in the run's failures and the rest synced.
    store : str or os.PathLike
        The store directory (created when missing; its parent must exist).
    tracks : bool, default True
        Walk every watched user's tracks (pages of 200).
    users : bool, default True
        Observe the watched users' profiles (batches of 50): followers and the other counts.
    edges : sequence of str, default ()
        Edge collections of the watched users to record, dated: ``"followers"``,
        ``"followings"``, ``"likes"`` (tracks and playlists), ``"reposts"``, or
        ``"likes_tracks"``, ``"likes_playlists"``, ``"reposts_tracks"``,
        ``"reposts_playlists"``.
    workers : int, default 8
        Requests in flight at once (they keep the shared rate limit; with
        ``SCDATA_CACHE=redis://…`` processes on many machines share it and the token).
    client : scdata.Client, optional
        Default: the default client. Every answer is fetched fresh (``refresh=True``).

    Returns
    -------
    SyncRun
        The run's status, counts and failures; ``.summary()`` is one line for a log.

    Raises
    ------
    StoreLockedError
        Another sync is running on this store (the message names its host, pid and run).
    ArgumentError
        An unknown edge name, a watch list with no valid entry, a store of a newer version.
    NotADirectoryError, FileNotFoundError
        `store` is a file, or its parent directory does not exist.
    RateLimitError, BlockedError, AuthError
        The run stopped at a wall; its log says ``stopped`` and the next sync resumes it.

    Examples
    --------
    >>> import scdata
    >>> run = scdata.sync(["artist-001", "artist-002"], "store")
    >>> run.status, run.observed["users"], run.observed["tracks"]
    ('ok', 2, 1000)
    >>> scdata.history_df("store", "users")[["urn", "followers_count"]].shape
    (2, 2)
    """
    edge_names = _check_edges(edges)
    values = _watch_values(watch)
    if not values:
        raise ArgumentError("watch must name at least one user, track or playlist")
    entries, invalid = _parse_watch(values)
    if not entries:
        raise ArgumentError(
            "watch has no valid entry: " + "; ".join(f["message"] for f in invalid[:3])
        )
    client = client or default_client()
    opened = Store(store, create=True)
    run_id = _new_run_id()
    options = {"tracks": bool(tracks), "users": bool(users), "edges": list(edge_names)}
    with opened.locked(run_id):
        failures = list(invalid)
        failures += _resolve(opened, client, entries, workers)
        units = _plan(entries, client.settings.batch_size or _DEFAULT_UNIT)
        plan = _plan_json(units, options)
        run, resumed = _start(opened, run_id, plan)
        run["watched"] = sorted({e.urn for e in entries if e.urn})
        run["failures_watch"] = failures
        opened.write_run(run)
        done_ids = {u["id"] for u in run["units"]}

        def in_process(units: list[Unit], kw: dict[str, Any]) -> Iterator[tuple[Unit, Observation]]:
            for unit in units:
                yield unit, observe_unit(unit, **kw, client=client)

        todo = [u for u in units if u.id not in done_ids]
        kw = {"tracks": bool(tracks), "users": bool(users), "edges": edge_names,
              "workers": workers}  # fmt: skip
        try:
            for unit, obs in (_executor or in_process)(todo, kw):
                run["units"].append(_stage(opened, run["run_id"], unit, obs))
                opened.write_run(run)
                opened.heartbeat()
        except BaseException as exc:  # a wall, an interrupt, a bug: resumable next time
            run["status"] = "stopped"
            run["error"] = f"{type(exc).__name__}: {exc}"
            opened.write_run(run)
            raise
        return _finish(opened, run, resumed)


def _start(store: Store, run_id: str, plan: list[Any]) -> tuple[dict[str, Any], bool]:
    """A new run log, or the unfinished run it resumes (an old or other one is committed)."""
    old = _unfinished(store)
    if old is not None:
        started = pd.Timestamp(old.get("started_at") or now_utc())
        young = now_utc() - started.to_pydatetime() < timedelta(hours=RESUME_HOURS)
        if young and old.get("plan") == plan:
            log.info("sync: resuming run %s (%d units done)", old["run_id"], len(old["units"]))
            old["status"] = "running"
            old.setdefault("resumed_by", []).append(
                {"pid": os.getpid(), "host": socket.gethostname(), "at": now_utc().isoformat()}
            )
            return old, True
        log.warning("sync: committing the unfinished run %s with what it observed",
                    old["run_id"])  # fmt: skip
        _finish(store, old, False, status="interrupted")
    previous = [r for r in store.runs() if r.get("status") in ("ok", "partial", "interrupted")]
    retried = [f["input"] for f in previous[-1].get("failures", [])] if previous else []
    run = {"run_id": run_id, "status": "running", "started_at": now_utc().isoformat(),
           "host": socket.gethostname(), "pid": os.getpid(), "plan": plan, "units": [],
           "retried": retried}  # fmt: skip
    return run, False


def _finish(store: Store, run: dict[str, Any], resumed: bool, status: str | None = None
            ) -> SyncRun:  # fmt: skip
    run["status"] = "committing"
    store.write_run(run)
    result = _commit(store, run)
    failures = list(run.get("failures_watch", []))
    failures += [f for u in run["units"] for f in u.get("failures", [])]
    run.update(result)
    run["failures"] = failures
    run["status"] = status or ("partial" if failures else "ok")
    run["finished_at"] = now_utc().isoformat()
    store.write_run(run)
    shutil.rmtree(store.staging_dir(run["run_id"]), ignore_errors=True)
    store.touch_manifest(last_run=run["run_id"])
    return SyncRun(
        run_id=run["run_id"], status=run["status"], store=store.root,
        observed=result["observed"],
        new={"catalogue": result["catalogue"]["new"], "edges": result["edges"]["new"]},
        removed={"catalogue": result["catalogue"]["removed"],
                 "edges": result["edges"]["removed"]},
        failures=failures, resumed=resumed, log=run,
    )  # fmt: skip
