"""The public collection functions of :class:`scdata.Client`: every list of the API as a frame.

Each function is one line over :class:`scdata._collect.Collector` with the declaration of its
list (:data:`scdata._resources.COLLECTIONS`); they take one reference or a list (fetched
concurrently, rows in the order given) and share these keywords:

``limit``
    At most this many rows per input (default: all).
``errors``
    ``"raise"`` (default) or ``"skip"``: leave out an input that fails (invalid, not found, a
    list that errors after retries) and list it in ``df.attrs["scdata"]["failures"]``.
``workers``
    Inputs fetched at once (default 8); every request still keeps the shared rate limit.
``offline``, ``refresh``, ``progress``
    The cache switches and the progress bar, as for ``tracks_df``.
``raw``
    The API's dicts instead of a frame (with the owner and position keys scdata adds).
``observe``
    Add ``observed_at``: when SoundCloud answered with each row (the response's HTTP
    ``Date``; a cached answer keeps its own). What ``scdata.sync`` records history with.
``backend``
    ``"pandas"`` (default), ``"arrow"`` (a ``pyarrow.Table``; ``df.attrs`` as JSON in its
    schema metadata, ``b"scdata"``) or ``"polars"`` (the ``polars`` extra): built from the
    typed pages without a detour through pandas.

Every frame says what it is in ``df.attrs["scdata"]``: per input, the count SoundCloud gives
for the list (``expected``), the rows that came (``got``), whether the walk reached the end
(``complete``) or a ``limit``/``max_per_user`` cut it (``capped``), and why the two numbers may
differ (``note``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from ._checks import check_access, check_choice
from ._collect import Collector, Input
from ._resources import COLLECTIONS, Collection, collection

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._client import Client
    from .http.endpoints import FetchOptions

Refs = Any  # one reference (str or int) or a list of them
Frame = Any  # a pandas or polars DataFrame, a pyarrow.Table, or the API's dicts (raw)
LIKE_KINDS = ("tracks", "playlists")


class ListOptions(TypedDict, total=False):
    """The keywords every collection function takes (see the module docstring)."""

    limit: int | None
    errors: str
    workers: int
    offline: bool | None
    refresh: bool | None
    progress: bool | None
    raw: bool
    observe: bool
    backend: str


def _kind(kind: object) -> str:
    return check_choice("kind", kind, LIKE_KINDS)


def _fixed(name: str) -> Any:
    declared = COLLECTIONS[name]
    return lambda item: declared


class CollectionsMixin:
    """The collection functions; mixed into :class:`scdata.Client`."""

    _collector: Collector | None = None

    @property
    def collector(self) -> Collector:
        """The collection machinery (:class:`scdata._collect.Collector`) of this client."""
        if self._collector is None:
            self._collector = Collector(cast("Client", self))
        return self._collector

    def _options(self, offline: bool | None, refresh: bool | None) -> FetchOptions:
        raise NotImplementedError  # the Client's

    def _list(self, name: str, refs: Refs, kinds: tuple[str, ...], param: str, **kw: Any) -> Frame:
        return self.collector.frame(_fixed(name), refs, kinds, param, **kw)

    def collection_df(
        self,
        what: str,
        refs: Refs,
        *,
        max_per_user: int | None = None,
        **options: Unpack[ListOptions],
    ) -> Frame:
        """Any collection by its name (``scdata export --what`` and Dask use this).

        Parameters
        ----------
        what : str
            A key of ``scdata._resources.COLLECTIONS``: ``"followers"``, ``"likes_tracks"``,
            ``"comments"``...
        refs : str, int or list
            The owners: users, tracks or playlists, as the collection wants.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.collection_df("followings", "jowymusic", limit=2)
        >>> df["follower_urn"].unique().tolist()
        ['soundcloud:users:52461337']
        """
        declared = collection(what)
        return self._list(
            declared.name,
            refs,
            (declared.owner,),
            declared.owner,
            max_per_user=max_per_user,
            **options,
        )

    def playlists_df(
        self, users: Refs, *, show_tracks: bool = False, **options: Unpack[ListOptions]
    ) -> Frame:
        """The playlists and albums each user made.

        ``show_tracks=True`` asks SoundCloud to embed each playlist's tracks, which fills
        ``tracks_missing`` (``track_count`` minus the tracks it lists); without it the rows
        are light and ``tracks_missing`` is missing (``<NA>``). Tracks themselves:
        :meth:`playlist_tracks_df`.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.playlists_df("jowymusic")
        >>> df.attrs["scdata"]["inputs"][0]["complete"]
        True
        """
        params = {"show_tracks": "true" if show_tracks else "false"}
        return self._list("playlists", users, ("users",), "users", params=params, **options)

    def playlist_tracks_df(self, playlists: Refs, **options: Unpack[ListOptions]) -> Frame:
        """The tracks of each playlist, in playlist order (``playlist_urn``, ``position``).

        ``df.attrs["scdata"]["inputs"]`` compares the playlist's ``track_count`` with the
        tracks listed: SoundCloud counts tracks since deleted or made private.

        Examples
        --------
        >>> import scdata
        >>> pl = scdata.playlists_df("jowymusic")
        >>> tracks = scdata.playlist_tracks_df(pl["urn"].iloc[0])
        >>> tracks["position"].iloc[0]
        np.int64(0)
        """
        return self._list("playlist_tracks", playlists, ("playlists",), "playlists", **options)

    def followers_df(
        self, users: Refs, *, max_per_user: int | None = None, **options: Unpack[ListOptions]
    ) -> Frame:
        """The users following each user (``followed_urn``, ``position``), full user rows.

        ``max_per_user`` caps an unbounded list (a star's followers); ``df.attrs`` then says
        the cap was hit (``capped``).

        Examples
        --------
        >>> import scdata
        >>> fans = scdata.followers_df("jowymusic", max_per_user=10)
        >>> len(fans), fans.attrs["scdata"]["inputs"][0]["capped"]
        (10, True)
        """
        cap = max_per_user
        return self._list("followers", users, ("users",), "users", max_per_user=cap, **options)

    def followings_df(
        self, users: Refs, *, max_per_user: int | None = None, **options: Unpack[ListOptions]
    ) -> Frame:
        """The users each user follows (``follower_urn``, ``position``): at most 2,000 listed.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.followings_df("jowymusic")
        >>> info = df.attrs["scdata"]["inputs"][0]
        >>> info["got"] == len(df), info["complete"]
        (True, True)
        """
        cap = max_per_user
        return self._list("followings", users, ("users",), "users", max_per_user=cap, **options)

    def favoriters_df(self, tracks: Refs, **options: Unpack[ListOptions]) -> Frame:
        """The users who liked each track (``item_urn``, ``position``).

        Examples
        --------
        >>> import scdata
        >>> track = scdata.tracks_df("jowymusic", limit=1)["urn"].iloc[0]
        >>> scdata.favoriters_df(track).attrs["scdata"]["collection"]
        'favoriters'
        """
        return self._list("favoriters", tracks, ("tracks",), "tracks", **options)

    def comments_df(self, tracks: Refs, **options: Unpack[ListOptions]) -> Frame:
        """The comments on each track: ``timestamp`` (ms into the track), ``timestamp_s``.

        Examples
        --------
        >>> import scdata
        >>> track = scdata.tracks_df("jowymusic", limit=1)["urn"].iloc[0]
        >>> comments = scdata.comments_df(track)
        >>> str(comments["timestamp"].dtype)
        'Int64'
        """
        return self._list("comments", tracks, ("tracks",), "tracks", **options)

    def related_tracks_df(self, tracks: Refs, **options: Unpack[ListOptions]) -> Frame:
        """Tracks SoundCloud lists as related to each track (``source_urn``, ``rank``).

        Examples
        --------
        >>> import scdata
        >>> track = scdata.tracks_df("jowymusic", limit=1)["urn"].iloc[0]
        >>> scdata.related_tracks_df(track, limit=3)["rank"].tolist()
        [0, 1, 2]
        """
        return self._list("related_tracks", tracks, ("tracks",), "tracks", **options)

    def related_artists_df(self, users: Refs, **options: Unpack[ListOptions]) -> Frame:
        """Users SoundCloud lists as related to each user (``source_urn``, ``rank``).

        Examples
        --------
        >>> import scdata
        >>> scdata.related_artists_df("jowymusic").attrs["scdata"]["collection"]
        'related_artists'
        """
        return self._list("related_artists", users, ("users",), "users", **options)

    def web_profiles_df(self, users: Refs, **options: Unpack[ListOptions]) -> Frame:
        """Each user's links elsewhere (``service``, ``url``; ``user_urn``).

        Examples
        --------
        >>> import scdata
        >>> scdata.web_profiles_df("jowymusic").attrs["scdata"]["collection"]
        'web_profiles'
        """
        return self._list("web_profiles", users, ("users",), "users", **options)

    def likes_df(
        self,
        users: Refs,
        kind: str = "tracks",
        *,
        access: str | None = "all",
        **options: Unpack[ListOptions],
    ) -> Frame:
        """What each user liked: tracks (default) or playlists; ``position`` 0 = most recent.

        SoundCloud gives no date for a like; ``public_favorites_count`` (the ``expected`` in
        ``df.attrs``) counts liked tracks and playlists together.

        Examples
        --------
        >>> import scdata
        >>> likes = scdata.likes_df("jowymusic", limit=5)
        >>> likes["position"].tolist(), likes["liker_urn"].unique().tolist()
        ([0, 1, 2, 3, 4], ['soundcloud:users:52461337'])
        """
        params = {"access": check_access(access)}
        name = f"likes_{_kind(kind)}"
        return self._list(name, users, ("users",), "users", params=params, **options)

    def reposts_df(
        self,
        users: Refs,
        kind: str = "tracks",
        *,
        access: str | None = "all",
        **options: Unpack[ListOptions],
    ) -> Frame:
        """What each user reposted: tracks (default) or playlists (``reposter_urn``, ``position``).

        Examples
        --------
        >>> import scdata
        >>> scdata.reposts_df("jowymusic", "playlists").attrs["scdata"]["collection"]
        'reposts_playlists'
        """
        params = {"access": check_access(access)}
        name = f"reposts_{_kind(kind)}"
        return self._list(name, users, ("users",), "users", params=params, **options)

    def reposters_df(self, items: Refs, **options: Unpack[ListOptions]) -> Frame:
        """The users who reposted each track or playlist (``item_urn``, ``position``).

        Items are given by URN or URL (an id alone does not say whether it is a track or a
        playlist).

        Examples
        --------
        >>> import scdata
        >>> track = scdata.tracks_df("jowymusic", limit=1)["urn"].iloc[0]
        >>> scdata.reposters_df(track).attrs["scdata"]["collection"]
        'track_reposters'
        """

        def pick(item: Input) -> Collection:
            kind = (item.urn or item.ref.urn or "").split(":")[1:2] or [item.ref.kind or ""]
            name = "playlist_reposters" if kind[0] == "playlists" else "track_reposters"
            return COLLECTIONS[name]

        return self.collector.frame(pick, items, ("tracks", "playlists"), "items", **options)
