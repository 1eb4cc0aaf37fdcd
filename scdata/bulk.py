"""Export many users' tracks to one hive-partitioned Parquet dataset that can be resumed.

:func:`export_tracks` fetches users concurrently and writes each one's tracks to its own
partition (``user_permalink=<name>/part-0.parquet``) with :func:`scdata.export.to_parquet`,
then records the result in ``_manifest.json`` beside the partitions. A user that fails is
recorded and the others go on. Running it again skips users whose partition is complete and
fresh and retries the rest; a partition written again replaces the old one, so rows are
never duplicated.

What is atomic
--------------
- Each user's partition: written to a temporary directory and renamed into place
  (see :mod:`scdata.export`). A reader sees the old rows of a user or the new ones.
- ``_manifest.json``: rewritten with a temporary file and a rename, under a lock
  (``.manifest.lock``) and merged with what is on disk, so processes exporting into one
  directory do not lose each other's entries. It is written at most once a second while the
  job runs (each write holds every user's entry) and once at the end.
- Not the job as a whole: a job killed half-way leaves the finished users' partitions and
  their manifest entries, bar the last second's. The next run skips users recorded as done
  and fetches the others; a partition whose entry was not written is fetched and replaced.

Manifest (JSON)::

    {"format": 1, "table": "tracks", "partition_cols": ["user_permalink"],
     "updated_at": "2026-01-01T12:00:00+00:00",
     "users": [{"user": "artist-001", "urn": "soundcloud:users:400007919", "status": "ok",
                "rows": 495, "fetched_at": "...", "attempted_at": "...", "error": null,
                "limit": null, "partitions": ["user_permalink=artist-001"]}, ...]}

``rows``, ``fetched_at`` and ``partitions`` describe the rows on disk, so ``rows`` adds up
to the rows of the dataset. A failed user keeps the rows of its last success, if any;
``attempted_at`` and ``error`` describe the last attempt.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import filelock
import pandas as pd

from .arguments import check_count
from .client import Client, default_client
from .errors import AuthError, ConfigurationError, SoundCloudError
from .export import to_parquet, write_atomically
from .fanout import DEFAULT_WORKERS, run_all, user_refs
from .schema import TRACK_COLUMNS, SchemaError
from .userref import UserRef, parse_user

__all__ = ["MANIFEST", "export_summary", "export_tracks", "read_users_file"]

log = logging.getLogger("scdata")

#: The manifest's file name; the leading ``_`` makes Parquet readers skip it.
MANIFEST = "_manifest.json"
_LOCK = ".manifest.lock"
_FORMAT = 1
_USER_KEYS = ("user_permalink", "user_id", "user_urn")
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_FATAL = (AuthError, ConfigurationError)  # the same for every user: stop the job
#: The manifest is written at most this often while a job runs, and when it ends.
FLUSH_SECONDS = 1.0


# --------------------------------------------------------------------------- the manifest


def _key(ref: UserRef) -> str:
    return f"id:{ref.user_id}" if ref.user_id is not None else f"name:{ref.permalink.lower()}"  # type: ignore[union-attr]


class _Manifest:
    """The manifest file of one dataset: read and checked once, then updated user by user.

    Entries are written at most every :data:`FLUSH_SECONDS` (and by :meth:`flush`), merged
    under a file lock with what other processes wrote meanwhile.
    """

    def __init__(self, root: Path, partition_cols: list[str]) -> None:
        self.path = root / MANIFEST
        self.partition_cols = partition_cols
        self._thread_lock = threading.Lock()
        self._file_lock = filelock.FileLock(root / _LOCK)
        self._mine: dict[str, dict[str, Any]] = {}
        self._pending = False
        self._written = time.monotonic()
        #: the entries found when the job started, by user key
        self.entries = self._read()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            columns = data["partition_cols"]
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable %s (%s): every user is fetched again", self.path, exc)
            return {}
        if columns != self.partition_cols:
            raise ValueError(
                f"{self.path.parent} is partitioned on {columns}, not {self.partition_cols}: "
                "export into another directory or pass the same partition_cols"
            )
        return {_key(parse_user(e["user"])): e for e in users}

    def record(self, entry: dict[str, Any]) -> None:
        """Remember this user's new entry; write the file if the last write is old enough."""
        with self._thread_lock:
            self._mine[_key(parse_user(entry["user"]))] = entry
            self._pending = True
            if time.monotonic() - self._written >= FLUSH_SECONDS:
                self._write()

    def flush(self) -> None:
        """Write the entries not written yet."""
        with self._thread_lock:
            if self._pending:
                self._write()

    def _write(self) -> None:
        with self._file_lock:
            entries = {**self._read(), **self._mine}
            document = {
                "format": _FORMAT,
                "table": "tracks",
                "partition_cols": self.partition_cols,
                "updated_at": datetime.now(UTC).isoformat(),
                "users": list(entries.values()),
            }
            text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
            write_atomically(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        self._pending = False
        self._written = time.monotonic()


# --------------------------------------------------------------------------- partitions


def _partition_dirs(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The hive directories (relative to the root) that hold the frame's rows."""
    dirs = []
    for values in frame[columns].drop_duplicates().itertuples(index=False):
        parts = [
            f"{col}={_NULL_PARTITION if pd.isna(v) else quote(str(v), safe='')}"
            for col, v in zip(columns, values, strict=True)
        ]
        dirs.append("/".join(parts))
    return sorted(dirs)


def _complete(root: Path, dirs: list[str]) -> bool:
    return all(any((root / d).glob("*.parquet")) for d in dirs)


def _remove_partitions(root: Path, dirs: Sequence[str]) -> None:
    """Delete partitions a user no longer has (e.g. after a rename)."""
    for d in dirs:
        shutil.rmtree(root / d, ignore_errors=True)
        parent = (root / d).parent
        while parent != root:
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent


def _fresh(entry: dict[str, Any] | None, root: Path, limit: int | None, cutoff: datetime) -> bool:
    return (
        entry is not None
        and entry.get("status") == "ok"
        and entry.get("limit") == limit
        and entry.get("fetched_at") is not None
        and datetime.fromisoformat(entry["fetched_at"]) >= cutoff
        and _complete(root, entry.get("partitions", []))
    )


# --------------------------------------------------------------------------- the job


def _export_one(
    client: Client, ref: UserRef, given: str, old: dict[str, Any] | None, root: Path,
    columns: list[str], limit: int | None,
) -> dict[str, Any]:  # fmt: skip
    """Fetch one user and replace their partition; a failure becomes a failed entry."""
    attempted_at = datetime.now(UTC).isoformat()
    urn = (old or {}).get("urn")
    try:
        urn = client.user_urn(ref)
        frame = client.tracks_df(urn, limit, progress=False)
        if frame[columns].isna().any().any():
            raise SchemaError(
                f"tracks of {given} have no value in {columns}: partition on user_id instead"
            )
        dirs = _partition_dirs(frame, columns)
        to_parquet(frame, root, partition_cols=columns)
    except _FATAL:
        raise
    except (SoundCloudError, SchemaError) as exc:
        log.warning("export: %s failed: %s", given, exc)
        kept = old if old is not None else {"rows": 0, "fetched_at": None, "partitions": []}
        return {
            "user": given, "urn": urn, "status": "failed", "rows": kept["rows"],
            "fetched_at": kept["fetched_at"], "attempted_at": attempted_at,
            "error": str(exc) or type(exc).__name__, "limit": limit,
            "partitions": kept["partitions"],
        }  # fmt: skip
    _remove_partitions(root, sorted(set((old or {}).get("partitions", [])) - set(dirs)))
    log.info("export: %s: %d rows", given, len(frame))
    return {
        "user": given, "urn": urn, "status": "ok", "rows": len(frame),
        "fetched_at": frame.attrs.get("fetched_at", attempted_at), "attempted_at": attempted_at,
        "error": None, "limit": limit, "partitions": dirs,
    }  # fmt: skip


def _manifest_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        entries,
        columns=["user", "urn", "status", "rows", "fetched_at", "attempted_at", "skipped",
                 "error", "partitions"],
    )  # fmt: skip
    for name in ("fetched_at", "attempted_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]"
        )
    return frame.astype({"user": "str", "urn": "str", "status": "str", "rows": "Int64",
                         "skipped": "bool", "error": "str"})  # fmt: skip


def export_tracks(
    users: str | int | Sequence[str | int],
    path: str | os.PathLike[str],
    *,
    partition_cols: Sequence[str] = ("user_permalink",),
    workers: int = DEFAULT_WORKERS,
    limit: int | None = None,
    max_age: float | None = None,
    client: Client | None = None,
) -> pd.DataFrame:
    """Export many users' tracks to a hive-partitioned Parquet dataset, resuming earlier runs.

    Parameters
    ----------
    users : str, int or sequence of them
        Usernames, ids, URNs or profile URLs (validated before anything is fetched).
    path : str or os.PathLike
        The dataset directory (created if needed; its parent must exist).
    partition_cols : sequence of str, default ("user_permalink",)
        Hive partition columns; one of ``user_permalink``, ``user_id``, ``user_urn`` must be
        among them so that each partition belongs to one user.
    workers : int, default 8
        Users fetched at once.
    limit : int, optional
        At most this many tracks per user, newest first (default: all).
    max_age : float, optional
        Seconds a successful export stays fresh; fresh users are skipped. Default: the
        client's ``expire_after``; ``0`` fetches every user again.
    client : scdata.Client, optional
        Default: the default client (from the environment).

    Returns
    -------
    pandas.DataFrame
        The manifest rows of these users, in the order given: ``user``, ``urn``, ``status``
        (``"ok"``/``"failed"``), ``rows`` (on disk), ``fetched_at``, ``attempted_at``,
        ``skipped`` (fresh, not fetched this time), ``error``, ``partitions``.

    Raises
    ------
    InvalidUserError, ValueError
        A bad user or ``limit``, a user listed twice, bad ``partition_cols``, or a dataset
        partitioned on other columns.
    AuthError, ConfigurationError
        Credentials that fail for every user (the job stops).

    Examples
    --------
    >>> import scdata
    >>> manifest = scdata.export_tracks(["artist-001", "artist-002", "no-such-user"], "tracks")
    >>> manifest[["user", "status", "rows"]]
               user  status  rows
    0    artist-001      ok   500
    1    artist-002      ok   500
    2  no-such-user  failed     0
    >>> manifest.loc[2, "error"]
    'No se pudo encontrar al usuario no-such-user'
    >>> len(scdata.read_parquet("tracks"))
    1000
    >>> scdata.export_tracks(["artist-001"], "tracks")["skipped"].tolist()  # still fresh
    [True]
    """
    values = [users] if isinstance(users, str | int) else list(users)
    refs = user_refs(users if isinstance(users, str | int) else values)
    given = [str(u) for u in values]
    columns = list(partition_cols)
    usable = {c.name for c in TRACK_COLUMNS if c.kind in ("int", "str")}
    if not set(columns) <= usable or not any(c in _USER_KEYS for c in columns):
        raise ValueError(
            "partition_cols must be integer or string track columns including one of "
            f"{_USER_KEYS}, got {columns}"
        )
    limit = check_count("limit", limit, minimum=1, allow_none=True)
    client = client or default_client()
    if max_age is None:
        max_age = client.settings.expire_after
    if isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age < 0:
        raise ValueError(f"max_age must be a number of seconds >= 0, got {max_age!r}")
    root = Path(path).expanduser()
    root.mkdir(exist_ok=True)
    manifest = _Manifest(root, columns)
    cutoff = datetime.now(UTC) - timedelta(seconds=max_age)
    stop = threading.Event()

    def job(i: int) -> dict[str, Any] | None:
        old = manifest.entries.get(_key(refs[i]))
        if _fresh(old, root, limit, cutoff):
            return {**old, "user": given[i], "skipped": True}  # type: ignore[dict-item]
        if stop.is_set():
            return None
        try:
            entry = _export_one(client, refs[i], given[i], old, root, columns, limit)
        except _FATAL:
            stop.set()
            raise
        manifest.record(entry)
        return {**entry, "skipped": False}

    try:
        entries = run_all(job, range(len(refs)), workers)  # type: ignore[arg-type]
    finally:
        manifest.flush()
    return _manifest_frame([e for e in entries if e is not None])


# --------------------------------------------------------------------------- for the CLI


def read_users_file(path: str | os.PathLike[str]) -> list[str]:
    """Read one user per line; blank lines and ``#`` comments are ignored.

    Examples
    --------
    >>> _ = Path("users.txt").write_text("# my list\\nartist-001\\n\\nartist-002  # new\\n")
    >>> read_users_file("users.txt")
    ['artist-001', 'artist-002']
    """
    lines = Path(path).expanduser().read_text(encoding="utf-8-sig").splitlines()
    return [user for line in lines if (user := line.split("#", 1)[0].strip())]


def export_summary(manifest: pd.DataFrame, path: str | os.PathLike[str]) -> str:
    """One line about an export: users ok, skipped and failed, and the rows in the dataset.

    Examples
    --------
    >>> print(export_summary(scdata.export_tracks(["artist-003"], "tracks"), "tracks"))
    export: 1 users: 1 ok (1 fetched, 0 fresh), 0 failed; 500 rows in tracks
    """
    ok = manifest["status"] == "ok"
    skipped = int((ok & manifest["skipped"]).sum())
    return (
        f"export: {len(manifest)} users: {int(ok.sum())} ok ({int(ok.sum()) - skipped} fetched, "
        f"{skipped} fresh), {int((~ok).sum())} failed; {int(manifest['rows'].sum())} rows "
        f"in {path}"
    )
