"""HTTP replies the sandbox sends: JSON objects, collections, API error bodies, HTML pages.

A :class:`Reply` is plain data; the request handler writes it to the socket.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from http import HTTPStatus
from typing import Any

__all__ = [
    "EDGE_429_BODY",
    "ENVOY_UPSTREAM_ERROR",
    "JSON_TYPE",
    "Reply",
    "cloudfront_headers",
    "cloudfront_html",
    "edge_429",
    "envoy_error",
    "error_body",
    "error_reply",
    "json_reply",
    "reason",
    "text_reply",
]

JSON_TYPE = "application/json; charset=utf-8"
SINGLE_CACHE = "private, max-age=0"
COLLECTION_CACHE = "public, max-age=60, must-revalidate"
NO_CACHE = "no-cache"
_LINK_DEFAULT = "https://developers.soundcloud.com/docs/api/explorer/open-api"
_LINK_RATE = "https://developers.soundcloud.com/docs/api/rate-limits#errors"
_LINK_SERVER = "https://github.com/soundcloud/api"


@dataclasses.dataclass(frozen=True)
class Reply:
    """A complete HTTP response: status, body bytes and extra headers.

    Examples
    --------
    >>> Reply(204, b"").status
    204
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(
    status: int,
    payload: Any,
    *,
    cache: str = SINGLE_CACHE,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """Return a compact UTF-8 JSON reply.

    Examples
    --------
    >>> json_reply(200, {"a": "é"}).body
    b'{"a":"\\xc3\\xa9"}'
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Reply(status, body, (("Content-Type", JSON_TYPE), ("Cache-Control", cache), *headers))


def reason(status: int) -> str:
    """Return the reason phrase of ``status`` (``"Unknown"`` if not standard).

    Examples
    --------
    >>> reason(404)
    'Not Found'
    """
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def error_body(status: int, message: str = "") -> dict[str, Any]:
    """Return the API's standard error body (API-NOTES §6.1).

    ``errors`` is empty when ``message`` is; ``link`` depends on the status.

    Examples
    --------
    >>> error_body(404, "404 - Not Found")["errors"]
    [{'error_message': '404 - Not Found'}]
    >>> error_body(500)["link"]
    'https://github.com/soundcloud/api'
    """
    if status == 429:
        link = _LINK_RATE
    elif status >= 500:
        link = _LINK_SERVER
    else:
        link = _LINK_DEFAULT
    return {
        "code": status,
        "message": message,
        "link": link,
        "status": f"{status} - {reason(status)}",
        "errors": [{"error_message": message}] if message else [],
        "error": None,
    }


def error_reply(status: int, message: str = "") -> Reply:
    """Return a JSON reply carrying :func:`error_body`.

    Examples
    --------
    >>> error_reply(400).status
    400
    """
    return json_reply(status, error_body(status, message), cache=NO_CACHE)


def text_reply(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
    """Return a plain text (or other typed) reply.

    Examples
    --------
    >>> text_reply(429, "Please slow down.").body
    b'Please slow down.'
    """
    headers = (("Content-Type", content_type), ("Cache-Control", NO_CACHE))
    return Reply(status, text.encode(), headers)


_CANT_CONNECT = (
    "We can't connect to the server for this app or website at this time. There might be too "
    "much traffic or a configuration error. Try again later, or contact the app or website owner."
)
_CLOUDFRONT_CAUSE = {
    403: "Request blocked.",
    502: "CloudFront wasn't able to connect to the origin.",
    504: (
        "CloudFront attempted to establish a connection with the origin, but either the "
        "attempt failed or the origin closed the connection."
    ),
}
_POPS = ("TXL50-P1", "FRA56-P4", "JFK50-P3", "IAD89-P2", "AMS58-P3", "LHR61-P5")


def cloudfront_headers() -> tuple[tuple[str, str], ...]:
    """Return the headers CloudFront adds to an answer it generates or relays as an error.

    Examples
    --------
    >>> [name for name, _ in cloudfront_headers()]
    ['x-cache', 'via', 'x-amz-cf-pop', 'x-amz-cf-id']
    """
    return (
        ("x-cache", "Error from cloudfront"),
        ("via", f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"),
        ("x-amz-cf-pop", secrets.choice(_POPS)),
        ("x-amz-cf-id", _request_id()),
    )


def _request_id() -> str:
    """A CloudFront request id: 56 characters of URL-safe base64 ending in ``==``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(40)).decode()


def cloudfront_html(status: int) -> Reply:
    """Return the HTML error page CloudFront (the CDN in front of the API) generates.

    The template of ``samples/issue264_cloudfront_504_2023.json``; for 403 the
    "Request blocked." page of ``samples/issue481_cloudfront_403_request_blocked_2025.json``
    (919 bytes, as its ``content-length`` says) with its headers (``server: CloudFront``,
    ``content-type: text/html``, ``x-cache: Error from cloudfront``, ``x-amz-cf-pop``, ...).

    Examples
    --------
    >>> page = cloudfront_html(403)
    >>> len(page.body), page.headers[:2]
    (919, (('Server', 'CloudFront'), ('Content-Type', 'text/html')))
    """
    cause = _CLOUDFRONT_CAUSE.get(status)
    detail = f"{cause}\n{_CANT_CONNECT}" if cause else _CANT_CONNECT
    page = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
        '"http://www.w3.org/TR/html4/loose.dtd">\n'
        '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n'
        "<TITLE>ERROR: The request could not be satisfied</TITLE>\n"
        f"</HEAD><BODY>\n<H1>{status} ERROR</H1>\n"
        "<H2>The request could not be satisfied.</H2>\n"
        f'<HR noshade size="1px">\n{detail}\n<BR clear="all">\n'
        "If you provide content to customers through CloudFront, you can find steps to "
        "troubleshoot and help prevent this error by reviewing the CloudFront documentation.\n"
        '<BR clear="all">\n'
        '<HR noshade size="1px">\n<PRE>\nGenerated by cloudfront (CloudFront)\n'
        f"Request ID: {_request_id()}\n</PRE>\n<ADDRESS>\n</ADDRESS>\n</BODY></HTML>"
    )
    headers = (("Server", "CloudFront"), ("Content-Type", "text/html"), *cloudfront_headers())
    return Reply(status, page.encode("ascii"), headers)


#: The gateway's (Tyk behind envoy) error template filled with the rate-limit message:
#: 38 bytes, the ``content_length`` of ``samples/issue529_repost_429_edge_2026.json``.
EDGE_429_BODY = b'{\n    "error": "Rate Limit Exceeded"\n}'


def edge_429() -> Reply:
    """Return the API gateway's 429: ``{"error": "Rate Limit Exceeded"}``, no reset info.

    Headers as in ``samples/issue529_repost_429_edge_2026.json`` and
    ``samples/issue457_ratelimit_headers_2025.json``: ``server: envoy``,
    ``x-generator: tyk.io``, ``x-ratelimit-limit: -1``, ``x-ratelimit-remaining: 0``,
    ``x-ratelimit-reset: 0``, ``x-cache: Error from cloudfront``; no ``Retry-After``.

    Examples
    --------
    >>> reply = edge_429()
    >>> reply.status, json.loads(reply.body), dict(reply.headers)["x-ratelimit-limit"]
    (429, {'error': 'Rate Limit Exceeded'}, '-1')
    """
    headers = (
        ("Server", "envoy"),
        ("Content-Type", "application/json"),
        ("vary", "Origin"),
        ("x-generator", "tyk.io"),
        ("x-tyk-trace-id", secrets.token_hex(16)),
        ("x-ratelimit-limit", "-1"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "0"),
        ("x-envoy-upstream-service-time", "1"),
        *cloudfront_headers(),
    )
    return Reply(429, EDGE_429_BODY, headers)


#: envoy's plain-text body when the upstream is unreachable (samples/issue354).
ENVOY_UPSTREAM_ERROR = (
    "upstream connect error or disconnect/reset before headers. reset reason: remote "
    "connection failure, transport failure reason: delayed connect error: 113"
)


def envoy_error(status: int) -> Reply:
    """Return a 5xx from the API's envoy proxy: plain text, empty for 504 (API-NOTES-2 §1.11).

    Examples
    --------
    >>> envoy_error(503).body[:24], envoy_error(504).body
    (b'upstream connect error o', b'')
    """
    text = "" if status == 504 else ENVOY_UPSTREAM_ERROR
    headers = (("Server", "envoy"), ("Content-Type", "text/plain"), *cloudfront_headers())
    return Reply(status, text.encode(), headers)
