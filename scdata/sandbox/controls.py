"""Production-mode controls of :class:`~scdata.sandbox.Sandbox` (a mixin).

Every setting here is read for each request, so it can be changed while the sandbox runs.
See :mod:`scdata.sandbox.edge` (limits, walls, outages) and :mod:`scdata.sandbox.shapes`
(how objects look) for what they mean and where the behaviour comes from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .edge import OUTAGE_KINDS, Edge
from .shapes import EMBEDDED_MODES, LOCATION_STYLES, UNKNOWN_OWNER_MODES, Shapes

if TYPE_CHECKING:
    from .app import App
    from .catalog import Catalog
    from .log import RequestLog
    from .shortlinks import ShortLinks

__all__ = ["THROTTLED_CAUSES", "ProductionControls"]

#: Causes (see :class:`~scdata.sandbox.log.RequestRecord`) counted by ``throttled()``.
THROTTLED_CAUSES = ("throttle", "block", "incident")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _flag(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


class ProductionControls:
    """Run-time switches of the production behaviour (mixed into ``Sandbox``)."""

    catalog: Catalog
    _edge: Edge
    _shapes: Shapes
    _short_links: ShortLinks
    _log: RequestLog
    _app: App

    # -- mode and request rate ---------------------------------------------------------
    @property
    def production(self) -> bool:
        """Whether the sandbox was created in production mode (the default)."""
        return self._edge.production

    @property
    def request_rate(self) -> float:
        """Requests per second each app may send to the API (0 = no limit; settable).

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> sb = Sandbox(artists=0)
        >>> sb.request_rate, sb.request_burst
        (10.0, 20)
        >>> sb.request_rate = 0
        """
        return self._edge.limiter.rate

    @request_rate.setter
    def request_rate(self, rate: float) -> None:
        self._edge.limiter.configure(rate, self._edge.limiter.burst)

    @property
    def request_burst(self) -> int:
        """Requests an app may send at once before the rate applies (settable)."""
        return self._edge.limiter.burst

    @request_burst.setter
    def request_burst(self, burst: int) -> None:
        self._edge.limiter.configure(self._edge.limiter.rate, burst)

    @property
    def throttle_mode(self) -> str:
        """Answer over the rate: ``"429"`` (the gateway's) or ``"403"`` (CloudFront page).

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> sb = Sandbox(artists=0)
        >>> sb.throttle_mode = "403"
        >>> sb.throttle_mode = "402"
        Traceback (most recent call last):
        ...
        ValueError: throttle_mode must be one of ('429', '403'), got '402'
        """
        return self._edge.throttle_mode

    @throttle_mode.setter
    def throttle_mode(self, mode: str) -> None:
        self._edge.throttle_mode = mode

    @property
    def throttle_block(self) -> float:
        """In ``"403"`` mode, seconds a trip of the rate limit blocks the IP (0 = none)."""
        return self._edge.throttle_block

    @throttle_block.setter
    def throttle_block(self, seconds: float) -> None:
        if not isinstance(seconds, int | float) or not 0 <= seconds < float("inf"):
            raise ValueError(f"throttle_block must be a finite number >= 0, got {seconds!r}")
        self._edge.throttle_block = float(seconds)

    # -- spells ------------------------------------------------------------------------
    def block_ip(self, seconds: float) -> None:
        """Answer every request (token endpoint too) with CloudFront's 403 for ``seconds``.

        Token POSTs during the block are counted by :meth:`token_attempts` but not by the
        token windows (CloudFront stops them before the server). ``0`` lifts the block.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).block_ip(30)
        """
        self._edge.blocked.start(seconds, "seconds")

    def incident(self, seconds: float) -> None:
        """Answer 429 to everything for ``seconds``, whatever the rate (a server incident).

        API requests get the gateway's 429, token POSTs ``rate_limit_exceeded``.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).incident(5)
        """
        self._edge.incident.start(seconds, "seconds")

    def token_outage(self, seconds: float, kind: str = "500", hold: float | None = None) -> None:
        """Make every token POST fail for ``seconds`` (the windows still count them).

        ``kind``: ``"500"`` (CloudFront 500 HTML page), ``"html403"`` (the 403 "Request
        blocked" page), ``"429"`` (``rate_limit_exceeded`` + ``www-authenticate: Basic``)
        or ``"timeout"`` (the connection is held ``hold`` seconds, default 35 - longer than
        scdata's 30 s timeout - then closed without an answer; at most 300).

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).token_outage(60, kind="timeout", hold=2)
        """
        if kind not in OUTAGE_KINDS:
            raise ValueError(f"kind must be one of {OUTAGE_KINDS}, got {kind!r}")
        self._edge.start_outage(seconds, kind, hold)

    def error_rate(self, fraction: float, status: int = 503, seed: int = 0) -> None:
        """Turn a seeded ``fraction`` of API answers into ``status`` (a 5xx from envoy).

        ``0`` turns it off. The token endpoint is not affected.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).error_rate(0.01)
        """
        self._edge.errors.set(fraction, status, seed)

    def calm(self) -> None:
        """End every spell (blocked IP, incident, token outage) and the error rate.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> sb = Sandbox(artists=0); sb.incident(60); sb.calm()
        """
        for spell in (self._edge.blocked, self._edge.incident, self._edge.outage):
            spell.start(0)
        self._edge.errors.set(0.0)

    # -- token endpoint ------------------------------------------------------------------
    def token_attempts(self) -> int:
        """Token POSTs received since the sandbox was created, whatever their outcome.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).token_attempts()
        0
        """
        return self._edge.token_attempts

    def token_window_used(self, window: str = "ip") -> int:
        """Token POSTs inside the rolling ``"ip"`` or ``"app"`` window now.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).token_window_used("app")
        0
        """
        windows = self._edge.token_windows
        if window not in windows:
            raise ValueError(f"window must be one of {tuple(windows)}, got {window!r}")
        return windows[window].used()

    @property
    def strict_client_auth(self) -> bool:
        """Refuse a token request with two client authentications (``400 invalid_request``)."""
        return self._edge.strict_client_auth

    @strict_client_auth.setter
    def strict_client_auth(self, strict: bool) -> None:
        self._edge.strict_client_auth = _flag("strict_client_auth", strict)

    # -- shapes --------------------------------------------------------------------------
    @property
    def embedded_users(self) -> str:
        """The user embedded in served tracks: ``"zeroed"``, ``"compact"`` or ``"full"``.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).embedded_users
        'zeroed'
        """
        return self._shapes.embedded_users

    @embedded_users.setter
    def embedded_users(self, mode: str) -> None:
        self._shapes.embedded_users = _choice("embedded_users", mode, EMBEDDED_MODES)

    @property
    def location_style(self) -> str:
        """``/resolve`` 302: ``"numeric"``, ``"urn"``, ``"urn-encoded"`` or ``"body-only"``."""
        return self._shapes.location_style

    @location_style.setter
    def location_style(self, style: str) -> None:
        self._shapes.location_style = _choice("location_style", style, LOCATION_STYLES)

    @property
    def unknown_owner(self) -> str:
        """``/users/{urn}/tracks`` of an unknown user: ``"empty200"`` or ``"404"``."""
        return self._shapes.unknown_owner

    @unknown_owner.setter
    def unknown_owner(self, mode: str) -> None:
        self._shapes.unknown_owner = _choice("unknown_owner", mode, UNKNOWN_OWNER_MODES)

    @property
    def utm_links(self) -> bool:
        """Users' ``permalink_url`` end in ``?utm_medium=api&...&utm_source=id_<app_id>``."""
        return self._shapes.utm_links

    @utm_links.setter
    def utm_links(self, on: bool) -> None:
        self._shapes.utm_links = _flag("utm_links", on)

    @property
    def urn_uris(self) -> bool:
        """Users' ``uri`` is ``<sandbox url>/users/soundcloud:users:N``."""
        return self._shapes.urn_uris

    @urn_uris.setter
    def urn_uris(self, on: bool) -> None:
        self._shapes.urn_uris = _flag("urn_uris", on)

    @property
    def app_id(self) -> int:
        """The application id in ``utm_source=id_<app_id>``."""
        return self._shapes.app_id

    @property
    def batch_limit(self) -> int:
        """Refs a batch lookup (``/users?urns=``, ``/tracks?urns=``) may name before 400 (0 = any).

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).batch_limit
        50
        """
        return self._app.router.batch_limit

    @batch_limit.setter
    def batch_limit(self, limit: int) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"batch_limit must be an integer >= 0, got {limit!r}")
        self._app.router.batch_limit = limit

    # -- catalogue -----------------------------------------------------------------------
    def short_link(self, url: str) -> str:
        """Register ``url`` and return an ``https://on.soundcloud.com/<code>`` link to it.

        ``/resolve`` answers the short link as it answers ``url``.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).short_link("https://soundcloud.com/big-catalog")[:26]
        'https://on.soundcloud.com/'
        """
        return self._short_links.add(url)

    def delete_user(self, ref: int | str) -> None:
        """Delete a user (id, URN or permalink): from now on they and their tracks are gone.

        ``/users/{urn}`` and ``/tracks/{urn}`` answer 404, ``/users/{urn}/tracks`` as for any
        unknown user, ``/resolve`` 404.

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=1).delete_user("artist-001")
        """
        self.catalog.delete_user(ref)

    # -- log -------------------------------------------------------------------------------
    def throttled(self) -> int:
        """Answers so far that throttled or blocked (rate limit, blocked IP, incident).

        Examples
        --------
        >>> from scdata.sandbox import Sandbox
        >>> Sandbox(artists=0).throttled()
        0
        """
        return self._log.count(cause=THROTTLED_CAUSES)
