"""Looking after the cache: what it holds, and clearing it. Never shows a token."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from .client import Client
from .config import mask_url
from .session import cache_path


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
    deleting it would spend a client-credentials exchange.

    Examples
    --------
    >>> import scdata
    >>> clear_cache(scdata.Client(cache="memory"))
    0
    """
    cache = client.session.cache
    before = len(cache.responses)
    if expired_only:
        cache.delete(expired=True)
    else:
        cache.clear()
    if client.pages.store is not None:
        client.pages.store.clear(expired_only=expired_only)
    return before - len(cache.responses)
