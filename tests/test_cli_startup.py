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
COMMANDS = ["", "tracks", "user", "export", "cache", "cache info", "sandbox", "demo", "followers",
            "resolve", "sync"]  # fmt: skip


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


@pytest.mark.slow  # over half a second: the full run has it
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "scdata")
def test_help_imports_neither_pandas_nor_pyarrow(command, bare_env):
    args = [*command.split(), "--help"]
    for runner in ([SCRIPT], [sys.executable, "-m", "scdata"]):
        names = imported([*runner, *args], bare_env)
        assert not names & set(HEAVY), f"{' '.join(args)} imported {sorted(names & set(HEAVY))}"


def test_no_subcommand_help_imports_pandas_or_pyarrow(bare_env):
    """Every subcommand, the collection commands included, in one process (a fast check)."""
    code = (
        "import contextlib, io, sys\n"
        "from scdata.cli.main import _parser, main\n"
        "parser = _parser(['sandbox'])\n"
        "sub = next(a for a in parser._actions if a.dest == 'command')\n"
        "for name in sub.choices:\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "        assert main([name, '--help']) == 0, name\n"
        "    assert 'usage: scdata ' + name in out.getvalue(), name\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(' '.join(sub.choices), '|', ' '.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=bare_env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    names, heavy = out.stdout.strip().split("|")
    assert heavy.strip() == ""
    from scdata.cli.collections import COMMANDS as DECLARED

    assert {c.name for c in DECLARED} | {"resolve", "export"} <= set(names.split())


@pytest.mark.slow  # over half a second: the full run has it
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
