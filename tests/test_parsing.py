"""Response bodies that orjson refuses but a user must still get: BOM, lone surrogates."""

from __future__ import annotations

import codecs

import orjson
import pandas as pd
import pytest
import requests

import scdata
from scdata.frames.convert import tracks_frame, users_frame
from scdata.frames.jsonbody import loads, without_surrogates

PAGE = (
    b'{"collection": [{"id": 1, "title": "caf\\ud800", "user": {"id": 2, "username": "\\udcffx"}},'
    b' {"id": 3, "description": "fine \\ud83d\\ude00"}], "next_href": null}'
)


def test_orjson_alone_refuses_these_bodies() -> None:
    """The reason for scdata.frames.jsonbody (if orjson ever accepts them, the fallback is idle)."""
    for body in (PAGE, codecs.BOM_UTF8 + b'{"id": 1}'):
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(body)


def test_lone_surrogate_escapes_become_replacement_characters() -> None:
    page = loads(PAGE)
    first, second = page["collection"]
    assert first["title"] == "caf\ufffd"
    assert first["user"]["username"] == "\ufffdx"
    assert second["description"] == "fine \U0001f600"  # a proper pair stays one emoji
    df = tracks_frame([page["collection"]])
    assert df["title"].tolist()[0] == "caf\ufffd" and df.loc[1, "id"] == 3


def test_a_leading_bom_is_ignored() -> None:
    assert loads(codecs.BOM_UTF8 + b'{"id": 1, "username": "a"}') == {"id": 1, "username": "a"}
    assert loads(codecs.BOM_UTF8 + PAGE)["collection"][0]["id"] == 1


def test_raw_surrogate_bytes_are_replaced() -> None:
    body = '{"id": 5, "city": "x\ud800y"}'.encode("utf-8", "surrogatepass")  # CESU-8 bytes
    user = loads(body)
    assert user["id"] == 5 and user["city"].startswith("x\ufffd") and user["city"].endswith("y")
    assert users_frame([user]).loc[0, "urn"] == "soundcloud:users:5"


def test_not_json_still_raises_orjsons_error() -> None:
    for body in (b"<html>blocked</html>", codecs.BOM_UTF8 + b"{", b""):
        with pytest.raises(orjson.JSONDecodeError):
            loads(body)


def test_without_surrogates_leaves_clean_values_alone() -> None:
    value = {"a": ["b", 1, None, {"c": 2.5}]}
    assert without_surrogates(value) == value
    text = "clean"
    assert without_surrogates(text) is text


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.request = requests.Request("GET", "https://api.soundcloud.com/users/1").prepare()
    return response


def test_the_api_layer_parses_with_the_tolerant_loader(client: scdata.Client) -> None:
    user = client.api.parse(_response(codecs.BOM_UTF8 + b'{"id": 7, "username": "\\ud800"}'))
    assert user == {"id": 7, "username": "\ufffd"}
    with pytest.raises(scdata.APIError, match="not JSON"):
        client.api.parse(_response(b"<html></html>"))


def test_surrogates_survive_to_parquet(tmp_path) -> None:
    df = tracks_frame([loads(PAGE)["collection"]])
    path = scdata.to_parquet(df, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(scdata.read_parquet(path), df)
