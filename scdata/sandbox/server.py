"""The :class:`Sandbox` (a running emulator with controls for tests) and :func:`serve`."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import TOKEN_PATHS, App
from .catalog import Catalog
from .controls import ProductionControls
from .edge import Edge
from .faults import CORRUPT_KINDS, RATE_LIMIT_SHAPES, TOKEN_FAULT_STATUSES, Fault, FaultTable
from .handler import SandboxServer
from .log import RequestLog, RequestRecord
from .shapes import Shapes
from .shortlinks import ShortLinks
from .timeline import Clock
from .tokens import TokenStore
from .truth import Truth

__all__ = ["Sandbox", "serve"]


class Sandbox(ProductionControls):
    """A local SoundCloud API emulator on a real HTTP port, with test controls.

    Parameters
    ----------
    host, port
        Where to listen; port 0 picks a free port.
    production
        Behave like the production API (default): a per-app request-rate limit, the token
        endpoint's rolling windows, strict client authentication, embedded users with
        zeroed counts, tracking queries on users' ``permalink_url``, URN-form ``uri``,
        unknown owners answered with an empty collection. ``False``: the permissive
        behaviour (no rate limit, a total ``token_budget`` of successful exchanges, full
        embedded users, clean URLs, 404 for unknown owners) for tests that need raw speed.
    request_rate, request_burst
        Requests/s and burst per app on the API (not streams, not the token endpoint);
        ``request_rate`` defaults to 10.0 in production mode and 0 (no limit) otherwise.
    client_id, client_secret
        The only credentials the token endpoint accepts.
    token_budget
        Alias of ``token_app_limit``. Without production mode: successful
        ``client_credentials`` exchanges in total before the token endpoint answers 429.
    token_app_limit, token_app_window
        Production: token POSTs per app allowed in any ``token_app_window`` seconds
        (50 per 12 h); every POST reaching the server counts, failures included.
    token_ip_limit, token_ip_window
        Production: token POSTs per IP in any ``token_ip_window`` seconds (30 per hour).
    token_ttl
        Access token lifetime in seconds (real clock).
    latency
        Seconds slept before answering each request; settable at run time.
    artists, artist_tracks
        Size of the ``artist-NNN`` part of the catalogue.
    app_id
        The application id in ``utm_source=id_<app_id>``.
    clock_start
        Where the emulated clock starts (datetime, ISO text or epoch seconds; default
        2026-06-30 00:00:00 UTC, the catalogue's epoch; not before it). The clock stands
        still until :meth:`advance` or :attr:`now` moves it; every answer's ``Date`` is its
        time, and counts, tracks and follows move with it (:mod:`scdata.sandbox.timeline`,
        truth in :attr:`truth`).

    Examples
    --------
    >>> import requests
    >>> with Sandbox(artists=2) as sb:
    ...     token = requests.post(sb.token_url, data={"grant_type": "client_credentials"},
    ...                           auth=(sb.client_id, sb.client_secret)).json()["access_token"]
    ...     user = requests.get(sb.url + "/users/soundcloud:users:123456789",
    ...                         headers={"Authorization": f"OAuth {token}"}).json()
    >>> user["permalink"], user["track_count"]
    ('big-catalog', 10000)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        production: bool = True,
        request_rate: float | None = None,
        request_burst: int = 20,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        token_budget: int | None = None,
        token_app_limit: int = 50,
        token_app_window: float = 12 * 3600,
        token_ip_limit: int = 30,
        token_ip_window: float = 3600,
        token_ttl: float = 3599,
        latency: float = 0.0,
        artists: int = 200,
        artist_tracks: int = 500,
        app_id: int = 314159,
        clock_start: dt.datetime | str | float | None = None,
    ) -> None:
        if not isinstance(production, bool):
            raise ValueError(f"production must be True or False, got {production!r}")
        if token_budget is not None:
            token_app_limit = token_budget
        self.host = host
        self.port = port
        self.catalog = Catalog(artists=artists, artist_tracks=artist_tracks)
        if clock_start is not None:
            self.catalog.timeline.clock.restart(clock_start)
        self._truth = Truth(self.catalog)
        self._tokens = TokenStore(client_id, client_secret, budget=token_app_limit, ttl=token_ttl)
        self._tokens.enforce_budget = not production
        self._edge = Edge(
            production=production,
            request_rate=(10.0 if production else 0.0) if request_rate is None else request_rate,
            request_burst=request_burst,
            token_app_limit=token_app_limit,
            token_app_window=token_app_window,
            token_ip_limit=token_ip_limit,
            token_ip_window=token_ip_window,
        )
        self._shapes = Shapes(lambda: self.url, production=production, app_id=app_id)
        self._short_links = ShortLinks()
        self._faults = FaultTable()
        self._log = RequestLog()
        self._app = App(
            self.catalog, self._tokens, self._faults, self._log, lambda: self.url,
            edge=self._edge, shapes=self._shapes, short_links=self._short_links,
        )  # fmt: skip
        self._app.latency = latency
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._on_stop: contextlib.ExitStack | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind and serve in a background thread; return ``self``.

        Examples
        --------
        >>> sb = Sandbox(artists=0).start()
        >>> sb.running
        True
        >>> sb.stop()
        """
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = SandboxServer((self.host, self.port), self._app)
        self._edge.stopping.clear()
        host, port = server.socket.getsockname()[:2]  # what server_address holds, as str
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True,
            name=f"scdata-sandbox-{port}",
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (idempotent).

        Examples
        --------
        >>> sb = Sandbox(artists=0).start()
        >>> sb.stop(); sb.stop(); sb.running
        False
        """
        stack, self._on_stop = self._on_stop, None
        if stack is not None:  # started by start(): undo its configuration too
            stack.close()
            return
        server, self._server = self._server, None
        if server is None:
            return
        self._edge.stopping.set()  # release connections held by a "timeout" token outage
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the sandbox is serving."""
        return self._server is not None

    # -- addresses -----------------------------------------------------------------
    @property
    def url(self) -> str:
        """API base URL, e.g. ``http://127.0.0.1:PORT`` (no trailing slash).

        Examples
        --------
        >>> with Sandbox(artists=0) as sb:
        ...     sb.url.startswith("http://127.0.0.1:"), sb.token_url == sb.url + "/oauth/token"
        (True, True)
        """
        if self._url is None:
            raise RuntimeError("sandbox not started")
        return self._url

    @property
    def token_url(self) -> str:
        """Token endpoint URL (``url + "/oauth/token"``)."""
        return self.url + TOKEN_PATHS[0]

    @property
    def client_id(self) -> str:
        """The accepted client id."""
        return self._tokens.client_id

    @property
    def client_secret(self) -> str:
        """The accepted client secret."""
        return self._tokens.client_secret

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point scdata (or other code) at this sandbox.

        Examples
        --------
        >>> with Sandbox(artists=0) as sb:
        ...     sb.env["SOUNDCLOUD_API_URL"] == sb.url, sb.env["SOUNDCLOUD_CLIENT_ID"]
        (True, 'sandbox-client-id')
        """
        return {
            "SOUNDCLOUD_CLIENT_ID": self.client_id,
            "SOUNDCLOUD_CLIENT_SECRET": self.client_secret,
            "SOUNDCLOUD_API_URL": self.url,
            "SOUNDCLOUD_URL_GET_TOKEN": self.token_url,
        }

    @property
    def client_settings(self) -> dict[str, str]:
        """Keyword arguments that point a ``scdata.Client`` at this sandbox.

        Examples
        --------
        >>> with Sandbox(artists=0) as sb:
        ...     sorted(sb.client_settings), sb.client_settings["api_url"] == sb.url
        (['api_url', 'client_id', 'client_secret', 'token_url'], True)
        """
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "api_url": self.url,
            "token_url": self.token_url,
        }

    # -- run-time settings -----------------------------------------------------------
    @property
    def latency(self) -> float:
        """Seconds slept before answering each request.

        Examples
        --------
        >>> sb = Sandbox(artists=0)
        >>> sb.latency = 0.05
        """
        return self._app.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._app.latency = seconds

    @property
    def token_budget(self) -> int:
        """Token POSTs per app window (production) or successful exchanges in total (settable).

        Examples
        --------
        >>> sb = Sandbox(artists=0)
        >>> sb.token_budget = 3; sb.token_budget
        3
        """
        return self._tokens.budget

    @token_budget.setter
    def token_budget(self, budget: int) -> None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
            raise ValueError(f"token_budget must be an integer >= 0, got {budget!r}")
        self._tokens.budget = budget
        self._edge.token_windows["app"].limit = budget

    # -- the clock -------------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        """The emulated :class:`~scdata.sandbox.timeline.Clock` (``Date`` of every answer)."""
        return self.catalog.timeline.clock

    @property
    def now(self) -> dt.datetime:
        """The emulated time (aware UTC datetime); settable, not before the catalogue's epoch.

        Examples
        --------
        >>> sb = Sandbox(artists=0)
        >>> sb.now.isoformat()
        '2026-06-30T00:00:00+00:00'
        >>> sb.now = "2026-07-04T12:00:00Z"; sb.now.isoformat()
        '2026-07-04T12:00:00+00:00'
        """
        return self.clock.now

    @now.setter
    def now(self, when: dt.datetime | str | float) -> None:
        self.clock.set(when)

    def advance(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> dt.datetime:
        """Move the emulated clock forward and return the new time.

        Examples
        --------
        >>> sb = Sandbox(artists=0)
        >>> sb.advance(days=1, hours=6).isoformat()
        '2026-07-01T06:00:00+00:00'
        """
        return self.clock.advance(days=days, hours=hours, minutes=minutes, seconds=seconds)

    @property
    def truth(self) -> Truth:
        """The world's truth at any time, for tests (:class:`~scdata.sandbox.truth.Truth`).

        Examples
        --------
        >>> sb = Sandbox(artists=1)
        >>> sb.truth.user("jowymusic", at="2026-07-08")["followers_count"] > 123_456
        True
        """
        return self._truth

    # -- request log ---------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of the request log (a list of :class:`RequestRecord`).

        Examples
        --------
        >>> import requests
        >>> with Sandbox(artists=0) as sb:
        ...     _ = requests.get(sb.url + "/users/1")
        ...     [(r.method, r.path, r.status) for r in sb.requests]
        [('GET', '/users/1', 401)]
        """
        return self._log.snapshot()

    def count(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        grant_type: str | None = None,
        cause: str | tuple[str, ...] | None = None,
    ) -> int:
        """Count logged requests; ``path`` is an fnmatch glob on the path without query.

        ``status`` is the status answered (``None`` in a record: connection dropped);
        ``cause`` one cause or a tuple of them (see :class:`RequestRecord`), e.g.
        ``"throttle"`` for answers of the request-rate limit.

        Examples
        --------
        >>> Sandbox(artists=0).count("/users/*/tracks", status=200)
        0
        """
        return self._log.count(
            path, method=method, status=status, grant_type=grant_type, cause=cause
        )

    def clear_log(self) -> None:
        """Forget every logged request."""
        self._log.clear()

    @property
    def token_exchanges(self) -> int:
        """Successful ``client_credentials`` grants so far."""
        return self._tokens.token_exchanges

    @property
    def refresh_exchanges(self) -> int:
        """Successful ``refresh_token`` grants so far."""
        return self._tokens.refresh_exchanges

    # -- fault injection -------------------------------------------------------------
    def fail(self, path: str = "*", status: int = 502, times: int = 1, html: bool = True) -> None:
        """Answer the next ``times`` matching API requests with ``status``.

        ``html=True`` sends a CDN-style HTML page, else the standard JSON error body.

        Examples
        --------
        >>> Sandbox(artists=0).fail("/users/*", status=503, times=2)
        """
        if not 400 <= status <= 599:
            raise ValueError("status must be 4xx or 5xx")
        self._faults.arm(Fault("fail", path, times, {"status": status, "html": html}))

    def rate_limit(
        self,
        path: str = "*",
        times: int = 1,
        reset_in: float | None = 2.0,
        shape: str = "plays",
    ) -> None:
        """Answer the next ``times`` matching API requests with 429.

        ``shape``: ``"plays"`` (documented body with ``reset_time`` = now + ``reset_in``;
        ``None`` = far future), ``"bucket"`` (token by-IP bucket body), ``"standard"``
        (standard error body), ``"edge"`` (``{"error": "Rate Limit Exceeded"}``) or
        ``"text"`` (``Please slow down.``). Never a ``Retry-After`` header.

        Examples
        --------
        >>> Sandbox(artists=0).rate_limit(shape="edge")
        """
        if shape not in RATE_LIMIT_SHAPES:
            raise ValueError(f"shape must be one of {RATE_LIMIT_SHAPES}")
        self._faults.arm(Fault("rate_limit", path, times, {"shape": shape, "reset_in": reset_in}))

    def corrupt(self, path: str = "*", times: int = 1, kind: str = "malformed") -> None:
        """Answer the next ``times`` matching API requests with a ``200`` and a broken body.

        ``kind``: ``"malformed"`` (JSON content type, braces intact, does not parse),
        ``"truncated"``, ``"html"`` or ``"shape"`` (valid JSON, wrong shape).

        Examples
        --------
        >>> Sandbox(artists=0).corrupt("/users/*/tracks", kind="truncated")
        """
        if kind not in CORRUPT_KINDS:
            raise ValueError(f"kind must be one of {CORRUPT_KINDS}")
        self._faults.arm(Fault("corrupt", path, times, {"kind": kind}))

    def drop(self, path: str = "*", times: int = 1) -> None:
        """Close the connection of the next ``times`` matching requests without replying.

        Examples
        --------
        >>> Sandbox(artists=0).drop("/tracks/*")
        """
        self._faults.arm(Fault("drop", path, times))

    def delay(self, path: str = "*", seconds: float = 1.0, times: int = 1) -> None:
        """Sleep ``seconds`` more before answering the next ``times`` matching requests.

        Examples
        --------
        >>> Sandbox(artists=0).delay(seconds=0.1)
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._faults.arm(Fault("delay", path, times, {"seconds": seconds}))

    def repeat_next_href(self, path: str = "/users/*/tracks", times: int = 1) -> None:
        """Make the next ``times`` matching pages' ``next_href`` point at their own URL.

        Examples
        --------
        >>> Sandbox(artists=0).repeat_next_href()
        """
        self._faults.arm(Fault("repeat_next_href", path, times))

    def token_fault(self, status: int = 401, times: int = 1) -> None:
        """Fail the next ``times`` token requests.

        401 ``invalid_client``, 429 ``rate_limit_exceeded``, 400 ``invalid_grant``,
        403 or 5xx a CDN HTML page.

        Examples
        --------
        >>> Sandbox(artists=0).token_fault(429)
        """
        if status not in TOKEN_FAULT_STATUSES and not 500 <= status <= 599:
            raise ValueError(f"status must be one of {TOKEN_FAULT_STATUSES} or 5xx")
        self._faults.arm(Fault("token", "*", times, {"status": status}))

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far; refresh tokens stay valid.

        Examples
        --------
        >>> Sandbox(artists=0).expire_tokens()
        """
        self._tokens.expire_all()

    def clear_faults(self) -> None:
        """Disarm every fault.

        Examples
        --------
        >>> Sandbox(artists=0).clear_faults()
        """
        self._faults.clear()

    def __repr__(self) -> str:
        where = self._url if self._url and self.running else "stopped"
        return f"<Sandbox {where}>"


@contextlib.contextmanager
def serve(
    *, configure: bool = True, cache_dir: str | Path | None = None, **sandbox_kwargs: Any
) -> Iterator[Sandbox]:
    """Run a :class:`Sandbox` for the duration of a ``with`` block.

    With ``configure=True`` scdata talks to the sandbox while the block runs: the default
    client is replaced by one pointed at it, and the environment variables of
    :attr:`Sandbox.env` (plus ``SCDATA_CACHE_DIR``) are set, so that a ``scdata.Client()``
    made meanwhile, or a child process, uses it too. The cache is ``cache_dir``, or a
    temporary directory removed on exit. Everything is restored afterwards (a variable
    changed meanwhile by someone else is left as they set it).

    Parameters
    ----------
    configure
        Point scdata at the sandbox while the block runs.
    cache_dir
        Cache directory of those clients.
    **sandbox_kwargs
        Passed to :class:`Sandbox`.

    Examples
    --------
    >>> with serve(configure=False, artists=1) as sb:
    ...     sb.url.startswith("http://127.0.0.1:")
    True
    >>> import scdata
    >>> with serve(artists=1) as sb:
    ...     scdata.Client().user("empty-artist")["track_count"]
    0
    """
    with Sandbox(**sandbox_kwargs) as sb:
        if not configure:
            yield sb
            return
        import scdata._client  # lazy: the sandbox itself never depends on the client

        temporary = None if cache_dir is not None else tempfile.mkdtemp(prefix="scdata-sandbox-")
        cache = str(cache_dir if cache_dir is not None else temporary)
        # a SOUNDCLOUD_AUTHORIZATION of the real app would be sent instead of the sandbox's
        variables = {**sb.env, "SCDATA_CACHE_DIR": cache, "SOUNDCLOUD_AUTHORIZATION": None}
        try:
            with _environment(variables):
                client = scdata.Client(**sb.client_settings, cache_dir=cache)
                previous = scdata._client.replace_default(client)
                try:
                    yield sb
                finally:
                    scdata._client.replace_default(previous)
                    client.close()
        finally:
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)


@contextlib.contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (``None``: remove) environment variables; restore the ones still as set here."""
    before = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in values.items():
            if os.environ.get(name) != value:
                continue  # changed meanwhile: not ours to undo
            old = before[name]
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def start(
    *, configure: bool = True, cache_dir: str | Path | None = None, **sandbox_kwargs: Any
) -> Sandbox:
    """Start a sandbox that runs until ``sb.stop()``: :func:`serve` without a ``with`` block.

    Handy in a notebook, where the emulator should outlive a cell. With ``configure=True``,
    scdata's default client, and every ``scdata.Client()`` made meanwhile, talk to it until
    ``stop()`` restores the previous client and environment.

    Examples
    --------
    >>> sb = start(configure=False, artists=1)
    >>> sb.running
    True
    >>> sb.stop(); sb.running
    False
    """
    stack = contextlib.ExitStack()
    sb = stack.enter_context(serve(configure=configure, cache_dir=cache_dir, **sandbox_kwargs))
    sb._on_stop = stack
    return sb
