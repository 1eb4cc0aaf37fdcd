"""Collection routes of the emulated API: how each one pages, filters and shows its items.

Paging styles (``../shared/soundcloud-api/API-NOTES-2.md`` §2.0, §2.11):

- ``cursor`` (CUR-LP): a numeric cursor in ``next_href``; ``{"collection", "next_href"}``
  only when ``linked_partitioning`` is present, else a bare array of the page.
- ``cursor-object`` (CUR-obj): ``cursor=...&page_size=N`` in ``next_href``, always the
  object shape.
- ``offset`` (OFF): ``offset`` and ``limit`` inside ``next_href`` (the query echoed); object
  only with ``linked_partitioning``. Comments' last page omits the ``next_href`` key.
- ``array`` (ARR): a bare JSON array, no paging.

``limit`` (alias ``page_size``) is 1-200, default 50 (comments 200). Pages are cut before
filtering (§1.9): private, deleted and not-asked-for ``access`` items take their slots, so
pages can be short or empty while ``next_href`` continues. A cursor encodes the position
of the page's last slot as a millisecond-like number. Unknown owners (§1.11): where
``api.yaml`` lists a 404 the answer is 404, elsewhere per ``unknown_owner``.

Adding a collection: a :class:`Route` in :data:`ROUTES` (path pattern, owner kind, paging,
item kind, whether ``api.yaml`` lists a 404) and a source function ``World -> Chain``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import paging
from .replies import COLLECTION_CACHE, Reply, error_reply, json_reply
from .world import Chain, mix

if TYPE_CHECKING:
    from .routes import ApiRequest, Router

__all__ = [
    "COMMENTS_CACHE",
    "ROUTES",
    "Route",
    "decode_cursor",
    "encode_cursor",
    "show_comment",
    "show_playlist",
]

COMMENTS_CACHE = "max-age=600, must-revalidate"
_DEFAULT_LIMIT = paging.DEFAULT_LIMIT
_CURSOR_END = 1_782_000_000_000  # ms, after the catalogue's end
_STEP = 60_000
_REF = re.compile(r"(?:soundcloud:(users|tracks|playlists):)?(\d{1,18})")


def encode_cursor(position: int) -> str:
    """Return the numeric cursor of the slot at ``position`` (13 digits, like a ms time).

    Examples
    --------
    >>> len(encode_cursor(0)), decode_cursor(encode_cursor(12345))
    (13, 12346)
    """
    return str(_CURSOR_END - (position + 1) * _STEP - mix(position) % _STEP)


def decode_cursor(raw: str | None) -> int:
    """Return the position after the slot a cursor names (0 without a cursor).

    Raises
    ------
    ValueError
        If the cursor is not one this emulator wrote.
    """
    if raw is None or raw in ("", "0"):
        return 0
    if not raw.isdigit() or int(raw) > _CURSOR_END:
        raise ValueError(f"malformed cursor {raw!r}")
    return (_CURSOR_END - int(raw)) // _STEP


@dataclasses.dataclass(frozen=True)
class Route:
    """One collection endpoint.

    Parameters
    ----------
    owner
        ``"users"``, ``"tracks"`` or ``"playlists"``.
    name
        Path after the owner ref, e.g. ``"likes/tracks"``.
    paging
        ``"cursor"``, ``"cursor-object"``, ``"offset"`` or ``"array"``.
    item
        ``"tracks"``, ``"users"``, ``"playlists"``, ``"comments"`` or ``"web_profiles"``.
    spec_404
        ``api.yaml`` lists a 404 for an unknown owner.
    source
        ``(router, owner object) -> Chain | list | None`` of item refs (``None``: 404).
    default_limit
        Page size without ``limit``.
    """

    owner: str
    name: str
    paging: str
    item: str
    spec_404: bool
    source: Callable[[Router, dict[str, Any]], Sequence[Any] | Chain | None]
    default_limit: int = _DEFAULT_LIMIT


def _w(router: Router) -> Any:
    return router.catalog.world


ROUTES: dict[tuple[str, str], Route] = {
    (r.owner, r.name): r
    for r in (
        Route("users", "playlists", "cursor", "playlists", False,
              lambda r, u: [p["id"] for p in _w(r).playlists(u["id"])]),
        Route("users", "likes/tracks", "cursor", "tracks", True,
              lambda r, u: _w(r).likes_tracks(u["id"])),
        Route("users", "likes/playlists", "cursor", "playlists", True,
              lambda r, u: _w(r).likes_playlists(u["id"])),
        Route("users", "reposts/tracks", "cursor", "tracks", True,
              lambda r, u: _w(r).reposts_tracks(u["id"])),
        Route("users", "reposts/playlists", "cursor", "playlists", True,
              lambda r, u: _w(r).reposts_playlists(u["id"])),
        Route("users", "followers", "cursor-object", "users", False,
              lambda r, u: _w(r).followers(u["id"])),
        Route("users", "followings", "cursor-object", "users", False,
              lambda r, u: _w(r).followings(u["id"])),
        Route("users", "related", "offset", "users", True,
              lambda r, u: _w(r).related_artists(u["id"])),
        Route("users", "web-profiles", "array", "web_profiles", False,
              lambda r, u: _w(r).web_profiles(u["id"])),
        Route("tracks", "favoriters", "cursor", "users", True,
              lambda r, t: _w(r).favoriters(t)),
        Route("tracks", "reposters", "cursor-object", "users", True,
              lambda r, t: _w(r).track_reposters(t)),
        Route("tracks", "comments", "offset", "comments", True,
              lambda r, t: _w(r).comments(t), default_limit=200),
        Route("tracks", "related", "offset", "tracks", True,
              lambda r, t: _w(r).related_tracks(t)),
        Route("playlists", "tracks", "offset", "tracks", False,
              lambda r, p: p["_slots"]),
        Route("playlists", "reposters", "cursor-object", "users", True,
              lambda r, p: _w(r).playlist_reposters(p["id"])),
    )
}  # fmt: skip
#: Query parameters never echoed into a ``next_href``.
_DROPPED = ("limit", "page_size", "client_id", "cursor", "offset")


def parse_ref(kind: str, ref: str) -> int | None:
    """Return the id in a path ref (id, URN of ``kind``), ``None`` if malformed.

    Examples
    --------
    >>> parse_ref("users", "soundcloud:users:5"), parse_ref("users", "soundcloud:tracks:5")
    (5, None)
    """
    match = _REF.fullmatch(ref)
    if match is None or match.group(1) not in (None, kind):
        return None
    return int(match.group(2))


def owner_object(router: Router, kind: str, object_id: int, query: Mapping[str, str]) -> Any:
    """Return the owner of a collection (``KeyError`` if unknown or not visible)."""
    catalog = router.catalog
    if kind == "users":
        return catalog.user(object_id)
    if kind == "tracks":
        track = catalog.track(object_id)
        if track.get("sharing") == "private" and query.get(
            "secret_token"
        ) != catalog.world.secret_token(object_id):
            raise KeyError(object_id)
        return track
    playlist = catalog.world.playlist(object_id)
    if playlist.get("sharing") == "private" and query.get(
        "secret_token"
    ) != catalog.world.secret_token(object_id):
        raise KeyError(object_id)
    return playlist


def empty_reply(route_paging: str, query: Mapping[str, str]) -> Reply:
    """The answer for an unknown owner where the API answers 200 (§1.11)."""
    if route_paging == "array" or (
        route_paging != "cursor-object" and "linked_partitioning" not in query
    ):
        return json_reply(200, [], cache=COLLECTION_CACHE)
    return json_reply(200, {"collection": [], "next_href": None}, cache=COLLECTION_CACHE)


def answer(router: Router, request: ApiRequest, route: Route, ref: str) -> Reply:
    """Answer ``GET /{owner}/{ref}/{name}``."""
    query = request.query
    object_id = parse_ref(route.owner, ref)
    if object_id is None:
        return error_reply(400, "400 - Bad Request")
    try:
        owner = owner_object(router, route.owner, object_id, query)
    except KeyError:
        if route.spec_404 or router.shapes.unknown_owner == "404":
            return error_reply(404, "404 - Not Found")
        return empty_reply(route.paging, query)
    source = route.source(router, owner)
    if source is None:
        return error_reply(404, "404 - Not Found")
    size = _limit(query, route.default_limit)
    if route.paging == "array":
        listed = source.cut(0, len(source)) if isinstance(source, Chain) else list(source)
        items = listed[:size] if "limit" in query else listed
        return json_reply(200, items, cache=COLLECTION_CACHE)
    try:
        if route.paging == "offset":
            start = _offset(query.get("offset"))
        else:
            start = decode_cursor(query.get("cursor"))
    except ValueError:
        return error_reply(400, "400 - Bad Request")
    chain = source if isinstance(source, Chain) else Chain([source])
    stop = start + size
    slots = chain.cut(start, stop)
    items = show_items(router, route.item, slots, query)
    more = stop < len(chain)
    cache = COMMENTS_CACHE if route.item == "comments" else COLLECTION_CACHE
    linked = "linked_partitioning" in query
    if route.paging != "cursor-object" and not linked:
        return json_reply(200, items, cache=cache)
    base = router.base_url() + request.raw_path
    href = None
    if more and route.paging == "offset":
        params = {k: v for k, v in query.items() if k not in _DROPPED}
        params.update(limit=str(size), offset=str(stop))
        href = f"{base}?{urlencode(sorted(params.items()))}"
    elif more:
        params = {k: v for k, v in query.items() if k not in _DROPPED}
        params.update(cursor=encode_cursor(stop - 1), page_size=str(size))
        href = f"{base}?{urlencode(sorted(params.items()))}"
    if router.faults.take(("repeat_next_href",), (request.raw_path, request.path)):
        href = router.base_url() + request.target
    if href is None and route.item == "comments":
        return json_reply(200, {"collection": items}, cache=cache)
    return json_reply(200, {"collection": items, "next_href": href}, cache=cache)


def _limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit", query.get("page_size"))
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        return default
    return default if size < 1 else min(size, paging.MAX_LIMIT)


def _offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


# -- showing items -----------------------------------------------------------------------------
def show_items(
    router: Router, item: str, slots: list[Any], query: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Turn the refs of a page's slots into served objects, dropping invisible ones."""
    catalog = router.catalog
    shapes = router.shapes
    if item == "users":
        users = []
        for uid in slots:
            try:
                users.append(shapes.user(catalog.user(uid)))
            except KeyError:
                continue  # deleted: the slot stays empty
        return users
    if item == "tracks":
        allowed = paging.access_filter(query.get("access"))
        tracks = []
        for ref in slots:
            track = ref if isinstance(ref, dict) else _track_or_none(router, ref)
            if track is None or track.get("sharing") == "private":
                continue
            if (track.get("access") or "playable") in allowed:
                tracks.append(track)
        return shapes.tracks(tracks)
    if item == "playlists":
        shown = []
        for ref in slots:
            try:
                playlist = catalog.world.playlist(ref)
            except KeyError:
                continue
            if playlist.get("sharing") != "private":
                shown.append(show_playlist(router, playlist, query))
        return shown
    if item == "comments":
        comments = []
        for comment in slots:
            shown_comment = show_comment(router, comment)
            if shown_comment is not None:
                comments.append(shown_comment)
        return comments
    return list(slots)


def _track_or_none(router: Router, track_id: int) -> dict[str, Any] | None:
    try:
        return router.catalog.track(track_id)
    except KeyError:
        return None


def show_playlist(
    router: Router, playlist: dict[str, Any], query: Mapping[str, str]
) -> dict[str, Any]:
    """A playlist as served: embedded user, ``likes_count``, ``tracks`` per ``show_tracks``.

    ``show_tracks`` defaults to true; false sends ``tracks: []``. The embedded tracks skip
    deleted and private ones and those outside ``access`` (so fewer than ``track_count``).
    """
    world = router.catalog.world
    shown = {key: value for key, value in playlist.items() if key != "_slots"}
    shown["user"] = router.shapes.embedded(playlist["user"])
    shown["likes_count"] = len(world.playlist_likers(playlist["id"]))
    if str(query.get("show_tracks", "true")).lower() in ("false", "0", "no"):
        shown["tracks"] = []
    else:
        shown["tracks"] = show_items(router, "tracks", playlist["_slots"], query)
    return shown


#: Keys of ``Comment.user`` (``api.yaml``) plus ``id``; counts per ``embedded_users``.
COMMENT_USER_KEYS = ("id", "urn", "kind", "permalink", "username", "last_modified", "uri",
                     "permalink_url", "avatar_url", "followers_count", "followings_count",
                     "reposts_count", "public_favorites_count")  # fmt: skip
_COMMENT_COUNTS = ("followers_count", "followings_count", "reposts_count", "public_favorites_count")


def show_comment(router: Router, comment: dict[str, Any]) -> dict[str, Any] | None:
    """A comment as served (spec order plus ids); ``None`` if its author is gone."""
    try:
        author = router.catalog.user(comment["user_id"])
    except KeyError:
        return None
    shown_user = router.shapes.user(author)
    mode = router.shapes.embedded_users
    user = {key: shown_user.get(key) for key in COMMENT_USER_KEYS}
    if mode == "zeroed":
        user.update(dict.fromkeys(_COMMENT_COUNTS, 0))
    elif mode == "compact":
        for key in _COMMENT_COUNTS:
            user.pop(key)
    return {
        "kind": "comment",
        "id": comment["id"],
        "body": comment["body"],
        "created_at": comment["created_at"],
        "urn": comment["urn"],
        "user_urn": comment["user_urn"],
        "timestamp": comment["timestamp"],
        "track_urn": comment["track_urn"],
        "track_id": comment["track_id"],
        "user_id": comment["user_id"],
        "uri": f"https://api.soundcloud.com/comments/{comment['urn']}",
        "user": user,
    }
