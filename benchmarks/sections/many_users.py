"""many users: ``tracks_df([users])`` against a serial loop, and whether the rate limit held."""

from __future__ import annotations

import dataclasses
import math

from _common import Bench, bucket_respected, busiest_second, say, timer
from _report import Row, seconds, times

from scdata._fanout import DEFAULT_WORKERS

TARGET_MANY = 4.0  # concurrent tracks_df at least this many times faster than a serial loop


@dataclasses.dataclass
class ManyUsers:
    serial: float
    serial_gets: int
    concurrent: float
    arrivals: list[float]  # the concurrent pull's GETs
    rows: int  # of the concurrent pull's frame
    unlimited: float  # the concurrent pull with rate_limit=0

    @property
    def gets(self) -> int:
        return len(self.arrivals)


@dataclasses.dataclass
class Bounds:
    """The best the concurrent pull can do given the latency and the rate limit."""

    waves: int  # rounds of DEFAULT_WORKERS users
    latency: float  # seconds
    rate: float  # seconds
    ceiling: float  # best speed-up with the limiter
    ceiling_unlimited: float  # ... and without


def time_serial_loop(bench: Bench, users: list[str]) -> tuple[float, int]:
    """One client, ``tracks_df(user)`` for each user in turn: seconds, GETs."""
    say(f"many users: serial loop of tracks_df(user) over {len(users)} users")
    serial_dir = bench.fresh_dir("many-serial")
    bench.sb.clear_log()
    with timer() as t, bench.client(serial_dir) as client:
        for user in users:
            client.tracks_df(user, progress=False)
    return t[0], bench.gets()


def time_concurrent(bench: Bench, users: list[str]) -> tuple[float, list[float], int]:
    """``tracks_df(users)``: seconds, the GETs' arrival times, rows."""
    say(f"many users: tracks_df([{len(users)} users]), {DEFAULT_WORKERS} workers")
    bench.sb.clear_log()
    with timer() as t:
        frame = bench.tracks_df(bench.fresh_dir("many-concurrent"), users)
    return t[0], bench.get_arrivals(), frame.shape[0]


def time_unlimited(bench: Bench, users: list[str]) -> float:
    """``tracks_df(users)`` with the limiter off."""
    say("many users: the same with the rate limiter off (rate_limit=0, not the default)")
    bench.sb.clear_log()
    with timer() as t:
        bench.tracks_df(bench.fresh_dir("many-unlimited"), users, rate_limit=0)
    return t[0]


def bounds(bench: Bench, many: ManyUsers, users: int) -> Bounds:
    rate, burst = bench.rate, bench.burst
    per_request = many.serial / many.serial_gets
    waves = math.ceil(users / min(DEFAULT_WORKERS, users))
    pages_each = (many.gets - users) / users
    latency_bound = waves * (1 + pages_each) * per_request
    rate_bound = max(0.0, many.gets - burst) / rate if rate > 0 else 0.0
    ceiling = many.serial / max(latency_bound, rate_bound)
    return Bounds(waves, latency_bound, rate_bound, ceiling, many.serial / latency_bound)


def run(bench: Bench) -> None:
    users = bench.sizes.users
    each = bench.sb.catalog.user(users[0])["track_count"]
    serial, serial_gets = time_serial_loop(bench, users)
    concurrent, arrivals, rows = time_concurrent(bench, users)
    unlimited = time_unlimited(bench, users)
    many = ManyUsers(serial, serial_gets, concurrent, arrivals, rows, unlimited)
    bound = bounds(bench, many, len(users))
    report(bench, many, bound, f"{len(users)} users × {each:,} tracks ({rows:,} rows), cold")
    bench.note(why_note(bench, many, bound, len(users)))


def report(bench: Bench, many: ManyUsers, bound: Bounds, label: str) -> None:
    rate, burst, serial = bench.rate, bench.burst, many.serial
    bench.add(
        Row(
            "many users",
            f"wall time, {label}: tracks_df([...]) vs a serial loop",
            seconds(many.concurrent),
            seconds(serial),
            f"{serial / many.concurrent:.2f}× faster",
            f"≥ {TARGET_MANY:g}× faster",
            serial / many.concurrent >= TARGET_MANY,
        ),
        Row(
            "many users",
            f"request rate (GETs / wall time); limiter {rate:g}/s, burst {burst:g}",
            f"{many.gets / many.concurrent:.1f}/s ({many.gets} GETs, busiest second "
            f"{busiest_second(many.arrivals)})",
            f"serial {many.serial_gets / serial:.1f}/s ({many.serial_gets} GETs)",
            target=f"token bucket {rate:g}/s + burst {burst:g}",
            ok=bucket_respected(many.arrivals, rate, burst),
        ),
        Row(
            "many users",
            f"best speed-up possible at {bench.sb.latency * 1000:g} ms latency and {rate:g} req/s",
            times(bound.ceiling),
            ratio=f"rate bound {seconds(bound.rate)}, latency bound {seconds(bound.latency)}",
        ),
        Row(
            "many users",
            "wall time with rate_limit=0 (limiter off; not the default)",
            seconds(many.unlimited),
            seconds(serial),
            f"{serial / many.unlimited:.1f}× faster",
            target=f"best possible {times(bound.ceiling_unlimited)}",
        ),
    )


def why_note(bench: Bench, many: ManyUsers, bound: Bounds, users: int) -> str:
    """Why the speed-up is what it is: the rate bound, the latency bound, the target."""
    rate, burst, serial, gets = bench.rate, bench.burst, many.serial, many.gets
    why = (
        f"many users: at {bench.sb.latency * 1000:g} ms per request a serial loop runs at "
        f"{many.serial_gets / serial:.0f} requests/s; the benchmark's client-side limit is "
        f"{rate:g} requests/s (burst {burst:g}). {gets} GETs need at least max(({gets} − "
        f"{burst:g}) / {rate:g}, 0) = {bound.rate:.1f} s whatever the workers (rate bound), and "
        f"each user's pages come one after another, {bound.waves} wave(s) of "
        f"{min(DEFAULT_WORKERS, users)} users = {bound.latency:.1f} s (latency bound); serial "
        f"took {serial:.1f} s, so tracks_df([...]) can be at most {bound.ceiling:.2f}× faster "
        "here."
    )
    if bound.ceiling < TARGET_MANY <= bound.ceiling_unlimited:
        needed = (gets - burst) / (serial / TARGET_MANY)
        why += (
            f" The ≥ {TARGET_MANY:g}× target is out of reach with the benchmark's rate_limit at "
            f"this latency: it needs a limit of about {needed:.0f} requests/s or more. "
            f"With the limiter off the same call took {many.unlimited:.2f} s "
            f"({serial / many.unlimited:.1f}×)."
        )
    elif bound.ceiling_unlimited < TARGET_MANY:
        why += (
            f" Even without a rate limit the latency bound allows only "
            f"{bound.ceiling_unlimited:.1f}×: too few users per worker for ≥ {TARGET_MANY:g}×."
        )
    return why
