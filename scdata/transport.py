"""What happens to a request the cache could not answer.

Token, pacing, retries with back-off, 429 waits and one token renewal after a 401.

:class:`Transport` is a ``requests.Session`` mixin placed *behind* requests-cache's ``CacheMixin``,
so a cache hit never asks for a token, never waits on the rate limiter and never retries.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import requests

from .auth import TokenManager
from .config import Settings
from .errors import APIError, AuthError, RateLimitError
from .ratelimits import (
    RateLimiter,
    backoff_delay,
    describe_reset,
    limit_name_from_body,
    reset_time_from_body,
    retry_after_seconds,
)

log = logging.getLogger("scdata")

RETRYABLE_METHODS = frozenset({"GET", "HEAD"})
RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout)


class Transport:
    """Mixin: sends one request with the token, retrying what is safe to retry.

    Attributes set by :func:`scdata.session.build_session`: ``scdata_settings``, ``scdata_tokens``,
    ``scdata_limiter``.
    """

    scdata_settings: Settings
    scdata_tokens: TokenManager
    scdata_limiter: RateLimiter

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        settings = self.scdata_settings
        kwargs["allow_redirects"] = False  # redirects are followed by scdata.api, never stored
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (min(10.0, settings.timeout), settings.timeout)
        retryable = request.method in RETRYABLE_METHODS
        failures = 0
        waited = 0.0
        renewed = False
        while True:
            token = self.scdata_tokens.get()
            request.headers["Authorization"] = f"OAuth {token}"  # this exact case is redacted
            self.scdata_limiter.acquire()
            try:
                response = super().send(request, **kwargs)  # type: ignore[misc]
            except RETRYABLE_ERRORS as exc:
                if not retryable or failures >= settings.max_retries:
                    raise APIError(
                        f"could not reach SoundCloud after {failures + 1} attempt(s) "
                        f"({type(exc).__name__})",
                        url=request.path_url,
                    ) from exc
                failures += 1
                self._pause(
                    backoff_delay(failures - 1, settings.retry_backoff), type(exc).__name__, request
                )
                continue
            status = response.status_code
            if status == 401 and not renewed:
                renewed = True
                log.info("API answered 401; renewing the token once and repeating the request")
                response.close()
                self.scdata_tokens.invalidate(token)
                continue
            if status == 401:
                raise AuthError("the API answered 401 again after the token was renewed", 401)
            if status == 429:
                wait = self._rate_limit_wait(response, failures, settings, waited)
                failures += 1
                waited += wait
                self._pause(wait, "HTTP 429", request)
                continue
            if status >= 500 and retryable and failures < settings.max_retries:
                failures += 1
                response.close()
                self._pause(
                    backoff_delay(failures - 1, settings.retry_backoff), f"HTTP {status}", request
                )
                continue
            # requests prepares a redirect's next request, Authorization header included;
            # requests-cache would store it unredacted with a cached 302, so drop it here
            response._next = None
            return response

    @staticmethod
    def _rate_limit_wait(
        response: requests.Response, failures: int, settings: Settings, waited: float
    ) -> float:
        budget = settings.max_retry_wait - waited
        try:
            body = response.json()
        except ValueError:
            body = None
        reset = reset_time_from_body(body)
        name = limit_name_from_body(body) or "unnamed"
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None and reset is not None:
            wait = max(0.0, (reset - datetime.now(UTC)).total_seconds()) + 0.5
        if wait is None:
            wait = backoff_delay(failures, base=2 * settings.retry_backoff)
        if wait > budget:
            when = describe_reset(reset) if reset else f"in about {round(wait)} s"
            raise RateLimitError(
                f"SoundCloud rate limit {name!r} reached; it resets {when}, beyond the "
                f"{max(0, round(budget))} s of waiting left "
                "(max_retry_wait / SCDATA_MAX_RETRY_WAIT)",
                reset_time=reset,
                limit_name=name,
            )
        return wait

    @staticmethod
    def _pause(seconds: float, why: str, request: requests.PreparedRequest) -> None:
        log.warning(
            "%s on %s %s; retrying in %.1f s", why, request.method, request.path_url, seconds
        )
        time.sleep(seconds)
