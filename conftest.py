"""Docstring examples run for real: each gets a fresh emulator, the environment pointing at it.

An example that needs an optional extra (dask, redis) skips with a reason without it; the few
slow ones are marked ``slow`` (the fast lane, ``pytest -m "not slow"``, leaves them out).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from _pytest.doctest import DoctestItem

import scdata
from scdata._client import replace_default
from scdata.sandbox import Sandbox

# docstring examples (by the name of the module or object) that need an extra's modules
NEEDS_EXTRA = {
    "scdata.dask.": ("dask", ["dask", "distributed"]),
    "scdata.storage.redis_store.": ("redis", ["redis"]),
    "scdata._graph.to_networkx": ("graph", ["networkx"]),
}
# seconds, not milliseconds: dask starts; an export of several users is paced
SLOW_EXAMPLES = {
    "scdata.dask.tracks_ddf",
    "scdata.datasets.export.export_tracks",
    "scdata.datasets.sync.sync",  # two artists' 1,000 tracks, paced
    "scdata.datasets.export.export_collection",  # several owners' lists, paced
    "scdata.sandbox.search.matching",  # builds the search index of the whole catalogue
    "scdata._collections.CollectionsMixin.comments_df",  # 1,234 comments
    # each syncs a store first
    *(
        f"scdata.datasets.history.{f}"
        for f in ("history_df", "growth_df", "connect", "catalogue_df", "edges_df")
    ),
    *(f"scdata._search.SearchMixin.search_{k}" for k in ("tracks", "users", "playlists")),
}


# test modules that measure time, pace requests or start processes of their own: the full
# lane runs them alone (``-m serial``) after the rest has run on two workers
SERIAL_MODULES = {
    "test_benchmarks", "test_bulk", "test_cache_pagecopies", "test_cache_purge",
    "test_cli_startup", "test_concurrency", "test_export", "test_export_wall", "test_history",
    "test_pagestore", "test_production_day", "test_redis", "test_resilience", "test_sandbox",
    "test_sandbox_clock", "test_sandbox_collections", "test_sandbox_production", "test_sync_clock",
    "test_throttle", "test_throttle_redis", "test_throttle_wire", "test_token_breaker",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)
        if not isinstance(item, DoctestItem):
            continue
        if item.name in SLOW_EXAMPLES:
            item.add_marker(pytest.mark.slow)
        for prefix, (extra, modules) in NEEDS_EXTRA.items():
            if item.name.startswith(prefix) and not all(map(importlib.util.find_spec, modules)):
                reason = f"needs the {extra} extra: pip install -e '.[{extra}]'"
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _doctest_against_the_emulator(
    request: pytest.FixtureRequest, doctest_namespace: dict, tmp_path, monkeypatch
) -> Iterator[None]:
    item = request.node
    if not isinstance(item, DoctestItem) or item.name.startswith("scdata.sandbox"):
        yield
        return
    with Sandbox(artists=3) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SCDATA_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        replace_default(None)
        doctest_namespace["scdata"] = scdata
        yield
        previous = replace_default(None)
        if previous is not None:
            previous.close()
