"""The README's column table and configuration table are the code's, not a copy that drifts."""

from __future__ import annotations

import re

from scdata.config import _ENV
from scdata.frames.schema import TRACK_COLUMNS, columns_markdown

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_track_columns_table_is_generated_from_the_schema():
    block = re.search(r"<!-- columns:tracks[^>]*-->\n(.*?)<!-- /columns:tracks -->", README, re.S)
    assert block is not None
    assert block.group(1).strip() == columns_markdown(TRACK_COLUMNS).strip()


def test_every_setting_is_in_the_configuration_table():
    for keyword, (variable, _) in _ENV.items():
        assert f"| `{variable}` | `{keyword}` |" in README, variable


def test_the_two_front_door_commands_are_there():
    assert ".venv/bin/scdata demo" in README
    assert "./scripts/test" in README
    ci = (REPO / ".ci" / "run").read_text()
    assert "./scripts/test" in ci
