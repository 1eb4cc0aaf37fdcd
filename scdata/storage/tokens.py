"""Where an access token lives between calls: process memory or a 0600 file shared by processes.

A store holds one :class:`Token` and offers ``lock()``, a lock that every process sharing the store
honours, so that exactly one of them spends a token exchange while the others wait and reuse it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import filelock

from ..config import Secret
from .atomicfile import write_bytes_atomically

log = logging.getLogger("scdata")


MIN_LIFETIME = 1.0
MAX_LIFETIME = 86_400.0
DEFAULT_LIFETIME = 3600.0
MAX_MARGIN = 60.0


def clamp_lifetime(expires_in: object) -> float:
    """Seconds a token lives, from the token endpoint's ``expires_in``, made sane.

    A number (or a numeric string) is clamped into [1 s, 24 h]; anything else (missing,
    ``nan``, text, a boolean) is SoundCloud's documented lifetime of 3600 s. ``1e400`` parses
    as infinity and becomes 24 h; a negative or zero lifetime becomes 1 s.

    Examples
    --------
    >>> [clamp_lifetime(v) for v in (3599, "3599", -5, float("inf"), float("nan"), "soon", None)]
    [3599.0, 3599.0, 1.0, 86400.0, 3600.0, 3600.0, 3600.0]
    """
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
        return DEFAULT_LIFETIME
    try:
        value = float(expires_in)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    if math.isnan(value):
        return DEFAULT_LIFETIME
    return min(MAX_LIFETIME, max(MIN_LIFETIME, value))


def renewal_margin(lifetime: float) -> float:
    """Seconds before expiry a token is renewed: 10 % of its lifetime, at most 60 s.

    A one-hour token is renewed in its last minute; a 30 s token in its last 3 s (not before
    every request, as a fixed 60 s margin would).

    Examples
    --------
    >>> renewal_margin(3599), renewal_margin(30)
    (60.0, 3.0)
    """
    return min(MAX_MARGIN, 0.1 * max(0.0, lifetime))


def _stored_time(value: object) -> float:
    """A time read back from a stored token: a finite number, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("stored token's times are not numbers")
    if not math.isfinite(value):
        raise ValueError("stored token's times are not finite")
    return float(value)


@dataclasses.dataclass(frozen=True, repr=False)
class Token:
    """An OAuth2 access token with its refresh token and absolute expiry (epoch seconds).

    ``obtained_at`` (epoch seconds, 0 when unknown) gives the lifetime the renewal margin
    scales with.

    Examples
    --------
    >>> t = Token(Secret("a"), Secret("r"), expires_at=time.time() + 3600)
    >>> t.fresh()
    True
    >>> t
    Token(expires_in=3600s, scope='')
    """

    access_token: Secret
    refresh_token: Secret | None
    expires_at: float
    scope: str = ""
    token_type: str = "bearer"
    obtained_at: float = 0.0

    def fresh(self, skew: float = 60.0, now: float | None = None) -> bool:
        """True while the token is valid for at least ``skew`` more seconds."""
        return (time.time() if now is None else now) < self.expires_at - skew

    @property
    def margin(self) -> float:
        """Seconds before expiry this token is renewed (:func:`renewal_margin` of its lifetime)."""
        if self.obtained_at <= 0 or self.expires_at <= self.obtained_at:
            return MAX_MARGIN
        return renewal_margin(self.expires_at - self.obtained_at)

    def usable(self, now: float | None = None) -> bool:
        """True until the renewal margin before expiry.

        Examples
        --------
        >>> now = time.time()
        >>> Token(Secret("a"), None, expires_at=now + 20, obtained_at=now - 10).usable()
        True
        """
        return self.fresh(self.margin, now)

    def expired_copy(self) -> Token:
        """The same token marked unusable (its refresh token is kept for renewal)."""
        return dataclasses.replace(self, expires_at=0.0)

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token.reveal(),
                "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
                "expires_at": self.expires_at,
                "obtained_at": self.obtained_at,
                "scope": self.scope,
                "token_type": self.token_type,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Token:
        """Read a stored token; :class:`ValueError` for anything but a well-formed one.

        Examples
        --------
        >>> Token.from_json('{"access_token": "a", "expires_at": 1}').expires_at
        1.0
        >>> for bad in ("[]", "null", '{"access_token": 5, "expires_at": 1}'):
        ...     try:
        ...         Token.from_json(bad)
        ...     except ValueError as exc:
        ...         print(exc)
        stored token is not a JSON object
        stored token is not a JSON object
        stored token has no access_token string
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("stored token is not a JSON object")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("stored token has no access_token string")
        refresh = data.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("stored token's refresh_token is not a string")
        expires_at = _stored_time(data.get("expires_at"))
        obtained_at = _stored_time(data.get("obtained_at", 0.0))
        scope, token_type = data.get("scope"), data.get("token_type")
        return cls(
            access_token=Secret(access),
            refresh_token=Secret(refresh) if refresh else None,
            expires_at=expires_at,
            scope=scope if isinstance(scope, str) else "",
            token_type=token_type if isinstance(token_type, str) and token_type else "bearer",
            obtained_at=obtained_at,
        )

    def __repr__(self) -> str:
        left = max(0, round(self.expires_at - time.time()))
        return f"Token(expires_in={left}s, scope={self.scope!r})"


class TokenStore(Protocol):
    """The interface every token store offers."""

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def clear(self) -> None: ...

    def lock(self) -> contextlib.AbstractContextManager[object]: ...


class MemoryTokenStore:
    """A token kept in this process only (``cache="memory"``).

    Examples
    --------
    >>> store = MemoryTokenStore()
    >>> store.load() is None
    True
    """

    def __init__(self) -> None:
        self._token: Token | None = None
        self._lock = threading.RLock()

    def load(self) -> Token | None:
        return self._token

    def save(self, token: Token) -> None:
        self._token = token

    def clear(self) -> None:
        self._token = None

    def lock(self) -> contextlib.AbstractContextManager[object]:
        return self._lock

    def __repr__(self) -> str:
        return "MemoryTokenStore()"


class FileTokenStore:
    """A token in a JSON file of mode 0600, written atomically, guarded by a file lock.

    One file per (client id, token URL), so switching apps never reuses another app's token.
    A token file readable by others (e.g. 0644 after a copy) is tightened to 0600, and a
    world-writable cache directory to 0700 (only warned about when it is a shared sticky
    directory such as ``/tmp``, or not ours); each with one warning.

    Parameters
    ----------
    directory : path-like
        The cache directory (created with mode 0700 when missing).
    key : str
        What the token belongs to (``Settings.token_key``); hashed into the file name.

    Examples
    --------
    >>> import tempfile
    >>> store = FileTokenStore(tempfile.mkdtemp(), "client@https://secure.soundcloud.com/oauth/token")
    >>> store.path.name.startswith("token-")
    True
    """

    def __init__(self, directory: str | os.PathLike[str], key: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.directory = Path(directory)
        self.path = self.directory / f"token-{digest}.json"
        self._lock_path = self.directory / f".token-{digest}.lock"
        self._filelock: filelock.FileLock | None = None
        self._dir_checked = False

    def _ensure_dir(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._check_directory()

    def _check_directory(self) -> None:
        if self._dir_checked:
            return
        self._dir_checked = True
        try:
            info = self.directory.stat()
        except OSError:
            return
        if not info.st_mode & stat.S_IWOTH:
            return
        shared = bool(info.st_mode & stat.S_ISVTX) or info.st_uid != os.getuid()
        if not shared:
            try:
                os.chmod(self.directory, 0o700)
            except OSError:
                shared = True
            else:
                log.warning(
                    "the cache directory %s was writable by every user; its mode is now 0700",
                    self.directory,
                )
                return
        log.warning(
            "the cache directory %s is writable by every user, so others could replace the "
            "token file; set SCDATA_CACHE_DIR to a private directory",
            self.directory,
        )

    def _tighten(self) -> None:
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                os.chmod(self.path, 0o600)
                log.warning(
                    "the token file %s had mode %s (readable by others); its mode is now 0600",
                    self.path,
                    oct(mode),
                )
        except OSError:
            pass

    def load(self) -> Token | None:
        """The stored token; ``None`` when there is none, or it is damaged or unreadable."""
        self._check_directory()
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None  # missing, a directory, unreadable: no token
        try:
            token = Token.from_json(raw)
        except (ValueError, UnicodeDecodeError):
            return None  # a damaged file is treated as no token; the next save replaces it
        self._tighten()
        return token

    def save(self, token: Token) -> None:
        """Write the token atomically with mode 0600 (raises :class:`OSError` when it can't)."""
        self._ensure_dir()
        write_bytes_atomically(self.path, token.to_json().encode(), mode=0o600)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @contextlib.contextmanager
    def lock(self) -> Iterator[object]:
        self._ensure_dir()
        if self._filelock is None:
            self._filelock = filelock.FileLock(self._lock_path, mode=0o600)
        with self._filelock:
            yield self

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
