"""The sandbox's clock and how its world moves in time.

**The clock.** Every answer's ``Date`` header is the emulated :class:`Clock`'s time, never
the machine's. It stands still unless a test moves it (``Sandbox.advance(days=1)``,
``sb.now = ...``), so a sandbox that is never advanced serves exactly the catalogue it
always served. The catalogue is the world as it stood at :data:`EPOCH` (the catalogue's
``CATALOG_END``, 2026-06-30 00:00:00 UTC), the default start; the clock may be set to any
time at or after it (and moved back, everything is a pure function of time).

**Growth** (:meth:`Timeline.counts`). After :data:`EPOCH` every track's counts grow, as a
pure function of the track and the time (so tests compute the truth):

- ``"steady"`` (~72 % of tracks): plays per day = its plays at the epoch / its age in days
  (at least 30) times 0.3-1.3;
- ``"viral"`` (~3 %, and tracks with 1,000 comments or more): steady, plus a logistic
  burst of 20,000-300,000 plays centred 1-21 days after the epoch;
- ``"stalled"`` (~25 %): no growth at all;
- ``"release"`` (tracks uploaded while the clock runs): a release-week curve
  ``V * (1 - exp(-age / tau))`` plus a slow tail, counted from the upload.

``favoritings_count``, ``reposts_count`` and ``comment_count`` grow with the plays (fixed
per-track ratios); a ``None`` (hidden) count stays ``None``; ``download_count`` does not
grow. Every count is ``base + floor(gain)`` of a non-decreasing gain: monotone.

A named user's ``followers_count`` grows by *newcomers*: ``floor(rate * days)`` fans (about
0.05-0.25 % of its followers a day; one user in four none) taken in order from a block
of the fan pool next to its zone, at most :data:`GROWTH_DAYS` days' worth; they appear at
the head of the followers list (newest first) and never unfollow. A fan's
``followings_count`` and followings list include the named users it newly follows. Fans'
``followers_count`` does not grow, except by scheduled follows. Likes lists grow with
``favoritings_count`` (fans of the owner's zone, as before) until the zone is used up;
beyond that the count grows alone (likes of "deleted accounts", as before).

**Schedule** (:meth:`Timeline.events`). The :data:`ROSTER` users (``jowymusic``,
``bjork-unicode``, ``artist-001``) upload, delete and follow at fixed times during the
:data:`HORIZON_DAYS` days after the epoch (every few days each; see :data:`CADENCE`):

- ``upload``: a new public, playable track appears at the head of its owner's list with
  ``created_at`` = the upload time, counts 0, growing by the release curve;
- ``delete``: a track (an old one, or one of the owner's recent uploads) is gone: absent from
  lists and batch lookups, 404 on ``/tracks/{urn}`` and its collections;
- ``follow`` / ``unfollow``: the roster user follows a named user or a fan, or a named user
  or fan follows the roster user; about one follow in three is undone a few days later.
  A follow appears at the head of the follower's followings and the followee's followers
  (both counts +1); undone, it vanishes from both (counts -1).

``track_count`` follows uploads and deletions. Everything outside the roster only grows.
"""

from __future__ import annotations

import bisect
import calendar
import dataclasses
import datetime as dt
import math
import random
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .formats import sc_time
from .generate import CATALOG_END, build_upload
from .world import FAN_BASE, mix

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = [
    "CADENCE",
    "DAY",
    "EPOCH",
    "GROWTH_DAYS",
    "HORIZON_DAYS",
    "ROSTER",
    "Clock",
    "Event",
    "Follow",
    "Timeline",
    "to_epoch",
]

#: The catalogue's "now": the world's counts are the generated ones at this time.
EPOCH = CATALOG_END
DAY = 86_400
#: Scheduled events happen in ``(EPOCH, EPOCH + HORIZON_DAYS days]``.
HORIZON_DAYS = 120
#: Named users' newcomer followers stop after this many days.
GROWTH_DAYS = 730
#: The users whose tracks and follows change on a schedule.
ROSTER = ("jowymusic", "bjork-unicode", "artist-001")
#: ``(first, every)`` in days after the epoch, per roster user and kind of event:
#: ``upload``, ``delete``, ``follow`` (the user follows someone), ``followed`` (someone
#: follows the user). Each time gets a fixed 0-6 h jitter.
CADENCE = {
    "jowymusic": {"upload": (1.5, 7), "delete": (3.25, 10), "follow": (0.5, 3),
                  "followed": (1.0, 2)},
    "bjork-unicode": {"upload": (2.5, 10), "delete": (5.5, 14), "follow": (1.25, 4),
                      "followed": (0.75, 3)},
    "artist-001": {"upload": (0.75, 4), "delete": (2.5, 9), "follow": (1.75, 2),
                   "followed": (0.25, 2)},
}  # fmt: skip
#: Newcomer followers per day as a share of ``followers_count``, for the roster.
_ROSTER_FOLLOW_RATES = {"jowymusic": 0.0015, "bjork-unicode": 0.01, "artist-001": 0.05}
#: Fans from here on are outside the zones of ``jowymusic`` and ``big-catalog`` (whose
#: likes need the 10,000 tracks of ``big-catalog``): newcomers and scheduled fans come
#: from here.
_FREE_FANS = 150_000
_COUNT_FIELDS = ("playback_count", "favoritings_count", "reposts_count", "comment_count")


def to_epoch(when: dt.datetime | dt.date | str | float) -> int:
    """Return epoch seconds of a time: aware or naive (UTC) datetime, ISO text, or a number.

    Examples
    --------
    >>> to_epoch("2026-06-30"), to_epoch("2026-06-30T12:00:00Z")
    (1782777600, 1782820800)
    >>> to_epoch(dt.datetime(2026, 6, 30, tzinfo=dt.timezone.utc))
    1782777600
    """
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return math.floor(when.timestamp())
    if isinstance(when, dt.date):
        return to_epoch(dt.datetime(when.year, when.month, when.day))
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise TypeError(f"not a time: {when!r}")
    return math.floor(when)


def as_datetime(epoch: float) -> dt.datetime:
    """Return epoch seconds as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


class Clock:
    """The emulated time, in whole seconds; it only moves when told to.

    Parameters
    ----------
    start
        Initial time (default :data:`EPOCH`); not before :data:`EPOCH`.

    Examples
    --------
    >>> clock = Clock()
    >>> clock.advance(days=1, hours=2).isoformat()
    '2026-07-01T02:00:00+00:00'
    >>> clock.elapsed
    93600
    """

    def __init__(self, start: dt.datetime | str | float = EPOCH) -> None:
        self._lock = threading.Lock()
        self._start = self._check(to_epoch(start))
        self._now = self._start

    @staticmethod
    def _check(epoch: int) -> int:
        if epoch < EPOCH:
            raise ValueError(f"the clock cannot go before the catalogue's epoch {sc_time(EPOCH)}")
        return epoch

    @property
    def epoch_seconds(self) -> int:
        """The current time as epoch seconds."""
        return self._now

    @property
    def now(self) -> dt.datetime:
        """The current time (aware UTC datetime)."""
        return as_datetime(self._now)

    @property
    def start(self) -> dt.datetime:
        """Where the clock started."""
        return as_datetime(self._start)

    @property
    def elapsed(self) -> int:
        """Seconds since the start."""
        return self._now - self._start

    def advance(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> dt.datetime:
        """Move the clock forward (never back) and return the new time."""
        delta = math.floor(days * DAY + hours * 3600 + minutes * 60 + seconds)
        if delta < 0:
            raise ValueError("advance() moves forward only; set the time to go back")
        with self._lock:
            self._now += delta
            return as_datetime(self._now)

    def set(self, when: dt.datetime | str | float) -> dt.datetime:
        """Set the time (any time at or after :data:`EPOCH`); return it."""
        epoch = self._check(to_epoch(when))
        with self._lock:
            self._now = epoch
        return as_datetime(epoch)

    def restart(self, when: dt.datetime | str | float) -> None:
        """Set both the start and the current time."""
        epoch = self._check(to_epoch(when))
        with self._lock:
            self._start = self._now = epoch


@dataclasses.dataclass(frozen=True)
class Event:
    """One scheduled change: ``kind`` ``"upload"``, ``"delete"``, ``"follow"``, ``"unfollow"``.

    ``user`` is who acts (the uploader, the follower), ``target`` the track id or the
    followed user's id, ``time`` epoch seconds.
    """

    time: int
    kind: str
    user: int
    target: int

    @property
    def when(self) -> dt.datetime:
        """The event's time as an aware UTC datetime."""
        return as_datetime(self.time)

    @property
    def user_urn(self) -> str:
        """URN of the acting user."""
        return f"soundcloud:users:{self.user}"

    @property
    def target_urn(self) -> str:
        """URN of the track (upload, delete) or the followed user."""
        kind = "tracks" if self.kind in ("upload", "delete") else "users"
        return f"soundcloud:{kind}:{self.target}"


@dataclasses.dataclass(frozen=True)
class Follow:
    """A scheduled follow: ``src`` follows ``dst`` from ``start`` until ``end`` (or for good)."""

    src: int
    dst: int
    start: int
    end: int | None

    def active(self, t: int) -> bool:
        """Whether the follow holds at ``t``."""
        return self.start <= t and (self.end is None or t < self.end)


@dataclasses.dataclass(frozen=True)
class Growth:
    """How one track grows (see the module docstring)."""

    kind: str
    start: int
    rate: float
    burst: float
    centre: float
    width: float
    tau: float
    like: float
    repost: float
    comment: float

    def factor(self, key: str) -> float:
        """Gain of ``key`` per play gained."""
        if key == "playback_count":
            return 1.0
        if key == "favoritings_count":
            return self.like
        if key == "reposts_count":
            return self.like * self.repost
        return self.comment if key == "comment_count" else 0.0

    def gain(self, t: int) -> float:
        """Plays gained between the start and ``t`` (non-decreasing in ``t``)."""
        if t <= self.start or self.kind == "stalled":
            return 0.0
        d = (t - self.start) / DAY
        out = self.rate * d
        if self.kind == "viral":
            out += self.burst * (_sigmoid((d - self.centre) / self.width)
                                 - _sigmoid(-self.centre / self.width))  # fmt: skip
        elif self.kind == "release":
            out += self.burst * -math.expm1(-d / self.tau)
        return out


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


@dataclasses.dataclass
class _Schedule:
    events: list[Event]
    uploads: dict[int, list[tuple[int, dict[str, Any]]]]  # uid -> [(time, track)]
    upload_times: dict[int, int]  # track id -> upload time
    deletions: dict[int, list[tuple[int, int]]]  # uid -> [(time, track id)]
    deleted_at: dict[int, int]  # track id -> deletion time
    follows_out: dict[int, list[Follow]]  # src -> follows, newest first
    follows_in: dict[int, list[Follow]]  # dst -> follows, newest first


@dataclasses.dataclass
class _Newcomers:
    rate: dict[int, float]  # uid -> newcomers per day
    block: dict[int, tuple[int, int]]  # uid -> (first fan n, capacity)
    bounds: list[int]
    cover: list[tuple[int, ...]]  # per segment: uids whose block covers it


class Timeline:
    """Everything time-dependent in a :class:`~scdata.sandbox.catalog.Catalog`.

    Examples
    --------
    >>> from .catalog import Catalog
    >>> catalog = Catalog(artists=1, artist_tracks=20)
    >>> timeline = catalog.timeline
    >>> track = catalog.tracks("jowymusic")[0]
    >>> timeline.counts(track, EPOCH)["playback_count"] == track["playback_count"]
    True
    >>> [e.kind for e in timeline.events(EPOCH, EPOCH + DAY)][:2]
    ['follow', 'upload']
    """

    def __init__(self, catalog: Catalog, clock: Clock | None = None) -> None:
        self.catalog = catalog
        self.clock = clock if clock is not None else Clock()
        self._lock = threading.RLock()
        self._schedule: _Schedule | None = None
        self._newcomers: _Newcomers | None = None
        self._growth: dict[int, Growth] = {}

    def now(self) -> int:
        """The clock's time, epoch seconds."""
        return self.clock.epoch_seconds

    def moved(self, at: int | None = None) -> bool:
        """Whether ``at`` (default now) is after the epoch (anything may differ)."""
        return (self.clock.epoch_seconds if at is None else at) > EPOCH

    # -- tracks ----------------------------------------------------------------------------
    def growth(self, track: dict[str, Any]) -> Growth:
        """The growth profile of a track (memoised by id)."""
        track_id = track["id"]
        found = self._growth.get(track_id)
        if found is not None:
            return found
        h = mix(track_id, 41)
        upload = self.schedule.upload_times.get(track_id)
        base = track.get("playback_count") or 0
        like = 0.005 + (h >> 40) % 1000 / 1000 * 0.045
        repost = 0.02 + (h >> 50) % 100 / 100 * 0.28
        comment = 0.004 * ((h >> 12) % 100) / 100 if track.get("commentable") else 0.0
        if upload is not None:
            burst = 2_000.0 * (1 + (h >> 20) % 8) * (10 if (h >> 28) % 4 == 0 else 1)
            found = Growth("release", upload, burst / 150, burst, 0.0, 1.0,
                           2.0 + (h >> 24) % 3, like, repost, comment)  # fmt: skip
        else:
            created = _created(track)
            age = max(30.0, (EPOCH - created) / DAY)
            rate = base / age * (0.3 + (h >> 8) % 1000 / 1000)
            hot = (track.get("comment_count") or 0) >= 1_000  # jowymusic's hot track
            if hot:
                comment = 0.02
            draw = 0 if hot else h % 100
            kind = "viral" if draw < 3 else "steady" if draw < 75 else "stalled"
            burst = (20_000.0 + 10 * base) * (1 + (h >> 20) % 5) if kind == "viral" else 0.0
            found = Growth(kind, max(EPOCH, created), rate, burst, 1.0 + (h >> 24) % 21,
                           0.8 + (h >> 32) % 3 * 0.4, 1.0, like, repost, comment)  # fmt: skip
        if len(self._growth) > 200_000:
            self._growth.clear()
        self._growth[track_id] = found
        return found

    def counts(self, track: dict[str, Any], at: int | None = None) -> dict[str, int | None]:
        """A track's four growing counts at ``at`` (default now).

        ``playback_count``, ``favoritings_count``, ``reposts_count``, ``comment_count``;
        ``None`` where the track hides the count (``reveal_stats``/``reveal_comments``).
        """
        t = self.clock.epoch_seconds if at is None else at
        out: dict[str, int | None] = {key: track.get(key) for key in _COUNT_FIELDS}
        growth = self.growth(track)
        gain = growth.gain(t)
        if gain <= 0:
            return out
        factors = (1.0, growth.like, growth.like * growth.repost, growth.comment)
        for key, factor in zip(_COUNT_FIELDS, factors, strict=True):
            value = out[key]
            if isinstance(value, int):
                out[key] = value + math.floor(gain * factor)
        return out

    def value(self, track: dict[str, Any], key: str, t: int) -> int | None:
        """One count of :meth:`counts` (the fast path for whole catalogues)."""
        base = track.get(key)
        if t <= EPOCH or not isinstance(base, int):
            return base
        growth = self._growth.get(track["id"]) or self.growth(track)
        gain = growth.gain(t)
        return base + math.floor(gain * growth.factor(key)) if gain > 0 else base

    def track(self, track: dict[str, Any], at: int | None = None) -> dict[str, Any]:
        """The track with its counts at ``at`` (the same object while nothing changed)."""
        t = self.clock.epoch_seconds if at is None else at
        if t <= EPOCH or not isinstance(track.get("id"), int):
            return track
        counts = self.counts(track, t)
        if all(counts[key] == track.get(key) for key in _COUNT_FIELDS):
            return track
        return {**track, **{key: value for key, value in counts.items() if key in track}}

    def count_reached(self, track: dict[str, Any], key: str, value: int, at: int) -> int:
        """The first second (at most ``at``) when ``track``'s ``key`` count reached ``value``."""
        growth = self.growth(track)
        need = value - (track.get(key) or 0)
        factor = growth.factor(key)
        if need <= 0 or not factor:
            return growth.start
        lo, hi = growth.start, at
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if growth.gain(mid) * factor >= need:
                hi = mid
            else:
                lo = mid
        return hi

    # -- users -----------------------------------------------------------------------------
    def user(self, user: dict[str, Any], at: int | None = None) -> dict[str, Any]:
        """A named user's object at ``at``: follower, following and track counts moved."""
        t = self.clock.epoch_seconds if at is None else at
        uid = user.get("id")
        if t <= EPOCH or not isinstance(uid, int) or self.catalog.spec_index(uid) is None:
            return user
        changes: dict[str, Any] = {}
        followers = user.get("followers_count")
        if isinstance(followers, int):
            extra = self.newcomers(uid, t) + len(self.followers_head_events(uid, t))
            if extra:
                changes["followers_count"] = followers + extra
        followings = user.get("followings_count")
        if isinstance(followings, int):
            extra = len(self.followees(uid, t))
            if extra:
                changes["followings_count"] = followings + extra
        uploads, deletions = self.version(uid, t)
        if uploads or deletions:
            changes["track_count"] = (user.get("track_count") or 0) + uploads - deletions
        return {**user, **changes} if changes else user

    # -- newcomer followers ----------------------------------------------------------------
    @property
    def layout(self) -> _Newcomers:
        """Newcomer rates and fan blocks of the named users (built on first use)."""
        layout = self._newcomers
        if layout is None:
            with self._lock:
                if self._newcomers is None:
                    self._newcomers = self._build_newcomers()
                layout = self._newcomers
        return layout

    def _build_newcomers(self) -> _Newcomers:
        catalog = self.catalog
        graph = catalog.world.graph
        rates: dict[int, float] = {}
        blocks: dict[int, tuple[int, int]] = {}
        for spec in catalog.specs():
            uid = spec.user_id
            base = catalog.builtin(uid).get("followers_count") or 0
            h = mix(uid, 43)
            share = _ROSTER_FOLLOW_RATES.get(spec.permalink)
            if share is None:
                share = 0.0 if h % 4 == 0 else 0.0005 + (h >> 8) % 100 / 100 * 0.002
            rate = base * share
            start, fans = graph.zones.get(uid, (0, 0))
            want = math.ceil(rate * GROWTH_DAYS)
            first = max(start + fans, _FREE_FANS)  # not the fans of the two big zones
            after, before = graph.pool - first, start
            if want <= after or after >= before:
                block = (first, max(0, min(want, after)))
            else:
                block = (start - min(want, before), min(want, before))
            rates[uid] = rate if block[1] else 0.0
            blocks[uid] = block
        intervals = [(s, n, uid) for uid, (s, n) in blocks.items() if n]
        bounds = sorted({s for s, _, _ in intervals} | {s + n for s, n, _ in intervals} | {0})
        cover: list[list[int]] = [[] for _ in bounds]
        for s, n, uid in intervals:
            for k in range(bisect.bisect_left(bounds, s), bisect.bisect_left(bounds, s + n)):
                cover[k].append(uid)
        return _Newcomers(rates, blocks, bounds, [tuple(c) for c in cover])

    def newcomers(self, uid: int, at: int) -> int:
        """How many newcomer fans follow named user ``uid`` at ``at``."""
        if at <= EPOCH:
            return 0
        layout = self.layout
        rate = layout.rate.get(uid, 0.0)
        if not rate:
            return 0
        return min(layout.block[uid][1], math.floor(rate * (at - EPOCH) / DAY))

    def newcomer_time(self, uid: int, k: int) -> int:
        """When the ``k``-th newcomer (from 0) of ``uid`` followed it."""
        rate = self.layout.rate[uid]
        t = EPOCH + math.ceil((k + 1) * DAY / rate)
        while self.newcomers(uid, t) <= k:  # float rounding
            t += 1
        while t > EPOCH + 1 and self.newcomers(uid, t - 1) > k:
            t -= 1
        return t

    def newly_followed(self, n: int, at: int) -> list[int]:
        """Named users that fan ``n`` (pool position) follows as a newcomer at ``at``."""
        if at <= EPOCH:
            return []
        layout = self.layout
        k = bisect.bisect_right(layout.bounds, n) - 1
        out = []
        for uid in layout.cover[k] if k >= 0 else ():
            if n - layout.block[uid][0] < self.newcomers(uid, at):
                out.append(uid)
        return out

    # -- schedule --------------------------------------------------------------------------
    @property
    def schedule(self) -> _Schedule:
        """The roster's scheduled events (built on first use)."""
        schedule = self._schedule
        if schedule is None:
            with self._lock:
                if self._schedule is None:
                    self._schedule = self._build_schedule()
                schedule = self._schedule
        return schedule

    def events(
        self, since: int | None = None, until: int | None = None, *, user: int | None = None
    ) -> list[Event]:
        """Scheduled events with ``since < time <= until``, in time order."""
        lo = EPOCH - 1 if since is None else since
        hi = EPOCH + HORIZON_DAYS * DAY * 2 if until is None else until
        return [event for event in self.schedule.events
                if lo < event.time <= hi and (user is None or user in (event.user, event.target))
                ]  # fmt: skip

    def version(self, uid: int, at: int) -> tuple[int, int]:
        """``(uploads, deletions)`` of ``uid`` done by ``at``."""
        if at <= EPOCH:
            return 0, 0
        schedule = self.schedule
        ups = schedule.uploads.get(uid)
        dels = schedule.deletions.get(uid)
        if not ups and not dels:
            return 0, 0
        done_up = bisect.bisect_right([t for t, _ in ups or ()], at)
        done_del = bisect.bisect_right([t for t, _ in dels or ()], at)
        return done_up, done_del

    def uploads(self, uid: int, at: int) -> list[tuple[int, dict[str, Any]]]:
        """``(time, track)`` of ``uid``'s uploads done by ``at``."""
        return [(t, track) for t, track in self.schedule.uploads.get(uid, ()) if t <= at]

    def deleted(self, uid: int, at: int) -> set[int]:
        """Ids of ``uid``'s tracks deleted by ``at``."""
        return {track_id for t, track_id in self.schedule.deletions.get(uid, ()) if t <= at}

    def followees(self, uid: int, at: int) -> list[int]:
        """Users ``uid`` follows by a scheduled follow active at ``at``, newest first."""
        if at <= EPOCH:
            return []
        return [f.dst for f in self.schedule.follows_out.get(uid, ()) if f.active(at)]

    def followers_head_events(self, uid: int, at: int) -> list[Follow]:
        """Scheduled follows of ``uid`` active at ``at``, newest first."""
        if at <= EPOCH:
            return []
        return [f for f in self.schedule.follows_in.get(uid, ()) if f.active(at)]

    def follower_head(self, uid: int, at: int) -> list[Any]:
        """The new head of a named user's followers list at ``at``: newcomers and followers
        by schedule, merged newest first (a list of parts for a ``Chain``)."""
        from .world import RevSpan

        total = self.newcomers(uid, at)
        follows = self.followers_head_events(uid, at)
        if not total and not follows:
            return []
        start = self.layout.block.get(uid, (0, 0))[0]
        parts: list[Any] = []
        hi = total
        for follow in follows:
            lo = min(hi, self.newcomers(uid, follow.start))
            parts += [RevSpan(FAN_BASE + start + lo, hi - lo), [follow.src]]
            hi = lo
        parts.append(RevSpan(FAN_BASE + start, hi))
        return parts

    def _build_schedule(self) -> _Schedule:
        catalog = self.catalog
        graph = catalog.world.graph
        events: list[Event] = []
        uploads: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        upload_times: dict[int, int] = {}
        deletions: dict[int, list[tuple[int, int]]] = {}
        deleted_at: dict[int, int] = {}
        follows: list[Follow] = []
        end = EPOCH + HORIZON_DAYS * DAY
        named = [spec.user_id for spec in catalog.specs()]
        taken_pairs: set[tuple[int, int]] = set()
        for spec in catalog.specs():
            if spec.permalink not in CADENCE or catalog.spec_index(spec.user_id) is None:
                continue
            uid = spec.user_id
            user = catalog.builtin(uid)
            cadence = CADENCE[spec.permalink]
            rng = random.Random(f"scdata.sandbox:{spec.permalink}:schedule")

            def times(kind: str, rng: random.Random = rng, cadence: Any = cadence) -> Iterator[int]:
                first, every = cadence[kind]
                k = 0
                while True:
                    t = EPOCH + round((first + k * every) * DAY) + rng.randrange(6 * 3600)
                    if t > end:
                        return
                    yield t
                    k += 1

            # uploads
            base = catalog.shelf(uid, at=EPOCH)
            used = set(base.by_permalink)
            last_id = max(base.by_id, default=spec.track_id_base)
            step = max(1, (spec.track_id_width - 1) // max(spec.n_tracks, 1))
            made: list[tuple[int, dict[str, Any]]] = []
            for k, t in enumerate(times("upload")):
                last_id += 1 + rng.randrange(step)
                if last_id >= spec.track_id_base + spec.track_id_width:
                    break
                track = build_upload(spec, user, last_id, t, spec.n_tracks + k + 1, used)
                made.append((t, track))
                upload_times[last_id] = t
                events.append(Event(t, "upload", uid, last_id))
            uploads[uid] = made
            # deletions: an old track, then a recent upload, in turn
            hot = spec.hot_comments
            old = [track["id"] for track in base.newest[3:]
                   if not (hot and track.get("comment_count") == hot)]  # fmt: skip
            gone: list[tuple[int, int]] = []
            for k, t in enumerate(times("delete")):
                target = None
                if k % 2:
                    recent = [tr["id"] for tu, tr in made
                              if tu <= t - 2 * DAY and tr["id"] not in deleted_at]  # fmt: skip
                    target = recent[-1] if recent else None
                if target is None and old:
                    target = old.pop(rng.randrange(len(old)))
                if target is None:
                    continue
                gone.append((t, target))
                deleted_at[target] = t
                events.append(Event(t, "delete", uid, target))
            deletions[uid] = gone
            # follows made by the roster user
            out_start, out_n = graph.outs.get(uid, (0, 0))
            already = set(graph.followees.get(uid, ())) | {uid}
            for k, t in enumerate(times("follow")):
                if k % 2 == 0:
                    choices = [u for u in named if u not in already and (uid, u) not in taken_pairs]
                    dst = rng.choice(choices) if choices else None
                else:
                    dst = self._free_fan(rng, [(out_start, out_n)], taken_pairs, uid, out=True)
                if dst is None:
                    continue
                undo = t + round((2 + rng.random() * 6) * DAY) if k % 3 == 1 else None
                taken_pairs.add((uid, dst))
                follows.append(Follow(uid, dst, t, undo))
            # follows of the roster user
            zone = graph.zones.get(uid, (0, 0))
            block = self.layout.block.get(uid, (0, 0))
            before = set(graph.followers.get(uid, ())) | {uid}
            for k, t in enumerate(times("followed")):
                if k % 2 == 0:
                    choices = [u for u in named if u not in before and (u, uid) not in taken_pairs]
                    src = rng.choice(choices) if choices else None
                else:
                    src = self._free_fan(rng, [zone, block], taken_pairs, uid, out=False)
                if src is None:
                    continue
                undo = t + round((1 + rng.random() * 5) * DAY) if k % 3 == 2 else None
                taken_pairs.add((src, uid))
                follows.append(Follow(src, uid, t, undo))
        for follow in follows:
            events.append(Event(follow.start, "follow", follow.src, follow.dst))
            if follow.end is not None:
                events.append(Event(follow.end, "unfollow", follow.src, follow.dst))
        events.sort(key=lambda e: (e.time, e.kind, e.user, e.target))
        follows.sort(key=lambda f: (f.start, f.src, f.dst), reverse=True)
        out: dict[int, list[Follow]] = {}
        into: dict[int, list[Follow]] = {}
        for follow in follows:
            out.setdefault(follow.src, []).append(follow)
            into.setdefault(follow.dst, []).append(follow)
        return _Schedule(events, uploads, upload_times, deletions, deleted_at, out, into)

    def _free_fan(
        self,
        rng: random.Random,
        avoid: list[tuple[int, int]],
        taken: set[tuple[int, int]],
        uid: int,
        *,
        out: bool,
    ) -> int | None:
        pool = self.catalog.world.graph.pool
        for _ in range(100):
            n = rng.randrange(_FREE_FANS, pool)
            fan = FAN_BASE + n
            pair = (uid, fan) if out else (fan, uid)
            if pair in taken or any(s <= n < s + c for s, c in avoid):
                continue
            if not out and uid in self.newly_followed_ever(n):
                continue
            return fan
        return None

    def newly_followed_ever(self, n: int) -> tuple[int, ...]:
        """Named users whose newcomer block holds fan position ``n``."""
        layout = self.layout
        k = bisect.bisect_right(layout.bounds, n) - 1
        return layout.cover[k] if k >= 0 else ()


def _created(track: dict[str, Any]) -> int:
    text = str(track.get("created_at"))
    try:
        parts = (text[:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
        return calendar.timegm((*(int(part) for part in parts), 0, 0, 0))
    except ValueError:
        return EPOCH
