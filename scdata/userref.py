"""Turn whatever a caller passes as a user into a safe reference: a numeric id or a permalink.

Accepted: a username (permalink), an ``int`` id, a numeric string, a URN ``soundcloud:users:N``,
or a profile URL (``https://soundcloud.com/name``, also ``www.``/``m.`` hosts, ``http``, a
trailing slash). Anything else raises :class:`~scdata.errors.InvalidUserError` naming the value;
a permalink is only ever sent inside the ``url`` query parameter of ``/resolve``, never as a path.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
import unicodedata
from urllib.parse import urlsplit

import numpy as np

from .errors import USER_REQUIRED, InvalidUserError

PROFILE_HOSTS = frozenset({"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"})
URN_PATTERN = re.compile(r"soundcloud:users:(\d+)")
MAX_ID = 2**63 - 1
_FORBIDDEN = re.compile(r"[\s/?#\\%]")


@dataclasses.dataclass(frozen=True)
class UserRef:
    """A validated user reference: exactly one of ``user_id`` and ``permalink`` is set.

    Examples
    --------
    >>> parse_user("https://www.soundcloud.com/jowymusic/")
    UserRef(user_id=None, permalink='jowymusic')
    >>> parse_user("soundcloud:users:42").urn
    'soundcloud:users:42'
    """

    user_id: int | None = None
    permalink: str | None = None

    @property
    def urn(self) -> str | None:
        return f"soundcloud:users:{self.user_id}" if self.user_id is not None else None

    @property
    def profile_url(self) -> str | None:
        """The only URL form ``/resolve`` accepts: ``https://soundcloud.com/<permalink>``."""
        return f"https://soundcloud.com/{self.permalink}" if self.permalink else None

    def __str__(self) -> str:
        return self.permalink if self.permalink is not None else str(self.user_id)


def require_user(user: object, name: str = "user") -> None:
    """Raise ``InvalidUserError`` ("Se requiere un nombre de usuario") for a missing/blank user."""
    if user is None or (isinstance(user, str) and not user.strip()):
        raise InvalidUserError(f"{USER_REQUIRED} ({name}={user!r})")


def parse_user(user: object, name: str = "user") -> UserRef:
    """Validate ``user`` and return a :class:`UserRef`.

    Parameters
    ----------
    user : str or int
        Username, numeric id (int or digits), URN ``soundcloud:users:N`` or profile URL.
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
    UserRef(user_id=12345, permalink=None)
    >>> parse_user(" jowymusic ")
    UserRef(user_id=None, permalink='jowymusic')
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
    if "://" in text or text.lower().startswith(("soundcloud.com/", "www.soundcloud.com/")):
        return UserRef(permalink=_permalink_from_url(text, name, user))
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


def _permalink_from_url(text: str, name: str, original: object) -> str:
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or host not in PROFILE_HOSTS:
        raise InvalidUserError(
            f"{name}={original!r} is not a SoundCloud profile URL "
            "(expected https://soundcloud.com/<username>)"
        )
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 1:
        what = "no username" if not segments else "a track or playlist URL, not a profile URL"
        raise InvalidUserError(
            f"{name}={original!r} is {what} (expected https://soundcloud.com/<username>)"
        )
    if parts.query or parts.fragment:
        raise InvalidUserError(f"{name}={original!r}: a profile URL takes no query or fragment")
    return _check_permalink(segments[0], name, original)
