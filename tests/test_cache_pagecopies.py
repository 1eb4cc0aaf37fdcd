"""A typed page copy that can't be read back is a miss in every store (SQLite, Redis, memory).

The page is then rebuilt from the HTTP cache (no request) and the copy replaced. Copies in
Redis expire by TTL together with the HTTP entries they were built from.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time

import pandas as pd
import pyarrow as pa
import pytest

from scdata.http.endpoints import FetchOptions
from scdata.storage.pages import (
    PAGES_FILE,
    MemoryPageStore,
    RedisPageStore,
    StoredPage,
    decode,
    decode_walk,
)

from .test_auth import make_client

try:
    import redis
except ImportError:  # the Redis tests skip (redis_url) and never use it
    redis = None

GARBAGE = b"\xff\xfe not arrow \x00" * 20


def test_a_garbage_copy_in_sqlite_is_a_miss_rebuilt_without_a_request(sandbox, cache_dir):
    with make_client(sandbox, cache_dir) as client:
        expected = client.tracks_df("jowymusic", progress=False)
    with contextlib.closing(sqlite3.connect(cache_dir / PAGES_FILE, isolation_level=None)) as db:
        db.execute("UPDATE pages SET data = ?, next_href = 7", (GARBAGE,))
    walks = list((cache_dir / "arrow_pages_walks").glob("*.arrow"))
    assert len(walks) == 1  # the whole walk's copy: garbage too, a miss as well
    walks[0].write_bytes(GARBAGE)
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []
    with contextlib.closing(sqlite3.connect(cache_dir / PAGES_FILE)) as db:  # replaced
        copies = db.execute("SELECT data FROM pages").fetchall()
    assert len(copies) == 3 and all(decode(data).num_rows >= 0 for (data,) in copies)
    assert decode_walk(walks[0].read_bytes()) is not None  # replaced


def test_a_walk_copy_serves_only_while_its_page_copies_are_unchanged(sandbox, cache_dir):
    with make_client(sandbox, cache_dir) as client:
        expected = client.tracks_df("jowymusic", progress=False)
        store = client.pages.store
        assert store.get_walk(next(iter(_first_urls(cache_dir)))) is not None
    with contextlib.closing(sqlite3.connect(cache_dir / PAGES_FILE, isolation_level=None)) as db:
        db.execute("UPDATE pages SET data = ?", (GARBAGE,))  # expiries kept: the walk serves
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
        (url,) = _first_urls(cache_dir)
        walk = client.pages.store.get_walk(url)
        client.pages.store.delete(walk.pages[1][0])  # a page refetched or rejected: a miss
        assert client.pages._stored_walk(url, None, FetchOptions()) is None
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []  # every page rebuilt from the HTTP cache


def _first_urls(cache_dir):
    with contextlib.closing(sqlite3.connect(cache_dir / PAGES_FILE)) as db:
        return [key.split(" ", 1)[1] for (key,) in db.execute("SELECT key FROM walks")]


@pytest.mark.parametrize(
    "damage",
    ["data", "expires-missing", "expires-text", "next-href-bytes", "wrong-type"],
)
@pytest.mark.slow  # over half a second: the full run has it
def test_a_garbage_copy_in_redis_is_a_miss_rebuilt_without_a_request(
    sandbox, cache_dir, redis_url, damage
):
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    with make_client(sandbox, cache_dir, cache=redis_url) as client:
        expected = client.tracks_df("jowymusic", progress=False)
    keys = list(r.scan_iter(match=RedisPageStore.prefix + "*"))
    assert len(keys) == 3
    for key in keys:
        if damage == "data":
            r.hset(key, "data", GARBAGE)
        elif damage == "expires-missing":
            r.hdel(key, "expires")
        elif damage == "expires-text":
            r.hset(key, "expires", "soon")
        elif damage == "next-href-bytes":
            r.hset(key, "next_href", b"\xff\xfe")
        else:
            r.delete(key)
            r.set(key, GARBAGE)
    sandbox.clear_log()
    with make_client(sandbox, cache_dir, cache=redis_url) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []
    assert all(r.type(key) == b"hash" and r.ttl(key) > 0 for key in keys)  # replaced


def test_copies_in_redis_expire_with_their_http_entries(sandbox, cache_dir, redis_url):
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    with make_client(sandbox, cache_dir, cache=redis_url, expire_after=120) as client:
        client.tracks_df("jowymusic", progress=False)
    pages = [r.ttl(k) for k in r.scan_iter(match=RedisPageStore.prefix + "*")]
    http = [r.ttl(k) for k in r.scan_iter(match="scdata:http:*")]
    assert len(pages) == 3 and http
    # requests-cache keeps an HTTP entry expire_after + 3600 s (for offline reads); the
    # typed copies are kept as long, never forever
    assert all(120 + 3600 - 10 <= t <= 120 + 3600 + 2 for t in pages + http), (pages, http)


def test_a_garbage_copy_in_memory_is_a_miss():
    store = MemoryPageStore()
    good = StoredPage(pa.table({"a": [1]}), None, time.time() + 60)
    store.put("https://api/ok", good)
    store.put("https://api/table", StoredPage(GARBAGE, None, time.time() + 60))  # type: ignore[arg-type]
    store.put("https://api/link", StoredPage(pa.table({"a": [1]}), 7, time.time() + 60))  # type: ignore[arg-type]
    store.put("https://api/expiry", StoredPage(pa.table({"a": [1]}), None, math.nan))
    assert store.get("https://api/ok") is good
    assert [store.get(f"https://api/{k}") for k in ("table", "link", "expiry")] == [None] * 3


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_delete_drops_one_copy_and_keeps_the_others(kind, tmp_path, request):
    if kind == "memory":
        store = MemoryPageStore(namespace="v2")
    elif kind == "sqlite":
        from scdata.storage.pages import SQLitePageStore

        store = SQLitePageStore(tmp_path / PAGES_FILE, namespace="v2")
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisPageStore(redis.Redis.from_url(url), namespace="v2")
    page = StoredPage(pa.table({"urn": ["soundcloud:tracks:1"]}), None, time.time() + 60)
    store.put("https://api/a", page)
    store.put("https://api/b", page)
    store.delete("https://api/a")
    store.delete("https://api/never-stored")  # no copy: nothing to do, no error
    assert store.get("https://api/a") is None
    assert store.get("https://api/b").table.equals(page.table)


def test_a_frame_read_from_a_walk_copy_outlives_the_copy(sandbox, cache_dir, monkeypatch):
    walks = cache_dir / "arrow_pages_walks"
    with make_client(sandbox, cache_dir) as client:
        client.tracks_df("jowymusic", progress=False)  # leaves the walk copy
        (walk_file,) = walks.glob("*.arrow")
        store, read = client.pages.store, []
        get_walk = store.get_walk
        monkeypatch.setattr(store, "get_walk", lambda url: read.append(get_walk(url)) or read[-1])
        df = client.tracks_df("jowymusic", progress=False)
        assert read and read[0] is not None  # this frame's columns are the mapped file's
        expected = df.copy(deep=True)
        inode = walk_file.stat().st_ino
        client.tracks_df("jowymusic", refresh=True, progress=False)  # a new copy renamed over
        assert walk_file.stat().st_ino != inode
    for copy in walks.glob("*.arrow"):
        copy.unlink()
    pd.testing.assert_frame_equal(df, expected)
    assert df["title"].str.len().sum() == expected["title"].str.len().sum()


def test_an_empty_walk_copy_is_a_miss_and_is_written_again(sandbox, cache_dir):
    """A file renamed into place but never flushed can be empty after a crash."""
    with make_client(sandbox, cache_dir) as client:
        expected = client.tracks_df("jowymusic", progress=False)
    (walk_file,) = (cache_dir / "arrow_pages_walks").glob("*.arrow")
    walk_file.write_bytes(b"")
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as client:
        pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), expected)
    assert sandbox.requests == []
    assert decode_walk(walk_file.read_bytes()) is not None
