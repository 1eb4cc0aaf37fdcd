"""Thread-safe log of the requests the sandbox answered."""

from __future__ import annotations

import dataclasses
import fnmatch
import threading

__all__ = ["RequestLog", "RequestRecord"]


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it.

    Attributes
    ----------
    method
        HTTP method.
    path
        Path without query, percent-decoded, as sent (before ``.json``/``/`` handling).
    query
        Query parameters (last value wins).
    status
        Status code sent; ``None`` if the connection was dropped.
    auth_scheme
        ``"OAuth"``, ``"Bearer"``, another scheme as sent (e.g. ``"Basic"`` on token
        requests), or ``None`` without an ``Authorization`` header.
    grant_type
        Form ``grant_type`` of token requests, else ``None``.
    time
        Arrival, seconds since the epoch.
    cause
        What made the answer other than the routine one: ``"throttle"`` (request-rate
        limit), ``"block"`` (blocked IP), ``"incident"``, ``"window"`` (token window
        exhausted), ``"outage"`` (token outage), ``"error_rate"``, ``"fault"`` (an armed
        fault), ``"bug"``; ``None`` for a routine answer (errors included).

    Examples
    --------
    >>> RequestRecord("GET", "/users/1", {}, 200, "OAuth", None, 0.0).status
    200
    """

    method: str
    path: str
    query: dict[str, str]
    status: int | None
    auth_scheme: str | None
    grant_type: str | None
    time: float
    cause: str | None = None


class RequestLog:
    """Append-only request log with glob counting.

    Examples
    --------
    >>> log = RequestLog()
    >>> log.append(RequestRecord("GET", "/users/1/tracks", {}, 200, None, None, 0.0))
    >>> log.count("/users/*/tracks"), log.count(status=404)
    (1, 0)
    """

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        """Add ``record``."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """Return a copy of the records so far, in arrival order of completion."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def count(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        grant_type: str | None = None,
        cause: str | tuple[str, ...] | None = None,
    ) -> int:
        """Count records matching every given filter (``path`` is an fnmatch glob).

        ``cause`` is one cause or a tuple of causes.
        """
        causes = (cause,) if isinstance(cause, str) else cause
        return sum(
            (path is None or fnmatch.fnmatchcase(record.path, path))
            and (method is None or record.method == method.upper())
            and (status is None or record.status == status)
            and (grant_type is None or record.grant_type == grant_type)
            and (causes is None or record.cause in causes)
            for record in self.snapshot()
        )
