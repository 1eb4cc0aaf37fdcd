"""Old import paths the README and docs used keep working for one release, with a warning.

Each runs in a fresh interpreter: a module warns when it is first imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow  # each test starts a fresh interpreter to see the warnings

MOVED = [
    ("from scdata.schema import TRACK_COLUMNS, ParseWarning, SCHEMA_VERSION",
     "scdata.schema", "scdata.frames.schema"),
    ("from scdata.export import to_parquet, read_parquet, write_frame",
     "scdata.export", "scdata.frames.files"),
    ("import scdata.frames; scdata.frames.tracks_frame",
     "scdata.frames.tracks_frame", "scdata.frames.convert.tracks_frame"),
    ("from scdata.frames import users_frame",
     "scdata.frames.users_frame", "scdata.frames.convert.users_frame"),
]  # fmt: skip


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", *args, "-c", code],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(("code", "old", "new"), MOVED, ids=[m[1] for m in MOVED])
def test_an_old_path_works_and_warns_naming_the_new_one(code, old, new):
    result = run(code)
    assert result.returncode == 0, result.stderr
    assert f"<string>:1: DeprecationWarning: {old} is deprecated" in result.stderr
    assert f"use {new}\n" in result.stderr


@pytest.mark.parametrize(("code", "old", "new"), MOVED, ids=[m[1] for m in MOVED])
def test_an_old_path_is_an_error_under_warnings_as_errors(code, old, new):
    result = run(code, "-W", "error::DeprecationWarning")
    assert result.returncode == 1 and f"DeprecationWarning: {old} is deprecated" in result.stderr


def test_the_old_names_are_the_new_objects():
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "import scdata.schema, scdata.export, scdata.frames, scdata.frames.schema\n"
        "import scdata.frames.files, scdata.frames.convert\n"
        "assert scdata.schema.ParseWarning is scdata.frames.schema.ParseWarning\n"
        "assert scdata.schema._c is scdata.frames.schema._c  # a private name too\n"
        "assert scdata.export.write_frame is scdata.frames.files.write_frame\n"
        "assert scdata.frames.users_frame is scdata.frames.convert.users_frame\n"
    )
    result = run(code)
    assert result.returncode == 0, result.stderr


def test_the_new_paths_do_not_warn():
    code = (
        "import scdata, scdata.frames.schema, scdata.frames.files, scdata.frames.convert\n"
        "from scdata.frames.convert import tracks_frame\n"
    )
    result = run(code, "-W", "error::DeprecationWarning")
    assert result.returncode == 0, result.stderr


def test_an_unknown_name_of_the_frames_package_is_an_attribute_error():
    result = run("import scdata.frames; scdata.frames.no_such_name")
    assert "AttributeError: module 'scdata.frames' has no attribute 'no_such_name'" in result.stderr


@pytest.mark.parametrize("module", ["scdata.frames", "scdata.schema"])
def test_python_m_prints_the_columns_document(module):
    result = subprocess.run(
        [sys.executable, "-m", module], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPO / "docs" / "columns.md").read_text()
    assert ("deprecated" in result.stderr) == (module == "scdata.schema")
