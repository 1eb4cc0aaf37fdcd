"""An export that meets a wall (rate limit, CloudFront block, failing credentials) stops.

No user is started after the wall; the manifest records the users that failed with the
error and those not attempted, and the next run fetches exactly those.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import scdata
from scdata.datasets.export import export_summary, export_tracks, manifest_path
from scdata.sandbox import Sandbox
from scdata.storage.sharedstate import FileState
from tests.test_bulk import SCDATA, check_dataset, manifest_entries, tracks_path

USERS = [f"artist-{k:03d}" for k in range(1, 9)]
WALL = "artist-004"  # the fourth user meets the wall
BEFORE, AFTER = USERS[:3], USERS[4:]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=10, artist_tracks=30) as sandbox:
        yield sandbox


def make_client(sb: Sandbox, cache_dir: Path) -> scdata.Client:
    """No HTTP cache (the request log shows every fetch), a short wait for a rate limit."""
    return scdata.Client(
        **sb.client_settings, cache_dir=cache_dir, cache="off", max_retries=1,
        retry_backoff=0.01, max_retry_wait=1, rate_limit=8,
    )  # fmt: skip


@pytest.fixture
def client(sb: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    with make_client(sb, cache_dir) as c:
        yield c


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "tracks"


def raise_429(sb: Sandbox) -> None:
    """A rate limit that resets in ten years: beyond any max_retry_wait."""
    sb.rate_limit(tracks_path(sb, WALL), times=1000, reset_in=None, shape="plays")


def raise_401(sb: Sandbox) -> None:
    """Every request for the user answered 401, the renewed token too: AuthError."""
    sb.fail(tracks_path(sb, WALL), status=401, times=1000, html=False)


def raise_403_html(sb: Sandbox) -> None:
    """The CloudFront 403 page: throttling, BlockedError once the transport knows it."""
    sb.fail(tracks_path(sb, WALL), status=403, times=1000, html=True)


def requests_after_the_wall(sb: Sandbox) -> list[str]:
    """The paths requested after the wall's first answer, but the wall's own (its retries,
    probes, the one token renewal after a 401)."""
    log = sb.requests
    first = next(i for i, r in enumerate(log) if r.path == tracks_path(sb, WALL))
    own = {tracks_path(sb, WALL), urlsplit(sb.token_url).path}
    return [r.path for r in log[first + 1 :] if r.path not in own]


def pause_elapsed(client: scdata.Client) -> None:
    """Time passes: the shared pause recorded at the wall is over (as it would be hours later)."""
    client.session.scdata_throttle.state.update(lambda record: record.update(paused_until=0))


def check_stopped(sb: Sandbox, out: Path, error: BaseException, kind: type) -> None:
    assert isinstance(error, kind)
    frame = error.manifest  # type: ignore[attr-defined]
    assert frame["user"].tolist() == USERS
    assert frame["status"].tolist() == ["ok"] * 3 + ["failed"] + ["not_attempted"] * 4
    assert frame.loc[3, "error"] == str(error)
    assert (
        frame.loc[4:, "error"]
        .str.startswith(f"not attempted: the export stopped at {type(error).__name__}: ")
        .all()
    )
    assert (frame.loc[3:, "rows"] == 0).all() and not frame["skipped"].any()
    # no request after the wall but the wall's own (retries, probes): none for later users
    assert requests_after_the_wall(sb) == []
    for user in AFTER:
        assert sb.count(tracks_path(sb, user)) == 0, user
    entries = manifest_entries(out)
    assert [entries[u]["status"] for u in USERS] == frame["status"].tolist()
    assert entries[WALL]["error"] == str(error)
    document = json.loads(manifest_path(out).read_text())
    assert document["stopped"]["error_type"] == type(error).__name__
    assert document["stopped"]["error"] == str(error)
    check_dataset(out, sb, BEFORE)


@pytest.mark.slow  # a multi-user export, paced
@pytest.mark.parametrize(("wall", "kind"), [(raise_429, scdata.RateLimitError),
                                            (raise_401, scdata.AuthError)])  # fmt: skip
def test_a_wall_stops_the_whole_export_and_the_next_run_resumes(sb, client, out, wall, kind):
    wall(sb)
    with pytest.raises(kind) as info:
        export_tracks(USERS, out, client=client, workers=1)
    check_stopped(sb, out, info.value, kind)

    # the wall is gone and the client's shared pause has run out (time passes between runs):
    # the next run fetches the failed and the not attempted users only
    sb.clear_faults()
    sb.clear_log()
    pause_elapsed(client)
    again = export_tracks(USERS, out, client=client, workers=1)

    assert (again["status"] == "ok").all()
    assert again["skipped"].tolist() == [True] * 3 + [False] * 5
    for user in USERS:
        assert (sb.count(tracks_path(sb, user)) > 0) == (user not in BEFORE), user
    back = check_dataset(out, sb, USERS)
    assert int(again["rows"].sum()) == len(back)
    assert json.loads(manifest_path(out).read_text())["stopped"] is None


@pytest.mark.slow  # a multi-user export, paced
def test_a_cloudfront_403_wall_stops_the_whole_export(sb, client, out):
    raise_403_html(sb)
    with pytest.raises(scdata.BlockedError) as info:
        export_tracks(USERS, out, client=client, workers=1)
    check_stopped(sb, out, info.value, scdata.BlockedError)


@pytest.mark.slow  # a multi-user export, paced
def test_with_many_workers_no_user_is_started_after_the_wall(sb, client, out):
    users = [f"artist-{k:03d}" for k in range(1, 11)]
    raise_429(sb)
    sb.latency = 0.05  # users in flight when the wall is met
    with pytest.raises(scdata.RateLimitError) as info:
        export_tracks(users, out, client=client, workers=3)

    frame = info.value.manifest.set_index("user")
    assert frame.loc[WALL, "status"] == "failed"
    not_attempted = frame.index[frame["status"] == "not_attempted"].tolist()
    assert not_attempted, "every user was started"
    for user in not_attempted:
        assert sb.count(tracks_path(sb, user)) == 0, user
    ok = frame.index[frame["status"] == "ok"].tolist()
    check_dataset(out, sb, ok)
    # users in flight when the wall was met share its pause: they fail with the same kind of error
    failed = frame[frame["status"] == "failed"]
    assert failed["error"].str.contains("rate limit|throttling", regex=True).all()
    assert len(ok) + len(not_attempted) + len(failed) == len(users)


@pytest.mark.slow  # a multi-user export, paced
def test_the_summary_counts_users_not_attempted(sb, client, out):
    raise_429(sb)
    with pytest.raises(scdata.RateLimitError) as info:
        export_tracks(USERS, out, client=client, workers=1)
    line = export_summary(info.value.manifest, out)
    assert line == (
        f"export: 8 users: 3 ok (3 fetched, 0 fresh), 1 failed, 4 not attempted; "
        f"{len(scdata.read_parquet(out))} rows in {out}"
    )


@pytest.fixture
def cli_env(sb: Sandbox, cache_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, **sb.env, "SCDATA_CACHE_DIR": str(cache_dir), "SCDATA_CACHE": "off",
            "SCDATA_MAX_RETRIES": "1", "SCDATA_RETRY_BACKOFF": "0.01",
            "SCDATA_MAX_RETRY_WAIT": "1", "SCDATA_RATE_LIMIT": "8"}  # fmt: skip


@pytest.mark.slow  # the console script in a subprocess
def test_cli_export_stops_at_the_wall_with_one_line_and_exit_1(
    sb, cli_env, out, tmp_path, cache_dir
):
    users_file = tmp_path / "users.txt"
    users_file.write_text("\n".join(USERS) + "\n")
    command = [str(SCDATA), "export", str(users_file), "-o", str(out), "--workers", "1", "-q"]
    raise_429(sb)

    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    error = json.loads(manifest_path(out).read_text())["stopped"]["error"]
    assert done.stderr.splitlines()[-1] == (
        f"scdata: error: export stopped: {error}; 3 users done, 1 failed, 4 not attempted "
        f"(see {manifest_path(out)}); run it again to resume"
    )
    assert [line for line in done.stderr.splitlines() if "export stopped" in line] == [
        done.stderr.splitlines()[-1]
    ]
    assert requests_after_the_wall(sb) == []

    sb.clear_faults()
    sb.clear_log()
    for path in cache_dir.glob("state-throttle-*.json"):  # time passes: the shared pause is over
        FileState(path).update(lambda record: record.update(paused_until=0))
    again = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "8 users: 8 ok (5 fetched, 3 fresh), 0 failed;" in again.stderr
    for user in BEFORE:
        assert sb.count(tracks_path(sb, user)) == 0, user
    check_dataset(out, sb, USERS)
