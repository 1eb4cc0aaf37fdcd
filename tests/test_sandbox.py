"""Tests of the SoundCloud emulator (``scdata.sandbox``) over real HTTP with ``requests``."""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml

from scdata.sandbox import Catalog, Sandbox, serve
from scdata.sandbox.cli import main
from scdata.sandbox.formats import parse_sc_time

from .conftest import SHARED_API, needs_shared

API_DIR = SHARED_API
SAMPLE_TRACK = API_DIR / "samples" / "get_track_13158665_2022-05-05.json"
MISSING_AUTH = (
    "A request must contain the Authorization header. "
    "For details please refer to https://developers.soundcloud.com/blog/security-updates-api."
)
UNAUTHORIZED = {
    "code": 401,
    "message": "",
    "link": "https://developers.soundcloud.com/docs/api/explorer/open-api",
    "status": "401 - Unauthorized",
    "errors": [],
    "error": None,
}
JSON_TYPE = "application/json; charset=utf-8"
SC_TIME = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \+0000")
CURSOR = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,tracks,\d{11}")
ALL_ACCESS = "playable,preview,blocked"
JOWY, BIG, GEO, LONG_ID = 52_461_337, 123_456_789, 200_000_002, 3_000_000_001


# -- fixtures and helpers --------------------------------------------------------------------
@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    # production mode without the request-rate limit (these tests send bursts on purpose;
    # the limit itself is tested in test_sandbox_production.py)
    with Sandbox(
        request_rate=0, token_budget=10_000, token_ip_limit=10_000, artists=3, artist_tracks=20
    ) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sb" in request.fixturenames:
        sandbox = request.getfixturevalue("sb")
        sandbox.clear_faults()
        sandbox.calm()
        sandbox.latency = 0.0
        sandbox.unknown_owner = "empty200"
        sandbox.embedded_users = "zeroed"
        sandbox.location_style = "numeric"
        sandbox.utm_links = sandbox.urn_uris = True


def grant(sb: Sandbox, **form: str) -> requests.Response:
    form.setdefault("grant_type", "client_credentials")
    return requests.post(sb.token_url, data=form, auth=(sb.client_id, sb.client_secret))


@pytest.fixture
def token(sb: Sandbox) -> str:
    return grant(sb).json()["access_token"]


@pytest.fixture
def api(sb: Sandbox, token: str) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"OAuth {token}"
        yield session


def walk(api: requests.Session, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow next_href from ``url``; return the pages (bodies)."""
    pages = [api.get(url, params=params).json()]
    while pages[-1]["next_href"] is not None:
        assert len(pages) < 500, "paging does not end"
        pages.append(api.get(pages[-1]["next_href"]).json())
    return pages


def sort_key(track: dict[str, Any]) -> tuple[int, int]:
    return parse_sc_time(track["created_at"]), track["id"]


UTM = "?utm_medium=api&utm_campaign=social_sharing&utm_source=id_{}"
ZEROED = ("public_favorites_count", "reposts_count", "followers_count", "followings_count",
          "comments_count", "likes_count")  # fmt: skip


def served_user(sb: Sandbox, user: dict[str, Any]) -> dict[str, Any]:
    """A catalogue user as production ``/users/{urn}`` sends it (API-NOTES-2 §1.4, §1.5)."""
    return {
        **user,
        "permalink_url": user["permalink_url"] + UTM.format(sb.app_id),
        "uri": f"{sb.url}/users/soundcloud:users:{user['id']}",
    }


def served_track(sb: Sandbox, track: dict[str, Any]) -> dict[str, Any]:
    """A catalogue track as production sends it: embedded user zeroed (API-NOTES-2 §1.3)."""
    user = served_user(sb, track["user"])
    user.update(dict.fromkeys(ZEROED, 0), online=False)
    return {**track, "user": user}


# -- token endpoint ---------------------------------------------------------------------------
def test_token_basic_credentials(sb: Sandbox) -> None:
    first, second = grant(sb), grant(sb)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == JSON_TYPE
    body = first.json()
    assert list(body) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    assert body["expires_in"] == 3599 and body["scope"] == "" and body["token_type"] == "bearer"
    header, _claims, signature = body["access_token"].split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["typ"] == "JWT"
    assert len(body["access_token"]) > 255 and signature
    assert body["access_token"] != second.json()["access_token"]
    assert body["refresh_token"] != second.json()["refresh_token"]


def test_token_form_credentials_and_legacy_path(sb: Sandbox) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": sb.client_id,
        "client_secret": sb.client_secret,
    }
    assert requests.post(sb.token_url, data=form).status_code == 200
    assert requests.post(sb.url + "/oauth2/token", data=form).status_code == 200


@pytest.mark.parametrize(
    ("auth", "form"),
    [
        (("sandbox-client-id", "wrong"), {}),
        (None, {"client_id": "sandbox-client-id", "client_secret": "wrong"}),
        (None, {}),
    ],
)
def test_token_invalid_client(sb: Sandbox, auth: Any, form: dict[str, str]) -> None:
    reply = requests.post(
        sb.token_url, data={"grant_type": "client_credentials", **form}, auth=auth
    )
    assert (reply.status_code, reply.json()) == (401, {"error": "invalid_client"})


def test_token_unsupported_grant(sb: Sandbox) -> None:
    reply = grant(sb, grant_type="password")
    assert (reply.status_code, reply.json()) == (400, {"error": "unsupported_grant_type"})


def test_token_budget_and_refresh_outside_it_without_production() -> None:
    # the permissive mode's budget counts successful client-credentials grants only
    # (production windows count every POST: test_sandbox_production.py)
    with Sandbox(production=False, token_budget=2, artists=0) as small:
        first = grant(small).json()
        assert grant(small).status_code == 200
        spent = grant(small)
        assert (spent.status_code, spent.json()) == (429, {"error": "rate_limit_exceeded"})
        assert spent.headers["WWW-Authenticate"] == "Basic"
        refreshed = grant(small, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert refreshed.status_code == 200
        assert (small.token_exchanges, small.refresh_exchanges) == (2, 1)


def test_refresh_token_is_single_use(sb: Sandbox) -> None:
    first = grant(sb).json()
    renewed = grant(sb, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert renewed["access_token"] != first["access_token"]
    assert renewed["refresh_token"] != first["refresh_token"]
    reuse = grant(sb, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reuse.status_code, reuse.json()) == (400, {"error": "invalid_grant"})
    for access in (first["access_token"], renewed["access_token"]):  # refresh revokes nothing
        reply = requests.get(
            sb.url + f"/users/{JOWY}", headers={"Authorization": f"OAuth {access}"}
        )
        assert reply.status_code == 200
    again = grant(sb, grant_type="refresh_token", refresh_token=renewed["refresh_token"])
    assert again.status_code == 200


# -- API authorisation -----------------------------------------------------------------------
def test_missing_authorization_header(sb: Sandbox) -> None:
    reply = requests.get(sb.url + f"/users/{JOWY}")
    assert reply.status_code == 401
    assert reply.json() == {
        **UNAUTHORIZED,
        "message": MISSING_AUTH,
        "errors": [{"error_message": MISSING_AUTH}],
    }


@pytest.mark.parametrize("scheme", ["OAuth", "Bearer", "oauth", "BEARER"])
def test_oauth_and_bearer_schemes(sb: Sandbox, token: str, scheme: str) -> None:
    reply = requests.get(sb.url + f"/users/{JOWY}", headers={"Authorization": f"{scheme} {token}"})
    assert reply.status_code == 200


@pytest.mark.parametrize("header", ["OAuth not-a-token", "Basic c2FuZGJveDpzZWNyZXQ="])
def test_unknown_token(sb: Sandbox, header: str) -> None:
    reply = requests.get(sb.url + f"/users/{JOWY}", headers={"Authorization": header})
    assert (reply.status_code, reply.json()) == (401, UNAUTHORIZED)


@pytest.mark.slow  # waits real seconds by design
def test_tokens_expire_after_ttl() -> None:
    with Sandbox(token_ttl=1, artists=0) as short:
        body = grant(short).json()
        assert body["expires_in"] == 1
        headers = {"Authorization": f"OAuth {body['access_token']}"}
        assert requests.get(short.url + f"/users/{JOWY}", headers=headers).status_code == 200
        time.sleep(1.05)
        expired = requests.get(short.url + f"/users/{JOWY}", headers=headers)
        assert (expired.status_code, expired.json()) == (401, UNAUTHORIZED)


def test_expire_tokens_keeps_refresh_tokens(sb: Sandbox) -> None:
    body = grant(sb).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    sb.expire_tokens()
    assert requests.get(sb.url + f"/users/{JOWY}", headers=headers).status_code == 401
    renewed = grant(sb, grant_type="refresh_token", refresh_token=body["refresh_token"]).json()
    headers = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert requests.get(sb.url + f"/users/{JOWY}", headers=headers).status_code == 200


# -- /resolve ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["https://soundcloud.com/jowymusic", "http://soundcloud.com/jowymusic/"]
)
def test_resolve_user_redirects(sb: Sandbox, api: requests.Session, url: str) -> None:
    reply = api.get(sb.url + "/resolve", params={"url": url}, allow_redirects=False)
    assert reply.status_code == 302
    location = f"{sb.url}/users/{JOWY}"
    assert reply.headers["Location"] == location
    assert reply.headers["Content-Type"] == JSON_TYPE
    assert reply.json() == {"status": "302 - Found", "location": location}


def test_resolve_track_and_follow(sb: Sandbox, api: requests.Session) -> None:
    track = sb.catalog.tracks("jowymusic")[7]
    reply = api.get(
        sb.url + "/resolve", params={"permalink_url": track["permalink_url"]}, allow_redirects=False
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == f"{sb.url}/tracks/{track['id']}"
    followed = api.get(sb.url + "/resolve", params={"url": track["permalink_url"]})
    assert followed.status_code == 200 and followed.json() == served_track(sb, track)


@pytest.mark.parametrize(
    "url",
    [
        "https://soundcloud.com/nobody-by-this-name",
        "https://www.soundcloud.com/jowymusic",
        "https://soundcloud.com/jowymusic/no-such-track",
        "https://soundcloud.com/jowymusic/sets/anything",
        "https://example.com/jowymusic",
        f"https://soundcloud.com/{JOWY}",
    ],
)
def test_resolve_not_found(sb: Sandbox, api: requests.Session, url: str) -> None:
    reply = api.get(sb.url + "/resolve", params={"url": url}, allow_redirects=False)
    assert reply.status_code == 404
    assert reply.json() == {
        "code": 404,
        "message": "404 - Not Found",
        "link": "https://developers.soundcloud.com/docs/api/explorer/open-api",
        "status": "404 - Not Found",
        "errors": [{"error_message": "404 - Not Found"}],
        "error": None,
    }


def test_resolve_without_url_is_400(sb: Sandbox, api: requests.Session) -> None:
    reply = api.get(sb.url + "/resolve")
    assert reply.status_code == 400
    body = reply.json()
    assert (body["code"], body["status"], body["error"]) == (400, "400 - Bad Request", None)


# -- users and tracks -------------------------------------------------------------------------
def test_user_by_id_urn_and_path_variants(sb: Sandbox, api: requests.Session) -> None:
    expected = served_user(sb, sb.catalog.user("jowymusic"))
    for path in (
        f"/users/{JOWY}",
        f"/users/soundcloud:users:{JOWY}",
        f"/users/soundcloud%3Ausers%3A{JOWY}",
        f"/users/{JOWY}/",
        f"/users/{JOWY}.json",
        f"/v1/users/{JOWY}",
    ):
        reply = api.get(sb.url + path)
        assert reply.status_code == 200, path
        assert reply.json() == expected
        assert reply.headers["Content-Type"] == JSON_TYPE
        assert reply.headers["Cache-Control"] == "private, max-age=0"
    assert api.get(sb.url + f"/users/{LONG_ID}").json()["urn"] == f"soundcloud:users:{LONG_ID}"


def test_head_has_headers_but_no_body(sb: Sandbox, api: requests.Session) -> None:
    full = api.get(sb.url + f"/users/{JOWY}")
    head = api.head(sb.url + f"/users/{JOWY}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]


def test_user_errors(sb: Sandbox, api: requests.Session) -> None:
    missing = api.get(sb.url + "/users/999")
    assert missing.status_code == 404
    assert missing.json()["message"] == "404 - Not Found"
    assert missing.json()["errors"] == [{"error_message": "404 - Not Found"}]
    assert api.get(sb.url + "/users/jowymusic").status_code == 400
    assert api.get(sb.url + f"/users/soundcloud:tracks:{JOWY}").status_code == 400


def test_track_by_id_and_urn(sb: Sandbox, api: requests.Session) -> None:
    track = sb.catalog.tracks("bjork-unicode")[3]
    by_id = api.get(sb.url + f"/tracks/{track['id']}")
    by_urn = api.get(sb.url + f"/tracks/{track['urn']}")
    assert by_id.json() == by_urn.json() == served_track(sb, track)
    assert by_id.headers["Cache-Control"] == "private, max-age=0"
    assert track["title"] in by_id.content.decode("utf-8")  # raw UTF-8, not \\u escapes


def test_track_not_found_and_unknown_route(sb: Sandbox, api: requests.Session) -> None:
    missing = api.get(sb.url + "/tracks/1")
    assert missing.status_code == 404
    assert missing.json()["message"] == "" and missing.json()["errors"] == []
    assert missing.json()["status"] == "404 - Not Found"
    unknown = api.get(sb.url + "/playlists/1")
    assert unknown.status_code == 404 and unknown.json()["code"] == 404
    assert api.get(sb.url + "/me").status_code == 401


def test_keep_alive_http11(sb: Sandbox, api: requests.Session) -> None:
    replies = [api.get(sb.url + f"/users/{JOWY}") for _ in range(3)]
    for reply in replies:
        assert reply.raw.version == 11
        assert "Content-Length" in reply.headers
        assert reply.headers.get("Connection", "").lower() != "close"
        assert reply.headers["Server"] == "am/2"


# -- /users/{urn}/tracks ----------------------------------------------------------------------
@pytest.mark.slow  # a 10,000-track walk
def test_big_catalog_cursor_paging(sb: Sandbox, api: requests.Session) -> None:
    url = sb.url + f"/users/soundcloud:users:{BIG}/tracks"
    pages = walk(api, url, {"linked_partitioning": "true", "limit": 200, "access": ALL_ACCESS})
    assert [len(page["collection"]) for page in pages] == [200] * 50 + [0]
    tracks = [track for page in pages for track in page["collection"]]
    ids = [track["id"] for track in tracks]
    assert len(set(ids)) == 10_000
    assert ids == [track["id"] for track in sb.catalog.tracks("big-catalog")]
    keys = [sort_key(track) for track in tracks]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    for page in pages[:-1]:
        href = page["next_href"]
        assert href.startswith(f"{url}?") and "%3A" in href and "%2C" in href
        params = parse_qsl(urlsplit(href).query)
        assert [name for name, _ in params] == [
            "access",
            "cursor",
            "linked_partitioning",
            "page_size",
        ]
        values = dict(params)
        assert values["page_size"] == "200" and values["access"] == ALL_ACCESS
        assert CURSOR.fullmatch(values["cursor"])
        last = page["collection"][-1]
        assert values["cursor"].endswith(f",tracks,{last['id']:011d}")
        assert values["cursor"][:19].replace("-", "/").replace("T", " ") == last["created_at"][:19]
    assert pages[-1] == {"collection": [], "next_href": None}


def test_page_headers_and_default_access(sb: Sandbox, api: requests.Session) -> None:
    reply = api.get(
        sb.url + f"/users/{BIG}/tracks", params={"linked_partitioning": 1, "limit": 200}
    )
    assert reply.headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert reply.headers["Content-Type"] == JSON_TYPE
    body = reply.json()
    cut = sb.catalog.tracks("big-catalog")[:200]
    assert [t["id"] for t in body["collection"]] == [
        t["id"] for t in cut if t["access"] in ("playable", "preview")
    ]
    assert len(body["collection"]) < 200  # some of the first 200 are blocked
    assert [name for name, _ in parse_qsl(urlsplit(body["next_href"]).query)] == [
        "cursor",
        "linked_partitioning",
        "page_size",
    ]


@pytest.mark.parametrize(
    ("params", "size"),
    [({}, 50), ({"limit": "500"}, 200), ({"limit": "abc"}, 50), ({"limit": "0"}, 50),
     ({"page_size": "7"}, 7), ({"limit": "3", "offset": "100"}, 3)],
)  # fmt: skip
def test_limit_rules_and_no_offset(
    sb: Sandbox, api: requests.Session, params: dict[str, str], size: int
) -> None:
    query = {"linked_partitioning": "true", "access": ALL_ACCESS, **params}
    body = api.get(sb.url + f"/users/{BIG}/tracks", params=query).json()
    assert [t["id"] for t in body["collection"]] == [
        t["id"] for t in sb.catalog.tracks("big-catalog")[:size]
    ]
    href_params = dict(parse_qsl(urlsplit(body["next_href"]).query))
    assert href_params["page_size"] == str(size)
    assert "offset" not in href_params and "limit" not in href_params


def test_geo_blocked_empty_page_with_next_href(sb: Sandbox, api: requests.Session) -> None:
    pages = walk(api, sb.url + f"/users/{GEO}/tracks", {"linked_partitioning": "true"})
    assert any(page["collection"] == [] and page["next_href"] for page in pages)
    assert pages[1] == {"collection": [], "next_href": pages[1]["next_href"]}
    served = [track["id"] for page in pages for track in page["collection"]]
    expected = [t["id"] for t in sb.catalog.tracks("geo-blocked") if t["access"] != "blocked"]
    assert served == expected
    assert pages[-1] == {"collection": [], "next_href": None}
    blocked = api.get(sb.url + f"/users/{GEO}/tracks", params={"access": "blocked", "limit": 200})
    assert {track["access"] for track in blocked.json()} == {"blocked"}


def test_legacy_bare_array(sb: Sandbox, api: requests.Session) -> None:
    reply = api.get(sb.url + f"/users/{JOWY}/tracks", params={"limit": 10, "access": ALL_ACCESS})
    assert reply.headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    body = reply.json()
    assert isinstance(body, list)
    assert body == [served_track(sb, track) for track in sb.catalog.tracks("jowymusic")[:10]]
    shaped = api.get(sb.url + f"/users/{JOWY}/tracks", params={"linked_partitioning": "false"})
    assert set(shaped.json()) == {"collection", "next_href"}


def test_sort_ascending(sb: Sandbox, api: requests.Session) -> None:
    params = {"linked_partitioning": "1", "limit": 100, "access": ALL_ACCESS, "sort": "asc"}
    pages = walk(api, sb.url + f"/users/{JOWY}/tracks", params)
    served = [track["id"] for page in pages for track in page["collection"]]
    assert served == [track["id"] for track in reversed(sb.catalog.tracks("jowymusic"))]


def test_user_tracks_errors(sb: Sandbox, api: requests.Session) -> None:
    # an unknown owner: 200 and an empty page by default (API-NOTES-2 §1.11), 404 on request
    unknown = api.get(sb.url + "/users/999/tracks", params={"linked_partitioning": "true"})
    assert (unknown.status_code, unknown.json()) == (200, {"collection": [], "next_href": None})
    assert api.get(sb.url + "/users/999/tracks").json() == []
    sb.unknown_owner = "404"
    missing = api.get(sb.url + "/users/999/tracks", params={"linked_partitioning": "true"})
    assert missing.status_code == 404 and missing.json()["message"] == ""
    assert missing.json()["errors"] == []
    bad_cursor = api.get(sb.url + f"/users/{JOWY}/tracks", params={"cursor": "nonsense"})
    assert bad_cursor.status_code == 400
    empty = api.get(sb.url + "/users/100000001/tracks", params={"linked_partitioning": "true"})
    assert empty.json() == {"collection": [], "next_href": None}


# -- object shapes ------------------------------------------------------------------------------
def _schemas() -> dict[str, Any]:
    spec = yaml.safe_load((API_DIR / "api.yaml").read_text(encoding="utf-8"))
    return spec["components"]["schemas"]


_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
               "array": list, "object": dict}  # fmt: skip


def _conforms(obj: dict[str, Any], schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    problems = []
    for name, prop in schema["properties"].items():
        if name not in obj:
            problems.append(f"missing {name}")
            continue
        value = obj[name]
        if value is None:
            continue
        if "allOf" in prop:
            ref = next(part["$ref"] for part in prop["allOf"] if "$ref" in part)
            problems += _conforms(value, schemas[ref.rsplit("/", 1)[1]], schemas)
            continue
        kind = prop.get("type") or ("array" if "items" in prop else None)
        if name == "available_country_codes":
            kind = "array"  # API-NOTES §5.1: the spec says string, the API writes an array
        if kind and (
            not isinstance(value, _JSON_TYPES[kind])
            or (kind in ("integer", "number") and isinstance(value, bool))
        ):
            problems.append(f"{name}: {value!r} is not {kind}")
        if "enum" in prop and value not in prop["enum"]:
            problems.append(f"{name}: {value!r} not in {prop['enum']}")
    return problems


@needs_shared
def test_served_objects_conform_to_openapi_schemas(sb: Sandbox, api: requests.Session) -> None:
    schemas = _schemas()
    for ref in (JOWY, BIG, GEO, LONG_ID, 7_340_229, 100_000_001):
        user = api.get(sb.url + f"/users/{ref}").json()
        assert _conforms(user, schemas["User"], schemas) == []
        page = api.get(
            sb.url + f"/users/{ref}/tracks",
            params={"linked_partitioning": "true", "limit": 200, "access": ALL_ACCESS},
        ).json()
        assert set(page) == set(schemas["Tracks"]["properties"])
        for track in page["collection"]:
            assert _conforms(track, schemas["Track"], schemas) == []
            assert track["user"] == {**user, **dict.fromkeys(ZEROED, 0), "online": False}


@needs_shared
def test_track_fields_match_real_2022_sample(sb: Sandbox, api: requests.Session) -> None:
    sample = json.loads(SAMPLE_TRACK.read_text(encoding="utf-8"))["response"]["body"]
    expected = list(sample)
    expected.insert(expected.index("id") + 1, "urn")
    expected += ["metadata_artist", "reveal_stats", "reveal_comments"]  # 2024+/2026 fields
    expected_user = list(sample["user"])
    expected_user.insert(expected_user.index("id") + 1, "urn")
    for permalink in ("jowymusic", "bjork-unicode", "geo-blocked", "artist-001"):
        track_id = sb.catalog.tracks(permalink)[0]["id"]
        track = api.get(sb.url + f"/tracks/{track_id}").json()
        assert list(track) == expected
        assert list(track["user"]) == expected_user
        assert SC_TIME.fullmatch(track["created_at"])
        assert SC_TIME.fullmatch(track["user"]["created_at"])


@needs_shared
def test_extra_objects_are_served_untouched(sb: Sandbox, api: requests.Session) -> None:
    sample = json.loads(SAMPLE_TRACK.read_text(encoding="utf-8"))["response"]["body"]
    sb.catalog.add_user(sample["user"], [sample])
    # production shows the added objects by the API's representation rules only
    assert api.get(sb.url + "/tracks/13158665").json() == served_track(sb, sample)
    assert api.get(sb.url + "/users/3699101").json() == served_user(sb, sample["user"])
    # with those rules off, exactly as given
    sb.embedded_users, sb.utm_links, sb.urn_uris = "full", False, False
    served = api.get(sb.url + "/tracks/13158665")
    assert served.json() == sample
    assert list(served.json()) == list(sample)  # no urn added, same order
    resolved = api.get(sb.url + "/resolve", params={"url": sample["permalink_url"]})
    assert resolved.json() == sample
    listing = api.get(sb.url + "/users/3699101/tracks", params={"linked_partitioning": "1"})
    assert listing.json()["collection"] == [sample]
    assert api.get(sb.url + "/users/3699101").json() == sample["user"]
    with pytest.raises(ValueError):
        sb.catalog.add_tracks("jowymusic", [sample])  # id taken


# -- catalogue ------------------------------------------------------------------------------------
def test_catalog_default_size_and_startup_time() -> None:
    started = time.perf_counter()
    with Sandbox() as fresh:
        elapsed = time.perf_counter() - started
        users = fresh.catalog.users()
        assert len(users) == 207
        artists = [user for user in users if user["permalink"].startswith("artist-")]
        assert [a["permalink"] for a in (artists[0], artists[-1])] == ["artist-001", "artist-200"]
        assert {a["track_count"] for a in artists} == {500}
        assert len(fresh.catalog.tracks("artist-200")) == 500
        assert sum(user["track_count"] for user in users) == 110_625
    assert elapsed < 0.5


def test_catalog_facts(sb: Sandbox) -> None:
    catalog = sb.catalog
    jowy = catalog.user("jowymusic")
    assert jowy["id"] == JOWY < 2**31 and jowy["track_count"] == 347
    assert min(t["id"] for t in catalog.tracks("jowymusic")) > 2**31
    assert catalog.tracks("empty-artist") == []
    assert len(catalog.tracks(BIG)) == 10_000
    long_id = catalog.user(f"soundcloud:users:{LONG_ID}")
    assert long_id["id"] > 2**31 and 24 <= long_id["track_count"] <= 60
    unicode_user = catalog.user("bjork-unicode")
    for field in ("username", "full_name", "city", "description"):
        assert not unicode_user[field].isascii()
    text = unicode_user["username"] + unicode_user["description"]
    assert re.search(r"[\u3040-\u9fff]", text) and re.search(r"[\U0001F300-\U0001FAFF]", text)
    assert all(not t["title"].isascii() for t in catalog.tracks("bjork-unicode"))
    access = "".join("B" if t["access"] == "blocked" else "." for t in catalog.tracks(GEO))
    assert len(access) == 120 and "B" * 50 in access and access[:50] != "B" * 50
    for user in catalog.users():
        assert user["track_count"] == len(catalog.tracks(user["id"])), user["permalink"]


def test_catalog_is_deterministic() -> None:
    first, second = Catalog(artists=2, artist_tracks=30), Catalog(artists=2, artist_tracks=30)
    for permalink in ("jowymusic", "bjork-unicode", "artist-002"):
        assert json.dumps(first.tracks(permalink)) == json.dumps(second.tracks(permalink))
    assert json.dumps(first.users()) == json.dumps(second.users())
    small = Catalog(artists=3, artist_tracks=7)
    assert small.user("artist-003")["track_count"] == len(small.tracks("artist-003")) == 7


def test_catalog_values_are_realistic(sb: Sandbox) -> None:
    tracks = sb.catalog.tracks("big-catalog")
    share = {
        field: sum(t[field] is None for t in tracks) / len(tracks)
        for field in ("playback_count", "favoritings_count", "comment_count", "bpm", "genre",
                      "artwork_url", "download_url", "available_country_codes", "isrc")
    }  # fmt: skip
    assert 0.04 <= share["playback_count"] <= 0.12
    assert 0.02 <= share["comment_count"] <= 0.10
    assert share["bpm"] > 0.5 and share["isrc"] > 0.5 and share["available_country_codes"] > 0.8
    assert all(0 < value < 1 for value in share.values())
    assert {t["access"] for t in tracks} == {"playable", "preview", "blocked"}
    assert sum(t["access"] == "playable" for t in tracks) > 0.8 * len(tracks)
    assert all(isinstance(t["duration"], int) and t["duration"] >= 30_000 for t in tracks)
    keys = [sort_key(t) for t in tracks]
    assert keys == sorted(keys, reverse=True)
    assert len({created for created, _ in keys}) < len(keys)  # same-second uploads exist


def test_tag_lists_are_realistic(sb: Sandbox) -> None:
    tag_lists = [t["tag_list"] for t in sb.catalog.tracks("big-catalog")]
    machine = re.compile(r"[a-z]+:[a-z]+=\S+")
    for tag_list in tag_lists:
        tokens = re.findall(r'"[^"]+"|\S+', tag_list)
        kinds = [bool(machine.fullmatch(tok)) for tok in tokens]
        assert kinds == sorted(kinds, reverse=True), tag_list  # machine tags first
    assert "" in tag_lists
    assert any(t.startswith(" ") for t in tag_lists) and any(t.endswith(" ") for t in tag_lists)
    assert any('"' in t for t in tag_lists)
    assert any(t.startswith("soundcloud:source=") for t in tag_lists)
    assert any("geo:lat=" in t for t in tag_lists)
    assert any(re.fullmatch(r"soundcloud:source=\S+ [^ :]+.*", t) for t in tag_lists)


def test_add_user_validation() -> None:
    catalog = Catalog(artists=0)
    with pytest.raises(ValueError):
        catalog.add_user({"permalink": "no-id"})
    with pytest.raises(ValueError):
        catalog.add_user({"id": 1, "permalink": "jowymusic"})
    with pytest.raises(KeyError):
        catalog.add_tracks("nobody", [])
    with pytest.raises(KeyError):
        catalog.user("nobody")


# -- fault injection ------------------------------------------------------------------------------
def test_fail_html_then_recovers(sb: Sandbox, api: requests.Session) -> None:
    sb.fail("/users/*", status=502, times=2)
    for _ in range(2):
        reply = api.get(sb.url + f"/users/{JOWY}")
        assert reply.status_code == 502
        assert reply.headers["Content-Type"].startswith("text/html")
        assert "The request could not be satisfied" in reply.text
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 200


def test_fail_json_and_path_glob(sb: Sandbox, api: requests.Session) -> None:
    sb.fail("/tracks/*", status=503, html=False)
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 200
    track = sb.catalog.tracks("jowymusic")[0]
    reply = api.get(sb.url + f"/tracks/{track['id']}")
    assert reply.status_code == 503
    assert reply.json() == {
        "code": 503,
        "message": "",
        "link": "https://github.com/soundcloud/api",
        "status": "503 - Service Unavailable",
        "errors": [],
        "error": None,
    }


def test_generic_faults_skip_token_endpoint(sb: Sandbox, api: requests.Session) -> None:
    sb.fail()
    assert grant(sb).status_code == 200
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 502
    sb.fail("/oauth/*", status=500)
    assert grant(sb).status_code == 500


def test_rate_limit_plays_shape(sb: Sandbox, api: requests.Session) -> None:
    sb.rate_limit(reset_in=2.0)
    before = time.time()
    reply = api.get(sb.url + f"/users/{JOWY}/tracks")
    assert reply.status_code == 429 and "Retry-After" not in reply.headers
    (error,) = reply.json()["errors"]
    meta = error["meta"]
    assert meta["rate_limit"] == {
        "group": "plays",
        "max_nr_of_requests": 15000,
        "time_window": "PT24H",
    }
    assert meta["remaining_requests"] == 0
    assert SC_TIME.fullmatch(meta["reset_time"])
    assert before + 1 <= parse_sc_time(meta["reset_time"]) <= before + 4
    assert api.get(sb.url + f"/users/{JOWY}/tracks").status_code == 200


def test_rate_limit_edge_shape_and_far_future(sb: Sandbox, api: requests.Session) -> None:
    sb.rate_limit(shape="edge")
    edge = api.get(sb.url + f"/users/{JOWY}")
    assert (edge.status_code, edge.json()) == (429, {"error": "Rate Limit Exceeded"})
    sb.rate_limit(reset_in=None)
    far = api.get(sb.url + f"/users/{JOWY}").json()["errors"][0]["meta"]["reset_time"]
    assert parse_sc_time(far) > time.time() + 365 * 86_400
    with pytest.raises(ValueError):
        sb.rate_limit(shape="nonsense")


def test_drop_closes_connection(sb: Sandbox, api: requests.Session) -> None:
    sb.clear_log()
    sb.drop("/users/*")
    with pytest.raises(requests.ConnectionError):
        api.get(sb.url + f"/users/{JOWY}")
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 200
    assert [record.status for record in sb.requests] == [None, 200]


def test_delay(sb: Sandbox, api: requests.Session) -> None:
    sb.delay("/users/*", seconds=0.3)
    started = time.perf_counter()
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    api.get(sb.url + f"/users/{JOWY}")
    assert time.perf_counter() - started < 0.3


def test_repeat_next_href(sb: Sandbox, api: requests.Session) -> None:
    sb.repeat_next_href()
    params = {"linked_partitioning": "true", "limit": 5}
    reply = api.get(sb.url + f"/users/{JOWY}/tracks", params=params)
    assert reply.json()["next_href"] == reply.url
    again = api.get(reply.json()["next_href"])
    assert again.json() == reply.json() | {"next_href": again.json()["next_href"]}
    assert again.json()["next_href"] != again.url


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, {"error": "invalid_client"}), (429, {"error": "rate_limit_exceeded"}), (500, None)],
)
def test_token_faults(sb: Sandbox, status: int, body: dict[str, str] | None) -> None:
    sb.token_fault(status=status)
    reply = grant(sb)
    assert reply.status_code == status
    if body is None:
        assert reply.headers["Content-Type"].startswith("text/html")
    else:
        assert reply.json() == body
    if status == 429:
        assert reply.headers["WWW-Authenticate"] == "Basic"
    assert grant(sb).status_code == 200


def test_clear_faults(sb: Sandbox, api: requests.Session) -> None:
    sb.fail()
    sb.drop()
    sb.token_fault(500)
    sb.clear_faults()
    assert api.get(sb.url + f"/users/{JOWY}").status_code == 200
    assert grant(sb).status_code == 200


# -- request log, latency, concurrency --------------------------------------------------
def test_request_log(sb: Sandbox, token: str) -> None:
    sb.clear_log()
    before = time.time()
    grant(sb)
    exchanges = sb.token_exchanges
    requests.get(sb.url + f"/users/{JOWY}", headers={"Authorization": f"OAuth {token}"})
    requests.get(
        sb.url + f"/users/{JOWY}/tracks?limit=3", headers={"Authorization": f"Bearer {token}"}
    )
    requests.get(sb.url + "/users/999/tracks")
    assert sb.count() == 4
    assert sb.count("/users/*/tracks") == 2
    assert sb.count("/users/*", status=200) == 2
    assert sb.count(method="POST", grant_type="client_credentials") == 1
    assert sb.count(status=401) == 1
    token_record, user_record, tracks_record, anonymous = sb.requests
    assert token_record.auth_scheme == "Basic" and token_record.path == "/oauth/token"
    assert (user_record.auth_scheme, tracks_record.auth_scheme, anonymous.auth_scheme) == (
        "OAuth",
        "Bearer",
        None,
    )
    assert tracks_record.query == {"limit": "3"} and tracks_record.method == "GET"
    assert before <= token_record.time <= time.time()
    sb.clear_log()
    assert sb.requests == [] and sb.token_exchanges == exchanges


def test_latency_does_not_serialise(sb: Sandbox, token: str) -> None:
    sb.latency = 0.25

    def timed_get(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        reply = requests.get(sb.url + f"/users/{JOWY}", headers={"Authorization": f"OAuth {token}"})
        return reply.status_code, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(timed_get, range(8)))
    assert all(status == 200 and elapsed >= 0.25 for status, elapsed in results)
    assert time.perf_counter() - started < 0.25 * 4


@pytest.mark.slow  # over half a second: the full run has it
def test_concurrent_clients(sb: Sandbox, token: str) -> None:
    paths = [
        f"/users/{JOWY}",
        f"/users/{JOWY}/tracks?linked_partitioning=1&limit=200",
        f"/users/{GEO}/tracks",
        "/resolve?url=https://soundcloud.com/artist-001",
        f"/tracks/{sb.catalog.tracks(GEO)[0]['id']}",
    ]

    def client(worker: int) -> list[tuple[str, int, str]]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"OAuth {token}"
            chosen = [paths[(worker + i) % len(paths)] for i in range(10)]
            replies = [session.get(sb.url + path) for path in chosen]
            return [(p, r.status_code, r.text) for p, r in zip(chosen, replies, strict=True)]

    with ThreadPoolExecutor(16) as pool:
        results = [row for rows in pool.map(client, range(16)) for row in rows]
    assert len(results) == 160
    assert {status for _, status, _ in results} == {200}
    answers: dict[str, set[str]] = {}
    for path, _, text in results:
        answers.setdefault(path, set()).add(text)
    assert set(answers) == set(paths)
    assert all(len(texts) == 1 for texts in answers.values())  # same answer every time


def test_several_processes(sb: Sandbox, token: str) -> None:
    script = (
        "import sys, requests\n"
        "s = requests.Session(); s.headers['Authorization'] = 'OAuth ' + sys.argv[2]\n"
        "codes = [s.get(sys.argv[1] + '/users/52461337/tracks?limit=20').status_code"
        " for _ in range(20)]\n"
        "print(codes.count(200))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, sb.url, token], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    assert [proc.communicate(timeout=30)[0].strip() for proc in procs] == ["20"] * 3


# -- serve() and the command line -----------------------------------------------------------------
def test_serve_without_configuring() -> None:
    with serve(configure=False, artists=1, artist_tracks=3) as sb, requests.Session() as session:
        assert sb.running and sb.env["SOUNDCLOUD_API_URL"] == sb.url
        assert sb.env["SOUNDCLOUD_URL_GET_TOKEN"] == sb.url + "/oauth/token"
        body = session.post(
            sb.token_url,
            data={"grant_type": "client_credentials"},
            auth=(sb.client_id, sb.client_secret),
        ).json()
        headers = {"Authorization": f"OAuth {body['access_token']}"}
        assert session.get(sb.url + f"/users/{JOWY}", headers=headers).status_code == 200
    assert not sb.running
    with pytest.raises(requests.ConnectionError):
        session.get(sb.url + f"/users/{JOWY}", headers=headers, timeout=2)


@pytest.mark.slow  # other processes
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_command_line(signum: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scdata.sandbox", "--port", "0", "--latency", "0", "--artists", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
        env = dict(re.fullmatch(r"export (\w+)=(\S+)\n", line).groups() for line in lines[:4])  # type: ignore[union-attr]
        assert set(env) == {"SOUNDCLOUD_CLIENT_ID", "SOUNDCLOUD_CLIENT_SECRET",
                            "SOUNDCLOUD_API_URL", "SOUNDCLOUD_URL_GET_TOKEN"}  # fmt: skip
        assert "Ctrl-C" in lines[4]
        reply = requests.post(
            env["SOUNDCLOUD_URL_GET_TOKEN"],
            data={"grant_type": "client_credentials"},
            auth=(env["SOUNDCLOUD_CLIENT_ID"], env["SOUNDCLOUD_CLIENT_SECRET"]),
        )
        assert reply.status_code == 200
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_main_reports_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["--port", str(busy.getsockname()[1]), "--artists", "0"]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_server_thread_is_a_daemon(sb: Sandbox) -> None:
    threads = [
        t for t in threading.enumerate() if t.name == f"scdata-sandbox-{sb.url.rsplit(':', 1)[1]}"
    ]
    assert len(threads) == 1 and threads[0].daemon


@pytest.mark.parametrize("kind", ["malformed", "truncated", "html", "shape"])
def test_corrupt_fault_answers_200_with_a_broken_body(kind):
    with Sandbox(artists=0) as sb:
        token = requests.post(
            sb.token_url,
            auth=(sb.client_id, sb.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=5,
        ).json()["access_token"]
        sb.corrupt("/users/*", kind=kind)
        r = requests.get(
            f"{sb.url}/users/52461337", timeout=5, headers={"Authorization": f"OAuth {token}"}
        )
        assert r.status_code == 200
        if kind == "shape":
            assert r.json() == {"unexpected": True}
        else:
            with pytest.raises(json.JSONDecodeError):
                json.loads(r.text)
        again = requests.get(
            f"{sb.url}/users/52461337", timeout=5, headers={"Authorization": f"OAuth {token}"}
        )
        assert again.json()["permalink"] == "jowymusic"
