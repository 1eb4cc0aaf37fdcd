"""A tiny HTTP front for the emulator, for shapes the emulator cannot produce (yet).

:class:`ApiProxy` serves the emulator under a path prefix (``/sc-api``), forwarding each request
to it byte for byte (the emulator's request log still sees every forwarded request), and lets a
test answer chosen paths itself: ``/resolve`` 302s in every ``Location`` form, short links,
pages that never end. It strips the prefix and answers 404 to anything outside it, as a reverse
proxy mounted under a prefix would. The tests at the bottom check the proxy itself.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from scdata.sandbox import Sandbox

# (status, headers, body); a handler returning None lets the request through to the emulator
Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[[str, dict[str, str]], Answer | None]
FORWARDED = ("Authorization", "Accept", "Accept-Encoding", "User-Agent")
NOT_FOUND = b'{"code":404,"message":"404 - Not Found","status":"404 - Not Found","error":null}'


def json_answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Answer:
    body = json.dumps(payload).encode()
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body


class ApiProxy:
    """Serve ``sandbox`` under ``prefix`` on a port of its own; see the module docstring."""

    def __init__(self, sandbox: Sandbox, prefix: str = "") -> None:
        self.sandbox = sandbox
        self.prefix = prefix.rstrip("/")
        self.received: list[str] = []  # request targets as the proxy got them
        self._routes: list[tuple[str, Handler]] = []
        proxy = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.received.append(self.path)
                status, headers, body = proxy._answer(self.path, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )  # polls for shutdown every 10 ms, not 0.5 s: every test using it ends sooner

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    @property
    def client_settings(self) -> dict[str, str]:
        """A client talking to the API through the proxy, and to the emulator for tokens."""
        return {**self.sandbox.client_settings, "api_url": self.url}

    def route(self, pattern: str, handler: Handler) -> None:
        """Answer paths matching the glob ``pattern`` (prefix stripped) with ``handler``."""
        self._routes.append((pattern, handler))

    def _answer(self, target: str, headers: object) -> Answer:
        split = urlsplit(target)
        if self.prefix and not split.path.startswith(self.prefix + "/"):
            return 404, {"Content-Type": "application/json; charset=utf-8"}, NOT_FOUND
        path = split.path[len(self.prefix) :]
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        for pattern, handler in self._routes:
            if fnmatch.fnmatchcase(path, pattern):
                answer = handler(path, query)
                if answer is not None:
                    return answer
        rest = path + (f"?{split.query}" if split.query else "")
        host, port = urlsplit(self.sandbox.url).hostname, urlsplit(self.sandbox.url).port
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            sent = {name: headers[name] for name in FORWARDED if headers.get(name)}  # type: ignore[attr-defined]
            connection.request("GET", rest, headers=sent)
            response = connection.getresponse()
            body = response.read()
            kept = {
                name: value
                for name, value in response.getheaders()
                if name.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            return response.status, kept, body
        finally:
            connection.close()

    def __enter__(self) -> ApiProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[ApiProxy]:
    with ApiProxy(sandbox, "/sc-api") as front:
        yield front


def test_the_proxy_forwards_under_its_prefix_only(proxy, sandbox):
    token = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sandbox.client_id, sandbox.client_secret),
    ).json()["access_token"]
    auth = {"Authorization": f"OAuth {token}"}
    user = requests.get(f"{proxy.url}/users/123456789", headers=auth)
    assert user.status_code == 200 and user.json()["permalink"] == "big-catalog"
    bare = proxy.url.removesuffix("/sc-api") + "/users/123456789"
    assert requests.get(bare, headers=auth).status_code == 404
    assert [r.path for r in sandbox.requests if r.path != "/oauth/token"] == ["/users/123456789"]


def test_a_route_answers_instead_of_the_emulator(proxy, sandbox):
    proxy.route("/resolve", lambda path, query: json_answer(418, {"url": query["url"]}))
    answer = requests.get(f"{proxy.url}/resolve", params={"url": "x"})
    assert (answer.status_code, answer.json()) == (418, {"url": "x"})
    assert sandbox.requests == []
