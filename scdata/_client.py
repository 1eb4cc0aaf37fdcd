"""``scdata.Client``: one configured connection to SoundCloud — settings, token, cache, API.

Module-level functions (``scdata.tracks_df`` and friends) use a default client built lazily from
the environment; :func:`configure` replaces it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Literal, overload

import pandas as pd
import pyarrow as pa

from ._checks import check_access, check_count
from ._collect import Collector
from ._fanout import DEFAULT_WORKERS, run_all
from ._graph import GraphMixin
from ._progress import counted, progress_bar, progress_enabled
from ._resources import COLLECTIONS
from ._search import SearchMixin
from ._walk import TrackPages
from .config import Settings, mask_url
from .errors import ArgumentError
from .frames.schema import SCHEMA_VERSION
from .http.auth import TokenManager
from .http.endpoints import FetchOptions, SoundCloudAPI
from .http.refs import UserRef, parse_user
from .http.session import SoundCloudSession, build_session
from .storage.backends import page_store, shared_state, token_store
from .storage.redis_store import RedisConnection


class Client(GraphMixin, SearchMixin):
    """A SoundCloud client: credentials, token, HTTP cache and the data functions.

    Every keyword left out comes from the environment (see the README's configuration table).

    Parameters
    ----------
    client_id, client_secret : str, optional
        App credentials (``SOUNDCLOUD_CLIENT_ID``, ``SOUNDCLOUD_CLIENT_SECRET``).
    authorization : str, optional
        The token request's ``Authorization`` value (``SOUNDCLOUD_AUTHORIZATION``);
        default ``Basic base64(client_id:client_secret)``.
    api_url, token_url : str, optional
        ``SOUNDCLOUD_API_URL`` and ``SOUNDCLOUD_URL_GET_TOKEN``; https, or http on loopback only.
    cache_dir : path-like, optional
        Directory of the HTTP cache and the token file (``SCDATA_CACHE_DIR``).
    cache : {"sqlite", "memory", "off"}, optional
        ``SCDATA_CACHE``; default ``"sqlite"``.
    expire_after : int, optional
        Seconds a cached answer stays fresh (``SCDATA_EXPIRE_AFTER``, default 3600).
    max_retries, max_retry_wait, retry_backoff, rate_limit, timeout : optional
        Resilience settings (``SCDATA_MAX_RETRIES`` 3, ``SCDATA_MAX_RETRY_WAIT`` 60 s,
        ``SCDATA_RETRY_BACKOFF`` 0.5 s, ``SCDATA_RATE_LIMIT`` 5 requests/s,
        ``SCDATA_TIMEOUT`` 30 s).
    offline : bool, default False
        Answer only from the cache, expired entries included (no request is ever sent);
        a miss raises :class:`~scdata.errors.OfflineError`.
    refresh : bool, default False
        Refetch every answer and replace its cache entry.

    Examples
    --------
    >>> import scdata
    >>> client = scdata.Client()  # or Client(client_id="...", client_secret="...")
    >>> client.tracks_df("jowymusic").shape
    (347, 59)
    """

    def __init__(self, **settings: Any) -> None:
        self.settings = Settings.load(**settings)
        self._lock = threading.RLock()  # the parts build each other under it
        self._tokens: TokenManager | None = None
        self._session: SoundCloudSession | None = None
        self._api: SoundCloudAPI | None = None
        self._pages: TrackPages | None = None
        self._collector: Collector | None = None
        self._redis = RedisConnection(self.settings.cache)

    # -- the parts, built on first use ---------------------------------------------------------
    @property
    def tokens(self) -> TokenManager:
        """The token manager (created on first use)."""
        with self._lock:
            if self._tokens is None:
                self._tokens = TokenManager(
                    self.settings,
                    token_store(self.settings, self._redis),
                    shared_state(self.settings, self._redis, "token"),
                )
            return self._tokens

    @property
    def session(self) -> SoundCloudSession:
        """The ``requests_cache.CachedSession`` (created on first use)."""
        tokens = self.tokens
        with self._lock:
            if self._session is None:
                self._session = build_session(self.settings, tokens, self._redis)
            return self._session

    @property
    def api(self) -> SoundCloudAPI:
        """The raising API functions over this client's session."""
        session = self.session
        with self._lock:
            if self._api is None:
                self._api = SoundCloudAPI(session)
            return self._api

    @property
    def pages(self) -> TrackPages:
        """Track pages as dicts or typed tables (with the typed copies kept beside the cache)."""
        api = self.api
        with self._lock:
            if self._pages is None:
                store = page_store(self.settings, self._redis, f"v{SCHEMA_VERSION}")
                self._pages = TrackPages(api, store)
            return self._pages

    def _options(self, offline: bool | None, refresh: bool | None) -> FetchOptions:
        """The cache switches of one call: the client's settings unless overridden."""
        return FetchOptions(
            offline=self.settings.offline if offline is None else bool(offline),
            refresh=self.settings.refresh if refresh is None else bool(refresh),
        )

    # -- data ------------------------------------------------------------------------------------
    def get_token(self) -> str:
        """Return a valid access token (cached; see :mod:`scdata.http.auth`).

        Examples
        --------
        >>> scdata.Client().get_token()[:10]
        'eyJhbGciOi'
        """
        return self.tokens.get()

    def user(
        self, user: str | int, *, offline: bool | None = None, refresh: bool | None = None
    ) -> dict[str, Any]:
        """Return the user object, raising instead of returning ``None``.

        Parameters
        ----------
        user : str or int
            Username, numeric id, URN ``soundcloud:users:N`` or profile URL.
        offline, refresh : bool, optional
            Override the client's cache switches for this call.

        Raises
        ------
        InvalidUserError, UserNotFoundError, AuthError, RateLimitError, APIError, OfflineError

        Examples
        --------
        >>> scdata.Client().user("jowymusic")["permalink"]
        'jowymusic'
        """
        return self.api.user(parse_user(user), self._options(offline, refresh))

    def user_urn(
        self, user: str | int | UserRef, *, offline: bool | None = None, refresh: bool | None = None
    ) -> str:
        """The user's URN ``soundcloud:users:N``: at once for an id, one cached ``/resolve`` else.

        Examples
        --------
        >>> import scdata
        >>> scdata.Client().user_urn("https://soundcloud.com/jowymusic")
        'soundcloud:users:52461337'
        """
        ref = user if isinstance(user, UserRef) else parse_user(user)
        return self.api.user_urn(ref, self._options(offline, refresh))

    def iter_tracks(
        self,
        user: str | int,
        limit: int | None = None,
        *,
        access: str | None = "all",
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the user's tracks, newest first, following cursor pages to the end.

        Parameters
        ----------
        user : str or int
            Any form :meth:`user` accepts.
        limit : int, optional
            Stop after this many tracks (default: all).
        access : str, list or None, default "all"
            Every track (``"all"``: playable, preview and blocked where you are, so the count
            matches the user's ``track_count``), some levels, or ``None`` for the API's default
            (``playable,preview``). The ``access`` field says which each track is.
        offline, refresh : bool, optional
            Override the client's cache switches for this call.
        progress : bool, optional
            Show a progress bar (default: when stderr is a terminal or in Jupyter).

        Examples
        --------
        >>> import scdata
        >>> for track in scdata.iter_tracks("jowymusic", limit=2):  # or Client().iter_tracks
        ...     print(track["title"])
        Analog Satellite
        demo 346
        """
        ref = parse_user(user)
        limit = check_count("limit", limit, minimum=1, allow_none=True)
        pages = self.track_pages(
            ref, limit, self._options(offline, refresh), progress, check_access(access)
        )
        return (track for page in pages for track in page)

    def track_pages(
        self,
        ref: UserRef,
        limit: int | None,
        options: FetchOptions | None = None,
        progress: bool | None = None,
        access: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the user's tracks page by page (each page's ``collection``), at most ``limit``.

        ``options`` are the cache switches (``None``: the client's); ``access`` is already
        checked (:func:`check_access`), ``None`` is the API's default.
        """
        if options is None:
            options = self._options(None, None)
        urn = self.api.user_urn(ref, options)
        show = progress_enabled(progress)
        bar = progress_bar(self._expected(urn, limit, options) if show else None, str(ref), show)
        try:
            yield from counted(self.pages.dicts(urn, limit, options, access), bar, len)
        finally:
            bar.close()

    def tracks(
        self,
        user: str | int,
        limit: int | None = None,
        offset: int = 0,
        *,
        access: str | None = "all",
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Return exactly the tracks at positions ``[offset, offset + limit)`` (newest first).

        Offsets are served by walking cursor pages of 200 (each cached), never by sending
        ``offset`` to SoundCloud, so the slice is right across page boundaries. ``access`` as
        in :meth:`iter_tracks`.

        Examples
        --------
        >>> len(scdata.Client().tracks("jowymusic", limit=10, offset=195))
        10
        """
        ref = parse_user(user)
        limit = check_count("limit", limit, minimum=1, allow_none=True)
        offset = check_count("offset", offset, minimum=0)
        stop = None if limit is None else offset + limit
        options = self._options(offline, refresh)
        pages = self.track_pages(ref, stop, options, progress, check_access(access))
        return [t for page in pages for t in page][offset:]

    def _expected(self, urn: str, limit: int | None, options: FetchOptions) -> int | None:
        """The user's ``track_count``: the total of a progress bar.

        Only called when a bar is shown; costs one request (then cached) for an unseen user.
        """
        user = self.api.cached_user(urn)
        if user is None and not options.offline:
            user = self.api.user(parse_user(urn), options)
        count = user.get("track_count") if user else None
        if not isinstance(count, int):
            return None
        return count if limit is None else min(count, limit)

    def _urns(self, refs: list[UserRef], options: FetchOptions, workers: int) -> list[str]:
        """Resolve every user concurrently; two references to one user are an error."""
        urns = run_all(lambda ref: self.api.user_urn(ref, options), refs, workers)
        first: dict[str, UserRef] = {}
        for ref, urn in zip(refs, urns, strict=True):
            if urn in first:
                raise ArgumentError(
                    f"users names {urn} twice: {str(first[urn])!r} and {str(ref)!r}"
                )
            first[urn] = ref
        return urns

    @overload
    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: Literal[False] = False,
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        observe: bool = False,
        backend: Literal["pandas"] = "pandas",
    ) -> pd.DataFrame: ...

    @overload
    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: Literal[True],
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]: ...

    @overload
    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: bool,
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        observe: bool = False,
        backend: Literal["pandas"] = "pandas",
    ) -> pd.DataFrame | list[dict[str, Any]]: ...

    @overload
    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: Literal[False] = False,
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        observe: bool = False,
        backend: Literal["arrow"],
    ) -> pa.Table: ...

    @overload
    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: bool = False,
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        observe: bool = False,
        backend: str,
    ) -> Any: ...

    def tracks_df(
        self,
        users: str | int | list[str | int],
        limit: int | None = None,
        *,
        raw: bool = False,
        access: str | None = "all",
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        """Every track of one or several users as one typed DataFrame.

        Parameters
        ----------
        users : str, int or list of them
            One user (username, id, URN or profile URL) or a list; rows come in that order.
        limit : int, optional
            At most this many tracks per user, newest first (default: all).
        raw : bool, default False
            Return the API's track dicts untouched instead of a DataFrame.
        access : str, list or None, default "all"
            Every track, blocked ones included, so the rows match ``track_count``; the
            ``access`` column says which are ``playable``, ``preview`` or ``blocked``. Some
            levels (``"playable,preview"``), or ``None`` for the API's default.
        errors : {"raise", "skip"}, default "raise"
            ``"skip"`` leaves out a user that fails (invalid, not found, a list that errors
            after retries) and lists it in ``df.attrs["scdata"]["failures"]``.
        workers : int, default 8
            Users fetched at once.
        offline, refresh, progress : bool, optional
            Cache switches and the progress bar (default: on when someone is watching).
        observe : bool, default False
            Add ``observed_at``, when SoundCloud answered with each row (its HTTP ``Date``).
        backend : {"pandas", "arrow", "polars"}, default "pandas"
            What to return: a pandas DataFrame, the typed ``pyarrow.Table`` (``df.attrs`` as
            JSON in its schema metadata, ``b"scdata"``) or a polars DataFrame (the ``polars``
            extra), the last two built without a detour through pandas.

        Returns
        -------
        pandas.DataFrame
            The columns of ``docs/columns.md`` (``scdata.frames.schema.TRACK_COLUMNS``), the same
            for 0 or 100,000 rows; ``df.attrs["fetched_at"]`` is the UTC fetch time, and
            ``df.attrs["scdata"]`` says per user whether the walk reached the end of the list
            and compares the rows with ``track_count`` when the profile is known.

        Raises
        ------
        UserNotFoundError
            A user does not exist (no empty frame instead).
        InvalidUserError, ValueError
            A bad user, an empty list, a bad ``limit``. A user named twice (in any two
            forms) is fetched once.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.tracks_df("jowymusic")  # or scdata.Client(...).tracks_df(...)
        >>> df[["title", "playback_count"]].head(3)
                                      title  playback_count
        0                  Analog Satellite            7078
        1                          demo 346            1936
        2  Broken Motel feat. Samuel Tanaka            6764
        >>> df.loc[0, "tags"], df["created_at"].dtype
        (['vocal', 'summer', 'bootleg', 'ambient'], datetime64[us, UTC])
        >>> both = scdata.tracks_df(["jowymusic", "bjork-unicode"])
        >>> both.groupby("user_permalink")["playback_count"].sum()
        user_permalink
        bjork-unicode     193033
        jowymusic        3331524
        Name: playback_count, dtype: Int64
        """
        tracks = COLLECTIONS["tracks"]
        return self.collector.frame(
            lambda item: tracks, users, ("users",), "users", limit=limit, errors=errors,
            workers=workers, offline=offline, refresh=refresh, progress=progress, raw=raw,
            params={"access": check_access(access)}, observe=observe, backend=backend,
        )  # fmt: skip

    @overload
    def users_df(
        self,
        users: str | int | list[str | int],
        *,
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: Literal["pandas"] = "pandas",
    ) -> pd.DataFrame: ...

    @overload
    def users_df(
        self,
        users: str | int | list[str | int],
        *,
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: Literal["arrow"],
    ) -> pa.Table: ...

    @overload
    def users_df(
        self,
        users: str | int | list[str | int],
        *,
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: str,
    ) -> Any: ...

    def users_df(
        self,
        users: str | int | list[str | int],
        *,
        errors: str = "raise",
        workers: int = DEFAULT_WORKERS,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        """One typed row per user, columns named as the API's user fields.

        Parameters
        ----------
        users : str, int or list of them
            Usernames, ids, URNs or profile URLs; rows come in that order. Users known by id
            or URN are fetched in batches (``/users?urns=``, ``SCDATA_BATCH_SIZE`` a request).
        errors : {"raise", "skip"}, default "raise"
            ``"skip"`` leaves out a user that fails, listed in ``df.attrs["scdata"]["failures"]``.
        observe, backend
            As for :meth:`tracks_df`.

        Raises
        ------
        UserNotFoundError
            A user does not exist.

        Examples
        --------
        >>> import scdata
        >>> users = scdata.users_df(["jowymusic", "big-catalog"])
        >>> users[["username", "track_count"]]
                    username  track_count
        0               JOWY          347
        1  Big Catalog Radio        10000
        """
        return self._users_frame(users, errors, workers, offline, refresh, observe, backend)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP session and its cache connection."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
                self._api = None
            store = self._pages.store if self._pages is not None else None
            if store is not None and hasattr(store, "close"):
                store.close()
            self._pages = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        shown = f"api_url={mask_url(s.api_url)!r}, client_id={s.client_id!r}"
        return f"Client({shown}, cache={mask_url(s.cache)!r})"


_default: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client behind the module-level functions, built from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def replace_default(client: Client | None) -> Client | None:
    """Install ``client`` as the default and return the previous one.

    ``None`` makes the next module-level call build a fresh default from the environment.
    """
    global _default
    with _default_lock:
        previous, _default = _default, client
        return previous


def configure(**settings: Any) -> Client:
    """Replace the default client with one built from these settings (others from the environment).

    Examples
    --------
    >>> import scdata
    >>> client = scdata.configure(client_id="my-id", client_secret="my-secret", cache="memory")
    >>> client.settings.client_id, client.settings.cache
    ('my-id', 'memory')
    """
    client = Client(**settings)
    previous = replace_default(client)
    if previous is not None:
        previous.close()
    return client


def _rows(table: pa.Table) -> int:
    return int(table.num_rows)
