"""Search as a dataset builder: tracks, users and playlists by query, with their coverage stated.

SoundCloud's search (API-NOTES-2 §2.10) pages by an ``offset`` inside ``next_href``, serves
nothing past a depth (an empty page at ``offset=1000`` that still links on, #505), returns
empty pages mid-way (private items take slots, §1.9) and ranks tag searches by popularity. So:

- **Walking** follows ``next_href`` verbatim (:meth:`SoundCloudAPI.walk`): an empty page that
  links on does not end it, :data:`MAX_EMPTY_PAGES` in a row do, and a ``next_href`` at or past
  the depth (setting ``SCDATA_SEARCH_DEPTH``, default 1000) ends it as *capped*: the results
  beyond are unreachable.
- **Windowing** (``window="30D"`` with ``created_at``) cuts the date range into windows. A
  window whose first page links on is probed once at the last page the depth allows
  (``offset = depth - 200``): if that page still links on, the window holds more than the API
  serves and is split in two, recursively, down to :data:`MIN_WINDOW`; else the walk goes on
  and the probed page is used as it comes. Results are de-duplicated by ``urn``; windows run
  concurrently within the client's shared rate limit.
- **Coverage**: ``df.attrs["scdata"]["coverage"]`` says what was searched and how complete it
  is, ending in a one-line ``verdict``.

The cost of a windowed search that recovers all of its N results is at most ``ceil(N/200)``
pages, plus one probe per window split, plus one final page per window searched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
import numbers
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa

from ._checks import check_access, check_count
from ._collect import check_backend, check_errors, deliver
from ._fanout import DEFAULT_WORKERS, run_all
from ._progress import progress_bar, progress_enabled
from .config import Settings
from .errors import APIError, ArgumentError, SoundCloudError
from .frames.convert import page_table
from .frames.schema import EXTRA_COLUMNS
from .http.endpoints import (
    PAGE_SIZE,
    FetchOptions,
    Page,
    SoundCloudAPI,
    item_key,
    item_keys,
    keep_dicts,
)

log = logging.getLogger("scdata")

#: The shortest window a capped window is split into; a window this short that still holds
#: more than the depth is reported as capped.
MIN_WINDOW = pd.Timedelta(hours=1)
#: Consecutive empty pages (each linking on) after which a walk stops. Below the depth of
#: 1000 there are only 5 pages of 200, so this matters only with a raised ``search_depth``.
MAX_EMPTY_PAGES = 10
#: The start of an open ``created_at`` range when windows need one (before SoundCloud's launch).
EARLIEST = pd.Timestamp("2007-01-01", tz="UTC")
KINDS = ("tracks", "users", "playlists")
API_TIME = "%Y-%m-%d %H:%M:%S"
_DATE_ONLY = 10  # len("2025-12-31"): an end given as a date means the end of that day

Span = tuple[pd.Timestamp, pd.Timestamp]


# ---------------------------------------------------------------------------- the request
@dataclasses.dataclass(frozen=True)
class SearchPlan:
    """A checked search: the API parameters, the date range and the windows to walk."""

    kind: str
    params: dict[str, str]
    created: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)
    window: pd.Timedelta | None = None
    window_text: str | None = None
    max_results: int | None = None
    errors: str = "raise"

    @property
    def query(self) -> str:
        """The canonical query: the criteria sent, sorted, readable (the ``search_query``).

        Examples
        --------
        >>> plan_search("tracks", tags=["lofi", "chill"], bpm=(70, 90)).query
        'access=playable,preview,blocked&bpm[from]=70&bpm[to]=90&tags=lofi,chill'
        """
        return "&".join(f"{key}={value}" for key, value in sorted(self.params.items()))

    def spans(self) -> list[Span | None]:
        """The windows to search first: the cut range, or one ``None`` (no windows)."""
        if self.window is None:
            return [None]
        start = self.created[0] if self.created[0] is not None else EARLIEST
        end = self.created[1] if self.created[1] is not None else _now()
        spans: list[Span | None] = []
        second = pd.Timedelta(seconds=1)
        while start <= end:
            stop = min(start + self.window - second, end)
            spans.append((start, stop))
            start = stop + second
        return spans


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").floor("s")


def plan_search(
    kind: str,
    q: object = None,
    *,
    genres: object = None,
    tags: object = None,
    bpm: object = None,
    duration: object = None,
    created_at: object = None,
    access: object = "all",
    window: object = None,
    max_results: object = None,
    errors: object = "raise",
    show_tracks: object = None,
) -> SearchPlan:
    """Check every argument of a search; :class:`ArgumentError` names the first bad one.

    Nothing is sent: every check happens here, before the first request.

    Examples
    --------
    >>> plan = plan_search("tracks", tags="lofi", created_at=("2025-01-01", "2025-01-31"),
    ...                    window="7D")
    >>> plan.params["created_at[to]"], len(plan.spans())
    ('2025-01-31 23:59:59', 5)
    >>> plan_search("tracks", bpm=(120, 80))
    Traceback (most recent call last):
    ...
    scdata.errors.ArgumentError: bpm must be (low, high) with low <= high, got (120, 80)
    """
    params: dict[str, str] = {}
    text = _query(q, required=kind != "tracks")
    if text is not None:
        params["q"] = text
    start = end = None
    if kind == "tracks":
        for name, value in (("genres", genres), ("tags", tags)):
            listed = _comma_list(name, value)
            if listed:
                params[name] = listed
        low, high = _range("bpm", bpm, _bpm_value)
        params.update(_bounds("bpm", low, high, _number_text))
        low, high = _range("duration", duration, _milliseconds)
        params.update(_bounds("duration", low, high, str))
        start, end = _created_range(created_at)
        params.update(_bounds("created_at", start, end, lambda t: t.strftime(API_TIME)))
        if not params:
            raise ArgumentError(
                "search_tracks needs at least one criterion: q, genres, tags, bpm, duration "
                "or created_at (an empty search would list SoundCloud at random)"
            )
    if kind in ("tracks", "playlists"):
        levels = check_access(access)
        if levels is not None:
            params["access"] = levels
    if kind == "playlists" and show_tracks is not None:
        if not isinstance(show_tracks, bool | np.bool_):
            raise ArgumentError(f"show_tracks must be True or False, got {show_tracks!r}")
        if show_tracks:
            params["show_tracks"] = "true"
    span, text_window = _window(window, start, end, created_at)
    limit = check_count("max_results", max_results, minimum=1, allow_none=True)
    return SearchPlan(kind, params, (start, end), span, text_window, limit, check_errors(errors))


def _query(q: object, *, required: bool) -> str | None:
    if q is None and not required:
        return None
    if not isinstance(q, str) or not q.strip():
        raise ArgumentError(f"q must be a non-empty string, got {q!r}")
    return " ".join(q.split())


def _comma_list(name: str, value: object) -> str | None:
    if value is None:
        return None
    parts: list[object] = list(value.split(",")) if isinstance(value, str) else []
    if not isinstance(value, str):
        if isinstance(value, bytes | dict) or not isinstance(value, Iterable):
            raise ArgumentError(f"{name} must be a string or a list of strings, got {value!r}")
        parts = list(value)
    words = []
    for part in parts:
        if not isinstance(part, str) or ("," in part and not isinstance(value, str)):
            raise ArgumentError(f"{name} must be a string or a list of strings, got {value!r}")
        if part.strip():
            words.append(" ".join(part.split()))
    if not words:
        raise ArgumentError(f"{name} names nothing: got {value!r}")
    return ",".join(words)


def _pair(name: str, value: object) -> tuple[object, object]:
    if isinstance(value, str | bytes | dict) or not isinstance(value, Sequence) or len(value) != 2:
        raise ArgumentError(
            f"{name} must be a pair (low, high); None leaves an end open, got {value!r}"
        )
    return value[0], value[1]


def _range(
    name: str, value: object, read: Callable[[str, object, object], float]
) -> tuple[Any, Any]:
    if value is None:
        return None, None
    low, high = (read(name, end, value) if end is not None else None for end in _pair(name, value))
    if low is not None and high is not None and low > high:
        raise ArgumentError(f"{name} must be (low, high) with low <= high, got {value!r}")
    return low, high


def _bpm_value(name: str, end: object, whole: object) -> float:
    if isinstance(end, bool | np.bool_) or not isinstance(end, numbers.Real):
        raise ArgumentError(f"{name} must hold numbers, got {whole!r}")
    number = float(end)
    if not math.isfinite(number) or number < 0:
        raise ArgumentError(f"{name} must hold finite numbers >= 0, got {whole!r}")
    return number


def _milliseconds(name: str, end: object, whole: object) -> float:
    """A duration end in seconds (a number) or a ``pd.Timedelta``/``timedelta``, as ms."""
    if isinstance(end, dt.timedelta | np.timedelta64):
        seconds = pd.Timedelta(end).total_seconds()
    elif isinstance(end, numbers.Real) and not isinstance(end, bool | np.bool_):
        seconds = float(end)
    else:
        raise ArgumentError(f"{name} must hold seconds or pd.Timedelta values, got {whole!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ArgumentError(f"{name} must not be negative (nor infinite), got {whole!r}")
    return round(seconds * 1000)


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _bounds(name: str, low: Any, high: Any, text: Callable[[Any], str]) -> dict[str, str]:
    found = {}
    if low is not None:
        found[f"{name}[from]"] = text(low)
    if high is not None:
        found[f"{name}[to]"] = text(high)
    return found


def _timestamp(end: object, whole: object, *, is_end: bool) -> pd.Timestamp | None:
    if end is None:
        return None
    try:
        stamp = pd.Timestamp(end)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ArgumentError(
            f"created_at must be (start, end) of dates pd.Timestamp reads, got {whole!r}"
        ) from None
    if pd.isna(stamp):
        raise ArgumentError(f"created_at must be (start, end) of dates, got {whole!r}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    date_only = (isinstance(end, str) and len(end.strip()) == _DATE_ONLY) or (type(end) is dt.date)
    if is_end and date_only:  # "2025-12-31" as an end: the whole day
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return stamp.floor("s")


def _created_range(value: object) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if value is None:
        return None, None
    low, high = _pair("created_at", value)
    start = _timestamp(low, value, is_end=False)
    end = _timestamp(high, value, is_end=True)
    if start is not None and end is not None and start > end:
        raise ArgumentError(f"created_at starts after it ends: {value!r}")
    return start, end


def _window(
    window: object, start: pd.Timestamp | None, end: pd.Timestamp | None, created_at: object
) -> tuple[pd.Timedelta | None, str | None]:
    if window is None:
        return None, None
    if start is None and end is None:
        raise ArgumentError(
            f"window={window!r} needs a created_at range to cut (created_at=(start, end))"
        )
    try:
        if isinstance(window, dt.timedelta | np.timedelta64):
            span = pd.Timedelta(window)
        elif isinstance(window, str):
            offset: Any = pd.tseries.frequencies.to_offset(window)
            span = pd.Timedelta(offset)  # ValueError for a month, a week, business days
        else:
            raise TypeError(window)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"window must be a fixed span as a pandas offset alias ('30D', '7D', '12h'), "
            f"got {window!r}"
        ) from None
    if span < MIN_WINDOW:
        raise ArgumentError(f"window must be at least {MIN_WINDOW}, got {window!r}")
    return span, str(window)


# ---------------------------------------------------------------------------- one walk
class _Capped(Exception):
    """A window holds more than the depth allows (raised inside a walk to end it)."""


@dataclasses.dataclass
class _Walk:
    """What one walk (one window, or the whole search) found."""

    span: Span | None
    items: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    pages: int = 0
    requests: int = 0
    empty_pages: int = 0
    capped: bool = False
    split: bool = False
    stopped_empty: bool = False
    limited: bool = False
    more: bool = False  # the last page linked on
    error: SoundCloudError | None = None


def _offset(url: str | None) -> int | None:
    if not url:
        return None
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "offset":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(offset) if k == "offset" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class _Searcher:
    """Runs one planned search for a client: windows, probes, splits, coverage."""

    def __init__(
        self, api: SoundCloudAPI, settings: Settings, plan: SearchPlan, options: FetchOptions,
        bar: Any,
    ) -> None:  # fmt: skip
        self.api, self.plan, self.options, self.bar = api, plan, options, bar
        self.depth = settings.search_depth
        self.found = 0  # rows so far, all windows (max_results)
        self.lock = threading.Lock()

    def first_url(self, span: Span | None) -> str:
        params = dict(self.plan.params)
        if span is not None:
            params["created_at[from]"] = span[0].strftime(API_TIME)
            params["created_at[to]"] = span[1].strftime(API_TIME)
        params.update(linked_partitioning="true", limit=str(PAGE_SIZE))
        return self.api.list_url(f"/{self.plan.kind}", dict(sorted(params.items())))

    def page(self, url: str, walk: _Walk) -> Page[list[dict[str, Any]]]:
        response = self.api.get(url, options=self.options)
        body = self.api.parse(response)
        items = body.get("collection") if isinstance(body, dict) else None
        if not isinstance(items, list):
            self.api.forget(url)
            raise APIError("a search page without a collection list", status=200,
                           url=urlsplit(url).path, body=response.text)  # fmt: skip
        href = body.get("next_href")
        walk.pages += 1
        walk.requests += not getattr(response, "from_cache", False)
        walk.empty_pages += not items
        self.bar.update(len(items))
        return Page(
            items,
            item_keys(items, self.plan.kind),
            href if isinstance(href, str) and href else None,
            response.url,
            discard=lambda: self.api.forget(url),
            fetched=not getattr(response, "from_cache", False),
        )

    def walk(self, span: Span | None, splittable: bool) -> _Walk:
        """Walk one window to its end, its depth, or (``splittable``) a probe that says split."""
        walk = _Walk(span)
        probed: dict[int, Page[list[dict[str, Any]]]] = {}
        empty_run = 0
        limit = self.plan.max_results

        def fetch(url: str, number: int) -> Page[list[dict[str, Any]]]:
            nonlocal empty_run
            offset = _offset(url)
            page = probed.pop(offset) if offset in probed else self.page(url, walk)
            walk.more = page.next_href is not None
            following = _offset(page.next_href)
            if number == 1 and splittable and page.next_href and following is not None:
                at = self.depth - PAGE_SIZE
                if at > following:  # one request says whether the window is too big
                    probe = self.page(_with_offset(page.next_href, at), walk)
                    if probe.next_href:
                        raise _Capped
                    probed[at] = probe
            if page.next_href and following is not None and following >= self.depth:
                if splittable:
                    raise _Capped
                walk.capped = True
                return dataclasses.replace(page, next_href=None)
            empty_run = 0 if page.items else empty_run + 1
            if page.next_href and empty_run >= MAX_EMPTY_PAGES:
                walk.stopped_empty = True
                return dataclasses.replace(page, next_href=None)
            if page.next_href and limit is not None:
                with self.lock:
                    if self.found >= limit:
                        walk.limited = True
                        return dataclasses.replace(page, next_href=None)
            return page

        pages = self.api.walk(self.first_url(span), fetch, keep_dicts, max_idle=MAX_EMPTY_PAGES + 1)
        try:
            for items in pages:
                walk.items.extend(items)
                with self.lock:
                    self.found += len(items)
                    if limit is not None and self.found >= limit:
                        walk.limited = self.found > limit or walk.more
                        break
        except _Capped:
            walk.split = True
        return walk

    def run(self) -> tuple[list[_Walk], int]:
        """Every window, split as needed; the final walks in date order, and the splits."""
        pending = self.plan.spans()
        finals: list[_Walk] = []
        splits = 0
        while pending:
            walks = run_all(self._job, pending, DEFAULT_WORKERS)
            pending = []
            for walk in walks:
                if walk.split and walk.span is not None:
                    splits += 1
                    pending.extend(_halves(walk.span))
                    finals.append(dataclasses.replace(walk, items=[]))  # searched, then split
                else:
                    finals.append(walk)
        return finals, splits

    def _job(self, span: Span | None) -> _Walk:
        splittable = span is not None and span[1] - span[0] >= 2 * MIN_WINDOW
        try:
            return self.walk(span, splittable)
        except SoundCloudError as exc:
            if self.plan.errors == "raise":
                raise
            return _Walk(span, error=exc)


def _halves(span: Span) -> list[Span]:
    start, end = span
    middle = (start + (end - start) / 2).floor("s")
    return [(start, middle), (middle + pd.Timedelta(seconds=1), end)]


# ---------------------------------------------------------------------------- the result
def _span_text(span: Span | None, plan: SearchPlan) -> str:
    start, end = span if span is not None else plan.created
    if start is None and end is None:
        return "all dates"
    left = start.strftime(API_TIME) if start is not None else "…"
    right = end.strftime(API_TIME) if end is not None else "now"
    return f"{left} … {right}"


def coverage_of(
    plan: SearchPlan, walks: list[_Walk], splits: int, rows: int, cut: bool, depth: int,
    outside: int,
) -> dict[str, Any]:  # fmt: skip
    """The ``coverage`` record of a search (see the module docstring and ``docs/search.md``)."""
    searched = [w for w in walks if not w.split]
    capped = [w for w in searched if w.capped]
    failed = [w for w in searched if w.error is not None]
    stopped = [w for w in searched if w.stopped_empty]
    complete = not (capped or failed or stopped or cut)
    n_windows = "1 window" if len(searched) == 1 else f"{len(searched)} windows"
    if capped:
        spans = "; ".join(_span_text(w.span, plan) for w in capped[:5])
        more = f" and {len(capped) - 5} more" if len(capped) > 5 else ""
        hint = (
            "pass window= with a created_at range to search it in slices"
            if plan.window is None
            else f"these windows are at the minimum span ({MIN_WINDOW})"
        )
        verdict = (
            f"capped: at least {len(capped)} result{'s' * (len(capped) != 1)} missing in "
            f"{spans}{more}; the API serves nothing past position {depth} "
            f"(SCDATA_SEARCH_DEPTH); {hint}"
        )
    elif failed:
        verdict = f"incomplete: {len(failed)} of {n_windows} failed (errors='skip')"
    elif stopped:
        verdict = f"incomplete: {len(stopped)} walk(s) stopped after {MAX_EMPTY_PAGES} empty pages"
    elif cut:
        verdict = f"cut: max_results={plan.max_results} reached; more results exist"
    else:
        verdict = f"complete for the windows searched ({n_windows}, {rows} results)"
    return {
        "query": plan.query,
        "window": plan.window_text,
        "depth": depth,
        "windows": len(searched),
        "windows_searched": len(walks),
        "windows_split": splits,
        "pages": sum(w.pages for w in walks),
        "requests": sum(w.requests for w in walks),
        "empty_pages": sum(w.empty_pages for w in walks),
        "capped_windows": [
            {"start": _iso(w.span, 0, plan), "end": _iso(w.span, 1, plan), "rows": len(w.items)}
            for w in capped
        ],
        "failed_windows": [
            {
                "start": _iso(w.span, 0, plan),
                "end": _iso(w.span, 1, plan),
                "error": type(w.error).__name__,
                "message": str(w.error),
            }
            for w in failed
        ],
        "stopped_on_empty_pages": len(stopped),
        "max_results_cut": cut,
        "outside_window": outside,
        "rows": rows,
        "complete": complete,
        "verdict": verdict,
    }


def _iso(span: Span | None, end: int, plan: SearchPlan) -> str | None:
    stamp = span[end] if span is not None else plan.created[end]
    return None if stamp is None else stamp.isoformat()


def _created(item: dict[str, Any]) -> pd.Timestamp | None:
    raw = item.get("created_at")
    if not isinstance(raw, str):
        return None
    try:
        return pd.Timestamp(raw.replace("/", "-")).tz_convert("UTC")
    except (ValueError, TypeError):
        return None


def assemble(
    plan: SearchPlan, walks: list[_Walk], splits: int, depth: int, *, raw: bool,
    backend: str = "pandas", fetched_at: dt.datetime | None = None,
) -> Any:  # fmt: skip
    """De-duplicate the windows' items by ``urn``, add the search columns and the coverage."""
    fetched_at = fetched_at or dt.datetime.now(dt.UTC)
    key = functools.partial(item_key, kind=plan.kind)
    seen: set[str] = set()
    kept: list[tuple[dict[str, Any], int, _Walk]] = []
    outside = 0
    for walk in sorted(walks, key=_walk_order):
        rank = 0
        for item in walk.items:
            name = key(item)
            if name is None or name in seen:
                continue
            seen.add(name)
            kept.append((item, rank, walk))  # 0 = first, as every position column
            rank += 1
            if walk.span is not None and plan.kind == "tracks":
                created = _created(item)
                outside += created is not None and not walk.span[0] <= created <= walk.span[1]
    cut = any(w.limited for w in walks) or (
        plan.max_results is not None and len(kept) > plan.max_results
    )
    if plan.max_results is not None:
        kept = kept[: plan.max_results]
    coverage = coverage_of(plan, walks, splits, len(kept), cut, depth, outside)
    if not coverage["complete"]:
        log.info("search %s: %s", plan.kind, coverage["verdict"])
    if raw:
        return [item for item, _, _ in kept]
    table = page_table(plan.kind, [item for item, _, _ in kept])
    by_key = {key(item): (rank, walk) for item, rank, walk in kept}
    found = [by_key.get(urn) for urn in table.column("urn").to_pylist()]
    columns = {
        "search_rank": [f[0] if f else None for f in found],
        "search_query": [plan.query] * len(found),
        "window_start": [_stamp(_window_end(f[1] if f else None, 0, plan)) for f in found],
        "window_end": [_stamp(_window_end(f[1] if f else None, 1, plan)) for f in found],
    }
    for name, values in columns.items():
        field = pa.field(name, EXTRA_COLUMNS[name].arrow_type)
        table = table.append_column(field, pa.array(values, field.type))
    attrs = {
        "collection": f"search_{plan.kind}",
        "query": plan.query,
        "coverage": coverage,
        "failures": coverage["failed_windows"],
    }
    return deliver(table, plan.kind, attrs, backend, fetched_at)


def _stamp(value: pd.Timestamp | None) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else value.to_pydatetime()


def _walk_order(walk: _Walk) -> int:
    return 0 if walk.span is None else int(walk.span[0].value)


def _window_end(walk: _Walk | None, end: int, plan: SearchPlan) -> pd.Timestamp | None:
    if walk is not None and walk.span is not None:
        return walk.span[end]
    return plan.created[end]


# ---------------------------------------------------------------------------- the methods
class ClientLike(Protocol):
    """What a search needs of a client: its API calls, settings and cache switches."""

    @property
    def api(self) -> SoundCloudAPI: ...

    @property
    def settings(self) -> Settings: ...

    def _options(self, offline: bool | None, refresh: bool | None) -> FetchOptions: ...


def run_search(
    client: ClientLike, plan: SearchPlan, offline: bool | None, refresh: bool | None,
    progress: bool | None, raw: bool, backend: str = "pandas",
) -> Any:  # fmt: skip
    """Run a checked search with ``client``: every window, then the rows and the coverage."""
    backend = check_backend(backend)
    if raw and backend != "pandas":
        raise ArgumentError(f"raw=True gives the API's dicts, not backend={backend!r}")
    options = client._options(offline, refresh)
    fetched_at = dt.datetime.now(dt.UTC)
    show = progress_enabled(progress)
    bar = progress_bar(None, f"search {plan.kind}", show)
    try:
        walks, splits = _Searcher(client.api, client.settings, plan, options, bar).run()
    finally:
        bar.close()
    return assemble(
        plan, walks, splits, client.settings.search_depth, raw=raw, backend=backend,
        fetched_at=fetched_at,
    )  # fmt: skip


class SearchMixin:
    """``search_tracks``, ``search_users`` and ``search_playlists`` for :class:`scdata.Client`.

    Uses the client's ``api``, ``settings`` and ``_options`` (:class:`ClientLike`).
    """

    @overload
    def search_tracks(
        self: ClientLike, q: str | None = None, *, genres: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None, bpm: tuple[Any, Any] | None = None,
        duration: tuple[Any, Any] | None = None, created_at: tuple[Any, Any] | None = None,
        access: str | Sequence[str] | None = "all", window: str | None = None,
        max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
        refresh: bool | None = None, progress: bool | None = None, raw: Literal[False] = False,
        backend: Literal["pandas"] = "pandas",
    ) -> pd.DataFrame: ...  # fmt: skip

    @overload
    def search_tracks(
        self: ClientLike, q: str | None = None, *, genres: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None, bpm: tuple[Any, Any] | None = None,
        duration: tuple[Any, Any] | None = None, created_at: tuple[Any, Any] | None = None,
        access: str | Sequence[str] | None = "all", window: str | None = None,
        max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
        refresh: bool | None = None, progress: bool | None = None, raw: Literal[True],
    ) -> list[dict[str, Any]]: ...  # fmt: skip

    def search_tracks(
        self: ClientLike, q: str | None = None, *, genres: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None, bpm: tuple[Any, Any] | None = None,
        duration: tuple[Any, Any] | None = None, created_at: tuple[Any, Any] | None = None,
        access: str | Sequence[str] | None = "all", window: str | None = None,
        max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
        refresh: bool | None = None, progress: bool | None = None, raw: bool = False,
        backend: str = "pandas",
    ) -> Any:  # fmt: skip
        """Tracks matching a search, as complete as the API allows, with the coverage stated.

        Search is a ranked sample unless ``df.attrs["scdata"]["coverage"]["complete"]`` is
        true: SoundCloud serves at most ``SCDATA_SEARCH_DEPTH`` (1000) results per query. With
        ``window`` and ``created_at`` the range is searched in slices, each split in two while
        it holds more than that, so every result can be reached.

        Parameters
        ----------
        q : str, optional
            Words to search for (title, uploader, tags).
        genres, tags : str or list of str, optional
            A track matches one of them (a string may be a comma list).
        bpm : (low, high), optional
            Tempo range; ``None`` leaves an end open.
        duration : (low, high), optional
            Length range in seconds or as ``pd.Timedelta`` (sent in milliseconds).
        created_at : (start, end), optional
            Upload-time range, anything ``pd.Timestamp`` reads (naive times are UTC; a date
            alone as the end means the whole day); ``None`` leaves an end open.
        access : str, list or None, default "all"
            As in :meth:`tracks_df`: every track, blocked ones included.
        window : str, optional
            A pandas offset alias (``"30D"``, ``"7D"``, ``"12h"``): search ``created_at`` in
            windows this long (needs ``created_at``).
        max_results : int, optional
            Stop after this many tracks.
        errors : {"raise", "skip"}, default "raise"
            With ``"skip"`` a window that fails is left out and listed in the coverage.
        offline, refresh, progress : bool, optional
            Cache switches and the progress bar.
        raw : bool, default False
            Return the API's track dicts (de-duplicated) instead of a DataFrame.

        Returns
        -------
        pandas.DataFrame
            The tracks columns plus ``search_rank``, ``search_query``, ``window_start``,
            ``window_end``; ``df.attrs["scdata"]["coverage"]`` (windows, pages, empty pages,
            capped windows, ``max_results_cut``, ``complete``, ``verdict``).

        Raises
        ------
        ArgumentError
            A bad argument (named with its value); nothing is sent.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.search_tracks(tags="lofi", created_at=("2025-06-01", "2025-06-30"),
        ...                           window="30D")
        >>> df.attrs["scdata"]["coverage"]["verdict"]  # doctest: +ELLIPSIS
        'complete for the windows searched (1 window, ... results)'
        >>> df.loc[0, "search_rank"], df.loc[0, "window_end"]
        (np.int64(0), Timestamp('2025-06-30 23:59:59+0000', tz='UTC'))
        >>> scdata.search_tracks(tags="lofi", max_results=5).attrs["scdata"]["coverage"]["verdict"]
        'cut: max_results=5 reached; more results exist'
        """
        plan = plan_search(
            "tracks", q, genres=genres, tags=tags, bpm=bpm, duration=duration,
            created_at=created_at, access=access, window=window, max_results=max_results,
            errors=errors,
        )  # fmt: skip
        return run_search(self, plan, offline, refresh, progress, raw, backend)

    def search_users(
        self: ClientLike, q: str, *, max_results: int | None = None, errors: str = "raise",
        offline: bool | None = None, refresh: bool | None = None, progress: bool | None = None,
        raw: bool = False, backend: str = "pandas",
    ) -> Any:  # fmt: skip
        """Users matching ``q`` (ranked; at most ``SCDATA_SEARCH_DEPTH`` of them).

        The users columns plus the search columns and the coverage (see
        :meth:`search_tracks`); the API has no date filter for users, so no windows.

        Examples
        --------
        >>> import scdata
        >>> scdata.search_users("jowy")["permalink"].iloc[0]
        'jowymusic'
        """
        plan = plan_search("users", q, max_results=max_results, errors=errors)
        return run_search(self, plan, offline, refresh, progress, raw, backend)

    def search_playlists(
        self: ClientLike, q: str, *, access: str | Sequence[str] | None = "all",
        show_tracks: bool = False,
        max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
        refresh: bool | None = None, progress: bool | None = None, raw: bool = False,
        backend: str = "pandas",
    ) -> Any:  # fmt: skip
        """Playlists matching ``q`` (ranked; at most ``SCDATA_SEARCH_DEPTH`` of them).

        ``show_tracks=True`` asks for each playlist's tracks too (``track_urns``). The
        search columns and the coverage as in :meth:`search_tracks`.

        Examples
        --------
        >>> import scdata
        >>> df = scdata.search_playlists("summer")
        >>> "search_rank" in df.columns
        True
        """
        plan = plan_search(
            "playlists", q, access=access, show_tracks=show_tracks, max_results=max_results,
            errors=errors,
        )  # fmt: skip
        return run_search(self, plan, offline, refresh, progress, raw, backend)


def _default() -> Any:
    from ._client import default_client  # lazily: _client imports this module

    return default_client()


def search_tracks(
    q: str | None = None, *, genres: str | Sequence[str] | None = None,
    tags: str | Sequence[str] | None = None, bpm: tuple[Any, Any] | None = None,
    duration: tuple[Any, Any] | None = None, created_at: tuple[Any, Any] | None = None,
    access: str | Sequence[str] | None = "all", window: str | None = None,
    max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
    refresh: bool | None = None, progress: bool | None = None, raw: bool = False,
    backend: str = "pandas",
) -> Any:  # fmt: skip
    """:meth:`scdata.Client.search_tracks` with the default client (see its parameters).

    Tracks matching a search, as complete as the API allows, with the coverage stated in
    ``df.attrs["scdata"]["coverage"]`` (see ``docs/search.md``).
    """
    return _default().search_tracks(
        q, genres=genres, tags=tags, bpm=bpm, duration=duration, created_at=created_at,
        access=access, window=window, max_results=max_results, errors=errors, offline=offline,
        refresh=refresh, progress=progress, raw=raw, backend=backend,
    )  # fmt: skip


def search_users(
    q: str, *, max_results: int | None = None, errors: str = "raise",
    offline: bool | None = None, refresh: bool | None = None, progress: bool | None = None,
    raw: bool = False, backend: str = "pandas",
) -> Any:  # fmt: skip
    """:meth:`scdata.Client.search_users` with the default client: users matching ``q``."""
    return _default().search_users(
        q, max_results=max_results, errors=errors, offline=offline, refresh=refresh,
        progress=progress, raw=raw, backend=backend,
    )  # fmt: skip


def search_playlists(
    q: str, *, access: str | Sequence[str] | None = "all", show_tracks: bool = False,
    max_results: int | None = None, errors: str = "raise", offline: bool | None = None,
    refresh: bool | None = None, progress: bool | None = None, raw: bool = False,
    backend: str = "pandas",
) -> Any:  # fmt: skip
    """:meth:`scdata.Client.search_playlists` with the default client: playlists matching ``q``."""
    return _default().search_playlists(
        q, access=access, show_tracks=show_tracks, max_results=max_results, errors=errors,
        offline=offline, refresh=refresh, progress=progress, raw=raw, backend=backend,
    )  # fmt: skip
