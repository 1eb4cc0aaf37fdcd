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
"""

import importlib
import logging

from ._client import Client, configure
from ._functions import iter_tracks, tracks_df, users_df
from ._version import __version__
from .compat import get_token, soundcloud_api, user_info, user_tracks
from .datasets.export import export_tracks
from .errors import (
    APIError,
    AuthError,
    BlockedError,
    ConfigurationError,
    InvalidUserError,
    OfflineError,
    RateLimitError,
    SoundCloudError,
    TokenCooldownError,
    UserNotFoundError,
)
from .frames.files import read_parquet, to_parquet

logging.getLogger("scdata").addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    """``scdata.sandbox`` and ``scdata.dask`` load on first use (dask is an optional extra)."""
    if name in ("sandbox", "dask"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'scdata' has no attribute {name!r}")


__all__ = [
    "APIError",
    "AuthError",
    "BlockedError",
    "Client",
    "ConfigurationError",
    "InvalidUserError",
    "OfflineError",
    "RateLimitError",
    "SoundCloudError",
    "TokenCooldownError",
    "UserNotFoundError",
    "__version__",
    "configure",
    "export_tracks",
    "get_token",
    "iter_tracks",
    "read_parquet",
    "soundcloud_api",
    "to_parquet",
    "tracks_df",
    "user_info",
    "user_tracks",
    "users_df",
]
