"""OAuth2 client-credentials tokens: obtained once, shared, renewed with the refresh token.

SoundCloud allows 50 client-credentials exchanges per app per 12 hours and 30 per IP per hour,
counting failed requests too, so:

- a token is reused until shortly before it expires (10 % of its lifetime, at most 60 s),
  shared by every thread (one lock) and every process (the token store's lock);
- it is renewed with the single-use ``refresh_token`` grant (credentials in the form, one
  client-authentication method per request, RFC 6749 §2.3). Only when SoundCloud *refuses*
  the refresh (400/401) does scdata spend a client-credentials exchange, with a WARNING (once
  per process) and a count in the shared record;
- after a failed token request (an error status, no answer, a timeout, a 200 without a token)
  the circuit breaker (:mod:`scdata.http.tokenbreaker`) stops every token request of every thread
  and process sharing the store until ``token_cooldown`` passes: calls fail at once with
  :class:`~scdata.errors.TokenCooldownError`. A refresh that fails by outage does not fall back;
- a token that cannot be saved (read-only or full cache directory) is kept in memory, with one
  warning, and reused.

The token request goes through its own plain ``requests.Session``: never cached, never retried.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import requests

from ..config import Secret, Settings
from ..errors import AuthError
from ..storage.sharedstate import MemoryState, SharedState
from ..storage.tokens import Token, TokenStore, clamp_lifetime
from .headers import identify
from .ratelimits import describe_reset, reset_time_from_body
from .tokenbreaker import TokenBreaker

log = logging.getLogger("scdata")

REFUSED = (400, 401)  # a refresh answered with these falls back to client credentials

_fallback_warned = False  # the refresh-fallback WARNING is logged once per process
_fallback_lock = threading.Lock()


class _Failure(Exception):
    """A failed token request: what the error says and what the shared record keeps."""

    def __init__(
        self, message: str, status: int | None, code: str, not_before: float | None = None
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.not_before = not_before


class TokenManager:
    """Hands out a valid access token, spending as few token requests as possible.

    Parameters
    ----------
    settings : Settings
        Credentials, token URL, timeout and ``token_cooldown``.
    store : TokenStore
        Where the token is kept between calls and processes.
    state : SharedState, optional
        The token record shared with every thread and process that shares ``store``
        (:func:`scdata.storage.backends.shared_state` ``"token"``); default: this manager only.

    Examples
    --------
    >>> from scdata.storage.tokens import MemoryTokenStore
    >>> settings = Settings.load({}, client_id="id", client_secret="s")  # {}: no environment
    >>> manager = TokenManager(settings, MemoryTokenStore())
    >>> manager  # no token fetched yet
    TokenManager(token_url='https://secure.soundcloud.com/oauth/token', store=MemoryTokenStore())
    """

    def __init__(
        self, settings: Settings, store: TokenStore, state: SharedState | None = None
    ) -> None:
        self._settings = settings
        self._store = store
        self._breaker = TokenBreaker(
            state if state is not None else MemoryState(), settings.token_cooldown
        )
        self._token: Token | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._http = identify(requests.Session())
        self._http.auth = _no_netrc  # never a ~/.netrc Basic header on a form-only refresh

    @property
    def store(self) -> TokenStore:
        """Where the token is kept."""
        return self._store

    @property
    def breaker(self) -> TokenBreaker:
        """The shared record of token requests and the cool-down after failures."""
        return self._breaker

    def get(self) -> str:
        """Return a valid access token, fetching or renewing it only when needed.

        Raises
        ------
        AuthError
            The token request failed (the breaker is now open).
        TokenCooldownError
            A token request failed recently; none is sent until the cool-down passes.
        """
        with self._lock:
            if self._token is not None and self._token.usable():
                return self._token.access_token.reveal()
            self._settings.require_credentials()
            self._breaker.check()  # at once, without waiting for another process's lock
            with self._store_lock():
                stored = self._load()
                if stored is not None and stored.usable():
                    self._token = stored
                    return stored.access_token.reveal()
                self._breaker.check()  # the holder of the lock may just have failed
                token = self._renew(_newest(stored, self._token))
                self._token = token
                self._save(token)
                return token.access_token.reveal()

    def invalidate(self, rejected: str) -> None:
        """Mark ``rejected`` (an access token the API answered 401 to) as unusable.

        Only that token is dropped: if another thread already replaced it, nothing happens.
        When the token issued after the previous 401 is rejected too, the circuit breaker
        opens instead of renewing again (no storm of exchanges while the API refuses tokens).
        """
        with self._lock:
            dropped: Token | None = None
            if self._token is not None and self._token.access_token.reveal() == rejected:
                dropped = self._token
                self._token = self._token.expired_copy()
            with self._store_lock():
                stored = self._load()
                if stored is not None and stored.access_token.reveal() == rejected:
                    dropped = dropped or stored
                    self._save(stored.expired_copy())
            if dropped is not None and self._breaker.api_rejected(dropped.obtained_at):
                log.warning(
                    "the API answered 401 to a token issued after its previous 401; "
                    "no new token request for %g s",
                    self._breaker.cooldown_for(1),
                )

    # -- the store, kept working when the disk is not ------------------------------------------
    def _warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning(message, *args)

    @contextlib.contextmanager
    def _store_lock(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._store.lock())
            except OSError as exc:
                self._warn_once(
                    "lock",
                    "cannot lock the token store %r (%s); other processes may ask for their own "
                    "token",
                    self._store,
                    exc.strerror or type(exc).__name__,
                )
            yield

    def _load(self) -> Token | None:
        try:
            return self._store.load()
        except OSError:
            return None

    def _save(self, token: Token) -> None:
        try:
            self._store.save(token)
        except OSError as exc:
            self._warn_once(
                "save",
                "cannot save the token in %r (%s); keeping it in memory for this process",
                self._store,
                exc.strerror or type(exc).__name__,
            )

    # -- token requests --------------------------------------------------------------------------
    def _renew(self, previous: Token | None) -> Token:
        if previous is not None and previous.refresh_token:
            token = self._attempt("refresh_token", previous.refresh_token.reveal())
            if token is not None:
                return token
        token = self._attempt("client_credentials", None)
        assert token is not None
        return token

    def _attempt(self, grant: str, refresh_token: str | None) -> Token | None:
        """One token request; ``None`` when a refresh is refused and may fall back."""
        try:
            token = self._exchange(grant, refresh_token)
        except _Failure as failure:
            if grant == "refresh_token" and failure.status in REFUSED:
                total = self._breaker.refresh_refused(failure.status, failure.code)
                _log_fallback(failure, total)
                return None
            until = self._breaker.failed(
                grant, failure.status, failure.code, not_before=failure.not_before
            )
            raise AuthError(
                f"{failure.message}; {self._breaker.describe_wait(until)}", failure.status
            ) from None
        self._breaker.succeeded(grant)
        return token

    def _request_parts(
        self, grant: str, refresh_token: str | None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Form fields and headers: one client-authentication method per request."""
        settings = self._settings
        if grant == "refresh_token" and refresh_token is not None:
            form = {"grant_type": grant, "refresh_token": refresh_token}
            if settings.client_secret:  # credentials in the form, as SoundCloud documents
                form["client_id"] = settings.client_id or ""
                form["client_secret"] = settings.client_secret.reveal()
                return form, {}
            return form, {"Authorization": settings.basic_authorization()}
        return {"grant_type": grant}, {"Authorization": settings.basic_authorization()}

    def _exchange(self, grant: str, refresh_token: str | None) -> Token:
        form, headers = self._request_parts(grant, refresh_token)
        secrets = [v for v in (*form.values(), *headers.values()) if len(v) >= 6]
        log.debug("POST token endpoint grant_type=%s", grant)
        try:
            response = self._http.post(
                self._settings.token_url,
                data=form,
                headers=headers,
                timeout=self._settings.timeouts,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            name = type(exc).__name__
            message = f"the token endpoint could not be reached ({name})"
            raise _Failure(message, None, name) from None
        if response.status_code != 200:
            raise _token_failure(response, secrets)
        try:
            data = response.json()
            access = data["access_token"]
            if not isinstance(access, str) or not access:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise _Failure(
                "the token endpoint answered 200 without an access_token", 200, "no access_token"
            ) from None
        lifetime = clamp_lifetime(data.get("expires_in"))
        refresh = data.get("refresh_token")
        scope, token_type = data.get("scope"), data.get("token_type")
        now = time.time()
        log.debug("token obtained with grant_type=%s, expires in %ss", grant, round(lifetime))
        return Token(
            access_token=Secret(access),
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            expires_at=now + lifetime,
            scope=scope if isinstance(scope, str) else "",
            token_type=token_type if isinstance(token_type, str) and token_type else "bearer",
            obtained_at=now,
        )

    def __repr__(self) -> str:
        return f"TokenManager(token_url={self._settings.token_url!r}, store={self._store!r})"


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _newest(*tokens: Token | None) -> Token | None:
    """The most recently obtained token (its refresh token is the one not yet spent)."""
    known = [t for t in tokens if t is not None]
    return max(known, key=lambda t: t.obtained_at) if known else None


def _log_fallback(failure: _Failure, total: int) -> None:
    global _fallback_warned
    with _fallback_lock:
        first, _fallback_warned = not _fallback_warned, True
    log.log(
        logging.WARNING if first else logging.INFO,
        "SoundCloud refused the token refresh (%s); spending a client-credentials exchange "
        "instead (%d refresh fallback(s) recorded; see `scdata cache info`)",
        f"HTTP {failure.status} {failure.code}",
        total,
    )


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _is_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    return "html" in kind or response.content[:200].lstrip()[:1] == b"<"


def _token_failure(response: requests.Response, secrets: list[str]) -> _Failure:
    status = response.status_code
    if _is_html(response):
        if status == 403:
            return _Failure(
                "HTTP 403 from the token endpoint: this IP is blocked at SoundCloud's edge "
                "(CloudFront 'Request blocked' page; a datacenter IP?). It says nothing about "
                "the credentials: cloud, CI, VPN and other shared IPs are blocked more often; "
                "wait, or ask for the token from another network",
                403,
                "CloudFront 403 page",
            )
        return _Failure(
            f"HTTP {status} HTML error page from SoundCloud's edge", status, "HTML error page"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    code = None
    if isinstance(body, dict):
        code = body.get("error") or body.get("error_code") or body.get("message")
    code = _redact(str(code)[:80], secrets) if code else response.reason or "error"
    if status == 429:
        reset: datetime | None = reset_time_from_body(body)
        when = describe_reset(reset) if reset else "within the hour (30 per IP per hour)"
        return _Failure(
            f"HTTP 429 {code}: the client-credentials budget is spent (SoundCloud allows 50 "
            f"token exchanges per app per 12 h and 30 per IP per hour); retry {when}",
            status,
            code,
            not_before=reset.timestamp() if reset else None,
        )
    return _Failure(f"HTTP {status} {code}", status, code)
