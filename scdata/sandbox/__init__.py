"""A local SoundCloud API emulator: a real HTTP server on 127.0.0.1 with fake data.

The sandbox answers the public read surface of the SoundCloud API the way the real service
does (token endpoint, ``/resolve`` 302s, users, tracks, playlists, likes, reposts,
followers, comments, related, web profiles, batch lookups; each collection paged as the
real one: see :mod:`scdata.sandbox.collections`; error bodies, nulls),
from a deterministic catalogue of ~110,000 tracks. Use it for offline demos and to test
your own code; nothing leaves the machine.

By default it runs in **production mode**, behaving like the production API as far as it
is publicly known (``../shared/soundcloud-api/API-NOTES-2.md`` §1): a per-app request-rate
limit (10 requests/s, burst 20) answered with the gateway's 429 ``{"error": "Rate Limit
Exceeded"}`` (no reset information) or CloudFront's 403 "Request blocked" HTML page; the
token endpoint's rolling windows (50 POSTs per app per 12 h, 30 per IP per hour, failed
ones included); strict client authentication; users embedded in tracks with their counts
zeroed; users' ``permalink_url`` with ``?utm_medium=api&...``; URN-form user ``uri``;
``200`` and an empty collection for an unknown user's tracks. ``Sandbox(production=False)``
(``--no-production``) is the permissive emulator for tests that need raw speed.

Run it from a shell
-------------------
::

    $ python -m scdata.sandbox --port 8765
    export SOUNDCLOUD_CLIENT_ID=sandbox-client-id
    export SOUNDCLOUD_CLIENT_SECRET=sandbox-client-secret
    export SOUNDCLOUD_API_URL=http://127.0.0.1:8765
    export SOUNDCLOUD_URL_GET_TOKEN=http://127.0.0.1:8765/oauth/token
    # SoundCloud sandbox serving on http://127.0.0.1:8765 - press Ctrl-C to stop

Paste the ``export`` lines into another shell; code that reads these variables (scdata
does) then talks to the sandbox. Other code: use ``SOUNDCLOUD_API_URL`` where you would
use ``https://api.soundcloud.com`` and ``SOUNDCLOUD_URL_GET_TOKEN`` instead of
``https://secure.soundcloud.com/oauth/token``, with the printed client id and secret.
Options: ``--host``, ``--port``, ``--latency SECONDS``, ``--no-production``,
``--request-rate N`` (0 = no limit), ``--request-burst N``, ``--throttle-mode 429|403``,
``--token-budget N``, ``--token-ttl SECONDS``, ``--artists N``, ``--artist-tracks N``.

Run it from Python
------------------
>>> import requests
>>> from scdata.sandbox import Sandbox
>>> with Sandbox() as sb:
...     grant = requests.post(sb.token_url, auth=(sb.client_id, sb.client_secret),
...                           data={"grant_type": "client_credentials"}).json()
...     page = requests.get(f"{sb.url}/users/soundcloud:users:52461337/tracks",
...                         params={"linked_partitioning": "true", "limit": 200},
...                         headers={"Authorization": f"OAuth {grant['access_token']}"}).json()
>>> len(page["collection"]) > 0, page["next_href"].startswith(sb.url)
(True, True)

``with scdata.sandbox.serve() as sb:`` additionally points scdata's default client at the
sandbox for the duration of the block. :class:`Sandbox` also has controls for tests:

- request log: ``requests``, ``count(path, method=, status=, grant_type=, cause=)``
  (``cause`` e.g. ``"throttle"``, ``"block"``, ``"incident"``, ``"window"``, ``"outage"``,
  ``"error_rate"``, ``"fault"``), ``throttled()``, ``token_attempts()``,
  ``token_window_used("ip"|"app")``, ``clear_log()``;
- production limits (settable while running): ``request_rate`` (0 = no limit),
  ``request_burst``, ``throttle_mode = "429"|"403"``, ``throttle_block`` (seconds a 403
  trip blocks the IP), ``token_budget`` (app window), ``strict_client_auth``;
- spells: ``block_ip(seconds)`` (CloudFront 403 to every request), ``incident(seconds)``
  (429 to everything), ``token_outage(seconds, kind="500"|"html403"|"429"|"timeout",
  hold=None)``, ``error_rate(fraction, status=503, seed=0)`` (envoy 5xx), ``calm()`` (end
  them all);
- shapes: ``embedded_users = "zeroed"|"compact"|"full"``, ``utm_links``, ``urn_uris``,
  ``location_style = "numeric"|"urn"|"urn-encoded"|"body-only"``,
  ``unknown_owner = "empty200"|"404"``, ``short_link(url)``, ``delete_user(ref)``;
- one-shot faults: ``fail``, ``rate_limit``, ``corrupt``, ``drop``, ``delay``,
  ``repeat_next_href``, ``token_fault``, ``expire_tokens``, ``clear_faults``;
- the :class:`Catalog` (``sb.catalog``) to look up, add or delete users and tracks.
- the clock: ``Sandbox(clock_start=...)``, ``sb.now`` (settable), ``sb.advance(days=,
  hours=)``; every answer's ``Date`` is the emulated time. It stands still at
  2026-06-30 00:00:00 UTC (the catalogue's epoch) unless moved, so an unmoved sandbox
  serves the same bytes forever; moved, counts grow, the roster (``jowymusic``,
  ``bjork-unicode``, ``artist-001``) uploads, deletes, follows and unfollows on a schedule
  (:mod:`scdata.sandbox.timeline`), and ``sb.truth`` says what holds at any time
  (:mod:`scdata.sandbox.truth`).

Built-in users: ``jowymusic`` (347 tracks), ``empty-artist`` (0), ``big-catalog``
(10,000), ``bjork-unicode`` (unicode text), ``urn-era-artist`` (id 3000000001),
``geo-blocked`` (120 tracks, a run of 60 blocked ones), ``private-first`` (80 tracks, the
newest 32 private: ``track_count`` 80, at most 48 ever listed, the first page of up to 32
empty) and ``artist-001`` ... ``artist-200`` (500 tracks each), plus lazily generated fans
(``jowymusic`` has 123,456 followers, ``big-catalog`` 50,000, ``empty-artist`` follows
2,600); see :mod:`scdata.sandbox.catalog` and :mod:`scdata.sandbox.world`. Built-in short links: ``https://on.soundcloud.com/sbJowyMusic1``,
``.../sbBjorkUnicode`` and ``.../sbJowyTrack1`` (see :mod:`scdata.sandbox.shortlinks`).
"""

from __future__ import annotations

from .catalog import Catalog
from .cli import main
from .log import RequestRecord
from .server import Sandbox, serve, start

__all__ = ["Catalog", "RequestRecord", "Sandbox", "main", "serve", "start"]
