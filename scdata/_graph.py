"""Follow graphs: who follows whom around some seed users, as an edge list and a node table.

:meth:`GraphMixin.follow_graph` walks the follow lists breadth first: the seeds' followings
(or followers), then those of every user found, level by level, each level's users walked
concurrently. It costs nothing beyond the lists themselves:

- the seeds are looked up once, in batches (``/users?urns=``, one request per 50; a name or
  URL costs one cached ``/resolve`` first), which gives their rows and their counts;
- every other node's row is the user object the follow pages carry (full users, with their
  counts), so no user is looked up again;
- a user whose count of the list walked is 0 is not asked at all.

:func:`to_networkx` turns the two frames into a ``networkx.DiGraph`` (the ``graph`` extra:
``pip install "scdata[graph]"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ._checks import check_choice, check_count, check_workers
from ._collect import Failures, Input, check_errors
from ._fanout import run_all
from ._lookups import LookupsMixin
from ._progress import progress_bar, progress_enabled
from ._resources import COLLECTIONS
from .errors import ArgumentError
from .frames.convert import concat_pages, table_to_frame
from .frames.schema import SCHEMAS
from .http.refs import ItemRef

if TYPE_CHECKING:
    import networkx

    from ._collect import Collector
    from .http.endpoints import FetchOptions

__all__ = ["DIRECTIONS", "EDGE_COLUMNS", "GraphMixin", "to_networkx"]

#: ``direction`` -> the collection walked from each user
DIRECTIONS = ("followings", "followers")
#: the columns of the edges frame, in order
EDGE_COLUMNS = ("src_urn", "dst_urn", "relation")
RELATION = "follows"
#: users walked at once per round (times ``workers``): ``max_nodes`` is checked between rounds
_ROUND = 2


def _check_direction(direction: object) -> str:
    return check_choice("direction", direction, DIRECTIONS)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Graph:
    """The nodes and edges found so far, in the order found, bounded by ``max_nodes``."""

    def __init__(self, seeds: Sequence[str], direction: str, max_nodes: int) -> None:
        self.depth: dict[str, int] = dict.fromkeys(seeds, 0)  # urn -> level first seen
        self.reversed = direction == "followers"
        self.count_field = COLLECTIONS[direction].count_field or ""
        self.max_nodes = max_nodes
        self.src: list[str] = []
        self.dst: list[str] = []
        self.tables: list[pa.Table] = []  # the new nodes' rows, in the order found
        self.full = False  # a node was turned away

    def add(self, owner: str, table: pa.Table, level: int) -> list[tuple[str, int | None]]:
        """Add ``owner``'s list; return the new nodes (with their counts) to walk next."""
        urns = table.column("urn").to_pylist()
        kept: list[int] = []
        for i, urn in enumerate(urns):
            if urn is None:
                continue
            if urn not in self.depth:
                if len(self.depth) >= self.max_nodes:
                    self.full = True
                    continue  # neither the node nor the edge to it
                self.depth[urn] = level + 1
                kept.append(i)
            src, dst = (urn, owner) if self.reversed else (owner, urn)
            self.src.append(src)
            self.dst.append(dst)
        if not kept:
            return []
        rows = table.take(pa.array(kept, pa.int64()))
        self.tables.append(rows.select([c.name for c in SCHEMAS["users"]]))
        counts = rows.column(self.count_field).to_pylist()
        return [(urns[i], _count(n)) for i, n in zip(kept, counts, strict=True)]


class _Walker:
    """Walks one level's users concurrently, in rounds, into a :class:`_Graph`."""

    def __init__(
        self,
        collector: Collector,
        direction: str,
        cap: int | None,
        options: FetchOptions,
        failures: Failures,
        workers: int,
        show: bool,
    ) -> None:
        self.collector = collector
        self.collection = COLLECTIONS[direction]
        self.direction = direction
        self.cap = cap
        self.options = options
        self.failures = failures
        self.workers = workers
        self.show = show
        self.inputs: list[dict[str, Any]] = []  # what each walk reported, as followings_df

    def level(
        self, graph: _Graph, frontier: list[tuple[str, int | None]], level: int
    ) -> tuple[list[tuple[str, int | None]], dict[str, Any]]:
        """Walk ``frontier`` (users with their counts): the next frontier and a summary."""
        walk = [(urn, n) for urn, n in frontier if n != 0]  # 0: nothing to list, not asked
        edges_before, nodes_before = len(graph.src), len(graph.depth)
        known = all(n is not None for _, n in walk)
        total = sum(n if self.cap is None else min(n, self.cap) for _, n in walk if n is not None)
        bar = progress_bar(total if known else None, f"{self.direction}, depth {level}", self.show)
        walked = 0
        next_frontier: list[tuple[str, int | None]] = []

        def one(item: tuple[str, int | None]) -> tuple[pa.Table, dict[str, Any]] | None:
            urn, n = item
            owner = Input(urn, ItemRef("users", item_id=int(urn.rsplit(":", 1)[1])), urn=urn)
            owner.found = {self.collection.count_field or "": n}  # on a page: it exists

            def job() -> tuple[pa.Table, dict[str, Any]]:
                table, info = self.collector.walk(
                    self.collection, owner, limit=self.cap, options=self.options, params={},
                    on_page=bar.update, raw=False,
                )  # fmt: skip
                assert isinstance(table, pa.Table)
                return table, info

            return self.failures.guard(urn, job)

        try:
            size = self.workers * _ROUND
            for start in range(0, len(walk), size):
                chunk = walk[start : start + size]
                results = run_all(one, chunk, self.workers)
                for (urn, _), result in zip(chunk, results, strict=True):
                    walked += 1
                    if result is not None:
                        table, info = result
                        self.inputs.append({**info, "depth": level})
                        next_frontier += graph.add(urn, table, level)
                if graph.full:
                    break
        finally:
            bar.close()
        summary = {
            "depth": level,
            "users": len(frontier),
            "skipped_empty": len(frontier) - len(walk),
            "walked": walked,
            "edges": len(graph.src) - edges_before,
            "new_nodes": len(graph.depth) - nodes_before,
        }
        return next_frontier, summary


class GraphMixin(LookupsMixin):
    """``follow_graph``; mixed into :class:`scdata.Client`."""

    def follow_graph(
        self,
        seeds: Any,
        depth: int = 1,
        direction: str = "followings",
        max_per_user: int | None = 2000,
        max_nodes: int = 10_000,
        *,
        errors: str = "raise",
        workers: int = 8,
        offline: bool | None = None,
        refresh: bool | None = None,
        progress: bool | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The follow graph around ``seeds``, breadth first: an edge list and its nodes.

        Parameters
        ----------
        seeds : str, int or list of them
            The users to start from (usernames, ids, URNs, profile URLs or short links).
        depth : int, default 1
            Levels to walk: 0 gives the seeds alone, 1 their lists, 2 also the lists of
            every user found at level 1, and so on.
        direction : {"followings", "followers"}, default "followings"
            Walk whom each user follows, or who follows each user. Either way an edge
            ``src_urn -> dst_urn`` means *src follows dst*: with ``"followers"`` the edges
            point at the user walked.
        max_per_user : int or None, default 2000
            At most this many users listed per user walked (SoundCloud lists at most 2,000
            followings anyway); ``None``: all (a star's followers can be 100,000s).
        max_nodes : int, default 10000
            Stop once the graph has this many nodes (seeds included): users past it are
            left out with their edges, the walk stops after the round of users in hand,
            and ``edges.attrs["scdata"]["truncated"]`` says so.
        errors : {"raise", "skip"}, default "raise"
            ``"skip"`` leaves out a seed or a list that fails, listed in
            ``attrs["scdata"]["failures"]``.
        workers, offline, refresh, progress
            As for the collection functions (``followings_df``).

        Returns
        -------
        edges : pandas.DataFrame
            ``src_urn``, ``dst_urn``, ``relation`` (``"follows"``), in the order found (by
            level, then user walked, then position in their list); edges only between the
            nodes kept.
        nodes : pandas.DataFrame
            One row per user in the user schema (``docs/columns.md``), the seeds first (from
            their lookup), then every user found, in the order found (from the follow pages
            themselves: no request per user), and ``depth``: the level it was found at.

        Both frames carry ``attrs["fetched_at"]`` and ``attrs["scdata"]``: the parameters,
        per level the users walked, skipped (count 0) and found, per user walked what
        :func:`followings_df` reports (``expected``, ``got``, ``capped``...), ``truncated``
        and ``complete`` (no list cut by ``max_per_user``, nothing turned away by
        ``max_nodes``).

        Raises
        ------
        ArgumentError
            A bad ``depth`` (not an integer from 0), ``direction``, ``max_per_user`` or
            ``max_nodes`` (from 1): before anything is sent.
        UserNotFoundError, InvalidUserError
            A seed (with ``errors="raise"``).

        Examples
        --------
        >>> import scdata
        >>> edges, nodes = scdata.follow_graph("jowymusic", depth=1, max_per_user=5)
        >>> edges.head(2)[["src_urn", "relation"]]
                             src_urn relation
        0  soundcloud:users:52461337  follows
        1  soundcloud:users:52461337  follows
        >>> len(edges), len(nodes), nodes["depth"].tolist()[:2]
        (5, 6, [0, 1])
        >>> scdata.follow_graph("jowymusic", depth=-1)
        Traceback (most recent call last):
        ...
        scdata.errors.ArgumentError: depth must be an integer from 0 to 1000000, got -1
        """
        depth = check_count("depth", depth, minimum=0)
        direction = _check_direction(direction)
        cap = check_count("max_per_user", max_per_user, minimum=1, allow_none=True)
        max_nodes = check_count("max_nodes", max_nodes, minimum=1)
        workers = check_workers(workers)
        failures = Failures(check_errors(errors))
        options = self._options(offline, refresh)
        count_field = COLLECTIONS[direction].count_field or ""

        found, seed_failures, fetched_at = self._found(
            seeds, ("users",), "seeds", failures.errors, workers, offline, refresh
        )
        failures.items.extend(seed_failures.items)
        seed_frame = self._frame("users", found, seed_failures, fetched_at)
        graph = _Graph([i.urn or "" for i in found[:max_nodes]], direction, max_nodes)
        if len(found) > max_nodes:
            found, seed_frame, graph.full = found[:max_nodes], seed_frame.iloc[:max_nodes], True
        frontier: list[tuple[str, int | None]] = [
            (i.urn or "", _count((i.found or {}).get(count_field))) for i in found
        ]
        walker = _Walker(
            self.collector, direction, cap, options, failures, workers, progress_enabled(progress)
        )
        levels: list[dict[str, Any]] = []
        for level in range(depth):
            if not frontier or graph.full:
                break
            frontier, summary = walker.level(graph, frontier, level)
            levels.append(summary)

        return self._graph_frames(
            graph, seed_frame, fetched_at, failures,
            {
                "collection": direction, "direction": direction, "depth": depth,
                "max_per_user": cap, "max_nodes": max_nodes,
                "seeds": [i.urn for i in found], "levels": levels, "inputs": walker.inputs,
            },
        )  # fmt: skip

    @staticmethod
    def _graph_frames(
        graph: _Graph,
        seed_frame: pd.DataFrame,
        fetched_at: datetime,
        failures: Failures,
        about: dict[str, Any],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        users = SCHEMAS["users"]
        edges = pd.DataFrame(
            {
                "src_urn": pd.array(graph.src, dtype="str"),
                "dst_urn": pd.array(graph.dst, dtype="str"),
                "relation": pd.array([RELATION] * len(graph.src), dtype="str"),
            }
        )
        parts = [seed_frame.reset_index(drop=True)]
        if graph.tables:
            table = concat_pages("users", graph.tables, distinct=True)  # urns are new nodes
            parts.append(table_to_frame(table, users))
        nodes = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
        nodes["depth"] = pd.array([graph.depth[u] for u in nodes["urn"]], dtype="Int64")
        capped = [i["input"] for i in about["inputs"] if i.get("capped")]
        note = []
        if graph.full:
            note.append(
                f"stopped at max_nodes={graph.max_nodes:,}: users past it were left out with "
                "their edges, and the lists of the users after them were not walked"
            )
        if capped:
            lists = "1 list was" if len(capped) == 1 else f"{len(capped):,} lists were"
            note.append(f"{lists} cut at max_per_user={about['max_per_user']:,}")
        attrs = {
            **about,
            "nodes": len(nodes),
            "edges": len(edges),
            "truncated": graph.full,
            "complete": not graph.full and not capped and not failures.items,
            "note": "; ".join(note),
            "failures": failures.items,
        }
        for frame in (edges, nodes):
            frame.attrs.clear()
            frame.attrs["fetched_at"] = fetched_at.isoformat()
            frame.attrs["scdata"] = attrs
        return edges, nodes


def to_networkx(edges: pd.DataFrame, nodes: pd.DataFrame | None = None) -> networkx.DiGraph:
    """A ``networkx.DiGraph`` of :meth:`follow_graph`'s frames (the ``graph`` extra).

    Nodes are keyed by URN and carry every column of ``nodes`` as attributes (missing values
    as ``None``); each edge carries its other columns (``relation``). Users named by an edge
    but absent from ``nodes`` are added bare. ``graph.graph["scdata"]`` is ``edges.attrs``'s.

    Parameters
    ----------
    edges : pandas.DataFrame
        With ``src_urn`` and ``dst_urn`` (an edge means *src follows dst*).
    nodes : pandas.DataFrame, optional
        With ``urn``.

    Raises
    ------
    ImportError
        networkx is not installed: ``pip install "scdata[graph]"``.

    Examples
    --------
    >>> import scdata
    >>> edges, nodes = scdata.follow_graph("jowymusic", max_per_user=5)
    >>> g = scdata.to_networkx(edges, nodes)
    >>> g.number_of_nodes(), g.out_degree("soundcloud:users:52461337")
    (6, 5)
    >>> g.nodes["soundcloud:users:52461337"]["permalink"]
    'jowymusic'
    """
    try:
        import networkx as nx
    except ImportError as exc:
        raise ImportError(
            "scdata.to_networkx needs networkx, which the graph extra installs: pip install "
            '"scdata[graph]"'
        ) from exc
    for column in ("src_urn", "dst_urn"):
        if column not in edges.columns:
            raise ArgumentError(f"edges must have a {column!r} column, got {list(edges.columns)}")
    graph = nx.DiGraph()
    graph.graph["scdata"] = edges.attrs.get("scdata", {})
    if nodes is not None:
        if "urn" not in nodes.columns:
            raise ArgumentError(f"nodes must have a 'urn' column, got {list(nodes.columns)}")
        records = nodes.astype(object).where(nodes.notna(), None).to_dict("records")
        graph.add_nodes_from((row["urn"], row) for row in records if row["urn"] is not None)
    others = [c for c in edges.columns if c not in ("src_urn", "dst_urn")]
    data = edges[others].astype(object).where(edges[others].notna(), None).to_dict("records")
    graph.add_edges_from(
        (src, dst, attrs)
        for src, dst, attrs in zip(edges["src_urn"], edges["dst_urn"], data, strict=True)
    )
    return graph
