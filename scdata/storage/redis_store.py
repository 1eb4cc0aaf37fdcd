"""Redis as the shared backend (``SCDATA_CACHE=redis://host:port/db``): connection and token.

Every process on every machine pointed at one Redis shares one access token: it is renewed
under a Redis lock, so exactly one worker spends the single-use refresh token (or the
client-credentials exchange) while the others wait and reuse the result. The HTTP cache itself
is requests-cache's Redis backend (see :mod:`scdata.http.session`); entries expire by Redis TTL.
Typed page copies use :class:`scdata.storage.pages.RedisPageStore`.
The ``redis`` client is an optional extra: ``pip install "scdata[redis]"``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

from ..config import mask_url
from ..errors import ConfigurationError
from .tokens import Token

NAMESPACE = "scdata"
LOCK_TIMEOUT = 60  # seconds a crashed holder keeps the lock at most
LOCK_WAIT = 120  # seconds a worker waits for the holder


def connect(url: str) -> Any:
    """A ``redis.Redis`` client for ``url``; a clear error when the extra is missing.

    Examples
    --------
    >>> client = connect("redis://127.0.0.1:6379/0")  # connects lazily, on first use
    >>> type(client).__name__, client.connection_pool.connection_kwargs["port"]
    ('Redis', 6379)
    """
    try:
        import redis
    except ImportError:
        raise ConfigurationError(
            f"SCDATA_CACHE={mask_url(url)!r} needs the redis client: pip install 'scdata[redis]'"
        ) from None
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


def digest(text: str) -> str:
    """A short stable hash for key names (never the raw client id or URL)."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class RedisTokenStore:
    """The token in one Redis key, renewed under a Redis lock shared by every worker.

    Examples
    --------
    >>> store = RedisTokenStore(connect("redis://127.0.0.1:1/0"), "id@https://token")
    >>> store.key.startswith("scdata:token:")
    True
    """

    def __init__(self, redis: Any, key: str) -> None:
        self._redis = redis
        self.key = f"{NAMESPACE}:token:{digest(key)}"

    def load(self) -> Token | None:
        raw = self._redis.get(self.key)
        if raw is None:
            return None
        try:
            return Token.from_json(raw)
        except ValueError:  # valid JSON of the wrong shape included: no token
            return None

    def save(self, token: Token) -> None:
        self._redis.set(self.key, token.to_json())

    def clear(self) -> None:
        self._redis.delete(self.key)

    @contextlib.contextmanager
    def lock(self) -> Iterator[object]:
        with self._redis.lock(f"{self.key}:lock", timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT):
            yield self

    def __repr__(self) -> str:
        return f"RedisTokenStore({self.key!r})"


class RedisConnection:
    """One Redis client per scdata client, opened on first use (none without Redis).

    Examples
    --------
    >>> RedisConnection("redis://127.0.0.1:6379/0")
    RedisConnection(unused)
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = connect(self._url)
            return self._client

    def __repr__(self) -> str:
        return f"RedisConnection({'open' if self._client is not None else 'unused'})"
