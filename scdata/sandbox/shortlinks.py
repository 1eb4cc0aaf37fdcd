"""``on.soundcloud.com`` short links: ``/resolve`` expands them server-side (API-NOTES-2 §1.7).

Built-in links (every sandbox):

=====================================================  ==========================================
short link                                             long URL
=====================================================  ==========================================
``https://on.soundcloud.com/sbJowyMusic1``             ``https://soundcloud.com/jowymusic``
``https://on.soundcloud.com/sbBjorkUnicode``           ``https://soundcloud.com/bjork-unicode``
``https://on.soundcloud.com/sbJowyTrack1``             ``https://soundcloud.com/jowymusic/``
                                                       ``analog-satellite`` (its newest track)
``https://on.soundcloud.com/sbJowySet1``               ``https://soundcloud.com/jowymusic/sets/``
                                                       ``neon-engine-priya-remix`` (161 slots,
                                                       128 listed)
=====================================================  ==========================================

:meth:`ShortLinks.add` registers more; an unknown code resolves to 404.
"""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import urlsplit

__all__ = ["BUILTIN_SHORT_LINKS", "SHORT_HOST", "ShortLinks"]

SHORT_HOST = "on.soundcloud.com"
BUILTIN_SHORT_LINKS = {
    "sbJowyMusic1": "https://soundcloud.com/jowymusic",
    "sbBjorkUnicode": "https://soundcloud.com/bjork-unicode",
    "sbJowyTrack1": "https://soundcloud.com/jowymusic/analog-satellite",
    "sbJowySet1": "https://soundcloud.com/jowymusic/sets/neon-engine-priya-remix",
}
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _code(url: str) -> str:
    number = int.from_bytes(hashlib.sha256(url.encode()).digest()[:12], "big")
    digits = []
    for _ in range(14):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(digits)


class ShortLinks:
    """Registry of short-link codes and the long URLs they stand for.

    Examples
    --------
    >>> links = ShortLinks()
    >>> short = links.add("https://soundcloud.com/big-catalog")
    >>> short.startswith("https://on.soundcloud.com/"), links.expand(short)
    (True, 'https://soundcloud.com/big-catalog')
    >>> links.expand("https://on.soundcloud.com/sbJowyMusic1?si=abc&utm_source=clipboard")
    'https://soundcloud.com/jowymusic'
    >>> links.expand("https://on.soundcloud.com/nope") is None
    True
    """

    def __init__(self) -> None:
        self._codes = dict(BUILTIN_SHORT_LINKS)
        self._lock = threading.Lock()

    def add(self, url: str) -> str:
        """Register ``url`` (a ``soundcloud.com`` URL); return its short link (stable per URL).

        Raises
        ------
        ValueError
            If ``url`` is not an http(s) ``soundcloud.com`` URL.
        """
        split = urlsplit(url.strip()) if isinstance(url, str) else None
        if (
            split is None
            or split.scheme.lower() not in ("http", "https")
            or (split.hostname or "") not in ("soundcloud.com", "www.soundcloud.com")
            or split.path.strip("/") == ""
        ):
            raise ValueError(f"url must be a soundcloud.com profile or track URL, got {url!r}")
        long_url = url.strip()
        code = _code(long_url)
        with self._lock:
            self._codes[code] = long_url
        return f"https://{SHORT_HOST}/{code}"

    def is_short(self, url: str) -> bool:
        """Whether ``url`` is on the short-link host."""
        return (urlsplit(url.strip()).hostname or "") == SHORT_HOST

    def expand(self, url: str) -> str | None:
        """Return the long URL of a short link (query ignored); ``None`` if unknown."""
        split = urlsplit(url.strip())
        if (split.hostname or "") != SHORT_HOST or split.scheme.lower() not in ("http", "https"):
            return None
        with self._lock:
            return self._codes.get(split.path.strip("/"))
