"""A small JSON record shared by every thread, process or machine that shares a cache.

The shared back-off (a throttled API pauses every worker, not one thread) and the token circuit
breaker (after a failed token request, nobody asks again until a cool-down passes) must be seen
by everyone who shares the token: threads of one client, processes sharing a cache directory,
a fleet sharing Redis. Each keeps its record in one of these:

| ``cache``      | record                                                   |
|----------------|----------------------------------------------------------|
| ``memory``     | this process                                             |
| ``sqlite``/``off`` | a 0600 JSON file in the cache directory, under a file lock |
| ``redis://…``  | one Redis key, under a Redis lock                        |

:meth:`SharedState.update` is an atomic read-modify-write. A record that cannot be read (a
damaged file, a key of the wrong shape) is an empty record, never a crash; a file that cannot be
written (read-only directory, full disk) is kept in memory after one warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import filelock

from .atomicfile import write_bytes_atomically

log = logging.getLogger("scdata")

Record = dict[str, Any]
Change = Callable[[Record], Record | None]


class SharedState(Protocol):
    """An atomically updated JSON record."""

    def read(self) -> Record:
        """A copy of the record (``{}`` when there is none or it cannot be read)."""
        ...

    def update(self, change: Change) -> Record:
        """Apply ``change`` to a copy of the record atomically; store and return the result.

        ``change`` may edit the dict in place and return ``None``, or return a new dict.
        """
        ...


def _apply(record: Record, change: Change) -> Record:
    result = change(record)
    return record if result is None else result


def _decode(raw: bytes | str | None) -> Record:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


class MemoryState:
    """A record in this process.

    Examples
    --------
    >>> state = MemoryState()
    >>> state.update(lambda r: {**r, "n": r.get("n", 0) + 1})
    {'n': 1}
    >>> state.read()
    {'n': 1}
    """

    def __init__(self) -> None:
        self._record: Record = {}
        self._lock = threading.RLock()

    def read(self) -> Record:
        with self._lock:
            record: Record = json.loads(json.dumps(self._record))
            return record

    def update(self, change: Change) -> Record:
        with self._lock:
            record = _apply(self.read(), change)
            self._record = json.loads(json.dumps(record))
            return record

    def __repr__(self) -> str:
        return "MemoryState()"


class FileState:
    """A record in a 0600 JSON file, updated under a file lock (processes of one machine).

    Parameters
    ----------
    path : Path
        The JSON file (its directory is created 0700 when missing).

    Examples
    --------
    >>> import tempfile
    >>> state = FileState(Path(tempfile.mkdtemp()) / "state.json")
    >>> state.update(lambda r: r.update(paused_until=5.0))
    {'paused_until': 5.0}
    >>> FileState(state.path).read()
    {'paused_until': 5.0}
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(f".{self.path.name}.lock")
        self._filelock: filelock.FileLock | None = None
        self._thread_lock = threading.RLock()
        self._fallback: MemoryState | None = None  # set once the file cannot be used

    def _read_file(self) -> Record:
        try:
            return _decode(self.path.read_bytes())
        except OSError:
            return {}

    def read(self) -> Record:
        if self._fallback is not None:
            return self._fallback.read()
        return self._read_file()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._filelock is None:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._filelock = filelock.FileLock(self._lock_path, mode=0o600)
            with self._filelock:
                yield

    def update(self, change: Change) -> Record:
        if self._fallback is None:
            try:
                with self._locked():
                    record = _apply(self._read_file(), change)
                    data = json.dumps(record, separators=(",", ":")).encode()
                    write_bytes_atomically(self.path, data, mode=0o600, durable=False)
                    return record
            except OSError as exc:
                self._fall_back(exc)
        assert self._fallback is not None
        return self._fallback.update(change)

    def _fall_back(self, exc: OSError) -> None:
        with self._thread_lock:
            if self._fallback is None:
                log.warning(
                    "cannot write %s (%s); keeping this state in memory, so other processes "
                    "will not see it",
                    self.path,
                    exc.strerror or type(exc).__name__,
                )
                fallback = MemoryState()
                current = self._read_file()
                fallback.update(lambda _: current)
                self._fallback = fallback

    def __repr__(self) -> str:
        return f"FileState({str(self.path)!r})"


class RedisState:
    """A record in one Redis key, updated under a Redis lock (a whole fleet).

    Parameters
    ----------
    redis : redis.Redis
        The client's Redis connection.
    key : str
        The key (``scdata:state:<name>:<digest>``).
    """

    LOCK_TIMEOUT = 10  # seconds a crashed holder keeps the lock at most

    def __init__(self, redis: Any, key: str) -> None:
        self._redis = redis
        self.key = key

    def read(self) -> Record:
        return _decode(self._redis.get(self.key))

    def update(self, change: Change) -> Record:
        lock = self._redis.lock(
            f"{self.key}:lock", timeout=self.LOCK_TIMEOUT, blocking_timeout=self.LOCK_TIMEOUT * 3
        )
        with lock:
            record = _apply(self.read(), change)
            self._redis.set(self.key, json.dumps(record, separators=(",", ":")))
            return record

    def __repr__(self) -> str:
        return f"RedisState({self.key!r})"
