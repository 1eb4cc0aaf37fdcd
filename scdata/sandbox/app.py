"""Request pipeline of the sandbox, independent of sockets.

Every answer's ``Date`` header is the emulated clock's time (:mod:`scdata.sandbox.timeline`).

Order for every request: latency sleep, ``delay`` fault, then

- token endpoint: the edge's gate (attempt counted; blocked IP, rolling windows, incident,
  outage: see :mod:`scdata.sandbox.edge`), token faults, the grant exchange;
- API: blocked IP or incident, armed faults (``fail``/``rate_limit``/``drop``/
  ``corrupt``), authorisation, the per-app request-rate limit, the error rate, routing.

The request is logged (with its status and what caused a non-routine answer) before the
reply is returned, so a client that has read a response always finds it in the log.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, unquote

from .catalog import Catalog
from .edge import Edge
from .faults import (
    Fault,
    FaultTable,
    corrupt_reply,
    fail_reply,
    rate_limit_reply,
    token_fault_reply,
)
from .log import RequestLog, RequestRecord
from .replies import Reply, envoy_error, error_reply
from .routes import ApiRequest, Router
from .shapes import Shapes
from .shortlinks import ShortLinks
from .tokens import TokenStore, exchange, token_error

__all__ = ["MISSING_AUTH", "TOKEN_PATHS", "App", "auth_scheme"]

TOKEN_PATHS = ("/oauth/token", "/oauth2/token")
MISSING_AUTH = (
    "A request must contain the Authorization header. "
    "For details please refer to https://developers.soundcloud.com/blog/security-updates-api."
)
_SCHEMES = {"oauth": "OAuth", "bearer": "Bearer"}


def auth_scheme(authorization: str | None) -> str | None:
    """Return the normalised scheme of an ``Authorization`` header value.

    Examples
    --------
    >>> auth_scheme("bearer abc"), auth_scheme("OAUTH abc"), auth_scheme(None)
    ('Bearer', 'OAuth', None)
    """
    if not authorization or not authorization.strip():
        return None
    scheme = authorization.strip().split(" ", 1)[0]
    return _SCHEMES.get(scheme.lower(), scheme)


class App:
    """Turns requests into replies (``None`` = drop the connection) and logs them.

    Examples
    --------
    >>> from .catalog import Catalog
    >>> app = App(Catalog(artists=0), TokenStore("i", "s", budget=1, ttl=60), FaultTable(),
    ...           RequestLog(), lambda: "http://sandbox")
    >>> app.handle("GET", "/users/1", None, b"").status
    401
    """

    def __init__(
        self,
        catalog: Catalog,
        tokens: TokenStore,
        faults: FaultTable,
        log: RequestLog,
        base_url: Callable[[], str],
        latency: float = 0.0,
        *,
        edge: Edge | None = None,
        shapes: Shapes | None = None,
        short_links: ShortLinks | None = None,
    ) -> None:
        self.tokens = tokens
        self.faults = faults
        self.log = log
        self.latency = latency
        self.edge = edge if edge is not None else Edge()
        self.shapes = shapes if shapes is not None else Shapes(base_url)
        self.router = Router(catalog, faults, base_url, self.shapes, short_links)
        #: The emulated clock: the ``Date`` of every answer.
        self.clock = catalog.timeline.clock

    def handle(
        self, method: str, target: str, authorization: str | None, body: bytes
    ) -> Reply | None:
        """Answer one request and log it."""
        arrived = time.time()
        request = ApiRequest.parse(method, target)
        token_route = request.path in TOKEN_PATHS
        form: Mapping[str, str] = {}
        if token_route:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            reply, cause = self._respond(request, token_route, form, authorization)
        except Exception:  # a bug in the sandbox must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            reply, cause = error_reply(500), "bug"
        record = RequestRecord(
            method=method,
            path=unquote(request.raw_path),
            query=dict(request.query),
            status=None if reply is None else reply.status,
            auth_scheme=auth_scheme(authorization),
            grant_type=form.get("grant_type") if token_route else None,
            time=arrived,
            cause=cause,
        )
        self.log.append(record)
        return reply

    def _respond(
        self,
        request: ApiRequest,
        token_route: bool,
        form: Mapping[str, str],
        authorization: str | None,
    ) -> tuple[Reply | None, str | None]:
        latency = self.latency
        if latency > 0:
            time.sleep(latency)
        paths = (unquote(request.raw_path), request.path)
        delay = self.faults.take(("delay",), paths, token_route=token_route)
        if delay is not None:
            time.sleep(delay.params["seconds"])
        edge = self.edge
        if token_route:
            return self._token(request, paths, form, authorization)
        wall = edge.wall()
        if wall is not None:
            return wall
        fault = self.faults.take(("fail", "rate_limit", "drop", "corrupt"), paths)
        if fault is not None:
            return _fault_reply(fault), "fault"
        denied = self._authorize(authorization)
        if denied is not None:
            return denied, None
        throttled = edge.throttle(self.tokens.client_id, request.path)
        if throttled is not None:
            return throttled, "throttle"
        status = edge.errors.draw()
        if status is not None:
            return envoy_error(status), "error_rate"
        return self.router.dispatch(request), None

    def _token(
        self,
        request: ApiRequest,
        paths: tuple[str, str],
        form: Mapping[str, str],
        authorization: str | None,
    ) -> tuple[Reply | None, str | None]:
        edge = self.edge
        if request.method == "POST":
            reply, cause = edge.token_gate()
            if cause == "hold":
                edge.hold()
                return None, "outage"
            if cause is not None:
                return reply, cause
        else:
            wall = edge.wall()
            if wall is not None:
                return wall
        kinds = ("fail", "rate_limit", "drop", "corrupt", "token")
        fault = self.faults.take(kinds, paths, token_route=True)
        if fault is not None:
            return _fault_reply(fault), "fault"
        if request.method != "POST":
            return token_error(405, "invalid_request"), None
        return exchange(self.tokens, form, authorization, strict=edge.strict_client_auth), None

    def _authorize(self, authorization: str | None) -> Reply | None:
        if not authorization or not authorization.strip():
            return error_reply(401, MISSING_AUTH)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in _SCHEMES or not self.tokens.valid(token.strip()):
            return error_reply(401)
        return None


def _fault_reply(fault: Fault) -> Reply | None:
    params = fault.params
    if fault.kind == "drop":
        return None
    if fault.kind == "fail":
        return fail_reply(params["status"], params["html"])
    if fault.kind == "rate_limit":
        return rate_limit_reply(params["shape"], params["reset_in"])
    if fault.kind == "corrupt":
        return corrupt_reply(params["kind"])
    return token_fault_reply(params["status"])
