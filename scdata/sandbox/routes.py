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

from . import collections, paging
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
        if self.shapes.timeline is None:
            self.shapes.timeline = catalog.timeline
        self.short_links = short_links if short_links is not None else ShortLinks()
        self.batch_limit = 50

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
            case ["users" | "tracks" | "playlists" as kind]:
                if kind != "playlists" and ("urns" in request.query or "ids" in request.query):
                    return self.batch(request, kind)
                from . import search

                return search.answer(self, kind, request)
            case ["users", ref]:
                return self.user(ref)
            case ["users", ref, "tracks"]:
                return self.user_tracks(request, ref)
            case ["tracks", ref]:
                return self.track(ref, request.query.get("secret_token"))
            case ["playlists", ref]:
                return self.playlist(request, ref)
            case [("users" | "tracks" | "playlists") as kind, ref, *rest] if rest:
                route = collections.ROUTES.get((kind, "/".join(rest)))
                if route is not None:
                    return collections.answer(self, request, route, ref)
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

    def track(self, ref: str, secret_token: str | None = None) -> Reply:
        """``GET /tracks/{id|urn}``; a private track only with its ``secret_token``."""
        match = _TRACK_REF.fullmatch(ref)
        if match is None:
            return error_reply(400, BAD_REQUEST)
        try:
            track = self.catalog.track(int(match.group(1)))
        except KeyError:
            return error_reply(404)
        if track.get("sharing") == "private" and secret_token != self.catalog.world.secret_token(
            track["id"]
        ):
            return error_reply(404)
        return json_reply(200, self.shapes.track(track))

    def playlist(self, request: ApiRequest, ref: str) -> Reply:
        """``GET /playlists/{id|urn}`` (``show_tracks``, ``access``, ``secret_token``).

        Unknown or private without the token: 404 (a single object cannot be empty).
        """
        playlist_id = collections.parse_ref("playlists", ref)
        if playlist_id is None:
            return error_reply(400, BAD_REQUEST)
        try:
            playlist = collections.owner_object(self, "playlists", playlist_id, request.query)
        except KeyError:
            return error_reply(404, NOT_FOUND)
        return json_reply(200, collections.show_playlist(self, playlist, request.query))

    def batch(self, request: ApiRequest, kind: str) -> Reply:
        """``GET /users?urns=a,b`` and ``/tracks?urns=...`` (or ``ids=``, not both).

        More refs than :attr:`batch_limit` (0 = no limit): 400. Unknown, deleted and
        private items are simply absent; each item once, in the order asked.
        """
        query = request.query
        if "urns" in query and "ids" in query:
            return error_reply(400, BAD_REQUEST)
        raw = query.get("urns", query.get("ids", ""))
        refs = [part.strip() for part in raw.split(",") if part.strip()]
        if self.batch_limit and len(refs) > self.batch_limit:
            return error_reply(400, BAD_REQUEST)
        seen: set[int] = set()
        items = []
        for ref in refs:
            object_id = collections.parse_ref(kind, ref)
            if object_id is None or object_id in seen:
                continue
            seen.add(object_id)
            try:
                if kind == "users":
                    items.append(self.shapes.user(self.catalog.user(object_id)))
                    continue
                track = self.catalog.track(object_id)
            except KeyError:
                continue
            if track.get("sharing") != "private":
                items.append(self.shapes.track(track))
        if "linked_partitioning" not in query:
            return json_reply(200, items, cache=COLLECTION_CACHE)
        return json_reply(200, {"collection": items, "next_href": None}, cache=COLLECTION_CACHE)

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
        """``GET /resolve?url=``: 302 to the API URL of a soundcloud.com user, track or playlist.

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
        """Find what a soundcloud.com URL names: user, track, ``/sets/`` playlist.

        The host must be exactly ``soundcloud.com`` (API-NOTES §2: the resolver's
        ``ResourceURLs``; ``www.``/``m.`` are for the client to normalise, 404 here). A
        private track or playlist needs its
        secret token, as the last path part (``/s-XXXX``) or ``?secret_token=``; the
        ``Location`` then carries ``secret_token``.
        """
        split = urlsplit(url.strip())
        if split.scheme.lower() not in ("http", "https") or split.hostname != "soundcloud.com":
            return None
        parts = [unquote(part) for part in split.path.split("/") if part]
        kept = [(k, v) for k, v in parse_qsl(split.query) if k in ("client_id", "secret_token")]
        token = dict(kept).get("secret_token")
        if parts and len(parts) >= 3 and parts[-1].startswith("s-"):
            token = parts.pop()
            kept = [(k, v) for k, v in kept if k != "secret_token"] + [("secret_token", token)]
        parts = [part.lower() for part in parts]
        if not parts or len(parts) > 3 or parts[0].isdigit() or parts[0].startswith("soundcloud:"):
            return None  # a permalink, never an id
        world = self.catalog.world
        try:
            user = self.catalog.user(parts[0])
            if len(parts) == 1:
                return "users", user["id"], kept
            if parts[1] == "sets" and len(parts) == 3:
                found = next(
                    (p for p in world.playlists(user["id"]) if p["permalink"] == parts[2]), None
                )
                kind = "playlists"
            elif len(parts) == 2:
                found = self.catalog.shelf(user["id"]).by_permalink.get(parts[1])
                kind = "tracks"
            else:
                return None
        except KeyError:  # unknown, or deleted meanwhile
            return None
        if found is None:
            return None
        if found.get("sharing") == "private" and token != world.secret_token(found["id"]):
            return None
        return kind, found["id"], kept
