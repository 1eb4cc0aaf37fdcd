"""Answers the emulator cannot send, through a small scripted proxy in front of it.

The proxy forwards every request to the emulator unless a scripted fault matches the path:
``Retry-After: 0`` or a past date, a connection dropped mid-body, broken gzip, a body larger
than the cap, an error body echoing the token.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

import scdata
from scdata.sandbox import Sandbox

Writer = Callable[[BaseHTTPRequestHandler], None]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.script: list[list] = []  # [glob, remaining, writer]
        self.paths: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def arm(self, path: str, writer: Writer, times: int = 1) -> None:
        with self.lock:
            self.script.append([path, times, writer])

    def take(self, path: str) -> Writer | None:
        with self.lock:
            self.paths.append(path)
            for entry in self.script:
                if entry[1] > 0 and fnmatch.fnmatchcase(path, entry[0]):
                    entry[1] -= 1
                    return entry[2]
        return None

    def count(self, glob: str) -> int:
        with self.lock:
            return sum(fnmatch.fnmatchcase(p, glob) for p in self.paths)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Proxy

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        writer = self.server.take(urlsplit(self.path).path)
        if writer is not None:
            writer(self)
            return
        up = self.server.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request("GET", self.path, headers=headers)
        reply = conn.getresponse()
        body = reply.read()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()


def reply(status: int, body: bytes, **headers: str) -> Writer:
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return write


def cut(handler: BaseHTTPRequestHandler) -> None:
    """Promise 5000 bytes of JSON, send 100, hang up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", "5000")
    handler.end_headers()
    handler.wfile.write(b'{"collection": [' + b" " * 84)
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def cut_chunked(handler: BaseHTTPRequestHandler) -> None:
    """One chunk of a chunked body, then the connection closes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(b"10\r\n" + b'{"collection":[ ' + b"\r\n")
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[Proxy]:
    server = Proxy(sandbox.url)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def proxied(sb: Sandbox, proxy: Proxy, cache_dir, **kw) -> scdata.Client:
    settings = {**sb.client_settings, "api_url": proxy.url, "cache_dir": cache_dir}
    return scdata.Client(**{**settings, "rate_limit": 0, "retry_backoff": 0.05, **kw})


def run_with_deadline(call: Callable[[], object], seconds: float) -> object:
    """Run ``call`` in a thread; fail (instead of hanging) when it does not finish in time."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"the call was still retrying after {seconds} s"
    return outcome[0]


@pytest.mark.slow  # waits real seconds by design
@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_zero_or_past_still_pauses_and_counts_against_the_cap(
    sandbox, proxy, cache_dir, retry_after
):
    client = proxied(sandbox, proxy, cache_dir, throttle_backoff=0.3, max_retry_wait=1.5)
    user_id = sandbox.catalog.users()[0]["id"]
    body = b'{"error":"Rate Limit Exceeded"}'
    proxy.arm("/users/*", reply(429, body, Retry_After=retry_after), times=10_000)
    result = run_with_deadline(lambda: client.user(user_id), 10)
    assert isinstance(result, scdata.RateLimitError), result
    # each pause lasts at least 0.3 s (the minimum), all of them within the 1.5 s cap
    assert 2 <= proxy.count("/users/*") <= 6


@pytest.mark.slow  # waits real seconds by design
def test_retry_after_is_honoured_when_present(sandbox, proxy, cache_dir):
    client = proxied(sandbox, proxy, cache_dir, throttle_backoff=30, max_retry_wait=10)
    user_id = sandbox.catalog.users()[0]["id"]
    proxy.arm("/users/*", reply(429, b"Please slow down.", Retry_After="1"))
    assert client.user(user_id)["id"] == user_id  # 1 s, not the 30 s back-off
    assert proxy.count("/users/*") == 2


@pytest.mark.parametrize("writer", [cut, cut_chunked], ids=["content-length", "chunked"])
def test_connection_dropped_mid_body_is_retried(sandbox, proxy, cache_dir, writer):
    client = proxied(sandbox, proxy, cache_dir)
    proxy.arm("/users/*/tracks", writer, times=2)
    assert len(client.tracks("jowymusic", limit=5)) == 5
    assert proxy.count("/users/*/tracks") == 3


def test_broken_gzip_is_retried(sandbox, proxy, cache_dir):
    client = proxied(sandbox, proxy, cache_dir)
    garbage = reply(200, b"this is not gzip at all", Content_Encoding="gzip",
                    Content_Type="application/json")  # fmt: skip
    proxy.arm("/users/*/tracks", garbage, times=1)
    assert len(client.tracks("jowymusic", limit=5)) == 5
    assert proxy.count("/users/*/tracks") == 2


@pytest.mark.slow  # waits real seconds by design
def test_mid_body_drops_that_persist_raise_api_error_and_compat_returns_none(
    sandbox, proxy, cache_dir, monkeypatch, caplog
):
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOUNDCLOUD_API_URL", proxy.url)
    monkeypatch.setenv("SCDATA_RETRY_BACKOFF", "0.01")
    proxy.arm("/users/*/tracks", cut, times=10_000)
    with pytest.raises(scdata.APIError, match=r"after 4 attempt.*ChunkedEncodingError"):
        scdata.Client().tracks("jowymusic", limit=5)
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_tracks("jowymusic", 5, 0) is None
    assert "user_tracks('jowymusic', 5, 0) -> None" in caplog.text
    assert "could not reach SoundCloud" in caplog.text


def test_answer_larger_than_the_cap_is_refused_and_not_cached(sandbox, proxy, cache_dir):
    client = proxied(sandbox, proxy, cache_dir)
    client.user("jowymusic")
    client.session.scdata_max_bytes = 2_000  # a page of 50 tracks is far larger
    with pytest.raises(scdata.APIError, match="larger than 2,000 bytes") as info:
        client.tracks("jowymusic", limit=50)
    assert "/tracks" in info.value.url
    client.session.scdata_max_bytes = 64 * 2**20
    before = proxy.count("/users/*/tracks")
    assert len(client.tracks("jowymusic", limit=50)) == 50
    assert proxy.count("/users/*/tracks") == before + 1  # nothing had been cached


def test_declared_huge_answer_is_refused_without_reading_it(sandbox, proxy, cache_dir):
    client = proxied(sandbox, proxy, cache_dir)
    huge = reply(200, b"{}", Content_Length=str(10**11), Content_Type="application/json")
    proxy.arm("/users/*", huge, times=1)
    result = run_with_deadline(lambda: client.user(sandbox.catalog.users()[0]["id"]), 10)
    assert isinstance(result, scdata.APIError), result
    assert "larger than 67,108,864 bytes" in str(result) and "/users/" in result.url


def test_error_body_echoing_the_token_is_masked(sandbox, proxy, cache_dir):
    client = proxied(sandbox, proxy, cache_dir, max_retries=0)
    token = client.get_token()

    def echo(handler: BaseHTTPRequestHandler) -> None:
        auth = handler.headers.get("Authorization", "")
        body = json.dumps({"error": f"bad header {auth}", "token": auth.split()[-1]}).encode()
        reply(400, body, Content_Type="application/json")(handler)

    proxy.arm("/users/*", echo)
    with pytest.raises(scdata.APIError) as info:
        client.user(sandbox.catalog.users()[0]["id"])
    assert info.value.status == 400
    assert token not in str(info.value) and token not in info.value.excerpt
    assert "OAuth ***" in str(info.value)
