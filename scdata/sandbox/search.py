"""Search (``/tracks``, ``/users``, ``/playlists`` without ``urns``/``ids``): a stub."""

from __future__ import annotations

from typing import Any

from .replies import Reply, error_reply
from .routes import BAD_REQUEST


def answer(router: Any, kind: str, request: Any) -> Reply:
    """Answer a search request (not emulated yet: 400)."""
    return error_reply(400, BAD_REQUEST)
