"""The collection commands of ``scdata``, declared once: ``followers``, ``likes``, ``comments``...

Each :class:`Command` names the collections it reads (:data:`scdata._resources.COLLECTIONS`),
by ``--kind`` when there are several; the parser (:func:`add_commands`) and the one runner
(``scdata.cli.main._cmd_collection``) read these declarations, so a command is one entry here.
What a command takes follows from its collection: the positional argument names the owner
(``USER``, ``TRACK``, ``PLAYLIST``), ``--limit`` exists unless the list comes whole (web
profiles), ``--max-per-user`` where the list is unbounded (followers).

Nothing heavy is imported here (no pandas, no pyarrow): ``scdata COMMAND --help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable

from .._resources import COLLECTIONS, Collection

__all__ = ["COMMANDS", "Command", "add_commands", "command"]

#: What each owner is called on the command line, and what forms it may take.
OWNERS = {
    "users": ("USER", "username, id, URN or profile URL"),
    "tracks": ("TRACK", "track URL (secret links too), on.soundcloud.com link, URN or id"),
    "playlists": ("PLAYLIST", "playlist URL (…/sets/…), on.soundcloud.com link, URN or id"),
}
#: The columns of a table on stdout, by item schema (``-o`` writes every column).
TABLE_COLUMNS = {
    "tracks": ["title", "created_at", "duration_s", "playback_count", "favoritings_count"],
    "users": ["username", "permalink", "followers_count", "track_count", "city", "country"],
    "playlists": ["title", "playlist_type", "created_at", "track_count", "duration_s",
                  "likes_count"],
    "comments": ["user_permalink", "timestamp_s", "created_at", "body"],
    "web_profiles": ["service", "title", "url"],
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Command:
    """One ``scdata`` subcommand over one or more collections.

    Parameters
    ----------
    name : str
        The subcommand (``playlist-tracks``).
    help : str
        One line for ``scdata --help``.
    kinds : tuple of (str, str)
        ``(--kind value, collection name)``; the first is the default. One pair: no
        ``--kind`` option.
    examples : tuple of str
        Lines of ``scdata NAME --help``'s examples.
    max_per_user : bool
        Offer ``--max-per-user`` (an unbounded list).

    Examples
    --------
    >>> command("likes").collection("playlists").path
    '/users/{urn}/likes/playlists'
    """

    name: str
    help: str
    kinds: tuple[tuple[str, str], ...]
    examples: tuple[str, ...] = ()
    max_per_user: bool = False

    def collection(self, kind: str | None = None) -> Collection:
        """The collection read for ``--kind kind`` (default: the first)."""
        chosen = dict(self.kinds).get(kind or self.kinds[0][0], self.kinds[0][1])
        return COLLECTIONS[chosen]

    @property
    def owner(self) -> str:
        """What the inputs are: ``users``, ``tracks`` or ``playlists``."""
        return self.collection().owner


COMMANDS: tuple[Command, ...] = (
    Command("playlists", "the playlists and albums each user made", (("", "playlists"),),
            ("scdata playlists jowymusic -o playlists.parquet",)),
    Command("playlist-tracks", "the tracks of each playlist, in playlist order",
            (("", "playlist_tracks"),),
            ("scdata playlist-tracks https://soundcloud.com/jowymusic/sets/neon-engine-priya-remix",)),
    Command("likes", "what each user liked: tracks (default) or playlists",
            (("tracks", "likes_tracks"), ("playlists", "likes_playlists")),
            ("scdata likes jowymusic --limit 100 -o likes.csv",
             "scdata likes jowymusic --kind playlists")),
    Command("reposts", "what each user reposted: tracks (default) or playlists",
            (("tracks", "reposts_tracks"), ("playlists", "reposts_playlists")),
            ("scdata reposts jowymusic bjork-unicode -o reposts.parquet",)),
    Command("followers", "the users following each user (full profiles)", (("", "followers"),),
            ("scdata followers jowymusic --max-per-user 5000 -o fans.parquet",),
            max_per_user=True),
    Command("followings", "the users each user follows (SoundCloud lists at most 2,000)",
            (("", "followings"),), ("scdata followings jowymusic bjork-unicode -o - | head",),
            max_per_user=True),
    Command("favoriters", "the users who liked each track", (("", "favoriters"),),
            ("scdata favoriters https://soundcloud.com/jowymusic/analog-satellite --limit 50",)),
    Command("reposters", "the users who reposted each track (or playlist, with --kind)",
            (("tracks", "track_reposters"), ("playlists", "playlist_reposters")),
            ("scdata reposters https://soundcloud.com/jowymusic/analog-satellite",)),
    Command("comments", "the comments on each track, with where in the track they sit",
            (("", "comments"),),
            ("scdata comments https://soundcloud.com/jowymusic/analog-satellite -o c.csv",)),
    Command("related", "the tracks SoundCloud lists as related to each track",
            (("", "related_tracks"),),
            ("scdata related https://on.soundcloud.com/sbJowyTrack1 --limit 10",)),
    Command("related-artists", "the users SoundCloud lists as related to each user",
            (("", "related_artists"),), ("scdata related-artists jowymusic",)),
    Command("web-profiles", "each user's links elsewhere (Instagram, a website...)",
            (("", "web_profiles"),), ("scdata web-profiles jowymusic bjork-unicode",)),
)  # fmt: skip
_BY_NAME = {c.name: c for c in COMMANDS}


def command(name: str) -> Command:
    """The declaration of subcommand ``name``."""
    return _BY_NAME[name]


Add = Callable[..., argparse.ArgumentParser]


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def add_errors_option(parser: argparse.ArgumentParser) -> None:
    """``--errors raise|skip``, the same for every command that takes several inputs."""
    parser.add_argument(
        "--errors", choices=("raise", "skip"), default="raise",
        help="skip: leave out an input that fails (named on stderr) and go on; the exit "
        "status is 0 when at least one input succeeded, 1 when every one failed "
        "(default: raise, stop at the first failure)",
    )  # fmt: skip


def add_commands(add: Add, *parents: argparse.ArgumentParser) -> None:
    """Declare every collection command with ``add(name, help, examples, *parents)``."""
    for declared in COMMANDS:
        examples = "".join(f"  {line}\n" for line in declared.examples).rstrip("\n")
        parser = add(declared.name, declared.help, examples, *parents)
        metavar, forms = OWNERS[declared.owner]
        owners = [COLLECTIONS[name].owner for _, name in declared.kinds]
        if len(set(owners)) > 1:  # reposters: a track or a playlist
            metavar = "ITEM"
            forms = f"a {' or '.join(o[:-1] for o in owners)} (per --kind): URL, URN or id"
        parser.add_argument("refs", nargs="+", metavar=metavar, help=forms)
        if len(declared.kinds) > 1:
            parser.add_argument(
                "--kind", choices=[kind for kind, _ in declared.kinds],
                default=declared.kinds[0][0],
                help=f"which list (default: {declared.kinds[0][0]})",
            )  # fmt: skip
        if declared.collection().paging != "array":
            parser.add_argument(
                "--limit",
                type=positive_int,
                metavar="N",
                help=f"at most N rows per {metavar.lower()}",
            )
        if declared.max_per_user:
            parser.add_argument(
                "--max-per-user", type=positive_int, metavar="N",
                help="cap each user's list (a star's followers); the cap is reported",
            )  # fmt: skip
        add_errors_option(parser)
        parser.set_defaults(collection_command=declared.name)
