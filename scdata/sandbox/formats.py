"""Time formats used by the SoundCloud API, as plain functions on epoch seconds.

The public API writes object timestamps as ``yyyy/MM/dd HH:mm:ss +0000`` (always UTC,
literal ``+0000``) and user-track cursors with ISO-8601 timestamps with milliseconds.
"""

from __future__ import annotations

import calendar
import math
import re
import time

__all__ = ["iso_duration", "iso_millis", "parse_iso_millis", "parse_sc_time", "sc_time", "utc"]

_SC_TIME = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \+0000")
_ISO_MILLIS = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Return the epoch seconds of a UTC calendar time.

    Examples
    --------
    >>> utc(2011, 4, 6, 15, 37, 43)
    1302104263
    """
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def sc_time(epoch: float) -> str:
    """Format epoch seconds the way API objects do (``yyyy/MM/dd HH:mm:ss +0000``).

    Examples
    --------
    >>> sc_time(1302104263)
    '2011/04/06 15:37:43 +0000'
    """
    return time.strftime("%Y/%m/%d %H:%M:%S +0000", time.gmtime(epoch))


def parse_sc_time(text: str) -> int:
    """Parse an API timestamp (``yyyy/MM/dd HH:mm:ss +0000``) to epoch seconds.

    Raises
    ------
    ValueError
        If ``text`` is not in that format.

    Examples
    --------
    >>> parse_sc_time("2011/04/06 15:37:43 +0000")
    1302104263
    """
    match = _SC_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not a SoundCloud timestamp: {text!r}")
    return utc(*(int(part) for part in match.groups()))


def iso_millis(epoch_ms: int) -> str:
    """Format epoch milliseconds as ISO-8601 UTC with milliseconds (cursor timestamps).

    Examples
    --------
    >>> iso_millis(1302104263000)
    '2011-04-06T15:37:43.000Z'
    """
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_iso_millis(text: str) -> int:
    """Parse ``yyyy-MM-ddTHH:mm:ss.SSSZ`` to epoch milliseconds.

    Raises
    ------
    ValueError
        If ``text`` is not in that format.

    Examples
    --------
    >>> parse_iso_millis("2011-04-06T15:37:43.000Z")
    1302104263000
    """
    match = _ISO_MILLIS.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 millisecond timestamp: {text!r}")
    *fields, millis = (int(part) for part in match.groups())
    return utc(*fields) * 1000 + millis


def iso_duration(seconds: float) -> str:
    """Format a window length as an ISO-8601 duration, as rate-limit bodies do (``PT1H``).

    Examples
    --------
    >>> iso_duration(3600), iso_duration(43200), iso_duration(86400), iso_duration(90.5)
    ('PT1H', 'PT12H', 'PT24H', 'PT1M31S')
    """
    total = max(1, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}H" if hours else "",
        f"{minutes}M" if minutes else "",
        f"{secs}S" if secs else "",
    ]
    return "PT" + "".join(parts)
