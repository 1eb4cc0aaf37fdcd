"""The ``scdata`` command: export tracks, users and every collection (followers, likes,
comments...), resolve URLs, inspect the cache, run the emulator or a demo.

Data goes to stdout, progress and messages to stderr. Exit status: 0 on success, 2 on bad
usage (a bad option or argument: :class:`~scdata.errors.ArgumentError`, which includes
:class:`~scdata.errors.InvalidUserError` and a track given where a user is expected), 1 on any
other SoundCloud, data or I/O error (one line; ``--debug`` shows the traceback), 130 on Ctrl-C.
With ``--errors skip`` an input that fails (not found, invalid, a list that errors after
retries) is named on stderr (``scdata: skipped INPUT: ...``) and left out; the status is 0
when at least one input succeeded (even with no rows), 1 when every input failed. Walls
(throttling, a blocked IP, credentials) always stop the command with 1.

The collection commands (``followers``, ``likes``...) are declared once in
:mod:`scdata.cli.collections` and run by one function, :func:`_cmd_collection`.

Nothing heavy is imported here: pandas, pyarrow, the client and the emulator load inside the
commands, so ``scdata --help`` and every ``scdata COMMAND --help`` answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._resources import COLLECTIONS
from ..errors import ArgumentError, ConfigurationError, SoundCloudError
from .collections import TABLE_COLUMNS as ITEM_TABLE_COLUMNS
from .collections import add_commands, add_errors_option, command, positive_int
from .search import add_search_parser, run_search_command
from .sync import add_sync_parser, run_sync_command

if TYPE_CHECKING:
    import pandas as pd

    from .._client import Client

log = logging.getLogger("scdata")

EPILOG = """examples:
  scdata demo                                   export jowymusic from the local emulator
  scdata tracks jowymusic -o jowymusic.parquet  every track, typed, to Parquet
  scdata tracks jowymusic bjork-unicode --limit 20 -o latest.csv
  scdata tracks jowymusic -o - --format csv | duckdb -c "SELECT count(*) FROM read_csv('/dev/stdin')"
  scdata user jowymusic                         a readable table on stdout
  scdata followers jowymusic --max-per-user 500 -o fans.parquet
  scdata comments https://soundcloud.com/jowymusic/analog-satellite -o comments.csv
  scdata resolve https://on.soundcloud.com/sbJowyTrack1    what a link names
  scdata export --what followers users.txt -o followers/   many users, resumable
  scdata tracks jowymusic --sandbox             the same against the local emulator
  scdata cache info                             where the cache is and what it holds
  scdata sandbox --port 8765                    run the emulator in the foreground
"""  # noqa: E501
TABLE_COLUMNS = ["title", "created_at", "duration_s", "playback_count", "favoritings_count", "tags"]
USER_TABLE_COLUMNS = ["username", "permalink", "followers_count", "track_count", "city", "country"]
TABLE_ROWS = 60  # a longer table shows its first and last 30 rows
FORMATS = ("parquet", "csv", "jsonl")
STDOUT = "-"
SANDBOX_EXAMPLE = "scdata tracks jowymusic --sandbox"
_COLLECTION_NAMES = tuple(COLLECTIONS)
RESOLVE_TABLE_COLUMNS = ["url", "kind", "urn", "permalink_url"]


_positive_int = positive_int


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _collection_name(text: str) -> str:
    """``--what``: a collection name (``likes-tracks`` is ``likes_tracks``)."""
    name = text.strip().replace("-", "_")
    if name not in _COLLECTION_NAMES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a collection; one of: {', '.join(_COLLECTION_NAMES)}"
        )
    return name


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    # accepted before or after the command; SUPPRESS keeps a subcommand from resetting them
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    noise = common.add_argument_group("output")
    noise.add_argument(
        "-v", "--verbose", action="store_true",
        help="say what is fetched, from the cache or the network, and how many rows",
    )  # fmt: skip
    noise.add_argument("--debug", action="store_true", help="log every request; show tracebacks")
    noise.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    # what every command that fetches data accepts
    fetch = argparse.ArgumentParser(add_help=False)
    fetch.add_argument("--offline", action="store_true", help="answer only from the cache")
    fetch.add_argument("--refresh", action="store_true", help="refetch and replace cache entries")
    fetch.add_argument(
        "--sandbox", action="store_true",
        help="use the local SoundCloud emulator (no credentials needed; a temporary cache)",
    )  # fmt: skip
    table = argparse.ArgumentParser(add_help=False)
    table.add_argument(
        "-o", "--output", metavar="PATH",
        help="write .parquet, .csv or .jsonl; '-' writes to stdout (default: a table on stdout)",
    )  # fmt: skip
    table.add_argument(
        "--format", choices=FORMATS,
        help="the file format, whatever PATH's extension; alone: to stdout (-o - is csv)",
    )  # fmt: skip

    parser = argparse.ArgumentParser(
        prog="scdata", description="SoundCloud public API to typed tables and Parquet.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common],
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, examples: str, *parents: argparse.ArgumentParser):
        return sub.add_parser(
            name, help=help_, description=help_, epilog=f"examples:\n{examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common, *parents],
        )  # fmt: skip

    tracks = add(
        "tracks",
        "every track of one or more users",
        "  scdata tracks jowymusic --limit 50 -o latest.parquet\n"
        "  scdata tracks jowymusic bjork-unicode          a table; the user column says whose\n"
        "  scdata tracks jowymusic -o - --format csv | duckdb -c \"SELECT * FROM read_csv('/dev/stdin')\"",  # noqa: E501
        fetch, table,
    )  # fmt: skip
    tracks.add_argument("users", nargs="+", metavar="USER", help="username, id, URN or URL")
    tracks.add_argument("--limit", type=_positive_int, help="at most N tracks per user")
    user = add(
        "user",
        "profiles of one or more users",
        "  scdata user jowymusic -o users.csv\n  scdata user jowymusic big-catalog --format jsonl",
        fetch, table,
    )  # fmt: skip
    user.add_argument("users", nargs="+", metavar="USER", help="username, id, URN or URL")
    add_commands(add, fetch, table)
    resolve = add(
        "resolve",
        "what each SoundCloud URL, short link, URN or id names: kind, URN, id, page URL",
        "  scdata resolve https://soundcloud.com/jowymusic/sets/neon-engine-priya-remix\n"
        "  scdata resolve https://on.soundcloud.com/sbJowyTrack1 https://m.soundcloud.com/jowymusic",
        fetch, table,
    )  # fmt: skip
    resolve.add_argument("urls", nargs="+", metavar="URL", help="URL, short link, URN or id")
    resolve.add_argument(
        "--kind", choices=("users", "tracks", "playlists"),
        help="what every input must be (needed for bare ids)",
    )  # fmt: skip
    add_errors_option(resolve)

    export = add(
        "export",
        "a collection (tracks by default) of many users, tracks or playlists to a "
        "partitioned Parquet dataset; re-run to resume",
        "  scdata export users.txt -o tracks/\n"
        "  scdata export users.txt -o tracks/ --refresh   fetch every user again\n"
        "  scdata export --what followers users.txt -o followers/\n"
        "  scdata export --what comments tracks.txt -o comments/   one track per line",
        fetch,
    )  # fmt: skip
    export.add_argument(
        "users_file", type=Path, metavar="FILE",
        help="one owner per line (a user; a track or playlist for their lists); blank lines "
        "and # comments are ignored",
    )  # fmt: skip
    export.add_argument(
        "--what", default="tracks", type=_collection_name, metavar="COLLECTION",
        help=f"what to export (default: tracks): {', '.join(_COLLECTION_NAMES)}",
    )  # fmt: skip
    export.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR",
        help="the dataset directory (its parent must exist)",
    )  # fmt: skip
    export.add_argument("--limit", type=_positive_int, help="at most N rows per owner")
    export.add_argument("--workers", type=_positive_int, default=8, help="owners at once (8)")
    export.add_argument(
        "--max-age", type=_seconds, metavar="SECONDS",
        help="skip users exported less than this ago (default: expire_after; 0 with --refresh)",
    )  # fmt: skip

    cache = add("cache", "inspect or clear the HTTP cache", "  scdata cache info")
    cache_sub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    cache_sub.add_parser("info", help="location, size, entries, token expiry", parents=[common])
    clear = cache_sub.add_parser("clear", help="delete cached answers", parents=[common])
    clear.add_argument("--expired", action="store_true", help="only the expired ones")

    sandbox = add(
        "sandbox",
        "run the local SoundCloud emulator in the foreground",
        "  scdata sandbox --port 8765\n"
        "  scdata sandbox --no-production --latency 0.05   fast and permissive",
    )  # fmt: skip
    if "sandbox" in argv:  # the emulator's own options, loaded only when they can be used
        from ..sandbox.cli import MODES, add_arguments

        add_arguments(sandbox)
        sandbox.epilog = f"{sandbox.epilog}\n\n{textwrap.fill(MODES, 79)}"

    add_search_parser(add, fetch, table)
    add_sync_parser(add)
    demo = add(
        "demo",
        "the main job: export a user's tracks to Parquet and summarise them",
        "  scdata demo -o jowymusic.parquet",
    )
    demo.add_argument("user", nargs="?", default="jowymusic", help="default: jowymusic")
    demo.add_argument(
        "-o", "--output", type=Path, metavar="PATH",
        help="default: <user>.parquet in the current directory",
    )  # fmt: skip
    demo.add_argument(
        "--sandbox", action="store_true", help="use the emulator even when credentials are set"
    )
    return parser


# ------------------------------------------------------------------------------- logging


class _Requests(logging.Handler):
    """Counts the API's answers by where they came from (from the DEBUG line of each GET)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.network = self.cached = 0

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not (isinstance(record.msg, str) and record.msg.startswith("GET ")):
            return
        if isinstance(args, tuple) and len(args) > 1:
            if args[1] == "network":
                self.network += 1
            elif args[1] == "cached":
                self.cached += 1

    def summary(self) -> str:
        if not self.network:
            return f"requests: none sent to SoundCloud; {self.cached} answered from the cache"
        return f"requests: {self.network} sent to SoundCloud, {self.cached} answered from the cache"


@contextlib.contextmanager
def _logging(args: argparse.Namespace) -> Iterator[_Requests | None]:
    """stderr lines at the level asked; with -v or --debug, the requests counted too."""
    talk = args.verbose or args.debug
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.DEBUG if args.debug else logging.INFO)
    handler.setFormatter(logging.Formatter("scdata: %(levelname)s: %(message)s"))
    counter = _Requests() if talk else None
    previous = log.level
    log.setLevel(logging.DEBUG if talk else logging.WARNING)
    added = [handler, *([counter] if counter else [])]
    for h in added:
        log.addHandler(h)
    try:
        yield counter
    finally:
        for h in added:
            log.removeHandler(h)
        log.setLevel(previous)


# ------------------------------------------------------------------------------- output


def _format(args: argparse.Namespace) -> str | None:
    """The format to write, or ``None`` for a table on stdout."""
    output, chosen = getattr(args, "output", None), getattr(args, "format", None)
    if output is None:
        return chosen  # --format alone writes to stdout
    if chosen is None and str(output) == STDOUT:
        return "csv"
    return chosen or Path(output).suffix.lower().lstrip(".")


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an output that cannot be written before any request is sent."""
    from ..frames.files import check_output

    output = getattr(args, "output", None)
    fmt = _format(args) if hasattr(args, "format") else None
    try:
        if args.command in ("export", "sync"):
            check_output(args.output, dataset=True)
        elif args.command == "demo":
            check_output(output or Path(f"{args.user}.parquet"))
        elif fmt is not None and (output is None or str(output) == STDOUT):
            if fmt == "parquet" and sys.stdout.isatty():
                raise ArgumentError(
                    "refusing to write Parquet to a terminal: redirect it (> tracks.parquet) "
                    "or pipe it to a program that reads Parquet"
                )
        elif output is not None:
            path = Path(output)
            if getattr(args, "format", None):  # the format decides, not the extension
                check_output(path.with_name(f"{path.name}.{fmt}"))
                if path.is_dir():
                    raise IsADirectoryError(f"cannot write {str(path)!r}: it is a directory")
            else:
                check_output(path)
    except ValueError as exc:  # an unknown extension: usage, not I/O
        if isinstance(exc, SoundCloudError):
            raise
        hint = ", or pass --format" if hasattr(args, "format") else ""
        raise ArgumentError(f"{exc}{hint}") from None


def _emit(frame: pd.DataFrame, args: argparse.Namespace, columns: list[str]) -> None:
    """The frame as a table on stdout, or written in its format to stdout or a file."""
    fmt = _format(args)
    output = getattr(args, "output", None)
    if fmt is None:
        _print_table(frame, columns)
    elif output is None or str(output) == STDOUT:
        with tempfile.TemporaryDirectory(prefix="scdata-") as tmp:
            _write(frame, Path(tmp) / f"rows.{fmt}", fmt)
            with open(Path(tmp) / f"rows.{fmt}", "rb") as written:
                shutil.copyfileobj(written, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        print(f"scdata: wrote {len(frame)} rows to stdout ({fmt})", file=sys.stderr)
    else:
        path = _write(frame, Path(output), fmt)
        print(f"wrote {len(frame)} rows to {path}", file=sys.stderr)


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write ``frame`` as ``fmt`` at ``path`` atomically, whatever its extension."""
    from ..frames.files import write_frame

    path = path.expanduser()
    if path.suffix.lower() == f".{fmt}":
        return write_frame(frame, path)
    # written under the right extension beside the target, then renamed over it (atomic)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as tmp:
        os.replace(write_frame(frame, Path(tmp) / f"rows.{fmt}"), path)
    return path


def _print_table(frame: pd.DataFrame, columns: list[str]) -> None:
    shown = frame[[c for c in columns if c in frame.columns]]
    print(shown.to_string(max_rows=TABLE_ROWS, max_colwidth=40) if len(shown) else "(no rows)")
    rows = f"{len(frame)} row{'s' * (len(frame) != 1)}"
    if len(frame) > TABLE_ROWS:
        half = TABLE_ROWS // 2
        rows += f", showing the first and last {half} (-o FILE or -o - writes them all)"
    print(f"scdata: {rows}", file=sys.stderr)


# ------------------------------------------------------------------------------- commands


@contextlib.contextmanager
def _client(args: argparse.Namespace, *, sandbox: bool) -> Iterator[Client]:
    """The command's client: from the environment, or on a local emulator with ``sandbox``."""
    from .._client import Client

    switches = {"offline": getattr(args, "offline", False),
                "refresh": getattr(args, "refresh", False)}  # fmt: skip
    if not sandbox:
        with Client(**switches) as client:
            yield client
        return
    if switches["offline"]:
        raise ArgumentError("--offline with --sandbox: the emulator's cache starts empty")
    from ..sandbox import serve

    print("scdata: using the local SoundCloud emulator (--sandbox)", file=sys.stderr)
    with serve(), Client(**switches) as client:  # serve() points the environment at it
        yield client


def _log_rows(frame: pd.DataFrame, what: str) -> None:
    if "user_permalink" in frame.columns and len(frame):
        for name, count in frame.groupby("user_permalink", sort=False).size().items():
            log.info("%s: %d %s", name, count, what)
    log.info("%d %s in all", len(frame), what)


def _cmd_tracks(args: argparse.Namespace, client: Client) -> None:
    log.info("fetching the tracks of %s", ", ".join(args.users))
    frame = client.tracks_df(args.users, args.limit, progress=_progress(args))
    _log_rows(frame, "tracks")
    columns = TABLE_COLUMNS
    if len(args.users) > 1:  # say whose each row is
        frame = frame.assign(user=frame["user_permalink"]) if _format(args) is None else frame
        columns = ["user", *TABLE_COLUMNS]
    _emit(frame, args, columns)


def _cmd_user(args: argparse.Namespace, client: Client) -> None:
    log.info("fetching the profiles of %s", ", ".join(args.users))
    frame = client.users_df(args.users)
    log.info("%d users", len(frame))
    _emit(frame, args, USER_TABLE_COLUMNS)


def _skipped(frame: pd.DataFrame, succeeded: int) -> None:
    """Name each input ``--errors skip`` left out; none succeeding is an error (exit 1)."""
    failures = frame.attrs.get("scdata", {}).get("failures", [])
    for failure in failures:
        print(
            f"scdata: skipped {failure['input']}: {failure['error']}: {failure['message']}",
            file=sys.stderr,
        )
    if failures and not succeeded:
        raise SoundCloudError(f"every input failed ({len(failures)}); nothing to write")


def _cmd_collection(args: argparse.Namespace, client: Client) -> None:
    """Every collection command: the declaration says which list; the rest is the same."""
    declared = command(args.command).collection(getattr(args, "kind", None))
    refs = list(args.refs)
    log.info("fetching the %s of %s", declared.name.replace("_", " "), ", ".join(refs))
    frame = client.collection_df(
        declared.name, refs, limit=getattr(args, "limit", None),
        max_per_user=getattr(args, "max_per_user", None), errors=args.errors,
        progress=_progress(args),
    )  # fmt: skip
    assert not isinstance(frame, list)
    inputs = frame.attrs["scdata"]["inputs"]
    _skipped(frame, len(inputs))
    noun = declared.item.replace("_", " ")
    for info in inputs:
        expected = info.get("expected")
        said = f" of {expected} ({declared.count_field})" if expected is not None else ""
        if info.get("capped"):
            said += "; capped by --limit/--max-per-user"
        elif expected is not None and expected != info["got"] and info.get("note"):
            said += f": {info['note']}"  # why the count and the rows differ
        log.info("%s: %d %s%s", info["input"], info["got"], noun, said)
    log.info("%d %s in all", len(frame), noun)
    columns = [c for c in (declared.position_column,) if c] + ITEM_TABLE_COLUMNS[declared.item]
    if len(refs) > 1 and _format(args) is None:  # say whose each row is
        owner = declared.owner[:-1]  # "user", "track", "playlist"
        given = {info["urn"]: info["input"] for info in inputs}
        column = declared.owner_column or "user_urn"
        frame = frame.assign(**{owner: frame[column].map(given)})
        columns = [owner, *columns]
    _emit(frame, args, columns)


def _cmd_resolve(args: argparse.Namespace, client: Client) -> None:
    log.info("resolving %s", ", ".join(args.urls))
    frame = client.resolve(args.urls, kind=args.kind, errors=args.errors)
    _skipped(frame, len(frame))
    _emit(frame, args, RESOLVE_TABLE_COLUMNS)


def _cmd_export(args: argparse.Namespace, client: Client) -> None:
    from ..datasets.export import (
        export_collection,
        export_summary,
        manifest_path,
        read_users_file,
        stop_summary,
    )

    owners = COLLECTIONS[args.what].owner
    given = read_users_file(args.users_file)
    log.info("exporting the %s of %d %s from %s to %s", args.what.replace("_", " "),
             len(given), owners, args.users_file, args.output)  # fmt: skip
    try:
        manifest = export_collection(
            args.what, given, args.output, workers=args.workers,
            limit=args.limit, max_age=args.max_age, client=client,
        )  # fmt: skip
    except SoundCloudError as exc:
        if not hasattr(exc, "manifest"):
            raise
        # stopped at a wall: one line, why and how far it got; the manifest has the rest
        raise SoundCloudError(stop_summary(exc, args.output, owners)) from exc
    print(export_summary(manifest, args.output, owners), file=sys.stderr)
    failed = manifest.loc[manifest["status"] == "failed", "user"].tolist()
    if failed:
        raise SoundCloudError(
            f"{len(failed)} of {len(manifest)} {owners} failed "
            f"(see {manifest_path(args.output)}): " + ", ".join(failed)
        )


def _cmd_cache(args: argparse.Namespace, client: Client) -> None:
    from .cache import cache_report, clear_cache

    if args.cache_command == "info":
        for key, value in cache_report(client).items():
            print(f"{key}: {value}")
    else:
        removed = clear_cache(client, expired_only=args.expired)
        print(f"removed {removed} cached answers", file=sys.stderr)


def summary(frame: pd.DataFrame) -> str:
    """A few lines about a tracks frame: rows, date range, top tags, total plays."""
    if frame.empty:
        return "rows: 0"
    tags = frame["tags"].explode().dropna().value_counts().head(5)
    top = ", ".join(f"{tag} ({n})" for tag, n in tags.items()) or "none"
    return "\n".join([
        f"rows: {len(frame)}",
        f"dates: {frame['created_at'].min():%Y-%m-%d} to {frame['created_at'].max():%Y-%m-%d}",
        f"top tags: {top}",
        f"total plays: {int(frame['playback_count'].sum()):,}",
    ])  # fmt: skip


def _cmd_demo(args: argparse.Namespace) -> None:
    from ..frames.files import read_parquet, write_frame

    output = args.output or Path(f"{args.user}.parquet")
    live = not args.sandbox and not _missing_credentials()
    if live:
        print("scdata demo: using SoundCloud (credentials found)", file=sys.stderr)
    else:
        print("scdata demo: no credentials set; using the local SoundCloud emulator",
              file=sys.stderr)  # fmt: skip
    with _client(args, sandbox=not live) as client:
        frame = client.tracks_df(args.user, progress=_progress(args))
    _log_rows(frame, "tracks")
    path = write_frame(frame, output)
    back = read_parquet(path)
    print(f"file: {path.resolve()}")
    print(summary(back))


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else None


def _missing_credentials() -> list[str]:
    from ..config import Settings

    try:
        return Settings.load().missing_credentials()
    except ConfigurationError:
        return []


# ------------------------------------------------------------------------------- main


def _backend_errors() -> tuple[type[Exception], ...]:
    """Errors of an optional cache backend that are operational, not bugs (Redis down)."""
    if "redis" not in sys.modules:  # never imported: it raised nothing
        return ()
    from redis.exceptions import RedisError

    return (RedisError,)


def _message(exc: BaseException, args: argparse.Namespace) -> str:
    """The one line said about ``exc``; missing credentials name ``--sandbox`` where it exists."""
    if isinstance(exc, ConfigurationError) and hasattr(args, "sandbox"):
        missing = _missing_credentials()
        if missing and not args.sandbox:
            return (
                f"SoundCloud credentials are missing: set {' and '.join(missing)}, or add "
                f"--sandbox to use the local emulator (e.g. `{SANDBOX_EXAMPLE}`)"
            )
    return str(exc)


def _run(args: argparse.Namespace, counter: _Requests | None) -> None:
    if args.command == "sandbox":
        from ..sandbox.cli import run

        status = run(args)
        if status:
            raise SystemExit(status)
        return
    _check_output(args)
    if args.command == "demo":
        _cmd_demo(args)
    else:
        commands = {"tracks": _cmd_tracks, "user": _cmd_user, "cache": _cmd_cache,
                    "export": _cmd_export, "resolve": _cmd_resolve,
                    "search": run_search_command, "sync": run_sync_command}  # fmt: skip
        handler = commands.get(args.command, _cmd_collection)  # the collection commands
        with _client(args, sandbox=getattr(args, "sandbox", False)) as client:
            handler(args, client)
    if counter is not None:
        log.info(counter.summary())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scdata`` command; return its exit status.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: scdata ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    for flag in ("verbose", "debug", "quiet"):  # not given anywhere (SUPPRESS, see _parser)
        if not hasattr(args, flag):
            setattr(args, flag, False)
    with _logging(args) as counter:
        try:
            _run(args, counter)
            return 0
        except SystemExit as exc:
            return int(exc.code or 0)
        except KeyboardInterrupt:
            print("scdata: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
        except Exception as exc:
            if args.debug or not isinstance(exc, (SoundCloudError, OSError, *_backend_errors())):
                raise
            if isinstance(exc, ArgumentError):  # InvalidUserError too: the caller's to fix
                parser.print_usage(sys.stderr)
            print(f"scdata: error: {_message(exc, args)}", file=sys.stderr)
            return 2 if isinstance(exc, ArgumentError) else 1
