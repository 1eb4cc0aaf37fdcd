"""Docstring examples run for real: each gets a fresh emulator, the environment pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _pytest.doctest import DoctestItem

import scdata
from scdata._client import replace_default
from scdata.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _doctest_against_the_emulator(
    request: pytest.FixtureRequest, doctest_namespace: dict, tmp_path, monkeypatch
) -> Iterator[None]:
    item = request.node
    if not isinstance(item, DoctestItem) or item.name.startswith("scdata.sandbox"):
        yield
        return
    with Sandbox(artists=3) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SCDATA_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        replace_default(None)
        doctest_namespace["scdata"] = scdata
        yield
        previous = replace_default(None)
        if previous is not None:
            previous.close()
