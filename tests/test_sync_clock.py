"""Sync, advance the emulator's clock, sync again: every row checked against the emulator's truth.

The emulator's ``Date`` header follows its clock (``sb.advance(days=1)``); its roster user
``artist-001`` uploads and deletes tracks and follows and unfollows on a schedule, and every
count grows as a pure function of time (``sb.truth``). So each history row, delta, first-seen
and removed date the store holds can be computed independently and compared.
"""

from __future__ import annotations

import pandas as pd
import pytest

import scdata
from scdata.datasets.history import catalogue_df, edges_df

from .conftest import needs_extra

pytestmark = pytest.mark.slow  # many syncs each

ARTIST = "artist-001"
DAYS = 8


def same(stored, true) -> bool:
    """A count as stored against the truth (a hidden count, ``None``, is stored missing)."""
    return pd.isna(stored) if true is None else stored == true


def _sandbox():
    from scdata.sandbox import Sandbox

    return Sandbox(artists=1, request_rate=0)


@pytest.fixture
def world():
    with _sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """Sync ARTIST (tracks, profile, followings) every day for DAYS days, one night skipped.

    Once for the module: the tests only read the store and the emulator's truth.
    """
    root = tmp_path_factory.mktemp("synced")
    store = root / "store"
    times = []
    with _sandbox() as sb:
        with scdata.Client(**sb.client_settings, cache_dir=root / "cache", rate_limit=0) as client:
            for day in range(DAYS):
                if day:
                    sb.advance(days=1)
                if day == 4:
                    continue  # a missed night
                run = scdata.sync([ARTIST], store, edges=["followings"], client=client)
                assert run.status == "ok", run.failures
                times.append(pd.Timestamp(sb.now))
        yield sb, store, times


def test_every_history_row_is_the_truth_at_its_observation_time(synced):
    sb, store, times = synced
    history = scdata.history_df(store, "tracks")
    assert sorted(history["observed_at"].unique()) == times  # each sync: the answers' Date
    assert not history.duplicated(["urn", "observed_at"]).any()
    for at, rows in history.groupby("observed_at"):
        truth = {t["urn"] if "urn" in t else f"soundcloud:tracks:{t['id']}": t
                 for t in sb.truth.tracks_of(ARTIST, at=at)}  # fmt: skip
        assert set(rows["urn"]) == set(truth), at
        sample = rows.sample(min(len(rows), 40), random_state=0)
        for row in sample.itertuples():
            assert same(row.playback_count, truth[row.urn]["playback_count"]), (row.urn, at)
            assert same(row.favoritings_count, truth[row.urn]["favoritings_count"])
    users = scdata.history_df(store, "users")
    for row in users.itertuples():
        assert row.followers_count == sb.truth.user(ARTIST, at=row.observed_at)["followers_count"]


def test_growth_deltas_and_rates_match_the_truth(synced):
    sb, store, times = synced
    growth = scdata.growth_df(store, kind="tracks")
    viral = growth.dropna(subset=["plays_delta"])
    assert len(viral) > 0
    for row in viral.sample(min(len(viral), 30), random_state=1).itertuples():
        now = sb.truth.track(row.urn, at=row.observed_at)["playback_count"]
        before = sb.truth.track(row.urn, at=row.since)["playback_count"]
        assert row.plays_delta == now - before
        assert row.plays_per_day == pytest.approx((now - before) / row.elapsed_days)
    after_gap = growth[(growth["period"] == times[4].floor("D")) & growth["since"].notna()]
    assert len(after_gap) > 400  # a track first seen then has no delta, and no gap
    assert after_gap["gap"].all() and (after_gap["elapsed_days"] == 2.0).all()
    assert not growth[growth["period"] == times[3].floor("D")]["gap"].any()


def test_uploads_and_deletions_are_dated_by_the_first_sync_that_saw_them(synced):
    sb, store, times = synced
    catalogue = catalogue_df(store).set_index("urn")
    start, end = times[0], times[-1]
    uploads = sb.truth.events(since=start, until=end, kind="upload", user=ARTIST)
    deletes = sb.truth.events(since=start, until=end, kind="delete", user=ARTIST)
    assert uploads or deletes, "the schedule changes nothing in these days"

    def first_sync_after(when):
        return next(t for t in times if t >= when)

    for event in uploads:
        if sb.truth.track(event.target, at=end) is None:
            continue  # uploaded and deleted again between two syncs: never seen
        seen = catalogue.loc[event.target_urn]
        assert seen["first_seen_at"] == first_sync_after(event.when)
    for event in deletes:
        urn = event.target_urn
        if urn not in catalogue.index:
            continue  # uploaded and deleted between two syncs
        assert catalogue.loc[urn, "removed_at"] == first_sync_after(event.when)
        assert catalogue.loc[urn, "last_seen_at"] < event.when
    still = catalogue[(catalogue["kind"] == "tracks") & catalogue["removed_at"].isna()]
    assert set(still.index) == {t.get("urn", f"soundcloud:tracks:{t['id']}")
                                for t in sb.truth.tracks_of(ARTIST, at=end)}  # fmt: skip


def test_follows_made_and_undone_are_dated(synced):
    sb, store, times = synced
    edges = edges_df(store)
    me = f"soundcloud:users:{sb.catalog.user_id(ARTIST)}"
    mine = edges[edges["src_urn"] == me].set_index("dst_urn")
    end = times[-1]
    live = {f"soundcloud:users:{i}" for i in sb.truth.followings_of(ARTIST, at=end)}
    assert set(mine.index[mine["removed_at"].isna()]) == live
    for event in sb.truth.events(since=times[0], until=end, user=ARTIST):
        if event.user_urn != me or event.kind not in ("follow", "unfollow"):
            continue
        seen = next(t for t in times if t >= event.when)
        if event.target_urn not in mine.index:
            continue  # followed and unfollowed between two syncs
        column = "first_seen_at" if event.kind == "follow" else "removed_at"
        if event.kind == "follow" and mine.loc[event.target_urn, "first_seen_at"] == times[0]:
            continue  # an older follow seen at the first sync
        assert mine.loc[event.target_urn, column] == seen, event


def test_a_sync_inside_the_cache_hour_is_not_a_new_observation(world, tmp_path, cache_dir):
    store = tmp_path / "store"
    with scdata.Client(**world.client_settings, cache_dir=cache_dir, rate_limit=0) as client:
        scdata.sync([ARTIST], store, tracks=False, client=client)
        world.advance(minutes=20)  # inside the one-hour cache window
        scdata.sync([ARTIST], store, tracks=False, client=client)
        scdata.sync([ARTIST], store, tracks=False, client=client)  # the clock stood still
    users = scdata.history_df(store, "users")
    assert users["observed_at"].tolist() == [
        pd.Timestamp(world.now) - pd.Timedelta(minutes=20),
        pd.Timestamp(world.now),
    ]  # refetched (a cached answer would repeat the first Date); the same Date: one row


@needs_extra("duckdb")
def test_the_readme_questions_in_sql(synced):
    sb, store, times = synced
    con = scdata.connect(store)
    week = times[-1].floor("D") - pd.Timedelta(days=7)
    fastest = con.execute(
        """SELECT t.urn, sum(g.plays_delta) AS plays FROM growth g JOIN tracks t USING (urn)
           WHERE g.kind = 'tracks' AND g.period >= ? GROUP BY ALL ORDER BY plays DESC LIMIT 1""",
        [week],
    ).fetchone()
    frame = scdata.growth_df(store, kind="tracks", since=week)
    best = frame.groupby("urn")["plays_delta"].sum().sort_values(ascending=False)
    assert fastest == (best.index[0], int(best.iloc[0]))
    released = con.execute(
        """SELECT urn FROM catalogue WHERE kind = 'tracks' AND first_seen_at > ?""", [times[0]]
    ).fetchall()
    catalogue = catalogue_df(store)
    new = catalogue[(catalogue["kind"] == "tracks") & (catalogue["first_seen_at"] > times[0])]
    assert sorted(r[0] for r in released) == sorted(new["urn"])
    me = f"soundcloud:users:{sb.catalog.user_id(ARTIST)}"
    started = con.execute(
        """SELECT dst_urn FROM edges JOIN users u ON src_urn = u.urn
           WHERE relation = 'follows' AND u.permalink = ? AND first_seen_at > ?""",
        [ARTIST, times[0]],
    ).fetchall()
    edges = edges_df(store)
    assert sorted(r[0] for r in started) == sorted(
        edges[(edges["src_urn"] == me) & (edges["first_seen_at"] > times[0])]["dst_urn"]
    )
