"""The sync store: a directory of Parquet datasets that any engine reads, its lock and run logs.

Layout (``STORE_VERSION`` 1)::

    store/
      scdata-store.json          the manifest: {"format": "scdata-store", "version": 1, ...}
      current/tracks.parquet     the latest row of each item, the frames' schemas + observed_at
      current/users.parquet
      current/playlists.parquet
      history/tracks/date=2026-03-01/part-<run>.parquet    one row per item per observation
      history/users/date=.../part-<run>.parquet            (only appended, never rewritten)
      history/playlists/date=.../part-<run>.parquet
      catalogue.parquet          kind, urn, owner_urn, first_seen_at, last_seen_at, removed_at
      edges.parquet              src_urn, dst_urn, relation, first_seen_at, last_seen_at, removed_at
      runs/<run>.json            the run log: status, units done, failures, counts
      runs/.staging-<run>/       a run's observations until it commits (hidden from readers)
      watch.json                 names and links of the watch list, pinned to the URNs they named
      .sync.lock                 held while a sync runs (hidden)

Every file is written with a temporary file and a rename (:mod:`scdata.storage.atomicfile`
through :func:`scdata.frames.files.write_atomically`), so a reader, or a crash, sees a file's
old content or its new content. Hidden (``.``) and ``_`` paths are skipped by pyarrow, pandas,
polars, Spark and DuckDB's globbing conventions, so ``read_parquet('store/history/tracks/**')``
reads the observations and nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._version import __version__
from ..errors import ArgumentError, StoreLockedError
from ..frames.convert import table_to_frame
from ..frames.files import COMPRESSION, write_atomically
from ..frames.schema import SCHEMAS, Column, arrow_schema

__all__ = [
    "CATALOGUE_COLUMNS",
    "EDGE_COLUMNS",
    "HISTORY_COLUMNS",
    "KINDS",
    "STORE_VERSION",
    "Store",
    "StoreLockedError",
]

log = logging.getLogger("scdata")

#: The layout version this scdata writes; a store of a newer version is refused, not rewritten.
STORE_VERSION = 1
MANIFEST = "scdata-store.json"
LOCK = ".sync.lock"
#: A lock held by a process on another machine is taken over after this long without a
#: heartbeat (the holder touches it after every unit of work).
STALE_LOCK_SECONDS = 6 * 3600.0
#: The item kinds a store observes.
KINDS = ("tracks", "users", "playlists")


def _derived(name: str, kind: Any, description: str) -> Column:
    return Column(name, kind, description, name, derived=True)


OBSERVED_AT = _derived("observed_at", "timestamp", "When SoundCloud answered (its Date header).")
RUN_ID = _derived("run_id", "str", "The sync run that made the observation (runs/<run_id>.json).")
_HISTORY_FIELDS = {
    "tracks": ("user_urn", "playback_count", "favoritings_count", "reposts_count",
               "comment_count", "download_count", "access"),
    "users": ("track_count", "playlist_count", "followers_count", "followings_count",
              "public_favorites_count", "likes_count", "reposts_count", "comments_count"),
    "playlists": ("user_urn", "track_count", "likes_count", "duration"),
}  # fmt: skip


def _history_columns(kind: str) -> tuple[Column, ...]:
    declared = {c.name: c for c in SCHEMAS[kind]}
    return (declared["urn"], OBSERVED_AT, *(declared[n] for n in _HISTORY_FIELDS[kind]), RUN_ID)


#: The columns of ``history/<kind>``: the item, when it was observed, every count, the run.
HISTORY_COLUMNS: dict[str, tuple[Column, ...]] = {k: _history_columns(k) for k in KINDS}
CATALOGUE_COLUMNS: tuple[Column, ...] = (
    _derived("kind", "str", '"tracks", "users" or "playlists".'),
    _derived("urn", "str", "The item."),
    _derived("owner_urn", "str", "Its owner (tracks, playlists); missing for users."),
    _derived("title", "str", "Title, or a user's username, as last seen."),
    _derived("permalink_url", "str", "Its page, as last seen."),
    _derived("watched", "bool", "Named in the watch list itself (not found through a user)."),
    _derived("first_seen_at", "timestamp", "The first observation of it (SoundCloud's time)."),
    _derived("last_seen_at", "timestamp", "The latest observation of it."),
    _derived("removed_at", "timestamp",
             "When it was first seen gone: missing from its owner's complete list, or 404."),
)  # fmt: skip
EDGE_COLUMNS: tuple[Column, ...] = (
    _derived("src_urn", "str", "Who follows, likes or reposts."),
    _derived("dst_urn", "str", "Who or what is followed, liked or reposted."),
    _derived("relation", "str", '"follows", "likes" or "reposts".'),
    _derived("first_seen_at", "timestamp", "The first observation of the edge."),
    _derived("last_seen_at", "timestamp", "The latest observation of the edge."),
    _derived("removed_at", "timestamp",
             "When a complete list that should show it first did not (unfollowed, unliked)."),
)  # fmt: skip


def now_utc() -> datetime:
    return datetime.now(UTC)


def empty_frame(columns: tuple[Column, ...]) -> pd.DataFrame:
    return table_to_frame(arrow_schema(columns).empty_table(), columns)


def frame_table(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pa.Table:
    """`frame`'s declared columns as a table of their declared Arrow types."""
    schema = arrow_schema(columns)
    return pa.Table.from_pandas(frame[[c.name for c in columns]], schema=schema,
                                preserve_index=False).replace_schema_metadata(None)  # fmt: skip


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Store:
    """One store directory: its paths, manifest, lock, tables and run logs.

    Parameters
    ----------
    path : str or os.PathLike
        The store directory.
    create : bool, default False
        Create it (its parent must exist) and its manifest when missing; otherwise a
        missing store raises ``FileNotFoundError``.

    Raises
    ------
    NotADirectoryError
        `path` is a file.
    FileNotFoundError
        No store there (``create=False``) or its parent directory is missing.
    ArgumentError
        A store of a newer layout version (refused, never rewritten), or a non-empty
        directory that is not a store.

    Examples
    --------
    >>> store = Store("store", create=True)
    >>> store.manifest["version"], sorted(p.name for p in store.root.iterdir())
    (1, ['scdata-store.json'])
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        root = Path(path).expanduser()
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "a store is a directory, and this path is a file", str(root)
            )
        self.root = root
        manifest = root / MANIFEST
        if not root.exists() or not manifest.exists():
            if not create:
                raise FileNotFoundError(
                    errno.ENOENT, "no scdata store here (run scdata sync first)", str(root)
                )
            if not root.parent.is_dir():
                raise FileNotFoundError(
                    errno.ENOENT, f"cannot create a store: {str(root.parent)!r} does not exist",
                    str(root),
                )  # fmt: skip
            if root.exists() and any(not p.name.startswith(".") for p in root.iterdir()):
                raise ArgumentError(
                    f"{root} is not empty and is not an scdata store (no {MANIFEST}): "
                    "sync into a new or empty directory"
                )
            root.mkdir(exist_ok=True)
            self._write_manifest({"created_at": now_utc().isoformat()})
        self.manifest = self._read_manifest()

    # -- manifest --------------------------------------------------------------------------
    def _read_manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ArgumentError(f"{path} is not a readable store manifest: {exc}") from exc
        version = data.get("version") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or data.get("format") != "scdata-store"
            or not (isinstance(version, int) and not isinstance(version, bool))
        ):
            raise ArgumentError(f"{path} is not an scdata store manifest")
        if version > STORE_VERSION:
            raise ArgumentError(
                f"{self.root} was written by a newer scdata (store version {version}; this "
                f"scdata {__version__} writes version {STORE_VERSION}): upgrade scdata to "
                "read or sync it; it was left as it is"
            )
        return data

    def _write_manifest(self, extra: dict[str, Any]) -> None:
        path = self.root / MANIFEST
        old: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(path.read_text(encoding="utf-8"))
        document = {
            **old,
            **extra,
            "format": "scdata-store",
            "version": STORE_VERSION,
            "scdata_version": __version__,
            "updated_at": now_utc().isoformat(),
        }
        data = json.dumps(document, indent=1).encode()
        write_atomically(path, lambda tmp: tmp.write_bytes(data))

    def touch_manifest(self, **extra: Any) -> None:
        self._write_manifest(extra)
        self.manifest = self._read_manifest()

    # -- paths -----------------------------------------------------------------------------
    def current_path(self, kind: str) -> Path:
        return self.root / "current" / f"{kind}.parquet"

    def history_dir(self, kind: str) -> Path:
        return self.root / "history" / kind

    @property
    def catalogue_path(self) -> Path:
        return self.root / "catalogue.parquet"

    @property
    def edges_path(self) -> Path:
        return self.root / "edges.parquet"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def run_log_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def staging_dir(self, run_id: str) -> Path:
        return self.runs_dir / f".staging-{run_id}"

    # -- the lock --------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.root / LOCK

    def _holder(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.lock_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # being written, or damaged: judged by its age
        return data if isinstance(data, dict) else {}

    def _stale(self, holder: dict[str, Any]) -> str | None:
        """Why the lock of `holder` is stale (its process is gone), or None."""
        try:
            age = time.time() - self.lock_path.stat().st_mtime
        except FileNotFoundError:
            return "released"
        pid = holder.get("pid")
        if holder.get("host") == socket.gethostname() and isinstance(pid, int):
            return None if _pid_alive(pid) else f"process {pid} on this machine is gone"
        limit = STALE_LOCK_SECONDS if holder else 60.0
        if age > limit:
            return f"no heartbeat for {age / 3600:.1f} h"
        return None

    @contextlib.contextmanager
    def locked(self, run_id: str) -> Iterator[None]:
        """Hold the store's lock while the block runs; refuse if another sync holds it.

        A lock whose holder is gone (a process of this machine that no longer runs, or one
        of another machine silent for :data:`STALE_LOCK_SECONDS`) is taken over, with a
        WARNING.
        """
        me = {"host": socket.gethostname(), "pid": os.getpid(), "run_id": run_id,
              "started_at": now_utc().isoformat()}  # fmt: skip
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:
                    continue  # released meanwhile
                why = self._stale(holder)
                if why is None:
                    raise StoreLockedError(
                        f"{self.root} is being synced by another run: pid "
                        f"{holder.get('pid', '?')} on {holder.get('host', '?')} (run "
                        f"{holder.get('run_id', '?')}, since {holder.get('started_at', '?')}); "
                        "two syncs on one store are refused. Wait for it to finish; if that "
                        f"process is gone on another machine, delete {self.lock_path}",
                        holder,
                    ) from None
                self._take_over(holder, why)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(me, f)
            break
        else:
            raise StoreLockedError(f"{self.root}: could not take the sync lock", None)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                if self._holder() == me:
                    self.lock_path.unlink()

    def _take_over(self, holder: dict[str, Any], why: str) -> None:
        """Move a stale lock aside (only one process wins the rename) and check it was it."""
        aside = self.lock_path.with_name(f"{LOCK}.stale-{os.getpid()}")
        try:
            os.rename(self.lock_path, aside)
        except FileNotFoundError:
            return  # someone else moved it
        try:
            moved = json.loads(aside.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            moved = {}
        if moved != holder and moved:  # a fresh lock was taken meanwhile: put it back
            with contextlib.suppress(OSError):
                os.link(aside, self.lock_path)
        else:
            log.warning("sync: taking over the stale lock of %s (run %s): %s",
                        self.root, holder.get("run_id", "?"), why)  # fmt: skip
        with contextlib.suppress(OSError):
            aside.unlink()

    def heartbeat(self) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.lock_path)

    # -- tables ----------------------------------------------------------------------------
    def write_table(self, path: Path, table: pa.Table) -> None:
        """Write `table` to `path` atomically (zstd Parquet), creating its directory."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda tmp: pq.write_table(table, tmp, compression=COMPRESSION))

    def read_table(self, path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
        """A store table as a frame of the declared dtypes (empty when the file is missing)."""
        if not path.exists():
            return empty_frame(columns)
        table = pq.read_table(path, schema=arrow_schema(columns))
        return table_to_frame(table, columns)

    def history_files(self, kind: str, since: datetime | None = None) -> list[Path]:
        """The data files of ``history/<kind>``, date partitions before `since` left out."""
        root = self.history_dir(kind)
        if not root.is_dir():
            return []
        day = since.date().isoformat() if since is not None else ""
        files = []
        for part in sorted(root.iterdir()):
            if not part.name.startswith("date=") or part.name[5:] < day:
                continue
            files += sorted(p for p in part.glob("*.parquet") if not p.name.startswith("."))
        return files

    def read_history(self, kind: str, since: datetime | None = None) -> pd.DataFrame:
        columns = HISTORY_COLUMNS[kind]
        files = self.history_files(kind, since)
        if not files:
            return empty_frame(columns)
        schema = arrow_schema(columns)
        table = ds.dataset([str(f) for f in files], format="parquet", schema=schema).to_table()
        return table_to_frame(table, columns)

    def append_history(self, kind: str, rows: pd.DataFrame, run_id: str) -> int:
        """Append observations to ``history/<kind>``, one new file per date partition.

        Rows whose (urn, observed_at) is already in the store are dropped, and a partition
        that already has this run's file is left alone, so committing a run twice (after a
        crash during the commit) adds nothing. Returns the rows written.
        """
        if rows.empty:
            return 0
        columns = HISTORY_COLUMNS[kind]
        rows = rows.drop_duplicates(["urn", "observed_at"])
        days = rows["observed_at"].dt.strftime("%Y-%m-%d")
        written = 0
        for day, group in rows.groupby(days, sort=True):
            part = self.history_dir(kind) / f"date={day}"
            target = part / f"part-{run_id}.parquet"
            if target.exists():
                continue
            existing = [p for p in part.glob("*.parquet") if not p.name.startswith(".")]
            if existing:
                keys = ds.dataset([str(p) for p in existing], format="parquet").to_table(
                    columns=["urn", "observed_at"]
                )
                old = set(zip(keys.column("urn").to_pylist(),
                              keys.column("observed_at").to_pylist(), strict=True))  # fmt: skip
                new = zip(group["urn"], group["observed_at"].dt.to_pydatetime(), strict=True)
                group = group[[(u, t) not in old for u, t in new]]
            if group.empty:
                continue
            group = group.sort_values(["urn", "observed_at"])
            self.write_table(target, frame_table(group, columns))
            written += len(group)
        return written

    # -- run logs --------------------------------------------------------------------------
    def write_run(self, log_: dict[str, Any]) -> None:
        self.runs_dir.mkdir(exist_ok=True)
        data = json.dumps(log_, indent=1, default=str).encode()
        write_atomically(self.run_log_path(log_["run_id"]), lambda tmp: tmp.write_bytes(data))

    def runs(self) -> list[dict[str, Any]]:
        """Every run log, oldest first (damaged ones skipped with a WARNING)."""
        if not self.runs_dir.is_dir():
            return []
        out = []
        for path in sorted(self.runs_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("sync: ignoring the damaged run log %s: %s", path, exc)
                continue
            if isinstance(data, dict) and isinstance(data.get("run_id"), str):
                out.append(data)
        return out


def runs_df(store: str | os.PathLike[str]) -> pd.DataFrame:
    """The store's run logs as a frame: one row per sync run, oldest first.

    Examples
    --------
    >>> import scdata
    >>> _ = scdata.sync(["artist-001"], "store", tracks=False)
    >>> runs_df("store")[["status", "failures"]]
      status  failures
    0     ok         0
    """
    logs = Store(store).runs()
    frame = pd.DataFrame(
        [{"run_id": r["run_id"], "status": r.get("status"), "started_at": r.get("started_at"),
          "finished_at": r.get("finished_at"), "units": len(r.get("units", [])),
          "failures": len(r.get("failures", [])), **r.get("observed", {})} for r in logs],
        columns=["run_id", "status", "started_at", "finished_at", "units", "failures",
                 *KINDS, "edges"],
    )  # fmt: skip
    for name in ("started_at", "finished_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame
