"""The public names stay honest: ``__all__`` lists what ``scdata`` offers, each documented,
every exception importable, and the package ships ``py.typed`` for type checkers."""

from __future__ import annotations

import importlib
import inspect
import sys
import tomllib
import types
from pathlib import Path

import pytest

import scdata
import scdata.errors

ROOT = Path(__file__).resolve().parents[1]
# public subpackages reached as attributes, not listed in ``__all__``: their own namespaces
SUBPACKAGES_WITH_ALL = ("scdata.cli", "scdata.sandbox", "scdata.dask")


def _is_api(obj: object) -> bool:
    """A function or a class: what must be listed and documented."""
    return inspect.isclass(obj) or inspect.isroutine(obj)


def _own_doc(obj: object) -> str:
    """The docstring written on ``obj`` itself (a class does not inherit one here)."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return (doc or "").strip()


def _undocumented(module: types.ModuleType) -> list[str]:
    """Names of ``module.__all__`` without a docstring (a data value: named in a docstring)."""
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if name.startswith("__"):
            continue  # __version__
        if _is_api(obj):
            if not _own_doc(obj):
                missing.append(name)
        elif not any(name in (m.__doc__ or "") for m in _homes(module, name, obj)):
            missing.append(name)
    return missing


def _homes(module: types.ModuleType, name: str, obj: object) -> list[types.ModuleType]:
    """``module`` and every loaded scdata module that binds ``name`` to ``obj``."""
    loaded = [m for key, m in sorted(sys.modules.items()) if key.split(".")[0] == "scdata"]
    return [module, *(m for m in loaded if getattr(m, name, None) is obj)]


def test_every_name_in_all_exists_once():
    assert len(scdata.__all__) == len(set(scdata.__all__)), "a name is listed twice"
    missing = [name for name in scdata.__all__ if not hasattr(scdata, name)]
    assert missing == []


def test_every_name_in_all_is_documented():
    assert _undocumented(scdata) == []


def test_every_public_function_and_class_is_in_all():
    unlisted = [
        name
        for name, obj in vars(scdata).items()
        if not name.startswith("_") and _is_api(obj) and name not in scdata.__all__
    ]
    assert unlisted == [], "public but not in scdata.__all__ (add it, or underscore it)"


def test_public_methods_of_public_classes_are_documented():
    missing = []
    for name in scdata.__all__:
        cls = getattr(scdata, name)
        if not inspect.isclass(cls):
            continue
        for attr, value in vars(cls).items():
            if attr.startswith("_"):
                continue
            target = value.fget if isinstance(value, property) else value
            if isinstance(target, staticmethod | classmethod):
                target = target.__func__
            if _is_api(target) and not _own_doc(target):
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_the_original_service_namespace_is_documented():
    """``scdata.soundcloud_api.users.get_info`` and friends: every function has a docstring."""
    missing = [
        f"{group}.{name}"
        for group, namespace in vars(scdata.soundcloud_api).items()
        for name, function in vars(namespace).items()
        if not _own_doc(function)
    ]
    assert vars(scdata.soundcloud_api) and missing == []


def _exception_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(scdata.errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == scdata.errors.__name__
    }


def test_errors_module_exports_every_exception_class():
    classes = _exception_classes()
    assert "SoundCloudError" in classes
    exported: dict[str, object] = {}
    exec("from scdata.errors import *", exported)  # what a star import gives, __all__ or not
    assert sorted(set(classes) - set(exported)) == []
    private = [name for name in classes if name.startswith("_")]
    assert private == [], "an exception users may see has a private name"


def test_every_exception_class_is_public_at_the_top():
    for name, cls in _exception_classes().items():
        assert getattr(scdata, name, None) is cls, f"scdata.{name} is missing"
        assert name in scdata.__all__, f"{name} is not in scdata.__all__"
        assert _own_doc(cls), f"{name} has no docstring"


def test_every_scdata_exception_derives_from_soundcloud_error():
    outside = [
        name
        for name, cls in _exception_classes().items()
        if not issubclass(cls, scdata.errors.SoundCloudError)
    ]
    assert outside == []


@pytest.mark.parametrize("module_name", SUBPACKAGES_WITH_ALL)
def test_subpackage_all_exists_and_is_documented(module_name):
    if module_name == "scdata.dask":
        pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    module = importlib.import_module(module_name)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert _undocumented(module) == []


def test_package_ships_py_typed():
    marker = Path(scdata.__file__).with_name("py.typed")
    assert marker.is_file(), "scdata/py.typed is missing: type checkers would ignore the types"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data.get("scdata", []), "py.typed is not in the package data"
