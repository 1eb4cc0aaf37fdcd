"""Production behaviour in front of the emulated API: the edge's limits, walls and incidents.

What ``../shared/soundcloud-api/API-NOTES-2.md`` §1.1-1.2 describes, as state the
:class:`~scdata.sandbox.app.App` consults for every request:

- a **request-rate limit per app** (token bucket keyed by the token's client id, charged
  after authorisation; non-stream API paths, not the token endpoint; a refused request
  costs nothing). Over it: the gateway's 429 (:func:`~scdata.sandbox.replies.edge_429`) or, with
  ``throttle_mode = "403"``, CloudFront's 403 "Request blocked" page (optionally blocking
  the IP for ``throttle_block`` seconds);
- a **blocked IP** spell: every request, token endpoint included, gets that 403 page;
- an **incident** spell: 429 to everything;
- the token endpoint's two **rolling windows** (``app`` 50 per 12 h, ``ip`` 30 per 1 h),
  counting every token POST that reaches the server, failures included;
- a **token outage** spell: ``500`` (CloudFront HTML), ``html403`` (the 403 page), ``429``
  (``rate_limit_exceeded``) or ``timeout`` (the connection is held, then closed unanswered);
- a seeded **error rate**: a fraction of API answers become a 5xx from envoy.
"""

from __future__ import annotations

import re
import threading
import time

from .limits import ErrorRate, RequestLimiter, RollingWindow, Spell
from .replies import Reply, cloudfront_html, edge_429
from .tokens import token_error, window_reply

__all__ = ["OUTAGE_KINDS", "THROTTLE_MODES", "Edge", "is_stream_path"]

THROTTLE_MODES = ("429", "403")
OUTAGE_KINDS = ("500", "html403", "429", "timeout")
#: Longest a ``timeout`` outage holds a connection, seconds.
MAX_HOLD = 300.0
_STREAM = re.compile(r"/tracks/[^/]+/streams?(?:/.*)?")


def is_stream_path(path: str) -> bool:
    """Whether ``path`` is a stream request (plays quota, not the request-rate limit).

    Examples
    --------
    >>> is_stream_path("/tracks/soundcloud:tracks:1/streams"), is_stream_path("/tracks/1")
    (True, False)
    """
    return _STREAM.fullmatch(path) is not None


class Edge:
    """The production state of one sandbox (see the module docstring).

    Parameters
    ----------
    production
        Whether the limits apply: ``False`` gives the permissive behaviour (no request-rate
        limit, no token windows, no strict client authentication).
    request_rate, request_burst
        The per-app token bucket (requests/s, bucket size); rate 0 = no limit.
    token_app_limit, token_app_window, token_ip_limit, token_ip_window
        The token endpoint's rolling windows (count, seconds).

    Examples
    --------
    >>> edge = Edge(request_rate=1.0, request_burst=1)
    >>> edge.throttle("app", "/users/1") is None, edge.throttle("app", "/users/1").status
    (True, 429)
    >>> edge.throttle_mode = "403"; edge.throttle("app", "/users/1").status
    403
    """

    def __init__(
        self,
        *,
        production: bool = True,
        request_rate: float = 10.0,
        request_burst: int = 20,
        token_app_limit: int = 50,
        token_app_window: float = 12 * 3600,
        token_ip_limit: int = 30,
        token_ip_window: float = 3600,
    ) -> None:
        self.production = production
        self.limiter = RequestLimiter(request_rate, request_burst)
        self._throttle_mode = "429"
        self.throttle_block = 0.0
        self.blocked = Spell()
        self.incident = Spell()
        self.outage = Spell()
        self.outage_kind = "500"
        self.outage_hold = 35.0
        self.errors = ErrorRate()
        self.token_windows = {
            "app": RollingWindow(token_app_limit, token_app_window, "token_app"),
            "ip": RollingWindow(token_ip_limit, token_ip_window, "token_ip"),
        }
        self.windows_on = production
        self.strict_client_auth = production
        self.token_attempts = 0
        self._attempts_lock = threading.Lock()
        self.stopping = threading.Event()

    # -- switches ----------------------------------------------------------------------
    @property
    def throttle_mode(self) -> str:
        """``"429"`` (gateway 429) or ``"403"`` (CloudFront 403 page) when over the rate."""
        return self._throttle_mode

    @throttle_mode.setter
    def throttle_mode(self, mode: str) -> None:
        if mode not in THROTTLE_MODES:
            raise ValueError(f"throttle_mode must be one of {THROTTLE_MODES}, got {mode!r}")
        self._throttle_mode = mode

    def start_outage(self, seconds: float, kind: str, hold: float | None) -> None:
        """Make the token endpoint fail as ``kind`` for ``seconds``."""
        if kind not in OUTAGE_KINDS:
            raise ValueError(f"kind must be one of {OUTAGE_KINDS}, got {kind!r}")
        if hold is not None and (not isinstance(hold, int | float) or not 0 <= hold <= MAX_HOLD):
            raise ValueError(f"hold must be a number of seconds in [0, {MAX_HOLD:g}], got {hold!r}")
        self.outage.start(seconds)
        self.outage_kind = kind
        if hold is not None:
            self.outage_hold = float(hold)

    # -- API requests --------------------------------------------------------------------
    def wall(self) -> tuple[Reply, str] | None:
        """The answer of a blocked IP or an incident to an API request, with its cause."""
        if self.blocked.active():
            return cloudfront_html(403), "block"
        if self.incident.active():
            return edge_429(), "incident"
        return None

    def throttle(self, app: str, path: str) -> Reply | None:
        """Charge one request to ``app``; the throttling answer if it is over the rate."""
        if self.limiter.rate <= 0 or is_stream_path(path) or self.limiter.allow(app):
            return None
        if self._throttle_mode == "403":
            if self.throttle_block > 0:
                self.blocked.start(self.throttle_block)
            return cloudfront_html(403)
        return edge_429()

    # -- token endpoint ------------------------------------------------------------------
    def token_gate(self) -> tuple[Reply | None, str | None]:
        """Count a token POST; return ``(reply, cause)`` if the edge or an outage answers it.

        ``(None, "hold")`` means: hold the connection (:meth:`hold`), then drop it.
        """
        with self._attempts_lock:
            self.token_attempts += 1
        if self.blocked.active():  # stopped at CloudFront: never reaches the windows
            return cloudfront_html(403), "block"
        if self.windows_on:
            over = [name for name, window in self.token_windows.items() if window.record()]
            if over:
                name = "ip" if "ip" in over else "app"
                window = self.token_windows[name]
                reset = time.time() + max(0.0, window.reset_at() - time.monotonic())
                return window_reply(name, window.limit, window.seconds, reset), "window"
        if self.incident.active():
            return token_error(429, "rate_limit_exceeded"), "incident"
        if self.outage.active():
            kind = self.outage_kind
            if kind == "timeout":
                return None, "hold"
            if kind == "429":
                return token_error(429, "rate_limit_exceeded"), "outage"
            return cloudfront_html(403 if kind == "html403" else 500), "outage"
        return None, None

    def hold(self) -> None:
        """Hold a connection for ``outage_hold`` seconds (less if the sandbox stops)."""
        self.stopping.wait(min(self.outage_hold, MAX_HOLD))
