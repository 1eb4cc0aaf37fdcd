"""Every SoundCloud collection scdata reads, declared once.

A :class:`Collection` says where a list lives (its path under an owner: a user, a track or a
playlist), how SoundCloud pages it, what its items are (a schema of
:data:`scdata.frames.schema.SCHEMAS`), which count on the owner it can be checked against and
why the two may differ, and the columns scdata adds to each row (the owner, the position).
Walking, typed page copies, progress, ``errors=``, concurrency, Parquet, the command line and
Dask all read these declarations; adding a collection is one entry here, one schema (when its
items are new), one emulator route, and tests.

Paging styles (``API-NOTES-2`` §2.0):

==================  ==========================================================================
``cursor``          a cursor inside ``next_href``; the ``{collection, next_href}`` object only
                    with ``linked_partitioning`` (else a bare array)
``cursor-object``   ``cursor=…&page_size=N`` inside ``next_href``; always an object
``offset``          ``offset=`` inside ``next_href`` (the query echoed); comments drop the
                    ``next_href`` key on their last page
``array``           one bare JSON array, no paging
==================  ==========================================================================

Every style is walked the same way: ``next_href`` is followed verbatim until it is absent,
empty pages that still link on do not end the walk, and a repeated link does not loop
(:meth:`scdata.http.endpoints.SoundCloudAPI.walk`).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = ["COLLECTIONS", "Collection", "collection"]

Paging = Literal["cursor", "cursor-object", "offset", "array"]
OwnerKind = Literal["users", "tracks", "playlists"]


@dataclasses.dataclass(frozen=True)
class Collection:
    """One list of the API, declared once.

    Parameters
    ----------
    name : str
        The key in :data:`COLLECTIONS` (and ``scdata export --what``).
    path : str
        Under the API URL, with ``{urn}`` for the owner.
    owner : {"users", "tracks", "playlists"}
        What owns the list.
    paging : {"cursor", "cursor-object", "offset", "array"}
        How SoundCloud pages it (see the module docstring).
    item : str
        The schema of its items (a key of ``scdata.frames.schema.SCHEMAS``).
    owner_column : str or None
        The column naming the owner on every row (``followed_urn``); filled in when the item
        schema already has it and the API left it out.
    position_column : str or None
        ``position`` (0 = first as the API lists it) or ``rank``.
    count_field : str or None
        The owner's field that counts the list (``followers_count``), if any.
    access : bool
        Send ``access=playable,preview,blocked`` so that every item is listed.
    params : tuple of (str, str)
        Fixed query parameters.
    cap : int or None
        A documented maximum SoundCloud lists (followings: 2,000).
    note : str
        Why the count and the rows may differ.
    item_columns : tuple of str
        Columns computed from each raw item before typing (``tracks_missing``).
    check_owner : bool
        Look the owners up first (batched): it proves each exists and gives the count. Off
        for a user's tracks, whose walk finds a missing user itself (``tracks_df`` costs what
        it always cost).

    Examples
    --------
    >>> COLLECTIONS["followers"].path.format(urn="soundcloud:users:1")
    '/users/soundcloud:users:1/followers'
    """

    name: str
    path: str
    owner: OwnerKind
    paging: Paging
    item: str
    owner_column: str | None
    position_column: str | None = "position"
    count_field: str | None = None
    access: bool = False
    params: tuple[tuple[str, str], ...] = ()
    cap: int | None = None
    note: str = ""
    item_columns: tuple[str, ...] = ()
    check_owner: bool = True

    def url_path(self, owner_urn: str) -> str:
        """The path of ``owner_urn``'s list."""
        return self.path.format(urn=owner_urn)


_PRIVATE = "private and geo-blocked items are counted, and take page slots without being listed"

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "tracks", "/users/{urn}/tracks", "users", "cursor", "tracks", None, None,
            "track_count", access=True, check_owner=False,
            note=f"track_count counts every track of the user; {_PRIVATE}",
        ),
        Collection(
            "playlists", "/users/{urn}/playlists", "users", "cursor", "playlists", None, None,
            "playlist_count", access=True, item_columns=("tracks_missing",),
            note=f"playlist_count counts playlists and albums; {_PRIVATE}",
        ),
        Collection(
            "playlist_tracks", "/playlists/{urn}/tracks", "playlists", "offset", "tracks",
            "playlist_urn", "position", "track_count", access=True,
            note="track_count counts tracks since deleted or made private, which are not "
            "listed (SoundCloud issue #449); playlists list at most 500 tracks",
        ),
        Collection(
            "likes_tracks", "/users/{urn}/likes/tracks", "users", "cursor", "tracks",
            "liker_urn", "position", "public_favorites_count", access=True,
            note="public_favorites_count counts liked tracks and playlists together "
            "(SoundCloud issue #59), and likes of items since removed",
        ),
        Collection(
            "likes_playlists", "/users/{urn}/likes/playlists", "users", "cursor", "playlists",
            "liker_urn", "position", "public_favorites_count",
            note="public_favorites_count counts liked tracks and playlists together "
            "(SoundCloud issue #59)",
        ),
        Collection(
            "reposts_tracks", "/users/{urn}/reposts/tracks", "users", "cursor", "tracks",
            "reposter_urn", "position", "reposts_count", access=True,
            note="reposts_count counts reposted tracks and playlists together",
        ),
        Collection(
            "reposts_playlists", "/users/{urn}/reposts/playlists", "users", "cursor",
            "playlists", "reposter_urn", "position", "reposts_count",
            note="reposts_count counts reposted tracks and playlists together",
        ),
        Collection(
            "followers", "/users/{urn}/followers", "users", "cursor-object", "users",
            "followed_urn", "position", "followers_count",
            note="followers_count may include accounts since deleted or suspended",
        ),
        Collection(
            "followings", "/users/{urn}/followings", "users", "cursor-object", "users",
            "follower_urn", "position", "followings_count", cap=2000,
            note="SoundCloud lists at most 2,000 followings per account",
        ),
        Collection(
            "favoriters", "/tracks/{urn}/favoriters", "tracks", "cursor", "users", "item_urn",
            "position", "favoritings_count",
            note="favoritings_count may include accounts since deleted",
        ),
        Collection(
            "track_reposters", "/tracks/{urn}/reposters", "tracks", "cursor-object", "users",
            "item_urn", "position", "reposts_count",
            note="reposts_count may include accounts since deleted",
        ),
        Collection(
            "playlist_reposters", "/playlists/{urn}/reposters", "playlists", "cursor-object",
            "users", "item_urn", "position", "reposts_count",
            note="reposts_count may include accounts since deleted",
        ),
        Collection(
            "comments", "/tracks/{urn}/comments", "tracks", "offset", "comments", "track_urn",
            "position", "comment_count",
            note="comment_count may include comments since deleted",
        ),
        Collection(
            "related_tracks", "/tracks/{urn}/related", "tracks", "offset", "tracks",
            "source_urn", "rank", access=True,
            note="no count: SoundCloud does not say how many related tracks there are",
        ),
        Collection(
            "related_artists", "/users/{urn}/related", "users", "offset", "users", "source_urn",
            "rank", note="no count: SoundCloud does not say how many related artists there are",
        ),
        Collection(
            "web_profiles", "/users/{urn}/web-profiles", "users", "array", "web_profiles",
            "user_urn", None, note="no count: the list comes whole, unpaged",
        ),
    )
}  # fmt: skip


def collection(name: str) -> Collection:
    """The declaration of ``name``; an unknown name raises naming the known ones.

    Examples
    --------
    >>> collection("comments").paging
    'offset'
    >>> collection("tweets")
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: what='tweets' is not a collection scdata reads; one of: ...
    """
    try:
        return COLLECTIONS[name]
    except (KeyError, TypeError):
        from .errors import ArgumentError

        raise ArgumentError(
            f"what={name!r} is not a collection scdata reads; one of: {', '.join(COLLECTIONS)}"
        ) from None
