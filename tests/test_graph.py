"""follow_graph and to_networkx: the edges are the follow lists, the nodes come at no request.

Everything runs through the real stack against the emulator; expectations are taken from
``followings_df``/``followers_df``/``users_df`` on the same client (answered from its cache), so
the tests hold whatever the generated world's numbers are.
"""

from __future__ import annotations

import math
import sys

import pandas as pd
import pytest

import scdata
from scdata.frames.schema import SCHEMAS

from .conftest import needs_extra

JOWY = "soundcloud:users:52461337"
USER_COLUMNS = [c.name for c in SCHEMAS["users"]]


def gets(sandbox, path: str | None = None) -> int:
    return sandbox.count(method="GET", path=path)


# -- bad input: named, nothing sent -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": -1}, "depth must be an integer from 0 to 1000000, got -1"),
        ({"depth": 1.5}, "depth must be an integer from 0 to 1000000, got 1.5"),
        (
            {"direction": "sideways"},
            'direction must be "followings" or "followers", got \'sideways\'',
        ),
        ({"max_nodes": 0}, "max_nodes must be an integer from 1 to 1000000, got 0"),
        ({"max_per_user": 0}, "max_per_user must be an integer from 1 to 1000000, got 0"),
        ({"errors": "ignore"}, 'errors must be "raise" or "skip", got \'ignore\''),
        ({"workers": 0}, "workers must be a positive integer, got 0"),
    ],
)
def test_bad_arguments_raise_naming_them_and_send_nothing(client, sandbox, kwargs, message):
    with pytest.raises(scdata.ArgumentError) as caught:
        client.follow_graph("jowymusic", **kwargs)
    assert str(caught.value) == message
    assert sandbox.requests == []


def test_a_bad_seed_raises_before_anything_is_sent(client, sandbox):
    with pytest.raises(scdata.InvalidUserError, match=r"seeds\[1\]"):
        client.follow_graph(["jowymusic", "https://example.com/x"])
    with pytest.raises(scdata.ArgumentError, match="seeds must name at least one"):
        client.follow_graph([])
    assert sandbox.requests == []


# -- the graph -----------------------------------------------------------------------------------
def test_depth_zero_is_the_seeds_alone(client, sandbox):
    edges, nodes = client.follow_graph(["jowymusic", "bjork-unicode"], depth=0, progress=False)
    assert list(edges.columns) == ["src_urn", "dst_urn", "relation"] and edges.empty
    assert nodes["permalink"].tolist() == ["jowymusic", "bjork-unicode"]
    assert nodes["depth"].tolist() == [0, 0]
    assert gets(sandbox) == 2 + 1  # two /resolve, one batch lookup
    assert edges.attrs["scdata"]["levels"] == [] and edges.attrs["scdata"]["complete"]


def test_followings_depth_one_is_followings_df_at_the_minimum_cost(client, sandbox):
    edges, nodes = client.follow_graph("jowymusic", depth=1, max_per_user=None, progress=False)
    listed = gets(sandbox, "/users/*/followings")
    assert gets(sandbox, "/resolve") == 1 and gets(sandbox, "/users") == 1  # the batch lookup
    assert gets(sandbox) == 1 + 1 + listed  # no request per node

    sandbox.clear_log()
    expected = client.followings_df("jowymusic", progress=False)
    assert gets(sandbox) == 0, "the same pages, from the cache"
    n = len(expected)
    assert listed <= math.ceil(n / 200) + 1
    assert edges["src_urn"].eq(JOWY).all() and edges["relation"].eq("follows").all()
    assert edges["dst_urn"].tolist() == expected["urn"].tolist()
    # nodes: the seed's looked-up row, then every user listed, full rows from the pages
    seed = client.users_df("jowymusic")
    pd.testing.assert_frame_equal(nodes.iloc[:1][USER_COLUMNS], seed, check_like=False)
    pd.testing.assert_frame_equal(
        nodes.iloc[1:][USER_COLUMNS].reset_index(drop=True), expected[USER_COLUMNS]
    )
    assert nodes["depth"].tolist() == [0] + [1] * n
    assert nodes["followers_count"].notna().all(), "full users, with their counts"
    info = edges.attrs["scdata"]
    assert info["inputs"][0]["got"] == n and info["inputs"][0]["complete"]
    assert info["complete"] and not info["truncated"] and info["nodes"] == n + 1
    assert nodes.attrs["scdata"] == info and edges.attrs["fetched_at"]


def test_followers_edges_point_at_the_seed(client, sandbox):
    edges, nodes = client.follow_graph("artist-001", direction="followers", progress=False)
    fans = client.followers_df("artist-001", progress=False)
    seed = nodes["urn"].iloc[0]
    assert edges["dst_urn"].eq(seed).all()
    assert edges["src_urn"].tolist() == fans["urn"].tolist()
    assert edges.attrs["scdata"]["direction"] == "followers"


def test_max_per_user_caps_each_list_and_says_so(client, sandbox):
    edges, nodes = client.follow_graph("jowymusic", max_per_user=5, progress=False)
    assert len(edges) == 5 and len(nodes) == 6
    info = edges.attrs["scdata"]
    assert info["inputs"][0]["capped"] and not info["complete"]
    assert "max_per_user=5" in info["note"]


@pytest.mark.slow  # a few dozen pages
def test_depth_two_walks_every_user_found_and_nothing_else(client, sandbox):
    edges, nodes = client.follow_graph("artist-001", depth=2, max_per_user=30, progress=False)
    assert nodes["urn"].is_unique
    assert set(edges["src_urn"]) | set(edges["dst_urn"]) <= set(nodes["urn"])
    depth = dict(zip(nodes["urn"], nodes["depth"], strict=True))
    # every node past the seeds is reached from a node one level up
    parents: dict[str, set[int]] = {}
    for src, dst in zip(edges["src_urn"], edges["dst_urn"], strict=True):
        parents.setdefault(dst, set()).add(depth[src])
    assert all(d - 1 in parents[u] for u, d in depth.items() if d > 0)
    assert nodes["depth"].max() == 2
    # exactly the users of levels 0 and 1 with something to list were walked, once each
    walked = {r.path.split("/")[2] for r in sandbox.requests if r.path.endswith("/followings")}
    level01 = nodes[nodes["depth"] < 2]
    # (a user whose count is unknown, null, is walked too)
    assert walked == set(level01.loc[level01["followings_count"].fillna(-1).ne(0), "urn"])
    assert edges.duplicated().sum() == 0
    # each level-1 user's edges are its followings, in order
    user = nodes.loc[nodes["depth"].eq(1) & nodes["followings_count"].fillna(0).gt(0), "urn"].iloc[
        0
    ]
    mine = edges.loc[edges["src_urn"].eq(user), "dst_urn"].tolist()
    listed = client.followings_df(user, max_per_user=30, progress=False)["urn"].tolist()
    assert mine == listed


@pytest.mark.slow
def test_users_with_nothing_to_list_are_not_asked(client, sandbox):
    edges, nodes = client.follow_graph(
        "artist-001", depth=2, direction="followers", max_per_user=5, progress=False
    )
    level = edges.attrs["scdata"]["levels"][1]
    empty = nodes[nodes["depth"].eq(1) & nodes["followers_count"].eq(0)]
    assert level["skipped_empty"] == len(empty) > 0
    asked = {r.path.split("/")[2] for r in sandbox.requests if r.path.endswith("/followers")}
    assert asked.isdisjoint(empty["urn"])


def test_max_nodes_stops_the_walk_and_says_so(client, sandbox):
    edges, nodes = client.follow_graph("empty-artist", depth=2, max_nodes=50, progress=False)
    assert len(nodes) == 50 and nodes["urn"].is_unique
    assert set(edges["src_urn"]) | set(edges["dst_urn"]) <= set(nodes["urn"])
    info = edges.attrs["scdata"]
    assert info["truncated"] and not info["complete"] and "max_nodes=50" in info["note"]
    assert len(info["levels"]) == 1, "the walk stopped: level 1 was not walked"


def test_max_nodes_below_the_seeds_keeps_the_first(client, sandbox):
    edges, nodes = client.follow_graph(["jowymusic", "bjork-unicode"], max_nodes=1, progress=False)
    assert nodes["urn"].tolist() == [JOWY] and edges.empty
    assert edges.attrs["scdata"]["truncated"]


def test_seeds_failing_raise_or_are_skipped(client, sandbox):
    with pytest.raises(scdata.UserNotFoundError):
        client.follow_graph(["jowymusic", "no-such-user-here"], depth=0)
    edges, nodes = client.follow_graph(
        ["jowymusic", "no-such-user-here"], max_per_user=3, errors="skip", progress=False
    )
    assert nodes["urn"].iloc[0] == JOWY and len(edges) == 3
    failures = edges.attrs["scdata"]["failures"]
    assert [(f["input"], f["error"]) for f in failures] == [
        ("no-such-user-here", "UserNotFoundError")
    ]
    assert not edges.attrs["scdata"]["complete"]


def test_the_module_function_is_the_client_method(sandbox_env):
    edges, nodes = scdata.follow_graph("jowymusic", max_per_user=2, progress=False)
    assert len(edges) == 2 and nodes["depth"].tolist() == [0, 1, 1]
    assert scdata.follow_graph.__doc__ == scdata.Client.follow_graph.__doc__
    assert "follow_graph" in scdata.__all__ and "to_networkx" in scdata.__all__


# -- networkx --------------------------------------------------------------------------------------
@needs_extra("graph")
def test_to_networkx_keeps_every_node_and_edge_with_their_attributes(client):
    edges, nodes = client.follow_graph("jowymusic", max_per_user=20, progress=False)
    g = scdata.to_networkx(edges, nodes)
    assert g.is_directed()
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
    assert g.out_degree(JOWY) == 20 and g.nodes[JOWY]["permalink"] == "jowymusic"
    assert g.nodes[JOWY]["depth"] == 0
    src, dst = edges.iloc[0][["src_urn", "dst_urn"]]
    assert g.edges[src, dst] == {"relation": "follows"}
    assert g.graph["scdata"]["nodes"] == len(nodes)
    # missing values become None, not pd.NA
    assert all(v is not pd.NA for _, data in g.nodes(data=True) for v in data.values())
    bare = scdata.to_networkx(edges)  # nodes from the edges alone
    assert bare.number_of_nodes() == len(nodes) and dict(bare.nodes[JOWY]) == {}


def test_to_networkx_without_networkx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)  # import networkx now fails
    edges = pd.DataFrame({"src_urn": ["a"], "dst_urn": ["b"], "relation": ["follows"]})
    with pytest.raises(ImportError, match=r'pip install "scdata\[graph\]"'):
        scdata.to_networkx(edges)


@needs_extra("graph")
def test_to_networkx_wants_the_urn_columns():
    with pytest.raises(scdata.ArgumentError, match="'src_urn'"):
        scdata.to_networkx(pd.DataFrame({"a": [1]}))
