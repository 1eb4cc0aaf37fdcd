"""A fast command line: ``--help`` never imports pandas or pyarrow, and neither does
``import scdata`` (its public names load on first use)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import scdata

from .test_cli import SCRIPT

HEAVY = ("pandas", "pyarrow")
COMMANDS = ["", "tracks", "user", "export", "cache", "cache info", "sandbox", "demo", "sync"]


@pytest.fixture
def bare_env(cache_dir):
    """No credentials at all."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, "SCDATA_CACHE_DIR": str(cache_dir)}


def imported(command: list[str], env: dict[str, str]) -> set[str]:
    """Top-level modules ``command`` imported, read from ``-X importtime``'s report."""
    out = subprocess.run(command, env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "usage: scdata" in out.stdout
    names = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.split("|")[2].strip().split(".")[0])
    assert "argparse" in names  # the report was read
    return names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "scdata")
def test_help_imports_neither_pandas_nor_pyarrow(command, bare_env):
    args = [*command.split(), "--help"]
    for runner in ([SCRIPT], [sys.executable, "-m", "scdata"]):
        names = imported([*runner, *args], bare_env)
        assert not names & set(HEAVY), f"{' '.join(args)} imported {sorted(names & set(HEAVY))}"


def test_import_scdata_is_light_and_loads_names_on_first_use(bare_env):
    code = (
        "import sys, scdata\n"
        "assert not {'pandas', 'pyarrow', 'requests'} & set(sys.modules), sorted(sys.modules)\n"
        "assert scdata.SoundCloudError and 'pandas' not in sys.modules\n"
        "scdata.tracks_df\n"
        "assert 'pandas' in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=bare_env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.stdout.strip() == "ok", out.stderr


def test_every_public_name_resolves_and_is_listed():
    for name in scdata.__all__:
        assert getattr(scdata, name) is not None, name
    assert set(scdata.__all__) <= set(dir(scdata))
    assert {"sandbox", "dask"} <= set(dir(scdata))
    with pytest.raises(AttributeError, match="no attribute 'tracks_dataframe'"):
        scdata.tracks_dataframe  # noqa: B018
    from scdata import Client, tracks_df  # from-imports go through the same door

    assert Client is scdata.Client and tracks_df is scdata.tracks_df
