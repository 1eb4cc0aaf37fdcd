"""Walks over a user's track pages that go wrong: no progress, late 404s, a prefixed API URL,
pages rejected after parsing, and the two views (dicts and typed tables) of one page.

Everything goes through the real stack; :class:`~tests.test_walk_proxy.ApiProxy` stands in front
of the emulator for the shapes it cannot produce itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import scdata
from scdata.frames.schema import ParseWarning
from scdata.http.endpoints import MAX_IDLE_PAGES

from .test_walk_proxy import ApiProxy, json_answer

JOWY = "jowymusic"


# both views of a user's tracks: API dicts (iter_tracks) and the typed frame (tracks_df)
VIEWS: dict[str, Callable[[scdata.Client, str], list]] = {
    "dicts": lambda c, user: [t["urn"] for t in c.iter_tracks(user, progress=False)],
    "frame": lambda c, user: c.tracks_df(user, progress=False)["urn"].tolist(),
}


def urns(tracks: list[dict]) -> list[str]:
    return [t["urn"] for t in tracks]


def endless_pages(proxy: ApiProxy, user_urn: str, pages: Callable[[int], list[dict] | None]):
    """Serve the user's track pages from ``pages(n)`` (n = 1, 2, ...); ``None`` ends the list.

    Every page links to the next with a new cursor, as a server that keeps paging does.
    """
    served: list[int] = []

    def answer(path: str, query: dict[str, str]):
        if user_urn not in path:
            return None
        number = int(query.get("cursor", "1"))
        served.append(number)
        items = pages(number)
        following = None
        if pages(number + 1) is not None:
            following = (
                f"{proxy.url}/users/{user_urn}/tracks?cursor={number + 1}"
                "&limit=200&linked_partitioning=true"
            )
        return json_answer(200, {"collection": items or [], "next_href": following})

    proxy.route("/users/*/tracks", answer)
    return served


# ------------------------------------------------------------------------------ no progress
@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("kind", ["empty pages", "the same tracks again"])
def test_pages_without_new_tracks_end_the_walk_with_an_error(proxy, proxied, sandbox, view, kind):
    user = sandbox.catalog.user(JOWY)
    urn = user["urn"]
    first = sandbox.catalog.tracks(JOWY)[:3]
    # a server that would go on for 400 pages (the defect: 486 pages in 30 s, never ending)
    served = endless_pages(
        proxy, urn, lambda n: None if n > 400 else first if n == 1 or kind != "empty pages" else []
    )
    with pytest.raises(scdata.APIError, match="may be incomplete") as info:
        VIEWS[view](proxied, JOWY)
    assert f"{MAX_IDLE_PAGES} pages in a row brought no new track" in str(info.value)
    assert served == list(range(1, MAX_IDLE_PAGES + 2))  # the first, then the idle ones


@pytest.mark.slow  # over half a second: the full run has it
def test_the_bound_is_the_run_of_idle_pages_not_their_total(proxy, proxied, sandbox):
    """Hidden tracks take page slots (API-NOTES-2 §1.9): long empty runs that end are fine."""
    user = sandbox.catalog.user(JOWY)
    tracks = sandbox.catalog.tracks(JOWY)
    run = MAX_IDLE_PAGES - 1

    def pages(n: int) -> list[dict] | None:
        # tracks, 49 empty pages, a page with tracks and one repeated, 49 empty pages, tracks
        if n == 1:
            return tracks[:2]
        if n == run + 2:
            return [tracks[1], tracks[2]]
        if n == 2 * run + 3:
            return tracks[3:5]
        return [] if n < 2 * run + 3 else None

    served = endless_pages(proxy, user["urn"], pages)
    got = [t["urn"] for t in proxied.iter_tracks(JOWY, progress=False)]
    assert got == urns(tracks[:5])  # each track once, though one was listed twice
    assert proxied.tracks_df(JOWY, progress=False)["urn"].tolist() == got
    assert len(served) == 2 * run + 3


def test_idle_pages_are_dropped_from_the_cache_so_a_rerun_asks_again(proxy, proxied, sandbox):
    user = sandbox.catalog.user(JOWY)
    first = sandbox.catalog.tracks(JOWY)[:3]
    broken = True
    served = endless_pages(  # while broken: 400 empty pages (never ending, before the bound)
        proxy, user["urn"], lambda n: first if n == 1 else ([] if broken and n <= 400 else None)
    )
    with pytest.raises(scdata.APIError, match="may be incomplete"):
        proxied.tracks(JOWY)
    broken = False  # the server is fixed: page 2 is now the (empty) last page
    served.clear()
    assert urns(proxied.tracks(JOWY)) == urns(first)
    assert served == [2]  # page 1 still cached; page 2 asked again, not read from the cache


# ---------------------------------------------------------------------- a 404 on a later page
def test_a_404_on_a_later_page_names_the_page_not_a_missing_user(client, sandbox):
    client.tracks(JOWY, limit=5)  # the first page is now cached
    sandbox.fail("/users/*/tracks", status=404, html=False)
    with pytest.raises(scdata.APIError) as info:
        client.tracks(JOWY)
    assert not isinstance(info.value, scdata.UserNotFoundError)
    assert info.value.status == 404 and "cursor=" in info.value.url
    assert "page 2" in str(info.value) and "the user exists" in str(info.value)
    assert "incomplete" in str(info.value)


def test_a_user_deleted_mid_walk_gives_a_clear_error(client, sandbox):
    # until the emulator's sb.delete_user lands: page 2 and the user itself answer 404
    client.tracks_df(JOWY, limit=5, progress=False)
    sandbox.fail("/users/*/tracks", status=404, html=False)
    sandbox.fail("/users/*", status=404, html=False)
    with pytest.raises(scdata.APIError, match="no longer exists") as info:
        client.tracks_df(JOWY, progress=False)
    assert not isinstance(info.value, scdata.UserNotFoundError)
    urn = sandbox.catalog.user(JOWY)["urn"]
    assert f"{urn} no longer exists (deleted while its tracks were being listed)" in str(info.value)
    assert sandbox.count(f"/users/{urn}") == 1  # one check


def test_a_404_on_the_first_page_is_still_user_not_found(client, sandbox):
    sandbox.fail("/users/*/tracks", status=404, html=False)
    with pytest.raises(scdata.UserNotFoundError, match=r"^No se pudo encontrar al usuario"):
        client.tracks("soundcloud:users:52461337")


def test_an_empty_first_page_for_an_unknown_user_is_user_not_found(proxy, proxied, sandbox):
    """Collection endpoints answer an unknown owner with 200 and nothing (API-NOTES-2 §1.11)."""
    proxy.route(
        "/users/*/tracks",
        lambda path, query: json_answer(200, {"collection": [], "next_href": None}),
    )
    unknown = "soundcloud:users:987654321"
    for view in VIEWS.values():
        sandbox.clear_log()
        with pytest.raises(scdata.UserNotFoundError, match=r"^No se pudo encontrar .*987654321"):
            view(proxied, unknown)
        assert sandbox.count(f"/users/{unknown}") == 1
    assert proxied.tracks("empty-artist") == []  # a real user without tracks


# ----------------------------------------------------------------------- an API URL with a prefix
@pytest.mark.parametrize("view", VIEWS)
def test_an_api_url_with_a_path_prefix_keeps_it_on_every_page(proxy, proxied, sandbox, view):
    # the emulator's next_href names its own host and the bare path: /users/.../tracks?cursor=
    got = VIEWS[view](proxied, JOWY)
    assert got == urns(sandbox.catalog.tracks(JOWY))
    assert proxy.received and all(t.startswith("/sc-api/") for t in proxy.received)
    assert sum("cursor=" in t for t in proxy.received) == 2  # pages 2 and 3 went through it


def test_the_prefix_is_kept_from_the_environment_too(proxy, sandbox, monkeypatch):
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOUNDCLOUD_API_URL", proxy.url)
    assert len(scdata.user_tracks(JOWY, 10, 195)) == 10  # from pages 1 and 2
    assert all(t.startswith("/sc-api/") for t in proxy.received)


# -------------------------------------------------------------- pages rejected after parsing
@pytest.mark.parametrize("view", VIEWS)
def test_a_repeated_next_href_is_not_kept_in_the_cache(client, sandbox, view):
    sandbox.repeat_next_href("/users/*/tracks", times=1)
    with pytest.raises(scdata.APIError, match="repeated a next_href"):
        VIEWS[view](client, JOWY)
    # the server is fixed (the fault is used up): the next run asks again and succeeds
    assert VIEWS[view](client, JOWY) == urns(sandbox.catalog.tracks(JOWY))


@pytest.mark.parametrize("view", VIEWS)
def test_a_collection_of_the_wrong_shape_is_not_kept_in_the_cache(client, sandbox, view):
    sandbox.corrupt("/users/*/tracks", kind="shape")
    with pytest.raises(scdata.APIError, match="without a collection"):
        VIEWS[view](client, JOWY)
    assert VIEWS[view](client, JOWY) == urns(sandbox.catalog.tracks(JOWY))


def test_a_value_the_schema_cannot_read_warns_and_never_aborts_the_walk(client, sandbox):
    bad = {"id": 990000001, "urn": "soundcloud:tracks:990000001", "access": "playable",
           "created_at": "2031/01/01 00:00:00 +0000", "user": "not an object"}  # fmt: skip
    sandbox.catalog.add_tracks(JOWY, [bad])
    with pytest.warns(ParseWarning, match="user"):
        frame = client.tracks_df(JOWY, progress=False)
    assert len(frame) == 348 and frame["urn"].iloc[0] == bad["urn"]
    assert frame["user_urn"].isna().iloc[0] and frame["user_urn"].notna().iloc[1:].all()


# ------------------------------------------------------------- one refresh, every view
def fresh_upload(sandbox) -> dict:
    track = {"id": 990000002, "urn": "soundcloud:tracks:990000002", "access": "playable",
             "created_at": "2031/01/01 00:00:00 +0000", "title": "Fresh upload"}  # fmt: skip
    sandbox.catalog.add_tracks(JOWY, [track])
    return track


@pytest.mark.parametrize(
    "refresh_through",
    [
        lambda c: list(c.iter_tracks(JOWY, refresh=True, progress=False)),
        lambda c: c.tracks_df(JOWY, raw=True, refresh=True),
    ],
    ids=["iter_tracks", "raw"],
)
@pytest.mark.slow  # over half a second: the full run has it
def test_a_refresh_through_the_dicts_refreshes_the_frame(client, sandbox, refresh_through):
    before = client.tracks_df(JOWY, progress=False)
    track = fresh_upload(sandbox)
    assert client.tracks_df(JOWY, progress=False).equals(before)  # cached: not seen yet
    refresh_through(client)
    sandbox.clear_log()
    after = client.tracks_df(JOWY, progress=False)
    assert after["urn"].iloc[0] == track["urn"] and after["title"].iloc[0] == "Fresh upload"
    assert sandbox.count("/users/*/tracks") == 0  # rebuilt from the fresh HTTP answers
    assert after["urn"].tolist()[1:] == before["urn"].tolist()
