"""token: client-credentials exchanges across fresh processes sharing a cache dir."""

from __future__ import annotations

import os
import subprocess
import sys

from _common import Bench, say, timer, without_scdata_environ
from _report import Row

TARGET_EXCHANGES = 1
LOOK_UP = "import sys, scdata; sys.exit(0 if scdata.user_info('jowymusic') else 3)"


def time_fresh_processes(bench: Bench, count: int) -> list[float]:
    """Run ``count`` processes, one after another, each looking a user up: their durations."""
    env = without_scdata_environ(os.environ) | bench.client_env(bench.fresh_dir("token"))
    durations = []
    for i in range(count):
        with timer() as t:
            proc = subprocess.run(
                [sys.executable, "-c", LOOK_UP], env=env, capture_output=True, text=True
            )
        durations.append(t[0])
        if proc.returncode != 0:
            raise RuntimeError(f"token process {i} exited {proc.returncode}:\n{proc.stderr}")
    return durations


def run(bench: Bench) -> None:
    count = bench.sizes.processes
    say(f"token: {count} fresh processes, one after another, one shared cache dir")
    before = bench.sb.token_exchanges
    durations = time_fresh_processes(bench, count)
    exchanges = bench.sb.token_exchanges - before
    bench.add(
        Row(
            "token",
            f"client-credentials exchanges, {count} fresh processes sharing a cache dir "
            f"(`scdata.user_info('jowymusic')`, {sum(durations) / count:.2f} s each)",
            f"{exchanges}",
            f"{count} without a shared token",
            target=f"= {TARGET_EXCHANGES}",
            ok=exchanges == TARGET_EXCHANGES,
        )
    )
