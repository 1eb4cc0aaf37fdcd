"""Items by reference: ``resolve`` any SoundCloud URL, and typed rows of users, tracks, playlists.

Items known by URN or id are fetched in batches (``/users?urns=…``, ``/tracks?urns=…``, chunks
of ``SCDATA_BATCH_SIZE``); names, page URLs and short links cost one cached ``/resolve`` each
first. A chunk that comes back short is completed by single lookups, so no row is lost to an
undocumented batch limit; an item SoundCloud does not have raises (or, with
``errors="skip"``, is listed in ``df.attrs["scdata"]["failures"]``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ._checks import check_choice, check_workers
from ._collect import Failures, Input, check_backend, check_errors, deliver
from ._collections import CollectionsMixin
from .frames.convert import page_table
from .frames.schema import EXTRA_COLUMNS
from .http.refs import ITEM_KINDS

Refs = Any
_SINGULAR = {"users": "user", "tracks": "track", "playlists": "playlist"}


class LookupsMixin(CollectionsMixin):
    """``resolve``, ``users_df``, ``lookup_tracks``, ``lookup_playlists``; mixed into Client."""

    def _found(
        self,
        refs: Refs,
        kinds: tuple[str, ...],
        name: str,
        errors: str,
        workers: int,
        offline: bool | None,
        refresh: bool | None,
    ) -> tuple[list[Input], Failures, datetime]:
        """Parse, resolve and look up ``refs``: the inputs found, in order, and the failures."""
        failures = Failures(check_errors(errors))
        workers = check_workers(workers)
        options = self._options(offline, refresh)
        fetched_at = datetime.now(UTC)
        collector = self.collector
        inputs = collector.parse(refs, kinds, name, failures)
        inputs = collector.resolve(inputs, kinds, options, workers, failures)
        found: list[Input] = []
        for kind in kinds:
            group = [i for i in inputs if (i.urn or "").split(":")[1] == kind]
            found += collector.lookup(kind, group, options, workers, failures)
        order = {id(i): n for n, i in enumerate(inputs)}
        return sorted(found, key=lambda i: order[id(i)]), failures, fetched_at

    def _frame(
        self,
        kind: str,
        found: list[Input],
        failures: Failures,
        fetched_at: datetime,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        table = page_table(kind, [i.found for i in found])
        if observe:
            column = EXTRA_COLUMNS["observed_at"]
            table = table.append_column(
                pa.field(column.name, column.arrow_type),
                pa.array([i.observed_at for i in found], column.arrow_type),
            )
        return deliver(table, kind, {"failures": failures.items}, backend, fetched_at)

    def resolve(
        self,
        urls: Refs,
        *,
        kind: str | None = None,
        errors: str = "raise",
        workers: int = 8,
        offline: bool | None = None,
        refresh: bool | None = None,
        backend: str = "pandas",
    ) -> Any:
        """What each SoundCloud URL, short link, URN or id names.

        Parameters
        ----------
        urls : str, int or list
            Page URLs (``www.``/``m.`` hosts, ``/sets/`` playlists, secret links, tracking
            parameters and fragments are fine), ``on.soundcloud.com`` short links, URNs, or
            ids (with ``kind``: an id alone does not say what it is).
        kind : {"users", "tracks", "playlists"}, optional
            What every input must be; default: anything.

        Returns
        -------
        pandas.DataFrame
            ``url`` (as given), ``kind`` (``user``, ``track``, ``playlist``), ``urn``, ``id``,
            ``permalink_url``: one row per distinct item, in the order given.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.resolve(["https://m.soundcloud.com/jowymusic?utm_source=x",
        ...                      "https://soundcloud.com/jowymusic/analog-satellite"])
        >>> df["kind"].tolist(), df.loc[0, "urn"]
        (['user', 'track'], 'soundcloud:users:52461337')
        """
        kinds = ITEM_KINDS if kind is None else (_check_kind(kind),)
        backend = check_backend(backend)
        found, failures, fetched_at = self._found(
            urls, kinds, "urls", errors, workers, offline, refresh
        )
        text = pa.large_string()
        table = pa.table(
            {
                "url": pa.array([i.given for i in found], text),
                "kind": pa.array([_SINGULAR[(i.urn or "::").split(":")[1]] for i in found], text),
                "urn": pa.array([i.urn for i in found], text),
                "id": pa.array([int((i.urn or "0").rsplit(":", 1)[1]) for i in found], pa.int64()),
                "permalink_url": pa.array(
                    [(i.found or {}).get("permalink_url") for i in found], text
                ),
            }
        )
        return deliver(table, "", {"failures": failures.items}, backend, fetched_at)

    def lookup_tracks(
        self,
        tracks: Refs,
        *,
        errors: str = "raise",
        workers: int = 8,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        """One typed row per track given (URL, short link, URN or id), in that order.

        Examples
        --------
        >>> import scdata
        >>> urns = scdata.tracks_df("jowymusic", limit=3)["urn"].tolist()
        >>> scdata.lookup_tracks(urns)["urn"].tolist() == urns
        True
        """
        backend = check_backend(backend)
        found, failures, fetched_at = self._found(
            tracks, ("tracks",), "tracks", errors, workers, offline, refresh
        )
        return self._frame("tracks", found, failures, fetched_at, observe, backend)

    def lookup_playlists(
        self,
        playlists: Refs,
        *,
        errors: str = "raise",
        workers: int = 8,
        offline: bool | None = None,
        refresh: bool | None = None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        """One typed row per playlist given (URL, short link, URN or id), in that order.

        Examples
        --------
        >>> import scdata
        >>> urn = scdata.playlists_df("jowymusic")["urn"].iloc[0]
        >>> scdata.lookup_playlists(urn)["urn"].tolist() == [urn]
        True
        """
        backend = check_backend(backend)
        found, failures, fetched_at = self._found(
            playlists, ("playlists",), "playlists", errors, workers, offline, refresh
        )
        return self._frame("playlists", found, failures, fetched_at, observe, backend)

    def _users_frame(
        self,
        users: Refs,
        errors: str,
        workers: int,
        offline: bool | None,
        refresh: bool | None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        backend = check_backend(backend)
        found, failures, fetched_at = self._found(
            users, ("users",), "users", errors, workers, offline, refresh
        )
        return self._frame("users", found, failures, fetched_at, observe, backend)


def _check_kind(kind: object) -> str:
    return check_choice("kind", kind, ITEM_KINDS)
