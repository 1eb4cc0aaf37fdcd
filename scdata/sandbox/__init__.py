"""A local SoundCloud API emulator: a real HTTP server on 127.0.0.1 with fake data.

The sandbox answers the parts of the SoundCloud public API that scdata uses, the way the
real service does (token endpoint, ``/resolve`` 302s, cursor paging, error bodies, nulls),
from a deterministic catalogue of ~110,000 tracks. Use it for offline demos and to test
your own code; nothing leaves the machine.

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
Options: ``--host``, ``--port``, ``--latency SECONDS``, ``--token-budget N``,
``--token-ttl SECONDS``, ``--artists N``, ``--artist-tracks N``.

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
request log (``requests``, ``count``), fault injection (``fail``, ``rate_limit``,
``drop``, ``delay``, ``repeat_next_href``, ``token_fault``, ``expire_tokens``) and the
:class:`Catalog` (``sb.catalog``) to look up or add users and tracks.

Built-in users: ``jowymusic`` (347 tracks), ``empty-artist`` (0), ``big-catalog``
(10,000), ``bjork-unicode`` (unicode text), ``urn-era-artist`` (id 3000000001),
``geo-blocked`` (120 tracks, a run of 60 blocked ones) and ``artist-001`` ...
``artist-200`` (500 tracks each); see :mod:`scdata.sandbox.catalog`.
"""

from __future__ import annotations

from .catalog import Catalog
from .cli import main
from .log import RequestRecord
from .server import Sandbox, serve, start

__all__ = ["Catalog", "RequestRecord", "Sandbox", "main", "serve", "start"]
