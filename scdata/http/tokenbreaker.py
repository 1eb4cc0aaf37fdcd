"""The token circuit breaker: after a failed token request, nobody asks again for a while.

SoundCloud's token endpoint counts every request against rolling windows (30 per IP per hour,
50 per app per 12 h), failed ones included (``../shared/soundcloud-api/API-NOTES-2.md`` §1.2).
A client that retries a failing token endpoint burns the budget of everyone on its IP, so after
a failed token request every thread and process sharing the token store (its shared record,
:func:`~scdata.storage.backends.shared_state` ``"token"``) waits ``token_cooldown`` seconds before
the
next one; the cool-down doubles while failures repeat (at most one hour, or the setting when
larger) and resets on success. A call during the cool-down fails at once with
:class:`~scdata.errors.TokenCooldownError`.

The record (a JSON object; every field optional, bad values read as absent):

| field                        | meaning                                                      |
|------------------------------|--------------------------------------------------------------|
| ``open_until``               | epoch seconds; no token request before it                    |
| ``cooldown``                 | the last cool-down applied, seconds                          |
| ``consecutive_failures``     | failed token requests since the last success                 |
| ``last_failure``             | ``{"at", "grant", "status", "error"}`` (never a secret)      |
| ``last_success_at``          | epoch seconds of the last token obtained                     |
| ``attempts``                 | ``[{"at", "grant", "ok"}]`` of the last hour (at most 200)   |
| ``refresh_fallbacks``        | refreshes refused (400/401) and replaced by client credentials|
| ``last_refresh_fallback_at`` | epoch seconds of the last one                                |
| ``last_rejection_at``        | epoch seconds of the last API 401 that invalidated the token |
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from ..errors import TokenCooldownError
from ..storage.sharedstate import Record, SharedState

MAX_COOLDOWN = 3600.0
MAX_NOT_BEFORE = 12 * 3600.0  # a 429's reset_time is honoured up to the 12 h app window
ATTEMPT_WINDOW = 3600.0
MAX_ATTEMPTS = 200
REJECTION_WINDOW = 300.0  # a token issued after an API 401 and rejected within this: no storm


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) else 0.0


def _utc(epoch: float) -> str:
    return f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M:%S} UTC"


def describe_failure(failure: object) -> str:
    """``"HTTP 500 error (client_credentials)"`` from a ``last_failure`` entry.

    Examples
    --------
    >>> describe_failure({"grant": "refresh_token", "status": 429, "error": "rate_limit_exceeded"})
    'HTTP 429 rate_limit_exceeded (refresh_token)'
    >>> describe_failure({"grant": "client_credentials", "status": None, "error": "ReadTimeout"})
    'ReadTimeout (client_credentials)'
    """
    if not isinstance(failure, dict):
        return "unknown failure"
    status, error, grant = failure.get("status"), failure.get("error"), failure.get("grant")
    text = str(error or "error")[:120]
    if isinstance(status, int) and not isinstance(status, bool):
        text = f"HTTP {status} {text}"
    return f"{text} ({grant})" if isinstance(grant, str) else text


class TokenBreaker:
    """The shared record of token requests, and the cool-down it imposes.

    Parameters
    ----------
    state : SharedState
        The record shared by everyone who shares the token.
    cooldown : float
        ``Settings.token_cooldown``: seconds without a token request after a failure
        (``0`` switches the breaker off).

    Examples
    --------
    >>> from scdata.storage.sharedstate import MemoryState
    >>> breaker = TokenBreaker(MemoryState(), cooldown=60)
    >>> breaker.check()  # closed: nothing happens
    >>> _ = breaker.failed("client_credentials", 500, "error")
    >>> try:
    ...     breaker.check()
    ... except TokenCooldownError as exc:
    ...     print(str(exc)[:63])
    Fallo en la autenticación de SoundCloud: no token request until
    """

    def __init__(self, state: SharedState, cooldown: float) -> None:
        self.state = state
        self.cooldown = max(0.0, _num(cooldown))

    def cooldown_for(self, failures: int) -> float:
        """The cool-down after ``failures`` failures in a row: doubling, capped.

        Examples
        --------
        >>> from scdata.storage.sharedstate import MemoryState
        >>> [TokenBreaker(MemoryState(), 60).cooldown_for(n) for n in (1, 2, 3, 7, 50)]
        [60.0, 120.0, 240.0, 3600.0, 3600.0]
        """
        cap = max(MAX_COOLDOWN, self.cooldown)
        return min(cap, self.cooldown * 2.0 ** min(max(failures, 1) - 1, 40))

    # -- reading ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`TokenCooldownError` while the breaker is open."""
        record = self.state.read()
        until = _num(record.get("open_until"))
        now = time.time()
        if until > now:
            raise self._cooldown_error(record, until, now)

    @staticmethod
    def _cooldown_error(record: Record, until: float, now: float) -> TokenCooldownError:
        failures = int(_num(record.get("consecutive_failures")))
        detail = (
            f"no token request until {_utc(until)} (in {math.ceil(until - now)} s): the last "
            f"one failed ({describe_failure(record.get('last_failure'))}"
            + (f", {failures} failures in a row" if failures > 1 else "")
            + "). SoundCloud counts failed token requests against its limits (30 per IP per "
            "hour, 50 per app per 12 h), so every thread and process sharing this token waits "
            "(SCDATA_TOKEN_COOLDOWN)"
        )
        return TokenCooldownError(detail, datetime.fromtimestamp(until, UTC))

    def describe_wait(self, until: float) -> str:
        """``"no new token request until … UTC (in N s)"`` for the error of a failed request."""
        now = time.time()
        if until <= now:
            return "the next call may ask again"
        return f"no new token request until {_utc(until)} (in {math.ceil(until - now)} s)"

    # -- recording -------------------------------------------------------------------------------
    @staticmethod
    def _attempt(record: Record, now: float, grant: str, ok: bool) -> None:
        attempts = record.get("attempts")
        kept = [
            a
            for a in (attempts if isinstance(attempts, list) else [])
            if isinstance(a, dict) and now - _num(a.get("at")) < ATTEMPT_WINDOW
        ]
        kept.append({"at": now, "grant": grant, "ok": ok})
        record["attempts"] = kept[-MAX_ATTEMPTS:]

    def _open(
        self, record: Record, now: float, grant: str, status: int | None, error: str, **extra: Any
    ) -> None:
        failures = int(_num(record.get("consecutive_failures"))) + 1
        cooldown = self.cooldown_for(failures)
        until = now + cooldown
        not_before = _num(extra.get("not_before"))
        if not_before:
            until = max(until, min(not_before, now + MAX_NOT_BEFORE))
        record.update(
            consecutive_failures=failures,
            cooldown=cooldown,
            open_until=until if cooldown or not_before else 0.0,
            last_failure={"at": now, "grant": grant, "status": status, "error": error},
        )

    def failed(
        self,
        grant: str,
        status: int | None,
        error: str,
        *,
        not_before: float | None = None,
    ) -> float:
        """Record a failed token request and open the breaker; return when it closes."""

        def change(record: Record) -> None:
            now = time.time()
            self._attempt(record, now, grant, False)
            self._open(record, now, grant, status, error, not_before=not_before)

        return _num(self.state.update(change).get("open_until"))

    def succeeded(self, grant: str) -> None:
        """Record a token obtained: the breaker closes and the cool-down resets."""

        def change(record: Record) -> None:
            now = time.time()
            self._attempt(record, now, grant, True)
            record.update(consecutive_failures=0, open_until=0.0, last_success_at=now)

        self.state.update(change)

    def refresh_refused(self, status: int | None, error: str) -> int:
        """Record a refresh refused (400/401) that falls back to client credentials.

        The breaker stays closed (the fallback is the next request). Returns the total number
        of fallbacks recorded.
        """

        def change(record: Record) -> None:
            now = time.time()
            self._attempt(record, now, "refresh_token", False)
            record["refresh_fallbacks"] = int(_num(record.get("refresh_fallbacks"))) + 1
            record["last_refresh_fallback_at"] = now
            record["last_refresh_refusal"] = {"at": now, "status": status, "error": error}

        return int(_num(self.state.update(change).get("refresh_fallbacks")))

    def api_rejected(self, obtained_at: float) -> bool:
        """Record an API 401 for a token obtained at ``obtained_at``; True opens the breaker.

        The first 401 lets the caller renew the token once. When the token issued after that
        401 is rejected too (within five minutes), the API refuses fresh tokens (as during
        SoundCloud's 2025 JWT migration): renewing again would only spend token requests, so
        the breaker opens instead.
        """
        opened = False

        def change(record: Record) -> None:
            nonlocal opened
            now = time.time()
            last = _num(record.get("last_rejection_at"))
            if last and obtained_at >= last and now - last < REJECTION_WINDOW:
                opened = True
                self._open(record, now, "api", 401, "the API rejected a freshly issued token")
            record["last_rejection_at"] = now

        self.state.update(change)
        return opened

    # -- reporting -------------------------------------------------------------------------------
    def report(self) -> dict[str, str]:
        """What ``scdata cache info`` shows: recent attempts, fallbacks, breaker state.

        Examples
        --------
        >>> from scdata.storage.sharedstate import MemoryState
        >>> TokenBreaker(MemoryState(), 60).report()["token breaker"]
        'closed'
        """
        record = self.state.read()
        now = time.time()
        listed = record.get("attempts")
        attempts = [
            a
            for a in (listed if isinstance(listed, list) else [])
            if isinstance(a, dict) and now - _num(a.get("at")) < ATTEMPT_WINDOW
        ]
        if attempts:
            failed = sum(1 for a in attempts if a.get("ok") is not True)
            grants: dict[str, int] = {}
            for a in attempts:
                grant = str(a.get("grant"))
                grants[grant] = grants.get(grant, 0) + 1
            last = max(_num(a.get("at")) for a in attempts)
            kinds = ", ".join(f"{g} {n}" for g, n in sorted(grants.items()))
            recent = f"{len(attempts)} ({failed} failed), last at {_utc(last)}; {kinds}"
        else:
            recent = "none"
        fallbacks = int(_num(record.get("refresh_fallbacks")))
        fallback_text = str(fallbacks)
        if fallbacks:
            fallback_text += f", last at {_utc(_num(record.get('last_refresh_fallback_at')))}"
            refusal = record.get("last_refresh_refusal")
            if isinstance(refusal, dict):
                fallback_text += f" after {describe_failure(refusal)}"
        until = _num(record.get("open_until"))
        if until > now:
            breaker = (
                f"open until {_utc(until)} (in {math.ceil(until - now)} s) after "
                f"{describe_failure(record.get('last_failure'))}"
            )
        else:
            breaker = "closed"
            if _num(record.get("consecutive_failures")):
                breaker += f" (last failure: {describe_failure(record.get('last_failure'))})"
        return {
            "token requests (last hour)": recent,
            "refresh fallbacks": fallback_text,
            "token breaker": breaker,
        }

    def __repr__(self) -> str:
        return f"TokenBreaker({self.state!r}, cooldown={self.cooldown:g})"
