"""The one ``requests_cache.CachedSession`` per client: cache backend, expiry and what is stored.

Rules (see the implementation notes in the README):

* only ``200`` answers to ``GET``/``HEAD`` are stored, for ``expire_after`` seconds, plus the
  ``302`` of ``/resolve`` (its JSON body and ``Location`` name the user's URL), so that a cached
  run never resolves a name again; errors are never stored;
* the ``Authorization`` header is neither part of the cache key nor stored (requests-cache
  redacts it; scdata always spells it with that exact case, which the redaction needs);
* redirects are never followed by requests, so no redirect history, which requests-cache would
  store without redaction, reaches the cache;
* the token request uses its own plain session (:mod:`scdata.http.auth`), so it is never cached;
* the SQLite file lives in a 0700 directory and is created 0600; a corrupt, read-only or full
  file is rebuilt or bypassed, never the reason a call fails (:mod:`scdata.storage.cachefile`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests_cache import DEFAULT_IGNORED_PARAMS, DO_NOT_CACHE, BaseCache, CacheMixin

from ..config import Settings
from ..storage.backends import shared_state
from ..storage.cachefile import CacheFile
from ..storage.httpcache import SCHEMA, DisposableSQLiteCache
from ..storage.redis_store import NAMESPACE, RedisConnection
from .auth import TokenManager
from .headers import identify
from .throttle import Throttle
from .transport import Transport

IGNORED_PARAMETERS = (
    *DEFAULT_IGNORED_PARAMS,
    "oauth_token",
    "client_id",
    "client_secret",
    "refresh_token",
)
CACHE_FILE = "http_cache.sqlite"


class SoundCloudSession(CacheMixin, Transport, requests.Session):
    """``CachedSession`` whose cache misses go through :class:`scdata.http.transport.Transport`."""


def _storable(response: requests.Response) -> bool:
    """Cheap guard run before a write: JSON 200s, and the 302s of ``/resolve``.

    The full parse happens in :mod:`~scdata.http.endpoints`, which deletes an entry that does not
    parse.
    """
    if response.status_code == 302:
        return urlsplit(response.url).path.rstrip("/").endswith("/resolve")
    if "json" not in response.headers.get("Content-Type", ""):
        return False
    body = response.content.strip()
    return body[:1] in (b"{", b"[") and body[-1:] in (b"}", b"]")


def cache_path(settings: Settings) -> Path:
    """Path of the SQLite cache database for these settings."""
    return settings.cache_dir / CACHE_FILE


def _sqlite_backend(settings: Settings) -> DisposableSQLiteCache:
    """The SQLite cache: checked on open, rebuilt when corrupt, bypassed when it can't serve.

    See :mod:`~scdata.storage.cachefile` (which also serves the typed page copies) for what
    happens to a corrupt, read-only or full file, and for the lock under which processes open it.
    """
    return DisposableSQLiteCache(CacheFile(cache_path(settings), "HTTP cache", SCHEMA))


def build_session(
    settings: Settings, tokens: TokenManager, redis: RedisConnection | None = None
) -> SoundCloudSession:
    """Create the cached session for ``settings``.

    Examples
    --------
    >>> from scdata.storage.tokens import MemoryTokenStore
    >>> settings = Settings.load(cache="memory")
    >>> session = build_session(settings, TokenManager(settings, MemoryTokenStore()))
    >>> session.settings.expire_after
    3600
    """
    common: dict[str, Any] = {  # CachedSession's keywords
        "expire_after": settings.expire_after if settings.cache != "off" else DO_NOT_CACHE,
        "allowable_codes": (200, 302),
        "allowable_methods": ("GET", "HEAD"),
        "ignored_parameters": IGNORED_PARAMETERS,
        "stale_if_error": False,
        "filter_fn": _storable,
    }
    if settings.uses_redis:
        from requests_cache.backends import RedisCache

        connection = (redis or RedisConnection(settings.cache))()
        backend: BaseCache | str = RedisCache(namespace=f"{NAMESPACE}:http", connection=connection)
    elif settings.cache == "sqlite":
        backend = _sqlite_backend(settings)
    else:
        backend = "memory"
    session = SoundCloudSession(backend=backend, **common)
    session.scdata_settings = settings
    session.scdata_tokens = tokens
    session.scdata_throttle = Throttle(
        shared_state(settings, redis or RedisConnection(settings.cache), "throttle"),
        rate=settings.rate_limit,
        backoff=settings.throttle_backoff,
        lease=settings.timeout + 15,  # a probe that takes longer is presumed lost
    )
    return identify(session)
