"""What scdata is compared with: a naive pull loop and the original service's pages of 10.

Both talk to the emulator with plain ``requests`` (or a plain ``requests_cache.CachedSession``),
the way someone without scdata would write it. They are given every advantage that does not
change what is measured: a keep-alive session, a token fetched once outside the timed part of a
warm run, and a ``/resolve`` that is not followed (one request, as scdata sends).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import requests
import requests_cache
from normalise import records_frame

PAGE_SIZE = 200
USER_URN = re.compile(r"/users/(soundcloud:users:\d+|\d+)/?$")


def fetch_token(token_url: str, client_id: str, client_secret: str) -> str:
    """One ``client_credentials`` exchange with plain requests (one POST)."""
    response = requests.post(
        token_url,
        auth=(client_id, client_secret),
        data={"grant_type": "client_credentials"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def cached_session(path: str) -> requests_cache.CachedSession:
    """A plain SQLite ``CachedSession``; the ``/resolve`` 302 is cached too, as scdata does."""
    return requests_cache.CachedSession(path, backend="sqlite", allowable_codes=(200, 302))


def resolve(session: requests.Session, api_url: str, token: str, permalink: str) -> str:
    """The user's URN from ``/resolve`` (one GET; the 302's ``Location`` is read, not followed)."""
    response = session.get(
        f"{api_url}/resolve",
        params={"url": f"https://soundcloud.com/{permalink}"},
        headers={"Authorization": f"OAuth {token}"},
        allow_redirects=False,
        timeout=30,
    )
    match = USER_URN.search(response.headers.get("Location", ""))
    if response.status_code != 302 or match is None:
        raise RuntimeError(f"/resolve of {permalink!r} answered {response.status_code}")
    ref = match.group(1)
    return ref if ref.startswith("soundcloud:") else f"soundcloud:users:{ref}"


def naive_records(
    session: requests.Session,
    api_url: str,
    token: str,
    permalink: str,
    access: str | None = None,
) -> list[dict[str, Any]]:
    """Resolve, then pages of 200 following ``next_href``; ``json.loads`` and accumulate.

    ``access`` is the API's filter (``"playable,preview,blocked"``), sent on the first page
    (``next_href`` repeats it); ``None`` sends none, for the API's default.
    """
    headers = {"Authorization": f"OAuth {token}"}
    urn = resolve(session, api_url, token, permalink)
    params: dict[str, Any] = {"linked_partitioning": "true", "limit": PAGE_SIZE}
    if access:
        params["access"] = access
    return follow_pages(session, f"{api_url}/users/{urn}/tracks", params, headers)


def follow_pages(
    session: requests.Session,
    url: str | None,
    params: dict[str, Any] | None,
    headers: dict[str, str],
) -> list[dict[str, Any]]:
    """GET ``url``, then each ``next_href`` until there is none; every page's ``collection``.

    ``json.loads`` per page, as people write it; ``params`` go on the first request only
    (``next_href`` carries them).
    """
    records: list[dict[str, Any]] = []
    while url:
        response = session.get(url, params=params, headers=headers, timeout=30)
        response.raise_for_status()
        page = json.loads(response.content)
        records.extend(page["collection"])
        url, params = page.get("next_href"), None
    return records


def naive_pull(
    session: requests.Session,
    api_url: str,
    token: str,
    permalink: str,
    access: str | None = None,
) -> pd.DataFrame:
    """The whole naive pull: :func:`naive_records` then :func:`records_frame`."""
    return records_frame(naive_records(session, api_url, token, permalink, access))


def pages_of_ten(
    session: requests.Session, api_url: str, token: str, permalink: str, track_count: int
) -> int:
    """The original service's way: resolve, then ``limit=10&offset=...`` for every 10 tracks.

    Run literally (the emulator ignores ``offset``, so the tracks repeat; only the request
    count and the time mean something). Returns the number of track dicts received.
    """
    headers = {"Authorization": f"OAuth {token}"}
    urn = resolve(session, api_url, token, permalink)
    received = 0
    for offset in range(0, track_count, 10):
        response = session.get(
            f"{api_url}/users/{urn}/tracks",
            params={"limit": 10, "offset": offset},
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        received += len(json.loads(response.content))
    return received
