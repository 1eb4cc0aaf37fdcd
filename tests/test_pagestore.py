"""Typed page copies beside the HTTP cache: warm pulls read them, and they expire with it."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

import scdata
from scdata.cli.cache import clear_cache

from .conftest import run_together
from .test_auth import make_client


def test_warm_pull_is_identical_and_makes_no_request(client, sandbox, cache_dir):
    cold = client.tracks_df("jowymusic", progress=False)
    client.close()
    sandbox.clear_log()
    with make_client(sandbox, cache_dir) as fresh:  # a new client: nothing in process memory
        warm = fresh.tracks_df("jowymusic", progress=False)
        assert len(fresh.pages.store) == 3  # two full pages and the final empty one
    pd.testing.assert_frame_equal(warm, cold)
    assert sandbox.requests == []


@pytest.mark.slow  # waits real seconds by design
def test_copies_expire_with_the_http_entries(sandbox, cache_dir):
    client = make_client(sandbox, cache_dir, expire_after=1)
    client.tracks_df("jowymusic", progress=False)
    time.sleep(1.2)
    sandbox.clear_log()
    client.tracks_df("jowymusic", progress=False)
    assert sandbox.count("/users/*/tracks") == 3


def test_refresh_replaces_the_copies(client, sandbox):
    client.tracks_df("jowymusic", progress=False)
    sandbox.clear_log()
    client.tracks_df("jowymusic", refresh=True, progress=False)
    assert sandbox.count("/users/*/tracks") == 3
    sandbox.clear_log()
    client.tracks_df("jowymusic", progress=False)
    assert sandbox.requests == []


def test_offline_reads_the_copies(client, sandbox):
    expected = client.tracks_df("jowymusic", progress=False)
    sandbox.clear_log()
    pd.testing.assert_frame_equal(client.tracks_df("jowymusic", offline=True), expected)
    assert sandbox.requests == []


def test_clearing_the_cache_clears_the_copies(client, sandbox):
    client.tracks_df("jowymusic", progress=False)
    clear_cache(client)
    assert len(client.pages.store) == 0
    sandbox.clear_log()
    client.tracks_df("jowymusic", progress=False)
    assert sandbox.count("/users/*/tracks") == 3


@pytest.mark.parametrize("cache", ["memory", "off"])
def test_other_cache_modes(sandbox, cache_dir, cache):
    client = make_client(sandbox, cache_dir, cache=cache)
    first = client.tracks_df("jowymusic", progress=False)
    sandbox.clear_log()
    pd.testing.assert_frame_equal(client.tracks_df("jowymusic", progress=False), first)
    assert sandbox.count("/users/*/tracks") == (0 if cache == "memory" else 3)


def test_limit_is_applied_to_typed_pages(client, sandbox):
    df = client.tracks_df("jowymusic", limit=250, progress=False)
    assert len(df) == 250
    raw = client.tracks_df("jowymusic", limit=250, raw=True)
    assert df["id"].tolist() == [t["id"] for t in raw]
    assert scdata.tracks_df is not None


@pytest.mark.slow  # other processes
def test_many_threads_and_processes_open_a_new_store_at_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    from scdata.storage.pages import SQLitePageStore, StoredPage

    for trial in range(20):  # switching a new file to WAL used to fail under contention
        store = SQLitePageStore(tmp_path / f"t{trial}.sqlite")

        def put_get(i, store=store):
            store.put(f"u{i}", StoredPage(pa.table({"a": [i]}), None, time.time() + 60))
            return store.get(f"u{i}").table.column("a")[0].as_py()

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(put_get, range(8))) == list(range(8))

    path = tmp_path / "shared.sqlite"
    code = (
        "import time, pyarrow as pa\n"
        "from pathlib import Path\n"
        "from scdata.storage.pages import SQLitePageStore, StoredPage\n"
        f"store = SQLitePageStore(Path({str(path)!r}))\n"
        "store.put(f'p{WORKER}', StoredPage(pa.table({'a': [1]}), None, time.time() + 60))\n"
    )
    run_together(code, [dict(os.environ)] * 4)
    assert len(SQLitePageStore(path)) == 4
