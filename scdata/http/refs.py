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
from urllib.parse import unquote, urlsplit

import numpy as np

from ..errors import USER_REQUIRED, InvalidUserError

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
