"""Any list of the API, page by page: as API dicts, or as typed Arrow tables kept by the cache.

A user's tracks, followers, a track's comments: both walks share
:meth:`~scdata.http.endpoints.SoundCloudAPI.walk` (``next_href`` rules, loop and no-progress
detection) and stop after ``limit`` items. A walk of a user's tracks that finds none checks that
the user exists: SoundCloud has answered an empty list for users that do not exist (#121).

The two views of a page stay consistent: a page fetched from the network as dicts
(``iter_tracks``, ``raw=True``, ``refresh=True``) drops its typed copy, and a page rejected
after parsing (a schema error, a repeated ``next_href``, a wrong shape) is removed from the HTTP
cache and the page store, so that the next run asks SoundCloud again.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pyarrow as pa

from .frames.convert import concat_pages, page_table
from .frames.schema import EXTRA_COLUMNS
from .http.endpoints import FetchOptions, Page, SoundCloudAPI, answered_at, keep_dicts
from .http.refs import parse_user
from .storage.pages import PageStore, StoredPage, StoredWalk, walk_still_valid

P = TypeVar("P")
OBSERVED = EXTRA_COLUMNS["observed_at"]  # a page: a list of dicts or a typed table


@dataclasses.dataclass
class WalkState:
    """What a walk learned besides its items: whether it stopped before the list's end.

    ``more`` is true when ``limit`` cut it while SoundCloud had more to give (rows left in
    the last page, or a ``next_href``); ``pages`` counts the pages read.
    """

    more: bool = False
    pages: int = 0
    next_href: str | None = None
    note: str = ""


class TrackPages:
    """Walks the pages of any list for one client (a user's tracks, followers, comments...).

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
    >>> pages = client.pages.dicts("soundcloud:users:52461337", 5, FetchOptions())
    >>> sum(len(page) for page in pages)
    5
    """

    def __init__(self, api: SoundCloudAPI, store: PageStore | None) -> None:
        self.api = api
        self.store = store

    # -- a user's tracks (what Client.tracks reads) -----------------------------------------------
    def dicts(
        self, urn: str, limit: int | None, options: FetchOptions, access: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages' ``collection`` lists of a user's tracks, at most ``limit`` in all."""
        url = self.api.tracks_url(urn, access=access)
        check = self.owner_check("users")
        return self.list_dicts(url, urn, "tracks", limit, options, check=check)

    # -- any list ------------------------------------------------------------------------------
    def list_dicts(
        self,
        first_url: str,
        owner: str,
        kind: str,
        limit: int | None,
        options: FetchOptions,
        *,
        state: WalkState | None = None,
        check: Callable[[str, FetchOptions], None] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages' item lists from ``first_url``, at most ``limit`` items in all.

        ``kind`` is the items' kind (their URNs dedupe the walk). A page that comes from the
        network drops its typed copy, which is now older than the HTTP cache's (the next typed
        read rebuilds it from the fresh answer). ``check(owner, options)`` runs when the walk
        finds nothing at all (it raises when the owner does not exist).
        """

        def fetch(url: str, number: int) -> Page[list[dict[str, Any]]]:
            page = self.api.dict_page(url, owner, number, options, kind)
            if page.fetched:
                self._drop_copy(url)
            return dataclasses.replace(page, discard=lambda: self._discard(url))

        state = state if state is not None else WalkState()
        pages = self.api.walk(first_url, _counting(fetch, state), keep_dicts)
        cut = lambda page, n: page[:n]  # noqa: E731
        yield from self._at_most(pages, limit, len, cut, owner, options, state, check)

    def list_tables(
        self,
        first_url: str,
        owner: str,
        kind: str,
        limit: int | None,
        options: FetchOptions,
        *,
        state: WalkState | None = None,
        check: Callable[[str, FetchOptions], None] | None = None,
        build: Callable[[list[Any]], pa.Table] | None = None,
        observe: bool = False,
    ) -> Iterator[pa.Table]:
        """Typed page tables (final schema) of any list, from the page store when fresh there.

        Lazy, like :meth:`list_dicts`: each page is fetched when asked for (a progress bar
        moves with it). ``build(items)`` makes a page's table (default: the ``kind`` schema).
        A whole walk (no ``limit``) is read from its walk copy when every page copy it was
        built from is still there, and leaves one when every page it read has a copy.
        ``observe`` adds ``observed_at``, when SoundCloud answered with the page (its HTTP
        ``Date``, which a cached answer keeps); such pages are read from the HTTP cache, never
        from the typed or walk copies (which do not know when they were answered).
        """
        make = build if build is not None else (lambda items: page_table(kind, items))
        state = state if state is not None else WalkState()
        rows, cut = (lambda t: t.num_rows), (lambda t, n: t.slice(0, n))
        whole = None if observe else self._stored_walk(first_url, limit, options)
        if whole is not None:
            state.pages, state.next_href = len(whole.pages), whole.next_href
            yield from self._at_most([whole.table], limit, rows, cut, owner, options, state, check)
            return
        copies: list[tuple[str, float]] | None = [] if limit is None and not observe else None

        def fetch(url: str, number: int) -> Page[pa.Table]:
            discard = lambda: self._discard(url)  # noqa: E731
            stored = None if observe else self._stored(url, options)
            if stored is not None:
                if copies is not None:
                    copies.append((url, stored.expires))
                return Page(stored.table, _urns(stored.table), stored.next_href, url, discard)
            items, next_href, response = self.api.list_page(
                url, owner, number=number, options=options, what=kind.replace("_", " ")
            )
            try:
                table = make(items)
            except Exception:
                self._discard(url)  # parsed but unusable: ask again next time
                raise
            if observe:
                when = answered_at(response)
                table = table.append_column(
                    pa.field(OBSERVED.name, OBSERVED.arrow_type),
                    pa.array([when] * table.num_rows, OBSERVED.arrow_type),
                )
                return Page(table, _urns(table), next_href, response.url, discard, fetched=True)
            expires = getattr(response, "expires", None)
            if self.store is not None and expires is not None:
                self.store.put(url, StoredPage(table, next_href, expires.timestamp()))
            if copies is not None:  # a page without a copy: no walk copy
                copies.append((url, expires.timestamp() if expires is not None else math.nan))
            return Page(table, _urns(table), next_href, response.url, discard, fetched=True)

        pages = self.api.walk(first_url, _counting(fetch, state), _keep_rows)
        tables = []
        for table in self._at_most(pages, limit, rows, cut, owner, options, state, check):
            if copies is not None:
                tables.append(table)
            yield table
        self._keep_walk(first_url, kind, tables, copies, state)

    def _at_most(
        self, pages: Iterable[P], limit: int | None, size: Callable[[P], int],
        cut: Callable[[P, int], P], owner: str, options: FetchOptions, state: WalkState,
        check: Callable[[str, FetchOptions], None] | None,
    ) -> Iterator[P]:  # fmt: skip
        """Yield ``pages`` until ``limit`` items, cutting the last; nothing at all: ``check``."""
        count = 0
        for page in pages:
            if limit is not None and count + size(page) > limit:
                page = cut(page, limit - count)
                state.more = True
            count += size(page)
            yield page
            if limit is not None and count >= limit:
                state.more = state.more or state.next_href is not None
                return
        if count == 0 and check is not None:
            check(owner, options)

    def _stored_walk(
        self, first_url: str, limit: int | None, options: FetchOptions
    ) -> StoredWalk | None:
        if self.store is None or options.refresh or limit is not None:
            return None
        whole = self.store.get_walk(first_url)
        if whole is None or not walk_still_valid(self.store, whole, offline=options.offline):
            return None
        return whole

    def _keep_walk(
        self, first_url: str, kind: str, tables: list[pa.Table],
        copies: list[tuple[str, float]] | None, state: WalkState,
    ) -> None:  # fmt: skip
        """Keep a walk copy of a whole walk whose every page has a copy."""
        if self.store is None or not tables or not copies or any(math.isnan(e) for _, e in copies):
            return
        table = concat_pages(kind, tables, distinct=True)  # what the collector makes of them
        self.store.put_walk(first_url, StoredWalk(table, tuple(copies), state.next_href))

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

    def owner_check(self, kind: str) -> Callable[[str, FetchOptions], None]:
        """``check(urn, options)`` for owners of ``kind``: one request, raises when it is gone.

        A missing user raises :class:`UserNotFoundError`; another item, :class:`NotFoundError`.
        """

        def check(urn: str, options: FetchOptions) -> None:
            if kind == "users":
                self.api.user(parse_user(urn), options)
            else:
                self.api.item(kind, urn, options)

        return check


def _counting(
    fetch: Callable[[str, int], Page[P]], state: WalkState
) -> Callable[[str, int], Page[P]]:
    """``fetch``, recording in ``state`` how many pages were read and the last ``next_href``."""

    def counted(url: str, number: int) -> Page[P]:
        page = fetch(url, number)
        state.pages = number
        state.next_href = page.next_href
        return page

    return counted


def _urns(table: pa.Table) -> list[str | None]:
    if "urn" not in table.column_names:
        return [None] * table.num_rows
    return table.column("urn").to_pylist()


def _keep_rows(table: pa.Table, mask: list[bool]) -> pa.Table:
    return table.filter(pa.array(mask, type=pa.bool_()))
