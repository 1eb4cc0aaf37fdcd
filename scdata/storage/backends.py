"""What a cache setting means for the token and the typed page copies: which store holds them.

| ``cache``      | token                          | typed page copies            |
|----------------|--------------------------------|------------------------------|
| ``sqlite``     | a 0600 file in the cache dir   | SQLite beside the HTTP cache |
| ``off``        | a 0600 file in the cache dir   | none                         |
| ``memory``     | this process                   | this process                 |
| ``redis://…``  | Redis, renewed under its lock  | Redis, with TTL              |

Shared coordination records (:mod:`scdata.storage.sharedstate`: the back-off, the token circuit
breaker) follow the token: in this process, a 0600 file in the cache directory, or Redis.
"""

from __future__ import annotations

from ..config import Settings
from .pages import PAGES_FILE, MemoryPageStore, PageStore, RedisPageStore, SQLitePageStore
from .redis_store import NAMESPACE, RedisConnection, RedisTokenStore, digest
from .sharedstate import FileState, MemoryState, RedisState, SharedState
from .tokens import FileTokenStore, MemoryTokenStore, TokenStore


def token_store(settings: Settings, redis: RedisConnection) -> TokenStore:
    """The token store ``settings`` call for.

    Examples
    --------
    >>> settings = Settings.load({}, cache="memory")
    >>> token_store(settings, RedisConnection(settings.cache))
    MemoryTokenStore()
    """
    if settings.uses_redis:
        return RedisTokenStore(redis(), settings.token_key)
    if settings.cache == "memory":
        return MemoryTokenStore()
    return FileTokenStore(settings.cache_dir, settings.token_key)


def page_store(settings: Settings, redis: RedisConnection, namespace: str) -> PageStore | None:
    """The typed-page store ``settings`` call for (``None`` with ``cache="off"``).

    ``namespace`` keys every copy (the client passes the schema version, so copies written
    under another schema are never read back).

    Examples
    --------
    >>> settings = Settings.load({}, cache="off")
    >>> page_store(settings, RedisConnection(settings.cache), "v1") is None
    True
    >>> page_store(Settings.load({}, cache="memory"), RedisConnection("memory"), "v1").namespace
    'v1'
    """
    if settings.cache == "off":
        return None
    if settings.uses_redis:
        return RedisPageStore(redis(), namespace=namespace)
    if settings.cache == "memory":
        return MemoryPageStore(namespace=namespace)
    return SQLitePageStore(settings.cache_dir / PAGES_FILE, namespace=namespace)


def shared_state(settings: Settings, redis: RedisConnection, name: str) -> SharedState:
    """The shared record ``name`` (e.g. ``"backoff"``) for everyone who shares this token.

    One record per (client id, token URL), like the token itself.

    Examples
    --------
    >>> settings = Settings.load({}, cache="memory")
    >>> shared_state(settings, RedisConnection(settings.cache), "backoff")
    MemoryState()
    """
    if settings.uses_redis:
        return RedisState(redis(), f"{NAMESPACE}:state:{name}:{digest(settings.token_key)}")
    if settings.cache == "memory":
        return MemoryState()
    return FileState(settings.cache_dir / f"state-{name}-{digest(settings.token_key)[:16]}.json")
