"""Every exception scdata raises, in one place.

The tree (``except SoundCloudError`` catches them all; a second base, in brackets, keeps the
built-in ``except`` working)::

    SoundCloudError
    ├── ArgumentError [ValueError] ........ a bad argument: limit, access, workers, kind
    │   └── InvalidReferenceError ......... a value that cannot name what was asked for
    │       └── InvalidUserError .......... a value that cannot name a SoundCloud user
    ├── ConfigurationError [ValueError] ... a missing or unusable setting
    ├── SchemaError [ValueError] .......... a frame that does not fit its declared columns
    ├── AuthError ......................... the token request failed
    │   └── TokenCooldownError ............ no token request until a cool-down passes
    ├── NotFoundError [LookupError] ....... SoundCloud has no such track or playlist
    │   └── UserNotFoundError ............. SoundCloud has no such user
    ├── RateLimitError .................... SoundCloud's rate limit did not clear in time
    │   └── BlockedError .................. SoundCloud's edge is blocking this IP
    ├── APIError .......................... an answer scdata cannot use
    ├── OfflineError ...................... offline, and the answer is not in the cache
    └── StoreLockedError .................. another sync holds the store's lock

Usage errors (``ArgumentError`` and ``InvalidUserError``) are the caller's to fix; the ``scdata``
command exits 2 on them, and 1 on every other error. Building a frame never raises for a value
it cannot read: it warns with :class:`scdata.ParseWarning` (``scdata.frames.schema``) and the
value is missing.

The messages keep the original service's Spanish wording where it had one
("Fallo en la autenticación de SoundCloud", "Se requiere un nombre de usuario",
"No se pudo encontrar al usuario") and add the English details after it.
No message ever contains the client secret, a token or an Authorization value.
"""

from __future__ import annotations

import re
from typing import Any

AUTH_FAILED = "Fallo en la autenticación de SoundCloud"
USER_REQUIRED = "Se requiere un nombre de usuario"
USER_NOT_FOUND = "No se pudo encontrar al usuario"


_SECRETS = (
    (re.compile(r"(?i)\b(OAuth|Bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]{16,}=*"), r"\1 ***"),
    (
        re.compile(r'(?i)("?(?:access_token|refresh_token|client_secret)"?\s*[:=]\s*"?)[^"&\s,}]+'),
        r"\1***",
    ),
    (re.compile(r"(?<=://)[^/@\s]*@"), "***@"),
)


def mask_secrets(text: str) -> str:
    """``text`` with tokens, secrets and URL credentials an error body may echo replaced by ``***``.

    Examples
    --------
    >>> mask_secrets('{"error":"bad token OAuth 2-29-abcDEF","access_token":"xyz"}')
    '{"error":"bad token OAuth ***","access_token":"***"}'
    >>> mask_secrets("redis://:Pa55@host:6379/0 refused")
    'redis://***@host:6379/0 refused'
    """
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class SoundCloudError(Exception):
    """Base class of every scdata error.

    Examples
    --------
    >>> import scdata
    >>> try:
    ...     scdata.tracks_df("no-such-user-xyz")
    ... except scdata.SoundCloudError as exc:
    ...     print(type(exc).__name__, "-", exc)  # doctest: +ELLIPSIS
    UserNotFoundError - No se pudo encontrar al usuario no-such-user-xyz — check the spelling ...
    """


class ArgumentError(SoundCloudError, ValueError):
    """An argument has a value scdata cannot use (names the parameter and the value).

    Examples
    --------
    >>> import scdata
    >>> try:
    ...     scdata.tracks_df("jowymusic", limit=0)
    ... except ValueError as exc:  # or scdata.ArgumentError, or scdata.SoundCloudError
    ...     print(type(exc).__name__, "-", exc)
    ArgumentError - limit must be an integer from 1 to 1000000, got 0
    """


class ConfigurationError(SoundCloudError, ValueError):
    """A setting is missing or has a value scdata cannot use (names the setting)."""


class SchemaError(SoundCloudError, ValueError):
    """A frame or table does not fit its declared columns (e.g. in ``scdata.to_parquet``).

    The message names the column. Building a frame from API data never raises it: a value
    that cannot be read becomes missing with a :class:`~scdata.frames.schema.ParseWarning`.
    """


class AuthError(SoundCloudError):
    """The token request failed; the message starts with "Fallo en la autenticación de SoundCloud".

    Parameters
    ----------
    detail : str
        What went wrong, in English (HTTP status, the server's error code, when to retry).
    status : int, optional
        HTTP status of the token endpoint's answer, when there was one.
    """

    def __init__(self, detail: str = "", status: int | None = None) -> None:
        self.status = status
        super().__init__(f"{AUTH_FAILED}: {detail}" if detail else AUTH_FAILED)


class InvalidReferenceError(ArgumentError):
    """A value cannot name what the parameter asks for (a user URL given as a track...).

    The message names the parameter, the value, and what it is instead when that is known.
    """


class InvalidUserError(InvalidReferenceError):
    """The value given as a user cannot name a SoundCloud user (names the value)."""


class NotFoundError(SoundCloudError, LookupError):
    """SoundCloud has no such track or playlist (or user: :class:`UserNotFoundError`).

    Attributes
    ----------
    ref : object
        The item as given (a reference, URL or URN).
    kind : str
        ``"tracks"``, ``"playlists"`` or ``"users"``.

    Examples
    --------
    >>> print(NotFoundError("soundcloud:tracks:1", "tracks"))
    SoundCloud has no track soundcloud:tracks:1 (deleted, private, or never existed)
    """

    def __init__(self, ref: object, kind: str = "tracks") -> None:
        self.ref = ref
        self.kind = kind
        noun = {"tracks": "track", "playlists": "playlist", "users": "user"}.get(kind, kind)
        super().__init__(f"SoundCloud has no {noun} {ref} (deleted, private, or never existed)")


class UserNotFoundError(NotFoundError):
    """SoundCloud has no such user: "No se pudo encontrar al usuario <user> — <what to check>".

    The message is the original service's, then what to check next (see :func:`user_hint`);
    ``message`` is the original alone, as the original functions (``scdata.user_info``,
    ``scdata.user_tracks``) report it.

    Attributes
    ----------
    user : object
        The user as given (a reference or a URN).
    message : str
        "No se pudo encontrar al usuario <user>", exactly.
    hint : str
        What to check next.

    Examples
    --------
    >>> error = UserNotFoundError("jowymusci")
    >>> error.message
    'No se pudo encontrar al usuario jowymusci'
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    No se pudo encontrar al usuario jowymusci — check the spelling of the profile URL's last
    part (soundcloud.com/<name>), or pass the numeric id or URN
    """

    def __init__(self, user: object) -> None:
        self.user = user
        self.ref = user
        self.kind = "users"
        self.message = f"{USER_NOT_FOUND} {user}"
        self.hint = user_hint(user)
        Exception.__init__(self, f"{self.message} — {self.hint}")


def user_hint(user: object) -> str:
    """What to check next when SoundCloud has no user ``user`` (a reference, URN or name).

    Examples
    --------
    >>> user_hint("soundcloud:users:42")
    'no user has the id 42: check the number, or pass the username from the profile URL'
    >>> user_hint("https://on.soundcloud.com/AbC1")  # doctest: +ELLIPSIS
    'the short link leads nowhere: open it in a browser ...'
    """
    text = str(user)
    user_id = getattr(user, "user_id", None)
    if user_id is None and text.startswith("soundcloud:users:"):
        user_id = text.rsplit(":", 1)[1]
    elif user_id is None and text.isdigit():
        user_id = text
    if user_id is not None:
        return (
            f"no user has the id {user_id}: check the number, or pass the username from the "
            "profile URL"
        )
    if getattr(user, "short_link", None) or "on.soundcloud.com/" in text:
        return (
            "the short link leads nowhere: open it in a browser and pass the profile URL "
            "it lands on (soundcloud.com/<name>)"
        )
    return (
        "check the spelling of the profile URL's last part (soundcloud.com/<name>), "
        "or pass the numeric id or URN"
    )


class TokenCooldownError(AuthError):
    """A token request failed recently; no new one is sent until the cool-down passes.

    SoundCloud counts failed token requests against its limits (30 per IP per hour, 50 per app
    per 12 h), so after a failure every thread and process sharing the token store waits.

    Attributes
    ----------
    retry_at : datetime.datetime
        When the next token request is allowed (UTC).
    """

    def __init__(self, detail: str, retry_at: object) -> None:
        self.retry_at = retry_at
        super().__init__(detail)


class RateLimitError(SoundCloudError):
    """SoundCloud's rate limit did not clear within the allowed waiting time.

    Attributes
    ----------
    reset_time : datetime.datetime or None
        When SoundCloud said the limit resets, if it said so.
    limit_name : str or None
        The limit's name or group from the 429 body (e.g. ``"plays"``).
    """

    def __init__(self, message: str, *, reset_time: object = None, limit_name: str | None = None):
        self.reset_time = reset_time
        self.limit_name = limit_name
        super().__init__(message)


class BlockedError(RateLimitError):
    """SoundCloud's edge (CloudFront) answered with its HTML 403 page: this IP is being blocked.

    It is throttling, not a permission error: the block lifts after a while. Shared and
    datacenter IPs (cloud machines, CI runners, VPNs) are blocked more often than home ones.
    A bulk export or sync stops at the first one instead of sending more requests into it.
    """


class APIError(SoundCloudError):
    """An unexpected answer from the API: a status we cannot use or a body of the wrong shape.

    Attributes
    ----------
    status : int or None
        The HTTP status (``None`` when the connection itself failed).
    url : str
        The request's path and query (never a token).
    excerpt : str
        The first 200 characters of the body.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str = "", body: str = ""):
        self.status = status
        self.url = url
        self.excerpt = mask_secrets(" ".join(body.split()))[:200]
        parts = [message]
        if status is not None:
            parts.append(f"HTTP {status}")
        if url:
            parts.append(url)
        text = " — ".join(parts)
        super().__init__(f"{text}: {self.excerpt}" if self.excerpt else text)


class OfflineError(SoundCloudError):
    """``offline=True`` and the answer is not in the cache (no request was sent)."""


class StoreLockedError(SoundCloudError):
    """Another sync holds the store's lock; two syncs on one store are refused.

    ``holder`` is what the lock file says about the other run (host, pid, run_id, started_at).
    """

    def __init__(self, message: str, holder: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}
