"""Deterministic builders of User and Track objects, field for field as the API writes them.

A :class:`UserSpec` says who a user is (ids, number of tracks, access profile); the
builders turn it into JSON-ready dicts. Each user's objects come from their own
``random.Random`` seeded by the permalink, so they are identical on every run and machine
and do not depend on the order in which users are generated. No wall clock is read.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from typing import Any

from . import names
from .formats import sc_time, utc

__all__ = [
    "CATALOG_END",
    "UserSpec",
    "build_tracks",
    "build_upload",
    "build_user",
    "social_counts",
]

#: Upper bound of every generated timestamp (the catalogue's fixed "now").
CATALOG_END = utc(2026, 6, 30)

_COUNTRY_CODES = ("US", "GB", "DE", "FR", "JP", "BR", "CA", "AU", "SE", "NL", "MX", "KR")
_KEYS = ("Am", "C", "F#m", "Eb", "Gm", "D", "Bbm", "E")
_LICENSES = ("cc-by", "cc-by-nc", "cc-by-sa", "cc-by-nc-nd", "cc-by-nc-sa", "no-rights-reserved")
_PLANS = (
    ("Free", [{"product": {"id": "free", "name": "Free"}}]),
    ("Pro Unlimited",
     [{"product": {"id": "creator-pro-unlimited", "name": "Pro Unlimited"}, "recurring": True}]),
    ("Next Pro", [{"product": {"id": "next-pro", "name": "Next Pro"}, "recurring": True}]),
)  # fmt: skip
_UNICODE_PROFILE = {
    "username": "Sigrún Ýr 雪 🎧",
    "first_name": "Sigrún Ýr",
    "last_name": "Þórsdóttir",
    "full_name": "Sigrún Ýr Þórsdóttir",
    "city": "Reykjavík",
    "description": "Tónlist · 音楽 · 음악 — made with ❤️ in Reykjavík 🌋",
    "country": "Iceland",
}


@dataclasses.dataclass(frozen=True)
class UserSpec:
    """Recipe for one generated user and their tracks.

    Parameters
    ----------
    permalink, user_id, n_tracks
        Identity and size.
    track_id_base, track_id_width
        Track ids are increasing (with upload time) inside ``[base, base + width)``.
    joined
        Account creation, epoch seconds; tracks are uploaded between this and
        :data:`CATALOG_END`.
    username
        Fixed display name, or ``None`` for a generated one.
    popularity
        Scales plays and followers.
    unicode
        Use accented/CJK/emoji profile text and titles.
    blocked_share, preview_share
        Probability of ``access`` being ``"blocked"`` / ``"preview"``.
    blocked_run
        ``(start, stop)`` positions (newest first) that are all ``"blocked"``.
    private_run
        ``(start, stop)`` positions (newest first) whose ``sharing`` is ``"private"``:
        never listed nor served to an app, but counted in ``track_count``.
    sparse_counts
        Some of the user's optional counts are ``null``.
    followers, followings
        Fixed ``followers_count`` / ``followings_count`` (``None``: drawn).
    hot_comments
        If > 0, the newest track is commentable and has this many comments.

    Examples
    --------
    >>> spec = UserSpec("someone", 1234, 3, 10_000, 1_000, joined=utc(2015, 1, 1))
    >>> len(build_tracks(spec, build_user(spec)))
    3
    """

    permalink: str
    user_id: int
    n_tracks: int
    track_id_base: int
    track_id_width: int
    joined: int
    username: str | None = None
    popularity: float = 1.0
    unicode: bool = False
    blocked_share: float = 0.02
    preview_share: float = 0.08
    blocked_run: tuple[int, int] | None = None
    sparse_counts: bool = False
    private_run: tuple[int, int] | None = None
    followers: int | None = None
    followings: int | None = None
    hot_comments: int = 0


def build_user(spec: UserSpec) -> dict[str, Any]:
    """Return the User object of ``spec`` (fields in the API writer's order, plus ``urn``).

    Examples
    --------
    >>> spec = UserSpec("someone", 1234, 3, 10_000, 1_000, joined=utc(2015, 1, 1))
    >>> build_user(spec)["urn"], build_user(spec)["track_count"]
    ('soundcloud:users:1234', 3)
    """
    rng = random.Random(f"scdata.sandbox:{spec.permalink}:user")
    profile = dict(_UNICODE_PROFILE) if spec.unicode else _profile(rng, spec)
    plan, subscriptions = rng.choices(_PLANS, weights=(75, 20, 5))[0]
    favorites = rng.randrange(3000)
    has_site = rng.random() < 0.3
    followers = int(rng.lognormvariate(math.log(300 * spec.popularity), 1.2))
    avatar = names.avatar_url(rng)
    modified = sc_time(rng.randrange(spec.joined, CATALOG_END))
    rng.randrange(200)  # was the reposts count: keep the stream of draws
    followings = rng.randrange(800)
    if spec.followers is not None:
        followers = spec.followers
    if spec.followings is not None:
        followings = spec.followings
    liked_tracks, liked_playlists, reposted_tracks, reposted_playlists = social_counts(spec)
    favorites = liked_tracks + liked_playlists
    return {
        "avatar_url": avatar,
        "id": spec.user_id,
        "urn": f"soundcloud:users:{spec.user_id}",
        "kind": "user",
        "permalink_url": f"https://soundcloud.com/{spec.permalink}",
        "uri": f"https://api.soundcloud.com/users/{spec.user_id}",
        "username": profile["username"],
        "permalink": spec.permalink,
        "created_at": sc_time(spec.joined),
        "last_modified": modified,
        "first_name": profile["first_name"],
        "last_name": profile["last_name"],
        "full_name": profile["full_name"],
        "city": profile["city"],
        "description": profile["description"],
        "country": profile["country"],
        "track_count": spec.n_tracks,
        "public_favorites_count": None if spec.sparse_counts else favorites,
        "reposts_count": reposted_tracks + reposted_playlists,
        "followers_count": followers,
        "followings_count": None if spec.sparse_counts else followings,
        "plan": plan,
        "myspace_name": None,
        "discogs_name": spec.permalink if rng.random() < 0.05 else None,
        "website_title": rng.choice(("", "Bandcamp", "Official site", None)) if has_site else None,
        "website": f"https://{spec.permalink}.bandcamp.com" if has_site else None,
        "comments_count": 0,
        "online": False,
        "likes_count": None if spec.sparse_counts else favorites,
        "playlist_count": rng.randrange(30),
        "subscriptions": copy.deepcopy(subscriptions),
    }


def social_counts(spec: UserSpec) -> tuple[int, int, int, int]:
    """Return how many tracks and playlists ``spec``'s user likes and reposts.

    ``(liked tracks, liked playlists, reposted tracks, reposted playlists)``; the user's
    ``public_favorites_count`` is the sum of the first two (API-NOTES-2 §1.10), its
    ``reposts_count`` the sum of the last two.

    Examples
    --------
    >>> spec = UserSpec("someone", 1234, 3, 10_000, 1_000, joined=utc(2015, 1, 1))
    >>> social_counts(spec) == social_counts(spec)
    True
    """
    rng = random.Random(f"scdata.sandbox:{spec.permalink}:social")
    heavy = spec.followings is not None and spec.followings > 2_000
    tracks = rng.randrange(250, 320) if heavy else rng.randrange(45)
    return tracks, rng.randrange(9), rng.randrange(16), rng.randrange(5)


def _profile(rng: random.Random, spec: UserSpec) -> dict[str, Any]:
    first, last = names.person(rng)
    named = rng.random() < 0.6
    city, country, _, _ = rng.choice(names.CITIES)
    has_city = rng.random() < 0.8
    generated = rng.choice((f"{first} {last}", f"DJ {first}", f"{first.lower()}beats"))
    return {
        "username": spec.username or generated,
        "first_name": first if named else "",
        "last_name": last if named else "",
        "full_name": f"{first} {last}" if named else "",
        "city": city if has_city else "",
        "description": names.description(rng, spec.permalink),
        "country": country if has_city else None,
    }


def build_tracks(spec: UserSpec, user: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """Return ``spec``'s tracks as ``(created_at epoch ms, id, track)``, oldest first.

    ``user`` is embedded (the same dict) as each track's ``user``. A few tracks share
    their upload second with the previous one (batch uploads), so ordering needs the id.

    Examples
    --------
    >>> spec = UserSpec("someone", 1234, 3, 10_000, 1_000, joined=utc(2015, 1, 1))
    >>> [key[1] < 11_000 for key in build_tracks(spec, build_user(spec))]
    [True, True, True]
    """
    rng = random.Random(f"scdata.sandbox:{spec.permalink}:tracks")
    n = spec.n_tracks
    first_upload = spec.joined + 86_400 * rng.randint(1, 60)
    times = sorted(rng.randrange(first_upload, CATALOG_END) for _ in range(n))
    for i in range(1, n):
        if rng.random() < 0.04:
            times[i] = times[i - 1]
    step = max(1, (spec.track_id_width - 1) // max(n, 1))  # ids stay below base + width
    _, _, lat, lon = rng.choice(names.CITIES)
    used: set[str] = set()
    track_id = spec.track_id_base
    out = []
    for i, created in enumerate(times):
        track_id += rng.randint(1, step)
        track = _track(rng, spec, user, track_id, created, i + 1, n - 1 - i, used, (lat, lon))
        out.append((created * 1000, track_id, track))
    if spec.hot_comments and out:
        out[-1][2].update(commentable=True, reveal_comments=True, comment_count=spec.hot_comments)
    return out


def build_upload(
    spec: UserSpec, user: dict[str, Any], track_id: int, created: int, number: int, used: set[str]
) -> dict[str, Any]:
    """Return a track ``spec``'s user uploads at ``created`` (after the catalogue's end).

    Public, playable, every count 0 (hidden ones stay ``None``); ``used`` holds the taken
    slugs and gets the new one.

    Examples
    --------
    >>> spec = UserSpec("someone", 1234, 3, 10_000, 1_000, joined=utc(2015, 1, 1))
    >>> track = build_upload(spec, build_user(spec), 10_999, CATALOG_END + 60, 4, set())
    >>> track["created_at"], track["sharing"], track["access"], track["reposts_count"]
    ('2026/06/30 00:01:00 +0000', 'public', 'playable', 0)
    """
    rng = random.Random(f"scdata.sandbox:{spec.permalink}:upload:{track_id}")
    plain = dataclasses.replace(spec, blocked_run=None, private_run=None, blocked_share=0.0,
                                preview_share=0.0)  # fmt: skip
    track = _track(rng, plain, user, track_id, created, number, 0, used, (52.5, 13.4))
    zeros = ("playback_count", "download_count", "favoritings_count", "comment_count")
    track.update({key: 0 for key in zeros if track[key] is not None})
    track.update(reposts_count=0, access="playable", streamable=True, sharing="public",
                 available_country_codes=None)  # fmt: skip
    return track


def _access(rng: random.Random, spec: UserSpec, position: int) -> str:
    draw = rng.random()
    run = spec.blocked_run
    if (run is not None and run[0] <= position < run[1]) or draw < spec.blocked_share:
        return "blocked"
    return "preview" if draw < spec.blocked_share + spec.preview_share else "playable"


def _counts(
    rng: random.Random, spec: UserSpec, commentable: bool, downloadable: bool
) -> tuple[int, int, int, int, int]:
    plays = int(rng.lognormvariate(math.log(600 * spec.popularity), 1.4))
    favorites = int(plays * rng.uniform(0.005, 0.05))
    reposts = int(favorites * rng.uniform(0.02, 0.3))
    comments = int(plays * rng.uniform(0, 0.004)) if commentable else 0
    downloads = int(plays * rng.uniform(0.001, 0.02)) if downloadable else 0
    return plays, favorites, reposts, comments, downloads


def _track(
    rng: random.Random,
    spec: UserSpec,
    user: dict[str, Any],
    track_id: int,
    created: int,
    number: int,
    position: int,
    used: set[str],
    geo: tuple[float, float],
) -> dict[str, Any]:
    name = names.unicode_title(rng) if spec.unicode else names.title(rng, number)
    slug = base = names.slugify(name)
    suffix = 0
    while slug in used:
        suffix += 1
        slug = f"{base}-{suffix}"
    used.add(slug)
    access = _access(rng, spec, position)
    commentable = rng.random() < 0.92
    downloadable = rng.random() < 0.1
    plays, favorites, reposts, comments, downloads = _counts(rng, spec, commentable, downloadable)
    reveal_stats, reveal_comments = rng.random() >= 0.07, rng.random() >= 0.05
    year = int(sc_time(created)[:4])
    released = rng.random() < 0.2
    purchase = rng.random() < 0.15
    restricted = access != "playable" and rng.random() < 0.5
    urn = f"soundcloud:tracks:{track_id}"
    uri = f"https://api.soundcloud.com/tracks/{urn}"
    long_mix = rng.random() < 0.05
    private = spec.private_run is not None and spec.private_run[0] <= position < spec.private_run[1]
    return {
        "kind": "track",
        "id": track_id,
        "urn": urn,
        "created_at": sc_time(created),
        "duration": rng.randint(1_800_000, 7_200_000) if long_mix else rng.randint(30_000, 420_000),
        "commentable": commentable,
        "comment_count": comments if reveal_comments else None,
        "sharing": "private" if private else "public",
        "tag_list": names.tag_list(rng, *geo),
        "streamable": access != "blocked",
        "embeddable_by": rng.choices(("all", "me", "none"), weights=(94, 4, 2))[0],
        "purchase_url": f"https://{spec.permalink}.bandcamp.com/track/{slug}" if purchase else None,
        "purchase_title": rng.choice(("Buy", "Free Download", None)) if purchase else None,
        "genre": rng.choices((rng.choice(names.GENRES), "", None), weights=(72, 3, 25))[0],
        "title": name,
        "description": names.description(rng, spec.permalink),
        "label_name": rng.choices((rng.choice(names.LABELS), "", None), weights=(20, 3, 77))[0],
        "release": f"{name} EP" if rng.random() < 0.08 else None,
        "key_signature": rng.choice(_KEYS) if rng.random() < 0.1 else None,
        "isrc": names.isrc(rng, year) if rng.random() < 0.12 else None,
        "bpm": round(rng.uniform(70, 175), 4) if rng.random() < 0.15 else None,
        "release_year": year if released else None,
        "release_month": rng.randint(1, 12) if released else None,
        "release_day": rng.randint(1, 28) if released else None,
        "license": "all-rights-reserved" if rng.random() < 0.85 else rng.choice(_LICENSES),
        "uri": uri,
        "user": user,
        "permalink_url": f"https://soundcloud.com/{spec.permalink}/{slug}",
        "artwork_url": names.artwork_url(rng) if rng.random() < 0.65 else None,
        "stream_url": f"{uri}/stream",
        "download_url": f"{uri}/download" if downloadable else None,
        "waveform_url": names.waveform_url(rng),
        "available_country_codes": (
            sorted(rng.sample(_COUNTRY_CODES, rng.randint(2, 5))) if restricted else None
        ),
        "secret_uri": None,
        "user_favorite": False,
        "user_playback_count": 1,
        "playback_count": plays if reveal_stats else None,
        "download_count": downloads if reveal_stats else None,
        "favoritings_count": favorites if reveal_stats else None,
        "reposts_count": reposts,
        "downloadable": downloadable,
        "access": access,
        "policy": None,
        "monetization_model": None,
        "metadata_artist": " ".join(names.person(rng)) if rng.random() < 0.1 else None,
        "reveal_stats": reveal_stats,
        "reveal_comments": reveal_comments,
    }
