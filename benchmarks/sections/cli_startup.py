"""cli startup: wall time of ``scdata --help`` against ``python -c pass``, and its heavy imports.

Needs no emulator. The command is the console script installed next to this interpreter
(how people run it), or ``python -m scdata`` when there is none. Both commands run
alternately, best of :attr:`Sizes.cli_reps` each, so they see the same machine load.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from _common import Bench, best_alternately, say
from _report import Row, seconds

TARGET_EXTRA_SECONDS = 0.3  # `scdata --help` at most this much slower than `python -c pass`
HEAVY = ("pandas", "pyarrow")  # what `--help` should not need


def scdata_command() -> tuple[list[str], str]:
    """The ``scdata`` command to run and how to name it (no path of this machine)."""
    script = Path(sys.executable).parent / ("scdata.exe" if os.name == "nt" else "scdata")
    if script.is_file():
        return [str(script)], "the console script next to the interpreter"
    return [sys.executable, "-m", "scdata"], "`python -m scdata` (no console script found)"


def run_quietly(command: list[str], env: dict[str, str] | None = None) -> str:
    """Run ``command``; its stderr (raises if it fails)."""
    proc = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{command[-2:]} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc.stderr


def time_alternately(first: list[str], second: list[str], reps: int) -> tuple[float, float]:
    """Best wall times of ``first`` and ``second``, run one after the other ``reps`` times."""
    best_first, best_second = best_alternately(
        [lambda: run_quietly(first), lambda: run_quietly(second)], reps
    )
    return best_first, best_second


@dataclasses.dataclass
class Imports:
    """What one command imported, from ``-X importtime``."""

    modules: dict[str, float]  # top-level module -> its largest cumulative import seconds
    scdata_seconds: float  # the command's own scdata imports (not nested in another import)

    def heavy(self) -> str:
        """``"pandas: yes (312 ms), pyarrow: no"``."""
        return ", ".join(
            f"{name}: yes ({self.modules[name] * 1000:.0f} ms)"
            if name in self.modules
            else f"{name}: no"
            for name in HEAVY
        )


def imports_of(command: list[str]) -> Imports:
    """Run ``command`` with ``-X importtime`` and read what it imported.

    Set through ``PYTHONPROFILEIMPORTTIME`` so the console script runs as is; the report's
    lines are ``import time: self [us] | cumulative | name``, ``name`` indented by nesting.
    """
    report = run_quietly(command, env=os.environ | {"PYTHONPROFILEIMPORTTIME": "1"})
    modules: dict[str, float] = {}
    scdata_seconds = 0.0
    for line in report.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        took, top = int(cumulative) / 1e6, name.strip().split(".")[0]
        modules[top] = max(modules.get(top, 0.0), took)
        if top == "scdata" and not name.startswith("  "):
            scdata_seconds += took
    return Imports(modules, scdata_seconds)


def run(bench: Bench) -> None:
    reps = bench.sizes.cli_reps
    command, how = scdata_command()
    bare = [sys.executable, "-c", "pass"]
    say(f"cli startup: `scdata --help` and `python -c pass`, best of {reps} each")
    cli, python = time_alternately([*command, "--help"], bare, reps)
    extra = cli - python
    imports = imports_of([*command, "--help"])
    bench.add(
        Row(
            "cli startup",
            f"wall time of `scdata --help` against `python -c pass` (best of {reps} each)",
            seconds(cli),
            seconds(python),
            f"{extra:+.3f} s",
            f"≤ {TARGET_EXTRA_SECONDS:g} s more",
            extra <= TARGET_EXTRA_SECONDS,
        ),
        Row(
            "cli startup",
            "pandas / pyarrow imported by `scdata --help` (-X importtime: cumulative import "
            "time; top-level modules imported)",
            f"{imports.heavy()}; {len(imports.modules)} top-level modules",
            f"`python -c pass`: {len(imports_of(bare).modules)} top-level modules",
        ),
    )
    bench.note(
        f"cli startup: `scdata --help` runs {how}, `python -c pass` the same interpreter; "
        f"best of {reps} each, run alternately, so the difference is what scdata adds. "
        f"-X importtime: the command's scdata imports took {imports.scdata_seconds * 1000:.0f} ms "
        "(cumulative, including everything they import)."
    )
