"""Export many users' tracks (or any collection of many owners) to one hive-partitioned
Parquet dataset that can be resumed.

:func:`export_collection` does it for any list of :data:`scdata._resources.COLLECTIONS`
(``scdata export --what followers``): the followers of many users, the comments on many
tracks, each owner's list in its own partition (``followed_urn=…``, ``track_urn=…``), with the
same manifest, resuming and walls; :func:`export_tracks` is ``export_collection("tracks", …)``.

:func:`export_tracks` fetches users concurrently and writes each one's tracks to its own
partition (``user_permalink=<name>/part-0.parquet``) with :func:`scdata.frames.files.to_parquet`,
then records the result in the manifest, ``<dir>.manifest.json`` beside the dataset
directory (the directory holds nothing but Parquet files, so pandas, pyarrow, Spark, DuckDB
(``read_parquet('dir/**')``) and ``polars.scan_parquet(dir)`` all read it as it is). A user
that fails is recorded and the others go on. Running it again skips users whose partition is
complete and fresh and retries the rest; a partition written again replaces the old one, so
rows are never duplicated. One user given in several forms (name, id, URN, URL) is fetched once,
under the first form given; the others are listed in its ``merged``.

Stopping at a wall
------------------
Some errors are the same for every user: SoundCloud's rate limit or its CloudFront block
(:class:`~scdata.RateLimitError`, :class:`~scdata.BlockedError`), failing credentials or a
token cool-down (:class:`~scdata.AuthError`, :class:`~scdata.TokenCooldownError`) and bad
settings (:class:`~scdata.ConfigurationError`). The first one stops the whole job: no user
is started after it (the users already being fetched finish or fail), the users it hit are
recorded as ``failed`` with its message, the users never started as ``not_attempted``, and
the error is raised with the job's manifest frame as its ``manifest`` attribute. The next
run fetches the failed and not-attempted users and skips the finished fresh ones.

What is atomic
--------------
- Each user's partition: written to a temporary directory and renamed into place
  (see :mod:`scdata.frames.files`). A reader sees the old rows of a user or the new ones.
- ``<dir>.manifest.json``: rewritten with a temporary file and a rename, under a lock
  (``.<dir>.manifest.json.lock``, beside it) and merged with what is on disk, so processes
  exporting into one directory do not lose each other's entries. It is written at most once a
  second while the job runs (each write holds every user's entry) and once at the end.
- Not the job as a whole: a job killed half-way leaves the finished users' partitions and
  their manifest entries, bar the last second's. The next run skips users recorded as done
  and fetches the others; a partition whose entry was not written is fetched and replaced.

Manifest (JSON)::

    {"format": 1, "table": "tracks", "partition_cols": ["user_permalink"],
     "updated_at": "2026-01-01T12:00:00+00:00",
     "stopped": null,
     "users": [{"user": "artist-001", "urn": "soundcloud:users:400007919", "status": "ok",
                "rows": 495, "fetched_at": "...", "attempted_at": "...", "error": null,
                "limit": null, "partitions": ["user_permalink=artist-001"],
                "merged": []}, ...]}

``status`` is ``"ok"``, ``"failed"`` or ``"not_attempted"`` (the job stopped before this
user; ``error`` says why). ``merged`` lists the other forms of this user given in the same
run. ``stopped`` is ``null``, or ``{"at": ..., "error": ..., "error_type": ...}`` when the
last run that wrote the file stopped at a wall. ``rows``, ``fetched_at`` and ``partitions``
describe the rows on disk, so ``rows`` adds up to the rows of the dataset. A failed or
not-attempted user keeps the rows of its last success, if any; ``attempted_at`` and
``error`` describe the last attempt.

The manifest is only a record: an entry of the wrong shape (a partition outside the
dataset or not of the ``col=value`` form scdata writes, a bad date, a wrong type) or a
file that is not a manifest is ignored with a WARNING and rebuilt, and nothing outside the
dataset directory is ever deleted. A ``_manifest.json`` inside the directory (where earlier
versions kept it) is read when the new file is missing, and removed once the new one is
written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import numbers
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import filelock
import pandas as pd

from .._checks import check_count
from .._client import Client, default_client
from .._collect import Failures, Input, frame_columns
from .._fanout import DEFAULT_WORKERS, run_all, user_refs
from .._resources import Collection, collection
from ..errors import (
    ArgumentError,
    AuthError,
    ConfigurationError,
    InvalidReferenceError,
    RateLimitError,
    SchemaError,
    SoundCloudError,
)
from ..frames.files import check_output, to_parquet, write_atomically
from ..http.refs import ItemRef, UserRef, item_noun, parse_item, parse_user

__all__ = ["MANIFEST", "STATUSES", "default_partition_cols", "export_collection",
           "export_summary", "export_tracks", "manifest_path", "read_users_file",
           "stop_summary"]  # fmt: skip

log = logging.getLogger("scdata")

#: The manifest's suffix: ``tracks/`` is recorded in ``tracks.manifest.json`` beside it.
MANIFEST = ".manifest.json"
#: Where earlier versions kept the manifest and its lock, inside the dataset (polars and
#: ``duckdb.read_parquet('dir/**')`` fail on any file there that is not Parquet).
_OLD_MANIFEST, _OLD_LOCK = "_manifest.json", ".manifest.lock"
#: The values of an entry's ``status``.
STATUSES = ("ok", "failed", "not_attempted")
_FORMAT = 1
_USER_KEYS = ("user_permalink", "user_id", "user_urn")
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: The same for every user (a wall, credentials, settings): the job stops at the first one.
#: RateLimitError includes BlockedError, AuthError includes TokenCooldownError.
_STOP = (RateLimitError, AuthError, ConfigurationError)
#: What ``quote(value, safe="")`` leaves in a partition value.
_PARTITION_VALUE = re.compile(r"[A-Za-z0-9_.~%-]+")
_URN = {kind: re.compile(rf"soundcloud:{kind}:[0-9]+") for kind in ("users", "tracks", "playlists")}
T = TypeVar("T")
R = TypeVar("R")
#: The manifest is written at most this often while a job runs, and when it ends.
FLUSH_SECONDS = 1.0


# --------------------------------------------------------------------------- the manifest


def manifest_path(root: str | os.PathLike[str]) -> Path:
    """The manifest of the dataset directory ``root``: ``<root>.manifest.json`` beside it.

    Examples
    --------
    >>> manifest_path("exports/tracks").as_posix()
    'exports/tracks.manifest.json'
    """
    root = Path(root).expanduser()
    if not root.name:  # "." or "dir/.."
        root = root.absolute().resolve()
    return root.with_name(root.name + MANIFEST)


Ref = UserRef | ItemRef


def _parse(value: object, owner: str, name: str = "user") -> Ref:
    """One owner as given: a user (with the user parser's messages), a track or a playlist."""
    if owner == "users":
        return parse_user(value, name)
    return parse_item(value, (owner,), name)


def _key(ref: Ref) -> str:
    return ref.key


def _entry_keys(entry: dict[str, Any], owner: str = "users") -> set[str]:
    """The keys an entry is found by: its owner as given, and its URN when known."""
    keys = {_key(_parse(entry["user"], owner))}
    if entry.get("urn"):
        keys.add(entry["urn"])
    return keys


def _partition_ok(directory: object, columns: list[str]) -> bool:
    """True for a relative ``col=value[/col=value]`` path of exactly these columns."""
    if not isinstance(directory, str):
        return False
    parts = directory.split("/")
    return len(parts) == len(columns) and all(
        part.startswith(f"{col}=") and _PARTITION_VALUE.fullmatch(part[len(col) + 1 :])
        for part, col in zip(parts, columns, strict=True)
    )


def _timestamp_ok(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _count_ok(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _entry_problem(entry: object, columns: list[str], owner: str = "users") -> str | None:
    """What is wrong with one manifest entry, or None when it can be used."""
    if not isinstance(entry, dict):
        return f"an entry is a {type(entry).__name__}, not an object"
    user = entry.get("user")
    try:
        _parse(user, owner)
    except InvalidReferenceError:  # InvalidUserError too
        return f"user {user!r} is not {item_noun(owner)}"
    checks = {
        "urn": entry.get("urn") is None
        or (isinstance(entry["urn"], str) and _URN[owner].fullmatch(entry["urn"]) is not None),
        "status": entry.get("status") in STATUSES,
        "rows": _count_ok(entry.get("rows"), 0),
        "fetched_at": _timestamp_ok(entry.get("fetched_at")),
        "attempted_at": _timestamp_ok(entry.get("attempted_at")),
        "error": entry.get("error") is None or isinstance(entry["error"], str),
        "limit": entry.get("limit") is None or _count_ok(entry["limit"], 1),
        "partitions": isinstance(entry.get("partitions"), list)
        and all(_partition_ok(d, columns) for d in entry["partitions"]),
        "merged": isinstance(entry.get("merged", []), list)
        and all(isinstance(m, str) for m in entry.get("merged", [])),
    }
    bad = [name for name, ok in checks.items() if not ok]
    return f"{user}: bad {', '.join(bad)}" if bad else None


class _Manifest:
    """The manifest file of one dataset: read and checked once, then updated user by user.

    Entries are written at most every :data:`FLUSH_SECONDS` (and by :meth:`flush`), merged
    under a file lock with what other processes wrote meanwhile.
    """

    def __init__(
        self, root: Path, partition_cols: list[str], table: str = "tracks", owner: str = "users"
    ) -> None:
        self.root = root
        self.path = manifest_path(root)
        self._old = root / _OLD_MANIFEST  # read while the new file is missing, then removed
        self.partition_cols = partition_cols
        self.table, self.owner = table, owner
        self._thread_lock = threading.Lock()
        self._file_lock = filelock.FileLock(self.path.with_name(f".{self.path.name}.lock"))
        self._mine: dict[str, dict[str, Any]] = {}
        self._pending = False
        self._written = time.monotonic()
        #: ``None``, or why this job stopped (written as the document's ``stopped``)
        self.stopped: dict[str, str] | None = None
        self._found: dict[str, dict[str, Any]] = {}
        for entry in self._read(warn=True):  # the entries found when the job started
            for key in _entry_keys(entry, owner):
                self._found.setdefault(key, entry)

    def find(self, ref: Ref, urn: str | None = None) -> dict[str, Any] | None:
        """The entry found at the start for this user (by the form given, else by URN)."""
        entry = self._found.get(_key(ref))
        if entry is None and urn is not None:
            entry = self._found.get(urn)
        return entry

    def _read(self, *, warn: bool) -> list[dict[str, Any]]:
        def ignore(why: str) -> list[dict[str, Any]]:
            if warn:
                log.warning(
                    "ignoring %s (%s): it is rebuilt and every user is fetched again",
                    self.path,
                    why,
                )
            return []

        path = self.path if self.path.exists() or not self._old.exists() else self._old
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError too
            return ignore(str(exc))
        if not isinstance(data, dict):
            return ignore(f"a JSON {type(data).__name__}, not an object")
        columns, users = data.get("partition_cols"), data.get("users")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return ignore(f"partition_cols is {columns!r}")
        if not isinstance(users, list):
            return ignore(f"users is a {type(users).__name__}, not a list")
        table = data.get("table", "tracks")
        if table != self.table:
            raise ArgumentError(
                f"{self.root} holds {table}, not {self.table}: export into another directory"
            )
        if columns != self.partition_cols:
            raise ArgumentError(
                f"{self.root} is partitioned on {columns}, not {self.partition_cols}: "
                "export into another directory or pass the same partition_cols"
            )
        problems = [p for p in (_entry_problem(e, columns, self.owner) for e in users) if p]
        if problems and warn:
            log.warning(
                "ignoring %d damaged entries of %s (%s%s): those users are fetched again",
                len(problems), self.path, problems[0], "; ..." if len(problems) > 1 else "",
            )  # fmt: skip
        return [e for e in users if _entry_problem(e, columns, self.owner) is None]

    def record(self, entry: dict[str, Any]) -> None:
        """Remember this user's new entry; write the file if the last write is old enough."""
        with self._thread_lock:
            self._mine[_key(_parse(entry["user"], self.owner))] = entry
            self._pending = True
            if time.monotonic() - self._written >= FLUSH_SECONDS:
                self._write()

    def flush(self) -> None:
        """Write the entries not written yet."""
        with self._thread_lock:
            if self._pending or self.stopped is not None:
                self._write()

    def _merged(self, disk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries on disk with mine in their place (one user, one entry), then mine."""
        keys = functools.partial(_entry_keys, owner=self.owner)
        mine_by_key = {key: e for e in self._mine.values() for key in keys(e)}
        out, placed = [], set()
        for entry in disk:
            hit = next((mine_by_key[k] for k in keys(entry) if k in mine_by_key), None)
            if hit is None:
                out.append(entry)
            elif id(hit) not in placed:
                out.append(hit)
                placed.add(id(hit))
        return out + [e for e in self._mine.values() if id(e) not in placed]

    def _write(self) -> None:
        with self._file_lock:
            document = {
                "format": _FORMAT,
                "table": self.table,
                "partition_cols": self.partition_cols,
                "updated_at": datetime.now(UTC).isoformat(),
                "stopped": self.stopped,
                "users": self._merged(self._read(warn=False)),
            }
            text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
            write_atomically(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            for old in (self._old, self._old.with_name(_OLD_LOCK)):
                with contextlib.suppress(OSError):
                    old.unlink()
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


def _inside(root: Path, directory: str, columns: list[str]) -> Path | None:
    """``root / directory`` if it is a partition directory inside the dataset, else None."""
    if not _partition_ok(directory, columns):
        return None
    target = root / directory
    real_root, real = Path(os.path.realpath(root)), Path(os.path.realpath(target))
    if real == real_root or real_root not in real.parents or target.is_symlink():
        return None
    return target


def _remove_partitions(root: Path, dirs: Sequence[str], columns: list[str]) -> None:
    """Delete partitions a user no longer has (e.g. after a rename); never outside `root`."""
    for d in dirs:
        target = _inside(root, d, columns)
        if target is None:
            log.warning("export: not deleting %r: not a partition inside %s", d, root)
            continue
        shutil.rmtree(target, ignore_errors=True)
        parent = target.parent
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


def _kept(old: dict[str, Any] | None) -> dict[str, Any]:
    """What an unsuccessful attempt keeps of the last success: the rows on disk."""
    old = old or {}
    return {"rows": old.get("rows", 0), "fetched_at": old.get("fetched_at"),
            "partitions": old.get("partitions", [])}  # fmt: skip


def _failed(given: str, urn: str | None, old: dict[str, Any] | None, limit: int | None,
            exc: Exception) -> dict[str, Any]:  # fmt: skip
    return {
        "user": given, "urn": urn, "status": "failed", **_kept(old),
        "attempted_at": datetime.now(UTC).isoformat(), "error": str(exc) or type(exc).__name__,
        "limit": limit,
    }  # fmt: skip


def _not_attempted(given: str, urn: str | None, old: dict[str, Any] | None,
                   limit: int | None, why: str) -> dict[str, Any]:  # fmt: skip
    return {
        "user": given, "urn": urn, "status": "not_attempted", **_kept(old),
        "attempted_at": (old or {}).get("attempted_at"), "error": why, "limit": limit,
    }  # fmt: skip


def _export_one(
    client: Client, declared: Collection, urn: str, given: str, old: dict[str, Any] | None,
    root: Path, columns: list[str], limit: int | None,
) -> dict[str, Any]:  # fmt: skip
    """Fetch one owner's list and replace its partition; a failure becomes a failed entry.

    The errors that stop the job (:data:`_STOP`) are raised.
    """
    attempted_at = datetime.now(UTC).isoformat()
    try:
        frame = client.collection_df(declared.name, urn, limit=limit, progress=False)
        assert isinstance(frame, pd.DataFrame)
        if frame[columns].isna().any().any():
            key = declared.owner_column or "user_id"
            raise SchemaError(
                f"{declared.name} of {given} have no value in {columns}: partition on {key} instead"
            )
        dirs = _partition_dirs(frame, columns)
        to_parquet(frame, root, partition_cols=columns)
    except _STOP:
        raise
    except SoundCloudError as exc:  # SchemaError included
        log.warning("export: %s failed: %s", given, exc)
        return _failed(given, urn, old, limit, exc)
    _remove_partitions(root, sorted(set(_kept(old)["partitions"]) - set(dirs)), columns)
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
                 "error", "partitions", "merged"],
    )  # fmt: skip
    for name in ("fetched_at", "attempted_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]"
        )
    return frame.astype({"user": "str", "urn": "str", "status": "str", "rows": "Int64",
                         "skipped": "bool", "error": "str"})  # fmt: skip


def _given(owners: object, owner: str) -> tuple[list[Ref], list[str]]:
    """Validate the owners (each named ``users[i]``, ``tracks[i]``...); duplicates are
    allowed, merged later."""
    if owner == "users" and (
        isinstance(owners, str | numbers.Integral | dict | bytes)
        or not isinstance(owners, Iterable)
    ):
        return list(user_refs(owners)), [str(owners)]  # one user; raises for a non-user
    if isinstance(owners, str | numbers.Integral) or not isinstance(owners, Iterable):
        return [_parse(owners, owner, owner)], [str(owners)]
    if isinstance(owners, dict | bytes):
        return [_parse(owners, owner, owner)], []  # raises, naming the type
    values = list(owners)
    if not values:
        if owner == "users":
            user_refs(values)  # raises: an empty list
        raise ArgumentError(f"{owner} must name at least one {owner[:-1]}, got an empty list")
    refs = [_parse(v, owner, f"{owner}[{i}]") for i, v in enumerate(values)]
    return refs, [str(v) for v in values]


class _Job:
    """One export run: its users, what each became, and the first error that stopped it."""

    def __init__(self, declared: Collection, refs: list[Ref], given: list[str],
                 manifest: _Manifest, client: Client, root: Path, columns: list[str],
                 limit: int | None, cutoff: datetime) -> None:  # fmt: skip
        self.declared = declared
        self.refs, self.given, self.manifest, self.client = refs, given, manifest, client
        self.root, self.columns, self.limit, self.cutoff = root, columns, limit, cutoff
        #: the indices of the other forms of user i given, merged into it
        self.merged: dict[int, list[int]] = {i: [] for i in range(len(refs))}
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    @property
    def stopped(self) -> bool:
        return self.error is not None

    def halt(self, exc: BaseException, user: str = "") -> None:
        """Stop the job at `exc` (the first one wins): no user is started after this."""
        with self._lock:
            if self.error is not None:
                return
            self.error = exc
            self.manifest.stopped = {
                "at": datetime.now(UTC).isoformat(),
                "error": " ".join(str(exc).split()) or type(exc).__name__,
                "error_type": type(exc).__name__,
            }
        if isinstance(exc, _STOP):
            log.info(
                "export: stopping at %s: %s; users not started are left for the next run",
                user, exc,
            )  # fmt: skip

    def not_attempted(self, i: int, urn: str | None, old: dict[str, Any] | None) -> dict[str, Any]:
        stopped = self.manifest.stopped or {}
        why = f"not attempted: the export stopped at {stopped.get('error_type', 'an error')}: "
        return _not_attempted(self.given[i], urn, old, self.limit,
                              why + stopped.get("error", ""))  # fmt: skip

    def guarded(self, job: Callable[[T], R]) -> Callable[[T], R]:
        """`job`, stopping the job at anything unexpected too (disk full, a bug)."""

        def run(item: T) -> R:
            try:
                return job(item)
            except BaseException as exc:
                self.halt(exc)
                raise

        return run

    def resolve(self, i: int) -> str | dict[str, Any]:
        """The user's URN (no request for an id or a fresh entry), or their finished entry."""
        ref = self.refs[i]
        if ref.urn is not None:
            return ref.urn
        old = self.manifest.find(ref)
        if old is not None and old.get("urn") and _fresh(old, self.root, self.limit, self.cutoff):
            return str(old["urn"])
        if self.stopped:
            return self.not_attempted(i, None, old)
        try:
            return self._urn(i)
        except _STOP as exc:
            self.halt(exc, self.given[i])
            return _failed(self.given[i], None, old, self.limit, exc)
        except SoundCloudError as exc:
            log.warning("export: %s failed: %s", self.given[i], exc)
            return _failed(self.given[i], None, old, self.limit, exc)

    def fetch(self, i: int, urn: str) -> dict[str, Any]:
        """The user's entry: skipped when fresh, else fetched (unless the job stopped)."""
        old = self.manifest.find(self.refs[i], urn)
        if old is not None and _fresh(old, self.root, self.limit, self.cutoff):
            return {**old, "user": self.given[i], "merged": self.forms(i), "skipped": True}
        if self.stopped:
            entry = self.not_attempted(i, urn, old)
        else:
            try:
                entry = _export_one(self.client, self.declared, urn, self.given[i], old,
                                    self.root, self.columns, self.limit)  # fmt: skip
            except _STOP as exc:
                self.halt(exc, self.given[i])
                entry = _failed(self.given[i], urn, old, self.limit, exc)
        return self.finish(i, entry)

    def _urn(self, i: int) -> str:
        """Owner i's URN: ``/resolve`` for a name or a link (cached)."""
        ref, owner = self.refs[i], self.declared.owner
        if isinstance(ref, UserRef):
            return self.client.user_urn(ref)
        # a track or playlist: the collector's resolve (its messages, its /resolve)
        options = self.client._options(None, None)
        found = self.client.collector.resolve(
            [Input(self.given[i], ref)], (owner,), options, 1, Failures("raise")
        )
        return found[0].urn or ""

    def forms(self, i: int) -> list[str]:
        """The other forms of user i given, in the order given."""
        return [self.given[j] for j in sorted(self.merged[i])]

    def finish(self, i: int, entry: dict[str, Any]) -> dict[str, Any]:
        entry = {**entry, "merged": self.forms(i)}
        self.manifest.record(entry)
        return {**entry, "skipped": False}


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
        Usernames, ids, URNs or profile URLs (validated before anything is fetched). A
        user given twice, in any forms, is fetched once under the first form given.
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
        client's ``expire_after``, or ``0`` (every user fetched again) when the client was
        made with ``refresh=True``.
    client : scdata.Client, optional
        Default: the default client (from the environment).

    Returns
    -------
    pandas.DataFrame
        The manifest rows of these users, one per user in the order given: ``user``,
        ``urn``, ``status`` (``"ok"``/``"failed"``), ``rows`` (on disk), ``fetched_at``,
        ``attempted_at``, ``skipped`` (fresh, not fetched this time), ``error``,
        ``partitions``, ``merged`` (the other forms of this user given, fetched once).

    Raises
    ------
    InvalidUserError, ArgumentError
        A bad user or ``limit``, bad ``partition_cols``, or a dataset partitioned on other
        columns (before any request); both are ``ValueError`` too.
    FileNotFoundError, NotADirectoryError, PermissionError
        `path` cannot be a dataset directory (before any request).
    RateLimitError, BlockedError, AuthError, TokenCooldownError, ConfigurationError
        The job stopped at this error (see the module's "Stopping at a wall"). The error's
        ``manifest`` attribute holds the frame that would have been returned, with
        ``status`` ``"not_attempted"`` for the users never started; the manifest file
        records them too.

    Examples
    --------
    >>> import scdata
    >>> manifest = scdata.export_tracks(["artist-001", "artist-002", "no-such-user"], "tracks")
    >>> manifest[["user", "status", "rows"]]
               user  status  rows
    0    artist-001      ok   500
    1    artist-002      ok   500
    2  no-such-user  failed     0
    >>> print(manifest.loc[2, "error"])  # doctest: +ELLIPSIS
    No se pudo encontrar al usuario no-such-user — check the spelling ...
    >>> len(scdata.read_parquet("tracks"))
    1000
    >>> again = scdata.export_tracks(["artist-001", "soundcloud:users:400007919"], "tracks")
    >>> again[["user", "skipped", "merged"]]  # still fresh; one user in two forms
             user  skipped                        merged
    0  artist-001     True  [soundcloud:users:400007919]
    """
    return export_collection(
        "tracks", users, path, partition_cols=partition_cols, workers=workers, limit=limit,
        max_age=max_age, client=client,
    )  # fmt: skip


def _owner_keys(declared: Collection) -> tuple[str, ...]:
    """The columns that say whose list a row is in (one of them must be a partition column)."""
    return (declared.owner_column,) if declared.owner_column else _USER_KEYS


def default_partition_cols(what: str) -> tuple[str, ...]:
    """How :func:`export_collection` partitions ``what`` unless told otherwise.

    The owner's permalink for the lists that carry it (a user's tracks and playlists), else
    the owner column scdata adds (``followed_urn``, ``track_urn``...).

    Examples
    --------
    >>> default_partition_cols("tracks"), default_partition_cols("followers")
    (('user_permalink',), ('followed_urn',))
    """
    declared = collection(what)
    return (declared.owner_column,) if declared.owner_column else ("user_permalink",)


def export_collection(
    what: str,
    owners: str | int | Sequence[str | int],
    path: str | os.PathLike[str],
    *,
    partition_cols: Sequence[str] | None = None,
    workers: int = DEFAULT_WORKERS,
    limit: int | None = None,
    max_age: float | None = None,
    client: Client | None = None,
) -> pd.DataFrame:
    """Export a collection of many owners to a hive-partitioned Parquet dataset, resumably.

    :func:`export_tracks` for any list of :data:`scdata._resources.COLLECTIONS`: the
    followers of many users, the comments on many tracks, the tracks of many playlists. Each
    owner's list is fetched with :meth:`scdata.Client.collection_df` (typed, cached, walked
    to its end) and written to its own partition; the manifest, resuming and stopping at a
    wall are exactly those of :func:`export_tracks` (the manifest's ``table`` is ``what``,
    and its entries' ``user`` is the owner as given, a track or playlist for lists owned by
    one).

    Parameters
    ----------
    what : str
        A collection name: ``"followers"``, ``"likes_tracks"``, ``"comments"``...
    owners : str, int or sequence of them
        The users, tracks or playlists whose lists are exported (validated first).
    path : str or os.PathLike
        The dataset directory (created if needed; its parent must exist). A directory holds
        one collection: exporting another into it raises.
    partition_cols : sequence of str, optional
        Default :func:`default_partition_cols` (``followed_urn`` for followers). One column
        naming the owner must be among them.
    workers, limit, max_age, client
        As for :func:`export_tracks` (``limit``: rows per owner).

    Returns
    -------
    pandas.DataFrame
        The manifest rows of these owners, as :func:`export_tracks` returns them.

    Examples
    --------
    >>> import scdata
    >>> from scdata.datasets.export import export_collection
    >>> manifest = export_collection("followings", ["jowymusic", "bjork-unicode"], "follows")
    >>> manifest[["user", "status"]]
                user status
    0      jowymusic     ok
    1  bjork-unicode     ok
    >>> sorted(scdata.read_parquet("follows")["follower_urn"].unique()) == sorted(manifest["urn"])
    True
    """
    declared = collection(what)
    refs, given = _given(owners, declared.owner)
    columns = list(default_partition_cols(what) if partition_cols is None else partition_cols)
    frame_cols = frame_columns(declared.item, [declared])
    usable = {c.name for c in frame_cols if c.kind in ("int", "str")}
    keys = _owner_keys(declared)
    if not set(columns) <= usable or not any(c in keys for c in columns):
        noun = "track" if what == "tracks" else f"{what}"
        raise ArgumentError(
            f"partition_cols must be integer or string {noun} columns including one of "
            f"{keys}, got {columns}"
        )
    limit = check_count("limit", limit, minimum=1, allow_none=True)
    root = check_output(path, dataset=True)
    client = client or default_client()
    if max_age is None:  # refresh=True refetches every user, not only their cache entries
        max_age = 0 if client.settings.refresh else client.settings.expire_after
    if isinstance(max_age, bool) or not isinstance(max_age, int | float) or not max_age >= 0:
        raise ArgumentError(f"max_age must be a number of seconds >= 0, got {max_age!r}")
    root.mkdir(exist_ok=True)
    manifest = _Manifest(root, columns, what, declared.owner)
    cutoff = datetime.now(UTC) - timedelta(seconds=max_age)
    job = _Job(declared, refs, given, manifest, client, root, columns, limit, cutoff)

    # the same form twice: merged at once; then the URNs (one cached /resolve per name)
    first: dict[str, int] = {}
    for i, ref in enumerate(refs):
        if _key(ref) in first:
            job.merged[first[_key(ref)]].append(i)
        else:
            first[_key(ref)] = i
    distinct = list(first.values())
    entries: dict[int, dict[str, Any]] = {}
    try:
        resolved = run_all(job.guarded(job.resolve), distinct, workers)
        by_urn: dict[str, int] = {}
        fetch: list[tuple[int, str]] = []
        for i, result in zip(distinct, resolved, strict=True):
            if isinstance(result, dict):
                entries[i] = job.finish(i, result)
            elif result in by_urn:
                job.merged[by_urn[result]] += [i, *job.merged[i]]
            else:
                by_urn[result] = i
                fetch.append((i, result))
        fetched = run_all(job.guarded(lambda pair: job.fetch(*pair)), fetch, workers)
        entries.update({i: e for (i, _), e in zip(fetch, fetched, strict=True)})
    finally:
        manifest.flush()
    frame = _manifest_frame([entries[i] for i in sorted(entries)])
    if job.error is not None:
        exc = job.error
        # documented above: whatever stopped the job carries the manifest so far (any exception
        # takes an attribute; no exception class declares this one)
        exc.manifest = frame  # type: ignore[attr-defined]
        raise exc
    return frame


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


def _counts(manifest: pd.DataFrame) -> tuple[int, int, int, int]:
    """Users ok, failed and not attempted, and forms merged into another."""
    status = manifest["status"]
    merged = int(manifest["merged"].map(len).sum()) if "merged" in manifest else 0
    return (int((status == "ok").sum()), int((status == "failed").sum()),
            int((status == "not_attempted").sum()), merged)  # fmt: skip


def export_summary(
    manifest: pd.DataFrame, path: str | os.PathLike[str], owners: str = "users"
) -> str:
    """One line about an export: users ok, skipped and failed, and the rows in the dataset.

    Users not attempted (the job stopped) and duplicates merged are named when there are
    any. The rows are those on disk for these users, so they add up to the dataset's rows.
    ``owners`` names the entries (``"tracks"`` for an export of comments).

    Examples
    --------
    >>> print(export_summary(scdata.export_tracks(["artist-003"], "tracks"), "tracks"))
    export: 1 users: 1 ok (1 fetched, 0 fresh), 0 failed; 500 rows in tracks
    >>> both = scdata.export_tracks(["artist-003", "https://soundcloud.com/Artist-003"], "tracks")
    >>> print(export_summary(both, "tracks"))
    export: 1 users: 1 ok (0 fetched, 1 fresh), 0 failed; 1 duplicate merged; 500 rows in tracks
    """
    ok, failed, not_attempted, merged = _counts(manifest)
    skipped = int(((manifest["status"] == "ok") & manifest["skipped"]).sum())
    parts = [f"export: {len(manifest)} {owners}: {ok} ok ({ok - skipped} fetched, "
             f"{skipped} fresh), {failed} failed"]  # fmt: skip
    if not_attempted:
        parts[0] += f", {not_attempted} not attempted"
    if merged:
        parts.append(f"{merged} duplicate{'s' if merged > 1 else ''} merged")
    parts.append(f"{int(manifest['rows'].sum())} rows in {path}")
    return "; ".join(parts)


def stop_summary(error: BaseException, path: str | os.PathLike[str], owners: str = "users") -> str:
    """One line about an export that stopped at `error` (raised by :func:`export_tracks`).

    ``owners`` names the entries, as for :func:`export_summary`.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": ["ok", "failed", "not_attempted"], "merged": [[]] * 3})
    >>> error = scdata.BlockedError("SoundCloud is blocking this IP")
    >>> error.manifest = frame
    >>> print(stop_summary(error, "tracks"))  # doctest: +NORMALIZE_WHITESPACE
    export stopped: SoundCloud is blocking this IP; 1 users done, 1 failed, 1 not attempted
    (see tracks.manifest.json); run it again to resume
    """
    manifest = getattr(error, "manifest", None)
    ok, failed, not_attempted, _ = _counts(manifest) if manifest is not None else (0, 0, 0, 0)
    why = " ".join(str(error).split()) or type(error).__name__
    return (
        f"export stopped: {why}; {ok} {owners} done, {failed} failed, {not_attempted} not "
        f"attempted (see {manifest_path(path)}); run it again to resume"
    )
