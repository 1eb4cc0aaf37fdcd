"""Module-level functions that use the default client (``scdata.configure`` replaces it).

Each one has the signature and the docstring of the :class:`scdata.Client` method it calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, overload

import pandas as pd

from ._client import Client, default_client


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
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
) -> pd.DataFrame: ...


@overload
def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: Literal[True],
    access: str | None = "all",
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
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | list[dict[str, Any]]: ...


def tracks_df(
    users: str | int | list[str | int],
    limit: int | None = None,
    *,
    raw: bool = False,
    access: str | None = "all",
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | list[dict[str, Any]]:
    return default_client().tracks_df(
        users, limit, raw=raw, access=access, workers=workers, offline=offline,
        refresh=refresh, progress=progress,
    )  # fmt: skip


def users_df(
    users: str | int | list[str | int],
    *,
    workers: int = 8,
    offline: bool | None = None,
    refresh: bool | None = None,
) -> pd.DataFrame:
    return default_client().users_df(users, workers=workers, offline=offline, refresh=refresh)


for _function, _method in (
    (iter_tracks, Client.iter_tracks),
    (tracks_df, Client.tracks_df),
    (users_df, Client.users_df),
):
    _function.__doc__ = _method.__doc__
