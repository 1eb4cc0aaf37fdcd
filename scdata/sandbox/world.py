"""The social side of the sandbox's world: fans, follows, likes, reposts, playlists, comments.

Everything is derived from the catalogue's user specs and a fixed hash, generated on first
use and memoised, so a :class:`World` costs nothing until a social route is asked.

**Fans.** Besides the named users of the catalogue there is a pool of synthetic *fans*
(``user-<id>``, ids ``FAN_BASE + n``). A fan is a function of its number: its User
object is built when asked (``/users/{urn}``, batch lookups, follower pages), never
stored, and its counts are computed in O(1) from the layout below.

**Follows.** Named users follow a few other named users (explicit edges, both
directions stored). Each named user *u* is followed by a contiguous *zone* of fans
(``followers_count`` minus its named followers), laid out one after the other in the
pool (``jowymusic`` and ``big-catalog`` overlap on purpose); *u* follows a contiguous
range of fans (``followings_count`` minus its named followings). Fans follow fans by a
fixed tree: fan ``j`` with ``j % 10 == 0`` is followed by fans ``j+1 .. j+c(j)`` with
``c`` in 1-9 (``j % 100 == 0``: 10-99, ``% 1000``: 100-999, ``% 10000``: 1,000-9,999), so
a fan's follower and following counts are computed by looking at four candidates.

**Likes and reposts.** A named user likes and reposts tracks and playlists of the small
built-in users (``social_counts`` of its spec says how many); the first followers of a
zone are its owner's super-fans: the fan at position ``p`` of *u*'s zone likes every
track of *u* whose fan window (``favoritings_count`` minus its named likers, at most the
zone) is larger than ``p`` (reposts the same way with ``reposts_count``). So a track's
favoriters are its named likers then the first fans of its owner's zone, and a fan's
likes are exactly the tracks whose favoriters list it.

**Playlists** of a named user: ``playlist_count`` of them, about one in seven private
(with a secret token), albums among them, tracks taken from the owner's tracks (or
jowymusic's), some slots holding deleted or private tracks (so ``track_count`` is larger
than the tracks listed, #449). **Comments** per track (``comment_count`` of them, by
fans and named users, ``timestamp`` in ms inside the track or null), **related** tracks
and artists, **web profiles**.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import random
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import names
from .formats import parse_sc_time, sc_time, utc
from .generate import CATALOG_END, social_counts

EPOCH = CATALOG_END

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = [
    "FAN_BASE",
    "FOLLOWINGS_CAP",
    "PLAYLIST_BASE",
    "Chain",
    "RevSpan",
    "Span",
    "World",
    "mix",
]

#: First fan id (fan ``n`` has id ``FAN_BASE + n``).
FAN_BASE = 1_600_000_000
#: Smallest fan pool (more when the named users' zones need it).
MIN_FAN_POOL = 250_000
#: Playlist ids: ``PLAYLIST_BASE + 100 * (index of the owner's spec) + k``.
PLAYLIST_BASE = 900_000_000
#: Track ids of deleted tracks still taking a playlist slot (no shelf holds them).
DELETED_TRACK_BASE = 9_000_000_000
#: Followings listed per user at most (API-NOTES-2 §2.6).
FOLLOWINGS_CAP = 2_000
#: Users whose tracks and playlists named users like and repost.
HIT_USERS = ("jowymusic", "bjork-unicode", "urn-era-artist", "geo-blocked", "private-first")
_ZONE_STARTS = {"jowymusic": 0, "big-catalog": 100_000}
_FIRST_FREE_ZONE = 150_000
_FAN_LEVELS = ((10_000, 1_000, 9_999), (1_000, 100, 999), (100, 10, 99), (10, 1, 9))
_MASK = (1 << 64) - 1
_FAN_EPOCH = utc(2009, 1, 1)
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SERVICES = ("instagram", "twitter", "youtube", "facebook", "bandcamp", "spotify", "personal")
_COMMENTS = ("🔥🔥🔥", "love this", "what a drop", "ID?", "tune!", "this part 😍", "classic",
             "on repeat", "need this on vinyl", "the bassline...", "wow", "beautiful", "banger",
             "track id please", "goosebumps", "perfect for the morning")  # fmt: skip


def mix(*parts: int) -> int:
    """Return a 64-bit hash of integers (splitmix64 chain), the same on every run.

    Examples
    --------
    >>> mix(1, 2) == mix(1, 2) != mix(2, 1)
    True
    """
    h = 0x9E3779B97F4A7C15
    for part in parts:
        h = (h ^ (part & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK
        h ^= h >> 29
    return h


@dataclasses.dataclass(frozen=True)
class Span:
    """The integers ``start .. start + n - 1``, a sequence that is never materialised.

    Examples
    --------
    >>> list(Span(10, 3)), len(Span(10, 0))
    ([10, 11, 12], 0)
    """

    start: int
    n: int

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.start + self.n))

    def cut(self, a: int, b: int) -> list[int]:
        """Items ``a`` to ``b - 1``."""
        a, b = max(0, a), min(self.n, b)
        return list(range(self.start + a, self.start + b)) if a < b else []


@dataclasses.dataclass(frozen=True)
class RevSpan:
    """The integers ``start + n - 1`` down to ``start`` (newest first), never materialised.

    Examples
    --------
    >>> RevSpan(10, 3).cut(0, 5), len(RevSpan(10, 0))
    ([12, 11, 10], 0)
    """

    start: int
    n: int

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start + self.n - 1, self.start - 1, -1))

    def cut(self, a: int, b: int) -> list[int]:
        """Items ``a`` to ``b - 1``."""
        a, b = max(0, a), min(self.n, b)
        top = self.start + self.n - 1
        return list(range(top - a, top - b, -1)) if a < b else []


class Chain:
    """Lists and :class:`Span` s one after the other; ``cut(a, b)`` slices without copying all.

    Examples
    --------
    >>> chain = Chain([[1, 2], Span(100, 5)])
    >>> len(chain), chain.cut(1, 4)
    (7, [2, 100, 101])
    """

    def __init__(self, parts: Sequence[Sequence[Any] | Span | RevSpan]) -> None:
        self.parts = [part for part in parts if len(part)]
        self.length = sum(len(part) for part in self.parts)

    def __len__(self) -> int:
        return self.length

    def cut(self, a: int, b: int) -> list[Any]:
        """Items ``a`` to ``b - 1``."""
        out: list[Any] = []
        offset = 0
        for part in self.parts:
            n = len(part)
            if b <= offset:
                break
            if a < offset + n:
                lo, hi = max(a - offset, 0), min(b - offset, n)
                if isinstance(part, Span | RevSpan):
                    out += part.cut(lo, hi)
                else:
                    out += list(part[lo:hi])
            offset += n
        return out


@dataclasses.dataclass
class _Graph:
    """Everything about named users that needs all of them (built once)."""

    followees: dict[int, list[int]]
    followers: dict[int, list[int]]
    zones: dict[int, tuple[int, int]]  # uid -> (first fan n, fans) following uid
    outs: dict[int, tuple[int, int]]  # uid -> (first fan n, fans) uid follows
    pool: int
    bounds: list[int]  # stabbing index over zones and outs
    cover: list[tuple[tuple[str, int, int], ...]]  # per segment: ("in"|"out", uid, start)


class World:
    """The social world over a :class:`~scdata.sandbox.catalog.Catalog` (see module doc).

    Parameters
    ----------
    catalog
        The named users and their tracks.

    Examples
    --------
    >>> from .catalog import Catalog
    >>> world = Catalog(artists=0).world
    >>> world.is_fan(FAN_BASE + 5), len(world.followers(52461337))
    (True, 123456)
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.RLock()
        self._graph: _Graph | None = None
        self._likes: dict[str, Any] | None = None
        self._playlists: dict[int, list[dict[str, Any]]] = {}
        self._windows: dict[tuple[int, str, int], tuple[list[int], list[int]]] = {}
        self._comments: dict[int, list[dict[str, Any]]] = {}
        self._new_comments: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self._fan_cache: dict[tuple[int, int], dict[str, Any]] = {}

    def _t(self, at: int | None) -> int:
        """``at``, or the clock's time (epoch seconds)."""
        return self.catalog.timeline.now() if at is None else max(at, EPOCH)

    # -- the named graph -------------------------------------------------------------------
    @property
    def graph(self) -> _Graph:
        """The named users' follow edges and the fan layout (built on first use)."""
        graph = self._graph
        if graph is None:
            with self._lock:
                if self._graph is None:
                    self._graph = self._build_graph()
                graph = self._graph
        return graph

    def _build_graph(self) -> _Graph:
        specs = self.catalog.specs()
        ids = [spec.user_id for spec in specs]
        users = {uid: self.catalog.builtin(uid) for uid in ids}
        followees: dict[int, list[int]] = {uid: [] for uid in ids}
        followers: dict[int, list[int]] = {uid: [] for uid in ids}
        for spec in specs:
            uid = spec.user_id
            rng = random.Random(f"scdata.sandbox:{spec.permalink}:follows")
            want = 30 if (spec.followings or 0) > FOLLOWINGS_CAP else rng.randrange(12)
            limit = users[uid].get("followings_count")
            want = min(want, limit if isinstance(limit, int) else want, len(ids) - 1)
            for target in rng.sample(ids, min(len(ids), want + 1)):
                capacity = users[target].get("followers_count") or 0
                if target == uid or len(followers[target]) >= capacity:
                    continue
                if len(followees[uid]) < want:
                    followees[uid].append(target)
                    followers[target].append(uid)
        zones: dict[int, tuple[int, int]] = {}
        at = _FIRST_FREE_ZONE
        for spec in specs:
            uid = spec.user_id
            fans = max(0, (users[uid].get("followers_count") or 0) - len(followers[uid]))
            start = _ZONE_STARTS.get(spec.permalink)
            if start is None:
                start, at = at, at + fans
            zones[uid] = (start, fans)
        pool = max(MIN_FAN_POOL, at)
        outs: dict[int, tuple[int, int]] = {}
        for spec in specs:
            uid = spec.user_id
            count = users[uid].get("followings_count") or 0
            fans = min(max(0, count - len(followees[uid])), pool)
            outs[uid] = (mix(uid, 7) % (pool - fans + 1), fans)
        intervals = [("in", uid, s, n) for uid, (s, n) in zones.items() if n]
        intervals += [("out", uid, s, n) for uid, (s, n) in outs.items() if n]
        bounds = sorted({s for *_, s, _ in intervals} | {s + n for *_, s, n in intervals} | {0})
        cover: list[list[tuple[str, int, int]]] = [[] for _ in bounds]
        for kind, uid, s, n in intervals:
            for k in range(bisect.bisect_left(bounds, s), bisect.bisect_left(bounds, s + n)):
                cover[k].append((kind, uid, s))
        return _Graph(followees, followers, zones, outs, pool, bounds,
                      [tuple(c) for c in cover])  # fmt: skip

    def _covering(self, n: int) -> tuple[tuple[str, int, int], ...]:
        graph = self.graph
        k = bisect.bisect_right(graph.bounds, n) - 1
        return graph.cover[k] if k >= 0 else ()

    # -- fans --------------------------------------------------------------------------------
    def is_fan(self, uid: int) -> bool:
        """Whether ``uid`` is a fan's id."""
        return FAN_BASE <= uid < FAN_BASE + self.graph.pool

    def fan_followed_by_fans(self, n: int) -> int:
        """How many fans follow fan ``n`` (the fan tree; see the module docstring)."""
        if n % 10:
            return 0
        for stride, low, high in _FAN_LEVELS:
            if n % stride == 0:
                c = low + mix(n, stride) % (high - low + 1)
                return max(0, min(c, self.graph.pool - 1 - n))
        return 0

    def _fan_followees(self, n: int) -> list[int]:
        """Fans followed by fan ``n``: at most one per level of the tree."""
        out: list[int] = []
        if n < 1:
            return out
        for stride, _, _ in _FAN_LEVELS:
            j = (n - 1) // stride * stride
            top = next(s for s, _, _ in _FAN_LEVELS if j % s == 0) if j % 10 == 0 else 0
            if top == stride and n - j <= self.fan_followed_by_fans(j):
                out.append(j)
        return out

    def fan(self, uid: int, at: int | None = None) -> dict[str, Any]:
        """Return fan ``uid``'s User object at ``at`` (default now; ``KeyError`` if not a fan).

        Examples
        --------
        >>> from .catalog import Catalog
        >>> fan = Catalog(artists=0).world.fan(FAN_BASE + 10)
        >>> fan["permalink"], fan["followers_count"] >= 1, fan["track_count"]
        ('user-1600000010', True, 0)
        """
        if not self.is_fan(uid):
            raise KeyError(uid)
        t = self._t(at)
        cached = self._fan_cache.get((uid, t))
        if cached is not None:
            return cached
        n = uid - FAN_BASE
        h = mix(n, 1)
        first = names.FIRST_NAMES[h % len(names.FIRST_NAMES)]
        last = names.LAST_NAMES[(h >> 8) % len(names.LAST_NAMES)]
        named = (h >> 16) % 10 < 3
        joined = _FAN_EPOCH + (h >> 20) % (CATALOG_END - _FAN_EPOCH - 86_400)
        city, country, _, _ = names.CITIES[(h >> 40) % len(names.CITIES)]
        where = (h >> 48) % 10
        usernames = (f"{first} {last}", f"{first.lower()}{n % 1000}", f"user{uid}")
        likes = self._fan_count(n, "lt", t)
        reposts = self._fan_count(n, "rt", t)
        covering = self._covering(n)
        ins = sum(kind == "in" for kind, _, _ in covering)
        timeline = self.catalog.timeline
        new_ins = len(timeline.newly_followed(n, t)) + len(timeline.followees(uid, t))
        new_outs = len(timeline.followers_head_events(uid, t))
        user = {
            "avatar_url": f"https://i1.sndcdn.com/avatars-{h % 10**12:012d}-{n:x}-large.jpg"
            if (h >> 56) % 10 < 4 else "https://a1.sndcdn.com/images/default_avatar_large.png",
            "id": uid,
            "urn": f"soundcloud:users:{uid}",
            "kind": "user",
            "permalink_url": f"https://soundcloud.com/user-{uid}",
            "uri": f"https://api.soundcloud.com/users/{uid}",
            "username": usernames[(h >> 60) % 3],
            "permalink": f"user-{uid}",
            "created_at": sc_time(joined),
            "last_modified": sc_time(joined + (h >> 4) % (CATALOG_END - joined)),
            "first_name": first if named else "",
            "last_name": last if named else "",
            "full_name": f"{first} {last}" if named else "",
            "city": city if where < 4 else "",
            "description": None,
            "country": country if where < 3 else None,
            "track_count": 0,
            "public_favorites_count": likes,
            "reposts_count": reposts,
            "followers_count": self.fan_followed_by_fans(n) + len(covering) - ins + new_outs,
            "followings_count": len(self._fan_followees(n)) + ins + new_ins,
            "plan": "Free",
            "myspace_name": None,
            "discogs_name": None,
            "website_title": None,
            "website": None,
            "comments_count": 0,
            "online": False,
            "likes_count": likes,
            "playlist_count": 0,
            "subscriptions": [{"product": {"id": "free", "name": "Free"}}],
        }  # fmt: skip
        if len(self._fan_cache) > 20_000:
            self._fan_cache.clear()
        self._fan_cache[(uid, t)] = user
        return user

    # -- follows -----------------------------------------------------------------------------
    def followers(self, uid: int, at: int | None = None) -> Chain:
        """Ids of the users following ``uid`` at ``at`` (default now), unbounded.

        New follows first (newest first), then named users, then the fans of its zone.
        """
        graph = self.graph
        t = self._t(at)
        timeline = self.catalog.timeline
        if self.is_fan(uid):
            n = uid - FAN_BASE
            named = [u for kind, u, _ in self._covering(n) if kind == "out"]
            new = [f.src for f in timeline.followers_head_events(uid, t)]
            return Chain([new, Span(uid + 1, self.fan_followed_by_fans(n)), named])
        start, fans = graph.zones.get(uid, (0, 0))
        head = timeline.follower_head(uid, t)
        return Chain([*head, graph.followers.get(uid, []), Span(FAN_BASE + start, fans)])

    def followings(self, uid: int, *, capped: bool = True, at: int | None = None) -> Chain:
        """Ids of the users ``uid`` follows at ``at``; listed at most :data:`FOLLOWINGS_CAP`."""
        graph = self.graph
        t = self._t(at)
        timeline = self.catalog.timeline
        new = timeline.followees(uid, t)
        if self.is_fan(uid):
            n = uid - FAN_BASE
            named = [u for kind, u, _ in self._covering(n) if kind == "in"]
            newly = timeline.newly_followed(n, t)
            chain = Chain([new, newly, [FAN_BASE + j for j in self._fan_followees(n)], named])
        else:
            start, fans = graph.outs.get(uid, (0, 0))
            chain = Chain([new, graph.followees.get(uid, []), Span(FAN_BASE + start, fans)])
        if capped and len(chain) > FOLLOWINGS_CAP:
            return Chain([chain.cut(0, FOLLOWINGS_CAP)])
        return chain

    # -- likes and reposts -------------------------------------------------------------------
    def _social(self) -> dict[str, Any]:
        """Named users' likes and reposts, and who liked or reposted what (built once)."""
        social = self._likes
        if social is None:
            with self._lock:
                if self._likes is None:
                    self._likes = self._build_social()
                social = self._likes
        return social

    def _build_social(self) -> dict[str, Any]:
        catalog = self.catalog
        hits: list[int] = []
        hit_playlists: list[int] = []
        for permalink in HIT_USERS:
            try:
                hits += [track["id"] for track in catalog.tracks(permalink, EPOCH)]
                hit_playlists += [p["id"] for p in self.playlists(catalog.user_id(permalink))]
            except KeyError:  # deleted
                continue
        out: dict[str, Any] = {key: {} for key in ("lt", "lp", "rt", "rp")}
        inverse: dict[str, dict[int, list[int]]] = {key: {} for key in out}
        for spec in catalog.specs():
            rng = random.Random(f"scdata.sandbox:{spec.permalink}:likes")
            counts = social_counts(spec)
            pools = (hits, hit_playlists, hits, hit_playlists)
            for key, count, pool in zip(("lt", "lp", "rt", "rp"), counts, pools, strict=True):
                chosen = rng.sample(pool, min(count, len(pool))) if pool else []
                chosen += [DELETED_TRACK_BASE + mix(spec.user_id, k) % 10**9
                           for k in range(count - len(chosen))]  # fmt: skip
                out[key][spec.user_id] = chosen
                for item in chosen:
                    inverse[key].setdefault(item, []).append(spec.user_id)
        out["by"] = inverse
        return out

    def _window(self, owner: int, key: str, t: int) -> tuple[list[int], list[int]]:
        """``owner``'s tracks by fan window (likes ``"lt"`` or reposts ``"rt"``) at ``t``.

        Largest first; returns ``(negated windows, track ids)`` for bisecting.
        """
        cached = self._windows.get((owner, key, t))
        if cached is not None:
            return cached
        _, zone = self.graph.zones.get(owner, (0, 0))
        field = "favoritings_count" if key == "lt" else "reposts_count"
        by = self._social()["by"][key]
        timeline = self.catalog.timeline
        rows = []
        for track in self.catalog.tracks(owner, t):
            total = timeline.value(track, field, t) or 0
            window = min(max(0, total - len(by.get(track["id"], ()))), zone)
            if window:
                rows.append((-window, track["id"]))
        rows.sort()
        result = ([w for w, _ in rows], [i for _, i in rows])
        if len(self._windows) > 512:
            self._windows.clear()
        self._windows[(owner, key, t)] = result
        return result

    def track_window(self, track: dict[str, Any], key: str, at: int | None = None) -> int:
        """How many fans of the owner's zone like (``"lt"``) or repost (``"rt"``) ``track``."""
        owner = track.get("user", {}).get("id")
        zone = self.graph.zones.get(owner, (0, 0))[1]
        field = "favoritings_count" if key == "lt" else "reposts_count"
        named = len(self._social()["by"][key].get(track["id"], ()))
        total = self.catalog.timeline.value(track, field, self._t(at))
        return min(max(0, (total or 0) - named), zone)

    def _fan_count(self, n: int, key: str, t: int) -> int:
        total = 0
        zones = self.graph.zones
        for kind, owner, start in self._covering(n):
            if kind == "in" and owner in zones:
                try:
                    negated, _ = self._window(owner, key, t)
                except KeyError:
                    continue
                total += bisect.bisect_left(negated, -(n - start))
        return total

    def _fan_items(self, uid: int, key: str, t: int) -> list[int]:
        n = uid - FAN_BASE
        out: list[int] = []
        for kind, owner, start in self._covering(n):
            if kind != "in" or owner not in self.graph.zones:
                continue
            try:
                negated, ids = self._window(owner, key, t)
            except KeyError:  # owner deleted
                continue
            out += ids[: bisect.bisect_left(negated, -(n - start))]
        return out

    def likes_tracks(self, uid: int, at: int | None = None) -> list[int]:
        """Ids of the tracks ``uid`` likes (deleted and private ones included)."""
        if self.is_fan(uid):
            return self._fan_items(uid, "lt", self._t(at))
        return self._social()["lt"].get(uid, [])

    def reposts_tracks(self, uid: int, at: int | None = None) -> list[int]:
        """Ids of the tracks ``uid`` reposted."""
        if self.is_fan(uid):
            return self._fan_items(uid, "rt", self._t(at))
        return self._social()["rt"].get(uid, [])

    def likes_playlists(self, uid: int) -> list[int]:
        """Ids of the playlists ``uid`` likes."""
        return [] if self.is_fan(uid) else self._social()["lp"].get(uid, [])

    def reposts_playlists(self, uid: int) -> list[int]:
        """Ids of the playlists ``uid`` reposted."""
        return [] if self.is_fan(uid) else self._social()["rp"].get(uid, [])

    def favoriters(self, track: dict[str, Any], at: int | None = None) -> Chain:
        """Ids of the users who like ``track``: named likers, then the owner's first fans."""
        return self._item_users(track, "lt", at)

    def track_reposters(self, track: dict[str, Any], at: int | None = None) -> Chain:
        """Ids of the users who reposted ``track``."""
        return self._item_users(track, "rt", at)

    def _item_users(self, track: dict[str, Any], key: str, at: int | None) -> Chain:
        named = self._social()["by"][key].get(track["id"], [])
        owner = track.get("user", {}).get("id")
        start = self.graph.zones.get(owner, (0, 0))[0]
        return Chain([named, Span(FAN_BASE + start, self.track_window(track, key, at))])

    def playlist_reposters(self, playlist_id: int) -> list[int]:
        """Ids of the named users who reposted a playlist."""
        return self._social()["by"]["rp"].get(playlist_id, [])

    def playlist_likers(self, playlist_id: int) -> list[int]:
        """Ids of the named users who like a playlist."""
        return self._social()["by"]["lp"].get(playlist_id, [])

    # -- playlists ---------------------------------------------------------------------------
    def playlists(self, uid: int) -> list[dict[str, Any]]:
        """Playlists and albums of a user, newest first (private ones included).

        Each is the served object without ``tracks``; ``"_slots"`` (private key, removed
        when served) lists the track ids of every slot, deleted and private tracks included.
        """
        cached = self._playlists.get(uid)
        if cached is not None:
            return cached
        with self._lock:
            if uid not in self._playlists:
                self._playlists[uid] = self._build_playlists(uid)
            return self._playlists[uid]

    def _build_playlists(self, uid: int) -> list[dict[str, Any]]:
        catalog = self.catalog
        index = catalog.spec_index(uid)
        if index is None:
            return []
        user = catalog.builtin(uid)
        spec = catalog.specs()[index]
        rng = random.Random(f"scdata.sandbox:{spec.permalink}:playlists")
        source = catalog.tracks(uid, EPOCH) or catalog.tracks("jowymusic", EPOCH)
        count = user.get("playlist_count") or 0
        made = []
        used: set[str] = set()
        for k in range(count):
            playlist_id = PLAYLIST_BASE + 100 * index + k
            album = rng.random() < 0.25
            size = rng.randint(6, 14) if album else rng.randint(2, 40)
            if spec.permalink == "jowymusic" and k == 0:
                size = 128  # #449: track_count 161, 128 listed
            chosen = rng.sample(source, min(size, len(source)))
            chosen.sort(key=lambda t: (t["created_at"][:10], t["id"]))
            slots = [track["id"] for track in chosen]
            missing = 33 if (spec.permalink == "jowymusic" and k == 0) else (
                rng.randint(1, 5) if rng.random() < 0.3 else 0)  # fmt: skip
            private = [t["id"] for t in catalog.tracks("private-first", EPOCH)
                       if t.get("sharing") == "private"] if uid != 200_000_003 else []  # fmt: skip
            for m in range(missing):
                at = rng.randrange(len(slots) + 1)
                if m % 3 == 2 and private:
                    slots.insert(at, rng.choice(private))
                else:
                    slots.insert(at, DELETED_TRACK_BASE + mix(playlist_id, m) % 10**9)
            title = names.title(rng, k + 1)
            slug = base = names.slugify(title) or f"set-{k}"
            suffix = 0
            while slug in used:
                suffix += 1
                slug = f"{base}-{suffix}"
            used.add(slug)
            created = max([c["created_at"] for c in chosen] or [user["created_at"]])
            secret = k % 7 == 3
            made.append(self._playlist(rng, user, playlist_id, title, slug, album, created,
                                       chosen, slots, secret))  # fmt: skip
        made.sort(key=lambda p: (p["created_at"][:19], p["id"]), reverse=True)
        return made

    def _playlist(
        self,
        rng: random.Random,
        user: dict[str, Any],
        playlist_id: int,
        title: str,
        slug: str,
        album: bool,
        created: str,
        chosen: list[dict[str, Any]],
        slots: list[int],
        secret: bool,
    ) -> dict[str, Any]:
        urn = f"soundcloud:playlists:{playlist_id}"
        token = self.secret_token(playlist_id) if secret else None
        url = f"https://soundcloud.com/{user['permalink']}/sets/{slug}"
        uri = f"https://api.soundcloud.com/playlists/{urn}"
        year = int(created[:4])
        released = album and rng.random() < 0.7
        return {
            "duration": sum(track.get("duration") or 0 for track in chosen),
            "genre": rng.choice(names.GENRES) if rng.random() < 0.6 else "",
            "release_day": rng.randint(1, 28) if released else None,
            "permalink": slug,
            "permalink_url": f"{url}/{token}" if token else url,
            "release_month": rng.randint(1, 12) if released else None,
            "release_year": year if released else None,
            "description": names.description(rng, str(user["permalink"])),
            "uri": f"{uri}?secret_token={token}" if token else uri,
            "label_name": rng.choice(names.LABELS) if album and rng.random() < 0.5 else None,
            "label_id": None,
            "label": None,
            "tag_list": "",
            "track_count": len(slots),
            "user_id": user["id"],
            "last_modified": created,
            "license": "all-rights-reserved",
            "id": playlist_id,
            "urn": urn,
            "kind": "playlist",
            "title": title,
            "artwork_url": names.artwork_url(rng) if rng.random() < 0.6 else None,
            "created_at": created,
            "downloadable": False,
            "ean": None,
            "embeddable_by": "all",
            "playlist_type": rng.choice(("album", "ep")) if album else "",
            "purchase_title": None,
            "purchase_url": None,
            "release": None,
            "sharing": "private" if secret else "public",
            "streamable": True,
            "type": "album" if album else "playlist",
            "user": user,
            "user_urn": user["urn"],
            "likes_count": 0,  # set by World.playlist_likes_count when served
            "tracks_uri": f"{uri}/tracks",
            "tags": "",
            "_slots": slots,
        }

    def playlist(self, playlist_id: int) -> dict[str, Any]:
        """Return a playlist by id (``KeyError`` if unknown or its owner is gone)."""
        index = (playlist_id - PLAYLIST_BASE) // 100
        uid = self.catalog.spec_uid(index)
        if uid is None:
            raise KeyError(playlist_id)
        self.catalog.user_id(uid)  # the owner still exists
        for playlist in self.playlists(uid):
            if playlist["id"] == playlist_id:
                return playlist
        raise KeyError(playlist_id)

    def playlist_tracks(self, playlist: dict[str, Any]) -> list[dict[str, Any] | None]:
        """One entry per slot: the track, or ``None`` for a deleted one."""
        out: list[dict[str, Any] | None] = []
        for track_id in playlist["_slots"]:
            try:
                out.append(self.catalog.track(track_id))
            except KeyError:
                out.append(None)
        return out

    @staticmethod
    def secret_token(object_id: int) -> str:
        """The secret token of a private track or playlist (``s-`` + 11 characters).

        Examples
        --------
        >>> World.secret_token(1).startswith("s-"), len(World.secret_token(1))
        (True, 13)
        """
        rng = random.Random(mix(object_id, 99))
        return "s-" + names.random_key(rng, 11, _TOKEN_ALPHABET)

    # -- comments, related, web profiles -----------------------------------------------------
    def comments(self, track: dict[str, Any], at: int | None = None) -> list[dict[str, Any]]:
        """Comments on a track at ``at``, newest first (``comment_count`` of them, at most
        9,999; user ids, not users). Comments made after the epoch come first, each dated
        when the growing ``comment_count`` reached it."""
        base = self._base_comments(track)
        t = self._t(at)
        if t <= EPOCH or not track.get("commentable"):
            return base
        count = min(self.catalog.timeline.counts(track, t)["comment_count"] or 0, 9_999)
        if count <= len(base):
            return base
        key = (track["id"], count)
        cached = self._new_comments.get(key)
        if cached is None:
            cached = self._later_comments(track, len(base), count, t) + base
            if len(self._new_comments) > 200:
                self._new_comments.clear()
            self._new_comments[key] = cached
        return cached

    def _later_comments(
        self, track: dict[str, Any], first: int, stop: int, t: int
    ) -> list[dict[str, Any]]:
        """Comments ``first .. stop - 1`` (made after the epoch), newest first."""
        track_id = track["id"]
        owner = track.get("user", {}).get("id")
        start, zone = self.graph.zones.get(owner, (0, 0))
        duration = track.get("duration") or 0
        timeline = self.catalog.timeline
        made = []
        for k in range(first, stop):
            h = mix(track_id, 5, k)
            author = FAN_BASE + start + h % zone if zone else owner
            made.append({
                "kind": "comment",
                "id": track_id * 10_000 + k,
                "urn": f"soundcloud:comments:{track_id * 10_000 + k}",
                "body": _COMMENTS[(h >> 20) % len(_COMMENTS)],
                "created_at": sc_time(timeline.count_reached(track, "comment_count", k + 1, t)),
                "timestamp": (h >> 24) % duration if duration and (h >> 40) % 10 else None,
                "track_id": track_id,
                "track_urn": track["urn"],
                "user_id": author,
                "user_urn": f"soundcloud:users:{author}",
            })  # fmt: skip
        made.reverse()
        return made

    def _base_comments(self, track: dict[str, Any]) -> list[dict[str, Any]]:
        track_id = track["id"]
        cached = self._comments.get(track_id)
        if cached is not None:
            return cached
        count = min(track.get("comment_count") or 0, 9_999) if track.get("commentable") else 0
        rng = random.Random(mix(track_id, 5))
        owner = track.get("user", {}).get("id")
        start, zone = self.graph.zones.get(owner, (0, 0))
        named = list(self.graph.followers.get(owner, [])) or [owner]
        uploaded = parse_sc_time(track["created_at"])
        duration = track.get("duration") or 0
        made = []
        for k in range(count):
            if zone and rng.random() < 0.9:
                author = (
                    FAN_BASE + start + min(int(rng.expovariate(1 / max(zone / 8, 1))), zone - 1)
                )
            else:
                author = rng.choice(named)
            made.append({
                "kind": "comment",
                "id": track_id * 10_000 + k,
                "urn": f"soundcloud:comments:{track_id * 10_000 + k}",
                "body": rng.choice(_COMMENTS),
                "created_at": sc_time(uploaded + rng.randrange(max(1, CATALOG_END - uploaded))),
                "timestamp": rng.randrange(duration) if duration and rng.random() < 0.9 else None,
                "track_id": track_id,
                "track_urn": track["urn"],
                "user_id": author,
                "user_urn": f"soundcloud:users:{author}",
            })  # fmt: skip
        made.sort(key=lambda c: (c["created_at"], c["id"]), reverse=True)
        if len(self._comments) > 2_000:
            self._comments.clear()
        self._comments[track_id] = made
        return made

    def related_tracks(self, track: dict[str, Any]) -> list[int] | None:
        """Ids of tracks related to ``track``; ``None`` when it has no related set (404)."""
        track_id = track["id"]
        if mix(track_id, 11) % 8 == 0:
            return None
        rng = random.Random(mix(track_id, 12))
        owner = track.get("user", {}).get("id")
        pool = [t["id"] for t in self.catalog.tracks(owner, EPOCH) if t["id"] != track_id]
        with contextlib.suppress(KeyError):  # jowymusic deleted
            pool += [
                t["id"] for t in self.catalog.tracks("jowymusic", EPOCH) if t["id"] != track_id
            ]
        return rng.sample(pool, min(len(pool), rng.randint(5, 80)))

    def related_artists(self, uid: int) -> list[int]:
        """Ids of users related to ``uid`` (named users; a fan's: those it follows)."""
        if self.is_fan(uid):
            return [u for kind, u, _ in self._covering(uid - FAN_BASE) if kind == "in"]
        ids = [spec.user_id for spec in self.catalog.specs() if spec.user_id != uid]
        rng = random.Random(mix(uid, 13))
        return rng.sample(ids, min(len(ids), rng.randint(0, 60)))

    def web_profiles(self, uid: int) -> list[dict[str, Any]]:
        """A user's links to other sites (none for most fans)."""
        rng = random.Random(mix(uid, 17))
        count = rng.choice((0, 0, 0, 1)) if self.is_fan(uid) else rng.randint(0, 5)
        user = self.catalog.user(uid)
        handle = str(user.get("permalink") or uid)
        joined = parse_sc_time(str(user.get("created_at") or "2010/01/01 00:00:00 +0000"))
        out = []
        for k, service in enumerate(rng.sample(_SERVICES, count)):
            profile_id = mix(uid, k) % 10**9
            url = (f"https://{handle}.example.com" if service == "personal"
                   else f"https://www.{service}.com/{handle}")  # fmt: skip
            out.append({
                "kind": "web-profile",
                "id": profile_id,
                "urn": f"soundcloud:web-profiles:{profile_id}",
                "service": service,
                "title": rng.choice(("", service.capitalize(), f"{handle} on {service}")),
                "url": url,
                "username": None if service == "personal" else handle,
                "created_at": sc_time(joined + rng.randrange(max(1, CATALOG_END - joined))),
            })  # fmt: skip
        return out
