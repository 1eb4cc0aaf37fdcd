"""The shared back-off across processes that share only Redis, and Redis URLs with passwords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scdata
from scdata.cli.cache import cache_report

from .conftest import extra_reason, run_together
from .redis_server import redis_server
from .test_throttle import PROCESS_CODE, assert_one_request_per_pause, user_ids, worker_envs

redis = pytest.importorskip("redis", reason=extra_reason("redis"))

PASSWORD = "CapS-Pa55word"


@pytest.fixture(autouse=True)
def empty_redis(redis_url):
    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.slow
def test_processes_sharing_redis_pause_together(sandbox, redis_url, tmp_path):
    ids = user_ids(sandbox, 2)
    sandbox.rate_limit(path="/users/*", times=3, shape="edge")
    # separate cache directories: only Redis can carry the pause from one to the other
    envs = worker_envs(sandbox, redis_url, [str(tmp_path / "w0"), str(tmp_path / "w1")], ids)
    outs = run_together(PROCESS_CODE, envs)
    assert [int(out) for out in outs] == ids
    assert sandbox.count("/users/*") == 3 + 2
    assert_one_request_per_pause(sandbox, throttled=3)
    assert not list((tmp_path / "w0").glob("state-*")) and not list(
        (tmp_path / "w1").glob("state-*")
    )


@pytest.mark.slow  # other processes
def test_redis_password_with_capitals_works_and_is_masked(sandbox, tmp_path):
    with redis_server() as url:
        redis.Redis.from_url(url).config_set("requirepass", PASSWORD)
        secured = url.replace("redis://", f"redis://:{PASSWORD}@")
        client = scdata.Client(**sandbox.client_settings, cache=secured, cache_dir=tmp_path)
        assert client.user("jowymusic")["permalink"] == "jowymusic"  # the password was accepted
        report = cache_report(client)
        assert PASSWORD not in str(report) and report["backend"].startswith("redis://***@")
        assert PASSWORD not in repr(client) and PASSWORD not in repr(client.settings)
        env = {**worker_envs(sandbox, secured, [str(tmp_path)], [0])[0]}
        scdata_cli = str(Path(sys.executable).with_name("scdata"))
        out = subprocess.run([scdata_cli, "cache", "info"], env=env, capture_output=True,
                             text=True, timeout=60)  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "backend: redis://***@127.0.0.1" in out.stdout
        assert PASSWORD not in out.stdout + out.stderr
        client.close()
