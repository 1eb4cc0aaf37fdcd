"""What the sandbox's world holds at any time: the truth tests check a sync against.

``sb.truth`` (a :class:`Truth`) answers from the same functions the server uses, for any
time (``at``: a datetime, ISO text or epoch seconds; default the clock's time), without a
request. See :mod:`scdata.sandbox.timeline` for how the world moves.

>>> from scdata.sandbox import Sandbox
>>> sb = Sandbox(artists=1, artist_tracks=20)
>>> truth = sb.truth
>>> truth.roster
('jowymusic', 'bjork-unicode', 'artist-001')
>>> first = truth.events(kind="upload", user="artist-001")[0]
>>> first.kind, first.when.isoformat()
('upload', '2026-06-30T22:11:04+00:00')
>>> truth.track(first.target, at=first.time - 1) is None
True
>>> truth.track(first.target, at=first.time)["playback_count"]
0
>>> truth.track(first.target, at=first.time + 86_400)["playback_count"] > 0
True
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .timeline import EPOCH, ROSTER, Event, Growth, to_epoch
from .world import FOLLOWINGS_CAP

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = ["Truth"]

When = dt.datetime | dt.date | str | float | None


class Truth:
    """The emulator's own truth at any time (``sb.truth``).

    Parameters
    ----------
    catalog
        The sandbox's catalogue (its ``timeline`` holds the clock and the schedule).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.timeline = catalog.timeline

    @property
    def roster(self) -> tuple[str, ...]:
        """The users whose tracks and follows change on a schedule (present ones)."""
        out = []
        for permalink in ROSTER:
            try:
                self.catalog.user_id(permalink)
            except KeyError:
                continue
            out.append(permalink)
        return tuple(out)

    def _t(self, at: When) -> int:
        return self.timeline.now() if at is None else max(EPOCH, to_epoch(at))

    def _uid(self, ref: int | str) -> int:
        return self.catalog.user_id(ref)

    def _track_id(self, ref: int | str | dict[str, Any]) -> int:
        if isinstance(ref, dict):
            return int(ref["id"])
        if isinstance(ref, str):
            return int(ref.removeprefix("soundcloud:tracks:"))
        return ref

    # -- items -----------------------------------------------------------------------------
    def track(self, ref: int | str | dict[str, Any], at: When = None) -> dict[str, Any] | None:
        """The track (id, URN or object) at ``at`` with its counts then; ``None`` if it does
        not exist then (not yet uploaded, deleted, unknown). Private tracks included."""
        t = self._t(at)
        try:
            track = self.catalog.track(self._track_id(ref), t)
        except KeyError:
            return None
        return self.timeline.track(track, t)

    def counts(self, ref: int | str | dict[str, Any], at: When = None) -> dict[str, int | None]:
        """``playback_count``, ``favoritings_count``, ``reposts_count``, ``comment_count``
        of a track at ``at`` (``KeyError`` if it does not exist then)."""
        t = self._t(at)
        track = self.catalog.track(self._track_id(ref), t)
        return self.timeline.counts(track, t)

    def growth(self, ref: int | str | dict[str, Any]) -> Growth:
        """How a track grows: ``kind`` ``"viral"``, ``"steady"``, ``"stalled"``, ``"release"``."""
        track_id = self._track_id(ref)
        try:
            return self.timeline.growth(self.catalog.track(track_id, EPOCH))
        except KeyError:
            pass
        for uploads in self.timeline.schedule.uploads.values():
            for _, track in uploads:
                if track["id"] == track_id:
                    return self.timeline.growth(track)
        raise KeyError(ref)

    def user(self, ref: int | str, at: When = None) -> dict[str, Any]:
        """A user's object at ``at`` (counts then), as ``/users/{urn}`` would show it."""
        t = self._t(at)
        uid = self._uid(ref)
        if self.catalog.spec_index(uid) is None and self.catalog.world.is_fan(uid):
            return self.catalog.world.fan(uid, t)
        return self.timeline.user(self.catalog.user(uid), t)

    # -- lists -----------------------------------------------------------------------------
    def tracks_of(
        self, user: int | str, at: When = None, *, listed: bool = True
    ) -> list[dict[str, Any]]:
        """The user's tracks at ``at``, newest first, with their counts then.

        ``listed=True``: the public ones (what ``/users/{urn}/tracks`` lists, every
        ``access``); ``False``: private ones too.
        """
        t = self._t(at)
        tracks = self.catalog.tracks(user, t)
        if listed:
            tracks = [track for track in tracks if track.get("sharing") != "private"]
        return [self.timeline.track(track, t) for track in tracks]

    def followers_of(self, user: int | str, at: When = None, limit: int | None = None) -> list[int]:
        """Ids of the user's followers at ``at``, in listed order (newest follows first)."""
        chain = self.catalog.world.followers(self._uid(user), self._t(at))
        return chain.cut(0, len(chain) if limit is None else limit)

    def followings_of(self, user: int | str, at: When = None) -> list[int]:
        """Ids of the users it follows at ``at``, as listed (newest first, at most 2,000)."""
        chain = self.catalog.world.followings(self._uid(user), at=self._t(at))
        return chain.cut(0, min(len(chain), FOLLOWINGS_CAP))

    def favoriters_of(self, track: int | str | dict[str, Any], at: When = None) -> list[int]:
        """Ids of the users listed as liking the track at ``at``."""
        t = self._t(at)
        chain = self.catalog.world.favoriters(self.catalog.track(self._track_id(track), t), t)
        return chain.cut(0, len(chain))

    # -- the schedule ----------------------------------------------------------------------
    def events(
        self,
        since: When = None,
        until: When = None,
        *,
        kind: str | None = None,
        user: int | str | None = None,
    ) -> list[Event]:
        """Scheduled events with ``since < time <= until`` (default: all), in time order.

        ``kind``: ``"upload"``, ``"delete"``, ``"follow"`` or ``"unfollow"``; ``user``: events
        where that user acts or is followed.
        """
        lo = None if since is None else to_epoch(since)
        hi = None if until is None else to_epoch(until)
        uid = None if user is None else self._uid(user)
        return [event for event in self.timeline.events(lo, hi, user=uid)
                if kind is None or event.kind == kind]  # fmt: skip

    def newcomers(self, user: int | str, at: When = None) -> int:
        """How many fans newly follow the named user at ``at`` (scheduled follows aside)."""
        return self.timeline.newcomers(self._uid(user), self._t(at))
