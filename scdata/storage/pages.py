"""A typed Arrow copy of each tracks page, kept beside its HTTP cache entry.

A warm ``tracks_df`` reads these copies instead of unpickling and re-parsing every cached JSON
page. Each copy is keyed by the page's URL within a ``namespace`` the caller names (the client
passes the schema version, so a new schema never reads old copies: storage knows nothing of
frames), carries the page's
``next_href``, and expires with the HTTP entry it was built from; ``refresh=True`` replaces it,
and ``scdata cache clear`` clears both. Only track data is stored: never a header or a token.

A walk that read every page of a list also leaves a **walk copy** (:class:`StoredWalk`): the
pages' rows as one table, keyed by the walk's first URL, with the URL and expiry of each page
copy it was built from. It is used only while every one of those page copies is still there
with the same expiry (one indexed look-up, :meth:`PageStore.expiries`, no page read): a page
refetched, rejected, refreshed or purged makes it a miss, so it never says more than its pages.

A copy that can't be read back (garbage bytes, a missing field, a key of another type) is a
miss in every store, never an error. Expired copies are purged like the HTTP entries: by the
:mod:`scdata.storage.cachefile` policy in SQLite and memory, by a Redis TTL in Redis.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from . import cachefile
from .atomicfile import write_bytes_atomically
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
    """Arrow IPC stream bytes, one record batch (uncompressed: reading is then nearly free).

    Measured on a walk of 50 pages of 200 tracks: LZ4 makes the bytes 3.5 times smaller and
    reading them back ten times slower; one batch reads back as one chunk per column, which
    pandas converts faster than 50.
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    data: bytes = sink.getvalue().to_pybytes()  # pyarrow is untyped
    return data


def decode(data: bytes | pa.NativeFile) -> pa.Table:
    """The table back from :func:`encode`'s bytes (or a file of them, e.g. memory-mapped)."""
    source = data if isinstance(data, pa.NativeFile) else pa.py_buffer(data)
    return pa.ipc.open_stream(source).read_all()


@dataclasses.dataclass(frozen=True)
class StoredWalk:
    """A whole walk: its rows as one table, and the page copies it was built from.

    ``pages`` holds each page's URL (the key of its copy) and that copy's expiry, in walk
    order; ``next_href`` is the last page's link (``None`` at the list's end).

    Examples
    --------
    >>> walk = StoredWalk(pa.table({"a": [1, 2]}), (("https://api/x", 9e9),), None)
    >>> walk.expires, walk.fresh()
    (9000000000.0, True)
    """

    table: pa.Table
    pages: tuple[tuple[str, float], ...]
    next_href: str | None

    @property
    def expires(self) -> float:
        """When its first page copy expires (epoch s)."""
        return min((expires for _, expires in self.pages), default=0.0)

    def fresh(self) -> bool:
        return time.time() < self.expires

    def manifest(self) -> str:
        """``pages`` and ``next_href`` as JSON (what the stores keep beside the table)."""
        return json.dumps({"pages": self.pages, "next_href": self.next_href})


def walk_still_valid(store: PageStore, walk: StoredWalk, *, offline: bool = False) -> bool:
    """Whether every page copy ``walk`` was built from is in ``store`` with the same expiry.

    And the walk is fresh, unless ``offline`` (then stale copies serve, as page copies do).

    Examples
    --------
    >>> store = MemoryPageStore()
    >>> store.put("https://api/x", StoredPage(pa.table({"a": [1]}), None, 9e9))
    >>> walk = StoredWalk(pa.table({"a": [1]}), (("https://api/x", 9e9),), None)
    >>> walk_still_valid(store, walk)
    True
    >>> store.delete("https://api/x")
    >>> walk_still_valid(store, walk)
    False
    """
    if not walk.pages or not (offline or walk.fresh()):
        return False
    found = store.expiries([url for url, _ in walk.pages])
    return all(found.get(url) == expires for url, expires in walk.pages)


WALK_METADATA = b"scdata.walk"  # the manifest's key in a walk copy's schema metadata


def encode_walk(walk: StoredWalk) -> bytes:
    """A walk copy's bytes: :func:`encode` of its table, the manifest in the schema metadata."""
    metadata = {**(walk.table.schema.metadata or {}), WALK_METADATA: walk.manifest().encode()}
    return encode(walk.table.replace_schema_metadata(metadata))


def decode_walk(data: Any) -> StoredWalk | None:
    """The walk copy back from :func:`encode_walk`'s bytes, or ``None`` (a miss) if garbage.

    Examples
    --------
    >>> walk = StoredWalk(pa.table({"a": [1]}), (("https://api/x", 9e9),), None)
    >>> decode_walk(encode_walk(walk)) == walk, decode_walk(b"garbage")
    (True, None)
    """
    try:
        table = decode(data)
        metadata = dict(table.schema.metadata or {})
        fields = json.loads(metadata.pop(WALK_METADATA))
        pages = tuple((str(url), float(expires)) for url, expires in fields["pages"])
        next_href = fields["next_href"]
        walk = StoredWalk(table.replace_schema_metadata(metadata or None), pages, next_href)
    except Exception:  # garbage bytes or JSON: a miss
        return None
    sound = isinstance(next_href, str | None) and all(math.isfinite(e) for _, e in pages)
    return walk if sound else None


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

    def expiries(self, urls: list[str]) -> dict[str, float]:
        """The expiry of each page copy of ``urls`` that is there (no page is read)."""
        ...

    def get_walk(self, first_url: str) -> StoredWalk | None:
        """The walk copy that starts at ``first_url`` (check it with :func:`walk_still_valid`)."""
        ...

    def put_walk(self, first_url: str, walk: StoredWalk) -> None: ...

    def clear(self, *, expired_only: bool = False) -> int:
        """Delete page copies (and walk copies); return how many page copies went."""
        ...

    def __len__(self) -> int:
        """How many page copies (walk copies are not counted)."""
        ...


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
        self._walks: dict[str, StoredWalk] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def get(self, url: str) -> StoredPage | None:
        page = self._pages.get(page_key(self.namespace, url))
        return page if isinstance(page, StoredPage) and _sound(page) else None

    def expiries(self, urls: list[str]) -> dict[str, float]:
        pages = [(url, self._pages.get(page_key(self.namespace, url))) for url in urls]
        return {url: page.expires for url, page in pages if isinstance(page, StoredPage)}

    def get_walk(self, first_url: str) -> StoredWalk | None:
        walk = self._walks.get(page_key(self.namespace, first_url))
        return walk if isinstance(walk, StoredWalk) else None

    def put_walk(self, first_url: str, walk: StoredWalk) -> None:
        with self._lock:  # the pages' tables, not a copy: no memory beyond the page copies
            self._walks[page_key(self.namespace, first_url)] = walk

    def put(self, url: str, page: StoredPage) -> None:
        with self._lock:
            self._pages[page_key(self.namespace, url)] = page
            if time.monotonic() >= self._next_purge:  # the same policy as the SQLite file
                self._next_purge = time.monotonic() + cachefile.PURGE_EVERY
                cutoff = time.time() - cachefile.KEEP_EXPIRED
                doomed = [k for k, p in self._pages.items() if p.expires <= cutoff]
                for key in doomed[: cachefile.PURGE_BATCH]:
                    del self._pages[key]
                for walk in [k for k, w in self._walks.items() if w.expires <= cutoff]:
                    del self._walks[walk]

    def delete(self, url: str) -> None:
        with self._lock:
            self._pages.pop(page_key(self.namespace, url), None)

    def clear(self, *, expired_only: bool = False) -> int:
        with self._lock:
            doomed = [k for k, p in self._pages.items() if not expired_only or not p.fresh()]
            for key in doomed:
                del self._pages[key]
            walks = [k for k, w in self._walks.items() if not expired_only or not w.fresh()]
            for key in walks:
                del self._walks[key]
            return len(doomed)

    def __len__(self) -> int:
        return len(self._pages)


PAGES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pages "
    "(key TEXT PRIMARY KEY, expires REAL, next_href TEXT, data BLOB)",
    "CREATE INDEX IF NOT EXISTS pages_expires ON pages(expires)",
    "CREATE TABLE IF NOT EXISTS walks (key TEXT PRIMARY KEY, expires REAL, file TEXT)",
    "CREATE INDEX IF NOT EXISTS walks_expires ON walks(expires)",
)
WALKS_DIR_SUFFIX = "_walks"  # arrow_pages.sqlite -> arrow_pages_walks/: one file per walk copy


class SQLitePageStore:
    """Page copies in a SQLite file (WAL, mode 0600) in the cache directory.

    One connection per thread; writes are single statements, so concurrent processes only
    wait on SQLite's busy timeout. The file is a :class:`~.cachefile.CacheFile`: a read
    that fails is a miss, a write that fails is skipped, a corrupt file is replaced, and
    expired copies are purged a bounded batch at a time.

    Walk copies are files (mode 0600, written atomically) in ``arrow_pages_walks/`` beside
    it, indexed by the ``walks`` table (for the purge): measured, reading a 12 MB walk copy
    from a file takes 1 ms, from a SQLite blob 15 to 30 ms (a fresh connection reads its
    3,000 overflow pages one by one). A missing or unreadable file is a miss.

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
        self.walks_dir = path.with_name(path.stem + WALKS_DIR_SUFFIX)
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

    def expiries(self, urls: list[str]) -> dict[str, float]:
        keys = {page_key(self.namespace, url): url for url in urls}
        found: dict[str, float] = {}
        names = list(keys)
        try:
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                query = (
                    f"SELECT key, expires FROM pages WHERE key IN ({','.join('?' * len(chunk))})"
                )
                found.update((keys[k], e) for k, e in self._db().execute(query, chunk))
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=False)
            return {}
        return found

    def _walk_file(self, first_url: str) -> str:
        return hashlib.sha256(page_key(self.namespace, first_url).encode()).hexdigest()[:32]

    def get_walk(self, first_url: str) -> StoredWalk | None:
        """The walk copy, memory-mapped: its columns are the file's pages, not a copy.

        A copy is replaced by renaming a new file over it and dropped by unlinking it, so a
        frame still reading a mapped copy keeps the old file's pages (POSIX). Where a mapped
        file cannot be replaced (Windows), :meth:`put_walk` keeps no new copy until the frame
        is gone, and the walk is read from its page copies meanwhile.
        """
        try:
            source = pa.memory_map(str(self.walks_dir / f"{self._walk_file(first_url)}.arrow"))
        except OSError:
            return None
        return decode_walk(source)

    def put_walk(self, first_url: str, walk: StoredWalk) -> None:
        if not self.file.writable:
            return
        name = self._walk_file(first_url)
        try:
            self.walks_dir.mkdir(mode=0o700, exist_ok=True)
            write_bytes_atomically(self.walks_dir / f"{name}.arrow", encode_walk(walk),
                                   mode=0o600, durable=False)  # fmt: skip
            self._db().execute(
                "INSERT OR REPLACE INTO walks VALUES (?, ?, ?)",
                (page_key(self.namespace, first_url), walk.expires, name),
            )
        except OSError:
            return  # a copy not kept: the next walk reads the pages
        except sqlite3.Error as exc:
            self.file.failed(exc, writing=True)

    def _drop_walks(self, db: sqlite3.Connection, before: float | None, limit: int = -1) -> None:
        """Delete the walk copies that expire before ``before`` (``None``: all), files first."""
        if before is None:
            rows = db.execute("SELECT key, file FROM walks LIMIT ?", (limit,)).fetchall()
        else:
            query = "SELECT key, file FROM walks WHERE expires <= ? LIMIT ?"
            rows = db.execute(query, (before, limit)).fetchall()
        for _, name in rows:
            with contextlib.suppress(OSError):
                (self.walks_dir / f"{name}.arrow").unlink()
        db.executemany("DELETE FROM walks WHERE key = ?", [(key,) for key, _ in rows])

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
                self._drop_walks(db, time.time() - cachefile.KEEP_EXPIRED, cachefile.PURGE_BATCH)
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
        db = self._db()
        self._drop_walks(db, time.time() if expired_only else None)
        if expired_only:
            cursor = db.execute("DELETE FROM pages WHERE expires <= ?", (time.time(),))
        else:
            cursor = db.execute("DELETE FROM pages")
            for orphan in self.walks_dir.glob("*.arrow*"):  # left by a crash between two writes
                with contextlib.suppress(OSError):
                    orphan.unlink()
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
    walk_prefix = "scdata:walks:"

    def __init__(self, redis: Any, *, namespace: str = "") -> None:
        self._redis = redis
        self.namespace = namespace

    def _key(self, url: str, prefix: str = prefix) -> str:
        return prefix + hashlib.sha256(page_key(self.namespace, url).encode()).hexdigest()[:24]

    def expiries(self, urls: list[str]) -> dict[str, float]:
        from redis.exceptions import ResponseError

        with self._redis.pipeline(transaction=False) as pipe:
            for url in urls:
                pipe.hget(self._key(url), "expires")
            try:
                values = pipe.execute(raise_on_error=False)
            except ResponseError:
                return {}
        found: dict[str, float] = {}
        for url, value in zip(urls, values, strict=True):
            with contextlib.suppress(TypeError, ValueError):
                found[url] = float(value)
        return found

    def get_walk(self, first_url: str) -> StoredWalk | None:
        from redis.exceptions import ResponseError

        try:
            data = self._redis.hget(self._key(first_url, self.walk_prefix), "data")
        except ResponseError:  # a key of another type (WRONGTYPE) is a miss
            return None
        return None if data is None else decode_walk(data)

    def put_walk(self, first_url: str, walk: StoredWalk) -> None:
        key = self._key(first_url, self.walk_prefix)
        with self._redis.pipeline() as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"data": encode_walk(walk)})
            pipe.expireat(key, int(walk.expires + REDIS_KEEP_EXPIRED) + 1)
            pipe.execute()

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
        walks = list(self._redis.scan_iter(match=self.walk_prefix + "*", count=500))
        if keys or walks:
            self._redis.delete(*keys, *walks)
        return len(keys)

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self.prefix + "*", count=500))
