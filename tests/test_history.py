"""Reading a store back: history_df, growth_df (gaps handled honestly) and DuckDB's views.

The observations here are written straight into a store (``Store.append_history``), so the
growth arithmetic is checked on numbers chosen by hand; the same numbers coming out of real
syncs against the emulator's moving clock are checked in tests/test_sync_clock.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

import scdata
from scdata.datasets.history import GROWTH_COLUMNS
from scdata.datasets.store import HISTORY_COLUMNS, Store
from scdata.errors import ArgumentError

from .conftest import needs_extra

A, B = "soundcloud:tracks:1", "soundcloud:tracks:2"
U = "soundcloud:users:9"


def observe(store: Store, kind: str, rows: list[dict], run_id: str = "r1") -> None:
    frame = pd.DataFrame(rows)
    for c in HISTORY_COLUMNS[kind]:
        if c.name not in frame:
            frame[c.name] = None
        frame[c.name] = frame[c.name].astype(c.pandas_dtype)
    frame["run_id"] = run_id
    store.append_history(kind, frame, run_id)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store", create=True)
    t = pd.Timestamp
    observe(s, "tracks", [
        {"urn": A, "observed_at": t("2026-07-01 03:00", tz="UTC"), "playback_count": 100,
         "favoritings_count": 10, "reposts_count": 1, "comment_count": 0},
        {"urn": A, "observed_at": t("2026-07-02 03:00", tz="UTC"), "playback_count": 160,
         "favoritings_count": 12, "reposts_count": 1, "comment_count": 1},
        # two missed nights: 300 plays over three days, not on the 5th alone
        {"urn": A, "observed_at": t("2026-07-05 03:00", tz="UTC"), "playback_count": 460,
         "favoritings_count": 18, "reposts_count": 4, "comment_count": 1},
        {"urn": B, "observed_at": t("2026-07-02 03:00", tz="UTC"), "playback_count": 5},
        {"urn": B, "observed_at": t("2026-07-02 15:00", tz="UTC"), "playback_count": 9},
        {"urn": B, "observed_at": t("2026-07-03 03:00", tz="UTC"), "playback_count": 11},
    ])  # fmt: skip
    observe(s, "users", [
        {"urn": U, "observed_at": t("2026-07-01 03:00", tz="UTC"), "followers_count": 1000},
        {"urn": U, "observed_at": t("2026-07-08 03:00", tz="UTC"), "followers_count": 1070},
    ])  # fmt: skip
    return s


def test_history_df_filters_by_urn_and_since(store):
    h = scdata.history_df(store.root, "tracks", urns=A)
    assert h["playback_count"].tolist() == [100, 160, 460]
    assert h["observed_at"].dtype == "datetime64[us, UTC]"
    since = scdata.history_df(store.root, "tracks", since="2026-07-02T12:00")
    assert since["playback_count"].tolist() == [9, 11, 460] or sorted(since["playback_count"]) == [
        9,
        11,
        460,
    ]


def test_growth_never_attributes_a_multi_day_delta_to_one_day(store):
    g = scdata.growth_df(store.root, kind="tracks", urns=A)
    assert list(g.columns) == [c.name for c in GROWTH_COLUMNS]
    rows = g.set_index(g["period"].dt.strftime("%m-%d"))
    assert rows.index.tolist() == ["07-01", "07-02", "07-05"]  # no rows for unobserved days
    assert pd.isna(rows.loc["07-01", "plays_delta"])  # a first observation has no delta
    assert rows.loc["07-02", ["plays_delta", "elapsed_days", "plays_per_day"]].tolist() == [
        60,
        1.0,
        60.0,
    ]
    assert not rows.loc["07-02", "gap"]
    assert rows.loc["07-05", ["plays_delta", "elapsed_days", "plays_per_day"]].tolist() == [
        300,
        3.0,
        100.0,
    ]
    assert rows.loc["07-05", "gap"]  # spans the 3rd and the 4th: not the 5th's alone
    assert g["plays_delta"].sum() == 460 - 100  # the deltas add up to the growth
    assert g["followers"].isna().all()


def test_growth_takes_the_last_observation_of_a_period(store):
    g = scdata.growth_df(store.root, kind="tracks", urns=B)
    assert g["observations"].tolist() == [2, 1]
    assert g["plays"].tolist() == [9, 11]
    assert g["plays_delta"].tolist()[1] == 2
    assert g.loc[1, "elapsed_days"] == 0.5 and g.loc[1, "plays_per_day"] == 4.0


def test_growth_per_week_and_month_and_for_followers(store):
    weeks = scdata.growth_df(store.root, "W", kind="users")
    assert weeks["period"].dt.strftime("%Y-%m-%d").tolist() == ["2026-06-29", "2026-07-06"]
    assert weeks.loc[1, ["followers_delta", "elapsed_days", "followers_per_day"]].tolist() == [
        70,
        7.0,
        10.0,
    ]
    assert not weeks.loc[1, "gap"]
    months = scdata.growth_df(store.root, "M")
    assert set(months["period"].dt.strftime("%Y-%m-%d")) == {"2026-07-01"}
    assert months["plays_delta"].isna().all()  # one month observed: nothing to compare with


def test_growth_since_keeps_the_baseline_before_it(store):
    g = scdata.growth_df(store.root, kind="tracks", urns=A, since="2026-07-04")
    assert g["plays_delta"].tolist() == [300]


@pytest.mark.parametrize("freq", ["fortnightly", "d", "2D", None])
def test_unknown_freq_is_refused(store, freq):
    with pytest.raises(ArgumentError, match=r'freq must be "D" .* got'):
        scdata.growth_df(store.root, freq)


def test_bad_kind_and_since_are_refused(store):
    with pytest.raises(ArgumentError, match="kind must be"):
        scdata.history_df(store.root, "comments")
    with pytest.raises(ArgumentError, match="since must be"):
        scdata.history_df(store.root, since="last tuesday")


def test_an_empty_store_reads_as_typed_empty_frames(tmp_path):
    Store(tmp_path / "empty", create=True)
    assert scdata.history_df(tmp_path / "empty").empty
    g = scdata.growth_df(tmp_path / "empty")
    assert g.empty and g["plays_per_day"].dtype == "float64"


def test_reading_a_missing_store_or_a_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no scdata store"):
        scdata.history_df(tmp_path / "nowhere")
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError):
        scdata.growth_df(tmp_path / "f")


@needs_extra("duckdb")
def test_duckdb_growth_view_equals_growth_df(store):
    con = scdata.connect(store.root)
    sql = con.execute("SELECT * FROM growth ORDER BY kind, urn, period").df()
    frame = scdata.growth_df(store.root)
    assert list(sql.columns) == list(frame.columns)
    assert sql["plays_delta"].astype("Int64").tolist() == frame["plays_delta"].tolist()
    assert sql["gap"].tolist() == frame["gap"].tolist()
    pd.testing.assert_series_equal(sql["plays_per_day"], frame["plays_per_day"],
                                   check_names=False)  # fmt: skip
    assert sql["followers_delta"].astype("Int64").tolist() == frame["followers_delta"].tolist()


@needs_extra("duckdb")
def test_the_history_views_carry_the_date_partition(store):
    con = scdata.connect(store.root)
    days = con.execute(
        "SELECT date, count(*) FROM history_tracks GROUP BY date ORDER BY date"
    ).fetchall()
    assert [str(d) for d, _ in days] == ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-05"]
    assert con.execute("SELECT count(*) FROM history_users").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM catalogue").fetchone() == (0,)
