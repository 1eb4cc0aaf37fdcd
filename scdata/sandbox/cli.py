"""Command line of the sandbox: :func:`main` runs the emulator in the foreground.

It prints ``export VAR=value`` lines for the shell (see :attr:`Sandbox.env`) and serves
until Ctrl-C or SIGTERM, then exits 0.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from .server import Sandbox

__all__ = ["add_arguments", "main", "run"]


#: What production mode means, for ``--help`` (here and in ``scdata sandbox``).
MODES = (
    "Production mode is the default: a per-app request-rate limit (over it the "
    "gateway's 429, or CloudFront's 403 page with --throttle-mode 403), the token "
    "endpoint's rolling windows (50 POSTs per app per 12 h, 30 per IP per hour, "
    "failures included), strict client authentication, embedded users with zeroed "
    "counts, utm permalink_urls and URN uris. --no-production serves the permissive "
    "behaviour. More controls from Python: scdata.sandbox.Sandbox."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scdata.sandbox",
        description="Run a local SoundCloud API emulator until Ctrl-C.",
        epilog=MODES,
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the emulator's options on ``parser`` (also used by ``scdata sandbox``)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (0)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request (0)")
    parser.add_argument(
        "--no-production",
        dest="production",
        action="store_false",
        help="permissive mode: no rate limit or token windows, full embedded users, clean URLs",
    )
    parser.add_argument(
        "--request-rate",
        type=float,
        default=None,
        help="API requests/s per app, 0 = no limit (10 in production mode, else 0)",
    )
    parser.add_argument("--request-burst", type=int, default=20, help="burst per app (20)")
    parser.add_argument(
        "--throttle-mode",
        choices=("429", "403"),
        default="429",
        help="answer over the rate: the gateway's 429 or CloudFront's 403 page (429)",
    )
    parser.add_argument(
        "--token-budget", type=int, default=50, help="token POSTs per app window (50)"
    )
    parser.add_argument("--token-ttl", type=float, default=3599, help="token lifetime, seconds")
    parser.add_argument("--artists", type=int, default=200, help="number of artist-NNN users")
    parser.add_argument("--artist-tracks", type=int, default=500, help="tracks per artist-NNN")
    parser.add_argument(
        "--clock-start",
        default=None,
        help="emulated time at start, ISO (2026-06-30T00:00:00Z, the catalogue's epoch); "
        "the clock stands still and every answer's Date is its time",
    )
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox in the foreground; return the exit status.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 after Ctrl-C/SIGTERM, 1 if the port could not be bound, 2 for a bad setting.

    Examples
    --------
    Shell::

        $ python -m scdata.sandbox --port 8765 --latency 0.05 --request-rate 5
        export SOUNDCLOUD_CLIENT_ID=sandbox-client-id
        ...
        # SoundCloud sandbox serving on http://127.0.0.1:8765 - press Ctrl-C to stop
    """
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the sandbox in the foreground with parsed options (see :func:`add_arguments`)."""
    try:
        sandbox = Sandbox(
            args.host,
            args.port,
            production=args.production,
            request_rate=args.request_rate,
            request_burst=args.request_burst,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_budget=args.token_budget,
            token_ttl=args.token_ttl,
            latency=args.latency,
            artists=args.artists,
            artist_tracks=args.artist_tracks,
            clock_start=getattr(args, "clock_start", None),
        )
        sandbox.throttle_mode = args.throttle_mode
    except ValueError as error:
        print(f"python -m scdata.sandbox: {error}", file=sys.stderr)
        return 2
    try:
        sandbox.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = _install_handlers(stop)
    try:
        for name, value in sandbox.env.items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"# SoundCloud sandbox serving on {sandbox.url} - press Ctrl-C to stop", flush=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _install_handlers(
    stop: threading.Event,
) -> dict[int, Callable[[int, FrameType | None], Any] | int | None]:
    """Make SIGINT/SIGTERM set ``stop`` (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
