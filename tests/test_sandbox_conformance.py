"""Every collection route of the emulator against the response schemas of ``api.yaml``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from scdata.sandbox import Sandbox
from scdata.sandbox.world import FAN_BASE

from .conftest import needs_shared
from .test_sandbox import _conforms, _schemas

pytestmark = [needs_shared, pytest.mark.slow]  # every route against api.yaml: CI

JOWY, EMPTY, BJORK, HOT_TRACK, SET_449 = (
    52_461_337,
    100_000_001,
    7_340_229,
    2_174_623_891,
    900_000_000,
)
BATCH = {"linked_partitioning": "1"}
LP = {"linked_partitioning": "1", "limit": 200, "access": "playable,preview,blocked"}
#: (path, query, response schema, item schema)
ROUTES = [
    (f"/users/{JOWY}/playlists", LP, "Playlists", "Playlist"),
    (f"/users/{EMPTY}/likes/tracks", LP, "Tracks", "Track"),
    (f"/users/{EMPTY}/likes/playlists", LP, "Playlists", "Playlist"),
    (f"/users/{BJORK}/reposts/tracks", LP, "Tracks", "Track"),
    (f"/users/{BJORK}/reposts/playlists", LP, "Playlists", "Playlist"),
    (f"/tracks/{HOT_TRACK}/favoriters", LP, "Users", "User"),
    (f"/users/{JOWY}/followers", {"limit": 200}, "Users", "User"),
    (f"/users/{EMPTY}/followings", {"limit": 200}, "Users", "User"),
    (f"/tracks/{HOT_TRACK}/reposters", {"limit": 200}, "Users", "User"),
    (f"/playlists/{SET_449}/tracks", LP, "Tracks", "Track"),
    (f"/tracks/{HOT_TRACK}/comments", {"linked_partitioning": "1"}, "Comments", "Comment"),
    (f"/tracks/{HOT_TRACK}/related", LP, "Tracks", "Track"),
    (f"/users/{JOWY}/related", LP, "Users", "User"),
    (f"/users?urns={JOWY},{FAN_BASE + 7}", BATCH, "Users", "User"),
    (f"/tracks?urns=soundcloud:tracks:{HOT_TRACK}", BATCH, "Tracks", "Track"),
]  # fmt: skip


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[Sandbox, requests.Session]]:
    with Sandbox(request_rate=0, artists=2, artist_tracks=10) as sb:
        form = {"grant_type": "client_credentials"}
        auth = (sb.client_id, sb.client_secret)
        token = requests.post(sb.token_url, data=form, auth=auth).json()["access_token"]
        with requests.Session() as session:
            session.headers["Authorization"] = f"OAuth {token}"
            yield sb, session


def conforms(obj: dict[str, Any], name: str, schemas: dict[str, Any]) -> list[str]:
    """Names and types of ``obj`` against schema ``name``, nested users and tracks too."""
    schema = schemas[name]
    if name == "Comment":  # API-NOTES-2 §2.7: the spec says string, the API sends an integer
        schema = {
            **schema,
            "properties": {**schema["properties"], "timestamp": {"type": "integer"}},
        }
        problems = _conforms(obj, schema, schemas)
        return problems + [
            f"user.{p}" for p in _conforms(obj["user"], schema["properties"]["user"], schemas)
        ]
    problems = _conforms(obj, schema, schemas)
    if name == "Playlist":
        problems += [f"user.{p}" for p in _conforms(obj["user"], schemas["User"], schemas)]
        for track in obj["tracks"]:
            problems += [f"tracks.{p}" for p in conforms(track, "Track", schemas)]
    if name == "Track":
        problems += [f"user.{p}" for p in _conforms(obj["user"], schemas["User"], schemas)]
    return problems


@pytest.mark.parametrize(("path", "query", "page_schema", "item_schema"), ROUTES)
def test_collection_conforms(
    api: tuple[Sandbox, requests.Session],
    path: str,
    query: dict[str, Any],
    page_schema: str,
    item_schema: str,
) -> None:
    sb, session = api
    schemas = _schemas()
    reply = session.get(sb.url + path, params=query)
    assert reply.status_code == 200
    page = reply.json()
    assert set(page) <= set(schemas[page_schema]["properties"]) and "collection" in page
    assert page["collection"], path
    for item in page["collection"]:
        assert conforms(item, item_schema, schemas) == [], path


def test_playlist_and_web_profiles_conform(api: tuple[Sandbox, requests.Session]) -> None:
    sb, session = api
    schemas = _schemas()
    playlist = session.get(f"{sb.url}/playlists/soundcloud:playlists:{SET_449}").json()
    assert conforms(playlist, "Playlist", schemas) == []
    item_schema = schemas["WebProfiles"]["items"]
    profiles = [p for uid in (JOWY, BJORK, EMPTY, 123_456_789, 200_000_002, 3_000_000_001)
                for p in session.get(f"{sb.url}/users/{uid}/web-profiles").json()]  # fmt: skip
    assert profiles
    for profile in profiles:
        assert _conforms(profile, item_schema, schemas) == []
