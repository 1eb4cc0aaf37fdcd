"""Checking the plain arguments of the data functions: counts, access levels and workers.

Every error is an :class:`~scdata.errors.ArgumentError` (a ``ValueError``) naming the parameter
and the value (users are checked by :mod:`scdata.http.refs`).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Literal, cast, overload

import numpy as np

from .errors import ArgumentError

MAX_COUNT = 1_000_000
ACCESS_LEVELS = ("playable", "preview", "blocked")


def check_access(access: object) -> str | None:
    """Validate ``access``: ``"all"``, ``None`` (the API's default) or some of the levels.

    Examples
    --------
    >>> check_access("all")
    'playable,preview,blocked'
    >>> check_access(["preview", "playable"])
    'playable,preview'
    >>> check_access(None) is None
    True
    """
    if access is None:
        return None
    if access == "all":
        return ",".join(ACCESS_LEVELS)
    levels = access.split(",") if isinstance(access, str) else access
    chosen: set[str | None]
    try:  # any value: one that is not iterable raises TypeError here
        chosen = {str(level).strip() for level in cast("Iterable[object]", levels)}
    except TypeError:
        chosen = {None}
    if not chosen or not chosen <= set(ACCESS_LEVELS):
        raise ArgumentError(
            f"access must be 'all', None or some of {', '.join(ACCESS_LEVELS)}; got {access!r}"
        )
    return ",".join(level for level in ACCESS_LEVELS if level in chosen)


@overload
def check_count(
    name: str, value: object, *, minimum: int, allow_none: Literal[False] = False
) -> int: ...


@overload
def check_count(name: str, value: object, *, minimum: int, allow_none: bool) -> int | None: ...


def check_count(name: str, value: object, *, minimum: int, allow_none: bool = False) -> int | None:
    """Validate ``limit``/``offset``-like arguments; raise ``ArgumentError`` naming the parameter.

    Examples
    --------
    >>> check_count("limit", 10, minimum=1)
    10
    >>> check_count("limit", 0, minimum=1)
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: limit must be an integer from 1 to 1000000, got 0
    """
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Integral)
        or not minimum <= int(value) <= MAX_COUNT
    ):
        raise ArgumentError(
            f"{name} must be an integer from {minimum} to {MAX_COUNT}, got {value!r}"
        )
    return int(value)  # a numpy integer becomes a plain int


def check_workers(workers: object) -> int:
    """Validate ``workers`` (threads at once): a positive integer.

    Examples
    --------
    >>> check_workers(4)
    4
    >>> check_workers(0)
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: workers must be a positive integer, got 0
    """
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or int(workers) < 1:
        raise ArgumentError(f"workers must be a positive integer, got {workers!r}")
    return int(workers)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices``; anything else raises naming ``name`` and it.

    Examples
    --------
    >>> check_choice("kind", "tracks", ("tracks", "playlists"))
    'tracks'
    >>> check_choice("kind", "albums", ("tracks", "playlists"))
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: kind must be "tracks" or "playlists", got 'albums'
    """
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(f'"{c}"' for c in choices[:-1]) + f' or "{choices[-1]}"'
        raise ArgumentError(f"{name} must be {listed}, got {value!r}")
    return str(value)
