"""The emulator's collection routes over a real socket: paging styles, counts vs lists, caps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from scdata.sandbox import Sandbox
from scdata.sandbox.world import FAN_BASE

JOWY, EMPTY, BIG, BJORK, PRIVATE = 52_461_337, 100_000_001, 123_456_789, 7_340_229, 200_000_003
HOT_TRACK, NO_RELATED, SET_449 = 2_174_623_891, 2_173_392_918, 900_000_000
ALL_ACCESS = "playable,preview,blocked"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(request_rate=0, token_ip_limit=10_000, artists=3, artist_tracks=20) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _reset(sb: Sandbox) -> Iterator[None]:
    yield
    sb.unknown_owner = "empty200"
    sb.embedded_users = "zeroed"
    sb.batch_limit = 50


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[requests.Session]:
    token = requests.post(
        sb.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sb.client_id, sb.client_secret),
    ).json()["access_token"]
    with requests.Session() as session:
        session.headers["Authorization"] = f"OAuth {token}"
        yield session


def walk(api: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    """Follow next_href to the end; return the page bodies."""
    pages = [api.get(url, params=params).json()]
    while pages[-1].get("next_href"):
        assert len(pages) < 2_000
        pages.append(api.get(pages[-1]["next_href"]).json())
    return pages


def items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["collection"]]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# -- follow lists (CUR-obj) --------------------------------------------------------------------
def test_followers_are_cursor_pages_in_object_shape_without_linked_partitioning(
    sb: Sandbox, api: requests.Session
) -> None:
    star = api.get(f"{sb.url}/users/{JOWY}").json()
    assert star["followers_count"] == 123_456
    started = time.perf_counter()
    page = api.get(f"{sb.url}/users/soundcloud:users:{JOWY}/followers", params={"limit": 200})
    assert time.perf_counter() - started < 0.5
    body = page.json()
    assert set(body) == {"collection", "next_href"} and len(body["collection"]) == 200
    query = query_of(body["next_href"])
    assert set(query) == {"cursor", "page_size"} and query["page_size"] == ["200"]
    assert query["cursor"][0].isdigit() and len(query["cursor"][0]) == 13
    seen = {user["id"] for user in body["collection"]}
    for _ in range(3):  # the star's first pages, cheaply
        body = api.get(body["next_href"]).json()
        assert len(body["collection"]) == 200
        seen |= {user["id"] for user in body["collection"]}
    assert len(seen) == 800
    fan = next(user for user in body["collection"] if user["id"] >= FAN_BASE)
    assert api.get(f"{sb.url}/users/{fan['urn']}").json() == fan  # full user, real counts
    followings = items(walk(api, f"{sb.url}/users/{fan['id']}/followings"))
    assert JOWY in [user["id"] for user in followings]
    assert len(followings) == fan["followings_count"]


def test_followings_listed_up_to_2000(sb: Sandbox, api: requests.Session) -> None:
    user = api.get(f"{sb.url}/users/{EMPTY}").json()
    assert user["followings_count"] == 2_600
    pages = walk(api, f"{sb.url}/users/{EMPTY}/followings", limit=200)
    assert len(pages) == 10 and len({u["id"] for u in items(pages)}) == 2_000


@pytest.mark.parametrize("uid", [BJORK, PRIVATE])
def test_follow_counts_agree_with_lists(sb: Sandbox, api: requests.Session, uid: int) -> None:
    user = api.get(f"{sb.url}/users/{uid}").json()
    followers = items(walk(api, f"{sb.url}/users/{uid}/followers", limit=200))
    followings = items(walk(api, f"{sb.url}/users/{uid}/followings", limit=200))
    assert len({u["id"] for u in followers}) == user["followers_count"]
    assert len({u["id"] for u in followings}) == user["followings_count"]
    assert all("followers_count" in u and u["kind"] == "user" for u in followers[:50])


@pytest.mark.slow
def test_overlapping_followers_and_a_fast_50000_walk(sb: Sandbox, api: requests.Session) -> None:
    started = time.perf_counter()
    pages = walk(api, f"{sb.url}/users/{BIG}/followers", limit=200)
    elapsed = time.perf_counter() - started
    big = {u["id"] for u in items(pages)}
    assert len(big) == 50_000 and len(pages) == 250
    assert elapsed < 30
    # the overlap, from the world the pages are cut from (the 123,456 of the star: 618 more
    # pages would only repeat this walk); the first page agrees with it
    chain = sb.catalog.world.followers(JOWY)
    first = set(chain.cut(0, len(chain)))
    assert len(first) == 123_456 and 20_000 < len(first & big) < 25_000
    page = api.get(f"{sb.url}/users/{JOWY}/followers", params={"limit": 200}).json()
    assert {u["id"] for u in page["collection"]} <= first


# -- CUR-LP ------------------------------------------------------------------------------------
def test_likes_are_cur_lp_and_private_items_take_slots(sb: Sandbox, api: requests.Session) -> None:
    user = api.get(f"{sb.url}/users/{EMPTY}").json()
    bare = api.get(f"{sb.url}/users/{EMPTY}/likes/tracks", params={"limit": 7})
    assert isinstance(bare.json(), list) and len(bare.json()) <= 7
    pages = walk(api, f"{sb.url}/users/{EMPTY}/likes/tracks", linked_partitioning="true",
                 limit=50, access=ALL_ACCESS)  # fmt: skip
    assert all(len(page["collection"]) <= 50 for page in pages)
    assert "linked_partitioning" in query_of(pages[0]["next_href"])
    tracks = items(pages)
    playlists = items(walk(api, f"{sb.url}/users/{EMPTY}/likes/playlists",
                           linked_partitioning="1", limit=200))  # fmt: skip
    world = sb.catalog.world
    slots = len(world.likes_tracks(EMPTY)) + len(world.likes_playlists(EMPTY))
    assert user["public_favorites_count"] == slots
    assert len(tracks) + len(playlists) < slots  # private and deleted likes are not listed
    assert len(pages) == -(-len(world.likes_tracks(EMPTY)) // 50)
    assert all(t["user"]["followers_count"] == 0 for t in tracks)  # embedded: zeroed


def test_reposts_lists(sb: Sandbox, api: requests.Session) -> None:
    user = api.get(f"{sb.url}/users/{BJORK}").json()
    tracks = items(walk(api, f"{sb.url}/users/{BJORK}/reposts/tracks", linked_partitioning="1",
                        access=ALL_ACCESS))  # fmt: skip
    playlists = items(walk(api, f"{sb.url}/users/{BJORK}/reposts/playlists",
                           linked_partitioning="1"))  # fmt: skip
    assert 0 < len(tracks) + len(playlists) <= user["reposts_count"]


def test_favoriters_numeric_cursor_and_reverse_consistency(
    sb: Sandbox, api: requests.Session
) -> None:
    track = api.get(f"{sb.url}/tracks/{HOT_TRACK}").json()
    pages = walk(api, f"{sb.url}/tracks/{HOT_TRACK}/favoriters", linked_partitioning="1",
                 limit=20)  # fmt: skip
    users = items(pages)
    assert len(users) == track["favoritings_count"] > 20
    assert query_of(pages[0]["next_href"])["cursor"][0].isdigit()
    fan = users[-1]
    liked = items(walk(api, f"{sb.url}/users/{fan['id']}/likes/tracks", linked_partitioning="1",
                       access=ALL_ACCESS, limit=200))  # fmt: skip
    assert HOT_TRACK in [t["id"] for t in liked] and len(liked) <= fan["public_favorites_count"]


def test_user_playlists_show_tracks_and_private_slots(sb: Sandbox, api: requests.Session) -> None:
    user = api.get(f"{sb.url}/users/{JOWY}").json()
    pages = walk(api, f"{sb.url}/users/{JOWY}/playlists", linked_partitioning="1", limit=5)
    playlists = items(pages)
    assert len(pages) == -(-user["playlist_count"] // 5)
    assert 0 < len(playlists) < user["playlist_count"]  # private ones take slots
    assert all(p["sharing"] == "public" and p["user"]["followers_count"] == 0 for p in playlists)
    assert any(p["tracks"] for p in playlists)
    light = api.get(f"{sb.url}/users/{JOWY}/playlists",
                    params={"linked_partitioning": "1", "show_tracks": "false"}).json()  # fmt: skip
    assert all(p["tracks"] == [] for p in light["collection"])


# -- playlists ---------------------------------------------------------------------------------
def test_playlist_missing_tracks_and_offset_paging(sb: Sandbox, api: requests.Session) -> None:
    playlist = api.get(f"{sb.url}/playlists/soundcloud:playlists:{SET_449}",
                       params={"access": ALL_ACCESS}).json()  # fmt: skip
    assert playlist["track_count"] == 161
    pages = walk(api, f"{sb.url}/playlists/{SET_449}/tracks", linked_partitioning="1",
                 limit=50, access=ALL_ACCESS)  # fmt: skip
    assert [query_of(p["next_href"])["offset"] for p in pages[:-1]] == [["50"], ["100"], ["150"]]
    assert pages[-1]["next_href"] is None
    listed = items(pages)
    assert len(listed) == 128 and [t["id"] for t in playlist["tracks"]] == [t["id"] for t in listed]
    bare = api.get(f"{sb.url}/playlists/{SET_449}/tracks").json()
    assert isinstance(bare, list) and len(bare) <= 50


def test_secret_playlist_and_reposters(sb: Sandbox, api: requests.Session) -> None:
    world = sb.catalog.world
    secret = next(p for p in world.playlists(JOWY) if p["sharing"] == "private")
    token = world.secret_token(secret["id"])
    assert api.get(f"{sb.url}/playlists/{secret['id']}").status_code == 404
    shown = api.get(f"{sb.url}/playlists/{secret['id']}", params={"secret_token": token})
    assert shown.status_code == 200 and shown.json()["uri"].endswith(f"secret_token={token}")
    public = next(p for p in world.playlists(JOWY)
                  if world.playlist_reposters(p["id"]) and p["sharing"] == "public")  # fmt: skip
    body = api.get(f"{sb.url}/playlists/{public['id']}/reposters").json()
    assert set(body) == {"collection", "next_href"} and body["collection"]
    track = api.get(f"{sb.url}/tracks/{HOT_TRACK}/reposters", params={"limit": 3}).json()
    assert set(track) == {"collection", "next_href"} and len(track["collection"]) <= 3


# -- comments, related, web profiles -----------------------------------------------------------
@pytest.mark.slow  # over half a second: the full run has it
def test_comments_offset_paging_last_page_without_next_href(
    sb: Sandbox, api: requests.Session
) -> None:
    track = api.get(f"{sb.url}/tracks/{HOT_TRACK}").json()
    first = api.get(f"{sb.url}/tracks/{HOT_TRACK}/comments", params={"linked_partitioning": "1"})
    assert "max-age=600" in first.headers["Cache-Control"]
    assert len(first.json()["collection"]) == 200  # default limit 200
    pages = walk(api, f"{sb.url}/tracks/{HOT_TRACK}/comments", linked_partitioning="1")
    assert "next_href" not in pages[-1] and len(pages) == 7
    comments = items(pages)
    assert len(comments) == track["comment_count"] == 1_234
    stamps = [c["timestamp"] for c in comments]
    assert any(s is None for s in stamps)
    assert all(s is None or (isinstance(s, int) and 0 <= s < track["duration"]) for s in stamps)
    assert {c["track_urn"] for c in comments} == {track["urn"]}
    assert all(c["user"]["followers_count"] == 0 for c in comments[:20])
    assert isinstance(api.get(f"{sb.url}/tracks/{HOT_TRACK}/comments").json(), list)


def test_related_offset_paging_and_404_without_set(sb: Sandbox, api: requests.Session) -> None:
    assert api.get(f"{sb.url}/tracks/{NO_RELATED}/related").status_code == 404
    pages = walk(api, f"{sb.url}/tracks/{HOT_TRACK}/related", linked_partitioning="1", limit=5)
    assert pages[0]["next_href"] is None or "offset=5" in pages[0]["next_href"]
    assert all(t["kind"] == "track" for t in items(pages))
    users = walk(api, f"{sb.url}/users/{JOWY}/related", linked_partitioning="1", limit=10)
    assert all(u["kind"] == "user" for u in items(users))
    assert isinstance(api.get(f"{sb.url}/users/{JOWY}/related").json(), list)


def test_web_profiles_are_a_bare_array(sb: Sandbox, api: requests.Session) -> None:
    for uid in (JOWY, BJORK, BIG, EMPTY):
        body = api.get(f"{sb.url}/users/{uid}/web-profiles").json()
        assert isinstance(body, list)
        assert all(p["kind"] == "web-profile" for p in body)


# -- batch lookups, unknown owners, paging rules -----------------------------------------------
def test_batch_lookups(sb: Sandbox, api: requests.Session) -> None:
    fan = FAN_BASE + 123
    urns = f"soundcloud:users:{JOWY},{fan},99,soundcloud:users:{JOWY}"
    body = api.get(f"{sb.url}/users", params={"urns": urns, "linked_partitioning": "1"}).json()
    assert [u["id"] for u in body["collection"]] == [JOWY, fan] and body["next_href"] is None
    assert body["collection"][0] == api.get(f"{sb.url}/users/{JOWY}").json()
    tracks = api.get(f"{sb.url}/tracks", params={"ids": f"{HOT_TRACK},1"}).json()
    assert [t["id"] for t in tracks] == [HOT_TRACK]
    too_many = ",".join(str(JOWY + k) for k in range(51))
    assert api.get(f"{sb.url}/users", params={"urns": too_many}).status_code == 400
    assert api.get(f"{sb.url}/users", params={"urns": JOWY, "ids": JOWY}).status_code == 400
    sb.batch_limit = 0
    assert api.get(f"{sb.url}/users", params={"urns": too_many}).status_code == 200


def test_unknown_owners(sb: Sandbox, api: requests.Session) -> None:
    nobody = 3
    assert api.get(f"{sb.url}/users/{nobody}/followers").json() == {
        "collection": [], "next_href": None}  # fmt: skip
    assert api.get(f"{sb.url}/users/{nobody}/playlists").json() == []
    assert api.get(f"{sb.url}/users/{nobody}/web-profiles").json() == []
    assert api.get(f"{sb.url}/playlists/{nobody}/tracks",
                   params={"linked_partitioning": "1"}).json()["collection"] == []  # fmt: skip
    for path in ("likes/tracks", "reposts/playlists", "related"):
        assert api.get(f"{sb.url}/users/{nobody}/{path}").status_code == 404
    for path in ("comments", "favoriters", "reposters", "related"):
        assert api.get(f"{sb.url}/tracks/{nobody}/{path}").status_code == 404
    assert api.get(f"{sb.url}/playlists/{nobody}").status_code == 404
    sb.unknown_owner = "404"
    assert api.get(f"{sb.url}/users/{nobody}/followers").status_code == 404
    assert api.get(f"{sb.url}/users/soundcloud:tracks:{JOWY}/followers").status_code == 400


def test_limits_and_bad_paging_parameters(sb: Sandbox, api: requests.Session) -> None:
    big = api.get(f"{sb.url}/users/{JOWY}/followers", params={"limit": 500}).json()
    assert len(big["collection"]) == 200
    assert len(api.get(f"{sb.url}/users/{JOWY}/followers").json()["collection"]) == 50
    bad = api.get(f"{sb.url}/users/{JOWY}/followers", params={"cursor": "x"})
    assert bad.status_code == 400
    assert (
        api.get(f"{sb.url}/tracks/{HOT_TRACK}/comments", params={"offset": "x"}).status_code == 400
    )


# -- resolve -----------------------------------------------------------------------------------
def resolve(sb: Sandbox, api: requests.Session, url: str) -> requests.Response:
    return api.get(f"{sb.url}/resolve", params={"url": url}, allow_redirects=False)


def test_resolve_sets_secret_links_and_short_links(sb: Sandbox, api: requests.Session) -> None:
    found = resolve(sb, api, "https://soundcloud.com/jowymusic/sets/neon-engine-priya-remix")
    assert found.status_code == 302 and found.headers["Location"] == f"{sb.url}/playlists/{SET_449}"
    short = resolve(sb, api, "https://on.soundcloud.com/sbJowySet1")
    assert short.headers["Location"] == found.headers["Location"]
    world = sb.catalog.world
    secret = next(p for p in world.playlists(JOWY) if p["sharing"] == "private")
    token = world.secret_token(secret["id"])
    assert resolve(sb, api, secret["permalink_url"].rsplit("/", 1)[0]).status_code == 404
    for url in (secret["permalink_url"], secret["permalink_url"].rsplit("/", 1)[0]
                + f"?secret_token={token}"):  # fmt: skip
        reply = resolve(sb, api, url)
        assert reply.status_code == 302
        assert (
            reply.headers["Location"] == f"{sb.url}/playlists/{secret['id']}?secret_token={token}"
        )
        assert api.get(reply.headers["Location"]).json()["id"] == secret["id"]
    private = next(t for t in sb.catalog.tracks(PRIVATE) if t["sharing"] == "private")
    link = f"{private['permalink_url']}/{world.secret_token(private['id'])}"
    reply = resolve(sb, api, link)
    assert reply.status_code == 302 and "secret_token=s-" in reply.headers["Location"]
    assert api.get(reply.headers["Location"]).json()["id"] == private["id"]
    assert resolve(sb, api, private["permalink_url"]).status_code == 404
