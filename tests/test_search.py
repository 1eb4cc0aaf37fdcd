"""Search: the emulator's endpoints, walking past empty pages, the depth limit, windows that
split until every result is reached, the coverage verdict, bad input and the command line."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import scdata
from scdata._search import MIN_WINDOW, plan_search
from scdata.cli.main import main
from scdata.errors import APIError, ArgumentError
from scdata.sandbox import Sandbox
from scdata.sandbox.search import add_lofi_shelves, matching

LOFI_RANGE = ("2024-01-01", "2025-12-31")
LOFI_QUERY = {"tags": "lofi", "created_at[from]": "2024-01-01 00:00:00",
              "created_at[to]": "2025-12-31 23:59:59"}  # fmt: skip


@pytest.fixture(scope="module")
def fast_sb() -> Iterator[Sandbox]:
    """One permissive emulator for the module (its search index is built once)."""
    with Sandbox(artists=0, production=False) as sb:
        add_lofi_shelves(sb.catalog)
        matching(sb.catalog, "tracks", {"tags": "lofi"})  # the index, built once here
        yield sb


@pytest.fixture
def sb(fast_sb: Sandbox) -> Iterator[Sandbox]:
    fast_sb.clear_log()
    yield fast_sb
    fast_sb.clear_faults()


@pytest.fixture
def searcher(sb: Sandbox, cache_dir: Path) -> Iterator[Any]:
    with scdata.Client(**sb.client_settings, cache_dir=cache_dir, rate_limit=0) as client:
        yield client


def visible(tracks: list[dict]) -> list[dict]:
    """What a search lists with access="all": every track but the private ones."""
    return [t for t in tracks if t.get("sharing") != "private"]


def token(sb: Sandbox) -> str:
    grant = requests.post(sb.token_url, auth=(sb.client_id, sb.client_secret),
                          data={"grant_type": "client_credentials"}, timeout=10)  # fmt: skip
    return grant.json()["access_token"]


# -------------------------------------------------------------------------- bad input (point 7)
BAD = [
    ({"bpm": (120, 80)}, "bpm", "(120, 80)"),
    ({"duration": (-5, 60)}, "duration", "-5"),
    ({"duration": (pd.Timedelta(seconds=-1), None)}, "duration", "Timedelta"),
    ({"created_at": ("not a date", None)}, "created_at", "not a date"),
    ({"created_at": ("2025-02-01", "2025-01-01")}, "created_at", "2025-02-01"),
    ({"tags": "lofi", "window": "30D"}, "window", "30D"),
    ({"tags": "lofi", "created_at": LOFI_RANGE, "window": "7 parsecs"}, "window", "7 parsecs"),
    ({"tags": "lofi", "created_at": LOFI_RANGE, "window": "ME"}, "window", "ME"),
    ({"tags": "lofi", "max_results": 0}, "max_results", "0"),
    ({}, "search_tracks", "criterion"),
    ({"tags": "lofi", "errors": "ignore"}, "errors", "ignore"),
    ({"tags": 5}, "tags", "5"),
]


@pytest.mark.parametrize(("kwargs", "name", "value"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_named_and_nothing_is_sent(sb, searcher, kwargs, name, value):
    with pytest.raises(ArgumentError) as caught:
        searcher.search_tracks(**kwargs)
    assert name in str(caught.value) and value in str(caught.value)
    assert sb.requests == []  # not even a token request


def test_users_and_playlists_need_a_query(sb, searcher):
    for call in (searcher.search_users, searcher.search_playlists):
        with pytest.raises(ArgumentError, match="q must be a non-empty string"):
            call("  ")
    assert sb.requests == []


def test_windows_cut_the_range_and_a_date_end_is_the_whole_day():
    plan = plan_search("tracks", tags=["lofi", "chill"], bpm=(70, None),
                       duration=(pd.Timedelta(minutes=1), 300.5),
                       created_at=("2025-01-01", "2025-01-31"), window="7D")  # fmt: skip
    spans = plan.spans()
    assert [(s.strftime("%d %H:%M:%S"), e.strftime("%d %H:%M:%S")) for s, e in spans] == [
        ("01 00:00:00", "07 23:59:59"), ("08 00:00:00", "14 23:59:59"),
        ("15 00:00:00", "21 23:59:59"), ("22 00:00:00", "28 23:59:59"),
        ("29 00:00:00", "31 23:59:59"),
    ]  # fmt: skip
    assert plan.params == {
        "tags": "lofi,chill", "bpm[from]": "70", "duration[from]": "60000",
        "duration[to]": "300500", "created_at[from]": "2025-01-01 00:00:00",
        "created_at[to]": "2025-01-31 23:59:59", "access": "playable,preview,blocked",
    }  # fmt: skip
    naive_time = plan_search("tracks", created_at=("2025-01-01 12:00", pd.Timestamp("2025-01-02")))
    assert naive_time.params["created_at[to]"] == "2025-01-02 00:00:00"  # a time, not a date
    assert pd.Timedelta(hours=1) == MIN_WINDOW


# -------------------------------------------------------------------------- the emulator
def test_the_emulator_pages_by_offset_and_goes_empty_past_the_depth_like_505(sb):
    headers = {"Authorization": f"OAuth {token(sb)}"}
    url = f"{sb.url}/tracks"
    first = requests.get(url, params={"q": "", "tags": "lofi", "linked_partitioning": "1",
                                      "limit": 50}, headers=headers, timeout=10).json()  # fmt: skip
    assert len(first["collection"]) <= 50 and "offset=50" in first["next_href"]
    assert "tags=lofi" in first["next_href"]  # the query is echoed
    deep = {"tags": "lofi", "linked_partitioning": "1", "limit": 50, "offset": 1000}
    past = requests.get(url, params=deep, headers=headers, timeout=10).json()
    assert past["collection"] == [] and "offset=1050" in past["next_href"]  # #505
    slashes = {"tags": "lofi", "created_at[from]": "2025/01/01 00:00:00"}
    bad_date = requests.get(url, params=slashes, headers=headers, timeout=10)
    assert bad_date.status_code == 400  # #495
    bare = requests.get(url, params={"tags": "lofi", "limit": 3}, headers=headers, timeout=10)
    assert isinstance(bare.json(), list)  # no linked_partitioning: a bare array


def test_tag_search_ranks_by_popularity(sb):
    hits = visible(matching(sb.catalog, "tracks", {"tags": "lofi"}))
    plays = [t.get("playback_count") or 0 for t in hits[:300]]
    assert plays == sorted(plays, reverse=True)


# -------------------------------------------------------------------------- the done criterion
@pytest.mark.slow
def test_windows_return_every_track_exactly_once_where_one_query_is_capped(sb, searcher):
    truth = {t["urn"] for t in visible(matching(sb.catalog, "tracks", LOFI_QUERY))}
    assert len(truth) > 3000

    whole = searcher.search_tracks(tags="lofi", created_at=LOFI_RANGE)
    cov = whole.attrs["scdata"]["coverage"]
    assert not cov["complete"] and cov["verdict"].startswith("capped: at least 1 result missing")
    assert len(whole) < 1000 and set(whole["urn"]) < truth
    assert cov["capped_windows"][0]["start"].startswith("2024-01-01")
    assert list(whole["search_rank"]) == list(range(1, len(whole) + 1))

    sb.clear_log()
    df = searcher.search_tracks(tags="lofi", created_at=LOFI_RANGE, window="30D")
    cov = df.attrs["scdata"]["coverage"]
    assert df["urn"].is_unique and set(df["urn"]) == truth
    assert cov["complete"] and cov["verdict"].startswith("complete for the windows searched")
    assert cov["windows_split"] >= 1 and cov["outside_window"] == 0
    assert (df["created_at"] >= df["window_start"]).all()
    assert (df["created_at"] <= df["window_end"]).all()
    assert df["search_query"].iloc[0] == (
        "access=playable,preview,blocked&created_at[from]=2024-01-01 00:00:00"
        "&created_at[to]=2025-12-31 23:59:59&tags=lofi"
    )
    # point 8: ceil(N/200) pages + one probe per split + one final page per window searched
    bound = math.ceil(len(df) / 200) + cov["windows_split"] + cov["windows_searched"]
    assert sb.count("/tracks") == cov["requests"] <= bound


@pytest.mark.slow
def test_empty_pages_that_link_on_do_not_end_the_walk(sb, searcher):
    user = {"id": 690_000_001, "permalink": "ghost-tags", "kind": "user", "username": "Ghost"}
    tracks = [
        {"id": 6_900_000_000 + i, "urn": f"soundcloud:tracks:{6_900_000_000 + i}",
         "created_at": "2025/05/05 10:00:00 +0000", "tag_list": "ghostly", "user": user,
         "sharing": "private" if i < 450 else "public", "playback_count": 10_000 - i,
         "access": "playable"}
        for i in range(460)
    ]  # fmt: skip
    if "ghost-tags" not in {u["permalink"] for u in sb.catalog.users()}:
        sb.catalog.add_user(user, tracks)
    df = searcher.search_tracks(tags="ghostly")
    cov = df.attrs["scdata"]["coverage"]
    assert len(df) == 10 and cov["empty_pages"] == 2 and cov["pages"] == 3
    assert cov["complete"]


@pytest.mark.slow
def test_filters_and_max_results(sb, searcher):
    df = searcher.search_tracks(tags="lofi", bpm=(70, 80), duration=(60, 240),
                                genres=["Lo-Fi", "Ambient"], max_results=50)  # fmt: skip
    cov = df.attrs["scdata"]["coverage"]
    assert len(df) == 50 and cov["max_results_cut"] and cov["verdict"].startswith("cut:")
    assert df["bpm"].between(70, 80).all() and df["duration_s"].between(60, 240).all()
    assert set(df["genre"]) <= {"Lo-Fi", "Ambient"}
    assert all("lofi" in tags for tags in df["tags"])


@pytest.mark.slow
def test_users_and_playlists(sb, searcher):
    users = searcher.search_users("lofi archive")
    assert set(users["permalink"]) == {f"lofi-archive-{k:02d}" for k in range(1, 9)}
    assert users.attrs["scdata"]["coverage"]["complete"]
    assert list(users.columns[-4:]) == ["search_rank", "search_query", "window_start", "window_end"]
    playlists = searcher.search_playlists("summer", show_tracks=True)
    assert "search_rank" in playlists.columns
    assert searcher.search_users("lofi archive", raw=True)[0]["kind"] == "user"


@pytest.mark.slow
def test_errors_skip_leaves_a_failed_window_out_and_says_so(sb, cache_dir):
    settings = {**sb.client_settings, "cache_dir": cache_dir, "rate_limit": 0, "max_retries": 0}
    with scdata.Client(**settings) as client:
        searcher = client
        sb.fail("/tracks", status=404, times=1)
        with pytest.raises(APIError):
            searcher.search_tracks(tags="lofi", created_at=("2025-06-01", "2025-06-30"))
        sb.fail("/tracks", status=404, times=1)
        df = searcher.search_tracks(tags="lofi", created_at=("2025-05-01", "2025-06-30"),
                                    window="30D", errors="skip")  # fmt: skip
    cov = df.attrs["scdata"]["coverage"]
    assert len(cov["failed_windows"]) == 1 and not cov["complete"]
    assert cov["verdict"].startswith("incomplete: 1 of 3 windows failed")
    assert len(df) > 0


@pytest.mark.slow
def test_the_depth_is_a_setting(sb, cache_dir, monkeypatch):
    monkeypatch.setenv("SCDATA_SEARCH_DEPTH", "400")
    with scdata.Client(**sb.client_settings, cache_dir=cache_dir, rate_limit=0) as client:
        df = client.search_tracks(tags="lofi")
    cov = df.attrs["scdata"]["coverage"]
    assert cov["depth"] == 400 and cov["pages"] == 2 and "position 400" in cov["verdict"]


@pytest.mark.slow
def test_the_command_line_prints_the_verdict(sb, cache_dir, monkeypatch, capsys, tmp_path):
    for key, value in sb.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCDATA_RATE_LIMIT", "0")
    out = tmp_path / "lofi.parquet"
    argv = ["search", "tracks", "--tag", "lofi", "--since", "2024-01-01", "--until",
            "2025-12-31", "--window", "30D", "-q", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "scdata: coverage: complete for the windows searched" in err
    assert scdata.read_parquet(out)["urn"].is_unique
    assert main(["search", "tracks", "--tag", "lofi", "-q", "-o", str(out)]) == 0
    assert "scdata: coverage: capped: at least 1 result missing" in capsys.readouterr().err
    assert main(["search", "users", "jowy", "--bpm", "1:2"]) == 2
    assert "--bpm: only for `scdata search tracks`" in capsys.readouterr().err
