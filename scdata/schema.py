"""Deprecated: moved to :mod:`scdata.frames.schema` (kept for one release).

``python -m scdata.schema`` still prints ``docs/columns.md``; use ``python -m scdata.frames``.
"""

from typing import Any

from . import _moved
from .frames import schema as _new
from .frames.schema import *  # noqa: F403
from .frames.schema import __all__  # noqa: F401

_moved.warn_moved("scdata.schema", "scdata.frames.schema")


def __getattr__(name: str) -> Any:
    return getattr(_new, name)


if __name__ == "__main__":  # pragma: no cover
    print(_new.columns_document(), end="")
