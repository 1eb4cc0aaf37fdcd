"""Clocked state of the sandbox's production mode: request buckets, rolling windows, spells.

Each class is small, thread-safe and O(1) per request (amortised for :class:`RollingWindow`),
so the emulator's hot path stays fast. Times are ``time.monotonic()`` seconds unless a
method takes ``now``.
"""

from __future__ import annotations

import collections
import math
import random
import threading
import time

__all__ = ["ErrorRate", "RequestLimiter", "RollingWindow", "Spell"]


class RequestLimiter:
    """A token bucket per key (per app): ``rate`` requests/s sustained, ``burst`` at once.

    ``rate`` 0 means no limit. A refused request costs nothing (the bucket only refills).

    Examples
    --------
    >>> limiter = RequestLimiter(rate=1.0, burst=2)
    >>> [limiter.allow("app", now=0.0) for _ in range(3)]
    [True, True, False]
    >>> limiter.allow("app", now=1.0), limiter.allow("other", now=1.0)
    (True, True)
    >>> RequestLimiter(rate=0, burst=1).allow("app")
    True
    """

    def __init__(self, rate: float, burst: int) -> None:
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill]
        self._lock = threading.Lock()
        self.configure(rate, burst)

    def configure(self, rate: float, burst: int) -> None:
        """Change the rate and burst (buckets are refilled to the new burst)."""
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not math.isfinite(rate):
            raise ValueError(f"request_rate must be a finite number >= 0, got {rate!r}")
        if rate < 0:
            raise ValueError(f"request_rate must be >= 0, got {rate!r}")
        if not isinstance(burst, int) or isinstance(burst, bool) or burst < 1:
            raise ValueError(f"request_burst must be an integer >= 1, got {burst!r}")
        with self._lock:
            self.rate = float(rate)
            self.burst = burst
            self._buckets.clear()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one request from ``key``'s bucket; return whether it was there."""
        if self.rate <= 0:
            return True
        clock = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = [float(self.burst), clock]
            tokens = min(float(self.burst), bucket[0] + (clock - bucket[1]) * self.rate)
            bucket[1] = clock
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return True
            bucket[0] = tokens
            return False


class RollingWindow:
    """A sliding-window counter: at most ``limit`` events in any ``seconds``.

    :meth:`record` counts an event (every one, allowed or not) and says whether the
    window is over its limit including it.

    Examples
    --------
    >>> window = RollingWindow(limit=2, seconds=10)
    >>> [window.record(now=t) for t in (0, 1, 2)]
    [False, False, True]
    >>> window.reset_at(), window.record(now=10.5), window.record(now=12.5)
    (10.0, True, False)
    """

    def __init__(self, limit: int, seconds: float, name: str = "window") -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"{name} limit must be an integer >= 0, got {limit!r}")
        if not isinstance(seconds, int | float) or not 0 < seconds < math.inf:
            raise ValueError(f"{name} window must be a number of seconds > 0, got {seconds!r}")
        self.limit = limit
        self.seconds = float(seconds)
        self.name = name
        self._events: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def _prune(self, clock: float) -> None:
        events = self._events
        while events and events[0] <= clock - self.seconds:
            events.popleft()

    def record(self, now: float | None = None) -> bool:
        """Count one event; return ``True`` if the window now holds more than ``limit``."""
        clock = time.monotonic() if now is None else now
        with self._lock:
            self._prune(clock)
            self._events.append(clock)
            return len(self._events) > self.limit

    def used(self, now: float | None = None) -> int:
        """Events inside the window now."""
        clock = time.monotonic() if now is None else now
        with self._lock:
            self._prune(clock)
            return len(self._events)

    def reset_at(self) -> float:
        """Clock time when the oldest counted event leaves the window (now if empty)."""
        with self._lock:
            return self._events[0] + self.seconds if self._events else time.monotonic()


class Spell:
    """A switch that stays on for a while (``start(seconds)``), then turns itself off.

    Examples
    --------
    >>> spell = Spell()
    >>> spell.active()
    False
    >>> spell.start(60); spell.active()
    True
    >>> spell.start(0); spell.active()
    False
    """

    def __init__(self) -> None:
        self._until = 0.0

    def start(self, seconds: float, name: str = "seconds") -> None:
        """Switch on for ``seconds`` from now (0 switches off)."""
        if not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
            raise ValueError(f"{name} must be a finite number >= 0, got {seconds!r}")
        self._until = time.monotonic() + seconds if seconds > 0 else 0.0

    def active(self) -> bool:
        """Whether the spell is on now."""
        return self._until > 0.0 and time.monotonic() < self._until

    def remaining(self) -> float:
        """Seconds left (0 when off)."""
        return max(0.0, self._until - time.monotonic()) if self._until else 0.0


class ErrorRate:
    """A seeded draw deciding which answers become a server error.

    Examples
    --------
    >>> rate = ErrorRate()
    >>> rate.set(0.5, status=503, seed=1)
    >>> draws = [rate.draw() for _ in range(1000)]
    >>> 400 < draws.count(503) < 600, set(draws) == {None, 503}
    (True, True)
    >>> rate.set(0.0); rate.draw() is None
    True
    """

    def __init__(self) -> None:
        self.fraction = 0.0
        self.status = 503
        self._rng = random.Random(0)
        self._lock = threading.Lock()

    def set(self, fraction: float, status: int = 503, seed: int = 0) -> None:
        """Make ``fraction`` (0-1) of the answers ``status`` (5xx), drawn from ``seed``."""
        if not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be a number in [0, 1], got {fraction!r}")
        if not isinstance(status, int) or not 500 <= status <= 599:
            raise ValueError(f"status must be a 5xx status code, got {status!r}")
        with self._lock:
            self.fraction = float(fraction)
            self.status = status
            self._rng = random.Random(seed)

    def draw(self) -> int | None:
        """Return the status to answer with, or ``None`` for a normal answer."""
        if self.fraction <= 0:
            return None
        with self._lock:
            return self.status if self._rng.random() < self.fraction else None
