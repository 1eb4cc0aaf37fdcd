"""Settings: read once from the environment or from keyword arguments, validated, secrets masked.

| variable                     | keyword          | default                                        |
|------------------------------|------------------|------------------------------------------------|
| ``SOUNDCLOUD_CLIENT_ID``     | ``client_id``    | required for network use                       |
| ``SOUNDCLOUD_CLIENT_SECRET`` | ``client_secret``| required for network use                       |
| ``SOUNDCLOUD_AUTHORIZATION`` | ``authorization``| ``Basic base64(client_id:client_secret)``      |
| ``SOUNDCLOUD_URL_GET_TOKEN`` | ``token_url``    | ``https://secure.soundcloud.com/oauth/token``  |
| ``SOUNDCLOUD_API_URL``       | ``api_url``      | ``https://api.soundcloud.com``                 |
| ``SCDATA_CACHE_DIR``         | ``cache_dir``    | the user's cache directory for scdata          |
| ``SCDATA_CACHE``             | ``cache``        | ``sqlite`` (or ``memory``, ``off``)            |
| ``SCDATA_EXPIRE_AFTER``      | ``expire_after`` | ``3600`` seconds                               |
| ``SCDATA_MAX_RETRIES``       | ``max_retries``  | ``3``                                          |
| ``SCDATA_MAX_RETRY_WAIT``    | ``max_retry_wait``| ``60`` seconds                                |
| ``SCDATA_RETRY_BACKOFF``     | ``retry_backoff``| ``0.5`` s (first back-off; doubles, jittered)  |
| ``SCDATA_RATE_LIMIT``        | ``rate_limit``   | ``5`` requests per second                      |
| ``SCDATA_THROTTLE_BACKOFF``  | ``throttle_backoff``| ``15`` s first shared pause when throttled  |
| ``SCDATA_TOKEN_COOLDOWN``    | ``token_cooldown``| ``60`` s with no token request after a failure|
| ``SCDATA_TIMEOUT``           | ``timeout``      | ``30`` seconds (connect timeout 10)            |
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .errors import ConfigurationError

DEFAULT_TOKEN_URL = "https://secure.soundcloud.com/oauth/token"
DEFAULT_API_URL = "https://api.soundcloud.com"
CACHE_MODES = ("sqlite", "memory", "off")


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


def _number(kind: type) -> Any:
    def parse(name: str, raw: Any) -> Any:
        if isinstance(raw, bool):
            raise ConfigurationError(f"{name} must be a number, got {raw!r}")
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
        if value < 0:
            raise ConfigurationError(f"{name} must not be negative, got {raw!r}")
        return value

    return parse


_ENV = {
    "client_id": ("SOUNDCLOUD_CLIENT_ID", _text),
    "client_secret": ("SOUNDCLOUD_CLIENT_SECRET", _text),
    "authorization": ("SOUNDCLOUD_AUTHORIZATION", _text),
    "token_url": ("SOUNDCLOUD_URL_GET_TOKEN", _text),
    "api_url": ("SOUNDCLOUD_API_URL", _text),
    "cache_dir": ("SCDATA_CACHE_DIR", _text),
    "cache": ("SCDATA_CACHE", _text),
    "expire_after": ("SCDATA_EXPIRE_AFTER", _number(int)),
    "max_retries": ("SCDATA_MAX_RETRIES", _number(int)),
    "max_retry_wait": ("SCDATA_MAX_RETRY_WAIT", _number(float)),
    "retry_backoff": ("SCDATA_RETRY_BACKOFF", _number(float)),
    "rate_limit": ("SCDATA_RATE_LIMIT", _number(float)),
    "throttle_backoff": ("SCDATA_THROTTLE_BACKOFF", _number(float)),
    "token_cooldown": ("SCDATA_TOKEN_COOLDOWN", _number(float)),
    "timeout": ("SCDATA_TIMEOUT", _number(float)),
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
        raise ConfigurationError(f"{name} must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{name} must use https (plain http is only allowed on a loopback address "
            f"such as the scdata sandbox), got {url!r}"
        )
    return url.rstrip("/")


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
        cache = str(raw.get("cache", "sqlite")).lower()
        if cache not in CACHE_MODES and not cache.startswith(("redis://", "rediss://")):
            raise ConfigurationError(
                f"cache (SCDATA_CACHE) must be one of {', '.join(CACHE_MODES)} "
                f"or a redis:// URL, got {raw.get('cache')!r}"
            )
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
    def token_key(self) -> str:
        """What a stored token belongs to: the client id and the token endpoint."""
        return f"{self.client_id}@{self.token_url}"

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name not in ("client_secret", "authorization")
        )
        return f"Settings({shown})"


def _secret(value: Any) -> Secret | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Secret) else Secret(str(value))
