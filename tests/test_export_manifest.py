"""A damaged or hostile manifest (``<dir>.manifest.json``) is ignored and rebuilt; nothing
outside the dataset is ever deleted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import scdata
from scdata.datasets.export import export_tracks, manifest_path
from scdata.sandbox import Sandbox
from tests.test_bulk import check_dataset, manifest_entries, tracks_path

USER = "artist-001"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=3, artist_tracks=20) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb: Sandbox, cache_dir: Path) -> Iterator[scdata.Client]:
    with scdata.Client(
        **sb.client_settings, cache_dir=cache_dir, cache="off", max_retries=1,
        retry_backoff=0.01, rate_limit=8,
    ) as c:  # fmt: skip
        yield c


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "dataset" / "tracks"


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A directory outside the dataset, with a file that must survive every export."""
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("do not delete")
    return outside


def edit_manifest(out: Path, change) -> None:
    path = manifest_path(out)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "partition",
    ["{outside}", "../../precious", "user_permalink=../../../precious",
     "user_permalink=x/../../../precious", "user_permalink=artist-001/../../../precious"],
)  # fmt: skip
@pytest.mark.slow  # over half a second: the full run has it
def test_a_partition_outside_the_dataset_is_never_deleted(
    sb, client, out, sentinel, partition, caplog
):
    out.parent.mkdir()
    export_tracks([USER], out, client=client)
    hostile = partition.format(outside=sentinel)
    edit_manifest(out, lambda d: d["users"][0]["partitions"].append(hostile))  # one user

    with caplog.at_level(logging.WARNING, logger="scdata"):
        again = export_tracks([USER], out, client=client, max_age=0)

    assert (sentinel / "keep.txt").read_text() == "do not delete"
    assert again["status"].tolist() == ["ok"] and not again["skipped"].any()
    assert "damaged" in caplog.text and manifest_path(out).name in caplog.text
    assert manifest_entries(out)[USER]["partitions"] == [f"user_permalink={USER}"]
    check_dataset(out, sb, [USER])


def test_a_partition_that_is_a_symlink_out_of_the_dataset_is_not_followed(
    sb, client, out, sentinel
):
    out.parent.mkdir()
    export_tracks([USER], out, client=client)
    (out / "user_permalink=evil").symlink_to(sentinel, target_is_directory=True)
    edit_manifest(out, lambda d: d["users"][0]["partitions"].append("user_permalink=evil"))

    export_tracks([USER], out, client=client, max_age=0)

    assert (sentinel / "keep.txt").read_text() == "do not delete"


def set_entry(key: str, value: object):
    def change(document: dict) -> None:
        next(e for e in document["users"] if e["user"] == USER)[key] = value

    return change


def set_document(key: str, value: object):
    def change(document: dict) -> None:
        document[key] = value

    return change


def whole(value: object):
    def change(document: dict) -> None:
        document.clear()
        document["__whole__"] = value

    return change


DAMAGE = {
    "not an object": whole([]),
    "null": whole(None),
    "users an object": set_document("users", {"artist-001": {}}),
    "users a string": set_document("users", "artist-001"),
    "partition_cols a string": set_document("partition_cols", "user_permalink"),
    "an entry a list": set_document("users", [["artist-001", "ok"]]),
    "fetched_at not a date": set_entry("fetched_at", "yesterday"),
    "fetched_at without zone": set_entry("fetched_at", "2099-01-01T00:00:00"),
    "fetched_at a number": set_entry("fetched_at", 1700000000),
    "rows a string": set_entry("rows", "20"),
    "rows negative": set_entry("rows", -5),
    "status unknown": set_entry("status", "done"),
    "partitions a string": set_entry("partitions", "user_permalink=artist-001"),
    "partitions with a number": set_entry("partitions", [7]),
    "limit a bool": set_entry("limit", True),
    "user a number": set_entry("user", 12.5),
    "user missing": set_entry("user", None),
    "urn not a urn": set_entry("urn", "../../x"),
}


@pytest.mark.slow  # a paced export per damaged-manifest case
@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_manifest_is_ignored_with_a_warning_and_rebuilt(sb, client, out, damage, caplog):
    out.parent.mkdir()
    export_tracks([USER, "artist-002"], out, client=client)
    path = manifest_path(out)
    document = json.loads(path.read_text())
    damage(document)
    path.write_text(json.dumps(document.get("__whole__", document)))
    sb.clear_log()

    with caplog.at_level(logging.WARNING, logger="scdata"):
        again = export_tracks([USER, "artist-002"], out, client=client)

    assert "ignoring" in caplog.text and str(path) in caplog.text
    assert again["status"].tolist() == ["ok", "ok"]
    assert sb.count(tracks_path(sb, USER)) > 0  # its entry could not be trusted: fetched
    rebuilt = json.loads(path.read_text())
    assert isinstance(rebuilt, dict) and rebuilt["partition_cols"] == ["user_permalink"]
    assert {e["user"] for e in rebuilt["users"]} >= {USER}
    assert all(e["status"] == "ok" for e in rebuilt["users"])
    check_dataset(out, sb, [USER, "artist-002"])
    # and it is a good manifest again: a third run fetches nothing
    sb.clear_log()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="scdata"):
        third = export_tracks([USER, "artist-002"], out, client=client)
    assert third["skipped"].all() and sb.count("/users/*/tracks") == 0 and caplog.text == ""


def test_a_manifest_that_is_not_json_or_not_utf8_is_rebuilt(sb, client, out, caplog):
    out.parent.mkdir()
    export_tracks([USER], out, client=client)
    for garbage in (b"{not json", b"\xff\xfe\x00garbage"):
        manifest_path(out).write_bytes(garbage)
        with caplog.at_level(logging.WARNING, logger="scdata"):
            again = export_tracks([USER], out, client=client)
        assert again["status"].tolist() == ["ok"] and "ignoring" in caplog.text
        assert manifest_entries(out)[USER]["status"] == "ok"


def test_other_partition_columns_still_refuse_to_mix(client, out):
    out.parent.mkdir()
    export_tracks([USER], out, client=client)
    with pytest.raises(ValueError, match="partitioned on"):
        export_tracks([USER], out, client=client, partition_cols=["user_id"])
