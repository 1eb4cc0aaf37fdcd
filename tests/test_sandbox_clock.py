"""The emulator moves in time: Date header, growing counts, uploads, deletions, follows.

Everything goes over a real socket (requests against a started Sandbox) and is checked
against the emulator's own truth (``sb.truth``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from scdata.sandbox import Sandbox
from scdata.sandbox.cli import _parser
from scdata.sandbox.timeline import DAY, EPOCH, Clock

JOWY, BJORK, ARTIST = 52_461_337, 7_340_229, 400_007_919
HOT_TRACK = 2_174_623_891
UTC = dt.UTC


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(request_rate=0, token_ip_limit=10_000, artists=1, artist_tracks=20) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _standing(sb: Sandbox) -> Iterator[None]:
    sb.now = EPOCH
    yield
    sb.now = EPOCH


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[requests.Session]:
    token = requests.post(
        sb.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sb.client_id, sb.client_secret),
        timeout=10,
    ).json()["access_token"]
    with requests.Session() as session:
        session.headers["Authorization"] = f"OAuth {token}"
        yield session


def get(sb: Sandbox, api: requests.Session, path: str, **params: Any) -> requests.Response:
    return api.get(sb.url + path, params=params, timeout=10)


def listed(sb: Sandbox, api: requests.Session, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a cursor collection, following ``next_href``."""
    out: list[dict[str, Any]] = []
    url: str | None = sb.url + path
    query: dict[str, Any] | None = {"limit": 200, "linked_partitioning": "true", **params}
    while url:
        page = api.get(url, params=query, timeout=10).json()
        out += page["collection"]
        url, query = page.get("next_href"), None
    return out


def served_date(response: requests.Response) -> dt.datetime:
    return email.utils.parsedate_to_datetime(response.headers["Date"])


# -- the clock -------------------------------------------------------------------------------
def test_date_header_follows_the_clock(sb: Sandbox, api: requests.Session) -> None:
    first = get(sb, api, f"/users/{ARTIST}")
    assert first.headers["Date"] == "Tue, 30 Jun 2026 00:00:00 GMT"
    assert served_date(first) == sb.now == dt.datetime(2026, 6, 30, tzinfo=UTC)
    assert served_date(get(sb, api, f"/users/{ARTIST}")) == sb.now  # it stands still
    moved = sb.advance(days=1, hours=2)
    assert moved == dt.datetime(2026, 7, 1, 2, tzinfo=UTC) == sb.now
    assert get(sb, api, f"/users/{ARTIST}").headers["Date"] == "Wed, 01 Jul 2026 02:00:00 GMT"
    assert served_date(get(sb, api, "/users/1")) == moved  # errors carry it too
    token = requests.post(sb.token_url, data={"grant_type": "client_credentials"},
                          auth=(sb.client_id, sb.client_secret), timeout=10)  # fmt: skip
    assert served_date(token) == moved


def test_clock_controls() -> None:
    sb = Sandbox(artists=0, clock_start="2026-07-10T08:00:00Z")
    assert sb.now == dt.datetime(2026, 7, 10, 8, tzinfo=UTC) == sb.clock.start
    sb.advance(hours=30)
    assert sb.clock.elapsed == 30 * 3600
    with pytest.raises(ValueError, match="forward"):
        sb.advance(days=-1)
    with pytest.raises(ValueError, match="epoch"):
        sb.now = "2026-01-01"
    with pytest.raises(ValueError, match="epoch"):
        Sandbox(artists=0, clock_start=dt.datetime(2020, 1, 1))
    assert Clock(dt.datetime(2026, 8, 1)).now == dt.datetime(2026, 8, 1, tzinfo=UTC)
    assert _parser().parse_args(["--clock-start", "2026-07-01"]).clock_start == "2026-07-01"


#: sha256 (first 16 hex digits) of answers of main's emulator (before the clock) with
#: ``Sandbox(artists=1, artist_tracks=20)``, the sandbox's URL replaced by ``URL``.
MAIN_ANSWERS = {
    "/users/400007919": "6fefa7cec9d4d85c",
    "/users/400007919/tracks?linked_partitioning=1&limit=200": "3959b105f464913c",
    "/users/7340229/followers?limit=200": "2b421da18a4afc3a",
    "/users/400007919/followings?limit=200": "6e7e22ace9078d70",
    "/tracks/2174623891": "525bde1038c387b0",
    "/tracks/2174623891/comments?limit=50&linked_partitioning=1": "703950187929b013",
    "/users?urns=soundcloud:users:52461337,soundcloud:users:1600155350": "fe3903b5546e56a3",
    "/users/1600155350/likes/tracks?limit=50": "3fbc9eeed55d80c9",
}


@pytest.mark.slow  # the comment authors' likes build big-catalog's 10,000 tracks
def test_standing_clock_serves_main_byte_for_byte(sb: Sandbox, api: requests.Session) -> None:
    def digests() -> dict[str, str]:
        out = {}
        for path in MAIN_ANSWERS:
            body = api.get(sb.url + path, timeout=10).content.replace(sb.url.encode(), b"URL")
            out[path] = hashlib.sha256(body).hexdigest()[:16]
        return out

    assert digests() == MAIN_ANSWERS
    sb.advance(days=9)
    assert digests() != MAIN_ANSWERS
    sb.now = EPOCH  # a pure function of time: back at the epoch, back to the same bytes
    assert digests() == MAIN_ANSWERS


# -- growth ----------------------------------------------------------------------------------
COUNTS = ("playback_count", "favoritings_count", "reposts_count", "comment_count")


def test_counts_grow_monotonically_and_match_truth(sb: Sandbox, api: requests.Session) -> None:
    seen: dict[int, list[dict[str, Any]]] = {}
    for day in (0, 1, 2, 5, 12):
        sb.now = EPOCH + day * DAY
        for track in listed(sb, api, f"/users/{JOWY}/tracks", access="playable,preview,blocked"):
            if track["created_at"] < "2026/06/30":  # the catalogue's tracks, not uploads
                shown = {key: track[key] for key in COUNTS}
                assert shown == sb.truth.counts(track["id"])
                seen.setdefault(track["id"], []).append(shown)
    kinds: dict[str, int] = {}
    for track_id, history in seen.items():
        kind = sb.truth.growth(track_id).kind
        kinds[kind] = kinds.get(kind, 0) + 1
        for key in COUNTS:
            values = [row[key] for row in history]
            if values[0] is None:
                assert set(values) == {None}  # a hidden count stays hidden
                continue
            assert values == sorted(values), (track_id, key)
            if kind == "stalled":
                assert len(set(values)) == 1
        if kind == "viral" and history[0]["playback_count"] is not None:  # steep, soon
            growth = sb.truth.growth(track_id)
            peak = sb.truth.counts(track_id, EPOCH + round((growth.centre + 5) * DAY))
            assert peak["playback_count"] - history[0]["playback_count"] > 10_000
    assert {"viral", "steady", "stalled"} <= set(kinds)
    assert kinds["steady"] > kinds["stalled"] > kinds["viral"]


def test_followers_list_matches_the_growing_count(sb: Sandbox, api: requests.Session) -> None:
    before = get(sb, api, f"/users/{ARTIST}").json()["followers_count"]
    sb.advance(days=6)
    count = get(sb, api, f"/users/{ARTIST}").json()["followers_count"]
    assert count > before and count == sb.truth.user(ARTIST)["followers_count"]
    ids = [u["id"] for u in listed(sb, api, f"/users/{ARTIST}/followers")]
    assert len(ids) == len(set(ids)) == count
    assert ids == sb.truth.followers_of(ARTIST)
    newest = sb.truth.newcomers(ARTIST)
    assert newest > 0
    for uid in ids[:3]:  # the newest followers follow it, as their own lists say
        if uid >= 1_600_000_000:
            followings = [u["id"] for u in listed(sb, api, f"/users/{uid}/followings")]
            assert ARTIST in followings
            user = get(sb, api, f"/users/{uid}").json()
            assert user["followings_count"] == len(followings)


@pytest.mark.slow
def test_likes_and_comments_lists_follow_their_counts(sb: Sandbox, api: requests.Session) -> None:
    sb.advance(days=4)
    grown = 0
    for track in sb.truth.tracks_of(BJORK)[:12]:
        likers = [u["id"] for u in listed(sb, api, f"/tracks/{track['id']}/favoriters")]
        assert likers == sb.truth.favoriters_of(track)
        then = sb.truth.track(track["id"], at=EPOCH)
        if then is None or not isinstance(then["favoritings_count"], int):
            continue
        gained = track["favoritings_count"] - then["favoritings_count"]
        before = sb.truth.favoriters_of(track, at=EPOCH)
        assert likers[: len(before)] == before  # new likers are added, none removed
        if gained > 0 and len(likers) < 3_000:  # inside the owner's fans: list follows count
            assert len(likers) - len(before) == gained
            grown += 1
    assert grown
    hot = get(sb, api, f"/tracks/{HOT_TRACK}").json()
    assert hot["comment_count"] > 1_234
    comments = get(sb, api, f"/tracks/{HOT_TRACK}/comments", limit=50).json()
    newest = comments[0]["created_at"]
    assert "2026/06/30" <= newest <= sb.now.strftime("%Y/%m/%d %H:%M:%S +0000")
    assert [c["created_at"] for c in comments] == sorted(
        (c["created_at"] for c in comments), reverse=True
    )


# -- uploads and deletions ---------------------------------------------------------------------
def test_an_upload_appears_at_its_time(sb: Sandbox, api: requests.Session) -> None:
    upload = sb.truth.events(kind="upload", user="artist-001")[0]
    assert upload.when > sb.now
    sb.now = upload.time - 1
    before = listed(sb, api, f"/users/{ARTIST}/tracks", access="playable,preview,blocked")
    assert upload.target not in [t["id"] for t in before]
    assert get(sb, api, f"/tracks/{upload.target}").status_code == 404
    count_before = get(sb, api, f"/users/{ARTIST}").json()["track_count"]
    sb.advance(seconds=1)
    after = listed(sb, api, f"/users/{ARTIST}/tracks", access="playable,preview,blocked")
    head = after[0]
    assert head["id"] == upload.target and head["urn"] == upload.target_urn
    assert head["created_at"] == upload.when.strftime("%Y/%m/%d %H:%M:%S +0000")
    assert head["playback_count"] == 0
    assert [t["id"] for t in after[1:]] == [t["id"] for t in before]
    assert get(sb, api, f"/users/{ARTIST}").json()["track_count"] == count_before + 1
    sb.advance(days=3)  # the release-week curve: fast, then slower
    plays = [sb.truth.counts(upload.target, upload.time + d * DAY)["playback_count"]
             for d in range(8)]  # fmt: skip
    daily = [b - a for a, b in itertools.pairwise(plays)]
    assert daily[0] > daily[-1] > 0
    assert get(sb, api, f"/tracks/{upload.target}").json()["playback_count"] == plays[3]


def test_a_deletion_404s_at_its_time(sb: Sandbox, api: requests.Session) -> None:
    deletion = sb.truth.events(kind="delete", user="jowymusic")[0]
    urn = deletion.target_urn
    sb.now = deletion.time - 1
    assert get(sb, api, f"/tracks/{urn}").status_code == 200
    listed_before = [t["id"] for t in listed(sb, api, f"/users/{JOWY}/tracks",
                                             access="playable,preview,blocked")]  # fmt: skip
    assert deletion.target in listed_before
    sb.advance(seconds=1)
    assert get(sb, api, f"/tracks/{urn}").status_code == 404
    assert get(sb, api, f"/tracks/{urn}/favoriters").status_code == 404
    assert get(sb, api, "/tracks", urns=urn).json() == []
    listed_after = [t["id"] for t in listed(sb, api, f"/users/{JOWY}/tracks",
                                            access="playable,preview,blocked")]  # fmt: skip
    assert deletion.target not in listed_after
    assert sb.truth.track(urn) is None
    assert [t["id"] for t in sb.truth.tracks_of(JOWY)] == listed_after
    expected = sb.truth.user(JOWY)["track_count"]
    assert get(sb, api, f"/users/{JOWY}").json()["track_count"] == expected


# -- follows ---------------------------------------------------------------------------------
def test_follows_made_and_undone(sb: Sandbox, api: requests.Session) -> None:
    undone = next(e for e in sb.truth.events(kind="unfollow") if e.user == ARTIST)
    made = next(e for e in sb.truth.events(kind="follow")
                if (e.user, e.target) == (undone.user, undone.target))  # fmt: skip
    followings = f"/users/{ARTIST}/followings"
    sb.now = made.time - 1
    count = get(sb, api, f"/users/{ARTIST}").json()["followings_count"]
    assert made.target not in [u["id"] for u in listed(sb, api, followings)]
    sb.now = made.time
    now_listed = [u["id"] for u in listed(sb, api, followings)]
    assert now_listed[0] == made.target  # the newest follow heads the list
    assert now_listed == sb.truth.followings_of(ARTIST)
    assert get(sb, api, f"/users/{ARTIST}").json()["followings_count"] == count + 1
    their = get(sb, api, f"/users/{made.target}/followers", limit=200).json()["collection"]
    assert ARTIST in [u["id"] for u in their]
    sb.now = undone.time - 1
    count = get(sb, api, f"/users/{ARTIST}").json()["followings_count"]
    sb.now = undone.time
    assert made.target not in [u["id"] for u in listed(sb, api, followings)]
    assert get(sb, api, f"/users/{ARTIST}").json()["followings_count"] == count - 1
    their = get(sb, api, f"/users/{made.target}/followers", limit=200).json()["collection"]
    assert ARTIST not in [u["id"] for u in their]


def test_new_followers_head_the_list(sb: Sandbox, api: requests.Session) -> None:
    follow = next(e for e in sb.truth.events(kind="follow") if e.target == ARTIST)
    sb.now = follow.time
    ids = [u["id"] for u in listed(sb, api, f"/users/{ARTIST}/followers")]
    assert follow.user in ids[: 1 + sb.truth.newcomers(ARTIST) + 5]
    assert ids == sb.truth.followers_of(ARTIST)
    assert len(ids) == get(sb, api, f"/users/{ARTIST}").json()["followers_count"]


def test_truth_schedule_is_documented_and_dense(sb: Sandbox) -> None:
    assert sb.truth.roster == ("jowymusic", "bjork-unicode", "artist-001")
    week = sb.truth.events(EPOCH, EPOCH + 7 * DAY)
    for user in (JOWY, BJORK, ARTIST):
        kinds = {e.kind for e in week if user in (e.user, e.target)}
        assert {"upload", "follow"} <= kinds, user
    assert all(a.time <= b.time for a, b in itertools.pairwise(week))
    assert sb.truth.events(EPOCH, EPOCH + 7 * DAY, kind="delete", user="jowymusic")
