"""The benchmark's emulator, in a process of its own.

The production-mode emulator spends about 6 ms of CPU per page it serves. Run in the
benchmark's process, that CPU competes with the client for the GIL, so the concurrent pulls
(many users, the fleet's one-process baseline) measured the emulator as much as scdata. The
real SoundCloud runs elsewhere: so does this emulator, in a child process (``spawn``), and
:class:`RemoteSandbox` gives the benchmark the controls it uses, each a message over a pipe:
the request log (``requests``, ``count``, ``clear_log``, ``token_exchanges``), ``latency``
(settable), the catalogue (``catalog.user(...)``, ``on_catalog(func, ...)`` runs
``func(catalog, ...)`` in the emulator's process), and the emulator process's CPU seconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from scdata.sandbox import RequestRecord, Sandbox

START_TIMEOUT = 120.0  # s to import scdata.sandbox and bind the port in the child


def _serve(conn: Connection, settings: dict[str, Any]) -> None:
    """The child: build and start the Sandbox, then answer control messages until "stop"."""
    sb = Sandbox(**settings).start()
    conn.send(
        {
            "url": sb.url,
            "token_url": sb.token_url,
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "env": sb.env,
            "client_settings": sb.client_settings,
        }
    )
    try:
        while True:
            op, args, kwargs = conn.recv()
            if op == "stop":
                break
            try:
                conn.send(("ok", _answer(sb, op, args, kwargs)))
            except Exception:
                conn.send(("error", traceback.format_exc()))
    finally:
        sb.stop()


def _answer(sb: Sandbox, op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if op == "get":
        return getattr(sb, args[0])
    if op == "set":
        setattr(sb, args[0], args[1])
        return None
    if op == "call":
        return getattr(sb, args[0])(*args[1:], **kwargs)
    if op == "catalog":
        return getattr(sb.catalog, args[0])(*args[1:], **kwargs)
    if op == "on_catalog":
        return args[0](sb.catalog, *args[1:], **kwargs)
    if op == "cpu":
        now = os.times()
        return now.user + now.system
    raise ValueError(f"unknown control {op!r}")


class _Catalog:
    """``sb.catalog.user("artist-001")`` and the like, run in the emulator's process."""

    def __init__(self, remote: RemoteSandbox) -> None:
        self._remote = remote

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args, **kwargs: self._remote._ask("catalog", name, *args, **kwargs)


class RemoteSandbox:
    """A :class:`~scdata.sandbox.Sandbox` running in a child process (enter it with ``with``).

    ``settings`` are the ``Sandbox`` constructor's. The attributes and methods the benchmark
    uses behave as the ``Sandbox``'s; ``cpu_seconds()`` is the child's user + system CPU.
    """

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: Any = None
        self._info: dict[str, Any] = {}
        self.catalog = _Catalog(self)

    # -- lifetime ------------------------------------------------------------------------------
    def start(self) -> RemoteSandbox:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, self._settings), name="scdata-emulator", daemon=True
        )
        self._process.start()
        theirs.close()
        if not mine.poll(START_TIMEOUT):
            self._process.kill()
            raise RuntimeError("the emulator process did not start")
        self._info = mine.recv()
        self._conn = mine
        return self

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop", (), {}))
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None

    def __enter__(self) -> RemoteSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ask(self, op: str, *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            raise RuntimeError("the emulator process is not running")
        with self._lock:
            self._conn.send((op, args, kwargs))
            status, value = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"in the emulator process:\n{value}")
        return value

    # -- what the Sandbox knew at start ------------------------------------------------------
    @property
    def url(self) -> str:
        return str(self._info["url"])

    @property
    def token_url(self) -> str:
        return str(self._info["token_url"])

    @property
    def client_id(self) -> str:
        return str(self._info["client_id"])

    @property
    def client_secret(self) -> str:
        return str(self._info["client_secret"])

    @property
    def env(self) -> dict[str, str]:
        return dict(self._info["env"])

    @property
    def client_settings(self) -> dict[str, str]:
        return dict(self._info["client_settings"])

    # -- controls ------------------------------------------------------------------------------
    @property
    def latency(self) -> float:
        return float(self._ask("get", "latency"))

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._ask("set", "latency", seconds)

    @property
    def requests(self) -> list[RequestRecord]:
        return list(self._ask("get", "requests"))

    @property
    def token_exchanges(self) -> int:
        return int(self._ask("get", "token_exchanges"))

    def count(self, *args: Any, **kwargs: Any) -> int:
        return int(self._ask("call", "count", *args, **kwargs))

    def advance(self, **delta: float) -> Any:
        """Move the emulated clock forward (``days=``, ``hours=``...); the new time."""
        return self._ask("call", "advance", **delta)

    def clear_log(self) -> None:
        self._ask("call", "clear_log")

    def on_catalog(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(catalog, *args, **kwargs)`` in the emulator's process (``func`` importable)."""
        return self._ask("on_catalog", func, *args, **kwargs)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the emulator's process so far."""
        return float(self._ask("cpu"))


def build_tracks(catalog: Any, users: list[str]) -> None:
    """Make the emulator build each user's tracks now (in its process), not while timed."""
    for user in users:
        catalog.tracks(user)
