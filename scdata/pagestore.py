"""A typed Arrow copy of each tracks page, kept beside its HTTP cache entry.

A warm ``tracks_df`` reads these copies instead of unpickling and re-parsing every cached JSON
page. Each copy is keyed by the page's URL (and the schema version), carries the page's
``next_href``, and expires with the HTTP entry it was built from; ``refresh=True`` replaces it,
and ``scdata cache clear`` clears both. Only track data is stored: never a header or a token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from .schema import SCHEMA_VERSION

PAGES_FILE = "arrow_pages.sqlite"


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
    return sink.getvalue().to_pybytes()


def decode(data: bytes) -> pa.Table:
    """The table back from :func:`encode`'s bytes."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def page_key(url: str) -> str:
    """Key of a page: the schema version and the full URL (a new schema never reads old copies)."""
    return f"v{SCHEMA_VERSION} {url}"


class PageStore(Protocol):
    """Where typed page copies live."""

    def get(self, url: str) -> StoredPage | None: ...

    def put(self, url: str, page: StoredPage) -> None: ...

    def clear(self, *, expired_only: bool = False) -> int: ...

    def __len__(self) -> int: ...


class MemoryPageStore:
    """Page copies in this process (``cache="memory"``).

    Examples
    --------
    >>> store = MemoryPageStore()
    >>> store.put("https://api/x", StoredPage(pa.table({"a": [1]}), None, time.time() + 60))
    >>> store.get("https://api/x").table.num_rows, len(store)
    (1, 1)
    """

    def __init__(self) -> None:
        self._pages: dict[str, StoredPage] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> StoredPage | None:
        return self._pages.get(page_key(url))

    def put(self, url: str, page: StoredPage) -> None:
        with self._lock:
            self._pages[page_key(url)] = page

    def clear(self, *, expired_only: bool = False) -> int:
        with self._lock:
            doomed = [k for k, p in self._pages.items() if not expired_only or not p.fresh()]
            for key in doomed:
                del self._pages[key]
            return len(doomed)

    def __len__(self) -> int:
        return len(self._pages)


class SQLitePageStore:
    """Page copies in a SQLite file (WAL, mode 0600) in the cache directory.

    One connection per thread; writes are single statements, so concurrent processes only
    wait on SQLite's busy timeout.

    Examples
    --------
    >>> import tempfile
    >>> store = SQLitePageStore(Path(tempfile.mkdtemp()) / PAGES_FILE)
    >>> store.put("https://api/x", StoredPage(pa.table({"a": [1]}), "https://api/y", 9e9))
    >>> page = store.get("https://api/x")
    >>> page.table.num_rows, page.next_href, page.fresh()
    (1, 'https://api/y', True)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    _opening = threading.Lock()  # threads of one process open the file one at a time

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            with self._opening:
                db = self._open()
            self._local.db = db
        return db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is
        # locked" at once, without its busy timeout, while another process does the same:
        # retry for up to the busy timeout.
        deadline = time.monotonic() + 30
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS pages "
                    "(key TEXT PRIMARY KEY, expires REAL, next_href TEXT, data BLOB)"
                )
                return db
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    db.close()
                    raise
                time.sleep(0.01)

    def get(self, url: str) -> StoredPage | None:
        row = (
            self._db()
            .execute("SELECT expires, next_href, data FROM pages WHERE key = ?", (page_key(url),))
            .fetchone()
        )
        if row is None:
            return None
        try:
            return StoredPage(decode(row[2]), row[1], row[0])
        except pa.ArrowInvalid:
            return None  # a damaged copy is a miss; the next put replaces it

    def put(self, url: str, page: StoredPage) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
            (page_key(url), page.expires, page.next_href, encode(page.table)),
        )

    def clear(self, *, expired_only: bool = False) -> int:
        if expired_only:
            cursor = self._db().execute("DELETE FROM pages WHERE expires <= ?", (time.time(),))
        else:
            cursor = self._db().execute("DELETE FROM pages")
        return cursor.rowcount

    def __len__(self) -> int:
        return self._db().execute("SELECT count(*) FROM pages").fetchone()[0]

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

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def _key(self, url: str) -> str:
        return self.prefix + hashlib.sha256(page_key(url).encode()).hexdigest()[:24]

    def get(self, url: str) -> StoredPage | None:
        found = self._redis.hmget(self._key(url), "data", "next_href", "expires")
        if found[0] is None:
            return None
        data, next_href, expires = found
        return StoredPage(decode(data), next_href.decode() or None, float(expires))

    def put(self, url: str, page: StoredPage) -> None:
        key = self._key(url)
        fields = {"data": encode(page.table), "next_href": page.next_href or "",
                  "expires": page.expires}  # fmt: skip
        with self._redis.pipeline() as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expireat(key, int(page.expires) + 1)
            pipe.execute()

    def clear(self, *, expired_only: bool = False) -> int:
        if expired_only:
            return 0  # Redis has already dropped them (TTL)
        keys = list(self._redis.scan_iter(match=self.prefix + "*", count=500))
        if keys:
            self._redis.delete(*keys)
        return len(keys)

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self.prefix + "*", count=500))
