"""Redis as the shared backend: one token for every process, one HTTP cache, typed pages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scdata
from scdata.sandbox import Sandbox

from .conftest import extra_reason, run_together
from .test_token_breaker import ASK_FOR_A_TOKEN

redis = pytest.importorskip("redis", reason=extra_reason("redis"))


@pytest.fixture(autouse=True)
def empty_redis(redis_url):
    redis.Redis.from_url(redis_url).flushdb()


def redis_client(sb: Sandbox, url: str, cache_dir, **kw) -> scdata.Client:
    return scdata.Client(**sb.client_settings, cache=url, cache_dir=cache_dir, **kw)


def worker_env(sb: Sandbox, url: str, tmp_path, n: int) -> dict[str, str]:
    """Each worker gets its own cache directory: only Redis can make them share."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, **sb.env, "SCDATA_CACHE": url, "SCDATA_CACHE_DIR": str(tmp_path / f"w{n}")}


def run_workers(code: str, sb: Sandbox, url: str, tmp_path, n: int = 4) -> list[str]:
    envs = [worker_env(sb, url, tmp_path, i) for i in range(n)]
    return [out.strip() for out in run_together(code, envs)]


@pytest.mark.slow  # Redis shared by processes
def test_processes_share_one_token(sandbox, redis_url, tmp_path):
    tokens = run_workers("import scdata; print(scdata.get_token())", sandbox, redis_url, tmp_path)
    assert len(set(tokens)) == 1
    assert sandbox.token_exchanges == 1
    assert not any(any((tmp_path / f"w{i}").glob("token-*")) for i in range(4))  # no token file


@pytest.mark.slow  # Redis shared by processes
def test_renewal_race_spends_one_refresh_token(redis_url, tmp_path):
    with Sandbox(token_ttl=3, artists=0) as sb:  # renewed 0.3 s (10 % of 3 s) before expiry
        first = redis_client(sb, redis_url, tmp_path / "c").get_token()
        time.sleep(3.2)  # the token is stale before any worker starts
        tokens = run_workers(
            "import scdata; print(scdata.get_token())", sb, redis_url, tmp_path, n=6
        )
        assert len(set(tokens)) == 1, tokens
        assert tokens[0] != first, (first[-12:], sb.token_exchanges, sb.refresh_exchanges)
        assert (sb.token_exchanges, sb.refresh_exchanges) == (1, 1)
        assert sb.count("/oauth/token", status=400) == 0  # nobody reused a spent refresh token


@pytest.mark.slow  # Redis shared by processes
def test_http_cache_is_shared_across_processes(sandbox, redis_url, tmp_path):
    code = "import scdata; print(len(scdata.tracks_df('jowymusic', progress=False)))"
    first = run_workers(code, sandbox, redis_url, tmp_path, n=1)
    sandbox.clear_log()
    second = run_workers(code, sandbox, redis_url, tmp_path / "other", n=2)
    assert first[0] == second[0] == second[1]
    assert sandbox.requests == []  # pages and typed copies came from Redis


def test_entries_expire_by_redis_ttl(sandbox, redis_url, tmp_path):
    client = redis_client(sandbox, redis_url, tmp_path, expire_after=5)
    client.user("jowymusic")
    r = redis.Redis.from_url(redis_url)
    ttls = [r.ttl(k) for k in r.scan_iter(match="scdata:http:*")]
    assert len(ttls) == 2  # the /resolve 302 and the user
    assert all(3600 < t <= 5 + 3600 for t in ttls)  # expire_after + requests-cache's offset


@pytest.mark.slow  # Redis shared by processes
def test_no_secret_in_redis_outside_the_token_key(sandbox, redis_url, tmp_path):
    client = redis_client(sandbox, redis_url, tmp_path)
    client.tracks_df(["jowymusic", "big-catalog"], progress=False)
    token = client.tokens.store.load()
    r = redis.Redis.from_url(redis_url)
    secrets = [sandbox.client_secret, token.access_token.reveal(), token.refresh_token.reveal()]
    for key in r.scan_iter():
        if key.decode() == client.tokens.store.key:
            continue
        kind = r.type(key)
        values = (
            r.hvals(key) if kind == b"hash" else [r.get(key) or b""] if kind == b"string" else []
        )
        for value in values:
            for secret in secrets:
                assert secret.encode() not in value, key


def test_cache_info_and_clear_with_redis(sandbox, redis_url, tmp_path):
    from scdata.cli.cache import cache_report, clear_cache

    client = redis_client(sandbox, redis_url, tmp_path)
    client.tracks_df("jowymusic", progress=False)
    report = cache_report(client)
    assert report["backend"] == redis_url and report["typed page copies"] == 3
    assert clear_cache(client) >= 2
    assert cache_report(client)["typed page copies"] == 0


def test_missing_redis_server_is_a_clear_error(sandbox, tmp_path):
    client = redis_client(sandbox, "redis://127.0.0.1:1/0", tmp_path)
    with pytest.raises(redis.exceptions.ConnectionError, match=r"127\.0\.0\.1:1"):
        client.user("jowymusic")


@pytest.mark.slow  # the console script in a subprocess
def test_cli_with_redis_down_is_one_line_exit_1(sandbox, tmp_path):
    env = worker_env(sandbox, "redis://127.0.0.1:1/0", tmp_path, 0)
    out = subprocess.run([str(Path(sys.executable).with_name("scdata")), "user", "jowymusic"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.startswith("scdata: error:") and "Traceback" not in out.stderr


@pytest.mark.slow  # other processes
def test_sqlite_default_works_without_the_redis_package(sandbox, tmp_path):
    env = {**worker_env(sandbox, "sqlite", tmp_path, 0)}
    code = (
        "import sys\n"
        "sys.modules['redis'] = None  # as if the redis extra were not installed\n"
        "import scdata\n"
        "print(len(scdata.tracks_df('jowymusic', progress=False)))\n"
        "try:\n"
        "    scdata.Client(cache='redis://127.0.0.1:1/0').user('jowymusic')\n"
        "except scdata.ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows, message = out.stdout.strip().split("\n")
    assert int(rows) == sandbox.catalog.user("jowymusic")["track_count"]
    assert "pip install 'scdata[redis]'" in message


@pytest.mark.slow  # three interpreters on a loaded machine
def test_token_breaker_is_shared_by_processes_on_one_redis(sandbox, redis_url, tmp_path):
    sandbox.token_fault(status=500, times=100)
    code = "import os\nos.environ['SCDATA_TOKEN_COOLDOWN'] = '30'\n" + ASK_FOR_A_TOKEN
    outs = sorted(run_workers(code, sandbox, redis_url, tmp_path, n=3))
    assert outs == ["cooldown", "cooldown", "failed"]
    assert sandbox.count("/oauth/token") == 1
    from scdata.cli.cache import cache_report

    report = cache_report(redis_client(sandbox, redis_url, tmp_path / "c"))
    assert report["token breaker"].startswith("open until ")
    assert report["token requests (last hour)"].startswith("1 (1 failed)")


@pytest.mark.parametrize(
    "content", [b"[]", b"null", b'{"access_token": 5}', b'{"access_token": 5, "expires_at": 9e9}']
)
def test_redis_token_key_of_the_wrong_shape_is_no_token(sandbox, redis_url, tmp_path, content):
    client = redis_client(sandbox, redis_url, tmp_path)
    redis.Redis.from_url(redis_url).set(client.tokens.store.key, content)
    assert client.user("jowymusic")["permalink"] == "jowymusic"
    assert sandbox.token_exchanges == 1
