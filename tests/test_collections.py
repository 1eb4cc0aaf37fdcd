"""Every collection through the real stack: complete, typed, accounted for, and cheap.

Each test runs requests -> requests-cache -> a socket -> the emulator, and checks what it
names against the emulator's own answers (the full objects' counts, its request log).
"""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

import scdata
from scdata._resources import COLLECTIONS
from scdata.frames.schema import EXTRA_COLUMNS, SCHEMAS

SMALL_USER = "bjork-unicode"


def api_requests(sandbox, pattern: str = "*") -> int:
    return sandbox.count(pattern) - sandbox.count("/oauth/token")


OWNERS = {"users": SMALL_USER}


@pytest.fixture
def owners(client):
    """One small owner of each kind, found through the API itself (once: the world is fixed)."""
    if len(OWNERS) == 1:
        track = client.tracks_df(SMALL_USER, limit=1)["urn"].iloc[0]
        playlists = client.playlists_df("jowymusic")
        playlist = playlists.loc[playlists["track_count"] > 0, "urn"].iloc[0]
        OWNERS.update(tracks=track, playlists=playlist)
    return OWNERS


@pytest.mark.parametrize("what", sorted(set(COLLECTIONS) - {"tracks"}))
def test_every_collection_is_typed_positioned_and_accounted_for(client, owners, what):
    declared = COLLECTIONS[what]
    df = client.collection_df(what, owners[declared.owner], limit=300)
    names = [c.name for c in SCHEMAS[declared.item]]
    assert df.columns[: len(names)].tolist() == names
    for column in df.columns[len(names) :]:
        assert column in EXTRA_COLUMNS
        assert df[column].dtype == EXTRA_COLUMNS[column].pandas_dtype, column
    (info,) = df.attrs["scdata"]["inputs"]
    assert info["got"] == len(df) and info["collection"] == what
    assert info["complete"] is not info["capped"]
    if declared.position_column:
        assert df[declared.position_column].tolist() == list(range(len(df)))
    if declared.owner_column:
        assert set(df[declared.owner_column]) <= {info["urn"]}
    assert df.attrs["scdata"]["failures"] == []
    if "urn" in df and declared.item != "web_profiles":
        assert df["urn"].is_unique  # one owner's list: an item once


@pytest.mark.slow  # over half a second: the full run has it
def test_a_walk_to_the_end_matches_the_owners_count_where_the_api_agrees(client):
    user = client.user(SMALL_USER)
    followings = client.followings_df(SMALL_USER)
    info = followings.attrs["scdata"]["inputs"][0]
    assert info["expected"] == user["followings_count"] == len(followings)
    assert info["complete"] and not info["capped"]
    followers = client.followers_df(SMALL_USER)
    assert followers.attrs["scdata"]["inputs"][0]["expected"] == user["followers_count"]
    assert len(followers) == user["followers_count"]


def test_a_cap_is_said(client):
    df = client.followers_df("jowymusic", max_per_user=250)
    info = df.attrs["scdata"]["inputs"][0]
    assert len(df) == 250 and info["capped"] and not info["complete"]
    assert info["expected"] > 250


def test_many_owners_keep_their_rows_apart_in_the_order_given(client):
    df = client.followings_df([SMALL_USER, "jowymusic"], max_per_user=5)
    owners = [i["urn"] for i in df.attrs["scdata"]["inputs"]]
    assert df["follower_urn"].drop_duplicates().tolist() == owners
    assert df.groupby("follower_urn", sort=False)["position"].apply(list).tolist() == [
        list(range(5)),
        list(range(5)),
    ]


def test_the_same_owner_twice_is_fetched_once(client, sandbox):
    user_id = sandbox.catalog.user(SMALL_USER)["id"]
    df = client.followings_df([SMALL_USER, user_id, f"https://m.soundcloud.com/{SMALL_USER}"])
    assert len(df.attrs["scdata"]["inputs"]) == 1
    assert df["follower_urn"].nunique() == 1


def test_errors_skip_lists_each_failure_and_returns_the_rest(client):
    df = client.followings_df(
        [SMALL_USER, "no-such-user-xyz", "two words", 987654321987], errors="skip"
    )
    assert df.attrs["scdata"]["inputs"][0]["input"] == SMALL_USER
    failures = {f["input"]: f["error"] for f in df.attrs["scdata"]["failures"]}
    assert failures == {
        "no-such-user-xyz": "UserNotFoundError",
        "two words": "InvalidUserError",
        "987654321987": "UserNotFoundError",
    }
    with pytest.raises(scdata.UserNotFoundError):
        client.followings_df([SMALL_USER, "no-such-user-xyz"])


def test_when_every_input_fails_the_frame_still_has_every_column(client):
    df = client.comments_df(["soundcloud:tracks:1", "soundcloud:tracks:2"], errors="skip")
    assert len(df) == 0 and len(df.attrs["scdata"]["failures"]) == 2
    assert df.columns.tolist()[: len(SCHEMAS["comments"])] == [c.name for c in SCHEMAS["comments"]]
    assert str(df["timestamp"].dtype) == "Int64"


# ------------------------------------------------------------------- request economy
@pytest.mark.slow  # over half a second: the full run has it
def test_a_list_costs_its_pages_plus_one_owner_lookup(client, sandbox):
    user = client.user(SMALL_USER)  # the profile, so the count is known
    sandbox.clear_log()
    client.followers_df(SMALL_USER, refresh=True)
    pages = math.ceil(user["followers_count"] / 200)
    walked = sandbox.count("/users/*/followers")
    assert pages <= walked <= pages + 1
    assert sandbox.count("/resolve") == 1 and sandbox.count("/users") == 1  # the owner, batched
    assert api_requests(sandbox) == walked + 2


def test_a_warm_call_sends_nothing(client, sandbox):
    first = client.followings_df(SMALL_USER)
    sandbox.clear_log()
    again = client.followings_df(SMALL_USER)
    assert api_requests(sandbox) == 0
    pd.testing.assert_frame_equal(first, again)


# ------------------------------------------------------------------- resolve and lookups
def test_resolve_reads_every_form_of_a_url(client, owners, sandbox):
    track = client.lookup_tracks(owners["tracks"]).iloc[0]
    playlist = client.lookup_playlists(owners["playlists"]).iloc[0]
    user_id = sandbox.catalog.user(SMALL_USER)["id"]
    forms = [
        f"https://www.soundcloud.com/{SMALL_USER}?utm_source=x#about",
        f"soundcloud:users:{user_id}",
        track["permalink_url"] + "?utm_medium=api&utm_campaign=social_sharing",
        track["urn"],
        playlist["permalink_url"].replace("https://", "https://m."),
    ]
    df = client.resolve(forms)
    assert df["kind"].tolist() == ["user", "track", "playlist"]
    assert df["urn"].tolist() == [f"soundcloud:users:{user_id}", track["urn"], playlist["urn"]]
    assert df["id"].tolist() == [user_id, track["id"], playlist["id"]]
    assert df["url"].tolist() == [forms[0], forms[2], forms[4]]  # duplicates kept once
    assert df["permalink_url"].notna().all()


def test_resolve_follows_short_links_and_needs_a_kind_for_a_bare_id(client):
    df = client.resolve("https://on.soundcloud.com/sbJowyMusic1")
    assert df[["kind", "urn"]].values.tolist() == [["user", "soundcloud:users:52461337"]]
    assert client.resolve(52461337, kind="users")["kind"].tolist() == ["user"]
    with pytest.raises(scdata.InvalidReferenceError, match="an id alone"):
        client.resolve(52461337)


def test_lookups_are_batched_and_keep_the_order_given(client, sandbox):
    urns = client.tracks_df("jowymusic")["urn"].tolist()[:120][::-1]
    sandbox.clear_log()
    df = client.lookup_tracks(urns)
    assert df["urn"].tolist() == urns
    assert sandbox.count("/tracks") == math.ceil(120 / 50)
    assert api_requests(sandbox) == sandbox.count("/tracks")


def test_an_item_missing_from_a_batch_is_looked_up_alone(client, sandbox):
    urns = client.tracks_df(SMALL_USER, limit=3)["urn"].tolist()
    sandbox.clear_log()
    df = client.lookup_tracks([*urns, "soundcloud:tracks:1"], errors="skip")
    assert df["urn"].tolist() == urns
    assert sandbox.count("/tracks") == 1 and sandbox.count("/tracks/*") == 1
    (failure,) = df.attrs["scdata"]["failures"]
    assert failure["input"] == "soundcloud:tracks:1" and failure["error"] == "NotFoundError"


def test_users_df_is_batched(client, sandbox):
    ids = [sandbox.catalog.user(name)["id"] for name in ("jowymusic", SMALL_USER, "big-catalog")]
    sandbox.clear_log()
    df = client.users_df(ids)
    assert df["id"].tolist() == ids
    assert api_requests(sandbox) == 1 and sandbox.count("/users") == 1


# ------------------------------------------------------------------- bad input, nothing sent
BAD = [
    (lambda c: c.followers_df("https://soundcloud.com/jowymusic/analog-satellite"),
     scdata.InvalidUserError, "track or playlist URL"),
    (lambda c: c.comments_df("https://soundcloud.com/jowymusic"),
     scdata.InvalidReferenceError, "is a user (a profile URL), not a track"),
    (lambda c: c.comments_df("soundcloud:playlists:5"),
     scdata.InvalidReferenceError, "is a playlist (a URN), not a track"),
    (lambda c: c.likes_df("jowymusic", kind="albums"), scdata.ArgumentError, "'albums'"),
    (lambda c: c.followers_df("jowymusic", max_per_user=0), scdata.ArgumentError,
     "max_per_user must be an integer from 1"),
    (lambda c: c.followers_df("jowymusic", errors="ignore"), scdata.ArgumentError, "'ignore'"),
    (lambda c: c.collection_df("tweets", "jowymusic"), scdata.ArgumentError, "what='tweets'"),
    (lambda c: c.resolve("https://soundcloud.com/jowymusic/likes"), scdata.InvalidReferenceError,
     "a profile's tab"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "exc", "text"), BAD, ids=[str(n) for n in range(len(BAD))])
def test_bad_input_is_named_and_nothing_is_sent(client, sandbox, call, exc, text):
    with pytest.raises(exc, match=text.replace("(", r"\(").replace(")", r"\)")):
        call(client)
    assert sandbox.requests == []


def test_a_short_link_to_nothing_is_not_found(client, sandbox):
    with pytest.raises(scdata.NotFoundError, match=r"on\.soundcloud\.com/nothingHere1"):
        client.comments_df("https://on.soundcloud.com/nothingHere1")
    with pytest.raises(scdata.InvalidReferenceError, match="not a track: it is a user"):
        client.comments_df("https://on.soundcloud.com/sbJowyMusic1")


def test_a_playlist_says_how_many_tracks_it_does_not_list(client):
    light = client.playlists_df("jowymusic")
    assert light["tracks_missing"].isna().all()  # not asked for: unknown, never 0 or a guess
    full = client.playlists_df("jowymusic", show_tracks=True)
    neon = full.set_index("permalink").loc["neon-engine-priya-remix"]
    assert (neon["track_count"], neon["tracks_missing"]) == (161, 33)
    tracks = client.playlist_tracks_df(neon["urn"])
    info = tracks.attrs["scdata"]["inputs"][0]
    assert (info["expected"], info["got"], info["complete"]) == (161, 128, True)
    assert "#449" in info["note"] and tracks["position"].tolist() == list(range(128))


def test_tracks_df_checks_its_rows_against_a_fresh_cached_user_without_asking_for_it(
    sandbox, cache_dir
):
    from .test_auth import make_client

    with make_client(sandbox, cache_dir) as client:
        first = client.tracks_df(SMALL_USER, progress=False)
        assert first.attrs["scdata"]["inputs"][0]["expected"] is None  # no user asked: no count
        user = client.user(SMALL_USER)
        sandbox.clear_log()
        again = client.tracks_df(SMALL_USER, progress=False)
        assert again.attrs["scdata"]["inputs"][0]["expected"] == user["track_count"]
        assert sandbox.requests == []


@pytest.mark.slow  # waits for an answer to expire
def test_an_expired_cached_user_gives_no_count_and_no_request(sandbox, cache_dir):
    from .test_auth import make_client

    with make_client(sandbox, cache_dir, expire_after=1) as client:
        urn = client.user(SMALL_USER)["urn"]
        assert client.api.cached_user(urn) is not None
        time.sleep(1.1)
        sandbox.clear_log()
        assert client.api.cached_user(urn) is None
        assert sandbox.requests == []
