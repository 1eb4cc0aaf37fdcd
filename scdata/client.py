"""``scdata.Client``: one configured connection to SoundCloud — settings, token, cache, API.

Module-level functions (``scdata.tracks_df`` and friends) use a default client built lazily from
the environment; :func:`configure` replaces it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from .api import SoundCloudAPI
from .auth import TokenManager
from .config import Settings
from .progress import progress_bar, progress_enabled
from .session import SoundCloudSession, build_session
from .tokenstore import FileTokenStore, MemoryTokenStore, TokenStore
from .userref import UserRef, parse_user

MAX_COUNT = 1_000_000


def check_count(name: str, value: object, *, minimum: int, allow_none: bool = False) -> int | None:
    """Validate ``limit``/``offset``-like arguments; raise ``ValueError`` naming the parameter.

    Examples
    --------
    >>> check_count("limit", 10, minimum=1)
    10
    >>> check_count("limit", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: limit must be an integer from 1 to 1000000, got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        raise ValueError(f"{name} must be an integer from {minimum} to {MAX_COUNT}, got {value!r}")
    return value


class Client:
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
        ``SCDATA_RETRY_BACKOFF`` 0.5 s, ``SCDATA_RATE_LIMIT`` 20 requests/s,
        ``SCDATA_TIMEOUT`` 30 s).
    offline : bool, default False
        Answer only from the cache; a miss raises :class:`~scdata.errors.OfflineError`.
    refresh : bool, default False
        Refetch every answer and replace its cache entry.

    Examples
    --------
    >>> import scdata
    >>> client = scdata.Client(client_id="my-id", client_secret="my-secret")
    >>> client.tracks_df("jowymusic").shape  # doctest: +SKIP
    (347, 52)
    """

    def __init__(self, **settings: Any) -> None:
        self.settings = Settings.load(**settings)
        self._lock = threading.Lock()
        self._tokens: TokenManager | None = None
        self._session: SoundCloudSession | None = None
        self._api: SoundCloudAPI | None = None

    # -- the parts, built on first use ---------------------------------------------------------
    def _token_store(self) -> TokenStore:
        if self.settings.cache == "memory":
            return MemoryTokenStore()
        return FileTokenStore(self.settings.cache_dir, self.settings.token_key)

    @property
    def tokens(self) -> TokenManager:
        """The token manager (created on first use)."""
        with self._lock:
            if self._tokens is None:
                self._tokens = TokenManager(self.settings, self._token_store())
            return self._tokens

    @property
    def session(self) -> SoundCloudSession:
        """The ``requests_cache.CachedSession`` (created on first use)."""
        tokens = self.tokens
        with self._lock:
            if self._session is None:
                self._session = build_session(self.settings, tokens)
            return self._session

    @property
    def api(self) -> SoundCloudAPI:
        """The raising API functions over this client's session."""
        session = self.session
        with self._lock:
            if self._api is None:
                self._api = SoundCloudAPI(session)
            return self._api

    def _flags(self, offline: bool | None, refresh: bool | None) -> dict[str, bool]:
        return {
            "offline": self.settings.offline if offline is None else bool(offline),
            "refresh": self.settings.refresh if refresh is None else bool(refresh),
        }

    # -- data ------------------------------------------------------------------------------------
    def get_token(self) -> str:
        """Return a valid access token (cached; see :mod:`scdata.auth`).

        Examples
        --------
        >>> scdata.Client().get_token()  # doctest: +SKIP
        'eyJhbGciOi...'
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
        >>> scdata.Client().user("jowymusic")["permalink"]  # doctest: +SKIP
        'jowymusic'
        """
        return self.api.user(parse_user(user), **self._flags(offline, refresh))

    def user_urn(self, ref: UserRef, **flags: bool) -> tuple[dict[str, Any], str]:
        """The user object and its URN (derived from ``id`` for responses without ``urn``)."""
        user = self.api.user(ref, **flags)
        urn = user.get("urn") or f"soundcloud:users:{user['id']}"
        return user, urn

    def iter_tracks(
        self,
        user: str | int,
        limit: int | None = None,
        *,
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
        offline, refresh : bool, optional
            Override the client's cache switches for this call.
        progress : bool, optional
            Show a progress bar (default: when stderr is a terminal or in Jupyter).

        Examples
        --------
        >>> import scdata
        >>> client = scdata.Client()
        >>> titles = [t["title"] for t in client.iter_tracks("jowymusic", 3)]  # doctest: +SKIP
        """
        ref = parse_user(user)
        limit = check_count("limit", limit, minimum=1, allow_none=True)
        flags = self._flags(offline, refresh)
        return (t for page in self.track_pages(ref, limit, flags, progress) for t in page)

    def track_pages(
        self,
        ref: UserRef,
        limit: int | None,
        flags: dict[str, bool],
        progress: bool | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the user's tracks page by page (each page's ``collection``), at most ``limit``."""
        user, urn = self.user_urn(ref, **flags)
        total = user.get("track_count") if isinstance(user.get("track_count"), int) else None
        if limit is not None and total is not None:
            total = min(total, limit)
        bar = progress_bar(total, str(ref), progress_enabled(progress))
        count = 0
        try:
            for page in self.api.track_pages(urn, **flags):
                if limit is not None and count + len(page) > limit:
                    page = page[: limit - count]
                count += len(page)
                bar.update(len(page))
                yield page
                if limit is not None and count >= limit:
                    return
        finally:
            bar.close()

    def tracks(
        self,
        user: str | int,
        limit: int | None = None,
        offset: int = 0,
        *,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Return exactly the tracks at positions ``[offset, offset + limit)`` (newest first).

        Offsets are served by walking cursor pages of 200 (each cached), never by sending
        ``offset`` to SoundCloud, so the slice is right across page boundaries.

        Examples
        --------
        >>> len(scdata.Client().tracks("jowymusic", limit=10, offset=195))  # doctest: +SKIP
        10
        """
        ref = parse_user(user)
        limit = check_count("limit", limit, minimum=1, allow_none=True)
        offset = check_count("offset", offset, minimum=0)
        assert offset is not None
        stop = None if limit is None else offset + limit
        pages = self.track_pages(ref, stop, self._flags(offline, refresh), progress)
        return [t for page in pages for t in page][offset:]

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP session and its cache connection."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
                self._api = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        return f"Client(api_url={s.api_url!r}, client_id={s.client_id!r}, cache={s.cache!r})"


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
    >>> scdata.configure(client_id="my-id", client_secret="my-secret", cache="memory")
    Client(api_url='https://api.soundcloud.com', client_id='my-id', cache='memory')
    """
    client = Client(**settings)
    previous = replace_default(client)
    if previous is not None:
        previous.close()
    return client
