"""A SQLite cache file that is disposable: checked, rebuilt or bypassed, never why a call fails.

The HTTP cache (:mod:`~scdata.http.session`) and the typed page copies
(:mod:`~scdata.storage.pages`) each
live in one SQLite file, watched by one :class:`CacheFile`:

* **corrupt** (garbage bytes, a damaged page): one WARNING names the file and the error; the
  file is moved aside to ``<name>.corrupt`` (its ``-wal``/``-shm`` deleted) and a new one is
  started. If it cannot be moved, the cache is bypassed;
* **read-only** (file or directory not writable): one WARNING; answers are read from it
  (``mode=ro``, or ``immutable=1`` when SQLite cannot even create its shared-memory file) and
  nothing is stored;
* **full** (or any other failed write): one WARNING; this process stops storing in it and
  goes on reading from it;
* a directory writable by group or others is tightened to 0700 when it is ours (not a sticky
  shared directory such as ``/tmp``), else warned about; the database is created, and kept, 0600;
* **purge**: expired entries are deleted once they have been expired for
  :data:`KEEP_EXPIRED` seconds (until then ``offline=True`` still reads them), at most
  :data:`PURGE_BATCH` rows per pass and at most one pass per :data:`PURGE_EVERY` seconds per
  process and file, on a write (so a cache that is only read never loses anything). Each pass
  is one ``DELETE`` through an index on the expiry column; freed pages are reused, so the file
  stops growing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import filelock

log = logging.getLogger("scdata")

KEEP_EXPIRED = 24 * 3600.0  # seconds an expired entry stays readable offline before a purge
PURGE_EVERY = 300.0  # seconds between two purge passes of one file in one process
PURGE_BATCH = 500  # rows one purge pass deletes at most
BUSY_TIMEOUT = 30.0  # seconds a connection waits on another writer's lock
ASIDE_SUFFIX = ".corrupt"
SIDE_FILES = ("-wal", "-shm", "-journal")

_announced: set[tuple[str, str]] = set()  # (path, what was said): each said once per process
_announcing = threading.Lock()


def _warn_once(path: Path, topic: str, message: str, *args: object) -> None:
    key = (str(path), topic)
    with _announcing:
        if key in _announced:
            return
        _announced.add(key)
    log.warning(message, *args)


def secure_directory(directory: Path) -> None:
    """Create ``directory`` 0700; tighten one that group or others may write, or warn about it.

    A directory that is not ours, or a sticky shared one such as ``/tmp``, is never changed:
    one WARNING says that others can replace what is in it.

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> (base / "cache").mkdir(mode=0o777); os.chmod(base / "cache", 0o777)
    >>> secure_directory(base / "cache")
    >>> oct(stat.S_IMODE(os.stat(base / "cache").st_mode))
    '0o700'
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return  # the file's own open says what is wrong
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o022:
        return
    if info.st_uid == os.geteuid() and not mode & stat.S_ISVTX:
        try:
            os.chmod(directory, 0o700)
        except OSError as exc:
            _warn_once(directory, "mode", "cache directory %s is writable by other users "
                       "(mode %s) and could not be tightened: %s", directory, oct(mode),
                       exc.strerror or exc)  # fmt: skip
        else:
            _warn_once(directory, "mode", "cache directory %s was writable by other users "
                       "(mode %s): tightened to 0700", directory, oct(mode))  # fmt: skip
        return
    _warn_once(directory, "mode", "cache directory %s is writable by other users (mode %s) and "
               "is not ours to change: anyone who can write there can replace the cache; set "
               "SCDATA_CACHE_DIR to a private directory", directory, oct(mode))  # fmt: skip


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing; tighten an existing one of ours that others may read."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
        with contextlib.suppress(OSError):  # a read-only file is reported by the probe
            os.chmod(path, 0o600)


def error_kind(exc: BaseException) -> str:
    """``"corrupt"``, ``"busy"``, ``"closed"``, ``"moved"`` or ``"io"`` for a ``sqlite3`` error.

    Examples
    --------
    >>> error_kind(sqlite3.DatabaseError("file is not a database"))
    'corrupt'
    >>> error_kind(sqlite3.OperationalError("database or disk is full"))
    'io'
    """
    name = getattr(exc, "sqlite_errorname", None) or ""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return "closed"  # another thread swapped the connection; the next call reopens
    if name == "SQLITE_READONLY_DBMOVED":
        return "moved"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
        return "corrupt"
    if "not a database" in text:
        return "corrupt"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return "busy"
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return "corrupt"
    return "io"


#: files this process found healthy: path -> (device, inode, change time) when checked; any
#: change to the file since (a write, chmod, chattr, a replacement) means checking it again
_VERIFIED: dict[str, tuple[int, int, int]] = {}


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_ctime_ns


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """The lock beside the file (processes check and open it one at a time), if it can be had.

    In a directory nobody can write, there is no lock file and no writer to wait for.
    """
    lock = filelock.FileLock(path.with_name(f".{path.name}.lock"), mode=0o600)
    try:
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


class CacheFile:
    """One SQLite cache file: opened, checked, and set aside or bypassed when it cannot serve.

    Parameters
    ----------
    path : Path
        The database file.
    what : str
        How warnings name it (``"HTTP cache"``, ``"typed page copies"``).
    schema : sequence of str
        ``CREATE ... IF NOT EXISTS`` statements run when the file is (re)created.

    Attributes
    ----------
    state : {"ok", "read-only", "off"}
        Whether the file is written, only read, or bypassed.
    generation : int
        Grows when the file is replaced; connections opened before must be reopened.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "c.sqlite"
    >>> path.write_bytes(b"garbage " * 512)
    4096
    >>> file = CacheFile(path, "test cache", ["CREATE TABLE IF NOT EXISTS t (x)"])
    >>> file.open()  # one WARNING: not a database, moved aside
    >>> file.state, (path.parent / "c.sqlite.corrupt").exists()
    ('ok', True)
    >>> file.connect().execute("SELECT count(*) FROM t").fetchone()
    (0,)
    """

    def __init__(self, path: Path, what: str, schema: Sequence[str]) -> None:
        self.path = path
        self.what = what
        self.schema = tuple(schema)
        self.state = "ok"
        self.generation = 0
        self._opened = False
        self._lock = threading.RLock()
        self._next_purge = 0.0

    # -- opening ---------------------------------------------------------------------------
    def open(self) -> None:
        """Check the file once (under its lock): rebuild it if corrupt, bypass what can't serve.

        A file this process already found healthy, and unchanged since (same device, inode
        and change time), is not checked again by a new client: the check is a write
        transaction under a file lock, and a warm pull should not pay it twice. Errors met
        later still recover.
        """
        with self._lock:
            if self._opened:
                return
            identity = _identity(self.path)
            if identity is not None and _VERIFIED.get(str(self.path)) == identity:
                self._opened = True
                return
            secure_directory(self.path.parent)  # before the lock file is created in it
            with _file_lock(self.path):
                self._check()
            self._opened = True
            identity = _identity(self.path)
            if self.state == "ok" and identity is not None:
                _VERIFIED[str(self.path)] = identity

    @property
    def writable(self) -> bool:
        return self.state == "ok"

    def _check(self) -> None:
        try:
            _private_file(self.path)
        except OSError as exc:
            self._cannot_create(exc)
            return
        problem = self._probe()
        if problem is None:
            return
        kind, why = problem
        if kind == "corrupt":
            self._replace(why)
        elif kind == "read-only":
            self._read_only(why)
        else:
            self._bypass(why)

    def _cannot_create(self, exc: OSError) -> None:
        why = exc.strerror or str(exc)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as failed:
            why = f"its directory can't be created: {failed.strerror or failed}"
        self.state = "off"
        _warn_once(self.path, "off", "%s %s can't be created (%s): going on without it",
                   self.what, self.path, why)  # fmt: skip

    def _probe(self, *, thorough: bool = False) -> tuple[str, str] | None:
        """``None`` when the file can be read and written, else (kind, what is wrong).

        Opening reads the header and the schema only; ``thorough`` (after an error said the
        file is damaged) also runs ``PRAGMA quick_check``, which reads every page.
        """
        try:
            db = self._connect_rw()
        except sqlite3.Error as exc:
            return self._probe_read_only(exc)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if thorough:
                (verdict,) = db.execute("PRAGMA quick_check(1)").fetchone()
                if verdict != "ok":
                    db.close()
                    return "corrupt", str(verdict)
        except sqlite3.Error as exc:
            db.close()
            return self._probe_read_only(exc)
        try:
            if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            self._set_up(db)
            return None
        except sqlite3.Error as exc:
            if error_kind(exc) == "corrupt":
                return "corrupt", str(exc)
            return "read-only", _why(exc, self.path)
        finally:
            db.close()

    def _probe_read_only(self, first: sqlite3.Error) -> tuple[str, str]:
        if error_kind(first) == "corrupt":
            return "corrupt", str(first)
        try:
            db = self._connect_ro()
        except sqlite3.Error as exc:
            kind = "corrupt" if error_kind(exc) == "corrupt" else "off"
            return kind, str(exc if kind == "corrupt" else first)
        db.close()
        return "read-only", _why(first, self.path)

    def _set_up(self, db: sqlite3.Connection) -> None:
        """Switch the file to WAL and create the tables (a real write: proves it is writable).

        Always runs under the file lock (:meth:`open`, :meth:`_recover`): switching a new file
        to WAL needs an exclusive lock, and SQLite answers "database is locked" at once, without
        its busy timeout, to a second process doing the same. The lock is the one fix of that
        race, for the HTTP cache and the page copies alike.
        """
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"PRAGMA user_version={_user_version(db)}")
            for statement in self.schema:
                db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def _replace(self, why: str) -> None:
        aside = self.path.with_name(self.path.name + ASIDE_SUFFIX)
        try:
            os.replace(self.path, aside)
            for suffix in SIDE_FILES:  # a stale WAL must never be replayed into the new file
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            _private_file(self.path)
            db = self._connect_rw()
            try:
                self._set_up(db)
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            self.state = "off"
            _warn_once(self.path, "off", "%s %s is not a usable SQLite database (%s) and can't "
                       "be replaced (%s): going on without it", self.what, self.path, why,
                       _why(exc, self.path))  # fmt: skip
            return
        self.state = "ok"
        self.generation += 1
        log.warning("%s %s is not a usable SQLite database (%s): moved it aside to %s and "
                    "started a new one", self.what, self.path, why, aside.name)  # fmt: skip

    def _read_only(self, why: str) -> None:
        self.state = "read-only"
        _warn_once(self.path, "read-only", "%s %s can't be written (%s): answers are read from "
                   "it but not stored", self.what, self.path, why)  # fmt: skip

    def _bypass(self, why: str) -> None:
        self.state = "off"
        _warn_once(self.path, "off", "%s %s can't be opened (%s): going on without it",
                   self.what, self.path, why)  # fmt: skip

    # -- connections -------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        """A new connection for the current state (read-only when the file can't be written).

        Raises ``sqlite3.OperationalError`` when the file is bypassed.
        """
        self.open()
        if self.state == "off":
            raise sqlite3.OperationalError(f"{self.what} is bypassed")
        if self.state == "read-only":
            return self._connect_ro()
        try:
            return self._connect_rw()
        except sqlite3.Error as exc:
            if self.path.exists():
                self.failed(exc, writing=False)
                raise
        with self._lock:  # deleted under us (``cache clear`` elsewhere): start a new one
            self._opened = False
            self.open()
            self.generation += 1
        return self.connect()

    def _connect_rw(self) -> sqlite3.Connection:
        # mode=rw: never create the file (SQLite would, with the umask's mode): _check does.
        db = sqlite3.connect(f"file:{quote(str(self.path))}?mode=rw", uri=True,
                             timeout=BUSY_TIMEOUT, isolation_level=None,
                             check_same_thread=False)  # fmt: skip
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _connect_ro(self) -> sqlite3.Connection:
        """``mode=ro``; ``immutable=1`` when SQLite can't create its WAL index (read-only dir)."""
        uri = f"file:{quote(str(self.path))}"
        first: sqlite3.Error | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                db = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=BUSY_TIMEOUT,
                                     isolation_level=None, check_same_thread=False)  # fmt: skip
            except sqlite3.Error as exc:
                first = first or exc
                continue
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.Error as exc:
                db.close()
                if error_kind(exc) == "corrupt":
                    raise
                first = first or exc
        assert first is not None
        raise first

    # -- failures at run time ----------------------------------------------------------------
    def failed(self, exc: sqlite3.Error, *, writing: bool) -> None:
        """React to an error met while reading or writing: the caller then reports a miss."""
        _VERIFIED.pop(str(self.path), None)  # the next client checks the file again
        kind = error_kind(exc)
        if kind == "closed" or self.state == "off":  # "off" was announced when it was decided
            return
        if kind == "busy":
            log.debug("%s %s busy: %s", self.what, self.path, exc)
            return
        with self._lock:
            if kind == "moved":  # another process replaced the file: reopen the new one
                self.generation += 1
            elif kind == "corrupt":
                self._recover(str(exc))
            elif writing and self.state == "ok":
                self.state = "read-only"
                _warn_once(self.path, "write", "%s %s can't be written (%s): answers are no "
                           "longer stored in it by this process", self.what, self.path,
                           _why(exc, self.path))  # fmt: skip
            else:
                _warn_once(self.path, "read", "%s %s can't be read (%s): treated as a miss",
                           self.what, self.path, _why(exc, self.path))  # fmt: skip

    def _recover(self, why: str) -> None:
        if self.state == "off":
            return
        if self.state == "read-only":
            self._bypass(why)
            return
        with _file_lock(self.path):
            problem = self._probe(thorough=True)  # another process may have replaced it
            if problem is not None and problem[0] == "corrupt":
                self._replace(why)
                return
        if problem is None:
            self.generation += 1  # a healthy file (new, or the damage was elsewhere): reopen
        else:
            self._bypass(why)

    # -- purge ---------------------------------------------------------------------------------
    def purge_due(self) -> bool:
        """True at most once per :data:`PURGE_EVERY` seconds (and never when not writable)."""
        with self._lock:
            now = time.monotonic()
            if not self.writable or now < self._next_purge:
                return False
            self._next_purge = now + PURGE_EVERY
            return True

    def purge(self, db: sqlite3.Connection, table: str, column: str = "expires") -> int:
        """Delete at most :data:`PURGE_BATCH` rows expired for over :data:`KEEP_EXPIRED` s."""
        cutoff = time.time() - KEEP_EXPIRED
        cursor = db.execute(purge_statement(table, column), (cutoff, PURGE_BATCH))
        if cursor.rowcount:
            log.debug("purged %d expired rows from %s", cursor.rowcount, self.path)
        return cursor.rowcount

    def remove_aside(self) -> None:
        """Delete the copy set aside when the file was found corrupt, if any."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path.with_name(self.path.name + ASIDE_SUFFIX))

    def remove(self) -> None:
        """Delete the file, its side files and any aside copy (``scdata cache clear``)."""
        for name in (self.path.name, *(self.path.name + s for s in (*SIDE_FILES, ASIDE_SUFFIX))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path.with_name(name))
        with self._lock:
            self._opened = False
            self.state = "ok"
            self.generation += 1

    def __repr__(self) -> str:
        return f"CacheFile({str(self.path)!r}, state={self.state!r})"


def purge_statement(table: str, column: str = "expires") -> str:
    """The purge's one ``DELETE``: the oldest expired rows first, found through ``column``'s index.

    Examples
    --------
    >>> print(purge_statement("pages").replace(" (", "\\n("))
    DELETE FROM pages WHERE rowid IN
    (SELECT rowid FROM pages WHERE expires <= ? ORDER BY expires LIMIT ?)
    """
    return (
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} "
        f"WHERE {column} <= ? ORDER BY {column} LIMIT ?)"
    )


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _why(exc: BaseException, path: Path) -> str:
    """What is wrong, in words, adding the file system's reason when SQLite gives none."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, sqlite3.Error) and error_kind(exc) == "io":
        if not os.access(path.parent, os.W_OK):
            return f"{text}; its directory is not writable"
        if path.exists() and not os.access(path, os.W_OK):
            return f"{text}; the file is not writable"
    return text
