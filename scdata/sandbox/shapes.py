"""How served objects look: the representation rules of the production API.

The catalogue stores one clean object per user and track; :class:`Shapes` turns it into
what the real API sends (``../shared/soundcloud-api/API-NOTES-2.md``):

- **embedded users** (the ``user`` of every served track, in collections and alone, §1.3):
  ``"zeroed"`` (full key set, ``followers_count``, ``followings_count``,
  ``public_favorites_count``, ``reposts_count``, ``likes_count`` and ``comments_count`` 0,
  ``online`` false, ``track_count`` as stored), ``"compact"`` (the key set of #424, counts
  absent) or ``"full"`` (real counts). Real counts only come from ``/users/{urn}`` and
  ``/resolve``.
- **utm links** (§1.4): a user's ``permalink_url`` ends in
  ``?utm_medium=api&utm_campaign=social_sharing&utm_source=id_<app id>``.
- **URN uris** (§1.5): a user's ``uri`` is ``<api>/users/soundcloud:users:N``.
- **Location style** of ``/resolve`` (§1.6): ``numeric`` ``/users/N``, ``urn``
  ``/users/soundcloud:users:N``, ``urn-encoded`` ``/users/soundcloud%3Ausers%3AN``, or
  ``body-only`` (a 302 without ``Location``, only the body's ``location``).
- **Unknown owner** on collection endpoints (§1.11): ``"empty200"`` answers
  ``200 {"collection": [], "next_href": null}``, ``"404"`` the standard 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "COMPACT_USER_KEYS",
    "EMBEDDED_MODES",
    "LOCATION_STYLES",
    "UNKNOWN_OWNER_MODES",
    "ZEROED_COUNTS",
    "Shapes",
    "utm_suffix",
]

EMBEDDED_MODES = ("zeroed", "compact", "full")
LOCATION_STYLES = ("numeric", "urn", "urn-encoded", "body-only")
UNKNOWN_OWNER_MODES = ("empty200", "404")
#: Counts an embedded user carries as 0 (``samples/issue210_..._zero_counts_2022.json``).
ZEROED_COUNTS = (
    "public_favorites_count",
    "reposts_count",
    "followers_count",
    "followings_count",
    "comments_count",
    "likes_count",
)
#: Keys of a track search's embedded user (``samples/issue424_...``), plus ``urn``.
COMPACT_USER_KEYS = (
    "id",
    "urn",
    "kind",
    "permalink",
    "username",
    "full_name",
    "description",
    "avatar_url",
    "permalink_url",
    "uri",
    "city",
    "country",
    "track_count",
    "created_at",
    "last_modified",
    "subscriptions",
)


def utm_suffix(app_id: int) -> str:
    """Return the tracking query the API appends to ``permalink_url`` (plain concatenation).

    Examples
    --------
    >>> utm_suffix(317307)
    '?utm_medium=api&utm_campaign=social_sharing&utm_source=id_317307'
    """
    return f"?utm_medium=api&utm_campaign=social_sharing&utm_source=id_{app_id}"


class Shapes:
    """Representation switches and the functions applying them.

    Parameters
    ----------
    base_url
        Returns the sandbox's base URL (the API host of a URN ``uri`` and of ``Location``).
    production
        Defaults of the switches: production (``zeroed``, utm links, URN uris,
        ``empty200``) or the permissive old behaviour (``full``, clean URLs, ``404``).
    app_id
        The application id in ``utm_source=id_<app id>``.

    Examples
    --------
    >>> shapes = Shapes(lambda: "http://sb", production=True, app_id=7)
    >>> user = {"id": 1, "permalink_url": "https://soundcloud.com/a", "followers_count": 9,
    ...         "uri": "https://api.soundcloud.com/users/1", "track_count": 3}
    >>> shapes.user(user)["permalink_url"]
    'https://soundcloud.com/a?utm_medium=api&utm_campaign=social_sharing&utm_source=id_7'
    >>> shapes.user(user)["uri"], shapes.embedded(user)["followers_count"]
    ('http://sb/users/soundcloud:users:1', 0)
    >>> Shapes(lambda: "http://sb", production=False).user(user) is user
    True
    """

    def __init__(
        self, base_url: Callable[[], str], *, production: bool = True, app_id: int = 314159
    ) -> None:
        self.base_url = base_url
        self.app_id = app_id
        self.embedded_users = "zeroed" if production else "full"
        self.utm_links = production
        self.urn_uris = production
        self.location_style = "numeric"
        self.unknown_owner = "empty200" if production else "404"
        #: The :class:`~scdata.sandbox.timeline.Timeline` moving counts with the clock
        #: (``None``: objects are shown as stored).
        self.timeline: Any = None

    # -- users -------------------------------------------------------------------------
    def _transforms(self) -> bool:
        return self.utm_links or self.urn_uris

    def user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Return the full User as ``/users/{urn}`` and ``/resolve`` send it."""
        if self.timeline is not None and isinstance(user, dict):
            user = self.timeline.user(user)
        if not self._transforms() or not isinstance(user, dict):
            return user
        shown = dict(user)
        url = shown.get("permalink_url")
        if self.utm_links and isinstance(url, str):
            shown["permalink_url"] = url + utm_suffix(self.app_id)
        uid = shown.get("id")
        if self.urn_uris and "uri" in shown and isinstance(uid, int):
            shown["uri"] = f"{self.base_url()}/users/soundcloud:users:{uid}"
        return shown

    def embedded(self, user: dict[str, Any]) -> dict[str, Any]:
        """Return the User as embedded in a track (see :attr:`embedded_users`)."""
        if not isinstance(user, dict):
            return user
        mode = self.embedded_users
        shown = self.user(user)
        if mode == "full":
            return shown
        if mode == "compact":
            return {key: shown[key] for key in COMPACT_USER_KEYS if key in shown}
        if shown is user:
            shown = dict(user)
        for key in ZEROED_COUNTS:
            if key in shown:
                shown[key] = 0
        if "online" in shown:
            shown["online"] = False
        return shown

    # -- tracks ------------------------------------------------------------------------
    def tracks(self, tracks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return tracks with their embedded users shown as the API sends them.

        Each distinct user is rendered once per call; the tracks are shallow copies
        (the catalogue's objects are never changed). Counts are those at the clock's time.
        """
        timeline = self.timeline
        if timeline is not None and timeline.moved():
            t = timeline.now()
            tracks = [timeline.track(track, t) for track in tracks]
        if self.embedded_users == "full" and not self._transforms():
            return list(tracks)
        rendered: dict[int, dict[str, Any]] = {}
        out = []
        for track in tracks:
            user = track.get("user")
            if not isinstance(user, dict):
                out.append(track)
                continue
            shown = rendered.get(id(user))
            if shown is None:
                shown = rendered[id(user)] = self.embedded(user)
            out.append({**track, "user": shown})
        return out

    def track(self, track: dict[str, Any]) -> dict[str, Any]:
        """Return one track as ``/tracks/{urn}`` sends it."""
        return self.tracks([track])[0]

    # -- /resolve ------------------------------------------------------------------------
    def location(self, kind: str, object_id: int) -> str:
        """Return the ``Location`` of a ``/resolve`` 302 for ``kind`` (``users``/``tracks``).

        Examples
        --------
        >>> shapes = Shapes(lambda: "http://sb")
        >>> shapes.location("users", 5)
        'http://sb/users/5'
        >>> shapes.location_style = "urn-encoded"; shapes.location("tracks", 5)
        'http://sb/tracks/soundcloud%3Atracks%3A5'
        """
        style = self.location_style
        if style == "urn":
            ref = f"soundcloud:{kind}:{object_id}"
        elif style == "urn-encoded":
            ref = f"soundcloud%3A{kind}%3A{object_id}"
        else:
            ref = str(object_id)
        return f"{self.base_url()}/{kind}/{ref}"
