"""Data moves one way: each module imports only modules before it in the chain.

The emulator (scdata.sandbox) shares nothing with the client but the API's contract; its one
exception is serve(), which points scdata's default client at it.
"""

from __future__ import annotations

import ast

from .conftest import REPO

CHAIN = [
    "_version", "errors", "config", "tokenstore", "redisstore", "ratelimits", "auth",
    "transport", "session", "userref", "arguments", "jsonbody", "api", "schema", "tags", "frames",
    "pagestore", "stores", "pages", "export", "fanout", "progress", "client", "compat",
    "shortcuts", "maintenance", "bulk", "dask", "cli", "__init__", "__main__",
]  # fmt: skip


def scdata_imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 1:
                found.add(node.module.split(".")[0])
            elif node.module.startswith("scdata."):
                found.add(node.module.split(".")[1])
            elif node.module == "scdata" and node.level == 0:
                found.add("__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("scdata."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_module_is_in_the_chain():
    modules = {p.stem for p in (REPO / "scdata").glob("*.py")}
    assert modules == set(CHAIN)


def test_modules_import_only_earlier_ones():
    for module in CHAIN:
        allowed = set(CHAIN[: CHAIN.index(module)])
        if module == "cli":
            allowed.add("sandbox")  # `scdata sandbox` and `scdata demo` run the emulator
        used = scdata_imports(REPO / "scdata" / f"{module}.py") - {module}
        assert used <= allowed, f"{module} imports {sorted(used - allowed)}"


def test_the_emulator_shares_nothing_with_the_client():
    for path in (REPO / "scdata" / "sandbox").glob("*.py"):
        used = scdata_imports(path) - {p.stem for p in path.parent.glob("*.py")} - {"sandbox"}
        if path.name == "server.py":
            assert used == {"client"}, used  # serve(): the lazy `import scdata._client`
        else:
            assert used == set(), f"{path.name} imports {used}"
