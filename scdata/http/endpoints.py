"""Thin, raising functions over the HTTP API: resolve a user, fetch a user, walk cursor pages.

Everything here returns parsed JSON and raises :mod:`scdata.errors` on failure; the
None-returning behaviour of the original service lives in :mod:`scdata.compat`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import orjson
import requests
from requests_cache import AnyResponse, CachedResponse

from ..errors import (
    APIError,
    InvalidUserError,
    NotFoundError,
    OfflineError,
    UserNotFoundError,
)
from ..frames import jsonbody
from .refs import UserRef, item_noun
from .session import SoundCloudSession

log = logging.getLogger("scdata")

T = TypeVar("T")
PAGE_SIZE = 200
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# a /resolve Location names a resource as /users/N, /users/soundcloud:users:N, or the URN
# percent-encoded (soundcloud%3Ausers%3AN): matched after decoding, at the end of the path
RESOURCE_PATH = re.compile(
    r"/(users|tracks|playlists)/(?:(\d{1,19})|soundcloud:(users|tracks|playlists):(\d{1,19}))/?$"
)
KINDS = {"users": "a user", "tracks": "a track", "playlists": "a playlist"}
# Consecutive pages that bring no new track before a walk gives up. Private (and deleted)
# tracks take page slots (API-NOTES-2 §1.9), so runs of empty pages are real; 50 pages of 200
# are 10,000 hidden tracks in a row, beyond any account seen, while a server that keeps
# handing out new cursors for nothing is stopped after ~10 s at 5 requests/s.
MAX_IDLE_PAGES = 50


@dataclasses.dataclass(frozen=True)
class FetchOptions:
    """How one call uses the HTTP cache: the ``offline=`` and ``refresh=`` switches.

    ``offline`` answers only from the cache, expired entries included, and raises
    :class:`~scdata.errors.OfflineError` on a miss (no request is ever sent); ``refresh``
    refetches and replaces the cache entry.

    Examples
    --------
    >>> FetchOptions()
    FetchOptions(offline=False, refresh=False)
    >>> FetchOptions(refresh=True).refresh
    True
    """

    offline: bool = False
    refresh: bool = False


#: The default: fresh answers from the cache, the network otherwise.
CACHED = FetchOptions()
#: Always ask SoundCloud (and replace the cache entry).
REFRESH = FetchOptions(refresh=True)


def answered_at(response: requests.Response) -> datetime:
    """When SoundCloud answered: the response's HTTP ``Date`` (a cached answer keeps its own).

    Without a readable ``Date``, the time the answer was stored (cached) or received.

    Examples
    --------
    >>> r = requests.Response()
    >>> r.headers["Date"] = "Tue, 01 Dec 2026 22:44:49 GMT"
    >>> answered_at(r).isoformat()
    '2026-12-01T22:44:49+00:00'
    """
    header = response.headers.get("Date")
    if header:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return when.astimezone(UTC)
    created = getattr(response, "created_at", None)
    if isinstance(created, datetime):
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    return datetime.now(UTC)


def resource_of(location: str) -> tuple[str, int] | None:
    """The ``(kind, id)`` a ``/resolve`` ``Location`` names, in any form SoundCloud writes.

    Examples
    --------
    >>> resource_of("https://api.soundcloud.com/users/soundcloud%3Ausers%3A42")
    ('users', 42)
    >>> resource_of("https://api.soundcloud.com/tracks/2088703866?secret_token=s-x")
    ('tracks', 2088703866)
    >>> resource_of("https://api.soundcloud.com/users/soundcloud:tracks:1") is None
    True
    """
    match = RESOURCE_PATH.search(unquote(urlsplit(location).path))
    if match is None:
        return None
    kind, numeric, urn_kind, urn_id = match.groups()
    if urn_kind is not None and urn_kind != kind:
        return None
    return kind, int(numeric or urn_id)


class SoundCloudAPI:
    """The API calls scdata needs, over one cached session.

    Parameters
    ----------
    session : SoundCloudSession
        The client's cached session (its settings give the API URL).

    Examples
    --------
    >>> import scdata
    >>> from scdata.http.refs import parse_user
    >>> api = scdata.Client().api
    >>> api.user(parse_user("jowymusic"))["username"]
    'JOWY'
    """

    def __init__(self, session: SoundCloudSession) -> None:
        self.session = session
        self.base_url = session.scdata_settings.api_url

    # -- one request -------------------------------------------------------------------------
    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        options: FetchOptions = CACHED,
    ) -> requests.Response:
        """GET ``url`` (a path or a full URL on the API host) through the cache.

        ``options.offline`` never touches the network: it answers from the cache, expired
        entries included (stale data beats none on a plane), and raises :class:`OfflineError`
        on a miss; ``options.refresh`` refetches and replaces the cache entry.
        """
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        started = time.perf_counter()
        response: AnyResponse
        if options.offline:
            response = self._from_cache_only(url, params)
        else:
            response = self.session.get(url, params=params, force_refresh=options.refresh)
        path = response.request.path_url if response.request is not None else url
        log.debug(
            "GET %s %s %d %.3fs",
            path,
            "cached" if response.from_cache else "network",
            response.status_code,
            time.perf_counter() - started,
        )
        return response

    def _from_cache_only(self, url: str, params: dict[str, Any] | None) -> CachedResponse:
        cached = self._cached(url, params)
        if cached is None:
            path = requests.Request("GET", url, params=params).prepare().path_url
            raise OfflineError(f"offline=True and GET {path} is not in the cache (no request sent)")
        return cached

    def _cached(self, url: str, params: dict[str, Any] | None = None) -> CachedResponse | None:
        """The cache's answer to GET ``url`` at any age, or ``None``; never a request.

        Straight from the backend: a lookup that cannot send has no use for the policy a
        request goes through, which costs as much again as the lookup (measured).
        """
        request = self.session.prepare_request(requests.Request("GET", url, params=params))
        return self.session.cache.get_response(self.session.cache.create_key(request))

    def parse(self, response: requests.Response) -> Any:
        """Parse a 200 answer's JSON; a malformed body is removed from the cache and raises."""
        path = response.request.path_url if response.request is not None else ""
        if response.status_code != 200:
            raise APIError(
                "unexpected answer from SoundCloud",
                status=response.status_code,
                url=path,
                body=response.text,
            )
        try:
            return jsonbody.loads(response.content)
        except orjson.JSONDecodeError:
            self._forget(response)
            raise APIError(
                "SoundCloud sent a body that is not JSON", status=200, url=path, body=response.text
            ) from None

    def _forget(self, response: requests.Response) -> None:
        self.forget(getattr(response, "cache_key", None) or response.url)

    def forget(self, url_or_key: str) -> None:
        """Remove an answer from the HTTP cache, by URL (a GET) or by cache key.

        Used for pages rejected after parsing, so that a later run fetches them again
        instead of failing on the stored copy until it expires. Never raises: a cache that
        cannot be written only loses this clean-up.
        """
        try:
            key = url_or_key
            if "://" in url_or_key:
                request = self.session.prepare_request(requests.Request("GET", url_or_key))
                key = self.session.cache.create_key(request)
            self.session.cache.delete(key)
        except Exception as exc:  # a broken cache is reported by whoever reads it next
            log.warning("could not remove a rejected answer from the cache: %s", exc)

    def on_api_host(self, url: str) -> str:
        """Move ``url`` onto the configured API URL: its host, and its path prefix if any.

        The token must never go elsewhere; an API URL behind a prefix
        (``https://proxy.example/sc-api``) keeps it even when SoundCloud's ``next_href``
        names the bare path.

        Examples
        --------
        >>> api = SoundCloudAPI.__new__(SoundCloudAPI)
        >>> api.base_url = "https://proxy.example/sc-api"
        >>> api.on_api_host("https://api.soundcloud.com/users/1/tracks?cursor=x")
        'https://proxy.example/sc-api/users/1/tracks?cursor=x'
        >>> api.on_api_host("https://proxy.example/sc-api/users/1/tracks?cursor=y")
        'https://proxy.example/sc-api/users/1/tracks?cursor=y'
        """
        target, base = urlsplit(url), urlsplit(self.base_url)
        prefix = base.path.rstrip("/")
        path = target.path if target.path.startswith("/") else "/" + target.path
        if prefix and path != prefix and not path.startswith(prefix + "/"):
            path = prefix + path
        same_host = (target.scheme, target.netloc) == (base.scheme, base.netloc)
        if same_host and path == target.path:
            return url
        if not same_host and target.netloc:
            log.warning(
                "SoundCloud linked to another host (%s); using %s instead",
                target.netloc,
                base.netloc,
            )
        return urlunsplit((base.scheme, base.netloc, path, target.query, ""))

    # -- resolving ---------------------------------------------------------------------------
    def resolve_location(
        self, url: str, options: FetchOptions = CACHED, *, given: object = None
    ) -> tuple[str, int, str | None]:
        """What ``/resolve`` says ``url`` names: ``(kind, id, secret_token)``. One cached request.

        The ``Location`` may name the item as ``/tracks/N``, ``/tracks/soundcloud:tracks:N`` or
        percent-encoded; a 302 without it is read from the body's ``location``. A secret
        item's ``Location`` carries its ``secret_token``.

        Raises
        ------
        NotFoundError
            ``/resolve`` answers 404 (:class:`UserNotFoundError` is not raised here: the kind
            is unknown until SoundCloud names it).
        APIError
            Any other answer, or a redirect that names nothing scdata knows.
        """
        response = self.get("/resolve", {"url": url}, options)
        if response.status_code == 404:
            raise NotFoundError(given if given is not None else url, "items")
        if response.status_code not in REDIRECTS:
            self.parse(response)  # raises APIError for anything but a redirect
            raise APIError(
                "/resolve answered without a redirect",
                status=response.status_code,
                url=response.request.path_url,
                body=response.text,
            )
        header, body = response.headers.get("Location"), self._body_location(response)
        location = header if header and resource_of(header) else body
        found = resource_of(location) if location else None
        if found is None:
            raise APIError(
                f"/resolve did not name a user, track or playlist for {url}",
                status=response.status_code,
                url=response.request.path_url,
                body=header or body or "",
            )
        secret = dict(parse_qsl(urlsplit(location or "").query)).get("secret_token")
        return found[0], found[1], secret

    # -- users -------------------------------------------------------------------------------
    def user_urn(self, ref: UserRef, options: FetchOptions = CACHED) -> str:
        """The user's URN: at once for an id, via ``/resolve`` for a name or short link.

        Raises
        ------
        UserNotFoundError
            ``/resolve`` answers 404.
        InvalidUserError
            The reference resolves to something that is not a user (a short link to a track).
        APIError
            Any other answer, or a redirect that names nothing scdata knows.
        """
        if ref.urn is not None:
            return ref.urn
        assert ref.resolve_url is not None  # a name or a short link
        try:
            kind, number, _ = self.resolve_location(ref.resolve_url, options, given=ref)
        except NotFoundError:
            raise UserNotFoundError(ref) from None
        if kind != "users":
            raise InvalidUserError(
                f"{ref.resolve_url!r} is not a user: it is {KINDS[kind]} "
                f"(/resolve names /{kind}/{number})"
            )
        return f"soundcloud:users:{number}"

    def user(self, ref: UserRef, options: FetchOptions = CACHED) -> dict[str, Any]:
        """The user object for ``ref``; :class:`UserNotFoundError` when there is none.

        A name costs two requests the first time: ``/resolve`` (a 302 naming the user's URL,
        cached as it is, never followed by requests) and ``/users/{urn}``.
        """
        urn = self.user_urn(ref, options)
        try:
            return self.item("users", urn, options)
        except NotFoundError:
            raise UserNotFoundError(ref) from None

    def item(
        self,
        kind: str,
        urn: str,
        options: FetchOptions = CACHED,
        params: dict[str, Any] | None = None,
        answered: list[datetime] | None = None,
    ) -> dict[str, Any]:
        """One object: ``/users/{urn}``, ``/tracks/{urn}`` or ``/playlists/{urn}``.

        ``params`` go with it (``secret_token``, ``show_tracks``). A 404 is
        :class:`NotFoundError` (:class:`UserNotFoundError` for a user); an object with
        neither ``id`` nor ``urn`` is an :class:`APIError` and leaves the cache. ``answered``,
        when given, receives the time SoundCloud answered (:func:`answered_at`).
        """
        response = self.get(f"/{kind}/{urn}", params or None, options)
        if answered is not None:
            answered.append(answered_at(response))
        if response.status_code == 404:
            raise UserNotFoundError(urn) if kind == "users" else NotFoundError(urn, kind)
        found = self.parse(response)
        if not isinstance(found, dict) or ("id" not in found and "urn" not in found):
            self._forget(response)
            raise APIError(
                f"the {kind[:-1]} object has neither id nor urn",
                status=200,
                url=response.request.path_url,
                body=response.text,
            )
        return found

    def batch(
        self,
        kind: str,
        urns: Sequence[str],
        options: FetchOptions = CACHED,
        answered: list[datetime] | None = None,
    ) -> list[dict[str, Any]]:
        """The objects of ``urns`` in one request: ``/{kind}?urns=a,b,c`` (users or tracks).

        The caller keeps the chunk within SoundCloud's batch size (``SCDATA_BATCH_SIZE``).
        Unknown, private or deleted items are simply absent from the answer; the order is
        SoundCloud's. Items are matched back by ``urn`` (or ``id``) by the caller.
        """
        params = {"urns": ",".join(urns), "limit": len(urns), "linked_partitioning": "true"}
        response = self.get(f"/{kind}", params, options)
        if answered is not None:
            answered.append(answered_at(response))
        page = self.parse(response)
        items = page.get("collection") if isinstance(page, dict) else page
        if not isinstance(items, list):
            self._forget(response)
            raise APIError(f"a /{kind}?urns= answer without a list", status=200,
                           url=response.request.path_url, body=response.text)  # fmt: skip
        return [item for item in items if isinstance(item, dict)]

    def cached_user(self, urn: str) -> dict[str, Any] | None:
        """The user object if the cache has it fresh (never a request), else ``None``."""
        response = self._cached(f"{self.base_url}/users/{urn}")
        if response is None or response.is_expired or response.status_code != 200:
            return None
        try:
            user = jsonbody.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        return user if isinstance(user, dict) else None

    @staticmethod
    def _body_location(response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body.get("location") if isinstance(body, dict) else None

    # -- collections -------------------------------------------------------------------------
    def list_url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The full URL of a list's first page: ``path`` under the API URL, ``params`` encoded.

        Examples
        --------
        >>> api = SoundCloudAPI.__new__(SoundCloudAPI)
        >>> api.base_url = "https://api.soundcloud.com"
        >>> api.list_url("/users/soundcloud:users:1/followers", {"limit": 200})
        'https://api.soundcloud.com/users/soundcloud:users:1/followers?limit=200'
        """
        url = self.base_url + path
        return f"{url}?{urlencode(params)}" if params else url

    def tracks_url(
        self, user_urn: str, page_size: int = PAGE_SIZE, access: str | None = None
    ) -> str:
        """The first page's full URL (``linked_partitioning``: cursor pages, no ``offset``).

        ``access`` is the API's filter (``"playable,preview,blocked"``); ``None`` leaves the
        API's default (``playable,preview``).
        """
        params: dict[str, Any] = {"linked_partitioning": "true", "limit": page_size}
        if access:
            params["access"] = access
        return self.list_url(f"/users/{user_urn}/tracks", params)

    def list_page(
        self,
        url: str,
        owner: str,
        *,
        number: int = 1,
        options: FetchOptions = CACHED,
        what: str = "tracks",
    ) -> tuple[list[Any], str | None, requests.Response]:
        """GET page ``number`` (1 = first) of a list: its items, its ``next_href``, the response.

        Reads the ``{collection, next_href}`` object (a ``next_href`` that is absent, null or
        empty ends the list) and a bare array (one page). A 404 on the first page is
        :class:`NotFoundError` for the owner (:class:`UserNotFoundError` for a user); on a
        later page it is an :class:`APIError` naming the page (the list is then incomplete),
        and one request for the owner tells whether it was deleted meanwhile.
        """
        response = self.get(url, options=options)
        if response.status_code == 404:
            if number == 1:
                kind = _owner_kind(owner)
                raise UserNotFoundError(owner) if kind == "users" else NotFoundError(owner, kind)
            raise self._missing_page(response, owner, number, what)
        page = self.parse(response)
        if isinstance(page, list):
            return page, None, response
        if not isinstance(page, dict) or not isinstance(page.get("collection"), list):
            self._forget(response)
            raise APIError(f"a {what} page without a collection list", status=200,
                           url=response.request.path_url, body=response.text)  # fmt: skip
        next_href = page.get("next_href")
        return page["collection"], next_href if isinstance(next_href, str) else None, response

    def _missing_page(
        self, response: requests.Response, owner: str, number: int, what: str
    ) -> APIError:
        path = response.request.path_url
        try:
            status: int | None = self.get(
                f"/{_owner_kind(owner)}/{owner}", options=REFRESH
            ).status_code
        except APIError:  # the check could not be made; throttling still propagates
            status = None
        if status == 404:
            why = f"{owner} no longer exists (deleted while its {what} were being listed)"
        elif status == 200:
            noun = item_noun(_owner_kind(owner)).split(" ", 1)[1]  # "a user" -> "user"
            why = f"page {number} of {owner}'s {what} is missing though the {noun} exists"
        else:
            why = f"page {number} of {owner}'s {what} is missing"
        return APIError(
            f"{why}: page {number} answered 404; the {what} list is incomplete",
            status=404,
            url=path,
            body=response.text,
        )

    def dict_page(
        self,
        url: str,
        user_urn: str,
        number: int = 1,
        options: FetchOptions = CACHED,
        kind: str = "tracks",
    ) -> Page[list[dict[str, Any]]]:
        """One page of a list as a :class:`Page` of API dicts (see :meth:`list_page`).

        ``kind`` is the kind of the items (their keys are URNs of that kind).
        """
        items, next_href, response = self.list_page(
            url, user_urn, number=number, options=options, what=_WHAT.get(kind, kind)
        )
        return Page(
            items,
            item_keys(items, kind),
            next_href,
            response.url,
            discard=lambda: self._forget(response),
            fetched=not getattr(response, "from_cache", False),
        )

    def walk(
        self,
        first_url: str,
        fetch: Callable[[str, int], Page[T]],
        keep: Callable[[T, list[bool]], T],
        *,
        max_idle: int = MAX_IDLE_PAGES,
    ) -> Iterator[T]:
        """Follow ``next_href`` from ``first_url``, yielding each page's new items.

        ``fetch(url, number)`` returns page ``number`` (1 = first) as a :class:`Page`;
        ``keep(items, mask)`` returns the items whose ``mask`` entry is true. A track listed
        again is dropped. An empty page with a new ``next_href`` is not the end (SoundCloud
        filters a page after cutting it), but ``max_idle`` pages in a row without a new track
        end the walk with :class:`APIError` (the list may be incomplete). A ``next_href`` seen
        before ends the walk: quietly after an empty page, with :class:`APIError` after one
        with tracks. A page that makes the walk fail is removed from the caches
        (``Page.discard``) so that a later run fetches it again.
        """
        url, visited, seen = first_url, set[str](), set[str]()
        idle: list[Page[T]] = []  # the pages since the last one with a new track
        number = 0
        while True:
            number += 1
            page = fetch(url, number)
            visited.update((url, page.url))
            mask = _first_sightings(page.keys, seen)
            new = sum(mask)
            if new:
                idle.clear()
                yield page.items if new == len(mask) else keep(page.items, mask)
            else:
                idle.append(page)
            if not page.next_href:
                return
            url = self.on_api_host(page.next_href)
            if url in visited:
                if not page.count:
                    return
                page.discard()
                raise APIError("SoundCloud repeated a next_href; the track list may be incomplete",
                               status=200, url=urlsplit(url).path)  # fmt: skip
            if len(idle) >= max_idle:
                for stale in idle:
                    stale.discard()
                raise APIError(
                    f"{len(idle)} pages in a row brought no new track (empty, or tracks already "
                    "listed) yet each linked to another; stopped, the track list may be "
                    "incomplete",
                    status=200,
                    url=urlsplit(page.url).path,
                )

    def track_pages(
        self, user_urn: str, *, page_size: int = PAGE_SIZE, access: str | None = None,
        options: FetchOptions = CACHED,
    ) -> Iterator[list[dict[str, Any]]]:  # fmt: skip
        """Yield each cursor page's ``collection`` of the user's tracks, newest first."""

        def fetch(url: str, number: int) -> Page[list[dict[str, Any]]]:
            return self.dict_page(url, user_urn, number, options)

        return self.walk(self.tracks_url(user_urn, page_size, access), fetch, keep_dicts)


def _nothing() -> None:
    return None


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One fetched page: its items (dicts or a typed table) and what the walk needs.

    ``keys`` identifies each item (its urn; ``None`` when it has none), ``discard`` removes
    the page from the caches, ``fetched`` says it came from the network.
    """

    items: T
    keys: Sequence[str | None]
    next_href: str | None
    url: str
    discard: Callable[[], None] = _nothing
    fetched: bool = False

    @property
    def count(self) -> int:
        return len(self.keys)


_WHAT = {"web_profiles": "web profiles"}


def _owner_kind(urn: str) -> str:
    """``"users"`` for ``soundcloud:users:1``: the kind a URN names (users if unsure)."""
    parts = urn.split(":")
    return parts[1] if len(parts) == 3 and parts[1] in KINDS else "users"


def item_key(item: Any, kind: str = "tracks") -> str | None:
    """An item's identity: its ``urn``, else one built from its ``id`` (of ``kind``), else None.

    Examples
    --------
    >>> item_key({"id": 7}, "users"), item_key({"urn": "soundcloud:tracks:1"}), item_key(None)
    ('soundcloud:users:7', 'soundcloud:tracks:1', None)
    """
    urn = item.get("urn") if isinstance(item, dict) else None
    if isinstance(urn, str):
        return urn
    number = item.get("id") if isinstance(item, dict) else None
    return f"soundcloud:{kind}:{number}" if type(number) is int else None


def item_keys(items: list[Any], kind: str = "tracks") -> list[str | None]:
    """Each item's :func:`item_key`; ``kind`` names the URN built from an ``id``.

    Examples
    --------
    >>> item_keys([{"urn": "soundcloud:tracks:1"}, {"id": 2}, None])
    ['soundcloud:tracks:1', 'soundcloud:tracks:2', None]
    >>> item_keys([{"id": 7}], "users")
    ['soundcloud:users:7']
    """
    return [item_key(item, kind) for item in items]


def track_keys(items: list[Any]) -> list[str | None]:
    """Each API track's identity (:func:`item_keys` of tracks).

    Examples
    --------
    >>> track_keys([{"urn": "soundcloud:tracks:1"}, {"id": 2}, None])
    ['soundcloud:tracks:1', 'soundcloud:tracks:2', None]
    """
    return item_keys(items, "tracks")


def keep_dicts(items: list[Any], mask: list[bool]) -> list[Any]:
    """The items whose ``mask`` entry is true."""
    return [item for item, kept in zip(items, mask, strict=True) if kept]


def _first_sightings(keys: Sequence[str | None], seen: set[str]) -> list[bool]:
    """Whether each key is new (added to ``seen``); an item without a key always counts."""
    if None not in keys and seen.isdisjoint(keys) and len(set(keys)) == len(keys):
        seen.update(cast("Sequence[str]", keys))  # None is not among them (checked above)
        return [True] * len(keys)
    mask = []
    for key in keys:
        if key is None:
            mask.append(True)
        else:
            mask.append(key not in seen)
            seen.add(key)
    return mask
