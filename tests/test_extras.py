"""The extras install what they promise (pyproject.toml)."""

from __future__ import annotations

import re
import tomllib

from .conftest import REPO

EXTRAS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def names(extra: str) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", requirement)[0].lower() for requirement in EXTRAS[extra]}


def test_the_notebook_extra_runs_the_notebooks():
    # executing them (nbclient, a kernel), converting them (nbconvert), their plots and widgets
    wanted = {"nbclient", "nbformat", "ipykernel", "matplotlib", "nbconvert", "jupyter"}
    assert wanted <= names("notebook")
    assert "ipywidgets" in names("notebook")  # tqdm's bar as a widget, not text


def test_the_test_extra_has_every_reader_the_tests_use():
    assert {"duckdb", "polars", "nbclient", "nbformat", "ipykernel"} <= names("test")


def test_the_readme_names_the_notebook_extra():
    assert 'pip install "scdata[notebook]"' in (REPO / "README.md").read_text()


def test_the_graph_extra_installs_networkx_and_dev_includes_it():
    assert "networkx" in names("graph")
    dev = next(r for r in EXTRAS["dev"] if r.startswith("scdata["))
    assert "graph" in re.split(r"[\[\],]", dev)
