"""Many users at once: validate a list of users, then run one job per user on bounded threads."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ._checks import check_workers
from .errors import ArgumentError
from .http.refs import UserRef, parse_user

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_WORKERS = 8


def user_refs(users: object, name: str = "users") -> list[UserRef]:
    """Validate one user or a list of users; reject an empty list and duplicates.

    Parameters
    ----------
    users : str, int or sequence of them
        One user (any form :func:`scdata.http.refs.parse_user` accepts) or several.

    Raises
    ------
    InvalidUserError
        For a value that cannot be a user (named as ``users[i]``).
    ArgumentError
        For an empty list or a user listed twice (a ``ValueError`` too).

    Examples
    --------
    >>> [str(r) for r in user_refs(["jowymusic", 42])]
    ['jowymusic', '42']
    >>> user_refs(["a", "A "])
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: users lists the same user twice: users[0]='a' and users[1]='A '
    """
    if isinstance(users, str | numbers.Integral) and not isinstance(users, bool):
        return [parse_user(users, name)]
    if isinstance(users, dict | bytes) or not isinstance(users, Iterable):
        return [parse_user(users, name)]  # raises, naming the type
    values = list(users)
    if not values:
        raise ArgumentError(f"{name} must name at least one user, got an empty list")
    refs = [parse_user(value, f"{name}[{i}]") for i, value in enumerate(values)]
    seen: dict[str, int] = {}
    for i, ref in enumerate(refs):
        key = ref.key
        if key in seen:
            j = seen[key]
            raise ArgumentError(
                f"{name} lists the same user twice: {name}[{j}]={values[j]!r} "
                f"and {name}[{i}]={values[i]!r}"
            )
        seen[key] = i
    return refs


def run_all(job: Callable[[T], R], items: Sequence[T], workers: int = DEFAULT_WORKERS) -> list[R]:
    """Run ``job`` on every item with at most ``workers`` threads; results in input order.

    The first exception is re-raised (after the running jobs finish); no partial list.

    Examples
    --------
    >>> run_all(lambda x: x * 2, [1, 2, 3], workers=2)
    [2, 4, 6]
    """
    workers = check_workers(workers)
    if len(items) <= 1 or workers == 1:
        return [job(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(job, items))
