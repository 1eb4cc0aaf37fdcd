"""A user's tracks, page by page: as API dicts, or as typed Arrow tables kept beside the cache.

Both walks share :meth:`~scdata.http.endpoints.SoundCloudAPI.walk` (cursor rules, loop and
no-progress
detection) and stop after ``limit`` tracks. A walk that finds no track at all checks that the
user exists: SoundCloud has answered an empty list for users that do not exist (API issue #121).

The two views of a page stay consistent: a page fetched from the network as dicts
(``iter_tracks``, ``raw=True``, ``refresh=True``) drops its typed copy, and a page rejected
after parsing (a schema error, a repeated ``next_href``, a wrong shape) is removed from the HTTP
cache and the page store, so that the next run asks SoundCloud again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pyarrow as pa

from .frames.convert import tracks_page_table
from .http.endpoints import FetchOptions, Page, SoundCloudAPI, keep_dicts
from .http.refs import parse_user
from .storage.pages import PageStore, StoredPage

P = TypeVar("P")  # a page: a list of dicts or a typed table


# PageStore has no delete: a copy that expired at the epoch stands for "no copy" (never used,
# not even offline; Redis drops it at once, ``clear(expired_only=True)`` purges it elsewhere)
class TrackPages:
    """Walks a user's track pages for one client.

    Parameters
    ----------
    api : SoundCloudAPI
        The client's API calls.
    store : PageStore or None
        Where typed copies of pages are kept (``None``: ``cache="off"``).

    Examples
    --------
    >>> import scdata
    >>> client = scdata.Client()
    >>> from scdata.http.endpoints import FetchOptions
    >>> tables = client.pages.tables("soundcloud:users:52461337", 5, FetchOptions())
    >>> sum(t.num_rows for t in tables)
    5
    """

    def __init__(self, api: SoundCloudAPI, store: PageStore | None) -> None:
        self.api = api
        self.store = store

    def dicts(
        self, urn: str, limit: int | None, options: FetchOptions, access: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages' ``collection`` lists, at most ``limit`` tracks in all.

        A page that comes from the network drops its typed copy, which is now older than the
        HTTP cache's (the next typed read rebuilds it from the fresh answer).
        """

        def fetch(url: str, number: int) -> Page[list[dict[str, Any]]]:
            page = self.api.dict_page(url, urn, number, options)
            if page.fetched:
                self._drop_copy(url)
            return dataclasses.replace(page, discard=lambda: self._discard(url))

        pages = self.api.walk(self.api.tracks_url(urn, access=access), fetch, keep_dicts)
        yield from self._at_most(pages, limit, len, lambda page, n: page[:n], urn, options)

    def tables(
        self, urn: str, limit: int | None, options: FetchOptions, access: str | None = None
    ) -> Iterator[pa.Table]:
        """Typed page tables (final schema), from the page store when a fresh copy is there.

        Lazy, like :meth:`dicts`: each page is fetched when asked for (a progress bar moves
        with it).
        """

        def fetch(url: str, number: int) -> Page[pa.Table]:
            discard = lambda: self._discard(url)  # noqa: E731
            stored = self._stored(url, options)
            if stored is not None:
                return Page(stored.table, _urns(stored.table), stored.next_href, url, discard)
            items, next_href, response = self.api.tracks_page(
                url, urn, number=number, options=options
            )
            try:
                table = tracks_page_table(items)
            except Exception:
                self._discard(url)  # parsed but unusable: ask again next time
                raise
            expires = getattr(response, "expires", None)
            if self.store is not None and expires is not None:
                self.store.put(url, StoredPage(table, next_href, expires.timestamp()))
            return Page(table, _urns(table), next_href, response.url, discard, fetched=True)

        pages = self.api.walk(self.api.tracks_url(urn, access=access), fetch, _keep_rows)
        rows, cut = (lambda t: t.num_rows), (lambda t, n: t.slice(0, n))
        yield from self._at_most(pages, limit, rows, cut, urn, options)

    def _at_most(
        self, pages: Iterable[P], limit: int | None, size: Callable[[P], int],
        cut: Callable[[P, int], P], urn: str, options: FetchOptions,
    ) -> Iterator[P]:  # fmt: skip
        """Yield ``pages`` until ``limit`` tracks, cutting the last; no track at all: check."""
        count = 0
        for page in pages:
            if limit is not None and count + size(page) > limit:
                page = cut(page, limit - count)
            count += size(page)
            yield page
            if limit is not None and count >= limit:
                return
        if count == 0:
            self._check_exists(urn, options)

    def _stored(self, url: str, options: FetchOptions) -> StoredPage | None:
        if self.store is None or options.refresh:
            return None
        stored = self.store.get(url)
        if stored is None or not (stored.fresh() or options.offline):
            return None
        return stored

    def _drop_copy(self, url: str) -> None:
        if self.store is not None:
            self.store.delete(url)

    def _discard(self, url: str) -> None:
        """Remove the page at ``url`` from the HTTP cache and the page store."""
        self.api.forget(url)
        self._drop_copy(url)

    def _check_exists(self, urn: str, options: FetchOptions) -> None:
        self.api.user(parse_user(urn), options)  # raises UserNotFoundError


def _urns(table: pa.Table) -> list[str | None]:
    if "urn" not in table.column_names:
        return [None] * table.num_rows
    return table.column("urn").to_pylist()


def _keep_rows(table: pa.Table, mask: list[bool]) -> pa.Table:
    return table.filter(pa.array(mask, type=pa.bool_()))
