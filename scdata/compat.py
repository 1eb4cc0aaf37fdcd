"""The original service's functions, with its semantics: ``None`` instead of an exception.

| original (TypeScript)                  | scdata                                         |
|----------------------------------------|------------------------------------------------|
| ``getSoundCloudToken()``               | :func:`get_token`                              |
| ``getUserInfo(user)``                  | :func:`user_info`                              |
| ``getUserTracks(user, limit, offset)`` | :func:`user_tracks`                            |
| ``soundCloudApi.users.getInfo``        | ``scdata.soundcloud_api.users.get_info``       |
| ``soundCloudApi.tracks.getFromUser``   | ``scdata.soundcloud_api.tracks.get_from_user`` |

A user that does not exist, an API error or a name that cannot be a SoundCloud user gives
``None`` and a WARNING on the ``scdata`` logger saying why. Caller errors still raise: a blank user
(``InvalidUserError``, "Se requiere un nombre de usuario"), a bad ``limit``/``offset``
(``ValueError``) and missing credentials (``ConfigurationError``).
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from ._checks import check_count
from ._client import default_client
from .errors import ConfigurationError, SoundCloudError, UserNotFoundError
from .http.refs import require_user

log = logging.getLogger("scdata")


def get_token() -> str:
    """Return the default client's access token; raise :class:`AuthError` on failure.

    Examples
    --------
    >>> import scdata
    >>> token = scdata.get_token()
    >>> token == scdata.get_token()  # reused until 60 s before it expires
    True
    """
    return default_client().get_token()


def user_info(user: str | int) -> dict[str, Any] | None:
    """A user's public profile, or ``None`` when not found or on any API error.

    Parameters
    ----------
    user : str or int
        Username, numeric id (int or digits), URN ``soundcloud:users:N`` or profile URL.

    Returns
    -------
    dict or None
        The API's user object; cached for an hour.

    Examples
    --------
    >>> import scdata
    >>> scdata.user_info("jowymusic")["username"]
    'JOWY'
    >>> scdata.user_info("no-such-user-xyz") is None
    True
    """
    require_user(user)
    try:
        return default_client().user(user)
    except ConfigurationError:
        raise
    except SoundCloudError as exc:
        log.warning("user_info(%r) -> None: %s", user, _original(exc))
        return None


def user_tracks(user: str | int, limit: int = 10, offset: int = 0) -> list[dict[str, Any]] | None:
    """The user's tracks at positions ``[offset, offset + limit)``, newest first, or ``None``.

    Parameters
    ----------
    user : str or int
        Any form :func:`user_info` accepts.
    limit : int, default 10
        How many tracks (1 or more).
    offset : int, default 0
        How many of the newest tracks to skip.

    Examples
    --------
    >>> import scdata
    >>> [t["title"] for t in scdata.user_tracks("jowymusic", 2, 0)]
    ['Analog Satellite', 'demo 346']
    """
    require_user(user)
    check_count("limit", limit, minimum=1)
    check_count("offset", offset, minimum=0)
    try:
        # the original service sent no access filter: the API's default (playable, preview)
        return default_client().tracks(user, limit, offset, access=None)
    except ConfigurationError:
        raise
    except SoundCloudError as exc:
        log.warning("user_tracks(%r, %r, %r) -> None: %s", user, limit, offset, _original(exc))
        return None


def _original(exc: SoundCloudError) -> str:
    """The error as the original service worded it (no hint after an unknown user)."""
    return exc.message if isinstance(exc, UserNotFoundError) else str(exc)


soundcloud_api = SimpleNamespace(
    users=SimpleNamespace(get_info=user_info),
    tracks=SimpleNamespace(get_from_user=user_tracks),
)
"""The original organised object.

``soundcloud_api.users.get_info`` is :func:`user_info`;
``soundcloud_api.tracks.get_from_user`` is :func:`user_tracks`.
"""
