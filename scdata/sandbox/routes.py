"""Resource routes of the emulated API (the caller has already checked authorisation).

``GET``/``HEAD`` on ``/resolve``, ``/users/{id|urn}``, ``/users/{id|urn}/tracks`` and
``/tracks/{id|urn}``; ``/me`` answers 401 as it does for client-credentials tokens. Paths
may carry a ``/v1`` prefix, a trailing ``/`` or a ``.json`` suffix; ids may be numeric,
URNs or percent-encoded URNs. Objects are shown through :class:`~scdata.sandbox.shapes.Shapes`
(embedded users, utm links, URN uris, ``Location`` style, unknown owners). Private tracks
are never shown to an app: they take their slots in a page (cut before filtering) and
``/tracks/{urn}`` answers 404 for them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from . import paging
from .catalog import Catalog
from .faults import FaultTable
from .replies import COLLECTION_CACHE, NO_CACHE, Reply, error_reply, json_reply
from .shapes import Shapes
from .shortlinks import ShortLinks

__all__ = ["ApiRequest", "Router", "normalize_path"]

NOT_FOUND = "404 - Not Found"
BAD_REQUEST = "400 - Bad Request"
_ID = r"(?:soundcloud:{kind}:)?(\d{{1,18}})"
_USER_REF = re.compile(_ID.format(kind="users"))
_TRACK_REF = re.compile(_ID.format(kind="tracks"))


def normalize_path(path: str) -> str:
    """Return the canonical form of a request path.

    Examples
    --------
    >>> normalize_path("/v1/users/soundcloud%3Ausers%3A1/tracks.json/")
    '/users/soundcloud:users:1/tracks'
    """
    path = unquote(path)
    if path.startswith("/v1/"):
        path = path[3:]
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path.removesuffix(".json")


@dataclasses.dataclass(frozen=True)
class ApiRequest:
    """What the router needs to know about a request.

    Examples
    --------
    >>> ApiRequest.parse("GET", "/users/1?limit=2").query
    {'limit': '2'}
    """

    method: str
    target: str
    raw_path: str
    path: str
    query: Mapping[str, str]

    @classmethod
    def parse(cls, method: str, target: str) -> ApiRequest:
        """Split a request line target into its parts (last value wins in the query)."""
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        return cls(method, target, split.path, normalize_path(split.path), query)


class Router:
    """Answers authorised API requests from a :class:`Catalog`.

    Parameters
    ----------
    catalog
        The data served.
    faults
        Consulted for ``repeat_next_href`` faults.
    base_url
        Returns the sandbox's base URL (used in ``Location`` and ``next_href``).
    shapes
        How objects are shown (default: production shapes).
    short_links
        The ``on.soundcloud.com`` codes ``/resolve`` knows (default: the built-in ones).

    Examples
    --------
    >>> router = Router(Catalog(artists=0), FaultTable(), lambda: "http://sandbox")
    >>> router.dispatch(ApiRequest.parse("GET", "/users/123456789")).status
    200
    """

    def __init__(
        self,
        catalog: Catalog,
        faults: FaultTable,
        base_url: Callable[[], str],
        shapes: Shapes | None = None,
        short_links: ShortLinks | None = None,
    ) -> None:
        self.catalog = catalog
        self.faults = faults
        self.base_url = base_url
        self.shapes = shapes if shapes is not None else Shapes(base_url)
        self.short_links = short_links if short_links is not None else ShortLinks()

    def dispatch(self, request: ApiRequest) -> Reply:
        """Return the reply to ``request``."""
        parts = request.path.strip("/").split("/")
        if request.method not in ("GET", "HEAD"):
            return error_reply(405)
        match parts:
            case ["resolve"]:
                return self.resolve(request)
            case ["tracks" | "users" | "playlists" as k] if not {"urns", "ids"} & {*request.query}:
                from .search import answer  # /tracks, /users, /playlists without urns: search

                return answer(self, k, request)
            case ["me", *_] | ["users", "me", *_]:
                return error_reply(401)
            case ["users", ref]:
                return self.user(ref)
            case ["users", ref, "tracks"]:
                return self.user_tracks(request, ref)
            case ["tracks", ref]:
                return self.track(ref)
        return error_reply(404, NOT_FOUND)

    def user(self, ref: str) -> Reply:
        """``GET /users/{id|urn}``."""
        match = _USER_REF.fullmatch(ref)
        if match is None:
            return error_reply(400, BAD_REQUEST)
        try:
            user = self.catalog.user(int(match.group(1)))
        except KeyError:
            return error_reply(404, NOT_FOUND)
        return json_reply(200, self.shapes.user(user))

    def track(self, ref: str) -> Reply:
        """``GET /tracks/{id|urn}``."""
        match = _TRACK_REF.fullmatch(ref)
        if match is None:
            return error_reply(400, BAD_REQUEST)
        try:
            track = self.catalog.track(int(match.group(1)))
        except KeyError:
            return error_reply(404)
        if track.get("sharing") == "private":
            return error_reply(404)
        return json_reply(200, self.shapes.track(track))

    def user_tracks(self, request: ApiRequest, ref: str) -> Reply:
        """``GET /users/{id|urn}/tracks``: page cut first, then filtered (private, ``access``).

        An unknown owner gets an empty collection (``unknown_owner = "empty200"``) or 404.
        """
        match = _USER_REF.fullmatch(ref)
        if match is None:
            return error_reply(400, BAD_REQUEST)
        query = request.query
        try:
            after = paging.parse_cursor(query.get("cursor"))
        except ValueError:
            return error_reply(400, BAD_REQUEST)
        try:
            shelf = self.catalog.shelf(int(match.group(1)))
        except KeyError:
            if self.shapes.unknown_owner == "404":
                return error_reply(404)
            empty: object = {"collection": [], "next_href": None}
            if "linked_partitioning" not in query:
                empty = []
            return json_reply(200, empty, cache=COLLECTION_CACHE)
        size = paging.page_size(query)
        page, last = shelf.page(after, size, ascending=paging.ascending(query))
        allowed = paging.access_filter(query.get("access"))
        items = self.shapes.tracks(
            track
            for track in page
            if (track.get("access") or "playable") in allowed and track.get("sharing") != "private"
        )
        if "linked_partitioning" not in query:
            return json_reply(200, items, cache=COLLECTION_CACHE)
        base = self.base_url()
        href = None if last is None else paging.next_href(base, request.raw_path, query, last, size)
        if self.faults.take(("repeat_next_href",), (request.raw_path, request.path)):
            href = base + request.target
        return json_reply(200, {"collection": items, "next_href": href}, cache=COLLECTION_CACHE)

    def resolve(self, request: ApiRequest) -> Reply:
        """``GET /resolve?url=``: 302 to the API URL of a soundcloud.com user or track.

        ``on.soundcloud.com`` short links are expanded first (unknown code: 404). The
        ``Location`` follows :attr:`Shapes.location_style`; ``body-only`` sends no header.
        """
        url = request.query.get("url") or request.query.get("permalink_url")
        if not url:
            return error_reply(400, BAD_REQUEST)
        if self.short_links.is_short(url):
            url = self.short_links.expand(url) or ""
        found = self._resolve(url)
        if found is None:
            return error_reply(404, NOT_FOUND)
        kind, object_id, kept = found
        location = self.shapes.location(kind, object_id) + (f"?{urlencode(kept)}" if kept else "")
        body = {"status": "302 - Found", "location": location}
        headers = () if self.shapes.location_style == "body-only" else (("Location", location),)
        return json_reply(302, body, cache=NO_CACHE, headers=headers)

    def _resolve(self, url: str) -> tuple[str, int, list[tuple[str, str]]] | None:
        split = urlsplit(url.strip())
        if split.scheme.lower() not in ("http", "https") or split.hostname != "soundcloud.com":
            return None
        parts = [unquote(part).lower() for part in split.path.split("/") if part]
        if not parts or len(parts) > 3 or (len(parts) > 1 and parts[1] == "sets"):
            return None
        if parts[0].isdigit() or parts[0].startswith("soundcloud:"):
            return None  # a permalink, never an id
        try:
            user = self.catalog.user(parts[0])
            kept = [(k, v) for k, v in parse_qsl(split.query) if k in ("client_id", "secret_token")]
            if len(parts) == 1:
                return "users", user["id"], kept
            track = self.catalog.shelf(user["id"]).by_permalink.get(parts[1])
        except KeyError:  # unknown, or deleted meanwhile
            return None
        if track is None or track.get("sharing") == "private":
            return None
        return "tracks", track["id"], kept
