"""Search: ``GET /tracks``, ``/users`` and ``/playlists`` without ``urns``/``ids``.

As API-NOTES-2 §2.10 and §1.9 describe the real endpoints:

- **Filters.** Tracks: ``q``, ``genres`` and ``tags`` (comma lists; a track matches one of
  them, case-insensitively; tags are the user tags of ``tag_list``), ``bpm[from]``/``bpm[to]``,
  ``duration[from]``/``duration[to]`` (milliseconds), ``created_at[from]``/``created_at[to]``
  (``yyyy-mm-dd hh:mm:ss`` UTC, inclusive; any other form is a 400, as in #495), ``access``
  (default ``playable,preview``). Users: ``q``. Playlists: ``q``, ``access``, ``show_tracks``
  (tracks are left out unless ``true``). No ``q`` means every item (the historic ``q=*``).
- **Ranking.** By popularity: plays for tracks (tag search is the "popular tracks tagged
  with" list, #374), followers for users, likes for playlists; with ``q``, items whose title
  (username) holds every word of ``q`` come first.
- **Paging** by ``offset`` inside ``next_href`` (the query echoed, sorted; ``limit`` 1-200,
  default 50); the object shape only with ``linked_partitioning``. A page is cut from the
  ranked list **before** private (and ``access``-filtered) items are dropped, so pages are
  short or empty while ``next_href`` goes on (§1.9).
- **Depth limit.** Nothing is served from ranked position :data:`DEPTH` (1,000) on: the page at
  ``offset=1000`` is empty and still links to the next one (#505,
  ``samples/issue505_search_empty_page_with_next_href_2026.json``), up to the end of the list.
  ``router.search_depth``, when set, replaces it.

The index is built once per catalogue state (generating every user's tracks: ~5 s for the
default 110,000-track catalogue, well under a second with ``artists=0``), and each query's
ranked list is memoised, so paging costs a slice.

**The lo-fi shelves.** So that some queries exceed the depth limit, the first search adds
:data:`LOFI_USERS` to the catalogue (through ``Catalog.add_user``): eight ``lofi-archive-NN``
users with 300 tracks each spread over 2024-2025, and ``lofi-marathon`` with 1,200 tracks
uploaded between 2025-03-01 and 2025-03-11. Every one carries the tag ``lofi``; about 3% are
private. :func:`add_lofi_shelves` adds them on demand (tests compute expectations from it).
"""

from __future__ import annotations

import bisect
import dataclasses
import random
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import paging
from .catalog import Catalog
from .formats import parse_sc_time, sc_time, utc
from .generate import UserSpec, build_tracks, build_user
from .replies import COLLECTION_CACHE, Reply, error_reply, json_reply

if TYPE_CHECKING:
    from .routes import ApiRequest, Router

__all__ = ["DEPTH", "LOFI_USERS", "add_lofi_shelves", "answer", "matching"]

#: Ranked positions served: the page at ``offset=1000`` is empty (#505).
DEPTH = 1000
BAD_REQUEST = "400 - Bad Request"
_API_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_TAG = re.compile(r'"([^"]*)"|(\S+)')
_PAGING = ("offset", "limit", "page_size")
_MEMO_SIZE = 256

# -- the lo-fi shelves ----------------------------------------------------------------------
LOFI_START, LOFI_END = utc(2024, 1, 1), utc(2025, 12, 31, 23, 59, 59)
MARATHON_START, MARATHON_END = utc(2025, 3, 1), utc(2025, 3, 11)
#: ``(permalink, user id, tracks, first upload, last upload, popularity)``
LOFI_USERS: tuple[tuple[str, int, int, int, int, float], ...] = (
    *(
        (f"lofi-archive-{k:02d}", 610_000_000 + k, 300, LOFI_START, LOFI_END, 0.5 + k / 2)
        for k in range(1, 9)
    ),
    ("lofi-marathon", 610_000_100, 1_200, MARATHON_START, MARATHON_END, 0.3),
)
_LOFI_GENRES = ("Lo-Fi", "Lo-Fi", "Hip-hop & Rap", "Ambient", "Jazz & Blues", "", None)
_added: weakref.WeakSet[Catalog] = weakref.WeakSet()
_added_lock = threading.Lock()


def add_lofi_shelves(catalog: Catalog) -> None:
    """Add the :data:`LOFI_USERS` and their tracks to ``catalog`` (once; later calls do nothing).

    Examples
    --------
    >>> catalog = Catalog(artists=0)
    >>> add_lofi_shelves(catalog)
    >>> len(catalog.tracks("lofi-marathon")), "lofi" in catalog.tracks("lofi-archive-01")[0]["tag_list"]
    (1200, True)
    """  # noqa: E501
    with _added_lock:
        if catalog in _added:
            return
        _added.add(catalog)
        taken = {user.get("permalink") for user in catalog.users()}
        for k, (permalink, uid, n, start, end, popularity) in enumerate(LOFI_USERS):
            if permalink in taken:
                continue
            spec = UserSpec(permalink, uid, n, 5_200_000_000 + k * 10_000_000, 10_000_000,
                            joined=utc(2023, 6, 1) + k * 86_400, popularity=popularity)  # fmt: skip
            user = build_user(spec)
            rng = random.Random(f"scdata.sandbox.search:{permalink}")
            times = sorted(rng.randrange(start, end + 1) for _ in range(n))
            tracks = []
            for (_, _, track), created in zip(build_tracks(spec, user), times, strict=True):
                tags = track["tag_list"].strip()
                if "lofi" not in _user_tags(tags):
                    tags = f"{tags} lofi".strip()
                track.update(
                    created_at=sc_time(created),
                    tag_list=tags,
                    genre=rng.choice(_LOFI_GENRES),
                    bpm=round(rng.uniform(60, 95), 1) if rng.random() < 0.6 else None,
                    sharing="private" if rng.random() < 0.03 else "public",
                )
                tracks.append(track)
            catalog.add_user(user, tracks)


# -- the index --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class _Track:
    created: int
    plays: int
    track_id: int
    genre: str
    tags: frozenset[str]
    bpm: float | None
    duration: int | None
    title: str
    text: str
    track: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Criteria:
    """One search, parsed from its query (``ValueError`` for a value the API refuses).

    Examples
    --------
    >>> c = Criteria.parse("tracks", {"tags": "LoFi, chill", "created_at[from]": "2025-01-01 00:00:00"})
    >>> sorted(c.tags), c.created
    (['chill', 'lofi'], (1735689600, None))
    """  # noqa: E501

    kind: str
    q: tuple[str, ...] = ()
    genres: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    bpm: tuple[float | None, float | None] = (None, None)
    duration: tuple[int | None, int | None] = (None, None)
    created: tuple[int | None, int | None] = (None, None)

    @classmethod
    def parse(cls, kind: str, query: Mapping[str, str]) -> Criteria:
        words = tuple(query.get("q", "").lower().replace("*", " ").split())
        if kind != "tracks":
            return cls(kind, words)
        return cls(
            kind,
            words,
            _comma_set(query.get("genres")),
            _comma_set(query.get("tags")),
            (_number(query, "bpm[from]", float), _number(query, "bpm[to]", float)),
            (_number(query, "duration[from]", int), _number(query, "duration[to]", int)),
            (_time(query.get("created_at[from]")), _time(query.get("created_at[to]"))),
        )


def _comma_set(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def _number(query: Mapping[str, str], name: str, kind: Callable[[str], Any]) -> Any:
    raw = query.get(name, "").strip()
    return kind(raw) if raw else None  # ValueError: a 400


def _time(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    match = _API_TIME.fullmatch(raw.strip())
    if match is None:
        raise ValueError(f"created_at must be yyyy-mm-dd hh:mm:ss, got {raw!r}")
    return utc(*(int(part) for part in match.groups()))


def _user_tags(tag_list: object) -> set[str]:
    if not isinstance(tag_list, str):
        return set()
    tags = (quoted or bare for quoted, bare in _TAG.findall(tag_list))
    return {tag.lower() for tag in tags if tag and not ("=" in tag and ":" in tag)}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _Index:
    """Every user, track and playlist of one catalogue state, and the memoised queries."""

    def __init__(self, catalog: Catalog, users: list[dict[str, Any]]) -> None:
        entries = []
        for user in users:
            try:
                tracks = catalog.tracks(user["id"])
            except KeyError:
                continue
            name = str(user.get("username") or "").lower()
            for track in tracks:
                try:
                    created = parse_sc_time(track.get("created_at", ""))
                except ValueError:
                    continue
                tag_list = track.get("tag_list") or ""
                title = str(track.get("title") or "").lower()
                genre = str(track.get("genre") or "").lower()
                bpm = track.get("bpm")
                duration = track.get("duration")
                entries.append(
                    _Track(
                        created,
                        _int(track.get("playback_count")),
                        _int(track.get("id")),
                        genre,
                        frozenset(_user_tags(tag_list)),
                        float(bpm) if isinstance(bpm, int | float) else None,
                        duration if isinstance(duration, int) else None,
                        title,
                        f"{title} {name} {str(tag_list).lower()} {genre}",
                        track,
                    )
                )
        entries.sort(key=lambda e: (e.created, e.track_id))
        self.tracks = entries
        self.created = [e.created for e in entries]
        self.users = users
        self.playlists = _catalog_playlists(catalog, users)
        self.memo: OrderedDict[Criteria, list[dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()

    def search(self, criteria: Criteria) -> list[dict[str, Any]]:
        with self.lock:
            found = self.memo.get(criteria)
            if found is not None:
                self.memo.move_to_end(criteria)
                return found
        found = self._search(criteria)
        with self.lock:
            self.memo[criteria] = found
            while len(self.memo) > _MEMO_SIZE:
                self.memo.popitem(last=False)
        return found

    def _search(self, c: Criteria) -> list[dict[str, Any]]:
        if c.kind == "users":
            return _ranked(self.users, c.q, _user_text, _user_title, "followers_count")
        if c.kind == "playlists":
            return _ranked(self.playlists, c.q, _playlist_text, _playlist_title, "likes_count")
        low, high = c.created
        start = 0 if low is None else bisect.bisect_left(self.created, low)
        stop = len(self.created) if high is None else bisect.bisect_right(self.created, high)
        hits = []
        for e in self.tracks[start:stop]:
            if c.genres and e.genre not in c.genres:
                continue
            if c.tags and c.tags.isdisjoint(e.tags):
                continue
            if not _within(e.bpm, c.bpm) or not _within(e.duration, c.duration):
                continue
            if c.q and not all(word in e.text for word in c.q):
                continue
            tier = 0 if not c.q or all(word in e.title for word in c.q) else 1
            hits.append((tier, -e.plays, -e.track_id, e.track))
        hits.sort(key=lambda hit: hit[:3])
        return [hit[3] for hit in hits]


def _within(value: float | None, bounds: tuple[Any, Any]) -> bool:
    low, high = bounds
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _user_title(user: dict[str, Any]) -> str:
    return str(user.get("username") or "").lower()


def _user_text(user: dict[str, Any]) -> str:
    fields = ("username", "permalink", "full_name", "city")
    return " ".join(str(user.get(key) or "") for key in fields).lower()


def _playlist_title(playlist: dict[str, Any]) -> str:
    return str(playlist.get("title") or "").lower()


def _playlist_text(playlist: dict[str, Any]) -> str:
    user = playlist.get("user") if isinstance(playlist.get("user"), dict) else {}
    parts = (playlist.get("title"), playlist.get("tag_list"), playlist.get("genre"),
             (user or {}).get("username"))  # fmt: skip
    return " ".join(str(part or "") for part in parts).lower()


def _ranked(
    items: Iterable[dict[str, Any]], words: tuple[str, ...], text: Callable[[dict[str, Any]], str],
    title: Callable[[dict[str, Any]], str], popularity: str,
) -> list[dict[str, Any]]:  # fmt: skip
    hits = []
    for item in items:
        if words and not all(word in text(item) for word in words):
            continue
        tier = 0 if not words or all(word in title(item) for word in words) else 1
        hits.append((tier, -_int(item.get(popularity)), -_int(item.get("id")), item))
    hits.sort(key=lambda hit: hit[:3])
    return [hit[3] for hit in hits]


def _catalog_playlists(catalog: Catalog, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalogue's playlists, whichever way it lists them (none in older catalogues)."""
    lister = getattr(catalog, "playlists", None)
    if not callable(lister):
        return []
    try:
        found = lister()
    except TypeError:  # per user
        found = []
        for user in users:
            try:
                found.extend(lister(user["id"]))
            except KeyError:
                continue
    return [p for p in found if isinstance(p, dict)]


_indexes: weakref.WeakKeyDictionary[Catalog, tuple[tuple[Any, ...], _Index]] = (
    weakref.WeakKeyDictionary()
)
_index_lock = threading.Lock()


def _state(catalog: Catalog, users: list[dict[str, Any]]) -> tuple[Any, ...]:
    """What identifies the catalogue's contents: users and their (replaced on change) shelves."""
    state = []
    for user in users:
        try:
            state.append((user["id"], id(catalog.shelf(user["id"]))))
        except KeyError:
            continue
    return tuple(state)


def index_of(catalog: Catalog) -> _Index:
    """The catalogue's search index, rebuilt only when users or tracks changed."""
    users = catalog.users()
    state = _state(catalog, users)
    with _index_lock:
        known = _indexes.get(catalog)
        if known is not None and known[0] == state:
            return known[1]
        index = _Index(catalog, users)
        _indexes[catalog] = (state, index)
        return index


def matching(catalog: Catalog, kind: str, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every item a search matches, in rank order, hidden ones included (no paging, no depth).

    Examples
    --------
    >>> catalog = Catalog(artists=0)
    >>> add_lofi_shelves(catalog)
    >>> hits = matching(catalog, "tracks", {"tags": "lofi", "q": "", "genres": "lo-fi"})
    >>> all(t["genre"] == "Lo-Fi" for t in hits), len(hits) > 1000
    (True, True)
    """
    return index_of(catalog).search(Criteria.parse(kind, query))


# -- the endpoint -----------------------------------------------------------------------------
def answer(router: Router, kind: str, request: ApiRequest) -> Reply:
    """The reply to a search request on ``/{kind}`` (``tracks``, ``users`` or ``playlists``)."""
    query = request.query
    add_lofi_shelves(router.catalog)
    try:
        criteria = Criteria.parse(kind, query)
        offset = int(query.get("offset") or 0)
    except ValueError:
        return error_reply(400, BAD_REQUEST)
    if offset < 0:
        return error_reply(400, BAD_REQUEST)
    size = paging.page_size(query)
    hits = index_of(router.catalog).search(criteria)
    depth = getattr(router, "search_depth", DEPTH)
    served = hits[offset : min(offset + size, depth)] if offset < depth else []
    items = _shown(router, kind, served, query)
    if "linked_partitioning" not in query:
        return json_reply(200, items, cache=COLLECTION_CACHE)
    href = None
    if offset + size < len(hits):
        params = {k: v for k, v in query.items() if k not in _PAGING}
        params.update(offset=str(offset + size), limit=str(size))
        href = f"{router.base_url()}{request.raw_path}?{urlencode(sorted(params.items()))}"
    return json_reply(200, {"collection": items, "next_href": href}, cache=COLLECTION_CACHE)


def _shown(
    router: Router, kind: str, served: list[dict[str, Any]], query: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The page as sent: private (and, for tracks, ``access``-filtered) items dropped."""
    public = [item for item in served if item.get("sharing") != "private"]
    shapes = router.shapes
    if kind == "users":
        return [shapes.user(user) for user in public]
    if kind == "tracks":
        allowed = paging.access_filter(query.get("access"))
        return shapes.tracks(t for t in public if (t.get("access") or "playable") in allowed)
    show = getattr(shapes, "playlist", None)
    shown = [show(p) if callable(show) else dict(p) for p in public]
    if query.get("show_tracks", "").lower() != "true":
        for playlist in shown:
            playlist.pop("tracks", None)
    return shown
