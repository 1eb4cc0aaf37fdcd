"""The README, docs/ and the notebook's text name only things that exist, by their current path."""

from __future__ import annotations

import importlib
import json
import re
import warnings

import pytest

import scdata.config
from scdata.config import _ENV

from .conftest import REPO

PACKAGE = REPO / "scdata"
NOTEBOOK = json.loads((REPO / "notebooks" / "quickstart.ipynb").read_text(encoding="utf-8"))
TEXTS = {
    "README.md": (REPO / "README.md").read_text(encoding="utf-8"),
    **{
        f"docs/{p.name}": p.read_text(encoding="utf-8")
        for p in sorted((REPO / "docs").glob("*.md"))
    },
    "notebook text": "\n".join(
        "".join(c["source"]) for c in NOTEBOOK["cells"] if c["cell_type"] == "markdown"
    ),
}
DOTTED = re.compile(r"\bscdata(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
OLD_PATHS = ("scdata.schema", "scdata.export", "scdata.frames.tracks_frame",
             "scdata.frames.users_frame", "scdata.users_frame")  # fmt: skip


def resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then follow the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


NAMES = sorted({(where, m) for where, text in TEXTS.items() for m in DOTTED.findall(text)})


@pytest.mark.parametrize(("where", "dotted"), NAMES, ids=[f"{w}:{d}" for w, d in NAMES])
def test_every_scdata_name_in_the_docs_exists(where, dotted):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # an old path fails here too
        try:
            resolve(dotted)
        except (AttributeError, ModuleNotFoundError, DeprecationWarning) as exc:
            pytest.fail(f"{where} names {dotted}, which does not exist: {exc}")


def test_no_doc_names_an_old_import_path():
    for where, text in TEXTS.items():
        for old in OLD_PATHS:
            assert not re.search(r"(?<![\w.])" + re.escape(old) + r"(?!\w)", text), (
                f"{where}: {old}"
            )


def test_the_config_docstring_lists_every_setting_and_redis():
    doc = scdata.config.__doc__ or ""
    for keyword, (variable, _) in _ENV.items():
        assert re.search(rf"``{variable}``\s*\|\s*{keyword}\s", doc), variable
    assert "``redis://host:port/db``" in doc


def test_the_readme_links_the_docs():
    for page in sorted((REPO / "docs").glob("*.md")):
        assert f"docs/{page.name}" in TEXTS["README.md"], page.name


def test_the_development_map_names_every_subpackage_and_module():
    section = TEXTS["README.md"].split("## Development", 1)[1]
    nested = {p.stem for p in PACKAGE.glob("*/*.py") if p.parent.name != "sandbox"}
    names = {p.stem for p in PACKAGE.glob("*.py")} | nested
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    names -= {"__init__", "__main__"}
    missing = sorted(n for n in names if not re.search(rf"\b{n}(\.py|/)", section))
    assert missing == [], "add these to the README's Development map"


def test_the_notebook_says_rows_match_track_count():
    text = TEXTS["notebook text"]
    assert "track_count" in text and "can\ndiffer from the tracks listed" not in text
    assert 'access="all"' in text
