"""pyinstrument profiles: a full text report on disk, a short summary of what dominates."""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path
from typing import Any

AREAS = (  # first match wins; checked against "file_path function"
    ("scdata", "scdata"),
    ("sqlite3 / SQLite", "sqlite"),
    ("sqlite3 / SQLite", "Connection."),
    ("sqlite3 / SQLite", "Cursor."),
    ("requests-cache", "requests_cache"),
    ("cattrs (requests-cache deserialising)", "cattrs"),
    ("pickle", "pickle"),
    ("orjson", "orjson"),
    ("pyarrow", "pyarrow"),
    ("pandas", "pandas"),
    ("numpy", "numpy"),
    ("requests / urllib3", "requests"),
    ("requests / urllib3", "urllib3"),
    ("json (stdlib)", "json/"),
)


def _area(frame: Any) -> str:
    where = f"{frame.file_path or ''} {frame.function or ''}"
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    for label, needle in AREAS:
        if needle in where:
            return label
    return "other (stdlib, GC, the benchmark itself)"


def _self_times(frame: Any, by_function: dict, by_area: dict, owner: Any = None) -> None:
    """Attribute each frame's self time to itself (a synthetic ``[self]`` frame to its parent).

    A built-in (``<built-in>`` file) counts toward the area of the Python frame that called it
    unless its own name says where it belongs (``Connection.execute``).
    """
    real = owner if frame.is_synthetic else frame
    child_time = sum(child.time for child in frame.children)
    own = frame.time - child_time
    if own > 0 and real is not None:
        name = f"{real.function}  {real.file_path_short or ''}:{real.line_no or ''}".rstrip(":")
        by_function[name] += own
        area = _area(real)
        builtin = (real.file_path or "").startswith("<built-in>")
        if builtin and real.function in ("loads", "dumps"):
            area = "JSON (orjson / json loads)"
        elif builtin and area.startswith("other"):
            parent = real.parent
            while parent is not None and (parent.is_synthetic or parent.file_path == "<built-in>"):
                parent = parent.parent
            if parent is not None:
                area = _area(parent)
        by_area[area] += own
    for child in frame.children:
        _self_times(child, by_function, by_area, real)


def profile(
    name: str,
    func: Callable[[], object],
    out_dir: Path,
    repeat: int = 3,
    top: int = 12,
    tree_threshold: float = 0.03,
) -> str:
    """Profile ``func`` run ``repeat`` times; write ``<name>.txt`` and return a summary.

    Results are kept alive until the profiler stops, so freeing a DataFrame is not counted.
    """
    from pyinstrument import Profiler

    kept = []
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        kept.append(func())
    profiler.stop()
    kept.clear()
    text = profiler.output_text(time="percent_of_total")
    tree = profiler.output_text(
        time="percent_of_total", processor_options={"filter_threshold": tree_threshold}
    )
    tree = "\n".join(
        line for line in tree.splitlines()[5:] if not line.lstrip().startswith("Profile at")
    ).strip("\n")  # without pyinstrument's banner, nor this machine's paths
    path = out_dir / f"{name}.txt"
    path.write_text(text)
    session = profiler.last_session
    root = session.root_frame()
    by_function: dict[str, float] = collections.defaultdict(float)
    by_area: dict[str, float] = collections.defaultdict(float)
    if root is not None:
        _self_times(root, by_function, by_area)
    total = sum(by_area.values()) or 1.0
    lines = [
        f"### {name}: {repeat} runs, {session.duration:.3f} s wall, "
        f"{session.sample_count} samples (full tree: {path.name} in the profile directory)",
        "",
        "Self time by area: "
        + ", ".join(
            f"{area} {100 * t / total:.0f}%"
            for area, t in sorted(by_area.items(), key=lambda kv: -kv[1])
            if 100 * t / total >= 1
        ),
        "",
        f"Call tree (frames of at least {tree_threshold:.0%}):",
        "",
        "```text",
        tree,
        "```",
        "",
        "| self % | function |",
        "|---|---|",
    ]
    for func_name, t in sorted(by_function.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {100 * t / total:.1f} | `{func_name}` |")
    return "\n".join(lines) + "\n"
