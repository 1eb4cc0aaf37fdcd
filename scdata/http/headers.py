"""What every request scdata sends says about itself: one User-Agent, one Accept.

Both the API session (:mod:`scdata.http.session`) and the token request's plain session
(:mod:`scdata.http.auth`) take their headers from here.
"""

from __future__ import annotations

from typing import TypeVar

import requests

from .._version import __version__

S = TypeVar("S", bound=requests.Session)

USER_AGENT = f"scdata/{__version__} python-requests/{requests.__version__}"
ACCEPT = "application/json; charset=utf-8"


def identify(session: S) -> S:
    """Set scdata's ``User-Agent`` and ``Accept`` on ``session`` and return it.

    Examples
    --------
    >>> identify(requests.Session()).headers["User-Agent"].startswith("scdata/")
    True
    """
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = ACCEPT
    return session
