"""scdata: the SoundCloud public API as typed pandas DataFrames and lossless Parquet.

>>> import scdata
>>> df = scdata.tracks_df("jowymusic")
>>> path = scdata.to_parquet(df, "jowymusic.parquet")
>>> scdata.read_parquet(path).equals(df)
True

``tracks_df`` returns every track, typed and cached for an hour; ``to_parquet`` writes zstd
Parquet atomically, and it reads back identically.

Credentials come from ``SOUNDCLOUD_CLIENT_ID`` / ``SOUNDCLOUD_CLIENT_SECRET`` (or
``scdata.configure(...)``); ``scdata.sandbox.serve()`` runs a local SoundCloud emulator.

Every public name loads on first use (PEP 562), so ``import scdata`` and the ``scdata``
command's ``--help`` do not import pandas or pyarrow.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from . import dask as dask
    from . import sandbox as sandbox
    from ._client import Client, configure
    from ._functions import (
        collection_df,
        comments_df,
        favoriters_df,
        follow_graph,
        followers_df,
        followings_df,
        iter_tracks,
        likes_df,
        lookup_playlists,
        lookup_tracks,
        playlist_tracks_df,
        playlists_df,
        related_artists_df,
        related_tracks_df,
        reposters_df,
        reposts_df,
        resolve,
        tracks_df,
        users_df,
        web_profiles_df,
    )
    from ._graph import to_networkx
    from ._search import search_playlists, search_tracks, search_users
    from .compat import get_token, soundcloud_api, user_info, user_tracks
    from .datasets.export import export_collection, export_tracks
    from .datasets.history import connect, growth_df, history_df
    from .datasets.sync import sync
    from .errors import (
        APIError,
        ArgumentError,
        AuthError,
        BlockedError,
        ConfigurationError,
        InvalidReferenceError,
        InvalidUserError,
        NotFoundError,
        OfflineError,
        RateLimitError,
        SchemaError,
        SoundCloudError,
        StoreLockedError,
        TokenCooldownError,
        UserNotFoundError,
    )
    from .frames.files import read_parquet, to_parquet
    from .frames.schema import ParseWarning

logging.getLogger("scdata").addHandler(logging.NullHandler())

_ERRORS = (
    "APIError", "ArgumentError", "AuthError", "BlockedError", "ConfigurationError",
    "InvalidReferenceError", "InvalidUserError", "NotFoundError", "OfflineError",
    "RateLimitError", "SchemaError", "SoundCloudError", "StoreLockedError", "TokenCooldownError",
    "UserNotFoundError",
)  # fmt: skip
#: public name -> the module (relative to this package) that defines it
_LAZY: dict[str, str] = {
    **dict.fromkeys(_ERRORS, ".errors"),
    "Client": "._client",
    "configure": "._client",
    "iter_tracks": "._functions",
    "collection_df": "._functions",
    "playlists_df": "._functions",
    "playlist_tracks_df": "._functions",
    "likes_df": "._functions",
    "reposts_df": "._functions",
    "followers_df": "._functions",
    "followings_df": "._functions",
    "favoriters_df": "._functions",
    "reposters_df": "._functions",
    "comments_df": "._functions",
    "related_tracks_df": "._functions",
    "related_artists_df": "._functions",
    "web_profiles_df": "._functions",
    "resolve": "._functions",
    "lookup_tracks": "._functions",
    "lookup_playlists": "._functions",
    "follow_graph": "._functions",
    "to_networkx": "._graph",
    "tracks_df": "._functions",
    "users_df": "._functions",
    **dict.fromkeys(("search_playlists", "search_tracks", "search_users"), "._search"),
    "get_token": ".compat",
    "soundcloud_api": ".compat",
    "user_info": ".compat",
    "user_tracks": ".compat",
    "export_tracks": ".datasets.export",
    "export_collection": ".datasets.export",
    **dict.fromkeys(("connect", "growth_df", "history_df"), ".datasets.history"),
    "sync": ".datasets.sync",
    "read_parquet": ".frames.files",
    "to_parquet": ".frames.files",
    "ParseWarning": ".frames.schema",
}
_SUBMODULES = ("sandbox", "dask")  # dask is an optional extra


def __getattr__(name: str) -> object:
    """Load a public name (or ``scdata.sandbox``/``scdata.dask``) on first use."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scdata' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


__all__ = [
    "APIError",
    "ArgumentError",
    "AuthError",
    "BlockedError",
    "Client",
    "ConfigurationError",
    "InvalidReferenceError",
    "InvalidUserError",
    "NotFoundError",
    "OfflineError",
    "ParseWarning",
    "RateLimitError",
    "SchemaError",
    "SoundCloudError",
    "StoreLockedError",
    "TokenCooldownError",
    "UserNotFoundError",
    "__version__",
    "collection_df",
    "comments_df",
    "configure",
    "connect",
    "export_collection",
    "export_tracks",
    "favoriters_df",
    "follow_graph",
    "followers_df",
    "followings_df",
    "get_token",
    "growth_df",
    "history_df",
    "iter_tracks",
    "likes_df",
    "lookup_playlists",
    "lookup_tracks",
    "playlist_tracks_df",
    "playlists_df",
    "read_parquet",
    "related_artists_df",
    "related_tracks_df",
    "reposters_df",
    "reposts_df",
    "resolve",
    "search_playlists",
    "search_tracks",
    "search_users",
    "soundcloud_api",
    "sync",
    "to_networkx",
    "to_parquet",
    "tracks_df",
    "user_info",
    "user_tracks",
    "users_df",
    "web_profiles_df",
]
