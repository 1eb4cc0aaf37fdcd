"""Waiting policy: back-off with jitter, and reading SoundCloud's 429s.

The shared pace and the shared pause live in :mod:`scdata.http.throttle`.

SoundCloud sends no ``Retry-After``; the reset time is in the JSON body as
``"reset_time": "yyyy/MM/dd HH:mm:ss +0000"`` (inside ``errors[0].meta``). A ``Retry-After`` header
is honoured if one ever appears.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

RESET_FORMAT = "%Y/%m/%d %H:%M:%S %z"


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 20.0) -> float:
    """Exponential back-off with full jitter for retry number ``attempt`` (0-based).

    Examples
    --------
    >>> 0 <= backoff_delay(0) <= 0.5
    True
    >>> backoff_delay(10) <= 20.0
    True
    """
    return random.uniform(0, min(cap, base * 2**attempt))


def reset_time_from_body(body: Any) -> datetime | None:
    """The ``reset_time`` of a SoundCloud 429 body, or ``None`` if it has none.

    Examples
    --------
    >>> body = {"errors": [{"meta": {"reset_time": "2015/06/01 09:49:40 +0000"}}]}
    >>> reset_time_from_body(body)
    datetime.datetime(2015, 6, 1, 9, 49, 40, tzinfo=datetime.timezone.utc)
    """
    meta = _first_meta(body)
    raw = meta.get("reset_time") if meta else None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip(), RESET_FORMAT).astimezone(UTC)
    except ValueError:
        return None


def limit_name_from_body(body: Any) -> str | None:
    """The limit's name or group in a 429 body (``"plays"``, ``"client-credentials-exchange"``)."""
    meta = _first_meta(body)
    if meta and isinstance(meta.get("rate_limit"), dict):
        rate = meta["rate_limit"]
        name = rate.get("name") or rate.get("group") or rate.get("bucket")
        return str(name) if name else None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else None


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    A date in the past gives 0; a value that is not one of the two forms gives ``None``. The
    caller applies a minimum pause (:data:`~scdata.http.throttle.MIN_PAUSE`): 0 never means "at
    once".

    Examples
    --------
    >>> retry_after_seconds("120"), retry_after_seconds("0"), retry_after_seconds("-3")
    (120.0, 0.0, None)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT")
    0.0
    """
    if not header:
        return None
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def describe_reset(reset: datetime) -> str:
    """``"after 2026-11-28 21:40:00 UTC (in 125 s)"`` for messages."""
    seconds = max(0, round((reset - datetime.now(UTC)).total_seconds()))
    return f"after {reset:%Y-%m-%d %H:%M:%S} UTC (in {seconds} s)"


def _first_meta(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        meta = errors[0].get("meta")
        if isinstance(meta, dict):
            return meta
    return None
