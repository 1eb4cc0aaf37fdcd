"""Socket side of the sandbox: a threading HTTP/1.1 server with keep-alive.

Every connection gets its own daemon thread, so latency and delays never serialise
requests. Open connections are tracked so that :meth:`SandboxServer.close_connections`
can cut idle keep-alive sockets when the sandbox stops.
"""

from __future__ import annotations

import contextlib
import email.utils
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import App

__all__ = ["SandboxHandler", "SandboxServer"]


class SandboxServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` bound to an :class:`~scdata.sandbox.app.App`.

    Examples
    --------
    >>> SandboxServer.daemon_threads
    True
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def track(self, connection: socket.socket) -> None:
        """Remember an open client connection."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a closed client connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open client connection (their threads then end)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients going away; report anything else on stderr."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class SandboxHandler(BaseHTTPRequestHandler):
    """Reads a request, asks the app for a reply and writes it (or drops the connection)."""

    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes; without TCP_NODELAY a small body waits
    # ~40 ms for the client's delayed ACK, which no real API server makes its clients wait
    disable_nagle_algorithm = True
    server_version = "am/2"
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: SandboxServer

    _server_header: str | None = None  # a reply's own ``Server`` (CloudFront, envoy)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Return the ``Date`` header value: the emulated clock's time (RFC 7231)."""
        if timestamp is None:
            timestamp = self.server.app.clock.epoch_seconds
        return email.utils.formatdate(timestamp, usegmt=True)

    def version_string(self) -> str:
        """Return the ``Server`` header value (what the real API sends, or the reply's)."""
        return self._server_header or self.server_version

    def setup(self) -> None:
        """Register the connection with the server."""
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; requests are recorded in the sandbox's request log."""

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.app.handle(
            self.command, self.path, self.headers.get("Authorization"), body
        )
        if reply is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers = []
        for name, value in reply.headers:
            if name.lower() == "server":
                self._server_header = value
            else:
                headers.append((name, value))
        try:
            self.send_response(reply.status)
        finally:
            self._server_header = None
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
