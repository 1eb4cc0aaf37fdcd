"""scdata benchmark: requests, cold and warm pulls, normalisation, many users, token reuse.

One command starts the bundled emulator with a per-request latency (standing in for the
network) and measures, side by side in the same run, scdata against what people write without
it, printing every figure with its target and PASS/FAIL:

- **requests**: GETs ``tracks_df("big-catalog")`` sends (10,000 tracks) against the minimum
  (``ceil(N/200)`` pages + the final empty page + 1 ``/resolve``) and against the original
  service's pages of 10 (``limit=10&offset=...``, run literally);
- **cold pull**: wall time with an empty cache, scdata against a naive ``requests`` loop
  (pages of 200 following ``next_href``, ``json.loads``, ``pd.json_normalize``, dtype fixes);
- **warm pull**: the same with every page cached (a new ``Client``), against the naive loop on
  a warm ``requests_cache.CachedSession`` and against reading the cached bodies alone;
- **normalisation**: ``benchmarks/normalise.py``'s measurement (100,000 tracks, time and peak
  memory, each approach in its own process);
- **many users**: ``tracks_df([20 users])`` against a serial loop, the request rate and
  whether the client-side rate limit held;
- **collections**: ``followers_df`` of one user (pages against ``ceil(n/200)`` + at most one
  final empty page + one ``/resolve``; the owner lookup apart), 1,000 tracks by URN through
  ``lookup_tracks`` (batches of 50) against one GET each, ``followings_df`` of a user who
  follows 2,000+ (at most 11 pages), and a warm ``followers_df`` of 50,000 followers against a
  naive ``json_normalize`` loop on a warm ``CachedSession``;
- **fleet**: 200 users (``artist-001`` ... ``artist-200``, 500 tracks each), cold, the Dask
  path (``scdata.dask.tracks_ddf(users).to_parquet(...)`` on a
  ``distributed.LocalCluster(n_workers=2, threads_per_worker=4, processes=True)`` whose workers
  share a cache dir) against one process's ``Client.tracks_df(users)``: wall times (cluster
  startup apart), requests, request rates, client-credentials exchanges, row counts;
- **token**: client-credentials exchanges across 10 fresh processes sharing a cache dir;
- **search**: a windowed ``search_tracks`` that recovers every result where one query is capped
  (the emulator's lo-fi tracks of 2024-2025): its GETs against ``ceil(N/200)`` pages + one
  probe per window split + one final page per window, and the capped verdict without windows;
- **sync**: one nightly ``scdata.sync`` of the fleet's roster (profiles and every track): its
  GETs against the minimum (``ceil(n/50)`` batch lookups + pages of 200), no URL asked twice,
  and its GETs and wall time against the naive ``users_df`` + ``tracks_df`` loop per artist;
- **cli startup**: wall time of ``scdata --help`` against ``python -c pass`` (best of 5 each)
  and whether ``--help`` imports pandas or pyarrow.

Each section is a module of ``benchmarks/sections/``; what they share (the ``Bench`` context,
the emulator, timers, sizes) is in ``benchmarks/_common.py``. This file parses the arguments,
starts the emulator, calls the sections in order and prints (or writes) the report.

Every ``scdata.Client`` the benchmark builds, and every process it starts, uses the rate of
``--rate`` (default 50 requests/s): the benchmark's client rate, not scdata's default, so the
figures do not move when the library's default does.

It exits 0 when a target fails (it is a report); only a crash exits non-zero.

Usage::

    python benchmarks/run.py                  # full run, prints the table
    python benchmarks/run.py --write          # ... and writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick          # small sizes (fleet of 10 users), < 60 s (CI)
    python benchmarks/run.py --profile        # also pyinstrument the warm and normalise paths
    python benchmarks/run.py --latency 0.1    # emulator latency per request (default 0.05 s)
    python benchmarks/run.py --rate 100       # the benchmark's client rate (default 50/s)
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    DEFAULT_LATENCY,
    DEFAULT_RATE,
    PAGE,
    Bench,
    Sizes,
    measure_round_trips,
    start_emulator,
    warm_up,
)
from _report import Row, machine, results_markdown, table
from sections import (
    cli_startup,
    cold_pull,
    collection_requests,
    fleet,
    many_users,
    normalisation,
    requests_count,
    search,
    sync,
    token_reuse,
    warm_pull,
)
from sections.profiles import profile_hot_paths

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, < 60 s (CI)")
    parser.add_argument(
        "--latency",
        type=float,
        default=DEFAULT_LATENCY,
        help=f"emulator seconds per request ({DEFAULT_LATENCY:g})",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"the benchmark's client rate, not scdata's default: requests/s of every client "
        f"and process it runs ({DEFAULT_RATE:g}; 0 = no limit)",
    )
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    parser.add_argument(
        "--profile", action="store_true", help="pyinstrument the warm and normalisation paths"
    )
    args = parser.parse_args(argv)
    if args.quick and args.write:
        parser.error(f"--write records the full benchmark in {RESULTS.name}; not with --quick")
    if args.latency < 0:
        parser.error("--latency must be >= 0")
    if args.rate < 0:
        parser.error("--rate must be >= 0")
    return args


def forget_user_settings() -> None:
    """Nothing measured may read the user's credentials or cache."""
    for name in [k for k in os.environ if k.startswith(("SOUNDCLOUD_", "SCDATA_"))]:
        del os.environ[name]


def run_sections(bench: Bench, profile: bool) -> str | None:
    """Every section, in the table's order; the profiles' text with ``profile``."""
    bench.note(bench.rate_note())
    warm_up(bench)
    measure_round_trips(bench)
    cold = cold_pull.measure(bench)
    ten = requests_count.measure_pages_of_ten(bench, cold)
    warm = warm_pull.measure(bench, cold)
    requests_count.report(bench, cold, ten)
    cold_pull.report(bench, cold, ten)
    warm_pull.report(bench, warm)
    normalisation.run(bench)
    many_users.run(bench)
    collection_requests.run(bench)
    fleet.run(bench)
    token_reuse.run(bench)
    search.run(bench)
    sync.run(bench)
    if not profile:
        return None
    out_dir = Path(tempfile.mkdtemp(prefix="scdata-bench-profiles-"))
    return profile_hot_paths(bench, cold.cache, out_dir)


def measure(args: argparse.Namespace) -> tuple[Bench, str | None]:
    """The whole benchmark in a temporary root; the emulator is stopped before cli startup."""
    sizes = Sizes(args.quick)
    forget_user_settings()
    with tempfile.TemporaryDirectory(prefix="scdata-bench-") as root:
        os.environ["SCDATA_CACHE_DIR"] = str(Path(root) / "default-cache")
        with start_emulator(args.latency, sizes.artists) as sb:
            bench = Bench(sb, Path(root), sizes, rate=args.rate)
            profile_text = run_sections(bench, args.profile)
        cli_startup.run(bench)
    return bench, profile_text


def summary(rows: list[Row], elapsed: float) -> str:
    failed = [row for row in rows if row.ok is False]
    return (
        f"{sum(row.ok is True for row in rows)} targets pass, {len(failed)} fail"
        f"{' (' + '; '.join(f'{r.section}: {r.measure}' for r in failed) + ')' if failed else ''}"
        f"; took {elapsed:.0f} s"
    )


def print_report(
    args: argparse.Namespace,
    bench: Bench,
    about: list[tuple[str, str]],
    profile_text: str | None,
    elapsed: float,
) -> None:
    mode = "quick" if args.quick else "full"
    print(f"scdata benchmark ({mode}), emulator latency {args.latency * 1000:g} ms per request")
    for label, value in about:
        print(f"  {label}: {value}")
    print()
    print(table(bench.rows))
    print()
    for note in bench.notes:
        print(f"note: {note}")
    if profile_text:
        print()
        print(profile_text)
    print()
    print(summary(bench.rows, elapsed))


def write_results(
    args: argparse.Namespace,
    bench: Bench,
    about: list[tuple[str, str]],
    profile_text: str | None,
    elapsed: float,
) -> None:
    command = "python benchmarks/run.py --write"
    if args.latency != DEFAULT_LATENCY:
        command += f" --latency {shlex.quote(str(args.latency))}"
    if args.rate != DEFAULT_RATE:
        command += f" --rate {shlex.quote(f'{args.rate:g}')}"
    if args.profile:
        command += " --profile"
    RESULTS.write_text(
        results_markdown(bench.rows, about, bench.notes, command, elapsed, profile_text)
    )
    print(f"wrote {RESULTS}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    bench, profile_text = measure(args)
    elapsed = time.perf_counter() - started
    about = machine(args.latency)
    about.append(
        (
            "measured round trip",
            f"median GET {bench.rtt_small * 1000:.0f} ms for a small answer (a 302), "
            f"{bench.rtt_page * 1000:.0f} ms for a page of {PAGE} tracks",
        )
    )
    print_report(args, bench, about, profile_text, elapsed)
    if args.write:
        write_results(args, bench, about, profile_text, elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
