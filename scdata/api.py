"""Thin, raising functions over the HTTP API: resolve a user, fetch a user, walk cursor pages.

Everything here returns parsed JSON and raises :mod:`scdata.errors` on failure; the
None-returning behaviour of the original service lives in :mod:`scdata.compat`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests

from . import jsonbody
from .errors import APIError, OfflineError, UserNotFoundError
from .session import SoundCloudSession
from .userref import UserRef

log = logging.getLogger("scdata")

T = TypeVar("T")
PAGE_SIZE = 200
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_PATH = re.compile(r"/users/(?:soundcloud:users:)?(\d+)/?$")


class SoundCloudAPI:
    """The API calls scdata needs, over one cached session.

    Parameters
    ----------
    session : SoundCloudSession
        The client's cached session (its settings give the API URL).

    Examples
    --------
    >>> import scdata
    >>> from scdata.userref import parse_user
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
        *,
        offline: bool = False,
        refresh: bool = False,
    ) -> requests.Response:
        """GET ``url`` (a path or a full URL on the API host) through the cache.

        ``offline=True`` never touches the network: it answers from the cache, expired entries
        included (stale data beats none on a plane), and raises :class:`OfflineError` on a miss.
        """
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        started = time.perf_counter()
        if offline:
            response = self._from_cache_only(url, params)
        else:
            response = self.session.get(url, params=params, force_refresh=refresh)
        path = response.request.path_url if response.request is not None else url
        log.debug(
            "GET %s %s %d %.3fs",
            path,
            "cached" if response.from_cache else "network",
            response.status_code,
            time.perf_counter() - started,
        )
        return response

    def _from_cache_only(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        request = self.session.prepare_request(requests.Request("GET", url, params=params))
        cached = self.session.cache.get_response(self.session.cache.create_key(request))
        if cached is None:
            raise OfflineError(
                f"offline=True and GET {request.path_url} is not in the cache (no request sent)"
            )
        return cached

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
        key = getattr(response, "cache_key", None)
        if key:
            self.session.cache.delete(key)

    def on_api_host(self, url: str) -> str:
        """Move ``url`` onto the configured API host (the token must never go elsewhere)."""
        target, base = urlsplit(url), urlsplit(self.base_url)
        if (target.scheme, target.netloc) == (base.scheme, base.netloc):
            return url
        log.warning(
            "SoundCloud linked to another host (%s); using %s instead", target.netloc, base.netloc
        )
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    # -- users -------------------------------------------------------------------------------
    def user_urn(self, ref: UserRef, **flags: bool) -> str:
        """The user's URN: at once for an id, via ``/resolve`` for a name (one request, cached)."""
        if ref.urn is not None:
            return ref.urn
        response = self.get("/resolve", {"url": ref.profile_url}, **flags)
        if response.status_code == 404:
            raise UserNotFoundError(ref)
        if response.status_code not in REDIRECTS:
            self.parse(response)  # raises APIError for anything but a redirect
            raise APIError(
                "/resolve answered without a redirect",
                status=response.status_code,
                url=response.request.path_url,
                body=response.text,
            )
        location = response.headers.get("Location") or self._body_location(response)
        match = USER_PATH.search(urlsplit(location or "").path)
        if match is None:
            raise APIError(
                f"{ref} does not resolve to a user",
                status=response.status_code,
                url=response.request.path_url,
                body=location or "",
            )
        return f"soundcloud:users:{match.group(1)}"

    def user(self, ref: UserRef, *, offline: bool = False, refresh: bool = False) -> dict[str, Any]:
        """The user object for ``ref``; :class:`UserNotFoundError` when there is none.

        A name costs two requests the first time: ``/resolve`` (a 302 naming the user's URL,
        cached as it is, never followed by requests) and ``/users/{urn}``.
        """
        flags = {"offline": offline, "refresh": refresh}
        urn = self.user_urn(ref, **flags)
        response = self.get(f"/users/{urn}", **flags)
        if response.status_code == 404:
            raise UserNotFoundError(ref)
        user = self.parse(response)
        if not isinstance(user, dict) or ("id" not in user and "urn" not in user):
            self._forget(response)
            raise APIError(
                "the user object has neither id nor urn",
                status=200,
                url=response.request.path_url,
                body=response.text,
            )
        return user

    def cached_user(self, urn: str) -> dict[str, Any] | None:
        """The user object if the cache has it (never a request), else ``None``."""
        response = self.session.get(f"{self.base_url}/users/{urn}", only_if_cached=True)
        if response.status_code != 200:
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

    # -- tracks ------------------------------------------------------------------------------
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
        url = f"{self.base_url}/users/{user_urn}/tracks"
        return requests.Request("GET", url, params=params).prepare().url or url

    def tracks_page(
        self, url: str, user_urn: str, **flags: bool
    ) -> tuple[list[dict[str, Any]], str | None, requests.Response]:
        """GET one page: its ``collection``, its ``next_href`` and the response."""
        response = self.get(url, **flags)
        if response.status_code == 404:
            raise UserNotFoundError(user_urn)
        page = self.parse(response)
        if not isinstance(page, dict) or not isinstance(page.get("collection"), list):
            self._forget(response)
            raise APIError("a tracks page without a collection list", status=200,
                           url=response.request.path_url, body=response.text)  # fmt: skip
        next_href = page.get("next_href")
        return page["collection"], next_href if isinstance(next_href, str) else None, response

    def walk(self, first_url: str, fetch: Callable[[str], Page[T]]) -> Iterator[T]:
        """Follow ``next_href`` from ``first_url``, yielding each non-empty page's items.

        ``fetch(url)`` returns a :class:`Page`. An empty page with a new ``next_href`` is not
        the end (SoundCloud filters a page after cutting it). A ``next_href`` seen before
        ends the walk: quietly after an empty page, with :class:`APIError` after a full one.
        """
        url, seen = first_url, set()
        while True:
            page = fetch(url)
            seen.add(page.url)
            if page.count:
                yield page.items
            if not page.next_href:
                return
            url = self.on_api_host(page.next_href)
            if url in seen:
                if not page.count:
                    return
                raise APIError("SoundCloud repeated a next_href; the track list may be incomplete",
                               status=200, url=urlsplit(url).path)  # fmt: skip

    def track_pages(
        self, user_urn: str, *, page_size: int = PAGE_SIZE, access: str | None = None,
        offline: bool = False, refresh: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:  # fmt: skip
        """Yield each cursor page's ``collection`` of the user's tracks, newest first."""
        flags = {"offline": offline, "refresh": refresh}

        def fetch(url: str) -> Page[list[dict[str, Any]]]:
            items, next_href, response = self.tracks_page(url, user_urn, **flags)
            return Page(items, len(items), next_href, response.url)

        return self.walk(self.tracks_url(user_urn, page_size, access), fetch)


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One fetched page: its items (dicts or a typed table), how many, and the links."""

    items: T
    count: int
    next_href: str | None
    url: str
