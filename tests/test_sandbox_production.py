"""The emulator's production mode over real HTTP with plain ``requests``.

Each behaviour comes from ``../shared/soundcloud-api/API-NOTES-2.md`` (§ numbers below); where
the notes call a response shape confirmed, the served one is compared with the recorded
sample in ``../shared/soundcloud-api/samples/`` (tests skip when that directory is absent).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from scdata.sandbox import Sandbox
from scdata.sandbox.cli import main

from .test_sandbox import API_DIR, served_user

SAMPLES = API_DIR / "samples"
UTM = re.compile(r"\?utm_medium=api&utm_campaign=social_sharing&utm_source=id_(\d+)\Z")
ZEROED = ("public_favorites_count", "reposts_count", "followers_count", "followings_count",
          "comments_count", "likes_count")  # fmt: skip
JOWY, BIG, PRIVATE = 52_461_337, 123_456_789, 200_000_003


def sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"../shared/soundcloud-api/samples/{name} is absent")
    return json.loads(path.read_text(encoding="utf-8"))


def grant(sb: Sandbox, auth: Any = "basic", **form: str) -> requests.Response:
    form.setdefault("grant_type", "client_credentials")
    if auth == "basic":
        return requests.post(sb.token_url, data=form, auth=(sb.client_id, sb.client_secret))
    return requests.post(sb.token_url, data=form, auth=auth)


def session(sb: Sandbox) -> requests.Session:
    token = grant(sb).json()["access_token"]
    api = requests.Session()
    api.headers["Authorization"] = f"OAuth {token}"
    return api


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=2, artist_tracks=30) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb: Sandbox) -> Iterator[requests.Session]:
    with session(sb) as s:
        yield s


def cloudfront_checks(reply: requests.Response) -> None:
    assert reply.status_code == 403
    assert reply.headers["Server"] == "CloudFront"
    assert reply.headers["Content-Type"] == "text/html"
    assert reply.headers["X-Cache"] == "Error from cloudfront"
    assert re.fullmatch(r"[A-Z]{3}\d+-P\d+", reply.headers["X-Amz-Cf-Pop"])
    assert reply.headers["Via"].endswith(".cloudfront.net (CloudFront)")
    assert "Retry-After" not in reply.headers
    assert b"Request blocked" in reply.content


# -- request-rate limit (§1.1) ------------------------------------------------------------------
def test_defaults_are_production_with_ten_per_second_burst_twenty(sb: Sandbox) -> None:
    assert (sb.production, sb.request_rate, sb.request_burst) == (True, 10.0, 20)
    assert (sb.throttle_mode, sb.embedded_users, sb.location_style) == ("429", "zeroed", "numeric")
    with session(sb) as api:
        # the first request may find a slightly refilled bucket: send well past the burst
        answers = [api.get(f"{sb.url}/users/{JOWY}").status_code for _ in range(30)]
    assert answers[:20] == [200] * 20
    assert 429 in answers[20:]
    assert sb.count(cause="throttle") == answers.count(429) == sb.throttled()
    assert sb.count("/users/*", status=429) == answers.count(429)  # the log has the status


@pytest.mark.slow  # paced at the real rate by design
def test_a_client_at_five_per_second_is_never_throttled(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate, sb.request_burst = 10.0, 2  # a small burst: only the rate can save it
    for _ in range(8):
        assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
        time.sleep(0.2)
    assert sb.throttled() == 0


def test_edge_429_has_the_gateway_body_and_headers(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate, sb.request_burst = 0.5, 1
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
    reply = api.get(f"{sb.url}/users/{JOWY}/tracks", params={"linked_partitioning": "1"})
    assert reply.status_code == 429
    assert reply.json() == {"error": "Rate Limit Exceeded"}
    headers = reply.headers
    assert (headers["Server"], headers["X-Generator"]) == ("envoy", "tyk.io")
    assert headers["Content-Type"] == "application/json"
    assert (headers["X-Ratelimit-Limit"], headers["X-Ratelimit-Remaining"]) == ("-1", "0")
    assert headers["X-Ratelimit-Reset"] == "0"
    assert headers["X-Cache"] == "Error from cloudfront"
    assert "Retry-After" not in headers and b"reset_time" not in reply.content
    # the token endpoint has its own limits, not this one
    assert grant(sb).status_code == 200
    assert sb.count(cause="throttle") == 1


def test_edge_429_matches_the_recorded_samples(sb: Sandbox, api: requests.Session) -> None:
    repost = sample("issue529_repost_429_edge_2026.json")
    block = sample("issue457_ratelimit_headers_2025.json")
    sb.request_rate, sb.request_burst = 0.5, 1
    api.get(f"{sb.url}/users/{JOWY}")
    reply = api.get(f"{sb.url}/users/{JOWY}")
    assert reply.status_code == repost["status"] == 429
    assert reply.json() == repost["body"]
    # 38 bytes: the gateway's error template, as the recorded content-length says
    assert reply.headers["Content-Length"] == repost["headers"]["content_length"] == "38"
    for name in ("server", "x_generator", "x_cache", "vary"):
        assert reply.headers[name.replace("_", "-")] == repost["headers"][name]
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "X-Cache"):
        assert reply.headers[name] == block["headers"][name]


def test_stream_paths_are_outside_the_request_limit(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate, sb.request_burst = 0.5, 1
    api.get(f"{sb.url}/users/{JOWY}")
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 429
    track = sb.catalog.tracks("jowymusic")[0]["urn"]
    assert api.get(f"{sb.url}/tracks/{track}/streams").status_code == 404  # not throttled


def test_rate_zero_is_no_limit_and_the_bucket_refills(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate, sb.request_burst = 20.0, 1
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 429
    time.sleep(0.1)
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
    sb.request_rate = 0
    assert {api.get(f"{sb.url}/users/{JOWY}").status_code for _ in range(40)} == {200}


def test_throttle_mode_403_sends_the_cloudfront_page(sb: Sandbox, api: requests.Session) -> None:
    recorded = sample("issue481_cloudfront_403_request_blocked_2025.json")
    sb.request_rate, sb.request_burst, sb.throttle_mode = 0.5, 1, "403"
    api.get(f"{sb.url}/users/{JOWY}")
    reply = api.get(f"{sb.url}/users/{JOWY}")
    cloudfront_checks(reply)
    assert reply.status_code == recorded["status"]
    assert reply.content.startswith(recorded["body"].encode())  # the excerpt, byte for byte
    assert reply.headers["Content-Length"] == recorded["headers"]["content-length"] == "919"
    for name in ("server", "content-type", "x-cache"):
        assert reply.headers[name] == recorded["headers"][name]
    assert sb.count(status=403, cause="throttle") == 1


@pytest.mark.slow  # waits real seconds by design
def test_throttle_block_walls_the_ip_after_a_403_trip(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate, sb.request_burst, sb.throttle_mode, sb.throttle_block = 50.0, 1, "403", 0.5
    api.get(f"{sb.url}/users/{JOWY}")
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 403
    time.sleep(0.1)  # the bucket has refilled, the wall stands
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 403
    assert sb.count(cause="block") == 1
    time.sleep(0.5)
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200


# -- blocked IP, incident (§1.1) -----------------------------------------------------------------
@pytest.mark.slow  # waits real seconds by design
def test_block_ip_walls_api_and_token_endpoint(sb: Sandbox, api: requests.Session) -> None:
    sb.block_ip(0.6)
    cloudfront_checks(api.get(f"{sb.url}/users/{JOWY}"))
    cloudfront_checks(api.get(f"{sb.url}/resolve", params={"url": "https://soundcloud.com/x"}))
    before = (sb.token_attempts(), sb.token_window_used("ip"))
    cloudfront_checks(grant(sb))
    # counted as an attempt, but CloudFront stopped it before the server's windows
    assert (sb.token_attempts(), sb.token_window_used("ip")) == (before[0] + 1, before[1])
    assert sb.throttled() == 3 == sb.count(status=403, cause="block")
    time.sleep(0.7)
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
    assert grant(sb).status_code == 200


@pytest.mark.slow  # waits real seconds by design
def test_incident_answers_429_to_everything(sb: Sandbox, api: requests.Session) -> None:
    sb.request_rate = 0
    sb.incident(0.5)
    reply = api.get(f"{sb.url}/users/{JOWY}")
    assert (reply.status_code, reply.json()) == (429, {"error": "Rate Limit Exceeded"})
    token = grant(sb)
    assert (token.status_code, token.json()) == (429, {"error": "rate_limit_exceeded"})
    assert sb.count(cause="incident") == 2
    time.sleep(0.6)
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200


# -- token endpoint (§1.2, §1.8) -----------------------------------------------------------------
@pytest.mark.slow  # waits real seconds by design
def test_ip_window_counts_failed_attempts_and_slides() -> None:
    recorded = sample("issue212_token_429_by_ip_2022.json")["body"]
    with Sandbox(artists=0, token_ip_limit=3, token_ip_window=1.0) as sb:
        wrong = ("sandbox-client-id", "wrong-secret")
        assert [grant(sb, auth=wrong).status_code for _ in range(2)] == [401, 401]
        assert grant(sb).status_code == 200  # the third POST in the window
        spent = grant(sb)  # the fourth, although only one token was ever issued
        assert spent.status_code == 429
        body = spent.json()
        meta, expected = body["errors"][0]["meta"], recorded["errors"][0]["meta"]
        assert set(body) == set(recorded) and set(meta) == set(expected)
        assert meta["rate_limit"] == {**expected["rate_limit"], "max_nr_of_requests": 3,
                                      "time_window": "PT1S"}  # fmt: skip
        assert meta["remaining_requests"] == 0
        assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \+0000", meta["reset_time"])
        assert sb.token_window_used("ip") == 4 and sb.token_attempts() == 4
        assert sb.count(cause="window") == 1
        time.sleep(1.05)
        assert grant(sb).status_code == 200  # the window slid


def test_app_window_answers_rate_limit_exceeded() -> None:
    recorded = sample("issue517_token_429_rate_limit_exceeded_2026.json")
    with Sandbox(artists=0, token_app_limit=2, token_app_window=60) as sb:
        first = grant(sb).json()
        refreshed = grant(sb, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert refreshed.status_code == 200
        spent = grant(sb)  # refreshes count too: every POST reaching the server does
        assert (spent.status_code, spent.json()) == (429, recorded["body"])
        assert spent.headers["WWW-Authenticate"] == recorded["headers"]["www-authenticate"]
        assert spent.headers["X-Cache"] == recorded["headers"]["X-Cache"]
        assert spent.headers["Server"] == recorded["headers"]["server"] == "am/2"
        assert sb.token_budget == 2 and sb.token_window_used("app") == 3


@pytest.mark.slow  # waits real seconds by design
@pytest.mark.parametrize(
    ("kind", "status", "check"),
    [
        ("500", 500, lambda r: r.headers["Content-Type"] == "text/html"
                               and b"500 ERROR" in r.content),
        ("html403", 403, lambda r: cloudfront_checks(r) is None),
        ("429", 429, lambda r: r.json() == {"error": "rate_limit_exceeded"}
                               and r.headers["WWW-Authenticate"] == "Basic"),
    ],
)  # fmt: skip
def test_token_outage_kinds(kind: str, status: int, check: Any) -> None:
    with Sandbox(artists=0) as sb:
        sb.token_outage(0.5, kind=kind)
        replies = [grant(sb), grant(sb, grant_type="refresh_token", refresh_token="x")]
        assert [r.status_code for r in replies] == [status, status]
        assert all(check(r) for r in replies)
        assert sb.token_attempts() == sb.token_window_used("ip") == 2  # outages count
        assert sb.count(cause="outage") == 2
        time.sleep(0.55)
        assert grant(sb).status_code == 200


@pytest.mark.slow  # waits real seconds by design
def test_token_outage_timeout_holds_then_drops_the_connection() -> None:
    with Sandbox(artists=0) as sb:
        sb.token_outage(5, kind="timeout", hold=0.8)
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(sb.token_url, data={"grant_type": "client_credentials"},
                          auth=(sb.client_id, sb.client_secret), timeout=0.3)  # fmt: skip
        assert time.monotonic() - started < 0.7
        with pytest.raises(requests.exceptions.ConnectionError):  # closed, never answered
            grant(sb)
        assert time.monotonic() - started < 3
        assert sb.token_attempts() == 2 and sb.token_window_used("ip") == 2
        assert sb.count(cause="outage", status=None) == 2
        sb.calm()
        assert grant(sb).status_code == 200


def test_stop_releases_held_token_requests() -> None:
    sb = Sandbox(artists=0).start()
    sb.token_outage(60, kind="timeout", hold=60)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(sb.token_url, data={"grant_type": "client_credentials"}, timeout=0.2)
    started = time.monotonic()
    sb.stop()
    assert time.monotonic() - started < 5


def test_two_client_authentications_are_refused() -> None:
    with Sandbox(artists=0) as sb:
        both = grant(sb, client_id=sb.client_id, client_secret=sb.client_secret)
        assert (both.status_code, both.json()) == (400, {"error": "invalid_request"})
        form_only = grant(sb, auth=None, client_id=sb.client_id, client_secret=sb.client_secret)
        assert form_only.status_code == 200
        assert grant(sb).status_code == 200  # Basic only
        assert grant(sb, client_id=sb.client_id).status_code == 200  # Basic + id: one method
        refresh = form_only.json()["refresh_token"]
        dual = grant(sb, grant_type="refresh_token", refresh_token=refresh,
                     client_id=sb.client_id, client_secret=sb.client_secret)  # fmt: skip
        assert (dual.status_code, dual.json()) == (400, {"error": "invalid_request"})
        single = grant(sb, auth=None, grant_type="refresh_token", refresh_token=refresh,
                       client_id=sb.client_id, client_secret=sb.client_secret)  # fmt: skip
        assert single.status_code == 200  # the refused request did not spend the token
        again = grant(sb, auth=None, grant_type="refresh_token", refresh_token=refresh,
                      client_id=sb.client_id, client_secret=sb.client_secret)  # fmt: skip
        assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
        assert sb.token_attempts() == 7
        sb.strict_client_auth = False
        assert grant(sb, client_id=sb.client_id, client_secret=sb.client_secret).status_code == 200


# -- data shapes (§1.3-1.7) ----------------------------------------------------------------------
def test_embedded_users_are_zeroed_by_default(sb: Sandbox, api: requests.Session) -> None:
    full = api.get(f"{sb.url}/users/{JOWY}").json()
    assert full["followers_count"] > 0  # real counts from /users/{urn}
    page = api.get(f"{sb.url}/users/{JOWY}/tracks", params={"linked_partitioning": "1"}).json()
    single = api.get(f"{sb.url}/tracks/{page['collection'][0]['urn']}").json()
    for embedded in [track["user"] for track in page["collection"]] + [single["user"]]:
        assert list(embedded) == list(full)
        assert all(embedded[key] == 0 for key in ZEROED) and embedded["online"] is False
        assert embedded["track_count"] == full["track_count"] == 347
        rest = {k: v for k, v in embedded.items() if k not in ZEROED}
        assert rest == {k: v for k, v in full.items() if k not in ZEROED}


def test_zeroed_user_has_the_recorded_key_order(sb: Sandbox, api: requests.Session) -> None:
    recorded = sample("issue210_playlist_track_embedded_user_zero_counts_2022.json")
    page = api.get(f"{sb.url}/users/{JOWY}/tracks", params={"linked_partitioning": "1"}).json()
    embedded = page["collection"][0]["user"]
    keys = [key for key in embedded if key != "urn"]  # URN era: urn after id
    assert keys[: len(recorded["body"]["value"])] == list(recorded["body"]["value"])
    for key in ZEROED:
        assert embedded[key] == recorded["body"]["value"][key] == 0


def test_compact_and_full_embedded_users(sb: Sandbox, api: requests.Session) -> None:
    recorded = sample("issue424_track_search_embedded_user_2025.json")["body"]["value"]
    full = api.get(f"{sb.url}/users/{JOWY}").json()
    sb.embedded_users = "compact"
    compact = api.get(f"{sb.url}/users/{JOWY}/tracks", params={"limit": 5}).json()[0]["user"]
    assert [key for key in compact if key != "urn"] == [*recorded, "subscriptions"]
    assert not any(key.endswith("_count") and key != "track_count" for key in compact)
    assert {key: full[key] for key in compact} == compact
    assert UTM.search(compact["permalink_url"]) and UTM.search(recorded["permalink_url"])
    assert compact["uri"].endswith(f"/users/soundcloud:users:{JOWY}")
    sb.embedded_users = "full"
    assert api.get(f"{sb.url}/users/{JOWY}/tracks", params={"limit": 5}).json()[0]["user"] == full


def test_users_carry_utm_links_and_urn_uris(sb: Sandbox, api: requests.Session) -> None:
    stored = sb.catalog.user("jowymusic")
    served = api.get(f"{sb.url}/users/soundcloud:users:{JOWY}").json()
    assert served == served_user(sb, stored)
    assert served["permalink_url"].startswith(stored["permalink_url"] + "?")
    assert UTM.search(served["permalink_url"]).group(1) == str(sb.app_id)
    assert served["uri"] == f"{sb.url}/users/soundcloud:users:{JOWY}"
    assert api.get(served["uri"]).json() == served  # the uri is followable as it is
    resolved = api.get(f"{sb.url}/resolve", params={"url": "https://soundcloud.com/jowymusic"})
    assert resolved.json() == served
    sb.utm_links = sb.urn_uris = False
    assert api.get(f"{sb.url}/users/{JOWY}").json() == stored


@pytest.mark.parametrize(
    ("style", "suffix"),
    [("numeric", f"/users/{JOWY}"), ("urn", f"/users/soundcloud:users:{JOWY}"),
     ("urn-encoded", f"/users/soundcloud%3Ausers%3A{JOWY}")],
)  # fmt: skip
def test_resolve_location_styles(
    sb: Sandbox, api: requests.Session, style: str, suffix: str
) -> None:
    sb.location_style = style
    reply = api.get(
        f"{sb.url}/resolve", params={"url": "https://soundcloud.com/jowymusic"},
        allow_redirects=False,
    )  # fmt: skip
    assert reply.status_code == 302
    assert reply.headers["Location"] == reply.json()["location"] == sb.url + suffix
    assert api.get(reply.headers["Location"]).json()["id"] == JOWY
    track = sb.catalog.tracks("jowymusic")[0]
    followed = api.get(f"{sb.url}/resolve", params={"url": track["permalink_url"]})
    assert followed.json()["id"] == track["id"]


def test_resolve_body_only_has_no_location_header(sb: Sandbox, api: requests.Session) -> None:
    recorded = sample("issue403_resolve_302_numeric_location_2025.json")["body"]
    sb.location_style = "body-only"
    reply = api.get(
        f"{sb.url}/resolve", params={"url": "https://soundcloud.com/jowymusic"},
        allow_redirects=False,
    )  # fmt: skip
    assert reply.status_code == 302 and "Location" not in reply.headers
    assert reply.json() == {"status": recorded["status"], "location": f"{sb.url}/users/{JOWY}"}


def test_short_links_resolve_like_the_long_url(sb: Sandbox, api: requests.Session) -> None:
    def resolve(url: str) -> requests.Response:
        return api.get(f"{sb.url}/resolve", params={"url": url}, allow_redirects=False)

    assert resolve("https://on.soundcloud.com/sbJowyMusic1").headers["Location"] == (
        f"{sb.url}/users/{JOWY}"
    )
    newest = sb.catalog.tracks("jowymusic")[0]
    short_track = resolve("https://on.soundcloud.com/sbJowyTrack1?si=abc&utm_source=clipboard")
    assert short_track.headers["Location"] == f"{sb.url}/tracks/{newest['id']}"
    assert resolve("https://on.soundcloud.com/sbBjorkUnicode").status_code == 302
    short = sb.short_link("https://soundcloud.com/big-catalog")
    assert re.fullmatch(r"https://on\.soundcloud\.com/[0-9A-Za-z]+", short)
    assert short == sb.short_link("https://soundcloud.com/big-catalog")  # stable
    assert resolve(short).headers["Location"] == f"{sb.url}/users/{BIG}"
    assert resolve("https://on.soundcloud.com/NoSuchCode1").status_code == 404
    with pytest.raises(ValueError, match=r"url must be a soundcloud\.com"):
        sb.short_link("https://example.com/x")


def test_private_tracks_take_page_slots(sb: Sandbox, api: requests.Session) -> None:
    user = api.get(f"{sb.url}/users/{PRIVATE}").json()
    assert (user["permalink"], user["track_count"]) == ("private-first", 80)
    params = {"linked_partitioning": "1", "limit": 32, "access": "playable,preview,blocked"}
    first = api.get(f"{sb.url}/users/{PRIVATE}/tracks", params=params).json()
    assert first["collection"] == [] and first["next_href"] is not None  # #139
    listed, page = [], first
    while page["next_href"]:
        page = api.get(page["next_href"]).json()
        listed += page["collection"]
    assert len(listed) == 48 < user["track_count"]
    assert {track["sharing"] for track in listed} == {"public"}
    private = sb.catalog.tracks("private-first")[0]
    assert private["sharing"] == "private"
    assert api.get(f"{sb.url}/tracks/{private['urn']}").status_code == 404
    resolve = api.get(f"{sb.url}/resolve", params={"url": private["permalink_url"]})
    assert resolve.status_code == 404


def test_unknown_owner_and_deleted_user(sb: Sandbox, api: requests.Session) -> None:
    unknown = api.get(f"{sb.url}/users/999/tracks", params={"linked_partitioning": "1"})
    assert (unknown.status_code, unknown.json()) == (200, {"collection": [], "next_href": None})
    assert api.get(f"{sb.url}/users/999").status_code == 404
    victim = sb.catalog.user("artist-001")
    track = sb.catalog.tracks("artist-001")[0]
    assert api.get(f"{sb.url}/tracks/{track['urn']}").status_code == 200
    sb.delete_user("artist-001")
    assert api.get(f"{sb.url}/users/{victim['urn']}").status_code == 404
    gone = api.get(f"{sb.url}/users/{victim['urn']}/tracks", params={"linked_partitioning": "1"})
    assert (gone.status_code, gone.json()) == (200, {"collection": [], "next_href": None})
    assert api.get(f"{sb.url}/tracks/{track['urn']}").status_code == 404
    resolved = api.get(f"{sb.url}/resolve", params={"url": "https://soundcloud.com/artist-001"})
    assert resolved.status_code == 404
    sb.unknown_owner = "404"
    assert api.get(f"{sb.url}/users/{victim['urn']}/tracks").status_code == 404
    with pytest.raises(KeyError):
        sb.delete_user("artist-001")


def test_error_rate_is_seeded_envoy_5xx(sb: Sandbox, api: requests.Session) -> None:
    recorded = sample("issue354_followers_503_envoy_2025.json")
    sb.request_rate = 0

    def pattern(seed: int) -> list[int]:
        sb.error_rate(0.25, seed=seed)
        return [api.get(f"{sb.url}/users/{JOWY}").status_code for _ in range(80)]

    first = pattern(7)
    assert first == pattern(7) and first != pattern(8)
    assert set(first) == {200, 503} and 8 <= first.count(503) <= 35
    sb.error_rate(1.0)
    reply = api.get(f"{sb.url}/users/{JOWY}")
    assert reply.status_code == recorded["status"]
    assert reply.content == recorded["body"].encode()
    assert reply.headers["Content-Type"] == "text/plain"
    assert grant(sb).status_code == 200  # the token endpoint is not affected
    sb.error_rate(1.0, status=504)
    timeout = api.get(f"{sb.url}/users/{JOWY}")
    assert (timeout.status_code, timeout.content, timeout.headers["Server"]) == (504, b"", "envoy")
    sb.error_rate(0)
    assert api.get(f"{sb.url}/users/{JOWY}").status_code == 200
    assert sb.count(cause="error_rate") == sb.count(status=503) + sb.count(status=504)
    assert sb.count(status=504) == 1


# -- permissive mode, validation, command line ---------------------------------------------------
def test_production_false_is_the_permissive_emulator() -> None:
    with Sandbox(production=False, artists=0) as sb, session(sb) as api:
        assert (sb.production, sb.request_rate, sb.embedded_users) == (False, 0.0, "full")
        assert {api.get(f"{sb.url}/users/{JOWY}").status_code for _ in range(40)} == {200}
        stored = sb.catalog.user("jowymusic")
        assert api.get(f"{sb.url}/users/{JOWY}").json() == stored  # clean URLs
        page = api.get(f"{sb.url}/users/{JOWY}/tracks", params={"limit": 3}).json()
        assert page[0]["user"] == stored  # full counts
        assert api.get(f"{sb.url}/users/999/tracks").status_code == 404
        both = grant(sb, client_id=sb.client_id, client_secret=sb.client_secret)
        assert both.status_code == 200  # no strict client authentication


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("request_rate", -1, "request_rate must be >= 0"),
        ("request_rate", float("nan"), "request_rate must be a finite number"),
        ("request_burst", 0, "request_burst must be an integer >= 1"),
        ("throttle_mode", "402", "throttle_mode must be one of"),
        ("embedded_users", "partial", "embedded_users must be one of"),
        ("location_style", "fancy", "location_style must be one of"),
        ("unknown_owner", "410", "unknown_owner must be one of"),
        ("utm_links", "yes", "utm_links must be True or False"),
        ("token_budget", -3, "token_budget must be an integer >= 0"),
    ],
)
def test_bad_settings_are_refused_by_name(setting: str, value: Any, message: str) -> None:
    sb = Sandbox(artists=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        setattr(sb, setting, value)


def test_bad_spells_are_refused_by_name() -> None:
    sb = Sandbox(artists=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        sb.token_outage(5, kind="404")
    with pytest.raises(ValueError, match="hold must be"):
        sb.token_outage(5, kind="timeout", hold=1e9)
    with pytest.raises(ValueError, match="seconds must be a finite number"):
        sb.block_ip(-1)
    with pytest.raises(ValueError, match="fraction must be"):
        sb.error_rate(1.5)
    with pytest.raises(ValueError, match="status must be a 5xx"):
        sb.error_rate(0.1, status=429)
    with pytest.raises(ValueError, match="token_ip limit must be"):
        Sandbox(artists=0, token_ip_limit=-1)


@pytest.mark.slow  # other processes
def test_command_line_production_flags() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scdata.sandbox", "--artists", "0", "--request-rate", "0.5",
         "--request-burst", "1", "--throttle-mode", "403"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        env = {}
        for line in proc.stdout:
            if line.startswith("export "):
                name, _, value = line[7:].strip().partition("=")
                env[name] = value
            if line.startswith("# SoundCloud sandbox serving"):
                break
        token = requests.post(
            env["SOUNDCLOUD_URL_GET_TOKEN"], data={"grant_type": "client_credentials"},
            auth=(env["SOUNDCLOUD_CLIENT_ID"], env["SOUNDCLOUD_CLIENT_SECRET"]),
        ).json()["access_token"]  # fmt: skip
        headers = {"Authorization": f"OAuth {token}"}
        url = f"{env['SOUNDCLOUD_API_URL']}/users/{JOWY}"
        assert requests.get(url, headers=headers).status_code == 200
        assert requests.get(url, headers=headers).status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_command_line_refuses_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--request-rate", "-2"]) == 2
    assert "request_rate must be >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--no-production" in capsys.readouterr().out
