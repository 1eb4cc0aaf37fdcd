"""What happens to a request the cache could not answer.

Token, the shared pace and back-off (:mod:`scdata.http.throttle`), retries of connection errors and
5xx, one token renewal after a 401, and a cap on what one answer may hold.

:class:`Transport` is a ``requests.Session`` mixin placed *behind* requests-cache's ``CacheMixin``,
so a cache hit never asks for a token, never waits on the pace and never retries.

Every wait of one call (a pause while SoundCloud throttles, a ``Retry-After`` or ``reset_time``,
a back-off before a retry) counts against ``max_retry_wait``; a pause that would outlast what is
left raises :class:`~scdata.errors.RateLimitError` (:class:`~scdata.errors.BlockedError` for the
CloudFront 403 wall) at once.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions

from ..config import Settings
from ..errors import APIError, AuthError
from .auth import TokenManager
from .ratelimits import (
    backoff_delay,
    limit_name_from_body,
    reset_time_from_body,
    retry_after_seconds,
)
from .throttle import Signal, Throttle, WaitBudget, throttling_kind

log = logging.getLogger("scdata")

RETRYABLE_METHODS = frozenset({"GET", "HEAD"})
# a connection that fails before, during or after the body: all the same to a GET
RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.DecodeError,
    urllib3.exceptions.ReadTimeoutError,
)
MAX_RESPONSE_BYTES = 64 * 2**20  # one answer may hold at most 64 MiB (a page of 200 is ~1 MiB)
CHUNK = 64 * 1024

# a mixin over requests.Session (as requests-cache's CacheMixin): type-checked as a subclass
if TYPE_CHECKING:
    _SessionBase = requests.Session
else:
    _SessionBase = object


class Transport(_SessionBase):
    """Mixin: sends one request with the token, retrying what is safe to retry.

    Attributes set by :func:`~scdata.http.session.build_session`: ``scdata_settings``,
    ``scdata_tokens``,
    ``scdata_throttle``, ``scdata_max_bytes``.
    """

    scdata_settings: Settings
    scdata_tokens: TokenManager
    scdata_throttle: Throttle
    scdata_max_bytes: int = MAX_RESPONSE_BYTES

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        settings = self.scdata_settings
        throttle = self.scdata_throttle
        kwargs["allow_redirects"] = (
            False  # redirects are followed by scdata.http.endpoints, never stored
        )
        kwargs["stream"] = True  # the body is read here, under the size cap
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = settings.timeouts
        retryable = request.method in RETRYABLE_METHODS
        budget = WaitBudget(settings.max_retry_wait)
        failures = 0
        renewed = False
        while True:
            ticket = throttle.acquire(budget)
            try:
                token = self.scdata_tokens.get()  # after any pause: a fresh token
                request.headers["Authorization"] = f"OAuth {token}"  # this exact case is redacted
                response = super().send(request, **kwargs)
                self._read_body(response, request)
            except RETRYABLE_ERRORS as exc:
                throttle.abandon(ticket)
                if not retryable or failures >= settings.max_retries:
                    raise APIError(
                        f"could not reach SoundCloud after {failures + 1} attempt(s) "
                        f"({type(exc).__name__})",
                        url=request.path_url,
                    ) from exc
                failures += 1
                self._back_off(budget, failures, settings, type(exc).__name__, request)
                continue
            except BaseException:
                throttle.abandon(ticket)
                raise
            kind = throttling_kind(response)
            if kind is not None:
                throttle.throttled(ticket, _signal(kind, response, request))
                continue  # acquire() waits for the shared pause, or raises past the cap
            throttle.answered(ticket)
            status = response.status_code
            if status == 401 and not renewed:
                renewed = True
                log.info("API answered 401; renewing the token once and repeating the request")
                self.scdata_tokens.invalidate(token)
                continue
            if status == 401:
                raise AuthError("the API answered 401 again after the token was renewed", 401)
            if status >= 500 and retryable and failures < settings.max_retries:
                failures += 1
                self._back_off(budget, failures, settings, f"HTTP {status}", request)
                continue
            if status >= 400:
                _mask_token(response, token)
            # requests prepares a redirect's next request, Authorization header included;
            # requests-cache would store it unredacted with a cached 302, so drop it here
            response._next = None  # type: ignore[attr-defined]  # requests' own; not in the stubs
            return response

    def _read_body(self, response: requests.Response, request: requests.PreparedRequest) -> None:
        """Read the streamed body like ``requests`` does, stopping at ``scdata_max_bytes``."""
        cap = self.scdata_max_bytes
        too_big = APIError(
            f"SoundCloud's answer is larger than {cap:,} bytes; refusing to hold it in memory "
            "(nothing was cached)",
            status=response.status_code,
            url=request.path_url,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            response.close()
            raise too_big
        chunks: list[bytes] = []
        size = 0
        if request.method != "HEAD":
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > cap:
                    response.close()
                    raise too_big
                chunks.append(chunk)
        response._content = b"".join(chunks)
        # requests' own flag for a body already read (types-requests does not declare it)
        response._content_consumed = True  # type: ignore[attr-defined]

    @staticmethod
    def _back_off(
        budget: WaitBudget,
        failures: int,
        settings: Settings,
        why: str,
        request: requests.PreparedRequest,
    ) -> None:
        """Wait before retry number ``failures``; the wait counts against ``max_retry_wait``."""
        seconds = min(backoff_delay(failures - 1, settings.retry_backoff), budget.left)
        log.warning(
            "%s on %s %s; retrying in %.1f s", why, request.method, request.path_url, seconds
        )
        budget.sleep(seconds)


def _signal(kind: str, response: requests.Response, request: requests.PreparedRequest) -> Signal:
    """What a throttling answer says: a wait only if it names one (Retry-After, reset_time)."""
    hint = retry_after_seconds(response.headers.get("Retry-After"))
    reset = None
    name = ""
    if kind == "429":
        try:
            body = response.json()
        except ValueError:
            body = None
        name = limit_name_from_body(body) or " ".join(response.text.split())[:60]
        reset = reset_time_from_body(body)
        if hint is None and reset is not None:
            hint = max(0.0, (reset - datetime.now(UTC)).total_seconds()) + 0.5
    else:
        name = "Request blocked"
    if hint is not None and reset is None:
        reset = datetime.now(UTC) + timedelta(seconds=hint)
    return Signal(
        kind=kind,
        hint=hint,
        name=name,
        reset=reset,
        where=f"{request.method} {request.path_url}",
    )


_ECHOED_SECRET = re.compile(rb"(?i)\b(OAuth|Bearer)\s+[A-Za-z0-9._~+/=-]+")


def _mask_token(response: requests.Response, token: str) -> None:
    """Hide the access token where an error body echoes it (messages quote error bodies)."""
    body = response._content or b""
    masked = body.replace(token.encode(), b"***") if token else body
    masked = _ECHOED_SECRET.sub(rb"\1 ***", masked)
    if masked != body:
        response._content = masked
