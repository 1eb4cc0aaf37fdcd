"""Module-level functions that use the default client (``scdata.configure`` replaces it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .client import default_client


def iter_tracks(
    user: str | int,
    limit: int | None = None,
    *,
    offline: bool | None = None,
    refresh: bool | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every track of ``user``, newest first, following cursor pages until the end.

    Parameters
    ----------
    user : str or int
        Username, numeric id, URN ``soundcloud:users:N`` or profile URL.
    limit : int, optional
        Stop after this many tracks (default: all of them).
    offline, refresh : bool, optional
        Answer only from the cache / refetch and replace cache entries.

    Raises
    ------
    InvalidUserError, UserNotFoundError, AuthError, RateLimitError, APIError, OfflineError

    Examples
    --------
    >>> import scdata
    >>> for track in scdata.iter_tracks("jowymusic", limit=2):  # doctest: +SKIP
    ...     print(track["title"])
    """
    return default_client().iter_tracks(user, limit, offline=offline, refresh=refresh)
