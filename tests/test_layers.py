"""The package is laid out by layer, and data moves one way: up.

Layers, lowest first. A module may import only from its own layer or a lower one; every import
counts (absolute or relative, at the top of the module or lazily inside a function). A module
belongs to the layer of its top-level name: ``scdata/storage/pages.py`` is in ``storage``, so a
new module in a subpackage is placed by where it lives, and a new top-level module or subpackage
fails :func:`test_every_module_belongs_to_exactly_one_layer` until it is placed here.

The emulator (``scdata.sandbox``) is outside the layers: it shares nothing with the client but
the API's contract, save one lazy import of the client facade by which ``serve()`` points
scdata's default client at it. Only the command line (``scdata sandbox``, ``scdata demo``)
imports the emulator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "scdata"

LAYERS: list[tuple[str, frozenset[str]]] = [
    ("base", frozenset({"_version", "errors", "config", "_moved"})),
    ("storage", frozenset({"storage"})),
    ("frames", frozenset({"frames"})),
    ("http", frozenset({"http"})),
    ("client", frozenset({"_checks", "_fanout", "_progress", "_resources", "_walk", "_collect",
                         "_collections", "_lookups", "_search", "_graph", "_client",
                         "_functions", "compat"})),
    ("datasets", frozenset({"datasets", "dask"})),
    ("cli", frozenset({"cli"})),
    # the package's face, and the old import paths kept for one release (deprecated shims)
    ("top", frozenset({"__init__", "__main__", "schema", "export"})),
]  # fmt: skip
EMULATOR = "sandbox"
IMPORTS_THE_EMULATOR = {"cli", "__init__"}  # `scdata sandbox`, `demo`; `scdata.sandbox` on use
RANK = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}


def unit_of(path: Path) -> str:
    """The top-level name a file belongs to: ``storage`` for ``scdata/storage/pages.py``."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def dotted(path: Path) -> list[str]:
    parts = ["scdata", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_units(path: Path, *, lazy_only: bool = False) -> set[str]:
    """Top-level ``scdata`` names that ``path`` imports (``__init__`` for the package itself)."""
    package = dotted(path) if path.name == "__init__.py" else dotted(path)[:-1]
    return units_in(path.read_text(), package, lazy_only=lazy_only)


def units_in(source: str, package: list[str], *, lazy_only: bool = False) -> set[str]:
    """:func:`imported_units` of ``source``, a module of the package ``package``."""
    tree = ast.parse(source)
    lazy = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
    }
    targets: list[list[str]] = []
    for node in ast.walk(tree):
        if lazy_only and id(node) not in lazy:
            continue
        if isinstance(node, ast.Import):
            targets += [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            if module == ["scdata"]:  # `from scdata import x` / `from .. import x`
                targets += [[*module, alias.name] for alias in node.names]
            else:
                targets.append(module)
    units = set()
    for target in targets:
        if target[0] != "scdata":
            continue
        name = target[1] if len(target) > 1 else "__init__"
        is_module = (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()
        units.add(name if is_module else "__init__")
    return units


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if unit_of(p) != EMULATOR)


def test_every_module_belongs_to_exactly_one_layer():
    placed = [name for _, names in LAYERS for name in names]
    assert len(placed) == len(set(placed)), "a name is placed in two layers"
    units = {unit_of(p) for p in modules()}
    assert units - set(placed) == set(), "place these in a layer of LAYERS"
    assert set(placed) - units == set(), "LAYERS names modules that no longer exist"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_only_their_own_layer_or_lower(path: Path):
    unit = unit_of(path)
    used = imported_units(path) - {unit}
    if unit in IMPORTS_THE_EMULATOR:
        used -= {EMULATOR}
    higher = sorted(u for u in used if RANK.get(u, len(LAYERS)) > RANK[unit])
    assert higher == [], f"{path.relative_to(REPO)} ({LAYERS[RANK[unit]][0]}) imports {higher}"


def test_storage_no_longer_depends_on_frames():
    """The known upward import (``storage.pages`` read ``frames.schema.SCHEMA_VERSION``)."""
    for path in (PACKAGE / "storage").glob("*.py"):
        assert "frames" not in imported_units(path), path.name


def test_the_emulator_shares_nothing_with_the_client():
    for path in sorted((PACKAGE / EMULATOR).glob("*.py")):
        used = imported_units(path) - {EMULATOR}
        if path.name == "server.py":
            # serve(): the lazy `import scdata._client` that points the default client at it
            assert used == {"_client"}, used
            assert imported_units(path, lazy_only=True) - {EMULATOR} == {"_client"}
        else:
            assert used == set(), f"{path.name} imports {used}"


def test_the_checker_sees_every_kind_of_import():
    """Relative, absolute, `from scdata import`, and imports inside functions all count."""
    sample = (
        "from ..frames import schema\n"
        "import scdata.http.session\n"
        "from scdata import _client\n"
        "from .. import __version__\n"
        "from . import cachefile\n"
        "def later():\n"
        "    from ..cli.main import main\n"
    )
    package = ["scdata", "storage"]
    found = units_in(sample, package)
    assert found == {"frames", "http", "_client", "__init__", "storage", "cli"}
    assert units_in(sample, package, lazy_only=True) == {"cli"}
