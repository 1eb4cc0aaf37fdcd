"""Turn whatever a caller passes as a user into a safe reference: a numeric id or a permalink.

Accepted: a username (permalink), an ``int`` id, a numeric string, a URN ``soundcloud:users:N``,
a profile URL (``https://soundcloud.com/name``, also ``www.``/``m.`` hosts, ``http``, a
trailing slash, a query string or fragment, which are dropped: SoundCloud's own ``permalink_url``
values end in ``?utm_medium=api&utm_campaign=social_sharing&utm_source=id_<app>``), or a short
link ``https://on.soundcloud.com/<code>``, which only the API can resolve (``/resolve`` takes it
unchanged; what it names is checked there). Anything else raises
:class:`~scdata.errors.InvalidUserError` naming the value; a permalink or short link is only ever
sent inside the ``url`` query parameter of ``/resolve``, never as a path.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
import unicodedata
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

import numpy as np

from ..errors import USER_REQUIRED, InvalidReferenceError, InvalidUserError

PROFILE_HOSTS = frozenset({"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"})
SHORT_LINK_HOST = "on.soundcloud.com"
_SHORT_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
URN_PATTERN = re.compile(r"soundcloud:users:(\d+)")
MAX_ID = 2**63 - 1
_FORBIDDEN = re.compile(r"[\s/?#\\%]")


@dataclasses.dataclass(frozen=True)
class UserRef:
    """A validated user reference: exactly one of ``user_id``, ``permalink`` and ``short_link``.

    Examples
    --------
    >>> parse_user("https://www.soundcloud.com/jowymusic/")
    UserRef(user_id=None, permalink='jowymusic', short_link=None)
    >>> parse_user("soundcloud:users:42").urn
    'soundcloud:users:42'
    >>> parse_user("https://on.soundcloud.com/AbC123").key
    'link:https://on.soundcloud.com/AbC123'
    """

    user_id: int | None = None
    permalink: str | None = None
    short_link: str | None = None

    @property
    def urn(self) -> str | None:
        return f"soundcloud:users:{self.user_id}" if self.user_id is not None else None

    @property
    def profile_url(self) -> str | None:
        """The only URL form ``/resolve`` accepts: ``https://soundcloud.com/<permalink>``."""
        return f"https://soundcloud.com/{self.permalink}" if self.permalink else None

    @property
    def resolve_url(self) -> str | None:
        """What ``/resolve`` is asked about: the profile URL or the short link as given."""
        return self.short_link or self.profile_url

    @property
    def key(self) -> str:
        """A stable identity before resolving: ``id:N``, ``name:<lower-case>`` or ``link:<url>``.

        Two references with the same key name the same user; different keys may still do
        (a name and its id), which only resolving tells.
        """
        if self.user_id is not None:
            return f"id:{self.user_id}"
        if self.permalink is not None:
            return f"name:{self.permalink.lower()}"
        return f"link:{self.short_link}"

    def __str__(self) -> str:
        if self.user_id is not None:
            return str(self.user_id)
        return self.permalink if self.permalink is not None else str(self.short_link)


def require_user(user: object, name: str = "user") -> None:
    """Raise ``InvalidUserError`` ("Se requiere un nombre de usuario") for a missing/blank user."""
    if user is None or (isinstance(user, str) and not user.strip()):
        raise InvalidUserError(f"{USER_REQUIRED} ({name}={user!r})")


def parse_user(user: object, name: str = "user") -> UserRef:
    """Validate ``user`` and return a :class:`UserRef`.

    Parameters
    ----------
    user : str or int
        Username, numeric id (int or digits), URN ``soundcloud:users:N``, profile URL (a query
        string or fragment is dropped) or ``https://on.soundcloud.com/<code>`` short link.
    name : str, default "user"
        The parameter name used in error messages.

    Raises
    ------
    InvalidUserError
        With "Se requiere un nombre de usuario" when ``user`` is empty, blank or None, and
        naming the value for anything that cannot be a SoundCloud user.

    Examples
    --------
    >>> parse_user(12345)
    UserRef(user_id=12345, permalink=None, short_link=None)
    >>> parse_user(" jowymusic ")
    UserRef(user_id=None, permalink='jowymusic', short_link=None)
    >>> str(parse_user("https://soundcloud.com/anna-hofman-1?utm_medium=api&utm_source=id_3"))
    'anna-hofman-1'
    >>> parse_user("two words")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scdata.errors.InvalidUserError: user='two words' cannot be a SoundCloud username ...
    """
    require_user(user, name)
    if isinstance(user, bool | np.bool_) or not isinstance(user, numbers.Integral | str):
        raise InvalidUserError(
            f"{name} must be a username, a numeric id, a URN or a profile URL; "
            f"got {type(user).__name__} {user!r}"
        )
    if isinstance(user, numbers.Integral):  # int, or a numpy integer from a DataFrame column
        return UserRef(user_id=_check_id(int(user), name, user))
    text = unicodedata.normalize("NFC", user.strip())
    if text.isascii() and text.isdigit():
        return UserRef(user_id=_check_id(int(text), name, user))
    if match := URN_PATTERN.fullmatch(text):
        return UserRef(user_id=_check_id(int(match.group(1)), name, user))
    if text.startswith("soundcloud:"):
        raise InvalidUserError(f"{name}={user!r} is a URN but not a user URN (soundcloud:users:N)")
    if "://" in text or text.lower().startswith(
        ("soundcloud.com/", "www.soundcloud.com/", "m.soundcloud.com/", SHORT_LINK_HOST + "/")
    ):
        return _from_url(text, name, user)
    return UserRef(permalink=_check_permalink(text, name, user))


def _check_id(value: int, name: str, original: object) -> int:
    if not 0 < value <= MAX_ID:
        raise InvalidUserError(f"{name}={original!r} is not a valid user id (1 to 2**63-1)")
    return value


def _check_permalink(text: str, name: str, original: object) -> str:
    if _FORBIDDEN.search(text) or ".." in text or not text.isprintable():
        raise InvalidUserError(
            f"{name}={original!r} cannot be a SoundCloud username "
            "(it contains whitespace, '/', '?', '#', '%' or '\\\\')"
            if ".." not in text
            else f"{name}={original!r} cannot be a SoundCloud username (it contains '..')"
        )
    return text


def _from_url(text: str, name: str, original: object) -> UserRef:
    """A profile URL (query and fragment dropped) or an ``on.soundcloud.com`` short link."""
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or (
        host not in PROFILE_HOSTS and host != SHORT_LINK_HOST
    ):
        raise InvalidUserError(
            f"{name}={original!r} is not a SoundCloud profile URL "
            "(expected https://soundcloud.com/<username> or https://on.soundcloud.com/<code>)"
        )
    segments = [s for s in parts.path.split("/") if s]
    if host == SHORT_LINK_HOST:
        if len(segments) != 1 or not _SHORT_CODE.fullmatch(segments[0]):
            raise InvalidUserError(
                f"{name}={original!r} is not a SoundCloud short link "
                "(expected https://on.soundcloud.com/<code>)"
            )
        return UserRef(short_link=text)  # sent to /resolve unchanged
    if len(segments) != 1:
        what = "no username" if not segments else "a track or playlist URL, not a profile URL"
        raise InvalidUserError(
            f"{name}={original!r} is {what} (expected https://soundcloud.com/<username>)"
        )
    # the query (tracking parameters such as utm_source) and the fragment name nothing
    return UserRef(permalink=_check_permalink(unquote(segments[0]), name, original))


# -- any item: users, tracks and playlists ----------------------------------------------------

#: The kinds of item a reference can name (the API's path segment for each).
ITEM_KINDS = ("users", "tracks", "playlists")
_NOUN = {"users": "a user", "tracks": "a track", "playlists": "a playlist"}
_ITEM_URN = re.compile(r"soundcloud:(users|tracks|playlists):(\d+)")
_API_PATH = re.compile(
    r"/(users|tracks|playlists)/(\d+|soundcloud:(?:users|tracks|playlists):\d+)/?"
)
_SECRET = re.compile(r"s-[A-Za-z0-9]{1,64}")
# second path segments of a profile URL that are pages, not tracks
_PROFILE_PAGES = frozenset(
    {"tracks", "albums", "sets", "likes", "reposts", "followers", "following", "comments",
     "popular-tracks", "spotlight", "playlists"}
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ItemRef:
    """A validated reference to a user, track or playlist, before resolving.

    Exactly one of ``item_id`` (with ``kind``), ``url`` (a ``soundcloud.com`` page, query and
    fragment dropped) and ``short_link`` is set. ``kind`` is ``None`` only for a short link,
    which only ``/resolve`` can tell. ``secret_token`` comes from a secret link (``/s-…`` path
    segment or ``?secret_token=``).

    Examples
    --------
    >>> ref = parse_item("https://m.soundcloud.com/jowymusic/sets/demo?utm_source=x", ITEM_KINDS)
    >>> ref.kind, ref.url
    ('playlists', 'https://soundcloud.com/jowymusic/sets/demo')
    >>> parse_item("soundcloud:tracks:5", ("tracks",)).urn
    'soundcloud:tracks:5'
    """

    kind: str | None
    item_id: int | None = None
    url: str | None = None
    short_link: str | None = None
    secret_token: str | None = None

    @property
    def urn(self) -> str | None:
        """``soundcloud:<kind>:<id>`` when the id is known without asking SoundCloud."""
        if self.item_id is None or self.kind is None:
            return None
        return f"soundcloud:{self.kind}:{self.item_id}"

    @property
    def resolve_url(self) -> str | None:
        """What ``/resolve`` is asked about (the secret link keeps its token)."""
        if self.short_link:
            return self.short_link
        if self.url and self.secret_token:
            return f"{self.url}/{self.secret_token}"
        return self.url

    @property
    def key(self) -> str:
        """Identity before resolving: ``tracks:id:N``, ``url:<lower-case>``, ``link:<url>``."""
        if self.item_id is not None:
            return f"{self.kind}:id:{self.item_id}"
        if self.url is not None:
            return f"url:{self.url.lower()}"
        return f"link:{self.short_link}"

    def __str__(self) -> str:
        return self.urn or self.resolve_url or ""


def item_noun(kind: str | None) -> str:
    """``"a track"`` for ``"tracks"``; ``"an item"`` when the kind is unknown."""
    return _NOUN.get(kind or "", "an item")


def parse_item(value: object, kinds: Sequence[str], name: str = "ref") -> ItemRef:
    """Validate a reference to one of ``kinds`` (``"users"``, ``"tracks"``, ``"playlists"``).

    Accepted: a URN, an id (``int`` or digits: only when ``kinds`` has one kind), a
    ``soundcloud.com`` page URL (``www.``/``m.`` hosts, ``http``, a query or fragment are
    dropped; ``/sets/`` is a playlist; a secret link keeps its ``s-…`` token), an API URL
    (``https://api.soundcloud.com/tracks/1``), or an ``on.soundcloud.com`` short link (what
    it names is checked after ``/resolve``).

    Raises
    ------
    InvalidReferenceError
        Naming ``name`` and the value, and what it is instead: a profile URL given as a track,
        a playlist URN given where tracks are expected, an id when the kind is ambiguous.

    Examples
    --------
    >>> ref = parse_item("https://soundcloud.com/jowymusic/analog-satellite/s-AbC1", ["tracks"])
    >>> ref.kind, ref.secret_token, ref.resolve_url
    ('tracks', 's-AbC1', 'https://soundcloud.com/jowymusic/analog-satellite/s-AbC1')
    >>> parse_item(42, ["playlists"]).urn
    'soundcloud:playlists:42'
    >>> parse_item("https://soundcloud.com/jowymusic", ["tracks"], "tracks[0]")
    Traceback (most recent call last):
    ...
    scdata.errors.InvalidReferenceError: tracks[0]='https://soundcloud.com/jowymusic' is a user ...
    """
    kinds = tuple(kinds)
    wanted = " or ".join(item_noun(k).split(" ", 1)[1] for k in kinds)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidReferenceError(f"{name}={value!r}: a {wanted} reference is required")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral | str):
        raise InvalidReferenceError(
            f"{name} must be a URL, URN or id of a {wanted}; got {type(value).__name__} {value!r}"
        )

    def found(ref: ItemRef, what: str) -> ItemRef:
        if ref.kind is not None and ref.kind not in kinds:
            raise InvalidReferenceError(
                f"{name}={value!r} is {item_noun(ref.kind)} ({what}), not a {wanted}"
            )
        return ref

    if isinstance(value, numbers.Integral) or (value.strip().isascii() and value.strip().isdigit()):
        number = int(value) if isinstance(value, numbers.Integral) else int(value.strip())
        if len(kinds) != 1:
            raise InvalidReferenceError(
                f"{name}={value!r}: an id alone does not say whether it is a {wanted}; "
                "pass its URN (soundcloud:tracks:N) or URL"
            )
        if not 0 < number <= MAX_ID:
            raise InvalidReferenceError(f"{name}={value!r} is not a valid id (1 to 2**63-1)")
        return ItemRef(kinds[0], item_id=number)
    text = unicodedata.normalize("NFC", value.strip())
    if match := _ITEM_URN.fullmatch(text):
        number = int(match.group(2))
        if not 0 < number <= MAX_ID:
            raise InvalidReferenceError(f"{name}={value!r} is not a valid id (1 to 2**63-1)")
        return found(ItemRef(match.group(1), item_id=number), "a URN")
    if text.startswith("soundcloud:"):
        raise InvalidReferenceError(
            f"{name}={value!r} is not a URN scdata knows (soundcloud:<users|tracks|playlists>:N)"
        )
    if "://" not in text and not text.lower().startswith(
        ("soundcloud.com/", "www.soundcloud.com/", "m.soundcloud.com/", SHORT_LINK_HOST + "/",
         "api.soundcloud.com/")
    ):  # fmt: skip
        if kinds == ("users",) or "users" in kinds:
            return found(
                ItemRef(
                    "users", url=f"https://soundcloud.com/{_check_permalink(text, name, value)}"
                ),
                "a username",
            )
        raise InvalidReferenceError(
            f"{name}={value!r} is not a URL, URN or id of a {wanted} "
            "(e.g. https://soundcloud.com/<user>/<track>)"
        )
    return _item_from_url(text, name, value, found)


def _item_from_url(
    text: str, name: str, original: object, found: Callable[[ItemRef, str], ItemRef]
) -> ItemRef:
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidReferenceError(f"{name}={original!r} is not a SoundCloud URL")
    if host == SHORT_LINK_HOST:
        if len(segments) != 1 or not _SHORT_CODE.fullmatch(segments[0]):
            raise InvalidReferenceError(
                f"{name}={original!r} is not a SoundCloud short link "
                "(expected https://on.soundcloud.com/<code>)"
            )
        return ItemRef(None, short_link=f"https://{SHORT_LINK_HOST}/{segments[0]}")
    if host == "api.soundcloud.com":
        match = _API_PATH.fullmatch(unquote(parts.path))
        if match is None:
            raise InvalidReferenceError(f"{name}={original!r} is not an API URL of an item")
        kind, number = match.group(1), match.group(2).rsplit(":", 1)[-1]
        return found(ItemRef(kind, item_id=int(number)), "an API URL")
    if host not in PROFILE_HOSTS:
        raise InvalidReferenceError(
            f"{name}={original!r} is not a SoundCloud URL (expected https://soundcloud.com/…)"
        )
    secret = next((v for k, v in parse_qsl(parts.query) if k == "secret_token"), None)
    if segments and _SECRET.fullmatch(segments[-1]) and len(segments) in (3, 4):
        secret = segments.pop()
    if secret is not None and not _SECRET.fullmatch(secret):
        raise InvalidReferenceError(f"{name}={original!r} has a malformed secret_token")
    for segment in segments:
        _check_permalink(segment, name, original)
    if len(segments) == 1:
        ref, what = ItemRef("users", url=f"https://soundcloud.com/{segments[0]}"), "a profile URL"
    elif len(segments) == 2 and segments[1].lower() not in _PROFILE_PAGES:
        ref, what = (
            ItemRef("tracks", url=f"https://soundcloud.com/{segments[0]}/{segments[1]}"),
            "a track URL",
        )
    elif len(segments) == 3 and segments[1].lower() == "sets":
        url = f"https://soundcloud.com/{segments[0]}/sets/{segments[2]}"
        ref, what = ItemRef("playlists", url=url), "a playlist URL"
    else:
        raise InvalidReferenceError(
            f"{name}={original!r} is not the URL of a user, track or playlist "
            "(a profile's tab, or no path)"
        )
    return found(dataclasses.replace(ref, secret_token=secret), what)
