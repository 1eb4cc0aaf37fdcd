"""The package type-checks: mypy, configured in ``pyproject.toml`` (strict on the HTTP, storage
and frames layers), reports no error, and the public signatures give callers precise types."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("mypy") is None,
        reason="mypy is not installed (pip install -e '.[test]')",
    ),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for this module's runs (the second run reuses the package's analysis)."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(cache_dir: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(cache_dir), "--no-error-summary", "--hide-error-context", *targets],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_mypy_reports_no_error(cache_dir: Path) -> None:
    result = _mypy(cache_dir, "-p", "scdata")
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stdout + result.stderr


CALLER = """
from typing import Any, assert_type

import pandas as pd

import scdata
from scdata.http.endpoints import FetchOptions


def caller(flag: bool) -> None:
    assert_type(scdata.tracks_df("jowymusic"), pd.DataFrame)
    assert_type(scdata.tracks_df("jowymusic", raw=False), pd.DataFrame)
    assert_type(scdata.tracks_df("jowymusic", raw=True), list[dict[str, Any]])
    assert_type(scdata.tracks_df("x", raw=flag), pd.DataFrame | list[dict[str, Any]])
    client = scdata.Client()
    assert_type(client.tracks_df(["a", "b"], 5), pd.DataFrame)
    assert_type(client.tracks_df("a", raw=True), list[dict[str, Any]])
    assert_type(client.users_df("a"), pd.DataFrame)
    assert_type(client.user("a", offline=True), dict[str, Any])
    options = FetchOptions(offline=True)
    assert_type(options.refresh, bool)
    options.offline = False  # E: frozen
    client.tracks_df("a", raw="yes")  # E: not a bool
"""


def test_callers_get_precise_types(cache_dir: Path, tmp_path: Path) -> None:
    """``tracks_df`` returns a DataFrame, or a list of dicts with ``raw=True``; no union."""
    caller = tmp_path / "caller.py"
    caller.write_text(textwrap.dedent(CALLER), encoding="utf-8")
    result = _mypy(cache_dir, str(caller))
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # the lines marked "# E:" are errors, and only those (file lines count from 1)
    expected = {n for n, line in enumerate(CALLER.splitlines(), 1) if "  # E: " in line}
    found = {int(line.split(":")[1]) for line in errors if line.startswith(str(caller))}
    assert found == expected, result.stdout
    assert all(line.startswith(str(caller)) for line in errors), result.stdout
