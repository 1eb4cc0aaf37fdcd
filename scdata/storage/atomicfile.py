"""Writing a file so that a reader sees the old version or the new one, never half of one.

One mechanism for every file scdata writes: Parquet, CSV and JSONL exports, the token file and
the shared-state files. The data goes to a temporary file beside the target, which is fsynced
and renamed over it; the directory is then fsynced. On any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEMP_SUFFIX = ".scdata-tmp"
STALE_TEMP_SECONDS = 3600.0


def fsync(path: Path, *, directory: bool = False) -> None:
    """Flush ``path`` (a file, or with ``directory=True`` a directory) to disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some platforms cannot open directories; the rename is still done
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def default_file_mode() -> int:
    """0o666 minus the umask, read without changing it (Linux), else 0o644."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


def remove_stale_temps(parent: Path, name: str) -> None:
    """Remove temporaries of killed writers of ``name`` that are more than an hour old."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for stale in parent.glob(f".{name}.*{TEMP_SUFFIX}"):
        try:
            if stale.stat().st_mtime < cutoff:
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink()
        except OSError:
            pass


def write_atomically(
    path: Path, write: Callable[[Path], object], *, mode: int | None = None, durable: bool = True
) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    Parameters
    ----------
    path : Path
        The target.
    write : callable
        Writes the content to the temporary path it is given.
    mode : int, optional
        File mode of the result (default: 0o666 minus the umask). Secrets use ``0o600``; the
        temporary file is created with that mode, so the content is never readable by others.
    durable : bool, default True
        Fsync the file and its directory. Coordination state that only matters while processes
        run (back-off, circuit breaker) skips it: the rename alone is atomic.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomically(target, lambda tmp: tmp.write_text("done"))
    >>> target.read_text()
    'done'
    """
    parent = path.parent
    remove_stale_temps(parent, path.name)
    fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(tmp_name)  # mkstemp creates it 0600
    try:
        os.close(fd)
        write(tmp)
        os.chmod(tmp, default_file_mode() if mode is None else mode)
        if durable:
            fsync(tmp)
        os.replace(tmp, path)
        if durable:
            fsync(parent, directory=True)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes_atomically(
    path: Path, data: bytes, *, mode: int | None = None, durable: bool = True
) -> None:
    """:func:`write_atomically` for bytes already in memory.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "state.json"
    >>> write_bytes_atomically(target, b"{}", mode=0o600)
    >>> oct(target.stat().st_mode & 0o777), target.read_bytes()
    ('0o600', b'{}')
    """
    write_atomically(path, lambda tmp: tmp.write_bytes(data), mode=mode, durable=durable)
