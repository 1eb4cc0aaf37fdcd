"""16 threads and 4 processes pulling at once: one SQLite cache, one token, nothing lost."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import run_together

pytestmark = pytest.mark.slow  # processes and many threads at once

USERS = ["jowymusic", "bjork-unicode", "urn-era-artist", "geo-blocked", "artist-001", "artist-002"]


def expected_ids(sandbox, user):
    return [t["id"] for t in sandbox.catalog.tracks(user)]


def test_sixteen_threads_one_client(client, sandbox):
    jobs = [USERS[i % len(USERS)] for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        frames = list(pool.map(lambda u: client.tracks_df(u, progress=False), jobs))
    for user, frame in zip(jobs, frames, strict=True):
        assert frame["id"].tolist() == expected_ids(sandbox, user)
    assert sandbox.token_exchanges == 1


def test_four_processes_and_their_threads_share_cache_and_token(sandbox, cache_dir):
    code = (
        "import json\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        f"users = {USERS!r}\n"
        "with ThreadPoolExecutor(4) as pool:\n"
        "    frames = list(pool.map(lambda u: scdata.tracks_df(u, progress=False), users))\n"
        "print(json.dumps({u: f['id'].tolist() for u, f in zip(users, frames)}))\n"
    )
    env = {**os.environ, **sandbox.env, "SCDATA_CACHE_DIR": str(cache_dir)}
    for out in run_together(code, [env] * 4):
        got = json.loads(out)
        for user in USERS:
            assert got[user] == expected_ids(sandbox, user), user
    assert sandbox.token_exchanges == 1


def test_processes_opening_a_new_cache_at_the_same_moment(sandbox, tmp_path):
    # Switching a new SQLite file to WAL fails at once ("database is locked") when two
    # processes do it together; scdata opens the cache under a file lock. Fresh caches, 6 rounds.
    for round_ in range(6):
        env = {**os.environ, **sandbox.env, "SCDATA_CACHE_DIR": str(tmp_path / str(round_))}
        outs = run_together("print(scdata.user_info('jowymusic')['permalink'])", [env] * 4)
        assert [out.strip() for out in outs] == ["jowymusic"] * 4
