"""Frames: JSON -> Arrow -> pandas, and back to files.

- :mod:`~scdata.frames.schema`: every column declared once (``python -m scdata.frames`` prints
  ``docs/columns.md``);
- :mod:`~scdata.frames.tags`: ``tag_list`` parsed the way SoundCloud writes it;
- :mod:`~scdata.frames.jsonbody`: page bodies decoded (BOM, lone surrogates);
- :mod:`~scdata.frames.convert`: API pages to typed Arrow tables and pandas frames;
- :mod:`~scdata.frames.files`: Parquet, CSV and JSON Lines, written atomically.

Nothing is imported here (``scdata --help`` stays free of pandas). ``scdata.frames.tracks_frame``
and ``users_frame`` still work for one release, with a :class:`DeprecationWarning`.
"""

from typing import Any

_MOVED_TO_CONVERT = ("tracks_frame", "users_frame", "tracks_table", "users_table",
                     "empty_tracks_frame", "empty_users_frame", "table_to_frame")  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_CONVERT:
        from .. import _moved
        from . import convert

        _moved.warn_moved(f"scdata.frames.{name}", f"scdata.frames.convert.{name}")
        return getattr(convert, name)
    raise AttributeError(f"module 'scdata.frames' has no attribute {name!r}")
