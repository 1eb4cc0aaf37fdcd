"""requests-cache's SQLite backend over a :class:`~.cachefile.CacheFile`: never fails a call.

Every read that fails is a miss, every write that fails is skipped (with one WARNING naming the
file, see :mod:`~.cachefile`), a corrupt file is replaced, and expired answers are purged a
bounded batch at a time. requests-cache's own table layout is kept (``responses`` and
``redirects``: ``key``, pickled ``value``, ``expires`` in epoch seconds, indexed), so a file
written by plain requests-cache opens unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from requests_cache.backends.base import BaseCache
from requests_cache.backends.sqlite import SQLiteCache, SQLiteDict
from requests_cache.models import CachedResponse
from requests_cache.serializers import SerializerPipeline, init_serializer, pickle_serializer

from .cachefile import BUSY_TIMEOUT, CacheFile, error_kind

# requests-cache's own layout and index name, so that files it wrote open unchanged
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value BLOB, expires INTEGER)",
    "CREATE INDEX IF NOT EXISTS expires_idx ON responses(expires)",
    "CREATE TABLE IF NOT EXISTS redirects (key TEXT PRIMARY KEY, value BLOB, expires INTEGER)",
)


@functools.cache
def _pickle_pipeline(decode_content: bool) -> SerializerPipeline | None:
    """requests-cache's default SQLite serializer, built once per process.

    requests-cache copies its serializer for every table it opens, and each copy builds a
    new cattrs converter (about 0.7 ms per client, a twentieth of a warm pull; measured). The
    pipeline holds no state between calls, so one serves every session; the bytes it
    writes are the ones requests-cache writes.
    """
    return init_serializer(pickle_serializer, decode_content)


class _Table(SQLiteDict):
    """One table of the cache file; reads that fail are misses, writes that fail are skipped."""

    def __init__(self, file: CacheFile, table_name: str, **kwargs: Any) -> None:
        self.file = file
        self._generation = -1
        default = "serializer" not in kwargs
        if default:
            kwargs["serializer"] = None  # set below, without building another converter
        # use_memory: requests-cache would otherwise create the directory itself, raising
        # when it can't; connections come from the CacheFile, which handles that.
        super().__init__(file.path, table_name=table_name, use_memory=True, **kwargs)
        if default:
            self.serializer = _pickle_pipeline(bool(kwargs.get("decode_content", False)))
        self.db_path = file.path

    def init_db(self) -> None:
        self.close()  # the tables are created by the CacheFile, with the file

    @contextlib.contextmanager
    def connection(self, commit: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._connection is None or self._generation != self.file.generation:
                self.close()
                generation = self.file.generation
                self._connection = self.file.connect()
                self._generation = max(generation, self.file.generation)
        if commit and not self._active_transaction:
            with self._acquire_sqlite_lock():
                yield self._connection
        else:
            yield self._connection

    @contextlib.contextmanager
    def _acquire_sqlite_lock(self) -> Iterator[None]:
        # requests-cache retries BEGIN IMMEDIATE forever and swallows errors at commit: a
        # read-only or full file would hang or fail silently. Wait on locks only, and raise.
        with self._lock:
            assert self._connection is not None
            deadline = time.monotonic() + BUSY_TIMEOUT
            while True:
                try:
                    self._connection.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if error_kind(exc) != "busy" or time.monotonic() > deadline:
                        raise
                    time.sleep(0.001)
            self._active_transaction = True
            try:
                yield
                self._connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("ROLLBACK")
                raise
            finally:
                self._active_transaction = False

    # -- reads: a failure is a miss ------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)
            raise KeyError(key) from None

    def deserialize(self, key: str, value: Any) -> Any:
        try:
            obj = super().deserialize(key, value)
        except Exception:  # garbage bytes fail pickle in many ways: each one is a miss
            return None
        if self.serializer is not None and not isinstance(obj, CachedResponse):
            return None
        return obj

    def __iter__(self) -> Iterator[str]:
        try:
            yield from super().__iter__()
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)

    def count(self, expired: bool = True) -> int:
        try:
            return super().count(expired)
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)
            return 0

    def sorted(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from super().sorted(*args, **kwargs)
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)

    # -- writes: skipped when the file can't take them --------------------------------------
    def _write(self, key: str, value: Any) -> None:
        if not self.file.writable:
            return
        try:
            super()._write(key, value)
            if self.table_name == "responses" and self.file.purge_due():
                with self.connection(commit=True) as db:
                    self.file.purge(db, self.table_name)
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=True)

    def __delitem__(self, key: str) -> None:
        if not self.file.writable:
            raise KeyError(key)
        try:
            super().__delitem__(key)
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=True)
            raise KeyError(key) from None

    def bulk_delete(self, keys: Any = None, values: Any = None) -> None:
        if self.file.writable:
            try:
                super().bulk_delete(keys, values)
            except sqlite3.Error as exc:
                self.file.failed(exc, writing=True)

    def clear(self) -> None:
        """Delete every row; raises ``sqlite3.Error`` (``cache clear`` then deletes the file)."""
        with self.connection(commit=True) as db:
            db.execute(f"DELETE FROM {self.table_name}")

    def vacuum(self) -> None:
        if self.file.writable:
            try:
                with self._lock:
                    if self._connection is not None and not self._active_transaction:
                        self._connection.execute("VACUUM")
            except sqlite3.Error as exc:
                self.file.failed(exc, writing=True)


class DisposableSQLiteCache(SQLiteCache):
    """requests-cache's SQLite cache in a :class:`CacheFile`: a cache is never why a call fails.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> file = CacheFile(Path(tempfile.mkdtemp()) / "http.sqlite", "HTTP cache", SCHEMA)
    >>> cache = DisposableSQLiteCache(file)
    >>> len(cache.responses), cache.get_response("no such key") is None
    (0, True)
    """

    def __init__(self, file: CacheFile, **kwargs: Any) -> None:
        BaseCache.__init__(self, cache_name=str(file.path), **kwargs)
        file.open()
        self.file = file
        self.responses: _Table = _Table(file, "responses", **kwargs)
        self.redirects: _Table = _Table(
            file, "redirects", lock=self.responses._lock, serializer=None, **kwargs
        )

    def clear(self) -> None:
        """Delete every answer; raises when the file can't be written (see ``clear_cache``)."""
        with self.responses._lock:
            self.responses.clear()
            self.redirects.clear()
            self.responses.vacuum()

    def _delete_expired(self) -> None:
        if self.file.writable:
            try:
                with self.responses.connection(commit=True) as db:
                    db.execute("DELETE FROM responses WHERE expires <= ?", (round(time.time()),))
            except sqlite3.Error as exc:
                self.file.failed(exc, writing=True)

    def _prune_redirects(self) -> None:
        if self.file.writable:
            try:
                super()._prune_redirects()
            except sqlite3.Error as exc:
                self.file.failed(exc, writing=True)
