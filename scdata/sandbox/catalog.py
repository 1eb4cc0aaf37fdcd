"""The sandbox's deterministic catalogue of users and tracks, and its social world.

Users are built when the :class:`Catalog` is created (cheap); a user's tracks are built on
first access and memoised, and so is everything social (:class:`~scdata.sandbox.world.World`:
follows, likes, reposts, playlists, comments, related, web profiles). The data is the same
on every run and every machine (for the same ``artists``/``artist_tracks``).

Built-in users (``Catalog()`` defaults):

=================  ==============  ======  =================================================
permalink          user id         tracks  notes
=================  ==============  ======  =================================================
jowymusic          52461337        347     track ids above 2**31; 123,456 followers (the
                                           star); newest track ``analog-satellite``
                                           (2174623891) has 1,234 comments; playlist
                                           ``neon-engine-priya-remix`` (900000000):
                                           ``track_count`` 161, 128 listed (#449)
empty-artist       100000001       0       a listener: follows 2,600 users (2,000 listed),
                                           likes 293 tracks + playlists
big-catalog        123456789       10000   50,000 followers, about 23,450 of them also
                                           follow jowymusic
bjork-unicode      7340229         42      accents, CJK and emoji in profile and titles
urn-era-artist     3000000001      36      user id above 2**31 (track ids above 2**32);
                                           ``followings_count``/``public_favorites_count``
                                           null (lists still served)
geo-blocked        200000002       120     newest-first positions 50-109 all "blocked"
private-first      200000003       80      newest 32 tracks private (#139): they take page
                                           slots, so a first page of up to 32 is empty; its
                                           ``track_count`` (80) counts them, while at most 48
                                           tracks are ever listed. Its private tracks are
                                           secret links (``World.secret_token``) and fill
                                           slots of other users' playlists
artist-001 ...     400000000       500     ``artists`` users of ``artist_tracks`` tracks;
                   + 7919 * k              id of ``artist-k``
=================  ==============  ======  =================================================

Everyone else is a **fan**: ``user-<id>``, ids from 1600000000 (``world.FAN_BASE``), built
when asked (``/users/{urn}``, batch lookups, follower pages), never stored. Counts on the
full objects agree with the lists except where the real API's do not: playlists
(``playlist_count``, ~1 in 7 private with a secret token) and likes lists include private
and deleted items that take page slots; playlist ``track_count`` counts deleted and private
slots; followings are listed up to 2,000; ``public_favorites_count`` = liked tracks + liked
playlists; a track's ``favoritings_count``/``reposts_count`` may exceed its lists when
larger than its owner's fans (likes of "deleted accounts"). About one track in eight has no
related set (``/tracks/{urn}/related`` 404). See :mod:`scdata.sandbox.world` for the layout.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from .formats import parse_sc_time, utc
from .generate import UserSpec, build_tracks, build_user
from .timeline import EPOCH, Timeline
from .world import FAN_BASE, World

__all__ = ["Catalog", "Shelf", "default_specs"]

_URN = re.compile(r"soundcloud:users:(\d+)")
_FAN_PERMALINK = re.compile(r"user-(\d{10})")
Row = tuple[int, int, dict[str, Any]]


def default_specs(artists: int = 200, artist_tracks: int = 500) -> list[UserSpec]:
    """Return the recipes of the built-in users (see the module docstring).

    Examples
    --------
    >>> [spec.permalink for spec in default_specs(artists=2)][-2:]
    ['artist-001', 'artist-002']
    """
    if artists < 0 or artist_tracks < 0:
        raise ValueError("artists and artist_tracks must be >= 0")
    width = 1_300_000_000 // max(artists, 200)
    if artist_tracks >= width:
        raise ValueError(f"artist_tracks must be < {width} with {artists} artists")
    specs = [
        UserSpec("jowymusic", 52_461_337, 347, 2_150_000_000, 50_000_000,
                 joined=utc(2012, 3, 14, 9, 26, 53), username="JOWY", popularity=8.0,
                 followers=123_456, hot_comments=1_234),
        UserSpec("empty-artist", 100_000_001, 0, 2_140_000_000, 1,
                 joined=utc(2019, 8, 1, 12), username="Empty Artist", followings=2_600),
        UserSpec("big-catalog", 123_456_789, 10_000, 300_000_000, 200_000_000,
                 joined=utc(2009, 5, 20, 18), username="Big Catalog Radio", popularity=2.0,
                 followers=50_000),
        UserSpec("bjork-unicode", 7_340_229, 42, 700_000_000, 4_000_000,
                 joined=utc(2013, 11, 2, 7, 45, 10), unicode=True, popularity=3.0),
        UserSpec("urn-era-artist", 3_000_000_001, 36, 4_300_000_000, 40_000_000,
                 joined=utc(2025, 5, 2, 10), username="URN Era", sparse_counts=True),
        UserSpec("geo-blocked", 200_000_002, 120, 600_000_000, 12_000_000,
                 joined=utc(2016, 2, 29, 23, 59, 59), username="Geo Blocked Beats",
                 blocked_share=0.2, preview_share=0.1, blocked_run=(50, 110)),
        UserSpec("private-first", 200_000_003, 80, 650_000_000, 1_000_000,
                 joined=utc(2014, 6, 1, 8, 30), username="Private First", private_run=(0, 32)),
    ]  # fmt: skip
    for k in range(1, artists + 1):
        specs.append(
            UserSpec(
                f"artist-{k:03d}",
                400_000_000 + 7_919 * k,
                artist_tracks,
                800_000_000 + (k - 1) * width,
                width,
                joined=utc(2008, 1, 1) + (k * 7_777_777) % (16 * 365 * 86_400),
                popularity=0.2 + (k * 37 % 100) / 10,
                sparse_counts=k % 10 == 7,
            )
        )
    return specs


@dataclasses.dataclass(frozen=True)
class Shelf:
    """One user's tracks, indexed for cursor paging and lookups.

    Parameters
    ----------
    keys
        Sort keys ``(created_at epoch ms, id)``, ascending.
    newest
        The tracks, newest first (``newest[i]`` has key ``keys[-1 - i]``).

    Examples
    --------
    >>> shelf = Shelf.from_rows([(2000, 2, {"id": 2}), (1000, 1, {"id": 1})])
    >>> [t["id"] for t in shelf.newest], shelf.page(None, 1, ascending=True)
    ([2, 1], ([{'id': 1}], (1000, 1)))
    """

    keys: list[tuple[int, int]]
    newest: list[dict[str, Any]]
    by_id: dict[int, dict[str, Any]]
    by_permalink: dict[str, dict[str, Any]]

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> Shelf:
        """Build a shelf from ``(epoch ms, id, track)`` rows in any order."""
        ordered = sorted(rows, key=lambda row: (row[0], row[1]))
        by_permalink = {}
        for _, _, track in ordered:
            url = track.get("permalink_url")
            if isinstance(url, str) and url.count("/") >= 4:
                by_permalink[url.rstrip("/").rsplit("/", 1)[1].lower()] = track
        return cls(
            keys=[(ms, track_id) for ms, track_id, _ in ordered],
            newest=[track for _, _, track in reversed(ordered)],
            by_id={track_id: track for _, track_id, track in ordered},
            by_permalink=by_permalink,
        )

    def rows(self) -> list[Row]:
        """Return the ``(epoch ms, id, track)`` rows, oldest first."""
        return [(*key, track) for key, track in zip(self.keys, reversed(self.newest), strict=True)]

    def page(
        self, after: tuple[int, int] | None, size: int, *, ascending: bool = False
    ) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:
        """Cut a page of ``size`` tracks strictly after the cursor key ``after``.

        Returns the tracks (all access values) and the key of the last one (``None``
        when the page is empty).
        """
        n = len(self.keys)
        if ascending:
            start = 0 if after is None else bisect.bisect_right(self.keys, after)
            stop = min(n, start + size)
            items = [self.newest[n - 1 - i] for i in range(start, stop)]
            last = self.keys[stop - 1] if items else None
        else:
            start = 0 if after is None else n - bisect.bisect_left(self.keys, after)
            items = self.newest[start : start + size]
            last = self.keys[n - start - len(items)] if items else None
        return items, last


_NO_TRACKS = Shelf([], [], {}, {})


class Catalog:
    """Users and tracks served by the sandbox, generated deterministically and lazily.

    Parameters
    ----------
    artists
        Number of ``artist-NNN`` users.
    artist_tracks
        Tracks per ``artist-NNN`` user.

    Notes
    -----
    Returned dicts are the live objects the server serves; treat them as read-only.
    A track's ``user`` is the same dict as :meth:`user` returns.

    Examples
    --------
    >>> catalog = Catalog(artists=2, artist_tracks=5)
    >>> catalog.user("jowymusic")["track_count"], len(catalog.tracks("artist-002"))
    (347, 5)
    >>> catalog.user("soundcloud:users:52461337")["permalink"]
    'jowymusic'
    """

    def __init__(self, *, artists: int = 200, artist_tracks: int = 500) -> None:
        self._lock = threading.RLock()
        self._spec_list = default_specs(artists, artist_tracks)
        self._specs = {spec.user_id: spec for spec in self._spec_list}
        self._spec_index = {spec.user_id: k for k, spec in enumerate(self._spec_list)}
        self._users = {uid: build_user(spec) for uid, spec in self._specs.items()}
        self._permalinks = {spec.permalink: uid for uid, spec in self._specs.items()}
        ranges = sorted(
            (spec.track_id_base, spec.track_id_base + spec.track_id_width, uid)
            for uid, spec in self._specs.items()
        )
        self._range_starts = [start for start, _, _ in ranges]
        self._ranges = ranges
        self._shelves: dict[int, Shelf] = {}
        self._user_locks: dict[int, threading.Lock] = {}
        self._extra_tracks: dict[int, int] = {}  # track id -> owner user id
        self._deleted: set[int] = set()
        self._timed: dict[tuple[int, int, int], Shelf] = {}  # (uid, uploads, deletions)
        self.world = World(self)
        #: The clock and everything that changes with it (see :mod:`.timeline`).
        self.timeline = Timeline(self)

    # -- lookups -----------------------------------------------------------------
    def user_id(self, ref: int | str) -> int:
        """Return the id of a user given by id, numeric string, URN or permalink.

        Raises
        ------
        KeyError
            If there is no such user.

        Examples
        --------
        >>> Catalog(artists=0).user_id("big-catalog")
        123456789
        """
        if isinstance(ref, str):
            urn = _URN.fullmatch(ref)
            if urn:
                ref = int(urn.group(1))
            elif ref.isdigit():
                ref = int(ref)
            else:
                fan = _FAN_PERMALINK.fullmatch(ref.lower())
                ref = int(fan.group(1)) if fan else self._permalinks.get(ref.lower(), -1)
        if ref not in self._users and (
            ref in self._deleted or ref < FAN_BASE or not self.world.is_fan(ref)
        ):
            raise KeyError(ref)
        return ref

    def user(self, ref: int | str) -> dict[str, Any]:
        """Return a User object by id, URN or permalink (``KeyError`` if unknown).

        Examples
        --------
        >>> Catalog(artists=0).user(123456789)["permalink"]
        'big-catalog'
        """
        uid = self.user_id(ref)
        user = self._users.get(uid)
        return user if user is not None else self.world.fan(uid)

    def builtin(self, uid: int) -> dict[str, Any]:
        """Return a built-in (spec) user's object, deleted or not (``KeyError`` if none)."""
        spec = self._specs[uid]
        user = self._users.get(uid)
        return user if user is not None else build_user(spec)

    def specs(self) -> list[UserSpec]:
        """Return the recipes of the built-in users, in catalogue order."""
        return self._spec_list

    def spec_index(self, uid: int) -> int | None:
        """Return the position of a live built-in user's spec (``None`` otherwise)."""
        return self._spec_index.get(uid) if uid in self._users else None

    def spec_uid(self, index: int) -> int | None:
        """Return the id of the built-in user at ``index`` (``None`` if out of range)."""
        return self._spec_list[index].user_id if 0 <= index < len(self._spec_list) else None

    def users(self) -> list[dict[str, Any]]:
        """Return every User object (built-in first, then added ones).

        Examples
        --------
        >>> len(Catalog(artists=3).users())
        10
        """
        with self._lock:
            return list(self._users.values())

    def tracks(self, ref: int | str, at: int | None = None) -> list[dict[str, Any]]:
        """Return all tracks of a user, newest first, whatever their ``access``.

        ``at`` (epoch seconds, default the clock's time): the tracks uploaded and not
        deleted by then (see :mod:`scdata.sandbox.timeline`); counts are the stored ones.

        Examples
        --------
        >>> len(Catalog(artists=0).tracks("geo-blocked"))
        120
        """
        return list(self.shelf(ref, at).newest)

    def track(self, ref: int | str, at: int | None = None) -> dict[str, Any]:
        """Return a Track object by id or ``soundcloud:tracks:N`` (``KeyError`` if unknown).

        ``at`` as for :meth:`tracks`: a track not yet uploaded or already deleted is unknown.

        Examples
        --------
        >>> catalog = Catalog(artists=0)
        >>> newest = catalog.tracks("jowymusic")[0]
        >>> catalog.track(newest["urn"]) is newest
        True
        """
        if isinstance(ref, str):
            digits = ref.removeprefix("soundcloud:tracks:")
            if not digits.isdigit():
                raise KeyError(ref)
            track_id = int(digits)
        else:
            track_id = ref
        owner = self._extra_tracks.get(track_id)
        if owner is None:
            at_range = bisect.bisect_right(self._range_starts, track_id) - 1
            if at_range < 0 or track_id >= self._ranges[at_range][1]:
                raise KeyError(ref)
            owner = self._ranges[at_range][2]
        try:
            found = self.shelf(owner, at).by_id.get(track_id)
        except KeyError:  # the owner was deleted
            raise KeyError(ref) from None
        if found is None:
            raise KeyError(ref)
        return found

    def shelf(self, ref: int | str, at: int | None = None) -> Shelf:
        """Return a user's :class:`Shelf` at ``at`` (default: now), generating it on first access.

        Examples
        --------
        >>> len(Catalog(artists=0).shelf("empty-artist").newest)
        0
        """
        uid = self.user_id(ref)
        shelf = self._shelves.get(uid)
        if shelf is None:
            if uid not in self._users:  # a fan: never uploads
                return _NO_TRACKS
            with self._lock:
                lock = self._user_locks.setdefault(uid, threading.Lock())
            with lock:
                if uid not in self._shelves:
                    spec = self._specs.get(uid)
                    rows = build_tracks(spec, self._users[uid]) if spec else []
                    self._shelves[uid] = Shelf.from_rows(rows)
                shelf = self._shelves[uid]
        t = self.timeline.now() if at is None else at
        if t <= EPOCH or uid not in self._specs:
            return shelf
        uploads, deletions = self.timeline.version(uid, t)
        if not uploads and not deletions:
            return shelf
        key = (uid, uploads, deletions)
        timed = self._timed.get(key)
        if timed is None:
            gone = self.timeline.deleted(uid, t)
            rows = [row for row in shelf.rows() if row[1] not in gone]
            for t_up, track in self.timeline.uploads(uid, t):
                if track["id"] not in gone:
                    rows.append((t_up * 1000, track["id"], track))
            timed = Shelf.from_rows(rows)
            with self._lock:
                if len(self._timed) > 256:
                    self._timed.clear()
                self._timed[key] = timed
        return timed

    # -- extra objects -----------------------------------------------------------
    def add_user(self, user: dict[str, Any], tracks: Sequence[dict[str, Any]] = ()) -> None:
        """Add a User object (and optionally their tracks), served exactly as given.

        ``user`` needs an integer ``id`` and a ``permalink``; its ``track_count`` is
        left alone.

        Raises
        ------
        ValueError
            If the id or permalink is missing or taken.

        Examples
        --------
        >>> catalog = Catalog(artists=0)
        >>> catalog.add_user({"id": 5, "permalink": "someone-else", "kind": "user"})
        >>> catalog.user("someone-else")["id"]
        5
        """
        uid, permalink = user.get("id"), user.get("permalink")
        if not isinstance(uid, int) or not isinstance(permalink, str) or not permalink:
            raise ValueError("a user needs an integer 'id' and a 'permalink'")
        with self._lock:
            if uid in self._users or permalink.lower() in self._permalinks:
                raise ValueError(f"user {uid} / {permalink!r} already exists")
            self._users[uid] = user
            self._permalinks[permalink.lower()] = uid
            self._shelves[uid] = Shelf.from_rows([])
        if tracks:
            self.add_tracks(uid, tracks)

    def add_tracks(self, user_ref: int | str, tracks: Sequence[dict[str, Any]]) -> None:
        """Add Track objects to a user's list; they are served exactly as given.

        Each track needs an integer ``id`` and a ``created_at`` in API format
        (``yyyy/MM/dd HH:mm:ss +0000``). A built-in user's ``track_count`` is updated.

        Raises
        ------
        KeyError
            If the user is unknown.
        ValueError
            If a track lacks ``id``/``created_at`` or its id is taken.

        Examples
        --------
        >>> catalog = Catalog(artists=0)
        >>> track = {"id": 7, "created_at": "2020/01/01 00:00:00 +0000"}
        >>> catalog.add_tracks("empty-artist", [track])
        >>> catalog.track(7)["id"], catalog.user("empty-artist")["track_count"]
        (7, 1)
        """
        uid = self.user_id(user_ref)
        rows: list[Row] = []
        for track in tracks:
            track_id = track.get("id")
            if not isinstance(track_id, int) or not isinstance(track.get("created_at"), str):
                raise ValueError("a track needs an integer 'id' and a 'created_at'")
            rows.append((parse_sc_time(track["created_at"]) * 1000, track_id, track))
        with self._lock:
            for _, track_id, _ in rows:
                if self._exists(track_id) or sum(r[1] == track_id for r in rows) > 1:
                    raise ValueError(f"track {track_id} already exists")
            shelf = Shelf.from_rows(self.shelf(uid, EPOCH).rows() + rows)
            self._shelves[uid] = shelf
            self._timed.clear()
            self._extra_tracks.update((track_id, uid) for _, track_id, _ in rows)
            if uid in self._specs:
                self._users[uid]["track_count"] = len(shelf.newest)

    def delete_user(self, ref: int | str) -> None:
        """Delete a user: from now on the user and their tracks are unknown.

        Raises
        ------
        KeyError
            If there is no such user.

        Examples
        --------
        >>> catalog = Catalog(artists=1)
        >>> track_id = catalog.tracks("artist-001")[0]["id"]
        >>> catalog.delete_user("artist-001")
        >>> "artist-001" in [u["permalink"] for u in catalog.users()]
        False
        >>> catalog.track(track_id)
        Traceback (most recent call last):
        ...
        KeyError: 803298845
        """
        with self._lock:
            uid = self.user_id(ref)
            user = self._users.pop(uid, None) or {}
            permalink = user.get("permalink")
            if isinstance(permalink, str):
                self._permalinks.pop(permalink.lower(), None)
            self._shelves.pop(uid, None)
            self._timed.clear()
            self._deleted.add(uid)

    def _exists(self, track_id: int) -> bool:
        try:
            self.track(track_id)
        except KeyError:
            return False
        return True
