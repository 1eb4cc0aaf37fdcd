"""normalisation: ``benchmarks/normalise.py``'s measurement, each approach in its own process."""

from __future__ import annotations

import normalise
from _common import Bench, say
from _report import Row, seconds

TARGET_NORMALISE = normalise.SPEED_TARGET
TARGET_NORMALISE_MEMORY = normalise.MEMORY_RATIO_TARGET
SEED = 42


def run(bench: Bench) -> None:
    """Time and peak memory of turning page bytes into the tracks frame, scdata vs naive."""
    n, reps = bench.sizes.normalise_n, bench.sizes.reps
    say(f"normalisation: {n:,} tracks, benchmarks/normalise.py, one process per approach")
    normalise._check_same_output(min(n, 2_000), SEED)
    pages = normalise.make_pages(n, SEED)
    mib = sum(map(len, pages)) / 2**20
    path = bench.fresh_dir("normalise") / "pages.bin"
    normalise._write_pages(pages, path)
    del pages
    fast = normalise._measure("scdata", path, reps)
    slow = normalise._measure("naive", path, reps)
    speedup = slow["best_s"] / fast["best_s"]
    ratio = fast["peak_delta_mib"] / slow["peak_delta_mib"]
    bench.add(
        Row(
            "normalisation",
            f"time, {n:,} tracks from {mib:.0f} MiB of page bytes (best of {reps})",
            seconds(fast["best_s"]),
            seconds(slow["best_s"]),
            f"{speedup:.1f}× faster",
            f"≥ {TARGET_NORMALISE:g}× faster",
            speedup >= TARGET_NORMALISE,
        ),
        Row(
            "normalisation",
            "peak memory (ΔRSS over the process before converting)",
            f"{fast['peak_delta_mib']:.0f} MiB",
            f"{slow['peak_delta_mib']:.0f} MiB",
            f"{ratio:.2f}×",
            f"≤ {TARGET_NORMALISE_MEMORY:g}× naive",
            ratio <= TARGET_NORMALISE_MEMORY,
        ),
        Row(
            "normalisation",
            "scdata peak ΔRSS (normalise.py's absolute target)",
            f"{fast['peak_delta_mib']:.0f} MiB",
            target=f"< {normalise.PEAK_TARGET_MIB:g} MiB",
            ok=fast["peak_delta_mib"] < normalise.PEAK_TARGET_MIB,
        ),
    )
