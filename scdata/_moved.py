"""Old import paths kept for one release: each warns once, naming the new path.

``scdata.schema`` (now :mod:`scdata.frames.schema`), ``scdata.export`` (now
:mod:`scdata.frames.files`) and ``scdata.frames.tracks_frame``/``users_frame`` (now in
:mod:`scdata.frames.convert`) still work and emit a :class:`DeprecationWarning` that points at
the line that used them.
"""

from __future__ import annotations

import sys
import warnings

REMOVED_IN = "the next release"


def warn_moved(old: str, new: str) -> None:
    """Warn that ``old`` moved to ``new``, blaming the code that imported or used ``old``.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_moved("scdata.schema", "scdata.frames.schema")
    >>> print(caught[0].message)
    scdata.schema is deprecated and will be removed in the next release; use scdata.frames.schema
    """
    frame = sys._getframe(1)  # the shim (blamed itself when run as ``python -m``)
    shim = frame.f_code.co_filename
    level = 2
    while (
        frame.f_globals.get("__name__") != "__main__"
        and frame.f_back is not None
        and (frame.f_code.co_filename == shim or "importlib" in frame.f_code.co_filename)
    ):
        frame = frame.f_back  # past the shim and the import machinery, to the caller
        if "importlib" not in frame.f_code.co_filename:
            level += 1  # warnings.warn itself does not count the import machinery's frames
    message = f"{old} is deprecated and will be removed in {REMOVED_IN}; use {new}"
    warnings.warn(message, DeprecationWarning, stacklevel=level)
