"""Thin, raising functions over the HTTP API: resolve a user, fetch a user, walk cursor pages.

Everything here returns parsed JSON and raises :mod:`scdata.errors` on failure; the
None-returning behaviour of the original service lives in :mod:`scdata.compat`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests

from .errors import APIError, OfflineError, UserNotFoundError
from .session import SoundCloudSession
from .userref import UserRef

log = logging.getLogger("scdata")

PAGE_SIZE = 200
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class SoundCloudAPI:
    """The API calls scdata needs, over one cached session.

    Parameters
    ----------
    session : SoundCloudSession
        The client's cached session (its settings give the API URL).

    Examples
    --------
    >>> import scdata
    >>> api = scdata.Client().api  # doctest: +SKIP
    >>> api.user(scdata.userref.parse_user("jowymusic"))["username"]  # doctest: +SKIP
    'Jowy'
    """

    def __init__(self, session: SoundCloudSession) -> None:
        self.session = session
        self.base_url = session.scdata_settings.api_url

    # -- one request -------------------------------------------------------------------------
    def get(
        self, url: str, params: dict[str, Any] | None = None, *, offline: bool, refresh: bool
    ) -> requests.Response:
        """GET ``url`` (a path or a full URL on the API host) through the cache."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        started = time.perf_counter()
        response = self.session.get(
            url, params=params, only_if_cached=offline, force_refresh=refresh and not offline
        )
        path = response.request.path_url if response.request is not None else url
        if offline and response.status_code == 504 and response.from_cache:
            raise OfflineError(f"offline=True and GET {path} is not in the cache (no request sent)")
        log.debug(
            "GET %s %s %d %.3fs",
            path,
            "cached" if response.from_cache else "network",
            response.status_code,
            time.perf_counter() - started,
        )
        return response

    def get_json(self, url: str, params: dict[str, Any] | None = None, **flags: bool) -> Any:
        """GET and parse a 200 JSON answer; anything else raises :class:`APIError`."""
        return self.parse(self.get(url, params, **flags))

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
            return orjson.loads(response.content)
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
    def user(self, ref: UserRef, *, offline: bool = False, refresh: bool = False) -> dict[str, Any]:
        """The user object for ``ref``; :class:`UserNotFoundError` when there is none."""
        flags = {"offline": offline, "refresh": refresh}
        if ref.user_id is not None:
            response = self.get(f"/users/{ref.urn}", **flags)
        else:
            response = self._resolve(ref, **flags)
        if response.status_code == 404:
            raise UserNotFoundError(ref)
        user = self.parse(response)
        if not isinstance(user, dict) or user.get("kind", "user") != "user":
            self._forget(response)
            raise APIError(
                f"{ref} is not a user",
                status=200,
                url=response.request.path_url,
                body=response.text,
            )
        if "id" not in user and "urn" not in user:
            self._forget(response)
            raise APIError(
                "the user object has neither id nor urn",
                status=200,
                url=response.request.path_url,
                body=response.text,
            )
        return user

    def _resolve(self, ref: UserRef, **flags: bool) -> requests.Response:
        """``/resolve`` answers 302; follow it by hand and alias the answer in the cache.

        requests-cache would store a followed redirect's history with its Authorization
        header, so the redirect is never followed by requests: the final 200 is stored under
        its own URL and the ``/resolve`` request is recorded as an alias of it.
        """
        response = self.get("/resolve", {"url": ref.profile_url}, **flags)
        if response.status_code not in REDIRECTS:
            return response  # 200 from the alias, 404, or an error for the caller to raise
        location = response.headers.get("Location") or self._body_location(response)
        if not location:
            raise APIError(
                "/resolve answered a redirect without a location",
                status=response.status_code,
                url=response.request.path_url,
            )
        final = self.get(self.on_api_host(location), **flags)
        final_key = getattr(final, "cache_key", None)
        if final.status_code == 200 and final_key and self.session.scdata_settings.cache != "off":
            self.session.cache.redirects[self.session.cache.create_key(response.request)] = (
                final_key
            )
        return final

    @staticmethod
    def _body_location(response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body.get("location") if isinstance(body, dict) else None

    # -- tracks ------------------------------------------------------------------------------
    def track_pages(
        self,
        user_urn: str,
        *,
        page_size: int = PAGE_SIZE,
        offline: bool = False,
        refresh: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield each cursor page's ``collection`` of the user's tracks, newest first.

        Follows ``next_href`` until it is null. An empty page with a new ``next_href`` is not
        the end (SoundCloud filters a page after cutting it). A ``next_href`` seen before ends
        the walk: quietly after an empty page, with :class:`APIError` after a non-empty one.
        """
        flags = {"offline": offline, "refresh": refresh}
        url = f"{self.base_url}/users/{user_urn}/tracks"
        params: dict[str, Any] | None = {"linked_partitioning": "true", "limit": page_size}
        seen: set[str] = set()
        while True:
            response = self.get(url, params, **flags)
            seen.add(response.url)
            if response.status_code == 404:
                raise UserNotFoundError(user_urn)
            page = self.parse(response)
            if not isinstance(page, dict) or not isinstance(page.get("collection"), list):
                self._forget(response)
                raise APIError(
                    "a tracks page without a collection list",
                    status=200,
                    url=response.request.path_url,
                    body=response.text,
                )
            collection = page["collection"]
            if collection:
                yield collection
            next_href = page.get("next_href")
            if not next_href:
                return
            url, params = self.on_api_host(next_href), None
            if url in seen:
                if not collection:
                    return
                raise APIError(
                    "SoundCloud repeated a next_href; the track list may be incomplete",
                    status=200,
                    url=urlsplit(url).path,
                )
