"""Any collection over many inputs: parse, resolve, check the owners, walk, type, account for it.

:class:`Collector` is the one piece of code behind every collection function (``tracks_df``,
``followers_df``, ``comments_df``...), the batch lookups (``users_df``, ``lookup_tracks``) and
``resolve``. For each call it

1. validates every input (one value or a list; the same item named twice is kept once);
2. resolves names and links to URNs (one cached ``/resolve`` each, concurrently);
3. looks the owners up in batches (``/users?urns=``, ``/tracks?urns=``, chunks of
   ``SCDATA_BATCH_SIZE``): that proves each exists and gives the count to check the list
   against;
4. walks each owner's list to its end (typed page copies, the Arrow path, progress);
5. adds the owner and position columns and records, per input, what was expected and what
   came, in ``df.attrs["scdata"]``.

With ``errors="skip"`` an input that fails (invalid, not found, a list that errors after
retries) is left out and listed in ``df.attrs["scdata"]["failures"]``; the walls (throttling,
a blocked IP, authentication) always stop the call.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import numbers
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import pyarrow as pa

from ._checks import check_choice, check_count, check_workers
from ._fanout import run_all
from ._progress import counted, progress_bar, progress_enabled
from ._resources import Collection
from ._walk import WalkState
from .errors import (
    APIError,
    ArgumentError,
    InvalidReferenceError,
    InvalidUserError,
    NotFoundError,
    OfflineError,
    UserNotFoundError,
)
from .frames.convert import concat_pages, page_table, table_to_frame, warn_parse_issues
from .frames.schema import EXTRA_COLUMNS, SCHEMAS, Column
from .http.endpoints import FetchOptions, item_keys
from .http.refs import ItemRef, item_noun, parse_item, parse_user

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Collector", "Input", "check_errors"]

Errors = Literal["raise", "skip"]
T = TypeVar("T")
R = TypeVar("R")
#: What ``errors="skip"`` leaves out; anything else (throttling, a blocked IP, a failed token
#: request, a bug) stops the call: marching on would only hit the same wall again.
SKIPPABLE: tuple[type[Exception], ...] = (NotFoundError, ArgumentError, APIError, OfflineError)
PAGE_SIZE = 200
#: Every track, blocked ones included, so that the rows can match the owner's count (#439).
ALL_ACCESS = "playable,preview,blocked"


def check_errors(errors: object) -> Errors:
    """``"raise"`` or ``"skip"``; anything else raises naming the value.

    Examples
    --------
    >>> check_errors("skip")
    'skip'
    >>> check_errors("ignore")
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: errors must be "raise" or "skip", got 'ignore'
    """
    return cast("Errors", check_choice("errors", errors, ("raise", "skip")))


@dataclasses.dataclass
class Input:
    """One input of a call: as given, validated, then resolved (and its owner object)."""

    given: str
    ref: ItemRef
    shown: str = ""  # how messages name it: the user as scdata read it ("jowymusic", "42")
    urn: str | None = None
    secret_token: str | None = None
    found: dict[str, Any] | None = None
    observed_at: datetime | None = None  # when SoundCloud answered with ``found``


class Failures:
    """The inputs left out by ``errors="skip"`` (thread-safe), for ``df.attrs``."""

    def __init__(self, errors: Errors) -> None:
        self.errors = errors
        self.items: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def guard(self, given: str, job: Callable[[], T]) -> T | None:
        """``job()``; with ``errors="skip"`` a skippable error is recorded and gives ``None``."""
        try:
            return job()
        except SKIPPABLE as exc:
            if self.errors == "raise":
                raise
            self.add(given, exc)
            return None

    def add(self, given: str, exc: BaseException) -> None:
        with self._lock:
            self.items.append({"input": given, "error": type(exc).__name__, "message": str(exc)})


def as_list(values: object, name: str) -> list[object]:
    """One value or a list of them (a string is one value); an empty list raises.

    Examples
    --------
    >>> as_list("jowymusic", "users"), as_list([1, 2], "users")
    (['jowymusic'], [1, 2])
    """
    if isinstance(values, str | numbers.Integral) or not isinstance(values, Iterable):
        return [values]
    if isinstance(values, dict | bytes):
        return [values]  # rejected by the parser, naming the type
    listed = list(values)
    if not listed:
        noun = name[:-1] if name in ("users", "tracks", "playlists") else "item"
        raise ArgumentError(f"{name} must name at least one {noun}, got an empty list")
    return listed


def parse_ref(value: object, kinds: Sequence[str], name: str) -> ItemRef:
    """One reference to one of ``kinds``; a user with the user parser's messages.

    Examples
    --------
    >>> parse_ref("https://soundcloud.com/jowymusic?utm_source=x", ("users",), "users").url
    'https://soundcloud.com/jowymusic'
    """
    if tuple(kinds) != ("users",):
        return parse_item(value, kinds, name)
    ref = parse_user(value, name)
    if ref.user_id is not None:
        return ItemRef("users", item_id=ref.user_id)
    if ref.short_link is not None:
        return ItemRef(None, short_link=ref.short_link)
    return ItemRef("users", url=ref.profile_url)


class Collector:
    """The collection machinery of one :class:`~scdata.Client`.

    Examples
    --------
    >>> import scdata
    >>> from scdata._resources import COLLECTIONS
    >>> collector = scdata.Client().collector
    >>> df = collector.frame(lambda ref: COLLECTIONS["followings"], "jowymusic", ("users",),
    ...                      "users", limit=3)
    >>> len(df), df.attrs["scdata"]["inputs"][0]["capped"]
    (3, True)
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    # -- inputs ----------------------------------------------------------------------------
    def parse(
        self, values: object, kinds: Sequence[str], name: str, failures: Failures
    ) -> list[Input]:
        """Validate every input; the same item named twice is kept once (the first)."""
        inputs: list[Input] = []
        seen: set[str] = set()
        listed = as_list(values, name)
        for i, value in enumerate(listed):
            label = name if len(listed) == 1 else f"{name}[{i}]"

            def parse(value: object = value, label: str = label) -> ItemRef:
                return parse_ref(value, kinds, label)

            ref = failures.guard(str(value), parse)
            if ref is None or ref.key in seen:
                continue
            seen.add(ref.key)
            shown = str(parse_user(value)) if ref.kind == "users" or ref.short_link else str(value)
            inputs.append(Input(str(value), ref, shown))
        return inputs

    def resolve(
        self,
        inputs: list[Input],
        kinds: Sequence[str],
        options: FetchOptions,
        workers: int,
        failures: Failures,
    ) -> list[Input]:
        """Give every input its URN (``/resolve`` for names and links, concurrently).

        Inputs that turn out to name one item twice are kept once.
        """
        api = self.client.api

        def resolve(item: Input) -> Input | None:
            def job() -> Input:
                ref = item.ref
                if ref.urn is not None:
                    item.urn = ref.urn
                    return item
                assert ref.resolve_url is not None
                try:
                    kind, number, secret = api.resolve_location(
                        ref.resolve_url, options, given=item.given
                    )
                except NotFoundError:
                    if tuple(kinds) == ("users",):
                        raise UserNotFoundError(item.shown) from None
                    noun = " or ".join(item_noun(k).split()[1] for k in kinds)
                    raise NotFoundError(item.given, kinds[0] if len(kinds) == 1 else noun) from None
                if kind not in kinds:
                    wanted = " or ".join(item_noun(k) for k in kinds)
                    error = (
                        InvalidUserError if tuple(kinds) == ("users",) else InvalidReferenceError
                    )
                    raise error(
                        f"{item.given!r} is not {wanted}: it is {item_noun(kind)} "
                        f"(/resolve names /{kind}/{number})"
                    )
                item.urn = f"soundcloud:{kind}:{number}"
                item.secret_token = secret or ref.secret_token
                return item

            return failures.guard(item.given, job)

        resolved = run_all(resolve, inputs, workers)
        kept: list[Input] = []
        seen: set[str] = set()
        for item in resolved:
            if item is not None and item.urn not in seen:
                seen.add(item.urn or "")
                kept.append(item)
        return kept

    # -- batch lookups ---------------------------------------------------------------------
    def lookup(
        self,
        kind: str,
        inputs: list[Input],
        options: FetchOptions,
        workers: int,
        failures: Failures,
    ) -> list[Input]:
        """Fetch each input's object; those SoundCloud does not have fail (or are skipped).

        Users and tracks come in batches (``/users?urns=``, chunks of ``batch_size``); a
        chunk that comes back short is completed by single lookups, so that no item is lost
        to an undocumented batch limit. Secret tracks and playlists are fetched one by one
        (there is no batch endpoint for playlists), concurrently.
        """
        api = self.client.api
        size = self.client.settings.batch_size
        found: dict[str, dict[str, Any]] = {}
        batched = [i for i in inputs if kind in ("users", "tracks") and not i.secret_token]
        chunks = [batched[n : n + size] for n in range(0, len(batched), size)]

        answered: dict[str, datetime] = {}

        def batch(chunk: list[Input]) -> tuple[list[dict[str, Any]], datetime]:
            when: list[datetime] = []
            return api.batch(kind, [i.urn or "" for i in chunk], options, when), when[0]

        for items, when in run_all(batch, chunks, workers) if chunks else []:
            for urn, obj in zip(item_keys(items, kind), items, strict=True):
                if urn is not None:
                    found[urn] = obj
                    answered[urn] = when
        singles = [i for i in inputs if i.urn not in found]

        def single(item: Input) -> Input | None:
            def job() -> Input:
                params: dict[str, Any] = {}
                if item.secret_token:
                    params["secret_token"] = item.secret_token
                if kind == "playlists":
                    params["show_tracks"] = "false"
                when: list[datetime] = []
                try:
                    item.found = api.item(kind, item.urn or "", options, params, when)
                    item.observed_at = when[0]
                except UserNotFoundError:
                    raise UserNotFoundError(item.shown) from None
                except NotFoundError:
                    raise NotFoundError(item.given, kind) from None
                return item

            return failures.guard(item.given, job)

        for each in inputs:
            if each.urn in found:
                each.found = found[each.urn]
                each.observed_at = answered[each.urn]
        looked_up = {id(i) for i in run_all(single, singles, workers) if i is not None}
        return [i for i in inputs if i.urn in found or id(i) in looked_up]

    # -- walking ---------------------------------------------------------------------------
    def walk(
        self,
        collection: Collection,
        item: Input,
        *,
        limit: int | None,
        options: FetchOptions,
        params: dict[str, Any],
        on_page: Callable[[int], None],
        raw: bool,
        observe: bool = False,
    ) -> tuple[pa.Table | list[dict[str, Any]], dict[str, Any]]:
        """One input's whole list (at most ``limit``), with its owner and position columns."""
        pages = self.client.pages
        urn = item.urn or ""
        query: dict[str, Any] = {}
        if collection.paging in ("cursor", "offset"):
            query["linked_partitioning"] = "true"
        if collection.paging != "array":
            query["limit"] = PAGE_SIZE
        access = params.get("access", ALL_ACCESS) if collection.access else None
        if access:
            query["access"] = access
        query.update(collection.params)
        query.update({k: v for k, v in params.items() if k != "access" and v is not None})
        first = self.client.api.list_url(collection.url_path(urn), query)
        state = WalkState()
        confirmed = item.found is not None  # looked up: it exists
        check = None if confirmed else pages.owner_check(collection.owner)
        if item.found is None and collection.owner == "users":
            item.found = self.client.api.cached_user(urn)  # the count, if known (no request)
        if raw:
            dict_pages = pages.list_dicts(
                first, urn, collection.item, limit, options, state=state, check=check
            )
            rows = [r for page in counted(dict_pages, _Bar(on_page), len) for r in page]
            rows = self._raw_extras(collection, urn, rows)
            return rows, self._info(collection, item, len(rows), state)
        build = _builder(collection, params)
        try:
            tables = list(
                counted(
                    pages.list_tables(
                        first, urn, collection.item, limit, options, state=state, check=check,
                        build=build, observe=observe,
                    ),
                    _Bar(on_page),
                    _rows,
                )
            )  # fmt: skip
        except NotFoundError:
            if not confirmed:
                raise
            # the owner exists (looked up): a 404 for its list means no list (related)
            tables = []
            state.note = "SoundCloud answered 404 for this list although the owner exists"
        table = concat_pages(collection.item, tables, distinct=True)
        if observe and "observed_at" not in table.column_names:  # no page: no row to date
            observed = EXTRA_COLUMNS["observed_at"]
            field = pa.field(observed.name, observed.arrow_type)
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
        table = self._extras(collection, urn, table)
        return table, self._info(collection, item, table.num_rows, state)

    @staticmethod
    def _extras(collection: Collection, urn: str, table: pa.Table) -> pa.Table:
        n = table.num_rows
        column = collection.owner_column
        if column is not None:
            owner = pa.array([urn] * n, pa.large_string())
            if column in table.column_names:  # the item names it already: fill the gaps only
                given = table.column(column).combine_chunks().cast(pa.large_string())
                table = table.set_column(
                    table.column_names.index(column),
                    table.field(column),
                    pa.compute.coalesce(given, owner).cast(table.field(column).type),
                )
            else:
                table = table.append_column(
                    pa.field(column, EXTRA_COLUMNS[column].arrow_type),
                    owner.cast(EXTRA_COLUMNS[column].arrow_type),
                )
        if collection.position_column is not None:
            column = collection.position_column
            table = table.append_column(
                pa.field(column, pa.int64()), pa.array(range(n), pa.int64())
            )
        return table

    @staticmethod
    def _raw_extras(
        collection: Collection, urn: str, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if collection.owner_column is None and collection.position_column is None:
            return rows  # the API's dicts, untouched
        out = []
        for position, row in enumerate(rows):
            row = dict(row)
            if collection.owner_column is not None:
                row.setdefault(collection.owner_column, urn)
            if collection.position_column is not None:
                row[collection.position_column] = position
            out.append(row)
        return out

    @staticmethod
    def _info(collection: Collection, item: Input, got: int, state: WalkState) -> dict[str, Any]:
        expected = None
        if item.found is not None and collection.count_field is not None:
            value = item.found.get(collection.count_field)
            expected = value if isinstance(value, int) and not isinstance(value, bool) else None
        note = collection.note
        if collection.cap is not None and expected is not None and expected > collection.cap:
            note = f"{note}; capped by SoundCloud at {collection.cap:,}"
        if state.note:
            note = f"{state.note}; {note}"
        return {
            "input": item.given,
            "urn": item.urn,
            "collection": collection.name,
            "expected": expected,
            "got": got,
            "complete": not state.more,
            "capped": state.more,
            "pages": state.pages,
            "note": note,
        }

    # -- one call --------------------------------------------------------------------------
    def frame(
        self,
        pick: Callable[[Input], Collection],
        values: object,
        kinds: Sequence[str],
        name: str,
        *,
        limit: int | None = None,
        max_per_user: int | None = None,
        errors: object = "raise",
        workers: int = 8,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
        raw: bool = False,
        params: dict[str, Any] | None = None,
        observe: bool = False,
        backend: str = "pandas",
    ) -> Any:
        """The rows of ``pick(input)``'s list for every input, in the order given.

        ``kinds`` are what an input may name (``("users",)``; ``("tracks", "playlists")`` for
        reposters); ``name`` is the parameter, for messages. ``observe`` adds ``observed_at``
        (when SoundCloud answered with each row); ``backend`` is ``"pandas"`` (a DataFrame),
        ``"arrow"`` (a ``pyarrow.Table``) or ``"polars"``.
        """
        backend = check_backend(backend)
        if raw and (observe or backend != "pandas"):
            raise ArgumentError(
                f"raw=True gives the API's dicts: it takes neither observe={observe!r} nor "
                f"backend={backend!r}"
            )
        limit = check_count("limit", limit, minimum=1, allow_none=True)
        cap = check_count("max_per_user", max_per_user, minimum=1, allow_none=True)
        if cap is not None:
            limit = cap if limit is None else min(limit, cap)
        failures = Failures(check_errors(errors))
        workers = check_workers(workers)
        options = self.client._options(offline, refresh)
        fetched_at = datetime.now(UTC)
        inputs = self.parse(values, kinds, name, failures)
        inputs = self.resolve(inputs, kinds, options, workers, failures)
        collections = {id(i): pick(i) for i in inputs}  # reposters: the kind the URN names
        checked = [i for i in inputs if collections[id(i)].check_owner]
        if checked:
            owners = {i.urn: collections[id(i)].owner for i in checked}
            for kind in sorted(set(owners.values())):
                group = [i for i in checked if owners[i.urn] == kind]
                kept = {id(i) for i in self.lookup(kind, group, options, workers, failures)}
                inputs = [i for i in inputs if i not in group or id(i) in kept]
        show = progress_enabled(progress)
        if show:  # the bar's total: the owners' counts (one batched lookup, then cached)
            for kind in sorted({collections[id(i)].owner for i in inputs}):
                group = [i for i in inputs if i.found is None and collections[id(i)].owner == kind]
                if group:
                    self.lookup(kind, group, options, workers, Failures("skip"))
        total = self._total(inputs, collections, limit) if show else None
        bar = progress_bar(total, collections[id(inputs[0])].name if inputs else name, show)
        lock = threading.Lock()

        def on_page(n: int) -> None:
            with lock:
                bar.update(n)

        def one(item: Input) -> tuple[Any, dict[str, Any]] | None:
            collection = collections[id(item)]

            def job() -> tuple[Any, dict[str, Any]]:
                return self.walk(
                    collection, item, limit=limit, options=options, params=params or {},
                    on_page=on_page, raw=raw, observe=observe,
                )  # fmt: skip

            return failures.guard(item.given, job)

        try:
            results = [r for r in run_all(one, inputs, workers) if r is not None]
        finally:
            bar.close()
        first = collections[id(inputs[0])] if inputs else pick(_probe(kinds))
        attrs = {
            "collection": first.name,
            "fetched_at": fetched_at.isoformat(),
            "inputs": [info for _, info in results],
            "failures": failures.items,
        }
        if raw:
            return [row for rows, _ in results for row in rows]
        tables = [table for table, _ in results]
        if tables:
            owned = first.owner_column is not None or len(tables) == 1
            table = (
                tables[0]
                if len(tables) == 1
                else concat_pages(first.item, tables, dedupe=not owned)
            )
        else:
            columns = frame_columns(first.item, [first], observe)
            table = pa.schema([pa.field(c.name, c.arrow_type) for c in columns]).empty_table()
        return deliver(table, first.item, attrs, backend, fetched_at)

    @staticmethod
    def _total(
        inputs: list[Input], collections: dict[int, Collection], limit: int | None
    ) -> int | None:
        total = 0
        for item in inputs:
            field = collections[id(item)].count_field
            value = item.found.get(field) if item.found is not None and field else None
            if not isinstance(value, int):
                return None
            total += value if limit is None else min(value, limit)
        return total


Backend = Literal["pandas", "arrow", "polars"]
BACKENDS = ("pandas", "arrow", "polars")


def check_backend(backend: object) -> Backend:
    """``"pandas"``, ``"arrow"`` or ``"polars"``; anything else raises naming the value.

    ``"polars"`` needs polars installed (the ``polars`` extra); checked before any request.

    Examples
    --------
    >>> check_backend("arrow")
    'arrow'
    >>> check_backend("spark")
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: backend must be "pandas", "arrow" or "polars", got 'spark'
    """
    chosen = cast("Backend", check_choice("backend", backend, BACKENDS))
    if chosen == "polars" and importlib.util.find_spec("polars") is None:
        raise ImportError("backend='polars' needs polars: pip install 'scdata[polars]'")
    return chosen


def deliver(
    table: pa.Table, kind: str, attrs: dict[str, Any], backend: str, fetched_at: datetime
) -> Any:
    """The typed ``table`` as the caller asked: a pandas frame, the Arrow table, or polars.

    pandas keeps ``attrs`` in ``df.attrs["scdata"]`` (and ``df.attrs["fetched_at"]``); Arrow
    and polars get them as JSON in the schema metadata (``b"scdata"``) of the Arrow table,
    which ``pl.from_arrow`` drops: ask for ``backend="arrow"`` to keep them. Neither of the
    two goes through pandas.
    """
    if backend == "pandas":  # a table of no declared schema (kind "") keeps its Arrow types
        frame = table_to_frame(table, SCHEMAS.get(kind, ()))
        frame.attrs["fetched_at"] = fetched_at.isoformat()
        frame.attrs["scdata"] = attrs
        return frame
    warn_parse_issues(table, kind)
    metadata = dict(table.schema.metadata or {})
    metadata.pop(b"scdata_parse_issues", None)
    metadata[b"scdata"] = json.dumps({**attrs, "fetched_at": fetched_at.isoformat()}).encode()
    table = table.replace_schema_metadata(metadata)
    if backend == "arrow":
        return table
    import polars as pl

    return pl.from_arrow(table)


class _Bar:
    """Adapts a page callback to the ``update(n)`` of a progress bar."""

    def __init__(self, on_page: Callable[[int], None]) -> None:
        self.update = on_page


def _rows(table: pa.Table) -> int:
    return int(table.num_rows)


def frame_columns(
    kind: str, collections: Sequence[Collection], observe: bool = False
) -> tuple[Column, ...]:
    """The columns of a frame of ``collections``, in the order the walk builds them.

    Examples
    --------
    >>> from scdata._resources import COLLECTIONS
    >>> [c.name for c in frame_columns("users", [COLLECTIONS["followers"]])][-2:]
    ['followed_urn', 'position']
    """
    names = [c.name for c in SCHEMAS[kind]]
    for collection in collections:
        added = [*collection.item_columns, "observed_at" if observe else None,
                 collection.owner_column, collection.position_column]  # fmt: skip
        names += [n for n in added if n is not None and n not in names]
    declared = {c.name: c for c in SCHEMAS[kind]}
    return tuple(declared.get(n) or EXTRA_COLUMNS[n] for n in names)


def _tracks_missing(items: list[Any], params: dict[str, Any]) -> pa.Array:
    """``track_count`` minus the tracks a playlist lists; missing unless they were asked for.

    With ``show_tracks=false`` SoundCloud sends an empty ``tracks`` list, which says nothing.
    """
    if params.get("show_tracks") == "false":
        return pa.nulls(len(items), pa.int64())
    values: list[int | None] = []
    for item in items:
        listed = item.get("tracks") if isinstance(item, dict) else None
        count = item.get("track_count") if isinstance(item, dict) else None
        ok = isinstance(listed, list) and isinstance(count, int) and not isinstance(count, bool)
        values.append(count - len(listed) if ok else None)  # type: ignore[operator, arg-type]
    return pa.array(values, pa.int64())


_ITEM_COLUMNS: dict[str, Callable[[list[Any], dict[str, Any]], pa.Array]] = {
    "tracks_missing": _tracks_missing
}


def _builder(
    collection: Collection, params: dict[str, Any]
) -> Callable[[list[Any]], pa.Table] | None:
    """How a page of ``collection`` becomes a table (``None``: its item schema alone)."""
    if not collection.item_columns:
        return None

    def build(items: list[Any]) -> pa.Table:
        kept = [i for i in items if isinstance(i, dict)]
        table = page_table(collection.item, kept)
        keys = item_keys(kept, collection.item)
        if len(set(keys)) != len(keys) or table.num_rows != len(kept):
            firsts = {k: n for n, k in reversed(list(enumerate(keys)))}
            kept = [kept[n] for n in sorted(firsts.values())]  # as page_table dropped them
        for name in collection.item_columns:
            field = pa.field(name, EXTRA_COLUMNS[name].arrow_type)
            table = table.append_column(field, _ITEM_COLUMNS[name](kept, params).cast(field.type))
        return table

    return build


def _probe(kinds: Sequence[str]) -> Input:
    """A stand-in input, to ask ``pick`` what a call that kept no input would have read."""
    return Input("", ItemRef(kinds[0], item_id=1), urn=f"soundcloud:{kinds[0]}:1")
