"""Cursor paging of ``/users/{urn}/tracks``, as in API-NOTES §4.

Query parameters: ``limit``/``page_size`` (1-200, default 50; non-integer or < 1 -> 50,
> 200 -> 200), ``access`` (comma list, default ``playable,preview``; unknown values
ignored), ``sort`` (aliases ``direction``, ``order``; ``asc`` or default ``desc``),
``cursor`` (only from ``next_href``), ``linked_partitioning`` (presence switches to the
``{"collection", "next_href"}`` shape). ``offset`` is not a parameter and is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from .formats import iso_millis, parse_iso_millis

__all__ = [
    "ACCESS_VALUES",
    "DEFAULT_ACCESS",
    "access_filter",
    "ascending",
    "format_cursor",
    "next_href",
    "page_size",
    "parse_cursor",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
ACCESS_VALUES = ("playable", "preview", "blocked")
DEFAULT_ACCESS = frozenset({"playable", "preview"})
_SORT_NAMES = ("sort", "direction", "order")
_ECHOED = ("access", "linked_partitioning", *_SORT_NAMES)


def page_size(query: Mapping[str, str]) -> int:
    """Return the effective page size of a request.

    Examples
    --------
    >>> page_size({"limit": "500"}), page_size({"limit": "x"}), page_size({"page_size": "7"})
    (200, 50, 7)
    """
    raw = query.get("page_size", query.get("limit"))
    if raw is None:
        return DEFAULT_LIMIT
    try:
        size = int(raw)
    except ValueError:
        return DEFAULT_LIMIT
    return DEFAULT_LIMIT if size < 1 else min(size, MAX_LIMIT)


def access_filter(raw: str | None) -> frozenset[str]:
    """Return the ``access`` values a request asks for.

    Examples
    --------
    >>> sorted(access_filter("blocked,bogus")), sorted(access_filter("bogus"))
    (['blocked'], ['playable', 'preview'])
    """
    if raw is None:
        return DEFAULT_ACCESS
    wanted = frozenset(part.strip().lower() for part in raw.split(",")) & set(ACCESS_VALUES)
    return wanted or DEFAULT_ACCESS


def ascending(query: Mapping[str, str]) -> bool:
    """Return whether the request asks for oldest first.

    Examples
    --------
    >>> ascending({"sort": "asc"}), ascending({"order": "DESC"}), ascending({})
    (True, False, False)
    """
    for name in _SORT_NAMES:
        if name in query:
            return query[name].strip().lower() == "asc"
    return False


def parse_cursor(raw: str | None) -> tuple[int, int] | None:
    """Return the ``(epoch ms, id)`` key of a cursor; ``None`` for the first page.

    Raises
    ------
    ValueError
        If the cursor is malformed.

    Examples
    --------
    >>> parse_cursor("2018-02-27T14:37:10.000Z,tracks,00405959469")
    (1519742230000, 405959469)
    >>> parse_cursor("0") is None
    True
    """
    if raw is None or raw in ("", "0"):
        return None
    parts = raw.split(",")
    if len(parts) != 3 or parts[1] != "tracks" or not parts[2].isdigit():
        raise ValueError(f"malformed cursor {raw!r}")
    return parse_iso_millis(parts[0]), int(parts[2])


def format_cursor(key: tuple[int, int]) -> str:
    """Return the cursor of the track with sort key ``(epoch ms, id)``.

    Examples
    --------
    >>> format_cursor((1519742230000, 405959469))
    '2018-02-27T14:37:10.000Z,tracks,00405959469'
    """
    return f"{iso_millis(key[0])},tracks,{key[1]:011d}"


def next_href(
    base_url: str, raw_path: str, query: Mapping[str, str], key: tuple[int, int], size: int
) -> str:
    """Return the ``next_href`` of a page whose last (pre-filter) track has ``key``.

    Base URL + request path + alphabetically sorted query: the request's ``access``,
    ``linked_partitioning`` and sort parameter (each only if present), ``cursor`` and
    ``page_size``. ``limit``, ``offset`` and anything else are dropped.

    Examples
    --------
    >>> next_href("http://h", "/users/1/tracks", {"linked_partitioning": "true", "limit": "2"},
    ...           (1519742230000, 405959469), 2)
    'http://h/users/1/tracks?cursor=2018-02-27T14%3A37%3A10.000Z%2Ctracks%2C00405959469&linked_partitioning=true&page_size=2'
    """
    params = {"cursor": format_cursor(key), "page_size": str(size)}
    params.update((name, query[name]) for name in _ECHOED if name in query)
    return f"{base_url}{raw_path}?{urlencode(sorted(params.items()))}"
