"""Where an access token lives between calls: process memory or a 0600 file shared by processes.

A store holds one :class:`Token` and offers ``lock()``, a lock that every process sharing the store
honours, so that exactly one of them spends a token exchange while the others wait and reuse it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import filelock

from .config import Secret


@dataclasses.dataclass(frozen=True, repr=False)
class Token:
    """An OAuth2 access token with its refresh token and absolute expiry (epoch seconds).

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

    def fresh(self, skew: float = 60.0, now: float | None = None) -> bool:
        """True while the token is valid for at least ``skew`` more seconds."""
        return (time.time() if now is None else now) < self.expires_at - skew

    def expired_copy(self) -> Token:
        """The same token marked unusable (its refresh token is kept for renewal)."""
        return dataclasses.replace(self, expires_at=0.0)

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token.reveal(),
                "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
                "expires_at": self.expires_at,
                "scope": self.scope,
                "token_type": self.token_type,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Token:
        data = json.loads(text)
        refresh = data.get("refresh_token")
        return cls(
            access_token=Secret(data["access_token"]),
            refresh_token=Secret(refresh) if refresh else None,
            expires_at=float(data["expires_at"]),
            scope=data.get("scope") or "",
            token_type=data.get("token_type") or "bearer",
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

    def _ensure_dir(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def load(self) -> Token | None:
        try:
            return Token.from_json(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # a damaged file is treated as no token; the next save replaces it

    def save(self, token: Token) -> None:
        self._ensure_dir()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".token-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it 0600
                handle.write(token.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            raise

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
