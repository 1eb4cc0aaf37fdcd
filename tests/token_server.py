"""A tiny token endpoint for tests that must see a token request's exact shape or answer it
with values the emulator never sends (``expires_in: 1e400``, a string, ...)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class TokenServer:
    url: str
    answers: list[tuple[int, str]] = field(default_factory=list)  # (status, raw JSON), in order
    seen: list[Seen] = field(default_factory=list)
    issued: int = 0

    def answer(self) -> tuple[int, str]:
        if self.answers:
            return self.answers.pop(0)
        self.issued += 1
        body = {"access_token": f"access-{self.issued}", "refresh_token": f"refresh-{self.issued}",
                "expires_in": 3599, "token_type": "bearer"}  # fmt: skip
        return 200, json.dumps(body)


@contextmanager
def token_server() -> Iterator[TokenServer]:
    """Serve ``POST /oauth/token`` on 127.0.0.1; record every request's headers and form."""
    state: list[TokenServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            server = state[0]
            server.seen.append(Seen({k.lower(): v for k, v in self.headers.items()}, form))
            status, body = server.answer()
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(TokenServer(f"http://127.0.0.1:{httpd.server_address[1]}/oauth/token"))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
