"""Armed faults: what the next matching requests should suffer, and the replies they get.

A fault has a kind, an fnmatch glob on the request path and a count; each matching request
uses one up and the fault disarms at zero. Faults are matched first-armed first.

Kinds: ``fail`` (5xx), ``rate_limit`` (429), ``drop`` (close without reply), ``delay``
(extra sleep), ``corrupt`` (a 200 with a broken body), ``repeat_next_href`` and ``token``
(token endpoint). Except ``token``,
faults do not apply to the token endpoint unless their glob names it (contains
``oauth``), so ``path="*"`` means "every API request".
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import threading
import time
from collections.abc import Iterable
from typing import Any

from .formats import sc_time
from .replies import Reply, cloudfront_html, edge_429, error_reply, json_reply, text_reply
from .tokens import token_error

__all__ = [
    "CORRUPT_KINDS",
    "RATE_LIMIT_SHAPES",
    "Fault",
    "FaultTable",
    "corrupt_reply",
    "rate_limit_reply",
    "token_fault_reply",
]

RATE_LIMIT_SHAPES = ("plays", "bucket", "standard", "edge", "text")
CORRUPT_KINDS = ("malformed", "truncated", "html", "shape")
TOKEN_FAULT_STATUSES = (400, 401, 403, 429)
_FAR_FUTURE = 10 * 365 * 86_400


@dataclasses.dataclass
class Fault:
    """One armed fault.

    Examples
    --------
    >>> Fault("drop", "/users/*", 1).matches(["/users/1"], token_route=False)
    True
    """

    kind: str
    pattern: str
    remaining: int
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def matches(self, paths: Iterable[str], *, token_route: bool) -> bool:
        """Return whether the fault applies to a request with these path spellings."""
        if self.kind == "token":
            applies = token_route
        else:
            applies = not token_route or "oauth" in self.pattern
        return applies and any(fnmatch.fnmatchcase(path, self.pattern) for path in paths)


class FaultTable:
    """Thread-safe list of armed faults.

    Examples
    --------
    >>> table = FaultTable()
    >>> table.arm(Fault("drop", "*", 1))
    >>> table.take(("drop",), ["/x"], token_route=False).kind, table.take(("drop",), ["/x"])
    ('drop', None)
    """

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, fault: Fault) -> None:
        """Add ``fault`` (``remaining`` must be >= 1)."""
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    def take(
        self, kinds: tuple[str, ...], paths: Iterable[str], *, token_route: bool = False
    ) -> Fault | None:
        """Use up one count of the first armed fault of ``kinds`` matching ``paths``."""
        paths = list(paths)
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(paths, token_route=token_route):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def fail_reply(status: int, html: bool) -> Reply:
    """Return the reply of a ``fail`` fault: CDN HTML page or standard JSON error body.

    Examples
    --------
    >>> fail_reply(503, html=False).status
    503
    """
    return cloudfront_html(status) if html else error_reply(status)


def corrupt_reply(kind: str) -> Reply:
    """Return a ``200 OK`` whose body is broken in the way ``kind`` names.

    ``malformed``: JSON content type, starts with ``{`` and ends with ``}`` but does not parse;
    ``truncated``: JSON cut off mid-way; ``html``: an HTML page; ``shape``: valid JSON of the
    wrong shape (``{"unexpected": true}``).

    Examples
    --------
    >>> corrupt_reply("shape").body
    b'{"unexpected":true}'
    """
    if kind == "html":
        return text_reply(200, "<html><body>Service Unavailable</body></html>", "text/html")
    if kind == "shape":
        return json_reply(200, {"unexpected": True})
    body = '{"collection": [{"kind": "track",, }], "next_href": null}'
    if kind == "truncated":
        body = '{"collection": [{"kind": "track", "id": 12'
    return text_reply(200, body, "application/json; charset=utf-8")


def rate_limit_reply(shape: str, reset_in: float | None) -> Reply:
    """Return a 429 in one of the shapes seen from SoundCloud (API-NOTES §6.3).

    ``plays``/``bucket`` carry ``reset_time`` = now + ``reset_in`` rounded up to the
    second (``None``: ten years ahead). Never a ``Retry-After`` header.

    Examples
    --------
    >>> import json
    >>> json.loads(rate_limit_reply("edge", 1.0).body)
    {'error': 'Rate Limit Exceeded'}
    """
    reset = time.time() + (_FAR_FUTURE if reset_in is None else reset_in)
    meta = {"remaining_requests": 0, "reset_time": sc_time(math.ceil(reset))}
    if shape == "plays":
        limit = {"group": "plays", "max_nr_of_requests": 15000, "time_window": "PT24H"}
        return json_reply(429, {"errors": [{"meta": {"rate_limit": limit, **meta}}]})
    if shape == "bucket":
        limit = {
            "bucket": "by-ip",
            "max_nr_of_requests": 30,
            "time_window": "PT1H",
            "name": "client-credentials-exchange",
        }
        return json_reply(429, {"errors": [{"meta": {"rate_limit": limit, **meta}}]})
    if shape == "standard":
        return error_reply(429, "Too Many Requests")
    if shape == "edge":
        return edge_429()  # the same answer as the production request-rate limit
    if shape == "text":
        return text_reply(429, "Please slow down.")
    raise ValueError(f"unknown rate limit shape {shape!r}; use one of {RATE_LIMIT_SHAPES}")


def token_fault_reply(status: int) -> Reply:
    """Return the token endpoint's reply for an injected ``status``.

    400 ``invalid_grant``, 401 ``invalid_client``, 429 ``rate_limit_exceeded`` (with
    ``WWW-Authenticate: Basic``), 403 and 5xx the CDN's HTML page.

    Examples
    --------
    >>> token_fault_reply(401).body
    b'{"error":"invalid_client"}'
    """
    if status == 400:
        return token_error(400, "invalid_grant")
    if status == 401:
        return token_error(401, "invalid_client")
    if status == 429:
        return token_error(429, "rate_limit_exceeded")
    return cloudfront_html(status)
