"""scdata.dask.collection_ddf: any collection of many inputs, lazily, against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import scdata
from scdata.dask import collection_ddf, collection_meta, collection_schema
from scdata.sandbox import Sandbox

from .conftest import have, needs_extra

if have("dask"):
    import dask

pytestmark = needs_extra("dask")

TRACK = "https://soundcloud.com/jowymusic/analog-satellite"
TRACK_LINK = "https://on.soundcloud.com/sbJowyTrack1"  # the same track


@pytest.fixture
def sb(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Iterator[Sandbox]:
    """An emulator, with os.environ (the default client's) pointing at it."""
    with Sandbox(artists=4, artist_tracks=20) as sandbox:
        for key, value in sandbox.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SCDATA_RATE_LIMIT", "9")
        yield sandbox


def test_followers_of_many_users_equal_collection_df(sb):
    users = ["bjork-unicode", "artist-001", "artist-002"]
    ddf = collection_ddf("followers", users, npartitions=2, max_per_user=25)
    assert sb.count() == 0  # building it fetched nothing
    assert ddf.npartitions == 2
    assert ddf.dtypes.to_dict() == collection_meta("followers").dtypes.to_dict()
    with dask.config.set(scheduler="synchronous"):
        got = ddf.compute()
    expected = scdata.collection_df("followers", users, max_per_user=25)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert got.groupby("followed_urn", sort=False).size().tolist() == [25, 25, 25]


def test_the_meta_is_the_declared_frame_with_zero_rows(sb):
    for what in ("comments", "likes_playlists", "web_profiles", "related_tracks"):
        meta = collection_meta(what)
        assert len(meta) == 0
        assert list(meta.columns) == collection_schema(what).names
    comments = collection_ddf("comments", [TRACK, f"{TRACK}?utm_source=x", TRACK_LINK], limit=5)
    assert comments.npartitions == 2  # one track named twice: kept once, as collection_df
    assert str(comments["timestamp"].dtype) == "Int64"
    assert comments.columns[-1] == "position"  # track_urn is a comment column already
    assert sb.count() == 0
    with dask.config.set(scheduler="synchronous"):
        # a short link is only known to name the same track once resolved, in its partition
        assert len(comments.compute()) == 10
        assert len(comments.repartition(npartitions=1).compute()) == 10


def test_bad_arguments_fail_when_the_frame_is_built(sb):
    with pytest.raises(scdata.ArgumentError, match="not a collection"):
        collection_ddf("tweets", ["jowymusic"])
    with pytest.raises(scdata.InvalidReferenceError, match=r"users\[1\]="):
        collection_ddf("followers", ["jowymusic", TRACK])
    with pytest.raises(scdata.InvalidReferenceError, match="user"):
        collection_ddf("comments", "https://soundcloud.com/jowymusic")
    with pytest.raises(ValueError, match="max_per_user"):
        collection_ddf("followers", ["jowymusic"], max_per_user=0)
    with pytest.raises(ValueError, match="errors"):
        collection_ddf("followers", ["jowymusic"], errors="ignore")
    with pytest.raises(ValueError, match="at least one"):
        collection_ddf("likes_tracks", [])
    assert sb.count() == 0


def test_errors_skip_in_each_partition(sb):
    ddf = collection_ddf("web_profiles", ["bjork-unicode", "nobody-here-123"], errors="skip")
    with dask.config.set(scheduler="synchronous"):
        got = ddf.compute()
    assert set(got["user_urn"]) == {"soundcloud:users:7340229"}
