"""``scdata sync WATCH_FILE -o STORE``: observe a watch list into a store (made for cron).

One line goes to stderr: what was observed, what is new and removed, what failed. The exit
status is 0 when every item was observed, 1 when some failed (they are listed in the run log
and observed again next time) or the run stopped, 2 for a usage error. Light at import:
pandas and the client load when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SoundCloudError

if TYPE_CHECKING:
    from .._client import Client

EXAMPLES = (
    "  scdata sync roster.txt -o store/\n"
    "  scdata sync roster.txt -o store/ --edges followers --edges likes\n"
    "  crontab: 0 3 * * *  scdata sync ~/roster.txt -o ~/store -q"
)
EDGE_NAMES = ("followers", "followings", "likes", "likes_tracks", "likes_playlists", "reposts",
              "reposts_tracks", "reposts_playlists")  # fmt: skip


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def add_sync_parser(add: Callable[..., argparse.ArgumentParser], *parents: Any) -> None:
    """Register ``scdata sync`` with ``add`` (the main parser's helper)."""
    sync = add(
        "sync",
        "observe a watch list into a store: history, growth, first-seen and removed dates",
        EXAMPLES,
        *parents,
    )
    sync.add_argument(
        "watch_file", type=Path, metavar="WATCH_FILE",
        help="users, tracks and playlists, one a line; blank lines and # comments are ignored",
    )  # fmt: skip
    sync.add_argument(
        "-o", "--output", type=Path, required=True, metavar="STORE",
        help="the store directory (created when missing; its parent must exist)",
    )  # fmt: skip
    sync.add_argument(
        "--edges", action="append", choices=EDGE_NAMES, default=[], metavar="NAME",
        help="record these lists of the watched users, dated (repeat): " + ", ".join(EDGE_NAMES),
    )  # fmt: skip
    sync.add_argument("--no-tracks", action="store_true", help="not the users' tracks")
    sync.add_argument("--no-users", action="store_true", help="not the users' profiles")
    sync.add_argument("--workers", type=_positive, default=8, help="requests at once (8)")
    sync.add_argument(
        "--sandbox", action="store_true",
        help="use the local SoundCloud emulator (no credentials needed)",
    )  # fmt: skip


def run_sync_command(args: argparse.Namespace, client: Client) -> None:
    """Run ``scdata sync``; raise when items failed, so that cron sees a non-zero status."""
    from ..datasets.sync import read_watch, sync

    watch = read_watch(args.watch_file)
    run = sync(
        watch, args.output, tracks=not args.no_tracks, users=not args.no_users,
        edges=args.edges, workers=args.workers, client=client,
    )  # fmt: skip
    print(run.summary(), file=sys.stderr)
    if run.failures:
        shown = "; ".join(f"{f['input']}: {f['error']}" for f in run.failures[:5])
        more = f" (and {len(run.failures) - 5} more)" if len(run.failures) > 5 else ""
        raise SoundCloudError(
            f"{len(run.failures)} items failed (see {args.output}/runs/{run.run_id}.json; "
            f"they are observed again next run): {shown}{more}"
        )
