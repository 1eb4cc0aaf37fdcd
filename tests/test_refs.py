"""User references as the real SoundCloud writes them: tracked profile URLs, short links, and
every form of ``/resolve`` ``Location`` (API-NOTES-2 §1.4, §1.6, §1.7).

The ``/resolve`` answers come from :class:`~tests.test_walk_proxy.ApiProxy` in the exact shape of
``samples/issue403_resolve_302_numeric_location_2025.json`` (``Location`` header and body
``{"status": "302 - Found", "location": ...}``); everything else is the emulator's. Once the
emulator has ``sb.location_style`` and ``sb.short_link``, these tests can use them instead.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

import scdata
from scdata._fanout import user_refs
from scdata.http.endpoints import resource_of
from scdata.http.refs import parse_user

from .test_walk_proxy import ApiProxy, json_answer

JOWY = "jowymusic"


UTM = "?utm_medium=api&utm_campaign=social_sharing&utm_source=id_317307"
API = "https://api.soundcloud.com"
STYLES = {
    "numeric": lambda kind, n: f"{API}/{kind}/{n}",
    "urn": lambda kind, n: f"{API}/{kind}/soundcloud:{kind}:{n}",
    "urn-encoded": lambda kind, n: f"{API}/{kind}/soundcloud%3A{kind}%3A{n}",
    "body-only": lambda kind, n: f"{API}/{kind}/{n}",  # no Location header (API issue #97)
}
NOT_FOUND = {"code": 404, "message": "404 - Not Found", "status": "404 - Not Found"}


class Resolver:
    """Answers ``/resolve`` through the proxy: profile URLs from the catalogue, short links
    from ``links``, in one ``Location`` style; remembers every ``url`` it was asked about."""

    def __init__(self, proxy: ApiProxy, sandbox, style: str = "numeric") -> None:
        self.sandbox, self.style = sandbox, style
        self.links: dict[str, tuple[str, int]] = {}
        self.asked: list[str] = []
        proxy.route("/resolve", self.answer)

    def short_link(self, code: str, kind: str, number: int) -> str:
        link = f"https://on.soundcloud.com/{code}"
        self.links[link] = (kind, number)
        return link

    def answer(self, path: str, query: dict[str, str]):
        url = query.get("url", "")
        self.asked.append(url)
        if urlsplit(url).hostname == "on.soundcloud.com":
            target = self.links.get(url)
        else:
            try:
                target = ("users", self.sandbox.catalog.user(urlsplit(url).path.strip("/"))["id"])
            except KeyError:
                target = None
        if target is None:
            return json_answer(404, NOT_FOUND)
        location = STYLES[self.style](*target)
        headers = {} if self.style == "body-only" else {"Location": location}
        return json_answer(302, {"status": "302 - Found", "location": location}, headers)


# ------------------------------------------------------------------ profile URLs with a query
@pytest.mark.parametrize(
    "form",
    [
        f"https://soundcloud.com/{JOWY}{UTM}",
        f"https://soundcloud.com/{JOWY}/{UTM}",
        f"https://m.soundcloud.com/{JOWY}?si=abc#tracks",
        f"https://www.soundcloud.com/{JOWY}#about",
        f"soundcloud.com/{JOWY}?ref=clipboard",
        f"https://soundcloud.com/{JOWY}?",
    ],
)
def test_profile_urls_with_a_query_or_fragment_resolve_without_them(client, sandbox, form):
    assert client.user(form)["permalink"] == JOWY
    (resolve,) = [r for r in sandbox.requests if r.path == "/resolve"]
    assert resolve.query == {"url": f"https://soundcloud.com/{JOWY}"}  # nothing else is sent


def test_scdata_accepts_its_own_user_permalink_url_column(client, sandbox):
    frame = client.tracks_df(JOWY, limit=3, progress=False)
    as_sent = [url + UTM for url in frame["user_permalink_url"].unique()]  # the real API's form
    assert client.users_df(as_sent)["permalink"].tolist() == [JOWY]
    assert len(client.tracks_df(as_sent, progress=False)) == len(sandbox.catalog.tracks(JOWY))


def test_the_real_permalink_url_of_the_sample_is_a_username():
    url = "https://soundcloud.com/anna-hofman-1?utm_medium=api&utm_campaign=social_sharing&utm_source=id_317307"
    assert parse_user(url).permalink == "anna-hofman-1"
    assert parse_user(url).resolve_url == "https://soundcloud.com/anna-hofman-1"


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        (f"https://soundcloud.com/{JOWY}/a-track{UTM}", "a track or playlist URL"),
        (f"https://soundcloud.com/{JOWY}/sets/x?si=1", "a track or playlist URL"),
        ("https://soundcloud.com/?utm_source=x", "no username"),
        ("https://on.soundcloud.com/", "not a SoundCloud short link"),
        ("https://on.soundcloud.com/a/b", "not a SoundCloud short link"),
        ("https://on.soundcloud.com/a%20b", "not a SoundCloud short link"),
        ("ftp://on.soundcloud.com/abc", "not a SoundCloud profile URL"),
        ("https://evil.example.com/x?u=https://on.soundcloud.com/abc", "evil.example.com"),
    ],
)
def test_urls_that_cannot_name_a_user_are_refused_before_any_request(client, sandbox, bad, text):
    with pytest.raises(scdata.InvalidUserError) as info:
        client.user(bad)
    assert repr(bad) in str(info.value) and text in str(info.value)
    assert sandbox.requests == []


# ---------------------------------------------------------------------------- short links
def test_a_short_link_is_resolved_by_the_api_unchanged(proxy, proxied, sandbox):
    resolver = Resolver(proxy, sandbox)
    user = sandbox.catalog.user(JOWY)
    link = resolver.short_link("AbC123xyz", "users", user["id"])
    assert proxied.user(f"  {link} ")["permalink"] == JOWY
    assert proxied.user_urn(link) == user["urn"]
    assert len(proxied.tracks_df(link, limit=5, progress=False)) == 5
    assert resolver.asked == [link]  # sent as given, once (the 302 is cached)


@pytest.mark.parametrize("kind", ["tracks", "playlists"])
def test_a_short_link_to_a_track_or_playlist_is_not_a_user(proxy, proxied, sandbox, kind):
    resolver = Resolver(proxy, sandbox)
    link = resolver.short_link("tRaCk42", kind, 2174623891)
    what = {"tracks": "a track", "playlists": "a playlist"}[kind]
    for call in (proxied.user, proxied.tracks_df, proxied.users_df, proxied.tracks):
        with pytest.raises(scdata.InvalidUserError, match=f"is not a user: it is {what}") as e:
            call(link)
        assert repr(link) in str(e.value)
    assert sandbox.count("/users/*") == 0  # nothing asked about a user that is not one


def test_a_short_link_that_resolves_to_nothing_is_user_not_found(
    proxy, proxied, sandbox, cache_dir, caplog
):
    Resolver(proxy, sandbox)
    link = "https://on.soundcloud.com/gone404"
    with pytest.raises(scdata.UserNotFoundError) as info:
        proxied.tracks_df(link)
    assert info.value.message == f"No se pudo encontrar al usuario {link}"
    assert str(info.value).startswith(f"{info.value.message} — the short link leads nowhere")
    scdata.configure(**proxy.client_settings, cache_dir=cache_dir)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_info(link) is None
    assert caplog.messages[-1].endswith(f": No se pudo encontrar al usuario {link}")  # no hint


def test_the_same_short_link_twice_is_resolved_once(client, sandbox):
    link = "https://on.soundcloud.com/sbJowyMusic1"
    df = client.tracks_df([link, link], limit=3)
    assert len(df) == 3 and [i["input"] for i in df.attrs["scdata"]["inputs"]] == [link]
    assert sandbox.count("/resolve") == 1


def test_a_short_link_and_the_name_it_stands_for_are_one_user(proxy, proxied, sandbox):
    resolver = Resolver(proxy, sandbox)
    link = resolver.short_link("AbC123xyz", "users", sandbox.catalog.user(JOWY)["id"])
    df = proxied.tracks_df([JOWY, link], limit=3)  # one user: listed once, under the first form
    assert [i["input"] for i in df.attrs["scdata"]["inputs"]] == [JOWY] and len(df) == 3


# ------------------------------------------------------------------- every Location form
@pytest.mark.parametrize("style", STYLES)
def test_every_location_form_names_the_user(proxy, proxied, sandbox, style):
    resolver = Resolver(proxy, sandbox, style)
    user = sandbox.catalog.user(JOWY)
    link = resolver.short_link("Xy9", "users", user["id"])
    assert proxied.user_urn(JOWY) == user["urn"]
    assert proxied.user_urn(link) == user["urn"]
    assert proxied.user(f"https://soundcloud.com/{JOWY}{UTM}")["id"] == user["id"]
    assert len(proxied.tracks_df(JOWY, progress=False)) == len(sandbox.catalog.tracks(JOWY))
    assert resolver.asked == [f"https://soundcloud.com/{JOWY}", link]  # each once, then cached


@pytest.mark.parametrize("style", STYLES)
def test_every_location_form_is_checked_for_its_kind(proxy, proxied, sandbox, style):
    resolver = Resolver(proxy, sandbox, style)
    link = resolver.short_link("Tr4ck", "tracks", 2174623891)
    with pytest.raises(scdata.InvalidUserError, match="it is a track"):
        proxied.user(link)


def test_a_location_naming_nothing_known_is_an_api_error(proxy, proxied, sandbox):
    proxy.route(
        "/resolve",
        lambda path, query: json_answer(
            302, {"status": "302 - Found"}, {"Location": f"{API}/stations/artist:1"}
        ),
    )
    with pytest.raises(scdata.APIError, match="did not name a user") as info:
        proxied.user(JOWY)
    assert "/stations/artist:1" in str(info.value)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://api.soundcloud.com/users/52461337", ("users", 52461337)),
        ("https://api.soundcloud.com/users/soundcloud:users:52461337", ("users", 52461337)),
        ("https://api.soundcloud.com/users/soundcloud%3Ausers%3A52461337", ("users", 52461337)),
        ("https://api.soundcloud.com/users/soundcloud%3ausers%3a52461337/", ("users", 52461337)),
        ("/users/7?client_id=x&secret_token=s-1", ("users", 7)),
        ("https://api.soundcloud.com/tracks/2088703866", ("tracks", 2088703866)),
        ("https://api.soundcloud.com/playlists/soundcloud:playlists:5", ("playlists", 5)),
        ("https://proxy.example/sc-api/users/3", ("users", 3)),
        ("https://api.soundcloud.com/users/soundcloud:tracks:5", None),
        ("https://api.soundcloud.com/users/jowymusic", None),
        ("https://api.soundcloud.com/users/5/tracks", None),
        ("", None),
    ],
)
def test_resource_of_reads_every_location_form(location, expected):
    assert resource_of(location) == expected


def test_user_refs_keys_tell_the_three_forms_apart():
    refs = user_refs([5, "Jowy", "https://on.soundcloud.com/Jowy"])
    assert [r.key for r in refs] == ["id:5", "name:jowy", "link:https://on.soundcloud.com/Jowy"]
    assert [str(r) for r in refs] == ["5", "Jowy", "https://on.soundcloud.com/Jowy"]
