"""OAuth token endpoint of the sandbox (``POST /oauth/token``, legacy ``/oauth2/token``).

Behaves like ``https://secure.soundcloud.com/oauth/token``: RFC 6749 form requests with
client credentials as HTTP Basic or form fields; ``client_credentials`` and
``refresh_token`` grants; JWT-looking access tokens; single-use refresh tokens; a budget
of client-credentials exchanges (permissive mode; production mode uses the rolling windows
of :mod:`scdata.sandbox.limits` instead); RFC 6749 style error bodies; optionally strict
client authentication (RFC 6749 §2.3: one method per request).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
import uuid
from collections.abc import Mapping

from .formats import iso_duration, sc_time
from .replies import NO_CACHE, Reply, cloudfront_headers, json_reply

__all__ = ["TokenStore", "exchange", "parse_basic", "token_error", "window_reply"]

_NO_STORE = (("Pragma", "no-cache"),)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    """Issued access and refresh tokens, with expiry and the exchange budget.

    Parameters
    ----------
    client_id, client_secret
        The only valid client credentials.
    budget
        Successful ``client_credentials`` exchanges allowed (refreshes are free), when
        ``enforce_budget`` is true.
    ttl
        Access token lifetime in seconds (``expires_in``).

    Examples
    --------
    >>> store = TokenStore("id", "secret", budget=1, ttl=3599)
    >>> grant = store.client_credentials()
    >>> store.valid(grant["access_token"]), store.client_credentials()
    (True, None)
    """

    def __init__(self, client_id: str, client_secret: str, *, budget: int, ttl: float) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.budget = budget
        self.enforce_budget = True
        self.ttl = ttl
        self.token_exchanges = 0
        self.refresh_exchanges = 0
        self._key = secrets.token_bytes(32)
        self._access: dict[str, float] = {}  # token -> monotonic deadline
        self._refresh: set[str] = set()
        self._lock = threading.Lock()

    def check_client(self, client_id: str | None, client_secret: str | None) -> bool:
        """Return whether the credentials are the sandbox's."""
        return (
            client_id is not None
            and client_secret is not None
            and hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        )

    def client_credentials(self) -> dict[str, object] | None:
        """Issue a token pair for a ``client_credentials`` grant; ``None`` if over budget."""
        with self._lock:
            if self.enforce_budget and self.token_exchanges >= self.budget:
                return None
            self.token_exchanges += 1
            return self._issue("client_credentials")

    def refresh(self, refresh_token: str) -> dict[str, object] | None:
        """Redeem a refresh token (single use); ``None`` if unknown or already used."""
        with self._lock:
            if refresh_token not in self._refresh:
                return None
            self._refresh.discard(refresh_token)
            self.refresh_exchanges += 1
            return self._issue("refresh_token")

    def valid(self, access_token: str) -> bool:
        """Return whether ``access_token`` was issued, is unexpired and not revoked."""
        deadline = self._access.get(access_token)
        return deadline is not None and time.monotonic() < deadline

    def expire_all(self) -> None:
        """Invalidate every access token issued so far (refresh tokens stay valid)."""
        with self._lock:
            self._access.clear()

    def _issue(self, grant: str) -> dict[str, object]:
        now = time.time()
        header = {"alg": "HS256", "typ": "JWT", "kid": "sandbox-1"}
        claims = {
            "iss": "https://secure.soundcloud.com",
            "aud": "https://api.soundcloud.com",
            "sub": f"client:{self.client_id}",
            "client_id": self.client_id,
            "grant_type": grant,
            "scope": "",
            "iat": int(now),
            "exp": int(now + self.ttl),
            "jti": str(uuid.uuid4()),
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        access_token = f"{signing_input}.{_b64url(signature)}"
        refresh_token = secrets.token_hex(16)
        if len(self._access) >= 10_000:  # forget expired tokens now and then
            clock = time.monotonic()
            self._access = {t: d for t, d in self._access.items() if d > clock}
        self._access[access_token] = time.monotonic() + self.ttl
        self._refresh.add(refresh_token)
        return {
            "access_token": access_token,
            "expires_in": int(self.ttl),
            "refresh_token": refresh_token,
            "scope": "",
            "token_type": "bearer",
        }


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """Return ``(client_id, client_secret)`` from a ``Basic`` header, else ``None``.

    Examples
    --------
    >>> parse_basic("Basic bXlfY2xpZW50X2lkOm15X2NsaWVudF9zZWNyZXQ=")
    ('my_client_id', 'my_client_secret')
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")  # present but garbled: invalid_client
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def token_error(status: int, error: str) -> Reply:
    """Return an RFC 6749 error reply ``{"error": ...}``.

    Examples
    --------
    >>> token_error(400, "invalid_grant").body
    b'{"error":"invalid_grant"}'
    """
    headers = (("WWW-Authenticate", "Basic"),) if status in (401, 429) else ()
    return json_reply(status, {"error": error}, cache=NO_CACHE, headers=headers)


def exchange(
    store: TokenStore,
    form: Mapping[str, str],
    authorization: str | None,
    *,
    strict: bool = False,
) -> Reply:
    """Answer a token request (form fields and ``Authorization`` header).

    With ``strict``, a request authenticating the client twice (a ``Basic`` header and a
    ``client_secret`` form field) is refused with ``400 invalid_request`` (RFC 6749 §2.3:
    "The client MUST NOT use more than one authentication method in each request").

    Examples
    --------
    >>> store = TokenStore("id", "secret", budget=5, ttl=3599)
    >>> form = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}
    >>> exchange(store, form, None).status
    200
    >>> basic = "Basic aWQ6c2VjcmV0"
    >>> exchange(store, form, basic).status, exchange(store, form, basic, strict=True).body
    (200, b'{"error":"invalid_request"}')
    """
    basic = parse_basic(authorization)
    if strict and basic is not None and "client_secret" in form:
        return token_error(400, "invalid_request")
    credentials = basic or (form.get("client_id"), form.get("client_secret"))
    if not store.check_client(*credentials):
        return token_error(401, "invalid_client")
    grant_type = form.get("grant_type")
    if not grant_type:
        return token_error(400, "invalid_request")
    if grant_type == "client_credentials":
        grant = store.client_credentials()
        if grant is None:
            return token_error(429, "rate_limit_exceeded")
    elif grant_type == "refresh_token":
        grant = store.refresh(form.get("refresh_token", ""))
        if grant is None:
            return token_error(400, "invalid_grant")
    else:
        return token_error(400, "unsupported_grant_type")
    return json_reply(200, grant, cache="no-store", headers=_NO_STORE)


def window_reply(window: str, limit: int, seconds: float, reset_epoch: float) -> Reply:
    """Return the 429 of an exhausted token window (API-NOTES-2 §1.2).

    ``"ip"``: the by-IP bucket body of ``samples/issue212_token_429_by_ip_2022.json``
    (with ``reset_time``); ``"app"``: ``{"error": "rate_limit_exceeded"}`` with
    ``www-authenticate: Basic`` as in ``samples/issue517_token_429_rate_limit_exceeded_2026.json``.

    Examples
    --------
    >>> body = json.loads(window_reply("ip", 30, 3600, 0).body)
    >>> body["errors"][0]["meta"]["rate_limit"]["bucket"], body["errors"][0]["meta"]["reset_time"]
    ('by-ip', '1970/01/01 00:00:00 +0000')
    >>> window_reply("app", 50, 43200, 0).body
    b'{"error":"rate_limit_exceeded"}'
    """
    edge = cloudfront_headers()[:1]  # x-cache: Error from cloudfront
    if window == "app":
        reply = token_error(429, "rate_limit_exceeded")
        return Reply(reply.status, reply.body, reply.headers + edge)
    meta = {
        "rate_limit": {
            "bucket": "by-ip",
            "max_nr_of_requests": limit,
            "time_window": iso_duration(seconds),
            "name": "client-credentials-exchange",
        },
        "remaining_requests": 0,
        "reset_time": sc_time(math.ceil(reset_epoch)),
    }
    return json_reply(429, {"errors": [{"meta": meta}]}, cache=NO_CACHE, headers=edge)
