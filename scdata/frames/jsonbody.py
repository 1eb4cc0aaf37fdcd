"""Parse a JSON response body the way a browser would: a stray BOM or surrogate is not fatal.

orjson is strict, which is right for speed and wrong for two things a real server may send:

- a UTF-8 byte order mark before the body (``EF BB BF``): stripped;
- a lone UTF-16 surrogate, written as the escape ``"\\ud800"`` (legal JSON syntax, but no
  character) or as raw CESU-8 bytes: replaced with U+FFFD, the replacement character.

Both make orjson refuse the whole body, so one odd track description made a whole user
unfetchable. The fast path is unchanged (one ``orjson.loads``); only a body orjson refuses
goes through the standard library, and only values that really hold a surrogate change.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

import orjson

__all__ = ["loads", "without_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(value: Any) -> Any:
    """Replace every lone surrogate in the strings of a parsed JSON value with U+FFFD.

    Parameters
    ----------
    value : object
        A parsed JSON value (dicts, lists, strings, numbers...).

    Returns
    -------
    object
        The same structure; containers are copied only when something in them changed.

    Examples
    --------
    >>> without_surrogates({"title": "a\\ud800b", "n": 1})
    {'title': 'a\\ufffdb', 'n': 1}
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value


def loads(content: bytes | str) -> Any:
    """Parse a JSON body; a leading BOM is ignored and lone surrogates become U+FFFD.

    Parameters
    ----------
    content : bytes or str
        The response body.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    orjson.JSONDecodeError
        The body is not JSON (a ``ValueError``); the error is orjson's own.

    Examples
    --------
    >>> loads(b'\\xef\\xbb\\xbf{"title": "x\\\\ud800"}')
    {'title': 'x\\ufffd'}
    >>> loads(b'{"n": 1}')
    {'n': 1}
    """
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        strict_error = exc
    # orjson refuses "\ud800" escapes and invalid UTF-8; the standard library reads both
    # (bytes that are not UTF-8 are decoded with replacement characters first).
    try:
        value = json.loads(content.decode("utf-8", "replace"))
    except ValueError:
        raise strict_error from None
    return without_surrogates(value)
