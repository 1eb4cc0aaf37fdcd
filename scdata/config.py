"""Settings: read once from the environment or from keyword arguments, validated, secrets masked.

| variable                     | keyword          | default                                       |
|------------------------------|------------------|-----------------------------------------------|
| ``SOUNDCLOUD_CLIENT_ID``     | client_id        | required before the first token request       |
| ``SOUNDCLOUD_CLIENT_SECRET`` | client_secret    | required before the first token request       |
| ``SOUNDCLOUD_AUTHORIZATION`` | authorization    | ``Basic base64(client_id:client_secret)``     |
| ``SOUNDCLOUD_URL_GET_TOKEN`` | token_url        | ``https://secure.soundcloud.com/oauth/token`` |
| ``SOUNDCLOUD_API_URL``       | api_url          | ``https://api.soundcloud.com``                |
| ``SCDATA_CACHE_DIR``         | cache_dir        | the user's cache directory for scdata         |
| ``SCDATA_CACHE``             | cache            | ``sqlite``; also ``memory``, ``off``,         |
|                              |                  | ``redis://host:port/db`` or ``rediss://``     |
| ``SCDATA_EXPIRE_AFTER``      | expire_after     | ``3600`` seconds                              |
| ``SCDATA_MAX_RETRIES``       | max_retries      | ``3``                                         |
| ``SCDATA_RETRY_BACKOFF``     | retry_backoff    | ``0.5`` s first back-off (doubles, jittered)  |
| ``SCDATA_MAX_RETRY_WAIT``    | max_retry_wait   | ``60`` s, the most one call waits in all      |
| ``SCDATA_RATE_LIMIT``        | rate_limit       | ``5`` requests/s, shared; ``0``: no pacing    |
| ``SCDATA_THROTTLE_BACKOFF``  | throttle_backoff | ``15`` s first shared pause when throttled    |
| ``SCDATA_TOKEN_COOLDOWN``    | token_cooldown   | ``60`` s, no token request after a failure    |
| ``SCDATA_TIMEOUT``           | timeout          | ``30`` s read timeout (connect: 10 s)         |
| ``SCDATA_BATCH_SIZE``        | batch_size       | ``50`` items per ``/tracks?urns=`` lookup     |
| ``SCDATA_SEARCH_DEPTH``      | search_depth     | ``1000`` results, the most one search serves  |

``offline`` and ``refresh`` are keywords only (``scdata.Client(offline=True)``), not variables.

Every number is checked at load: ``nan``, infinities, negative values and values beyond the
bounds in :data:`BOUNDS` raise :class:`~scdata.errors.ConfigurationError` naming the variable
and the value (``SCDATA_EXPIRE_AFTER=10**15`` would overflow the cache's expiry dates;
``SCDATA_MAX_RETRY_WAIT=nan`` made every comparison false and a throttled call retry forever).

Why 5 requests per second: SoundCloud publishes no general request limit, but its staff say
"It was never unlimited" and assign each app to a rate-limit group whose size is not public;
apps report "Rate Limit Exceeded" after a couple of calls and research scripts blocked by the
CloudFront edge "after just a few requests" (``../shared/soundcloud-api/API-NOTES-2.md`` §1.1,
whose advice is "a few requests per second"). 5/s is shared by every thread and process that
shares the cache (see :mod:`scdata.http.throttle`) and halves while SoundCloud throttles.

Why a search depth of 1000: a track search page at ``offset=1000`` is empty yet links to
``offset=1050`` (API issue #505, ``samples/issue505_search_empty_page_with_next_href_2026.json``);
search walks stop there and report the results beyond as unreachable (``docs/search.md``).
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .errors import ConfigurationError, mask_secrets

DEFAULT_TOKEN_URL = "https://secure.soundcloud.com/oauth/token"
DEFAULT_API_URL = "https://api.soundcloud.com"
CACHE_MODES = ("sqlite", "memory", "off")
REDIS_SCHEMES = ("redis", "rediss")
CONNECT_TIMEOUT = 10.0  # seconds; the read timeout is ``SCDATA_TIMEOUT``


class Secret:
    """A string that never shows itself in ``repr``, ``str``, logs or tracebacks.

    Examples
    --------
    >>> s = Secret("hunter2")
    >>> s
    Secret('***')
    >>> s.reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the real value (only for the one place that must send it)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


# name -> (environment variable, parser)
def _text(name: str, raw: object) -> str:
    if isinstance(raw, os.PathLike):
        raw = os.fspath(raw)
    if not isinstance(raw, str):
        raise ConfigurationError(f"{name} must be a string, got {type(raw).__name__} {raw!r}")
    return raw.strip()


# (smallest, largest) accepted value of each number; the largest are far beyond any sensible use
# and small enough that no date, sleep or retry loop built from them overflows or runs away
BOUNDS: dict[str, tuple[float, float]] = {
    "expire_after": (0, 366 * 86_400),  # a year
    "max_retries": (0, 20),
    "max_retry_wait": (0, 86_400),  # a day
    "retry_backoff": (0, 60),
    "rate_limit": (0, 1_000),  # requests per second; 0 disables pacing
    "throttle_backoff": (0.1, 3_600),  # a pause of 0 would retry a throttled API at once
    "token_cooldown": (0, 86_400),
    "timeout": (0, 600),  # 0 means the default, 30 s
    "batch_size": (1, 200),  # items per /tracks?urns= or /users?urns= request
    "search_depth": (1, 1_000_000),  # ranked positions a search serves (API-NOTES-2 §2.10)
}


def _number(kind: type, key: str) -> Any:
    low, high = BOUNDS[key]

    def parse(name: str, raw: Any) -> Any:
        where = name if name == key else f"{key} ({name})"
        if isinstance(raw, bool):
            raise ConfigurationError(f"{where} must be a number, got {raw!r}")
        try:
            number = float(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError, OverflowError):
            raise ConfigurationError(f"{where} must be a number, got {raw!r}") from None
        if not math.isfinite(number):
            raise ConfigurationError(f"{where} must be a finite number, got {raw!r}")
        if number < 0:
            raise ConfigurationError(f"{where} must not be negative, got {raw!r}")
        if not low <= number <= high:
            raise ConfigurationError(f"{where} must be between {low:g} and {high:g}, got {raw!r}")
        if kind is int:
            if number != int(number):
                raise ConfigurationError(f"{where} must be a whole number, got {raw!r}")
            return int(number)
        return number

    return parse


def mask_url(url: str) -> str:
    """``url`` with any credentials (``user:password@``) replaced by ``***``.

    Examples
    --------
    >>> mask_url("redis://:Secr3tPass@cache.example:6379/0")
    'redis://***@cache.example:6379/0'
    >>> mask_url("https://api.soundcloud.com")
    'https://api.soundcloud.com'
    """
    return mask_secrets(url)  # one set of patterns: URL credentials, and tokens in a query


_ENV = {
    "client_id": ("SOUNDCLOUD_CLIENT_ID", _text),
    "client_secret": ("SOUNDCLOUD_CLIENT_SECRET", _text),
    "authorization": ("SOUNDCLOUD_AUTHORIZATION", _text),
    "token_url": ("SOUNDCLOUD_URL_GET_TOKEN", _text),
    "api_url": ("SOUNDCLOUD_API_URL", _text),
    "cache_dir": ("SCDATA_CACHE_DIR", _text),
    "cache": ("SCDATA_CACHE", _text),
    "expire_after": ("SCDATA_EXPIRE_AFTER", _number(int, "expire_after")),
    "max_retries": ("SCDATA_MAX_RETRIES", _number(int, "max_retries")),
    "max_retry_wait": ("SCDATA_MAX_RETRY_WAIT", _number(float, "max_retry_wait")),
    "retry_backoff": ("SCDATA_RETRY_BACKOFF", _number(float, "retry_backoff")),
    "rate_limit": ("SCDATA_RATE_LIMIT", _number(float, "rate_limit")),
    "throttle_backoff": ("SCDATA_THROTTLE_BACKOFF", _number(float, "throttle_backoff")),
    "token_cooldown": ("SCDATA_TOKEN_COOLDOWN", _number(float, "token_cooldown")),
    "timeout": ("SCDATA_TIMEOUT", _number(float, "timeout")),
    "batch_size": ("SCDATA_BATCH_SIZE", _number(int, "batch_size")),
    "search_depth": ("SCDATA_SEARCH_DEPTH", _number(int, "search_depth")),
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{name} must be an http(s) URL, got {mask_url(url)!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{name} must use https (plain http is only allowed on a loopback address "
            f"such as the scdata sandbox), got {mask_url(url)!r}"
        )
    return url.rstrip("/")


def _cache_mode(value: str) -> str:
    """``sqlite``/``memory``/``off`` in lower case, or a Redis URL with only its scheme lowered.

    A Redis URL keeps its case: its password may hold capitals.
    """
    scheme, sep, rest = value.partition("://")
    if sep and scheme.lower() in REDIS_SCHEMES:
        return f"{scheme.lower()}://{rest}"
    mode = value.lower()
    if mode not in CACHE_MODES:
        raise ConfigurationError(
            f"cache (SCDATA_CACHE) must be one of {', '.join(CACHE_MODES)} "
            f"or a redis:// URL, got {mask_url(value)!r}"
        )
    return mode


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """Validated settings of one client; build them with :meth:`Settings.load`.

    Examples
    --------
    >>> s = Settings.load({}, client_id="abc", client_secret="xyz", cache="memory")
    >>> s.api_url
    'https://api.soundcloud.com'
    >>> "xyz" in repr(s)
    False
    """

    client_id: str | None
    client_secret: Secret | None
    authorization: Secret | None
    token_url: str
    api_url: str
    cache_dir: Path
    cache: str
    expire_after: int
    max_retries: int
    max_retry_wait: float
    retry_backoff: float
    rate_limit: float
    timeout: float
    throttle_backoff: float = 15.0
    token_cooldown: float = 60.0
    batch_size: int = 50
    search_depth: int = 1000
    offline: bool = False
    refresh: bool = False

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``env`` (default ``os.environ``); keyword arguments win.

        A keyword left at ``None`` falls back to the environment, then to the default.
        """
        env = os.environ if env is None else env
        unknown = set(overrides) - set(_ENV) - {"offline", "refresh"}
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        raw: dict[str, Any] = {}
        for key, (var, parse) in _ENV.items():
            value = overrides.get(key)
            if value is not None:
                raw[key] = value if isinstance(value, Secret) else parse(key, value)
            elif env.get(var, "").strip():
                raw[key] = parse(var, env[var])
        cache = _cache_mode(str(raw.get("cache", "sqlite")))
        secret = raw.get("client_secret")
        authorization = raw.get("authorization")
        return cls(
            client_id=raw.get("client_id") or None,
            client_secret=_secret(secret),
            authorization=_secret(authorization),
            token_url=_check_url(
                "token_url (SOUNDCLOUD_URL_GET_TOKEN)", raw.get("token_url") or DEFAULT_TOKEN_URL
            ),
            api_url=_check_url(
                "api_url (SOUNDCLOUD_API_URL)", raw.get("api_url") or DEFAULT_API_URL
            ),
            cache_dir=Path(
                raw.get("cache_dir") or platformdirs.user_cache_dir("scdata")
            ).expanduser(),
            cache=cache,
            expire_after=raw.get("expire_after", 3600),
            max_retries=raw.get("max_retries", 3),
            max_retry_wait=raw.get("max_retry_wait", 60.0),
            retry_backoff=raw.get("retry_backoff", 0.5),
            rate_limit=raw.get("rate_limit", 5.0),
            timeout=raw.get("timeout", 30.0) or 30.0,
            throttle_backoff=raw.get("throttle_backoff", 15.0),
            token_cooldown=raw.get("token_cooldown", 60.0),
            batch_size=raw.get("batch_size", 50),
            search_depth=raw.get("search_depth", 1000),
            offline=bool(overrides.get("offline") or False),
            refresh=bool(overrides.get("refresh") or False),
        )

    def missing_credentials(self) -> list[str]:
        """Names of the environment variables still needed before scdata may ask for a token."""
        missing = []
        if not self.client_id:
            missing.append("SOUNDCLOUD_CLIENT_ID")
        if not self.client_secret and not self.authorization:
            missing.append("SOUNDCLOUD_CLIENT_SECRET")
        return missing

    def require_credentials(self) -> None:
        """Raise :class:`ConfigurationError` naming every missing credential variable."""
        missing = self.missing_credentials()
        if missing:
            raise ConfigurationError(
                "SoundCloud credentials are missing: set "
                + " and ".join(missing)
                + " (or pass client_id=/client_secret= to scdata.Client or scdata.configure); "
                "run `scdata demo` or use scdata.sandbox.serve() to work offline"
            )

    def basic_authorization(self) -> str:
        """The token request's ``Authorization`` value (``SOUNDCLOUD_AUTHORIZATION`` if set)."""
        if self.authorization:
            return self.authorization.reveal()
        pair = f"{self.client_id}:{self.client_secret.reveal() if self.client_secret else ''}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    @property
    def uses_redis(self) -> bool:
        """True when ``cache`` is a ``redis://`` (or ``rediss://``) URL: the one place that asks.

        Examples
        --------
        >>> Settings.load({}, cache="REDIS://h:6379/0").uses_redis
        True
        >>> Settings.load({}, cache="sqlite").uses_redis
        False
        """
        return self.cache.startswith(tuple(f"{scheme}://" for scheme in REDIS_SCHEMES))

    @property
    def timeouts(self) -> tuple[float, float]:
        """``(connect, read)`` seconds for every request scdata sends, the token request included.

        Examples
        --------
        >>> Settings.load({}, timeout=5).timeouts
        (5.0, 5.0)
        >>> Settings.load({}).timeouts
        (10.0, 30.0)
        """
        return (min(CONNECT_TIMEOUT, self.timeout), self.timeout)

    @property
    def token_key(self) -> str:
        """What a stored token belongs to: the client id and the token endpoint."""
        return f"{self.client_id}@{self.token_url}"

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={_shown(getattr(self, f.name))!r}"
            for f in dataclasses.fields(self)
            if f.name not in ("client_secret", "authorization")
        )
        return f"Settings({shown})"


def _shown(value: Any) -> Any:
    return mask_url(value) if isinstance(value, str) else value


def _secret(value: Any) -> Secret | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Secret) else Secret(str(value))
