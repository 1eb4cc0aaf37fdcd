"""``scdata search tracks|users|playlists [QUERY] ...``: a search to a table or a file.

The coverage verdict (``complete for the windows searched`` or ``capped: ...``) goes to
stderr, like every message; the rows go to stdout or ``-o``. Light at import: pandas and the
client load when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ArgumentError

if TYPE_CHECKING:
    from .._client import Client

EXAMPLES = (
    '  scdata search tracks lofi --genre "Hip-hop & Rap" --tag chill --bpm 70:90 \\\n'
    "      --since 2025-01-01 --until 2025-12-31 --window 7D -o lofi.parquet\n"
    "  scdata search tracks --tag lofi --since 2024-01-01 --until 2025-12-31 --window 30D\n"
    "  scdata search users jowy\n"
    "  scdata search playlists summer --show-tracks -o summer.jsonl"
)
COLUMNS = {
    "tracks": ["search_rank", "title", "user_permalink", "created_at", "playback_count", "tags"],
    "users": ["search_rank", "username", "permalink", "followers_count", "track_count"],
    "playlists": ["search_rank", "title", "user_permalink", "track_count", "created_at"],
}
TRACKS_ONLY = ("genre", "tag", "bpm", "duration", "since", "until", "window")


def _range(text: str) -> tuple[float | None, float | None]:
    """``LO:HI`` (either side may be empty) as two numbers."""
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return (float(low) if low.strip() else None, float(high) if high.strip() else None)
    except ValueError:
        message = f"must be LOW:HIGH (e.g. 70:90 or :90), got {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def add_search_parser(add: Callable[..., argparse.ArgumentParser], *parents: Any) -> None:
    """Register ``scdata search`` with ``add`` (the main parser's helper) and its parents."""
    search = add(
        "search",
        "search tracks, users or playlists; prints how complete the result is",
        EXAMPLES,
        *parents,
    )
    search.add_argument("kind", choices=("tracks", "users", "playlists"), help="what to search")
    search.add_argument("query", nargs="?", help="words to search for (q)")
    tracks = search.add_argument_group("tracks only")
    tracks.add_argument("--genre", action="append", help="a genre (repeat for several)")
    tracks.add_argument("--tag", action="append", help="a tag (repeat for several)")
    tracks.add_argument("--bpm", type=_range, metavar="LO:HI", help="tempo range, e.g. 70:90")
    tracks.add_argument(
        "--duration", type=_range, metavar="LO:HI", help="length in seconds, e.g. 60:300"
    )
    tracks.add_argument("--since", metavar="DATE", help="uploaded on or after (UTC)")
    tracks.add_argument("--until", metavar="DATE", help="uploaded on or before (a date: all of it)")
    tracks.add_argument(
        "--window", metavar="SPAN",
        help="search the date range in windows this long (30D, 7D, 12h): past the API's "
             "depth limit, only windows reach every result",
    )  # fmt: skip
    search.add_argument("--access", default="all", help="access levels (default: all)")
    search.add_argument("--show-tracks", action="store_true", help="playlists: with their tracks")
    search.add_argument("--max-results", type=int, metavar="N", help="stop after N results")
    search.add_argument(
        "--errors", choices=("raise", "skip"), default="raise",
        help="skip: leave out a window that fails (listed in the coverage)",
    )  # fmt: skip


def run_search_command(args: argparse.Namespace, client: Client) -> None:
    """Run the search, print the coverage verdict on stderr, write or show the rows."""
    from .main import _emit, _progress

    searcher = client
    common = {"max_results": args.max_results, "errors": args.errors,
              "progress": _progress(args)}  # fmt: skip
    if args.kind == "tracks":
        since, until = args.since, args.until
        frame = searcher.search_tracks(
            args.query, genres=args.genre, tags=args.tag, bpm=args.bpm, duration=args.duration,
            created_at=None if since is None and until is None else (since, until),
            access=args.access, window=args.window, **common,
        )  # fmt: skip
    else:
        given = [f"--{name}" for name in TRACKS_ONLY if getattr(args, name) is not None]
        if given:
            raise ArgumentError(f"{', '.join(given)}: only for `scdata search tracks`")
        if args.query is None:
            raise ArgumentError(f"scdata search {args.kind} needs a QUERY")
        if args.kind == "users":
            frame = searcher.search_users(args.query, **common)
        else:
            frame = searcher.search_playlists(
                args.query, access=args.access, show_tracks=args.show_tracks, **common
            )
    coverage = frame.attrs["scdata"]["coverage"]
    print(f"scdata: coverage: {coverage['verdict']}", file=sys.stderr)
    _emit(frame, args, COLUMNS[args.kind])
