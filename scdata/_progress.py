"""Progress bars for long pulls: tqdm (a widget in notebooks), off when nobody is watching."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

SHOW_AFTER = 0.5  # seconds before a bar appears


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def progress_enabled(progress: bool | None) -> bool:
    """``progress`` if given, else on when stderr is a terminal or we run in a Jupyter kernel.

    Examples
    --------
    >>> progress_enabled(False)
    False
    """
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) or _in_notebook()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int | None, desc: str, enabled: bool) -> Any:
    """A tqdm bar counting tracks (``tqdm.auto``), or an object that does nothing.

    Examples
    --------
    >>> bar = progress_bar(10, "jowymusic", enabled=False)
    >>> bar.update(5); bar.close()
    """
    if not enabled:
        return _NoBar()
    if _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:  # a terminal, or a notebook without ipywidgets: a text bar, no warning
        from tqdm.std import tqdm

    # delay: a pull that is over within half a second (a cached one) shows no bar at all
    return tqdm(
        total=total, desc=desc, unit="track", leave=False, file=sys.stderr, delay=SHOW_AFTER
    )


def counted(pages: Iterable[T], bar: Any, size: Callable[[T], int]) -> Iterator[T]:
    """Yield ``pages``, moving ``bar`` by each page's ``size`` as it arrives (not per user).

    Examples
    --------
    >>> class Bar:
    ...     def update(self, n): print("+", n)
    >>> [len(page) for page in counted([[1, 2], [3]], Bar(), len)]
    + 2
    + 1
    [2, 1]
    """
    for page in pages:
        bar.update(size(page))
        yield page
