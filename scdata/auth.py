"""OAuth2 client-credentials tokens: obtained once, shared, renewed with the refresh token.

SoundCloud allows 50 client-credentials exchanges per app per 12 hours and 30 per IP per hour,
so a token is reused until 60 s before it expires, shared by every thread (one lock) and every
process (the token store's lock), and renewed with the single-use ``refresh_token`` grant,
which is not rate-limited. Only when that fails does scdata spend a client-credentials exchange.
The token request goes through its own plain ``requests.Session``: never cached, never retried.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import requests

from ._version import __version__
from .config import Secret, Settings
from .errors import AuthError
from .ratelimits import describe_reset, reset_time_from_body
from .tokenstore import Token, TokenStore

log = logging.getLogger("scdata")

EXPIRY_SKEW = 60.0


class TokenManager:
    """Hands out a valid access token, spending as few token exchanges as possible.

    Parameters
    ----------
    settings : Settings
        Credentials, token URL and timeout.
    store : TokenStore
        Where the token is kept between calls and processes.

    Examples
    --------
    >>> from scdata.tokenstore import MemoryTokenStore
    >>> settings = Settings.load({}, client_id="id", client_secret="s")  # {}: no environment
    >>> manager = TokenManager(settings, MemoryTokenStore())
    >>> manager  # no token fetched yet
    TokenManager(token_url='https://secure.soundcloud.com/oauth/token', store=MemoryTokenStore())
    """

    def __init__(self, settings: Settings, store: TokenStore) -> None:
        self._settings = settings
        self._store = store
        self._token: Token | None = None
        self._lock = threading.Lock()
        self._http = requests.Session()
        self._http.headers["User-Agent"] = f"scdata/{__version__}"
        self._http.headers["accept"] = "application/json; charset=utf-8"

    @property
    def store(self) -> TokenStore:
        """Where the token is kept."""
        return self._store

    def get(self) -> str:
        """Return a valid access token, fetching or renewing it only when needed."""
        with self._lock:
            if self._token is not None and self._token.fresh(EXPIRY_SKEW):
                return self._token.access_token.reveal()
            self._settings.require_credentials()
            with self._store.lock():
                stored = self._store.load()
                if stored is not None and stored.fresh(EXPIRY_SKEW):
                    self._token = stored
                    return stored.access_token.reveal()
                token = self._renew(stored or self._token)
                self._store.save(token)
                self._token = token
                return token.access_token.reveal()

    def invalidate(self, rejected: str) -> None:
        """Mark ``rejected`` (an access token the API answered 401 to) as unusable.

        Only that token is dropped: if another thread already replaced it, nothing happens.
        """
        with self._lock:
            if self._token is not None and self._token.access_token.reveal() == rejected:
                self._token = self._token.expired_copy()
            with self._store.lock():
                stored = self._store.load()
                if stored is not None and stored.access_token.reveal() == rejected:
                    self._store.save(stored.expired_copy())

    def _renew(self, previous: Token | None) -> Token:
        if previous is not None and previous.refresh_token:
            try:
                return self._exchange(
                    "refresh_token",
                    {
                        "refresh_token": previous.refresh_token.reveal(),
                        "client_id": self._settings.client_id or "",
                        **self._secret_field(),
                    },
                )
            except AuthError as exc:
                log.info("token refresh failed (%s); asking for a new token", exc)
        return self._exchange("client_credentials", {})

    def _secret_field(self) -> dict[str, str]:
        secret = self._settings.client_secret
        return {"client_secret": secret.reveal()} if secret else {}

    def _exchange(self, grant: str, fields: dict[str, str]) -> Token:
        log.debug("POST token endpoint grant_type=%s", grant)
        try:
            response = self._http.post(
                self._settings.token_url,
                data={"grant_type": grant, **fields},
                headers={"Authorization": self._settings.basic_authorization()},
                timeout=(min(10.0, self._settings.timeout), self._settings.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise AuthError(
                f"the token endpoint could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise _token_error(response)
        try:
            data = response.json()
            access = data["access_token"]
            if not isinstance(access, str) or not access:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise AuthError("the token endpoint answered without an access_token", 200) from None
        expires_in = data.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        refresh = data.get("refresh_token")
        log.debug("token obtained with grant_type=%s, expires in %ss", grant, round(lifetime))
        return Token(
            access_token=Secret(access),
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            expires_at=time.time() + lifetime,
            scope=str(data.get("scope") or ""),
            token_type=str(data.get("token_type") or "bearer"),
        )

    def __repr__(self) -> str:
        return f"TokenManager(token_url={self._settings.token_url!r}, store={self._store!r})"


def _token_error(response: requests.Response) -> AuthError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    code = None
    if isinstance(body, dict):
        code = body.get("error") or body.get("error_code") or body.get("message")
    code = str(code) if code else response.reason or "error"
    if status == 429:
        reset: datetime | None = reset_time_from_body(body)
        when = describe_reset(reset) if reset else "within the hour (30 per IP per hour)"
        return AuthError(
            f"HTTP 429 {code}: the client-credentials budget is spent (SoundCloud allows 50 "
            f"token exchanges per app per 12 h and 30 per IP per hour); retry {when}",
            status,
        )
    return AuthError(f"HTTP {status} {code}", status)
