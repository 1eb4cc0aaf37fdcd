"""scdata.sync through the real stack: a store written, locked, resumed, and bad input refused.

Every test syncs against the emulator over a socket (requests -> requests-cache -> socket).
The time-travelling end-to-end tests (advance the emulator's clock between syncs and check
every row against its truth) are in tests/test_sync_clock.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

import scdata
from scdata.datasets import sync as sync_module
from scdata.datasets.store import STORE_VERSION, Store, StoreLockedError
from scdata.errors import ArgumentError

from .conftest import needs_extra

SMALL = "private-first"  # 80 tracks, at most 48 ever listed: one page
OTHER = "geo-blocked"  # 120 tracks


@pytest.fixture
def unpaced(sandbox, monkeypatch):
    """These tests are about the store, not pacing: no rate limit on either side."""
    sandbox.request_rate = 0
    monkeypatch.setenv("SCDATA_RATE_LIMIT", "0")
    return sandbox


@pytest.fixture
def client(unpaced, cache_dir):
    with scdata.Client(**unpaced.client_settings, cache_dir=cache_dir, rate_limit=0) as c:
        yield c


@pytest.fixture
def small_client(unpaced, cache_dir):
    """A client that looks up one item per batch: every watch entry is its own unit."""
    with scdata.Client(**unpaced.client_settings, cache_dir=cache_dir, rate_limit=0,
                       batch_size=1) as c:  # fmt: skip
        yield c


def answered(sandbox, before: pd.Timestamp, after: pd.Timestamp) -> set[pd.Timestamp]:
    """The times the emulator's answers were dated (its clock's, else the machine's)."""
    now = getattr(sandbox, "now", None)
    if now is not None:
        return {pd.Timestamp(now)}
    return set(pd.date_range(before, after, freq="s", tz="UTC"))


def test_a_sync_writes_history_current_and_catalogue_dated_by_the_answer(client, sandbox, tmp_path):
    store = tmp_path / "store"
    before = pd.Timestamp.now("UTC").floor("s")
    run = scdata.sync([SMALL], store, client=client)
    after = pd.Timestamp.now("UTC")
    assert run.status == "ok" and not run.failures
    tracks = sandbox.catalog.tracks(SMALL)
    listed = client.tracks_df(SMALL)
    assert run.observed["users"] == 1 and run.observed["tracks"] == len(listed) > 0
    assert len(tracks) >= len(listed)

    history = scdata.history_df(store, "tracks")
    assert sorted(history["urn"]) == sorted(listed["urn"])
    assert history["run_id"].unique().tolist() == [run.run_id]
    assert set(history["observed_at"]) <= answered(sandbox, before, after)

    users = scdata.history_df(store, "users")
    assert users["followers_count"].tolist() == [sandbox.catalog.user(SMALL)["followers_count"]]
    current = scdata.read_parquet(store / "current" / "tracks.parquet")
    assert len(current) == len(listed) and "observed_at" in current
    catalogue = scdata.datasets.history.catalogue_df(store)
    assert set(catalogue["kind"]) == {"tracks", "users"}
    assert (catalogue["first_seen_at"] == catalogue["last_seen_at"]).all()
    assert catalogue["removed_at"].isna().all()
    log = json.loads((store / "runs" / f"{run.run_id}.json").read_text())
    assert log["status"] == "ok" and [u["id"] for u in log["units"]] == ["users-00000"]
    assert not any(p.name.startswith(".staging") for p in (store / "runs").iterdir())
    manifest = json.loads((store / "scdata-store.json").read_text())
    assert manifest["version"] == STORE_VERSION and manifest["last_run"] == run.run_id


@pytest.mark.slow  # two syncs
def test_every_run_refetches_and_never_duplicates_an_observation(client, sandbox, tmp_path):
    store = tmp_path / "store"
    scdata.sync([SMALL], store, client=client)
    before = len(sandbox.requests)
    second = scdata.sync([SMALL], store, client=client)  # inside the hour the cache keeps
    assert len(sandbox.requests) > before  # a real observation: SoundCloud asked again
    history = scdata.history_df(store, "tracks")
    assert not history.duplicated(["urn", "observed_at"]).any()
    assert second.status == "ok"
    # each row's observed_at is the Date of an answer; a repeat inside one second is one row
    per_item = history.groupby("urn")["observed_at"].nunique()
    assert per_item.isin([1, 2]).all()


@pytest.mark.slow  # over half a second: the full run has it
def test_the_store_is_read_by_duckdb_and_pyarrow_as_it_is(client, tmp_path):
    pytest.importorskip("duckdb")
    import pyarrow.dataset as ds

    store = tmp_path / "store"
    scdata.sync([SMALL], store, client=client)
    table = ds.dataset(store / "history" / "tracks", format="parquet", partitioning="hive")
    assert table.count_rows() == len(scdata.history_df(store))
    con = scdata.connect(store)
    names = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {"tracks", "users", "playlists", "history_tracks", "history_users", "catalogue",
            "edges", "growth"} <= names  # fmt: skip
    assert con.execute("SELECT count(*) FROM tracks").fetchone()[0] == len(table.to_table())


def test_two_syncs_on_one_store_are_refused_naming_the_holder(client, tmp_path):
    store = Store(tmp_path / "store", create=True)
    holder = {"host": socket.gethostname(), "pid": os.getppid(), "run_id": "r-other",
              "started_at": "2026-07-01T03:00:00+00:00"}  # fmt: skip
    store.lock_path.write_text(json.dumps(holder))
    with pytest.raises(StoreLockedError, match=rf"pid {os.getppid()} on .*run r-other") as info:
        scdata.sync([SMALL], store.root, client=client)
    assert info.value.holder["run_id"] == "r-other"
    assert json.loads(store.lock_path.read_text()) == holder  # not taken, not removed


def test_a_lock_left_by_a_dead_process_is_taken_over(client, tmp_path, caplog):
    store = Store(tmp_path / "store", create=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    store.lock_path.write_text(
        json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout), "run_id": "r-dead"})
    )
    run = scdata.sync([SMALL], store.root, client=client)
    assert run.status == "ok"
    assert "stale lock" in caplog.text and "r-dead" in caplog.text
    assert not store.lock_path.exists()  # released at the end


@pytest.mark.slow  # two syncs
def test_a_killed_run_is_resumed_without_observing_an_item_twice(
    small_client, sandbox, tmp_path, monkeypatch
):
    store = tmp_path / "store"
    real = sync_module.observe_unit
    seen: list[str] = []

    def dies_on_the_second(unit, **kw):
        if len(seen) == 1:
            raise KeyboardInterrupt  # killed between two units
        seen.append(unit.id)
        return real(unit, **kw)

    monkeypatch.setattr(sync_module, "observe_unit", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        scdata.sync([SMALL, OTHER], store, client=small_client, tracks=False)
    (log,) = Store(store).runs()
    assert log["status"] == "stopped" and len(log["units"]) == 1
    assert not (store / "history").exists()  # nothing committed: readers see no half run
    assert not Store(store).lock_path.exists()

    monkeypatch.setattr(sync_module, "observe_unit", real)
    sandbox.clear_log()
    run = scdata.sync([SMALL, OTHER], store, client=small_client, tracks=False)
    assert run.resumed and run.run_id == log["run_id"] and run.status == "ok"
    looked_up = [r.query for r in sandbox.requests if r.path == "/users"]
    assert looked_up and all(str(sandbox.catalog.user_id(SMALL)) not in q for q in looked_up)
    users = scdata.history_df(store, "users")
    assert len(users) == 2 and not users.duplicated("urn").any()


@pytest.mark.slow  # two syncs
def test_a_crash_during_the_commit_is_completed_without_duplicate_rows(
    client, tmp_path, monkeypatch
):
    store = tmp_path / "store"

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sync_module, "_commit_edges", crash)
    with pytest.raises(OSError, match="disk full"):
        scdata.sync([SMALL], store, client=client)
    rows = len(scdata.history_df(store, "tracks"))
    assert rows > 0  # history was appended before the crash
    monkeypatch.undo()
    run = scdata.sync([SMALL], store, client=client)
    assert run.resumed
    assert len(scdata.history_df(store, "tracks")) == rows  # the commit again added nothing
    assert [r["status"] for r in Store(store).runs()] == ["ok"]


@pytest.mark.slow  # two syncs
def test_a_failed_item_is_recorded_and_retried_next_run_while_the_others_go_through(
    client, tmp_path
):
    store = tmp_path / "store"
    run = scdata.sync([SMALL, "no-such-user-zz"], store, client=client)
    assert run.status == "partial" and run.observed["users"] == 1
    assert [(f["input"], f["error"]) for f in run.failures] == [
        ("no-such-user-zz", "UserNotFoundError")
    ]
    again = scdata.sync([SMALL, "no-such-user-zz"], store, client=client)
    assert again.log["retried"] == ["no-such-user-zz"]


def test_a_watch_file_with_blanks_comments_duplicates_and_an_invalid_entry(
    client, sandbox, tmp_path
):
    watch = tmp_path / "roster.txt"
    watch.write_text(
        "# the label's roster\n\n"
        f"{SMALL}\n"
        f"https://soundcloud.com/{SMALL}   # the same user again\n"
        f"  {SMALL.upper()}  \n"
        "not a user!\n"
        "https://soundcloud.com/jowymusic/sets/does-not-exist\n"
    )
    run = scdata.sync(watch, tmp_path / "store", client=client, tracks=False)
    assert run.observed["users"] == 1
    errors = {f["input"]: f["error"] for f in run.failures}
    assert errors == {
        "not a user!": "InvalidUserError",
        "https://soundcloud.com/jowymusic/sets/does-not-exist": "NotFoundError",
    }
    pinned = json.loads((tmp_path / "store" / "watch.json").read_text())
    assert set(pinned.values()) == {f"soundcloud:users:{sandbox.catalog.user_id(SMALL)}"}


def test_bad_input_is_refused_before_anything_is_written(client, tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match="this path is a file"):
        scdata.sync([SMALL], afile, client=client)
    with pytest.raises(ArgumentError, match="unknown edge collection 'friends'"):
        scdata.sync([SMALL], tmp_path / "s1", edges=["friends"], client=client)
    with pytest.raises(ArgumentError, match="no valid entry"):
        scdata.sync(["not a user!"], tmp_path / "s2", client=client)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ArgumentError, match="not empty and is not an scdata store"):
        scdata.sync([SMALL], busy, client=client)
    assert not (tmp_path / "s1").exists() and not (tmp_path / "s2").exists()
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_a_store_of_a_newer_version_is_refused_and_left_alone(client, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    manifest = {"format": "scdata-store", "version": STORE_VERSION + 1, "from": "the future"}
    (store / "scdata-store.json").write_text(json.dumps(manifest))
    with pytest.raises(ArgumentError, match=r"newer scdata .* left as it is"):
        scdata.sync([SMALL], store, client=client)
    with pytest.raises(ArgumentError, match="newer scdata"):
        scdata.history_df(store)
    assert json.loads((store / "scdata-store.json").read_text()) == manifest
    assert sorted(p.name for p in store.iterdir()) == ["scdata-store.json"]


def test_the_command_for_cron(unpaced, sandbox_env, tmp_path, capsys):
    from scdata.cli import main

    watch = tmp_path / "roster.txt"
    watch.write_text(f"{SMALL}\n")
    assert main(["sync", str(watch), "-o", str(tmp_path / "store"), "--no-tracks"]) == 0
    err = capsys.readouterr().err
    assert "sync ok: 1 users" in err
    watch.write_text(f"{SMALL}\nno-such-user-zz\n")
    assert main(["sync", str(watch), "-o", str(tmp_path / "store"), "--no-tracks"]) == 1
    err = capsys.readouterr().err
    assert "1 items failed" in err and "no-such-user-zz: UserNotFoundError" in err
    assert main(["sync", str(watch), "-o", str(tmp_path / "store"), "--edges", "friends"]) == 2


@needs_extra("dask")
@pytest.mark.slow
def test_a_big_watch_list_runs_through_dask(unpaced, sandbox_env, tmp_path):
    import scdata.dask

    run = scdata.dask.sync([SMALL, OTHER, "jowymusic"], tmp_path / "store", tracks=False)
    assert run.status == "ok" and run.observed["users"] == 3
    assert len(scdata.history_df(tmp_path / "store", "users")) == 3
