"""The ``scdata`` command: export tracks and users, inspect the cache, run the emulator or a demo.

Data goes to stdout, progress and messages to stderr. Exit status: 0 on success, 2 on bad
usage, 1 on a SoundCloud or I/O error (one line; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .._client import Client, default_client
from ..config import Settings
from ..errors import InvalidUserError, SoundCloudError
from ..frames.files import check_output, read_parquet, write_frame
from .cache import cache_report, clear_cache

log = logging.getLogger("scdata")

EPILOG = """examples:
  scdata demo                                   export jowymusic from the local emulator
  scdata tracks jowymusic -o jowymusic.parquet  every track, typed, to Parquet
  scdata tracks jowymusic bjork-unicode --limit 20 -o latest.csv
  scdata user jowymusic                         a readable table on stdout
  scdata cache info                             where the cache is and what it holds
  scdata sandbox --port 8765                    run the emulator in the foreground
"""
TABLE_COLUMNS = ["title", "created_at", "duration_s", "playback_count", "favoritings_count", "tags"]
USER_TABLE_COLUMNS = ["username", "permalink", "followers_count", "track_count", "city", "country"]


class UsageError(Exception):
    """Bad usage detected after parsing (exit status 2)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    # accepted before or after the command; SUPPRESS keeps a subcommand from resetting them
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    noise = common.add_argument_group("output")
    noise.add_argument("-v", "--verbose", action="store_true", help="log each step (INFO)")
    noise.add_argument("--debug", action="store_true", help="log every request; show tracebacks")
    noise.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fetch = argparse.ArgumentParser(add_help=False)
    fetch.add_argument("--offline", action="store_true", help="answer only from the cache")
    fetch.add_argument("--refresh", action="store_true", help="refetch and replace cache entries")
    fetch.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        type=Path,
        help="write .parquet, .csv or .jsonl (default: a table on stdout)",
    )

    parser = argparse.ArgumentParser(
        prog="scdata", description="SoundCloud public API to typed tables and Parquet.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common],
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, example: str, *parents: argparse.ArgumentParser):
        return sub.add_parser(
            name, help=help_, description=help_, epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter, parents=[common, *parents],
        )  # fmt: skip

    tracks = add(
        "tracks",
        "every track of one or more users",
        "scdata tracks jowymusic --limit 50 -o latest.parquet",
        fetch,
    )
    tracks.add_argument("users", nargs="+", metavar="USER", help="username, id, URN or URL")
    tracks.add_argument("--limit", type=_positive_int, help="at most N tracks per user")
    user = add("user", "profiles of one or more users", "scdata user jowymusic -o users.csv", fetch)
    user.add_argument("users", nargs="+", metavar="USER", help="username, id, URN or URL")

    export = add(
        "export",
        "every track of many users to a partitioned Parquet dataset; re-run to resume",
        "scdata export users.txt -o tracks/",
    )
    export.add_argument(
        "users_file",
        type=Path,
        metavar="USERS_FILE",
        help="one user per line; blank lines and # comments are ignored",
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="the dataset directory (its parent must exist)",
    )
    export.add_argument("--limit", type=_positive_int, help="at most N tracks per user")
    export.add_argument("--workers", type=_positive_int, default=8, help="users at once (8)")
    export.add_argument(
        "--max-age",
        type=float,
        metavar="SECONDS",
        help="skip users exported less than this ago (default: expire_after)",
    )
    export.add_argument("--refresh", action="store_true", help="refetch and replace cache entries")

    cache = add("cache", "inspect or clear the HTTP cache", "scdata cache info")
    cache_sub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    cache_sub.add_parser("info", help="location, size, entries, token expiry", parents=[common])
    clear = cache_sub.add_parser("clear", help="delete cached answers", parents=[common])
    clear.add_argument("--expired", action="store_true", help="only the expired ones")

    sandbox = add(
        "sandbox",
        "run the local SoundCloud emulator in the foreground",
        "scdata sandbox --port 8765",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sandbox.add_argument("--latency", type=float, default=0.0, help="seconds per request")

    demo = add(
        "demo",
        "the main job: export a user's tracks to Parquet and summarise them",
        "scdata demo -o jowymusic.parquet",
    )
    demo.add_argument("user", nargs="?", default="jowymusic", help="default: jowymusic")
    demo.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help="default: <user>.parquet in the current directory",
    )
    demo.add_argument(
        "--sandbox", action="store_true", help="use the emulator even when credentials are set"
    )
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("scdata: %(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)


def _emit(frame: pd.DataFrame, output: Path | None, columns: list[str]) -> None:
    if output is None:
        shown = frame[[c for c in columns if c in frame.columns]]
        print(shown.to_string(max_rows=60, max_colwidth=40) if len(shown) else "(no rows)")
        return
    path = write_frame(frame, output)
    print(f"wrote {len(frame)} rows to {path}", file=sys.stderr)


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an output path that cannot be written before any request is sent."""
    output = getattr(args, "output", None)
    if output is not None:
        check_output(output, dataset=args.command == "export")


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else None


def _cmd_tracks(args: argparse.Namespace, client: Client) -> None:
    frame = client.tracks_df(args.users, args.limit, progress=_progress(args))
    _emit(frame, args.output, TABLE_COLUMNS)


def _cmd_user(args: argparse.Namespace, client: Client) -> None:
    _emit(client.users_df(args.users), args.output, USER_TABLE_COLUMNS)


def _cmd_export(args: argparse.Namespace, client: Client) -> None:
    from ..datasets.export import (
        export_summary,
        export_tracks,
        manifest_path,
        read_users_file,
        stop_summary,
    )

    try:
        manifest = export_tracks(
            read_users_file(args.users_file), args.output, workers=args.workers,
            limit=args.limit, max_age=args.max_age, client=client,
        )  # fmt: skip
    except SoundCloudError as exc:
        if not hasattr(exc, "manifest"):
            raise
        # stopped at a wall: one line, why and how far it got; the manifest has the rest
        raise SoundCloudError(stop_summary(exc, args.output)) from exc
    print(export_summary(manifest, args.output), file=sys.stderr)
    failed = manifest.loc[manifest["status"] == "failed", "user"].tolist()
    if failed:
        raise SoundCloudError(
            f"{len(failed)} of {len(manifest)} users failed (see {manifest_path(args.output)}): "
            + ", ".join(failed)
        )


def _cmd_cache(args: argparse.Namespace, client: Client) -> None:
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
    output = args.output or Path(f"{args.user}.parquet")
    live = not args.sandbox and not Settings.load().missing_credentials()
    if live:
        print("scdata demo: using SoundCloud (credentials found)", file=sys.stderr)
        with Client() as client:
            frame = client.tracks_df(args.user, progress=_progress(args))
    else:
        from ..sandbox import serve

        print("scdata demo: no credentials set; using the local SoundCloud emulator",
              file=sys.stderr)  # fmt: skip
        with serve():  # the default client points at the emulator, with a temporary cache
            frame = default_client().tracks_df(args.user, progress=_progress(args))
    path = write_frame(frame, output)
    back = read_parquet(path)
    print(f"file: {path.resolve()}")
    print(summary(back))


def _backend_errors() -> tuple[type[Exception], ...]:
    """Errors of an optional cache backend that are operational, not bugs (Redis down)."""
    try:
        from redis.exceptions import RedisError
    except ImportError:
        return ()
    return (RedisError,)


def _reported_errors() -> tuple[type[Exception], ...]:
    """The errors ``main`` reports in one line: scdata's, the system's, a backend's."""
    return (SoundCloudError, OSError, *_backend_errors())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scdata`` command; return its exit status.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: scdata ...
    0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    for flag in ("verbose", "debug", "quiet"):  # not given anywhere (SUPPRESS, see _parser)
        if not hasattr(args, flag):
            setattr(args, flag, False)
    _setup_logging(args)
    try:
        if args.command == "sandbox":
            from ..sandbox import main as sandbox_main

            return sandbox_main(["--host", args.host, "--port", str(args.port),
                                 "--latency", str(args.latency)])  # fmt: skip
        if args.command == "demo":
            check_output(args.output or Path(f"{args.user}.parquet"))
            _cmd_demo(args)
            return 0
        _check_output(args)
        switches = {"offline": getattr(args, "offline", False),
                    "refresh": getattr(args, "refresh", False)}  # fmt: skip
        command = {"tracks": _cmd_tracks, "user": _cmd_user, "cache": _cmd_cache,
                   "export": _cmd_export}[args.command]  # fmt: skip
        with Client(**switches) as client:
            command(args, client)
        return 0
    except _reported_errors() as exc:
        if args.debug:
            raise
        if isinstance(exc, InvalidUserError):
            parser.print_usage(sys.stderr)
        print(f"scdata: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InvalidUserError) else 1
    except (UsageError, ValueError) as exc:  # a duplicate user, a bad output extension
        if args.debug:
            raise
        parser.print_usage(sys.stderr)
        print(f"scdata: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scdata: interrupted", file=sys.stderr)
        return 130
