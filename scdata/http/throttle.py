"""One pace and one back-off for everyone who shares a token: threads, processes, machines.

SoundCloud throttles an app as a whole (per-app rate-limit groups; ``../shared/soundcloud-api/
API-NOTES-2.md`` §1.1), so the pace and the pause live in one shared record
(:func:`~scdata.storage.backends.shared_state`, name ``"throttle"``): in this process, a 0600 file
in the
cache directory, or Redis. Every thread of a client, every process sharing the cache directory
and every machine sharing Redis sees the same record.

The record (a JSON dict):

| key            | meaning                                                                  |
|----------------|--------------------------------------------------------------------------|
| ``next_slot``  | GCRA "theoretical arrival time": when the pace allows the next request   |
| ``factor``     | share of ``rate_limit`` in use: halved on throttling, +2 % per success   |
| ``paused_until`` | 0 normally; while throttled, when the pause ends (epoch seconds)       |
| ``probe``, ``probe_until`` | who sends the one test request after a pause, and until when |
| ``level``      | how many pauses in a row (the next one lasts ``throttle_backoff × 2**level``) |
| ``kind``, ``name``, ``reset`` | what the pause is about: ``"429"``/``"403"``, label, reset |

One worker meeting throttling (a 429 with any body, or the CloudFront/WAF HTML 403) records a
pause and halves the factor; every worker then waits. When the pause ends exactly one worker
takes the probe lease and sends its request; the others poll the record for its answer. An
answer that is not throttling ends the pause; throttling doubles it. ``rate_limit=0`` disables
the pace, never the pause. Cache hits never get here (the transport sits behind the cache).
A request costs one update of the record (two while the factor recovers).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from ..errors import BlockedError, RateLimitError
from ..storage.sharedstate import Record, SharedState
from .ratelimits import describe_reset

log = logging.getLogger("scdata")

MIN_FACTOR = 1 / 64  # the pace never drops below rate_limit / 64
RECOVERY_STEP = 0.02  # each answered request gives back 2 % of the rate
MIN_PAUSE = 1.0  # a "Retry-After: 0" still pauses this long (or throttle_backoff if shorter)
MAX_LEVEL = 12  # throttle_backoff × 4096 at most
MAX_PAUSE = 900.0  # one pause lasts at most 15 min (a far reset time: one probe per 15 min)
POLL = 0.2  # seconds between looks at the record while another worker probes
JITTER = (0.8, 1.2)  # a computed pause is multiplied by a random factor in this range


def throttling_kind(response: requests.Response) -> str | None:
    """``"429"`` or ``"403"`` when ``response`` means "slow down", else ``None``.

    Any 429 is throttling, whatever its body (the edge's ``{"error":"Rate Limit Exceeded"}``,
    ``Please slow down.``, the plays or by-IP bodies with ``reset_time``). A 403 is throttling
    when it is CloudFront's or a WAF's HTML page (``text/html``, or ``Server: CloudFront`` /
    ``X-Cache: Error from cloudfront`` with an HTML body); the API's own JSON 403 is a final
    answer.

    Examples
    --------
    >>> r = requests.Response()
    >>> r.status_code, r._content = 403, b'{"code":403,"message":"Forbidden"}'
    >>> r.headers["Content-Type"] = "application/json; charset=utf-8"
    >>> throttling_kind(r) is None
    True
    >>> r.headers["Content-Type"] = "text/html"
    >>> throttling_kind(r)
    '403'
    """
    status = response.status_code
    if status == 429:
        return "429"
    if status != 403:
        return None
    headers = response.headers
    if "html" in headers.get("Content-Type", "").lower():
        return "403"
    edge = (
        "cloudfront" in headers.get("Server", "").lower()
        or "cloudfront" in headers.get("X-Cache", "").lower()
    )
    body = (response.content or b"").lstrip()[:100].lower()
    if edge and body.startswith((b"<!doctype", b"<html", b"<")):
        return "403"
    return None


class WaitBudget:
    """What one call may still wait (``max_retry_wait``); every wait is counted.

    Examples
    --------
    >>> budget = WaitBudget(1.0)
    >>> budget.sleep(0.01); round(budget.left, 2)
    0.99
    """

    def __init__(self, limit: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = float(limit)
        self.waited = 0.0
        self._sleep = sleep

    @property
    def left(self) -> float:
        """Seconds of waiting left (never negative)."""
        return max(0.0, self.limit - self.waited)

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` (at least 0) and count them."""
        seconds = max(0.0, seconds)
        if seconds:
            self._sleep(seconds)
        self.waited += seconds


@dataclasses.dataclass(frozen=True)
class Ticket:
    """Permission to send one request; says whether it is the probe after a pause."""

    owner: str
    probe: bool = False
    factor: float = 1.0


@dataclasses.dataclass(frozen=True)
class Signal:
    """What a throttling answer said: its kind, a wait it named, a label for messages."""

    kind: str  # "429" or "403"
    hint: float | None = None  # Retry-After or reset_time, in seconds from now
    name: str = ""  # "Rate Limit Exceeded", "plays", "Request blocked"
    reset: datetime | None = None  # the body's reset_time
    where: str = ""  # "GET /users/1/tracks", for the log


class Throttle:
    """The shared pace and back-off of every worker using one token.

    Parameters
    ----------
    state : SharedState
        The shared record (``scdata.storage.backends.shared_state(settings, redis, "throttle")``).
    rate : float
        ``rate_limit``: requests per second at full pace (0: no pacing).
    backoff : float
        ``throttle_backoff``: the first pause, in seconds.
    lease : float
        How long a probe may take before another worker may take over.

    Examples
    --------
    >>> from scdata.storage.sharedstate import MemoryState
    >>> throttle = Throttle(MemoryState(), rate=100.0, backoff=15.0)
    >>> ticket = throttle.acquire(WaitBudget(60))
    >>> ticket.probe, throttle.state.read()["factor"]
    (False, 1.0)
    """

    def __init__(
        self,
        state: SharedState,
        *,
        rate: float,
        backoff: float,
        lease: float = 45.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.rate = float(rate)
        self.backoff = float(backoff)
        self.lease = float(lease)
        self._clock = clock
        self._owner = uuid.uuid4().hex

    # -- before a request ----------------------------------------------------------------------
    def acquire(self, budget: WaitBudget) -> Ticket:
        """Wait until this worker may send: paused → wait, probing → wait for the probe, else pace.

        Raises :class:`RateLimitError` (or :class:`BlockedError` for the 403 wall) at once when
        the pause would outlast what is left of ``budget``.
        """
        owner = f"{self._owner}:{uuid.uuid4().hex[:8]}"
        while True:
            if self.rate <= 0:
                record = self.state.read()
                if not record.get("paused_until"):
                    return Ticket(owner, factor=_factor(record))
            decision: dict[str, Any] = {}
            record = self.state.update(
                functools.partial(self._take, owner=owner, decision=decision)
            )
            action, wait = decision["action"], decision["wait"]
            if action == "go":
                if wait > 0:
                    time.sleep(wait)  # pacing: not a throttling wait, not counted
                    if wait > POLL and self.state.read().get("paused_until", 0) > self._clock():
                        continue  # a pause began while this worker waited for its slot
                return Ticket(owner, factor=_factor(record))
            if action == "probe":
                return Ticket(owner, probe=True, factor=_factor(record))
            if action == "paused":
                if wait > budget.left:
                    raise self._error(record, budget, wait)
                budget.sleep(wait + random.uniform(0, POLL))
                continue
            # another worker is probing: look again shortly
            if budget.left <= 0:
                raise self._error(record, budget, max(wait, POLL))
            budget.sleep(min(POLL, budget.left))

    def _take(self, record: Record, owner: str, decision: dict[str, Any]) -> None:
        now = self._clock()
        paused_until = float(record.get("paused_until") or 0)
        if paused_until > now:
            decision.update(action="paused", wait=paused_until - now)
            return
        if paused_until:
            probe_until = float(record.get("probe_until") or 0)
            if record.get("probe") and probe_until > now:
                decision.update(action="await", wait=probe_until - now)
                return
            record.update(probe=owner, probe_until=now + self.lease)
            decision.update(action="probe", wait=0.0)
            return
        if self.rate <= 0:
            decision.update(action="go", wait=0.0)
            return
        interval, tau = self._spacing(_factor(record))
        tat = max(float(record.get("next_slot") or 0), now)
        record["next_slot"] = tat + interval
        record.setdefault("factor", 1.0)
        decision.update(action="go", wait=max(0.0, tat - tau - now))

    def _spacing(self, factor: float) -> tuple[float, float]:
        """Seconds between requests, and the burst tolerance (GCRA's tau), at ``factor``."""
        rate = self.rate * factor
        interval = 1.0 / rate
        burst = max(1.0, rate)
        return interval, (burst - 1.0) * interval

    # -- after the answer ----------------------------------------------------------------------
    def answered(self, ticket: Ticket) -> None:
        """The request got an answer that is not throttling: end the pause if it was the probe."""
        if not ticket.probe and ticket.factor >= 1.0:
            return  # the usual case: no second update
        resumed: list[float] = []

        def change(record: Record) -> None:
            now = self._clock()
            if ticket.probe and record.get("probe") == ticket.owner:
                factor = _factor(record)
                record.update(paused_until=0, probe=None, probe_until=0, level=0)
                if self.rate > 0:
                    # no burst after a pause: the next slots are spaced from now on
                    record["next_slot"] = now + self._spacing(factor)[1]
                resumed.append(factor)
            elif float(record.get("paused_until") or 0):
                return  # a pause is on: no recovery now
            record["factor"] = min(1.0, _factor(record) + RECOVERY_STEP)

        self.state.update(change)
        if resumed:
            log.warning(
                "SoundCloud answered again; every worker resumes at %s",
                self._pace_text(resumed[0]),
            )

    def abandon(self, ticket: Ticket) -> None:
        """The request got no answer (connection error): give the probe lease back."""
        if not ticket.probe:
            return

        def change(record: Record) -> None:
            if record.get("probe") == ticket.owner:
                record.update(probe=None, probe_until=0)

        self.state.update(change)

    def throttled(self, ticket: Ticket, signal: Signal) -> None:
        """The request met throttling: start a pause for everyone (or join the current one)."""
        started: list[tuple[float, float]] = []

        def change(record: Record) -> None:
            now = self._clock()
            paused_until = float(record.get("paused_until") or 0)
            if not (ticket.probe and record.get("probe") == ticket.owner) and paused_until:
                # a pause (or its probe) is already on: join it; a later reset time extends it
                if signal.hint is not None and paused_until > now:
                    longer = now + min(MAX_PAUSE, signal.hint)
                    record["paused_until"] = max(paused_until, longer)
                return
            level = min(int(record.get("level") or 0), MAX_LEVEL)
            if signal.hint is not None:
                pause = signal.hint
            else:
                pause = self.backoff * 2**level * random.uniform(*JITTER)
            pause = min(MAX_PAUSE, max(pause, min(MIN_PAUSE, self.backoff)))
            factor = max(MIN_FACTOR, _factor(record) / 2)
            record.update(
                paused_until=now + pause,
                level=level + 1,
                factor=factor,
                probe=None,
                probe_until=0,
                kind=signal.kind,
                name=signal.name,
                reset=signal.reset.isoformat() if signal.reset else None,
            )
            started.append((pause, factor))

        self.state.update(change)
        if started:
            pause, factor = started[0]
            what = (
                "SoundCloud's edge (CloudFront) is blocking requests (HTML 403"
                if signal.kind == "403"
                else "SoundCloud is throttling this app (HTTP 429"
            )
            label = f" {signal.name!r}" if signal.name else ""
            log.warning(
                "%s%s on %s); every worker sharing this token pauses for %.1f s, then one "
                "request tests whether it is over; pace now %s",
                what,
                label,
                signal.where,
                pause,
                self._pace_text(factor),
            )

    # -- messages ------------------------------------------------------------------------------
    def _pace_text(self, factor: float) -> str:
        if self.rate <= 0:
            return "unpaced (SCDATA_RATE_LIMIT=0)"
        return f"{self.rate * factor:.3g} requests/s (SCDATA_RATE_LIMIT={self.rate:g})"

    def _error(self, record: Record, budget: WaitBudget, wait: float) -> RateLimitError:
        waited = round(budget.waited)
        cap = f"{budget.limit:g} s allowed (max_retry_wait / SCDATA_MAX_RETRY_WAIT)"
        name = record.get("name") or None
        if record.get("kind") == "403":
            return BlockedError(
                "SoundCloud's edge (CloudFront) is blocking this IP: it answered with its HTML "
                f"403 'Request blocked' page. This is throttling, not a permission error. Waited "
                f"{waited} s of the {cap}; the next try would be in {math.ceil(wait)} s. Wait "
                "minutes to hours before trying again; shared or datacenter IPs (cloud machines, "
                "CI runners, VPNs) are blocked more often than home connections; lower the rate "
                "(SCDATA_RATE_LIMIT) for the next run.",
                limit_name=name,
            )
        reset = _parse_reset(record.get("reset"))
        if reset is not None:
            return RateLimitError(
                f"SoundCloud rate limit {name or 'unnamed'!r} reached; it resets "
                f"{describe_reset(reset)}, beyond the {math.floor(budget.left)} s of waiting left "
                f"of the {cap}",
                reset_time=reset,
                limit_name=name,
            )
        label = f" ({name!r})" if name else ""
        return RateLimitError(
            f"SoundCloud is throttling this app (HTTP 429{label}) and gave no reset time; "
            f"waited {waited} s of the {cap}, and the next pause would last {math.ceil(wait)} s. "
            "Lower SCDATA_RATE_LIMIT (the pace every thread and process sharing this token "
            f"shares, now {self.rate:g}/s) and wait a few minutes before running again.",
            limit_name=name,
        )


def _factor(record: Record) -> float:
    try:
        value = float(record.get("factor", 1.0))
    except (TypeError, ValueError):
        return 1.0
    return min(1.0, max(MIN_FACTOR, value)) if math.isfinite(value) else 1.0


def _parse_reset(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).astimezone(UTC)
    except ValueError:
        return None
