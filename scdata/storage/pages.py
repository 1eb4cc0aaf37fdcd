"""A typed Arrow copy of each tracks page, kept beside its HTTP cache entry.

A warm ``tracks_df`` reads these copies instead of unpickling and re-parsing every cached JSON
page. Each copy is keyed by the page's URL within a ``namespace`` the caller names (the client
passes the schema version, so a new schema never reads old copies: storage knows nothing of
frames), carries the page's
``next_href``, and expires with the HTTP entry it was built from; ``refresh=True`` replaces it,
and ``scdata cache clear`` clears both. Only track data is stored: never a header or a token.

A copy that can't be read back (garbage bytes, a missing field, a key of another type) is a
miss in every store, never an error. Expired copies are purged like the HTTP entries: by the
:mod:`scdata.storage.cachefile` policy in SQLite and memory, by a Redis TTL in Redis.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from . import cachefile
from .cachefile import CacheFile

PAGES_FILE = "arrow_pages.sqlite"
REDIS_KEEP_EXPIRED = 3600  # s a Redis copy outlives its expiry: requests-cache's ttl_offset


@dataclasses.dataclass(frozen=True)
class StoredPage:
    """One page: its typed table, the link to the next page and when it expires (epoch s)."""

    table: pa.Table
    next_href: str | None
    expires: float

    def fresh(self) -> bool:
        return time.time() < self.expires


def encode(table: pa.Table) -> bytes:
    """Arrow IPC stream bytes (uncompressed: reading is then nearly free)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()  # pyarrow is untyped
    return data


def decode(data: bytes) -> pa.Table:
    """The table back from :func:`encode`'s bytes."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _checked(data: Any, next_href: Any, expires: Any) -> StoredPage | None:
    """A stored copy rebuilt from its fields, or ``None`` (a miss) when any of them is garbage."""
    try:
        page = StoredPage(decode(data), next_href, float(expires))
    except Exception:  # garbage bytes fail Arrow's reader in many ways: each one is a miss
        return None
    return page if _sound(page) else None


def _sound(page: StoredPage) -> bool:
    return (
        isinstance(page.table, pa.Table)
        and isinstance(page.next_href, str | None)
        and math.isfinite(page.expires)
    )


def page_key(namespace: str, url: str) -> str:
    """Key of a page: the caller's namespace (e.g. ``"v3"``, a schema version) and the full URL.

    Examples
    --------
    >>> page_key("v3", "https://api/x")
    'v3 https://api/x'
    """
    return f"{namespace} {url}"


class PageStore(Protocol):
    """Where typed page copies live; every store keys its copies by ``namespace`` and URL."""

    namespace: str

    def get(self, url: str) -> StoredPage | None: ...

    def put(self, url: str, page: StoredPage) -> None: ...

    def delete(self, url: str) -> None:
        """Drop the copy of ``url``, if any (its page was refetched or rejected)."""
        ...

    def clear(self, *, expired_only: bool = False) -> int: ...

    def __len__(self) -> int: ...


class MemoryPageStore:
    """Page copies in this process (``cache="memory"``).

    Examples
    --------
    >>> store = MemoryPageStore(namespace="v1")
    >>> store.put("https://api/x", StoredPage(pa.table({"a": [1]}), None, time.time() + 60))
    >>> store.get("https://api/x").table.num_rows, len(store)
    (1, 1)
    """

    def __init__(self, *, namespace: str = "") -> None:
        self.namespace = namespace
        self._pages: dict[str, StoredPage] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def get(self, url: str) -> StoredPage | None:
        page = self._pages.get(page_key(self.namespace, url))
        return page if isinstance(page, StoredPage) and _sound(page) else None

    def put(self, url: str, page: StoredPage) -> None:
        with self._lock:
            self._pages[page_key(self.namespace, url)] = page
            if time.monotonic() >= self._next_purge:  # the same policy as the SQLite file
                self._next_purge = time.monotonic() + cachefile.PURGE_EVERY
                cutoff = time.time() - cachefile.KEEP_EXPIRED
                doomed = [k for k, p in self._pages.items() if p.expires <= cutoff]
                for key in doomed[: cachefile.PURGE_BATCH]:
                    del self._pages[key]

    def delete(self, url: str) -> None:
        with self._lock:
            self._pages.pop(page_key(self.namespace, url), None)

    def clear(self, *, expired_only: bool = False) -> int:
        with self._lock:
            doomed = [k for k, p in self._pages.items() if not expired_only or not p.fresh()]
            for key in doomed:
                del self._pages[key]
            return len(doomed)

    def __len__(self) -> int:
        return len(self._pages)


PAGES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pages "
    "(key TEXT PRIMARY KEY, expires REAL, next_href TEXT, data BLOB)",
    "CREATE INDEX IF NOT EXISTS pages_expires ON pages(expires)",
)


class SQLitePageStore:
    """Page copies in a SQLite file (WAL, mode 0600) in the cache directory.

    One connection per thread; writes are single statements, so concurrent processes only
    wait on SQLite's busy timeout. The file is a :class:`~.cachefile.CacheFile`: a read
    that fails is a miss, a write that fails is skipped, a corrupt file is replaced, and
    expired copies are purged a bounded batch at a time.

    Examples
    --------
    >>> import tempfile
    >>> store = SQLitePageStore(Path(tempfile.mkdtemp()) / PAGES_FILE, namespace="v1")
    >>> store.put("https://api/x", StoredPage(pa.table({"a": [1]}), "https://api/y", 9e9))
    >>> page = store.get("https://api/x")
    >>> page.table.num_rows, page.next_href, page.fresh()
    (1, 'https://api/y', True)
    """

    def __init__(self, path: Path, *, namespace: str = "") -> None:
        self.path = path
        self.namespace = namespace
        self.file = CacheFile(path, "typed page copies", PAGES_SCHEMA)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.generation != self.file.generation:
            if db is not None:
                db.close()
            generation = self.file.generation
            db = self.file.connect()
            self._local.db, self._local.generation = db, max(generation, self.file.generation)
        return db

    def get(self, url: str) -> StoredPage | None:
        try:
            query = "SELECT expires, next_href, data FROM pages WHERE key = ?"
            row = self._db().execute(query, (page_key(self.namespace, url),)).fetchone()
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)
            return None
        return None if row is None else _checked(row[2], row[1], row[0])

    def put(self, url: str, page: StoredPage) -> None:
        if not self.file.writable:
            return
        try:
            db = self._db()
            db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
                (page_key(self.namespace, url), page.expires, page.next_href, encode(page.table)),
            )
            if self.file.purge_due():
                self.file.purge(db, "pages")
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=True)

    def delete(self, url: str) -> None:
        if not self.file.writable:
            return
        try:
            self._db().execute("DELETE FROM pages WHERE key = ?", (page_key(self.namespace, url),))
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=True)

    def clear(self, *, expired_only: bool = False) -> int:
        """Delete copies; raises ``sqlite3.Error`` when the file can't be written."""
        if expired_only:
            cursor = self._db().execute("DELETE FROM pages WHERE expires <= ?", (time.time(),))
        else:
            cursor = self._db().execute("DELETE FROM pages")
        return cursor.rowcount

    def __len__(self) -> int:
        try:
            return int(self._db().execute("SELECT count(*) FROM pages").fetchone()[0])
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)
            return 0

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class RedisPageStore:
    """Typed page copies in Redis hashes that expire (Redis TTL) with their HTTP entries.

    Examples
    --------
    >>> RedisPageStore(redis=None).prefix
    'scdata:pages:'
    """

    prefix = "scdata:pages:"

    def __init__(self, redis: Any, *, namespace: str = "") -> None:
        self._redis = redis
        self.namespace = namespace

    def _key(self, url: str) -> str:
        return self.prefix + hashlib.sha256(page_key(self.namespace, url).encode()).hexdigest()[:24]

    def get(self, url: str) -> StoredPage | None:
        from redis.exceptions import ResponseError

        try:
            found = self._redis.hmget(self._key(url), "data", "next_href", "expires")
        except ResponseError:  # a key of another type (WRONGTYPE) is a miss
            return None
        data, next_href, expires = found
        if data is None or expires is None:
            return None
        try:
            link = next_href.decode() if next_href is not None else ""
            return _checked(data, link or None, float(expires))
        except (UnicodeDecodeError, ValueError):
            return None

    def put(self, url: str, page: StoredPage) -> None:
        key = self._key(url)
        fields = {"data": encode(page.table), "next_href": page.next_href or "",
                  "expires": page.expires}  # fmt: skip
        with self._redis.pipeline() as pipe:  # MULTI: whatever the key held is replaced
            pipe.delete(key)
            pipe.hset(key, mapping=fields)
            # kept as long as requests-cache keeps the HTTP entry (its TTL offset), for offline
            pipe.expireat(key, int(page.expires + REDIS_KEEP_EXPIRED) + 1)
            pipe.execute()

    def delete(self, url: str) -> None:
        self._redis.delete(self._key(url))

    def clear(self, *, expired_only: bool = False) -> int:
        if expired_only:
            return 0  # Redis has already dropped them (TTL)
        keys = list(self._redis.scan_iter(match=self.prefix + "*", count=500))
        if keys:
            self._redis.delete(*keys)
        return len(keys)

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self.prefix + "*", count=500))
