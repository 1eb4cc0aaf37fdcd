"""Deprecated: moved to :mod:`scdata.frames.files` (kept for one release).

``to_parquet`` and ``read_parquet`` are also ``scdata.to_parquet`` and ``scdata.read_parquet``;
the bulk export is ``scdata.export_tracks`` (:mod:`scdata.datasets.export`).
"""

from typing import Any

from . import _moved
from .frames import files as _new
from .frames.files import *  # noqa: F403
from .frames.files import __all__  # noqa: F401

_moved.warn_moved("scdata.export", "scdata.frames.files")


def __getattr__(name: str) -> Any:
    return getattr(_new, name)
