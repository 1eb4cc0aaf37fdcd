"""Tracks: cursor paging, offset/limit across page boundaries, loops, caching per page."""

from __future__ import annotations

import pytest

import scdata
from scdata.http.endpoints import SoundCloudAPI

from .conftest import accessible


def ids(tracks):
    return [t["id"] for t in tracks]


def test_default_is_the_ten_newest(sandbox_env, sandbox):
    expected = accessible(sandbox.catalog.tracks("jowymusic"))[:10]
    assert ids(scdata.user_tracks("jowymusic")) == ids(expected)


@pytest.mark.parametrize(
    ("limit", "offset"), [(10, 195), (1, 199), (1, 200), (201, 0), (5, 0), (50, 300)]
)
def test_offset_and_limit_across_page_boundaries(client, sandbox, limit, offset):
    expected = sandbox.catalog.tracks("jowymusic")[offset : offset + limit]
    assert ids(client.tracks("jowymusic", limit, offset)) == ids(expected)


def test_offset_past_the_end_is_empty_and_tail_is_short(client, sandbox):
    total = len(sandbox.catalog.tracks("jowymusic"))
    assert client.tracks("jowymusic", 10, total + 5) == []
    assert len(client.tracks("jowymusic", 10, total - 3)) == 3


def test_offset_is_never_sent(client, sandbox):
    client.tracks("jowymusic", 10, 195)
    pages = [r for r in sandbox.requests if r.path.endswith("/tracks")]
    assert pages and all("offset" not in r.query for r in pages)
    assert pages[0].query["limit"] == "200"


def test_iter_tracks_walks_every_page(client, sandbox):
    expected = sandbox.catalog.tracks("jowymusic")
    assert ids(client.iter_tracks("jowymusic")) == ids(expected)
    assert (
        sandbox.count("/users/*/tracks") == -(-len(sandbox.catalog.tracks("jowymusic")) // 200) + 1
    )


def test_iter_tracks_limit(sandbox_env, sandbox):
    assert len(list(scdata.iter_tracks("jowymusic", limit=7))) == 7


@pytest.mark.slow  # a 10,000-track walk
def test_ten_thousand_tracks_in_fifty_one_pages(client, sandbox):
    tracks = list(client.iter_tracks("big-catalog"))
    assert len(tracks) == sandbox.catalog.user("big-catalog")["track_count"]
    assert len({t["urn"] for t in tracks}) == len(tracks)
    assert sandbox.count("/users/*/tracks") <= 51


def test_user_with_no_tracks(client):
    assert client.tracks("empty-artist") == []
    assert scdata.Client is not None


def test_empty_filtered_page_with_next_href_is_not_the_end(client, sandbox):
    expected = accessible(sandbox.catalog.tracks("geo-blocked"))
    got = []
    user = client.user("geo-blocked")
    for page in client.api.track_pages(user["urn"], page_size=50):
        got.extend(page)
    assert ids(got) == ids(expected)
    # 120 tracks in pages of 50: page 2 is all blocked (empty) yet has a next_href; the walk
    # went on to page 3 and the final empty page
    assert sandbox.count("/users/*/tracks") == 4


def test_repeated_next_href_after_a_full_page_is_an_error(client, sandbox):
    sandbox.repeat_next_href(path="/users/*/tracks", times=1)
    with pytest.raises(scdata.APIError, match="repeated a next_href"):
        list(client.iter_tracks("jowymusic"))


def test_every_page_is_cached(client, sandbox):
    first = ids(client.iter_tracks("jowymusic"))
    sandbox.clear_log()
    assert ids(client.iter_tracks("jowymusic")) == first
    assert client.tracks("jowymusic", 10, 195) == client.tracks("jowymusic", 10, 195)
    assert sandbox.requests == []


def test_next_href_on_another_host_is_moved_onto_the_api_host(client):
    api: SoundCloudAPI = client.api
    moved = api.on_api_host(
        "https://http.api.prod.api-public.srv.db.s-cloud.net/users/1/tracks?cursor=x&page_size=50"
    )
    assert moved == f"{client.settings.api_url}/users/1/tracks?cursor=x&page_size=50"


@pytest.mark.parametrize(
    ("limit", "offset", "bad"),
    [
        (0, 0, "limit"),
        (-1, 0, "limit"),
        (True, 0, "limit"),
        (2.5, 0, "limit"),
        ("10", 0, "limit"),
        (10, -1, "offset"),
        (10, False, "offset"),
        (10, "5", "offset"),
        (10, 10**9, "offset"),
        (10**9, 0, "limit"),
    ],
)
def test_bad_limit_or_offset_names_the_parameter(client, sandbox_env, limit, offset, bad):
    for call in (client.tracks, scdata.user_tracks):
        with pytest.raises(ValueError, match=f"^{bad} must be") as info:
            call("jowymusic", limit, offset)
        assert repr(limit if bad == "limit" else offset) in str(info.value)


def test_organised_object(sandbox_env, sandbox):
    api = scdata.soundcloud_api
    assert api.users.get_info("jowymusic")["permalink"] == "jowymusic"
    expected = accessible(sandbox.catalog.tracks("jowymusic"))[3:5]
    assert ids(api.tracks.get_from_user("jowymusic", 2, 3)) == ids(expected)
    assert api.tracks.get_from_user("nobody-here-123", 2, 3) is None
