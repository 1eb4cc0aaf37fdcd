"""The columns of scdata's frames, declared once.

Every column of scdata's frames is declared here exactly once, as a
:class:`Column`: its name, its kind (which fixes the pandas dtype and the
Arrow/Parquet type), a one-line description, and the field of the API object it
comes from. One tuple per item schema (:data:`SCHEMAS`: tracks, users, playlists,
comments, web profiles), plus :data:`EXTRA_COLUMNS`, the columns the collection
functions add. Everything else is derived from them:

- :func:`nested_arrow_schema`: the Arrow schema the raw API dicts are read with
  (``pa.Table.from_pylist(page, schema=...)``);
- :func:`arrow_schema`: the final Arrow schema, i.e. what goes to Parquet;
- :func:`pandas_dtypes`: the dtype of every frame column;
- :func:`columns_markdown` / :func:`columns_document`: the documentation
  (``docs/columns.md`` is generated with ``python -m scdata.frames``).

Column names are the API's own field names. Fields of the nested ``user``
object take ``user_`` as a prefix (``user.username`` -> ``user_username``).
Note that ``user_favorite`` and ``user_playback_count`` are the API's own
*track* fields (about the calling user), not fields of the nested ``user``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import SchemaError  # its home is the exception tree; importable here too

__all__ = [
    "COMMENT_COLUMNS",
    "EXTRA_COLUMNS",
    "KINDS",
    "PLAYLIST_COLUMNS",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "TIMESTAMP_FORMAT",
    "TRACK_COLUMNS",
    "USER_COLUMNS",
    "WEB_PROFILE_COLUMNS",
    "Column",
    "Kind",
    "ParseWarning",
    "SchemaError",
    "arrow_schema",
    "column_names",
    "columns_document",
    "columns_markdown",
    "extra_columns_markdown",
    "nested_arrow_schema",
    "pandas_dtypes",
]

#: Bumped whenever a column is added, removed, renamed or changes type, or a value is read
#: differently (typed page copies kept beside the cache are keyed by it).
#: 2: the embedded user's counts are gone (``user_followers_count``...: zeroed or absent in
#: real track collections); ``""`` in a text column is missing; tolerant parsing.
SCHEMA_VERSION = "2"

#: How the public API writes every timestamp (always UTC, literal ``+0000``).
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S %z"

Kind = Literal["int", "float", "bool", "str", "timestamp", "list"]
#: A pandas column dtype: a NumPy dtype or a pandas extension dtype.
PandasDtype: TypeAlias = "np.dtype[Any] | pd.api.extensions.ExtensionDtype"

#: Every kind, with its pandas dtype, its Arrow/Parquet type and DuckDB's name for it.
KINDS: dict[str, dict[str, str]] = {
    "int": {"pandas": "Int64", "arrow": "int64", "duckdb": "BIGINT"},
    "float": {"pandas": "float64", "arrow": "double", "duckdb": "DOUBLE"},
    "bool": {"pandas": "boolean", "arrow": "bool", "duckdb": "BOOLEAN"},
    "str": {"pandas": "str", "arrow": "large_string", "duckdb": "VARCHAR"},
    "timestamp": {
        "pandas": "datetime64[us, UTC]",
        "arrow": "timestamp[us, tz=UTC]",
        "duckdb": "TIMESTAMP WITH TIME ZONE",
    },
    "list": {"pandas": "object (list of str)", "arrow": "list<string>", "duckdb": "VARCHAR[]"},
}


class ParseWarning(UserWarning):
    """Some API values could not be read as their column's type and are missing (``<NA>``).

    One warning per column and frame, naming the column, how many values, and one example
    (shortened, and hidden if it looks like a credential). Filter it with
    ``warnings.simplefilter("error", scdata.ParseWarning)`` to make it fatal.
    """


@dataclass(frozen=True)
class Column:
    """One column of a frame.

    Parameters
    ----------
    name : str
        Column name: the API field name, ``user_`` + field for the nested user.
    kind : {"int", "float", "bool", "str", "timestamp", "list"}
        Fixes the pandas dtype and the Arrow type (see :data:`KINDS`).
    description : str
        One line, shown in ``docs/columns.md``.
    source : str
        Dotted path of the API field (``"user.username"``). For a derived
        column, the field it is computed from.
    derived : bool, default False
        True when the API has no such field and scdata computes it.
    values : tuple of str, default ()
        The documented values of a closed set (``license``, ``access``...).
        Informational only: the column stays ``str`` and keeps unknown values.
    urn_collection : str or None, default None
        For the id/urn pair of one object: the URN collection (``"tracks"``,
        ``"users"``). Each one of the pair is filled in from the other when
        the API omits it.
    keep_empty : bool, default False
        For a ``str`` column: keep ``""`` as ``""``. By default an empty string,
        which the API sends for "no value" in free-text fields, is missing.
    fallback : str or None, default None
        A second API field (dotted path) read where `source` is missing, e.g. a
        comment's ``user.urn`` where its top-level ``user_urn`` is absent.

    Examples
    --------
    >>> c = Column("playback_count", "int", "Number of plays.", "playback_count")
    >>> c.pandas_dtype
    Int64Dtype()
    >>> c.arrow_type
    DataType(int64)
    """

    name: str
    kind: Kind
    description: str
    source: str
    derived: bool = False
    values: tuple[str, ...] = ()
    urn_collection: str | None = None
    keep_empty: bool = False
    fallback: str | None = None

    @property
    def path(self) -> tuple[str, ...]:
        """The API path as a tuple, e.g. ``("user", "username")``."""
        return tuple(self.source.split("."))

    @property
    def fallback_path(self) -> tuple[str, ...] | None:
        """The fallback API path as a tuple, or None."""
        return tuple(self.fallback.split(".")) if self.fallback else None

    @property
    def arrow_type(self) -> pa.DataType:
        """The final Arrow type (what goes to Parquet)."""
        return _ARROW_FINAL[self.kind]

    @property
    def raw_arrow_type(self) -> pa.DataType:
        """The Arrow type the raw JSON value is read as (``double`` for an int, then checked)."""
        return _ARROW_RAW[self.kind]

    @property
    def pandas_dtype(self) -> PandasDtype:
        """The dtype of this column in a pandas frame."""
        return _PANDAS[self.kind]


_ARROW_RAW: dict[str, pa.DataType] = {
    # JSON numbers of an int column are read as doubles first: Arrow checks that every
    # integer is exact there (|n| <= 2**53, else the page takes the exact, slower path),
    # and a fraction (12.5) can then be found and refused; read as int64, Arrow would
    # truncate it to 12 without a word.
    "int": pa.float64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "str": pa.large_string(),
    "timestamp": pa.large_string(),
    "list": pa.list_(pa.string()),
}
_ARROW_FINAL: dict[str, pa.DataType] = {
    **_ARROW_RAW,
    "int": pa.int64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_PANDAS: dict[str, PandasDtype] = {
    "int": pd.Int64Dtype(),
    "float": np.dtype("float64"),
    "bool": pd.BooleanDtype(),
    "str": pd.StringDtype(na_value=np.nan),
    "timestamp": pd.DatetimeTZDtype("us", "UTC"),
    "list": np.dtype("object"),
}

_LICENSES = (
    "all-rights-reserved",
    "no-rights-reserved",
    "cc-by",
    "cc-by-nc",
    "cc-by-nd",
    "cc-by-sa",
    "cc-by-nc-nd",
    "cc-by-nc-sa",
)


def _c(name: str, kind: Kind, description: str, source: str | None = None, **kw: Any) -> Column:
    return Column(name, kind, description, source if source is not None else name, **kw)


TRACK_COLUMNS: tuple[Column, ...] = (
    _c(
        "urn",
        "str",
        "Track URN `soundcloud:tracks:<n>`, the key (duplicates dropped); built from `id` "
        "when absent.",
        urn_collection="tracks",
    ),
    _c(
        "id",
        "int",
        "Numeric track id (deprecated by the API in 2025); parsed from `urn` when absent.",
        urn_collection="tracks",
    ),
    _c("kind", "str", "Object type, always `track`.", values=("track",)),
    _c("title", "str", "Track title."),
    _c(
        "permalink_url",
        "str",
        "Public page, `https://soundcloud.com/<user>/<track>`, raw (may carry `?utm_...`).",
    ),
    _c("uri", "str", "API URL of the track (opaque: may hold the id or the URN)."),
    _c("created_at", "timestamp", "Upload time."),
    _c("duration", "int", "Length in milliseconds."),
    _c("duration_s", "float", "Length in seconds (`duration / 1000`).", "duration", derived=True),
    _c("genre", "str", "Genre as typed by the uploader (free text)."),
    _c(
        "tag_list",
        "str",
        "Tags exactly as sent: space separated, multi-word tags in double quotes, "
        'machine tags first; `""` (no tags) is kept as `""`.',
        keep_empty=True,
    ),
    _c("tags", "list", "User tags parsed from `tag_list`, in order.", "tag_list", derived=True),
    _c(
        "machine_tags",
        "list",
        "Machine tags (`namespace:key=value`) parsed from `tag_list`, in order.",
        "tag_list",
        derived=True,
    ),
    _c("description", "str", "Track description."),
    _c("metadata_artist", "str", "Artist name when it differs from the uploader."),
    _c("label_name", "str", "Record label."),
    _c("release", "str", "Release (album, EP) name."),
    _c("release_year", "int", "Year of release."),
    _c("release_month", "int", "Month of release."),
    _c("release_day", "int", "Day of release."),
    _c("isrc", "str", "International Standard Recording Code."),
    _c("bpm", "float", "Tempo in beats per minute."),
    _c("key_signature", "str", "Musical key."),
    _c("license", "str", "Licence.", values=_LICENSES),
    _c("sharing", "str", "Visibility.", values=("public", "private")),
    _c("access", "str", "What the caller may do.", values=("playable", "preview", "blocked")),
    _c("embeddable_by", "str", "Who may embed it (deprecated).", values=("all", "me", "none")),
    _c("streamable", "bool", "Whether it can be streamed."),
    _c("downloadable", "bool", "Whether it can be downloaded."),
    _c("commentable", "bool", "Whether comments are allowed."),
    _c("reveal_stats", "bool", "Whether play and like counts are shown (false: quiet mode)."),
    _c("reveal_comments", "bool", "Whether comments are shown (false: quiet mode)."),
    _c("playback_count", "int", "Number of plays."),
    _c("favoritings_count", "int", "Number of likes."),
    _c("reposts_count", "int", "Number of reposts."),
    _c("comment_count", "int", "Number of comments."),
    _c("download_count", "int", "Number of downloads."),
    _c("user_favorite", "bool", "Whether the calling user liked it (a track field)."),
    _c("user_playback_count", "int", "Plays by the calling user (a track field)."),
    _c(
        "available_country_codes",
        "list",
        "Country codes where it is available (a string is split on commas/spaces).",
    ),
    _c("artwork_url", "str", "Cover image (JPEG)."),
    _c("waveform_url", "str", "Waveform image (PNG)."),
    _c("stream_url", "str", "API stream URL (deprecated)."),
    _c("download_url", "str", "API download URL, when downloadable."),
    _c("purchase_url", "str", "Buy link."),
    _c("purchase_title", "str", "Text of the buy link."),
    _c("secret_uri", "str", "Secret API URL of a private track."),
    _c("policy", "str", "Monetisation policy (allow-listed clients only)."),
    _c("monetization_model", "str", "Monetisation model (allow-listed clients only)."),
    _c(
        "user_urn",
        "str",
        "Uploader URN `soundcloud:users:<n>`; built from `user.id` when absent.",
        "user.urn",
        urn_collection="users",
    ),
    _c(
        "user_id",
        "int",
        "Uploader numeric id; parsed from `user.urn` when absent.",
        "user.id",
        urn_collection="users",
    ),
    _c("user_username", "str", "Uploader display name.", "user.username"),
    _c("user_permalink", "str", "Uploader URL slug.", "user.permalink"),
    _c(
        "user_permalink_url",
        "str",
        "Uploader page, raw: may end in the API's tracking query `?utm_medium=api&...`.",
        "user.permalink_url",
    ),
    _c("user_avatar_url", "str", "Uploader avatar (JPEG).", "user.avatar_url"),
    _c("user_full_name", "str", "Uploader full name.", "user.full_name"),
    _c("user_city", "str", "Uploader city.", "user.city"),
    _c("user_country", "str", "Uploader country.", "user.country"),
    _c("user_plan", "str", "Uploader's subscription plan.", "user.plan"),
)

USER_COLUMNS: tuple[Column, ...] = (
    _c(
        "urn",
        "str",
        "User URN `soundcloud:users:<n>`, the key (duplicates dropped); built from `id` "
        "when absent.",
        urn_collection="users",
    ),
    _c(
        "id",
        "int",
        "Numeric user id (deprecated by the API in 2025); parsed from `urn` when absent.",
        urn_collection="users",
    ),
    _c("kind", "str", "Object type, always `user`.", values=("user",)),
    _c("username", "str", "Display name."),
    _c("permalink", "str", "URL slug."),
    _c(
        "permalink_url",
        "str",
        "Profile page, `https://soundcloud.com/<permalink>`, raw: may end in `?utm_...`.",
    ),
    _c("uri", "str", "API URL of the user (opaque: may hold the id or the URN)."),
    _c("avatar_url", "str", "Avatar image (JPEG)."),
    _c("created_at", "timestamp", "Account creation time."),
    _c("last_modified", "timestamp", "Last profile change."),
    _c("first_name", "str", "First name (often empty)."),
    _c("last_name", "str", "Last name (often empty)."),
    _c("full_name", "str", "Full name (often empty)."),
    _c("description", "str", "Profile text."),
    _c("city", "str", "City."),
    _c("country", "str", "Country."),
    _c("website", "str", "Website URL."),
    _c("website_title", "str", "Website link text."),
    _c("myspace_name", "str", "MySpace name."),
    _c("discogs_name", "str", "Discogs name."),
    _c("plan", "str", "Subscription plan (`Free`, `Pro Plus`...)."),
    _c("track_count", "int", "Public tracks."),
    _c("playlist_count", "int", "Public playlists."),
    _c("public_favorites_count", "int", "Public tracks liked."),
    _c("likes_count", "int", "Likes (deprecated)."),
    _c("reposts_count", "int", "Reposts."),
    _c("followers_count", "int", "Followers."),
    _c("followings_count", "int", "Accounts followed."),
    _c("comments_count", "int", "Comments (deprecated, always 0)."),
    _c("online", "bool", "Online flag (deprecated, always false)."),
)


def _owner_columns(who: str) -> tuple[Column, ...]:
    """The owner's identity: the item's own ``user_urn`` / ``user_id`` first, then ``user``.

    No counts: they are zeroed or absent in the user objects the API embeds.
    """
    first, second = "user_urn", "user.urn"
    first_id, second_id = "user_id", "user.id"
    return (
        _c(
            "user_urn",
            "str",
            f"{who} URN `soundcloud:users:<n>`; built from the id when absent.",
            first,
            urn_collection="users",
            fallback=second,
        ),
        _c(
            "user_id",
            "int",
            f"{who} numeric id; parsed from the URN when absent.",
            first_id,
            urn_collection="users",
            fallback=second_id,
        ),
        _c("user_username", "str", f"{who} display name.", "user.username"),
        _c("user_permalink", "str", f"{who} URL slug.", "user.permalink"),
        _c(
            "user_permalink_url",
            "str",
            f"{who} page, raw: may end in the API's tracking query `?utm_medium=api&...`.",
            "user.permalink_url",
        ),
        _c("user_avatar_url", "str", f"{who} avatar (JPEG).", "user.avatar_url"),
    )


PLAYLIST_COLUMNS: tuple[Column, ...] = (
    _c(
        "urn",
        "str",
        "Playlist URN `soundcloud:playlists:<n>`, the key (duplicates dropped); built from "
        "`id` when absent.",
        urn_collection="playlists",
    ),
    _c(
        "id",
        "int",
        "Numeric playlist id (not in the 2025 spec, still sent); parsed from `urn` when absent.",
        urn_collection="playlists",
    ),
    _c("kind", "str", "Object type, always `playlist`.", values=("playlist",)),
    _c("title", "str", "Playlist or album title."),
    _c("permalink", "str", "URL slug of the playlist."),
    _c(
        "permalink_url",
        "str",
        "Public page, `https://soundcloud.com/<user>/sets/<slug>`, raw (may carry "
        "`?utm_...` or a secret token).",
    ),
    _c("uri", "str", "API URL of the playlist (opaque: may hold the id or the URN)."),
    _c("tracks_uri", "str", "API URL of its tracks (`/playlists/<urn>/tracks`)."),
    _c("created_at", "timestamp", "Creation time."),
    _c("last_modified", "timestamp", "Last change."),
    _c("duration", "int", "Total length of its tracks in milliseconds."),
    _c("duration_s", "float", "Length in seconds (`duration / 1000`).", "duration", derived=True),
    _c(
        "track_count",
        "int",
        "Tracks it holds, as the API counts them (may exceed the tracks the API lists; "
        "0 for non-empty playlists in 2022-23).",
    ),
    _c(
        "playlist_type",
        "str",
        "Set type as the uploader chose it (`album`, `ep`, `single`, `compilation`...; "
        "often empty).",
    ),
    _c("type", "str", "Playlist type (the spec's second type field; often empty)."),
    _c("genre", "str", "Genre as typed by the uploader (free text)."),
    _c(
        "tag_list",
        "str",
        'Tags exactly as sent (like tracks); `""` (no tags) is kept as `""`.',
        keep_empty=True,
    ),
    _c(
        "tags",
        "list",
        "User tags parsed from `tag_list`, in order (the API's own nullable `tags` string "
        "is not read).",
        "tag_list",
        derived=True,
    ),
    _c(
        "machine_tags",
        "list",
        "Machine tags (`namespace:key=value`) parsed from `tag_list`, in order.",
        "tag_list",
        derived=True,
    ),
    _c("description", "str", "Playlist description."),
    _c("label_name", "str", "Record label."),
    _c("label_id", "int", "Numeric id of the label's user account."),
    _c("label_urn", "str", "URN of the label's user account (the `label` object).", "label.urn"),
    _c("release", "str", "Release name."),
    _c("release_year", "int", "Year of release."),
    _c("release_month", "int", "Month of release."),
    _c("release_day", "int", "Day of release."),
    _c("ean", "str", "European Article Number."),
    _c("license", "str", "Licence.", values=_LICENSES),
    _c("sharing", "str", "Visibility.", values=("public", "private")),
    _c("embeddable_by", "str", "Who may embed it.", values=("all", "me", "none")),
    _c("streamable", "bool", "Whether it can be streamed."),
    _c("downloadable", "bool", "Whether it can be downloaded."),
    _c("likes_count", "int", "Number of likes."),
    _c("artwork_url", "str", "Cover image (JPEG)."),
    _c("purchase_url", "str", "Buy link."),
    _c("purchase_title", "str", "Text of the buy link."),
    *_owner_columns("Creator"),
    _c("user_full_name", "str", "Creator full name.", "user.full_name"),
    _c("user_city", "str", "Creator city.", "user.city"),
    _c("user_country", "str", "Creator country.", "user.country"),
    _c("user_plan", "str", "Creator's subscription plan.", "user.plan"),
)

COMMENT_COLUMNS: tuple[Column, ...] = (
    _c(
        "urn",
        "str",
        "Comment URN `soundcloud:comments:<n>`, the key (duplicates dropped); built from `id` "
        "when absent.",
        urn_collection="comments",
    ),
    _c(
        "id",
        "int",
        "Numeric comment id (not in the 2025 spec); parsed from `urn` when absent.",
        urn_collection="comments",
    ),
    _c("kind", "str", "Object type, always `comment`.", values=("comment",)),
    _c("body", "str", "Comment text."),
    _c("created_at", "timestamp", "When it was posted."),
    _c(
        "timestamp",
        "int",
        "Where in the track it was posted, in milliseconds from the start; read whether the "
        "API sends a number or a numeric string; missing when not tied to a position.",
    ),
    _c(
        "timestamp_s",
        "float",
        "Where in the track, in seconds (`timestamp / 1000`).",
        "timestamp",
        derived=True,
    ),
    _c("uri", "str", "API URL of the comment."),
    _c(
        "track_urn",
        "str",
        "URN of the track commented on; built from `track_id` when absent.",
        urn_collection="tracks",
    ),
    _c(
        "track_id",
        "int",
        "Numeric id of the track commented on; parsed from `track_urn` when absent.",
        urn_collection="tracks",
    ),
    *_owner_columns("Commenter"),
)

WEB_PROFILE_COLUMNS: tuple[Column, ...] = (
    _c(
        "urn",
        "str",
        "Identifier of the link, as sent (not a key: the spec's example gives the owner's "
        "`soundcloud:users:<n>` here; rows are never dropped as duplicates).",
    ),
    _c("id", "int", "Numeric id of the link, as sent (not in the 2025 spec)."),
    _c("kind", "str", "Object type, `web-profile`.", values=("web-profile",)),
    _c("service", "str", "Service or platform (`facebook`, `instagram`, `personal`...)."),
    _c("title", "str", "Link text."),
    _c("url", "str", "The external URL."),
    _c("username", "str", "Username on that service, extracted from the link."),
    _c("created_at", "timestamp", "When the link was added to the profile."),
)

#: Every item schema, by the name the collections and the files use for it.
SCHEMAS: dict[str, tuple[Column, ...]] = {
    "tracks": TRACK_COLUMNS,
    "users": USER_COLUMNS,
    "playlists": PLAYLIST_COLUMNS,
    "comments": COMMENT_COLUMNS,
    "web_profiles": WEB_PROFILE_COLUMNS,
}


def _x(name: str, kind: Kind, description: str) -> Column:
    return Column(name, kind, description, "", derived=True)


#: Columns the collection functions add after the item columns, declared (and typed) once.
#: A name here never means two things; ``user_urn`` is the commenter in a comments frame,
#: where it is an item column.
EXTRA_COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        _x(
            "position",
            "int",
            "Place in the owner's list, 0 = first as the API lists it (most recent first for "
            "likes and reposts): `playlist_tracks_df`, `likes_df`, `reposts_df`, "
            "`followers_df`, `followings_df`, `favoriters_df`, `reposters_df`.",
        ),
        _x(
            "rank",
            "int",
            "Place in the related list, 0 = most related as the API orders them: "
            "`related_tracks_df`, `related_artists_df`.",
        ),
        _x(
            "search_rank",
            "int",
            "Place in the result list of its query (and window), 0 = first: the search functions.",
        ),
        _x("search_query", "str", "The query (canonical form) that found the row: search."),
        _x(
            "window_start",
            "timestamp",
            "Start of the `created_at` window searched (inclusive); missing without windows: "
            "search.",
        ),
        _x(
            "window_end",
            "timestamp",
            "End of the `created_at` window searched; missing without windows: search.",
        ),
        _x("liker_urn", "str", "The user whose likes these are: `likes_df`."),
        _x("reposter_urn", "str", "The user whose reposts these are: `reposts_df`."),
        _x("followed_urn", "str", "The user these rows follow (the input): `followers_df`."),
        _x(
            "follower_urn",
            "str",
            "The user who follows these rows (the input): `followings_df`.",
        ),
        _x(
            "item_urn",
            "str",
            "The track or playlist liked or reposted (the input): `favoriters_df`, `reposters_df`.",
        ),
        _x("playlist_urn", "str", "The playlist the track is in: `playlist_tracks_df`."),
        _x(
            "source_urn",
            "str",
            "The track or user the row is related to (the input): `related_tracks_df`, "
            "`related_artists_df`.",
        ),
        _x(
            "user_urn",
            "str",
            "The user whose profile holds the link (the input): `web_profiles_df` (in a "
            "comments frame `user_urn` is the commenter, an item column).",
        ),
        _x(
            "tracks_missing",
            "int",
            "`track_count` minus the tracks the API lists for the playlist (private, removed "
            "or blocked tracks; 0 when complete): `playlists_df`.",
        ),
        _x(
            "track_urns",
            "list",
            "URNs of the tracks the API lists in the playlist, in order: `playlists_df` with "
            "`show_tracks=True`.",
        ),
    )
}


def column_names(columns: tuple[Column, ...]) -> list[str]:
    """Return the column names in frame order.

    Parameters
    ----------
    columns : tuple of Column
        A value of :data:`SCHEMAS` (:data:`TRACK_COLUMNS`, :data:`USER_COLUMNS`...).

    Returns
    -------
    list of str

    Examples
    --------
    >>> column_names(TRACK_COLUMNS)[:3]
    ['urn', 'id', 'kind']
    """
    return [c.name for c in columns]


def nested_arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """Build the Arrow schema the raw API dicts are read with.

    Nested API objects (``user``) become struct fields; derived columns are
    left out; timestamps are still strings. Keys of the dicts that are not in
    this schema are ignored by ``pa.Table.from_pylist``.

    Parameters
    ----------
    columns : tuple of Column
        A value of :data:`SCHEMAS` (:data:`TRACK_COLUMNS`, :data:`USER_COLUMNS`...).

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> s = nested_arrow_schema(TRACK_COLUMNS)
    >>> s.field("created_at").type
    DataType(large_string)
    >>> s.field("user").type.field("username").type
    DataType(large_string)
    """
    top: dict[str, pa.DataType | dict[str, pa.DataType]] = {}
    for col in columns:
        if col.derived:
            continue
        for path in (col.path, col.fallback_path):
            if path is None:
                continue
            if len(path) == 1:
                top[path[0]] = col.raw_arrow_type
            elif len(path) == 2:
                nested = top.setdefault(path[0], {})
                assert isinstance(nested, dict)
                nested[path[1]] = col.raw_arrow_type
            else:  # pragma: no cover - guarded by the schema tests
                raise ValueError(f"column {col.name!r}: source nested too deeply: {path!r}")
    fields = []
    for name, typ in top.items():
        if isinstance(typ, dict):
            typ = pa.struct([pa.field(k, v) for k, v in typ.items()])
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """Build the final Arrow schema: the frame's columns, as written to Parquet.

    Parameters
    ----------
    columns : tuple of Column
        A value of :data:`SCHEMAS` (:data:`TRACK_COLUMNS`, :data:`USER_COLUMNS`...).

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> s = arrow_schema(TRACK_COLUMNS)
    >>> s.field("created_at").type
    TimestampType(timestamp[us, tz=UTC])
    >>> s.field("tags").type
    ListType(list<item: string>)
    """
    return pa.schema([pa.field(c.name, c.arrow_type) for c in columns])


def pandas_dtypes(columns: tuple[Column, ...]) -> dict[str, PandasDtype]:
    """Map every column name to its pandas dtype, in frame order.

    Parameters
    ----------
    columns : tuple of Column
        A value of :data:`SCHEMAS` (:data:`TRACK_COLUMNS`, :data:`USER_COLUMNS`...).

    Returns
    -------
    dict of str to dtype
        Usable with ``DataFrame.astype`` and comparable with ``df.dtypes``.

    Examples
    --------
    >>> dtypes = pandas_dtypes(TRACK_COLUMNS)
    >>> dtypes["playback_count"], dtypes["created_at"]
    (Int64Dtype(), datetime64[us, UTC])
    """
    return {c.name: c.pandas_dtype for c in columns}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def columns_markdown(columns: tuple[Column, ...]) -> str:
    """Render the columns as a Markdown table (used for ``docs/columns.md``).

    Parameters
    ----------
    columns : tuple of Column
        A value of :data:`SCHEMAS` (:data:`TRACK_COLUMNS`, :data:`USER_COLUMNS`...).

    Returns
    -------
    str
        A Markdown table, one row per column, ending with a newline.

    Examples
    --------
    >>> print(columns_markdown(USER_COLUMNS).splitlines()[2])
    | 1 | `urn` | str | large_string | `urn` | User URN `soundcloud:users:<n>`, ... |
    """
    lines = [
        "| # | column | pandas dtype | Parquet (Arrow) type | API source | description |",
        "|---|---|---|---|---|---|",
    ]
    for i, col in enumerate(columns, 1):
        source = f"derived from `{col.source}`" if col.derived else f"`{col.source}`"
        if col.fallback:
            source += f", else `{col.fallback}`"
        description = col.description
        if col.values:
            description += " Known values: " + ", ".join(f"`{v}`" for v in col.values) + "."
        lines.append(
            f"| {i} | `{col.name}` | {KINDS[col.kind]['pandas']} | {KINDS[col.kind]['arrow']} "
            f"| {source} | {_cell(description)} |"
        )
    return "\n".join(lines) + "\n"


_DOC_HEAD = """\
# scdata columns (schema version {version})

<!-- Generated by `python -m scdata.frames > docs/columns.md`; do not edit by hand. -->
<!-- The source of truth is scdata/frames/schema.py; a test checks this file is up to date. -->

Every frame of scdata is made of one item schema (tracks, users, playlists, comments, web
profiles; `scdata.frames.schema.SCHEMAS`) and, for the collection functions, a few extra
columns after the item columns (which owner, which place in the list; see
[Extra columns](#extra-columns-of-the-collection-functions)). `scdata.tracks_df`,
`scdata.users_df` and the collection functions return exactly these columns, in this order,
with these dtypes, whether there are 0, 1 or 100,000 rows, and `scdata.read_parquet` gives
them back unchanged from a file written by `scdata.to_parquet`. The index is a plain
`RangeIndex`.

## Types

| kind | pandas dtype | Parquet (Arrow) type | DuckDB type |
|---|---|---|---|
{kinds}
## Rules

- **Names** are the API's field names. Fields of the nested `user` object get the prefix
  `user_` (`user.username` -> `user_username`). `user_favorite` and `user_playback_count`
  are the API's own track fields (about the calling user), not fields of `user`. Where the
  item carries the owner's id itself (a comment's `user_urn`, a playlist's `user_id`), that
  field is read first and the nested `user` fills the gaps.
- **Missing stays missing**: an API `null` (or an absent key) is `<NA>` (Int64, boolean),
  `NaN` (str, float64), `NaT` (timestamps) or `None` (lists); a count is never turned into
  0 or into a float.
- **An empty string is missing too**: the API sends `""` for "no value" in free-text
  fields (`genre`, `description`, `label_name`, `first_name`, `city`, `user_city`,
  `user_country`...), so `""` in a `str` column is missing (`NaN`) like `null`, and
  `df["genre"].isna()` finds every track without a genre. The one exception is `tag_list`,
  kept verbatim: `""` means "no tags", so `tags` and `machine_tags` are `[]` there, while a
  `null` `tag_list` gives `None` (unknown). Whitespace-only strings are kept as sent.
- **ids and URNs**: ids are 64-bit integers (exact up to 2^63-1). `urn` is the key: rows
  with a `urn` already seen are dropped, keeping the first (rows without any urn are all
  kept). When `urn` is absent it is built from `id` (`soundcloud:tracks:<id>`), when `id`
  is absent it is parsed from `urn`; the same for `user_urn` / `user_id`.
- **Timestamps** become `datetime64[us, UTC]`. Read: the public API's
  `"2020/07/16 16:09:54 +0000"` (any `+hhmm` offset), and ISO 8601 as SoundCloud's other
  APIs and cursors write it: `2020-07-16T16:09:54Z`, with milliseconds
  (`2020-07-16T16:09:54.123Z`), with an offset (`+02:00`, `+0200`), `T` or a space
  between date and time. Offsets are applied (the value is the same instant in UTC). A
  date alone or a time without an offset is not read (no SoundCloud API has been seen to
  send one, and its time zone would be a guess); like any other value that cannot be read
  it is missing (`NaT`), with a warning (see below).
- **duration** stays in milliseconds (Int64); `duration_s` is float64 seconds. The same for
  a comment's `timestamp` (milliseconds into the track, `Int64`, read whether the API sends
  `4960`, `"4960"` or `null`) and `timestamp_s`.
- **Tags**: `tag_list` is kept verbatim. `tags` and `machine_tags` are parsed from it:
  a `"` opens a quoted (multi-word) tag and the next `"` closes it; text outside quotes is
  split on whitespace; empty tags are dropped; leading/trailing spaces are ignored; a tag
  like `namespace:key=value` (e.g. `soundcloud:source=web-record`) goes to
  `machine_tags` only. An **unbalanced quote never raises**: the unclosed quote runs to
  the end of the string, so `rock "hip hop` gives `["rock", "hip hop"]`.
  A null `tag_list` gives null `tags` and `machine_tags`.
- **List columns** (`tags`, `machine_tags`, `available_country_codes`) are `object`
  columns of Python lists of `str` in pandas and `list<string>` in Parquet. Plain
  `pd.read_parquet` returns them as numpy arrays of `str` (which `assert_frame_equal`
  treats as equal); `scdata.read_parquet` returns lists again. An `ArrowDtype(list)`
  column is deliberately avoided: plain `pd.read_parquet` then fails with
  `TypeError: data type 'list<item: string>[pyarrow]' not understood`.
- **Closed sets** (`kind`, `license`, `sharing`, `access`, `embeddable_by`) are `str`,
  not `category`, and their known values are listed below for reference. Measured with
  pandas 3.1/pyarrow 26: a `category` column with declared categories survives a plain
  `pd.read_parquet` only when the file has rows; a 0-row file reads back with empty
  `object` categories, so it would not round-trip, and two frames with different
  categories concatenate to `str` anyway. The cost of `str` is small: 1.8 MiB against
  0.1 MiB per such column per 100,000 rows. DuckDB and Spark see VARCHAR either way.
  Unknown values are kept, never turned into missing.
- **Unknown API fields** are ignored.
- **Numbers sent as strings are read**: `"1234"` in an Int64 column is `1234`, `"12.5"`
  for `bpm` is `12.5`, `"true"`/`"false"` (and `0`/`1`) in a boolean column are booleans,
  a number in a `str` column is its text (`2024` -> `"2024"`). An integer column takes a
  whole number written as a float (`12.0`, `"12.0"`), never a fraction: `12.5` in a count
  is missing, not truncated to 12. JSON `true`/`false` in a number column reads as 1/0
  (Arrow's reading; no API has been seen to send one there).
- **A value that still cannot be read never aborts a frame**: it is missing (`<NA>`,
  `NaN`, `NaT` or `None`), and one `scdata.frames.schema.ParseWarning` per column and frame names
  the column, how many values, and one example (shortened; hidden if it looks like a
  credential). `warnings.simplefilter("error", ParseWarning)` makes it fatal. The same
  for an item of a collection that is not an object (`null`): it is skipped with one
  warning, never a row without id or urn; and for an embedded `user` that is not an
  object (its `user_*` columns are missing).
- **Broken text**: a lone UTF-16 surrogate (JSON `"\\ud800"`) becomes U+FFFD (the
  replacement character) and a byte order mark before a response body is ignored, so
  one odd description never makes a user unfetchable.
- `available_country_codes` may arrive as an array (normal), `null`, or a string
  (`"DE,GB"` or `"DE GB"`, split on commas and whitespace).

## The uploader's counts: join `users_df`

The tracks frame has the uploader's identity (`user_urn`, `user_id`, `user_username`,
`user_permalink`, `user_permalink_url`, ...) but **not** their counts (the same for the
creator of a playlist and the author of a comment). The user object
SoundCloud embeds in a track collection comes with `followers_count`,
`followings_count`, `public_favorites_count`... set to 0 or left out (a "wontfix" on the
API's tracker; `track_count` too on `/users/{{id}}/tracks`; `playlist_count` is never
there), so a `user_followers_count` column would show 0 for artists with millions of
followers. Schema version 2 dropped those five columns (`user_followers_count`,
`user_followings_count`, `user_track_count`, `user_playlist_count`,
`user_public_favorites_count`). The real counts come from the user objects, one request
per uploader (cached): join `tracks.user_urn` to `users.urn`.

```python
import scdata

tracks = scdata.tracks_df(["jowymusic", "bjork-unicode"])
users = scdata.users_df(tracks["user_urn"].dropna().unique().tolist())
counts = users[["urn", "followers_count", "followings_count", "track_count"]]
tracks = tracks.merge(counts.add_prefix("user_"), on="user_urn", how="left", validate="many_to_one")
tracks[["title", "user_username", "user_followers_count"]]
```

`add_prefix("user_")` turns `urn` into `user_urn` and `followers_count` into
`user_followers_count`, so the joined columns have the names (and `Int64` dtype) the old
ones had, with the real values.

## Parquet files

- zstd compression; file key-value metadata `scdata_version`, `scdata_schema_version`,
  `scdata_fetched_at` (ISO 8601 UTC), `scdata_table` (the item schema: `tracks`, `users`,
  `playlists`, `comments` or `web_profiles`),
  `scdata_columns`, plus pyarrow's `pandas` metadata, so plain `pd.read_parquet` restores
  `Int64`, `boolean`, `str` and `datetime64[us, UTC]` too.
- Strings are Arrow `large_string` because that is how pandas' `str` dtype stores them:
  no conversion when building the frame. Every reader sees plain strings
  (DuckDB `VARCHAR`, Spark `string`).
- Timestamps are `TIMESTAMP(MICROS, isAdjustedToUTC=true)`, lists are standard 3-level
  Parquet lists: DuckDB reads `TIMESTAMP WITH TIME ZONE` and `VARCHAR[]`, Spark
  `timestamp` and `array<string>`, ids as `BIGINT`/`bigint` exact beyond 2^31 (both
  tested: `tests/test_export.py`, `tests/test_spark.py` with a local Spark).
- Partitioned datasets (`partition_cols`, and `scdata export` / `scdata.export_tracks`): the
  directory holds nothing but its hive partitions (`col=value/part-0.parquet`), so
  `scdata.read_parquet(dir)`, `pd.read_parquet(dir)`, `polars.scan_parquet(dir)`,
  DuckDB's `read_parquet('dir')` or `read_parquet('dir/**')` and Spark's
  `spark.read.parquet(dir)` all read it as it is (tested). `scdata.read_parquet(dir)`
  restores the partition columns' dtypes and the column order; plain `pd.read_parquet(dir)`
  gives them as `category`. Rows come back grouped by partition. The export's manifest is
  the file `<dir>.manifest.json` beside the directory.

## Tracks (`TRACK_COLUMNS`, {n_tracks} columns)

{tracks}
## Users (`USER_COLUMNS`, {n_users} columns)

Rows of `scdata.users_df` (one per profile), and of the followers, followings,
favoriters, reposters and related artists; the `subscriptions` array and the `/me`
extras are not kept.

{users}
## Playlists (`PLAYLIST_COLUMNS`, {n_playlists} columns)

Playlists and albums (`playlists_df`, liked and reposted playlists, playlist lookups). The
embedded `tracks` array is not a column: `playlist_tracks_df` lists the tracks, and
`tracks_missing` / `track_urns` (extra columns) say how many the API leaves out.

{playlists}
## Comments (`COMMENT_COLUMNS`, {n_comments} columns)

Rows of `comments_df`, one per comment. The embedded commenter's counts are not kept
(join `users_df` on `user_urn`, as for tracks).

{comments}
## Web profiles (`WEB_PROFILE_COLUMNS`, {n_web_profiles} columns)

Rows of `web_profiles_df`: the links a user shows on their profile. No row is dropped as a
duplicate (their `urn` is not a reliable key).

{web_profiles}
## Extra columns of the collection functions

Added after the item columns, each by the functions named. Declared once in
`scdata.frames.schema.EXTRA_COLUMNS`, so they have the same dtype in every frame and
`scdata.read_parquet` restores it. Within one owner's list a row appears once; across
owners the same item appears once per owner (a track liked by two users is two rows).

{extras}"""


def extra_columns_markdown() -> str:
    """Render :data:`EXTRA_COLUMNS` as a Markdown table (used for ``docs/columns.md``).

    Returns
    -------
    str
        One row per extra column, ending with a newline.

    Examples
    --------
    >>> print(extra_columns_markdown().splitlines()[2][:39])
    | `position` | Int64 | int64 | Place in
    """
    lines = [
        "| column | pandas dtype | Parquet (Arrow) type | description |",
        "|---|---|---|---|",
    ]
    for col in EXTRA_COLUMNS.values():
        lines.append(
            f"| `{col.name}` | {KINDS[col.kind]['pandas']} | {KINDS[col.kind]['arrow']} "
            f"| {_cell(col.description)} |"
        )
    return "\n".join(lines) + "\n"


def columns_document() -> str:
    """Render the whole ``docs/columns.md`` (rules, every schema's table, the extra columns).

    Returns
    -------
    str
        The Markdown document; ``python -m scdata.frames`` prints it.

    Examples
    --------
    >>> columns_document().splitlines()[0]
    '# scdata columns (schema version 2)'
    """
    kinds = "".join(
        f"| {k} | {v['pandas']} | {v['arrow']} | {v['duckdb']} |\n" for k, v in KINDS.items()
    )
    return _DOC_HEAD.format(
        version=SCHEMA_VERSION,
        kinds=kinds,
        n_tracks=len(TRACK_COLUMNS),
        tracks=columns_markdown(TRACK_COLUMNS),
        n_users=len(USER_COLUMNS),
        users=columns_markdown(USER_COLUMNS),
        n_playlists=len(PLAYLIST_COLUMNS),
        playlists=columns_markdown(PLAYLIST_COLUMNS),
        n_comments=len(COMMENT_COLUMNS),
        comments=columns_markdown(COMMENT_COLUMNS),
        n_web_profiles=len(WEB_PROFILE_COLUMNS),
        web_profiles=columns_markdown(WEB_PROFILE_COLUMNS),
        extras=extra_columns_markdown(),
    )


if __name__ == "__main__":  # pragma: no cover
    print(columns_document(), end="")
