"""One user given in several forms is exported once, under the first form given."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import scdata
from scdata.datasets.export import export_summary, export_tracks, manifest_path
from scdata.sandbox import Sandbox
from tests.test_bulk import SCDATA, check_dataset, expected_rows, manifest_entries, tracks_path

USER = "artist-001"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(artists=4, artist_tracks=30) as sandbox:
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
    return tmp_path / "tracks"


def forms(sb: Sandbox) -> list[str]:
    user_id = sb.catalog.user(USER)["id"]
    return [str(user_id), USER, f"soundcloud:users:{user_id}", f"https://soundcloud.com/{USER}/"]


def test_one_user_in_an_id_and_a_name_is_fetched_once_and_counted_once(sb, client, out):
    user_id = str(sb.catalog.user(USER)["id"])
    manifest = export_tracks([USER, "artist-002", user_id], out, client=client)

    assert manifest["user"].tolist() == [USER, "artist-002"]
    assert manifest["merged"].tolist() == [[user_id], []]
    back = check_dataset(out, sb, [USER, "artist-002"])
    assert int(manifest["rows"].sum()) == len(back)
    assert export_summary(manifest, out) == (
        f"export: 2 users: 2 ok (2 fetched, 0 fresh), 0 failed; 1 duplicate merged; "
        f"{len(back)} rows in {out}"
    )
    assert sb.count(tracks_path(sb, USER)) == sb.count(tracks_path(sb, "artist-002"))
    entry = manifest_entries(out)[USER]
    assert entry["merged"] == [user_id] and entry["rows"] == expected_rows(sb, USER)
    assert len(json.loads(manifest_path(out).read_text())["users"]) == 2


def test_every_form_of_one_user_is_merged_into_the_first(sb, client, out, tmp_path):
    given = forms(sb)
    manifest = export_tracks(given, out, client=client, workers=4)

    assert manifest["user"].tolist() == [given[0]] and manifest["merged"][0] == given[1:]
    assert manifest["rows"].tolist() == [expected_rows(sb, USER)]
    # one walk of the user's pages, one /resolve for the name and its URL (the same name);
    # the id and the URN need none
    export_tracks(["artist-003"], tmp_path / "other", client=client)  # the cost of one user
    assert sb.count(tracks_path(sb, USER)) == sb.count(tracks_path(sb, "artist-003"))
    assert sb.count("/resolve") == 2  # artist-003 and the name (its URL is the same name)
    check_dataset(out, sb, [USER])

    # any form later finds the same fresh entry: nothing is fetched
    sb.clear_log()
    for form in given:
        again = export_tracks([form], out, client=client)
        assert again["skipped"].tolist() == [True], form
    assert sb.count("/users/*/tracks") == 0
    assert len(json.loads(manifest_path(out).read_text())["users"]) == 1


@pytest.fixture
def cli_env(sb: Sandbox, cache_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDCLOUD_", "SCDATA_"))}
    return {**base, **sb.env, "SCDATA_CACHE_DIR": str(cache_dir), "SCDATA_RATE_LIMIT": "8"}


@pytest.mark.slow  # the console script in a subprocess
def test_cli_export_of_a_file_naming_one_user_twice(sb, cli_env, out, tmp_path):
    users_file = tmp_path / "users.txt"
    users_file.write_text(f"{USER}\nhttps://soundcloud.com/{USER}\nartist-003\n")
    command = [str(SCDATA), "export", str(users_file), "-o", str(out), "-q"]

    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    back = check_dataset(out, sb, [USER, "artist-003"])
    assert done.stderr.splitlines()[-1] == (
        f"export: 2 users: 2 ok (2 fetched, 0 fresh), 0 failed; 1 duplicate merged; "
        f"{len(back)} rows in {out}"
    )
