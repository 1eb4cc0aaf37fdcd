"""fleet: many users on a Dask cluster of processes against one process, both cold."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd
from _common import (
    PAGE,
    Bench,
    bucket_respected,
    busiest_second,
    cpu_seconds,
    environ,
    say,
    speed_up,
    timer,
)
from _emulator import build_tracks
from _report import Row, seconds

from scdata._fanout import DEFAULT_WORKERS

TARGET_FLEET_EXCHANGES = 1  # the whole Dask fleet shares one token through the cache dir
FLEET_WORKERS = 2  # distributed.LocalCluster(n_workers=..., threads_per_worker=...)
FLEET_THREADS = 4
SLOTS = FLEET_WORKERS * FLEET_THREADS  # partitions computed at once
# imported in every worker while the cluster starts (part of the startup time, as this
# process's imports are paid by warm_up before anything is timed)
FLEET_IMPORTS = ("scdata", "scdata.dask", "dask.dataframe", "pyarrow.parquet", "pyarrow.dataset")


@dataclasses.dataclass
class OneProcess:
    """``Client.tracks_df(users)`` in this process."""

    seconds: float
    gets: int
    cpu: float  # this process: the client
    emulator_cpu: float
    exchanges: int
    busiest: int
    frame: pd.DataFrame


@dataclasses.dataclass
class DaskPull:
    """``tracks_ddf(users).to_parquet(...)`` on the cluster."""

    seconds: float
    startup: float
    shutdown: float
    gets: int
    exchanges: int
    arrivals: list[float]
    workers_cpu: float
    main_cpu: float  # this process: the scheduler
    emulator_cpu: float
    worker_pids: int
    partitions: int
    out: Path  # the Parquet dataset written


@dataclasses.dataclass
class Written:
    """The Parquet dataset read back, against the one-process frame."""

    rows: int
    rows_written: int
    same_users: bool
    same_urns: bool

    @property
    def match(self) -> bool:
        return self.rows == self.rows_written and self.same_users and self.same_urns


@dataclasses.dataclass
class Bounds:
    """What each path can do at best, given the latency and the per-process rate limit."""

    single_rate: float
    single_latency: float
    fleet_rate: float
    fleet_latency: float

    @property
    def single(self) -> float:
        return max(self.single_rate, self.single_latency)

    @property
    def fleet(self) -> float:
        return max(self.fleet_rate, self.fleet_latency)


def pull_in_one_process(bench: Bench, users: list[str]) -> OneProcess:
    say(f"fleet: one process, tracks_df([{len(users)} users]), {DEFAULT_WORKERS} threads")
    sb = bench.sb
    sb.clear_log()
    before, cpu_before, emulator_before = sb.token_exchanges, cpu_seconds(), sb.cpu_seconds()
    with timer() as t:
        frame = bench.tracks_df(bench.fresh_dir("fleet-single"), users)
    cpu = cpu_seconds() - cpu_before
    emulator = sb.cpu_seconds() - emulator_before
    gets = bench.gets()
    exchanges = sb.token_exchanges - before
    arrivals = bench.get_arrivals()
    return OneProcess(t[0], gets, cpu, emulator, exchanges, busiest_second(arrivals), frame)


def start_cluster(stack: contextlib.ExitStack) -> tuple[Any, float]:
    """A started cluster's ``distributed.Client`` and the seconds the startup took.

    The cluster and the client are entered on ``stack``: closing it (timed by the caller)
    shuts them down.
    """
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    say(
        f"fleet: starting distributed.LocalCluster({FLEET_WORKERS} processes × "
        f"{FLEET_THREADS} threads)"
    )
    with timer() as t:
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=FLEET_WORKERS,
                threads_per_worker=FLEET_THREADS,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        )
        dask_client = stack.enter_context(DaskClient(cluster))
        for module in FLEET_IMPORTS:
            dask_client.run(importlib.import_module, module)
        dask_client.wait_for_workers(FLEET_WORKERS)
    return dask_client, t[0]


def pull_on_cluster(bench: Bench, users: list[str]) -> DaskPull:
    """Cluster startup, the Dask pull writing Parquet, cluster shutdown, each timed apart."""
    from scdata.dask import TRACKS_SCHEMA, tracks_ddf

    sb = bench.sb
    cache = bench.fresh_dir("fleet-dask-cache")
    out = bench.fresh_dir("fleet-dask-out") / "tracks"
    with contextlib.ExitStack() as stack:
        stack.enter_context(environ(bench.client_env(cache)))
        dask_client, startup = start_cluster(stack)
        worker_pids = set(dask_client.run(os.getpid).values())

        say(f"fleet: tracks_ddf([{len(users)} users]).to_parquet(...) on the cluster")
        sb.clear_log()
        before, cpu_before, emulator_before = sb.token_exchanges, cpu_seconds(), sb.cpu_seconds()
        workers_before = dask_client.run(cpu_seconds)
        with timer() as t:
            ddf = tracks_ddf(users)
            ddf.to_parquet(out, partition_on=["user_permalink"], schema=TRACKS_SCHEMA)
        seconds_taken = t[0]
        main_cpu = cpu_seconds() - cpu_before
        emulator_cpu = sb.cpu_seconds() - emulator_before
        workers_cpu = sum(dask_client.run(cpu_seconds).values()) - sum(workers_before.values())
        gets = bench.gets()
        exchanges = sb.token_exchanges - before
        arrivals = bench.get_arrivals()
        with timer() as t:
            stack.close()
        shutdown = t[0]
    return DaskPull(
        seconds_taken,
        startup,
        shutdown,
        gets,
        exchanges,
        arrivals,
        workers_cpu,
        main_cpu,
        emulator_cpu,
        len(worker_pids),
        ddf.npartitions,
        out,
    )


def read_back(frame: pd.DataFrame, out: Path) -> Written:
    """Compare the written dataset's rows, users and track urns with ``frame``."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(out, format="parquet", partitioning="hive")
    written = dataset.to_table(columns=["user_permalink", "urn"]).to_pandas()
    per_user = frame["user_permalink"].value_counts().sort_index()
    per_user_written = written["user_permalink"].astype(str).value_counts().sort_index()
    same_users = per_user.to_dict() == per_user_written.to_dict()
    same_urns = set(frame["urn"]) == set(written["urn"].astype(str))
    return Written(frame.shape[0], len(written), same_users, same_urns)


def bounds(bench: Bench, one: OneProcess, dask: DaskPull, users: int) -> Bounds:
    rate, burst = bench.rate, bench.burst
    per_user_gets = one.gets / users
    rtt = bench.rtt_page
    fleet_rate = FLEET_WORKERS * rate
    return Bounds(
        single_rate=max(0.0, one.gets - burst) / rate if rate > 0 else 0.0,
        single_latency=math.ceil(users / DEFAULT_WORKERS) * per_user_gets * rtt,
        fleet_rate=(max(0.0, dask.gets - FLEET_WORKERS * burst) / fleet_rate if rate > 0 else 0.0),
        fleet_latency=math.ceil(dask.partitions / SLOTS) * per_user_gets * rtt,
    )


def run(bench: Bench) -> None:
    sb, users = bench.sb, bench.sizes.fleet
    sb.on_catalog(build_tracks, users)  # the emulator builds each user's tracks once; not timed
    each = sb.catalog.user(users[0])["track_count"]
    one = pull_in_one_process(bench, users)
    dask = pull_on_cluster(bench, users)
    written = read_back(one.frame, dask.out)
    bound = bounds(bench, one, dask, len(users))
    report(bench, one, dask, written, each)
    bench.note(*notes(bench, one, dask, bound))


def report(bench: Bench, one: OneProcess, dask: DaskPull, written: Written, each: int) -> None:
    users, rate, burst = len(bench.sizes.fleet), bench.rate, bench.burst
    fleet_rate = FLEET_WORKERS * rate
    label = (
        f"{users} users × {each:,} tracks ({written.rows:,} rows), cold: Dask "
        f"`tracks_ddf(users).to_parquet(...)` on {FLEET_WORKERS} processes × "
        f"{FLEET_THREADS} threads vs one process's `tracks_df(users)`"
    )
    with_startup = dask.startup + dask.seconds
    dask_cpu = dask.workers_cpu + dask.main_cpu + dask.emulator_cpu
    one_cpu = one.cpu + one.emulator_cpu
    bench.add(
        Row(
            "fleet",
            f"wall time, {label}; cluster startup excluded",
            seconds(dask.seconds),
            seconds(one.seconds),
            speed_up(one.seconds, dask.seconds),
        ),
        Row(
            "fleet",
            "wall time with the cluster startup included",
            seconds(with_startup),
            seconds(one.seconds),
            speed_up(one.seconds, with_startup),
        ),
        Row(
            "fleet",
            f"cluster startup: LocalCluster + Client + importing scdata, dask.dataframe, "
            f"pyarrow in each worker (shutdown: {seconds(dask.shutdown)})",
            seconds(dask.startup),
        ),
        Row(
            "fleet",
            f"GETs sent (minimum {users} × (1 `/resolve` + "
            f"{math.ceil(each / PAGE)} pages + the final empty page) = "
            f"{users * (math.ceil(each / PAGE) + 2):,})",
            f"{dask.gets:,}",
            f"one process {one.gets:,}",
        ),
        Row(
            "fleet",
            f"request rate (GETs / wall time, startup excluded); limiter {rate:g}/s per "
            f"process, so {FLEET_WORKERS} worker processes may send {fleet_rate:g}/s",
            f"{dask.gets / dask.seconds:.1f}/s (busiest second {busiest_second(dask.arrivals)})",
            f"one process {one.gets / one.seconds:.1f}/s (busiest second {one.busiest})",
            target=f"≤ {fleet_rate:g}/s + burst {FLEET_WORKERS * burst:g} vs ≤ {rate:g}/s + "
            f"burst {burst:g}",
        ),
        Row(
            "fleet",
            f"CPU seconds (user + system) during the pull, {os.cpu_count()} logical cores "
            "for everything",
            f"workers {dask.workers_cpu:.1f} s + this process {dask.main_cpu:.1f} s (scheduler) "
            f"+ emulator {dask.emulator_cpu:.1f} s",
            f"one process {one.cpu:.1f} s + emulator {one.emulator_cpu:.1f} s",
            f"cores busy: {dask_cpu / dask.seconds:.2f} vs {one_cpu / one.seconds:.2f}",
        ),
        Row(
            "fleet",
            f"client-credentials exchanges, Dask path ({dask.worker_pids} worker processes "
            "sharing the token file in one SCDATA_CACHE_DIR)",
            f"{dask.exchanges}",
            f"one process {one.exchanges}",
            target=f"= {TARGET_FLEET_EXCHANGES}",
            ok=dask.exchanges == TARGET_FLEET_EXCHANGES,
        ),
        Row(
            "fleet",
            "rows: Dask's Parquet dataset (read back) vs the one-process frame "
            f"(per user: {'same' if written.same_users else 'different'}; track urns: "
            f"{'same' if written.same_urns else 'different'})",
            f"{written.rows_written:,}",
            f"{written.rows:,}",
            target="same rows",
            ok=written.match,
        ),
    )


def notes(bench: Bench, one: OneProcess, dask: DaskPull, bound: Bounds) -> list[str]:
    """How the fleet was run, what the per-process rate limit means, the bounds."""
    rate, burst = bench.rate, bench.burst
    fleet_rate = FLEET_WORKERS * rate
    respected = bucket_respected(dask.arrivals, fleet_rate, FLEET_WORKERS * burst)
    ms_per_user = 1000 / len(bench.sizes.fleet)
    return [
        "fleet: the Dask job is `scdata.dask.tracks_ddf(users).to_parquet(dir, "
        "partition_on=['user_permalink'], schema=TRACKS_SCHEMA)`, the realistic fleet job: "
        "the workers write the dataset and nothing is gathered into one process. It uses the "
        f"default of one partition per user ({dask.partitions} partitions), on "
        f"`distributed.LocalCluster(n_workers={FLEET_WORKERS}, "
        f"threads_per_worker={FLEET_THREADS}, processes=True)`. The workers get the "
        "emulator's environment and one fresh SCDATA_CACHE_DIR through `os.environ`, as in "
        "tests/test_dask.py. The one-process pull (`Client.tracks_df(users)`, "
        f"{DEFAULT_WORKERS} threads) uses another fresh cache dir and runs first. The Dask "
        "wall time includes writing Parquet; the one-process time ends with the frame in "
        "memory. Cluster startup (processes, connections, the workers' imports, paid once "
        "per cluster as this process's imports are paid before anything is timed) is kept "
        "out of the Dask wall time; the table shows it apart and added to it.",
        f"fleet: scdata's client-side rate limit ({rate:g} requests/s, burst {burst:g}) is "
        f"per process, so {FLEET_WORKERS} worker processes may send {fleet_rate:g}/s "
        f"together (their arrivals {'fit' if respected else 'do not fit'} a "
        f"{fleet_rate:g}/s bucket with burst {FLEET_WORKERS * burst:g}), and a fleet of N "
        f"processes N × {rate:g}/s: size `rate_limit` to the API's limit divided by the "
        "number of processes.",
        f"fleet: bounds at {bench.rtt_page * 1000:.0f} ms per GET: one process "
        f"{bound.single:.1f} s (rate {bound.single_rate:.1f} s; latency "
        f"{bound.single_latency:.1f} s, {DEFAULT_WORKERS} users at a time), Dask "
        f"{bound.fleet:.1f} s (rate {bound.fleet_rate:.1f} s; latency {bound.fleet_latency:.1f} "
        f"s, {SLOTS} partitions at a time); measured {one.seconds:.1f} s and "
        f"{dask.seconds:.1f} s. CPU per user: the Dask workers "
        f"{dask.workers_cpu * ms_per_user:.0f} ms (a `tracks_df` call and a Parquet write per "
        f"partition) against {one.cpu * ms_per_user:.0f} ms for the one process's client; the "
        f"emulator's own process spent {one.emulator_cpu * ms_per_user:.0f} ms per user "
        "serving it. The cluster's scheduler runs in this process, the emulator in a process "
        f"of its own, on the same {os.cpu_count()} logical cores as the workers.",
    ]
