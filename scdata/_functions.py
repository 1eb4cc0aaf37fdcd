"""Module-level functions that use the default client (``scdata.configure`` replaces it).

Each one has the signature and the docstring of the :class:`scdata.Client` method it calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar, overload

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from ._client import Client, default_client

P = ParamSpec("P")
R = TypeVar("R")


def iter_tracks(
    user: str | int,
    limit: int | None = None,
    *,
    access: str | None = "all",
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
) -> Iterator[dict[str, Any]]:
    return default_client().iter_tracks(
        user, limit, access=access, offline=offline, refresh=refresh, progress=progress
    )


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: Literal[False] = False,
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
    observe: bool = False,
    backend: Literal["pandas"] = "pandas",
) -> pd.DataFrame: ...


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: Literal[True],
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
) -> list[dict[str, Any]]: ...


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: bool,
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
    observe: bool = False,
    backend: Literal["pandas"] = "pandas",
) -> pd.DataFrame | list[dict[str, Any]]: ...


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: Literal[False] = False,
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
    observe: bool = False,
    backend: Literal["arrow"],
) -> pa.Table: ...


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: bool = False,
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
    observe: bool = False,
    backend: str,
) -> Any: ...


def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: bool = False,
    access: str | None = "all",
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
    observe: bool = False,
    backend: str = "pandas",
) -> Any:
    return default_client().tracks_df(
        users, limit, raw=raw, access=access, errors=errors, workers=workers, offline=offline,
        refresh=refresh, progress=progress, observe=observe, backend=backend,
    )  # fmt: skip


@overload
def users_df(
    users: str | int | list[str | int],
    *,
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    observe: bool = False,
    backend: Literal["pandas"] = "pandas",
) -> pd.DataFrame: ...


@overload
def users_df(
    users: str | int | list[str | int],
    *,
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    observe: bool = False,
    backend: Literal["arrow"],
) -> pa.Table: ...


@overload
def users_df(
    users: str | int | list[str | int],
    *,
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    observe: bool = False,
    backend: str,
) -> Any: ...


def users_df(
    users: str | int | list[str | int],
    *,
    errors: str = "raise",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    observe: bool = False,
    backend: str = "pandas",
) -> Any:
    return default_client().users_df(
        users, errors=errors, workers=workers, offline=offline, refresh=refresh,
        observe=observe, backend=backend,
    )  # fmt: skip


def _forward(method: Callable[Concatenate[Client, P], R]) -> Callable[P, R]:
    """A module-level function calling ``method`` on the default client (same signature)."""

    @functools.wraps(method)
    def function(*args: P.args, **kwargs: P.kwargs) -> R:
        return method(default_client(), *args, **kwargs)

    return function


collection_df = _forward(Client.collection_df)
playlists_df = _forward(Client.playlists_df)
playlist_tracks_df = _forward(Client.playlist_tracks_df)
likes_df = _forward(Client.likes_df)
reposts_df = _forward(Client.reposts_df)
followers_df = _forward(Client.followers_df)
followings_df = _forward(Client.followings_df)
favoriters_df = _forward(Client.favoriters_df)
reposters_df = _forward(Client.reposters_df)
comments_df = _forward(Client.comments_df)
related_tracks_df = _forward(Client.related_tracks_df)
related_artists_df = _forward(Client.related_artists_df)
web_profiles_df = _forward(Client.web_profiles_df)
resolve = _forward(Client.resolve)
lookup_tracks = _forward(Client.lookup_tracks)
lookup_playlists = _forward(Client.lookup_playlists)
follow_graph = _forward(Client.follow_graph)


for _function, _method in (
    (iter_tracks, Client.iter_tracks),
    (tracks_df, Client.tracks_df),
    (users_df, Client.users_df),
):
    _function.__doc__ = _method.__doc__
