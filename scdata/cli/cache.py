"""Looking after the cache: what it holds, and clearing it. Never shows a token."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from .._client import Client
from ..config import mask_url
from ..http.session import cache_path
from ..storage.cachefile import CacheFile
from ..storage.pages import SQLitePageStore


def _size(client: Client) -> int:
    base = cache_path(client.settings)
    return sum(p.stat().st_size for p in base.parent.glob(base.name + "*") if p.is_file())


def cache_report(client: Client) -> dict[str, Any]:
    """Location, size, entries, expired entries and the token's state, for display.

    The token part: whether one is stored and until when, the token requests of the last
    hour (how many, how many failed, the last one, by grant type), the refresh fallbacks
    (refreshes SoundCloud refused, replaced by a client-credentials exchange) and the circuit
    breaker (closed, or open until when and why). Never a token.

    Examples
    --------
    >>> import scdata
    >>> report = cache_report(scdata.Client(cache="memory"))
    >>> report["backend"], report["entries"]
    ('memory', 0)
    """
    settings = client.settings
    cache = client.session.cache
    entries = len(cache.responses)
    expired = sum(1 for _ in cache.filter(valid=False, expired=True))
    report: dict[str, Any] = {"backend": mask_url(settings.cache)}  # no Redis password
    if settings.cache == "sqlite":
        report["location"] = str(cache_path(settings))
        report["size"] = f"{_size(client) / 2**20:.1f} MiB"
    report["entries"] = entries
    report["expired entries"] = expired
    store = client.pages.store
    report["typed page copies"] = len(store) if store is not None else 0
    tokens = client.tokens.store
    path = getattr(tokens, "path", None)
    if path is not None:
        report["token file"] = str(path) if path.exists() else "none"
    token = tokens.load()
    if token is None:
        report["token"] = "none stored"
    else:
        when = datetime.fromtimestamp(token.expires_at, UTC)
        state = "valid" if token.fresh(0) else "expired (renewed with its refresh token on use)"
        left = max(0, round(token.expires_at - time.time()))
        report["token"] = f"{state}, expires {when:%Y-%m-%d %H:%M:%S} UTC (in {left} s)"
    report.update(client.tokens.breaker.report())
    return report


def clear_cache(client: Client, *, expired_only: bool = False) -> int:
    """Delete cached answers (only the expired ones with ``expired_only``); return how many.

    The typed page copies kept beside the answers go with them. The token file is kept:
    deleting it would spend a client-credentials exchange. A SQLite file that can't be opened
    or written (corrupt, read-only, full) is deleted with its side files and any copy set aside
    (``*.corrupt``); when even that is impossible, ``PermissionError`` names the file.

    Examples
    --------
    >>> import scdata
    >>> clear_cache(scdata.Client(cache="memory"))
    0
    """
    cache = client.session.cache
    before = len(cache.responses)
    file: CacheFile | None = getattr(cache, "file", None)
    try:
        if file is not None and not file.writable:
            raise sqlite3.OperationalError(f"{file.what} is {file.state}")
        if expired_only:
            cache.delete(expired=True)
        else:
            cache.clear()
        removed = before - len(cache.responses)
        if file is not None and not expired_only:
            file.remove_aside()
    except sqlite3.Error:
        assert file is not None
        _remove(file)
        removed = before
    store = client.pages.store
    if store is not None:
        try:
            if isinstance(store, SQLitePageStore) and not store.file.writable:
                raise sqlite3.OperationalError(f"{store.file.what} is {store.file.state}")
            store.clear(expired_only=expired_only)
            if isinstance(store, SQLitePageStore) and not expired_only:
                store.file.remove_aside()
        except sqlite3.Error:
            assert isinstance(store, SQLitePageStore)
            store.close()
            _remove(store.file)
    return removed


def _remove(file: CacheFile) -> None:
    """Delete a cache file that can't be cleared through SQLite (see :meth:`CacheFile.remove`)."""
    try:
        file.remove()
    except OSError as exc:
        raise PermissionError(
            f"cannot clear the cache: {file.what} {file.path} can't be deleted "
            f"({exc.strerror or exc}); delete it by hand or fix its permissions"
        ) from None
