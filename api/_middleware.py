"""ASGI middleware of the service: the request body size limit, the security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLargeError, error_response

__all__ = ["TILE_HOSTS", "BodySizeLimit", "SecurityHeaders", "content_security_policy"]

#: Tile servers of each basemap, as CSP sources (the maps load nothing else from outside).
TILE_HOSTS: dict[str, tuple[str, ...]] = {
    "osm": ("https://tile.openstreetmap.org",),
    "amap": ("https://*.is.autonavi.com",),
    "tianditu": ("https://*.tianditu.gov.cn",),
    "none": (),
}

_SCRIPT = re.compile(rb"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


class BodySizeLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413.

    A declared ``Content-Length`` over the limit is refused before the body is read.
    A body without one (chunked) is counted as it streams; once over the limit the
    read raises :class:`~api.errors.PayloadTooLargeError`, which the error handlers
    turn into the common 413 answer.

    Parameters
    ----------
    app
        The wrapped application.
    limit
        Largest accepted body, in bytes.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            error = PayloadTooLargeError(self.limit)
            response = error_response(413, "content_too_large", str(error.detail))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLargeError(self.limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def content_security_policy(tile_hosts: Sequence[str], script_hashes: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of every answer.

    Only the app's own files load, besides map tiles from ``tile_hosts``; an inline
    script runs only if its SHA-256 is in ``script_hashes`` (the page's own scripts); no
    other site may frame a page.
    """
    tiles = " ".join(tile_hosts)
    scripts = " ".join(f"'sha256-{digest}'" for digest in script_hashes)
    directives = [
        "default-src 'self'",
        f"script-src 'self' {scripts}".strip(),
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob: {tiles}".strip(),
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)


def _hashes(body: bytes) -> list[str]:
    return sorted(
        {
            base64.b64encode(hashlib.sha256(script).digest()).decode("ascii")
            for script in _SCRIPT.findall(body)
            if script.strip()
        }
    )


class SecurityHeaders:
    """Add ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy`` and a
    Content-Security-Policy to every answer.

    An HTML answer is held until its body is complete, so that the policy can name the
    hashes of the page's own inline scripts; other answers pass through as they stream.

    Parameters
    ----------
    app
        The wrapped application.
    tile_hosts
        CSP sources of the configured basemap's tiles (see :data:`TILE_HOSTS`).
    """

    def __init__(self, app: ASGIApp, *, tile_hosts: Sequence[str]) -> None:
        self.app = app
        self.tile_hosts = tuple(tile_hosts)
        self.plain_policy = content_security_policy(self.tile_hosts).encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def secured_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name != b"content-security-policy"
                ]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
                if _is_html(headers):
                    start = message
                    return
                message["headers"].append((b"content-security-policy", self.plain_policy))
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            content = b"".join(body)
            policy = content_security_policy(self.tile_hosts, _hashes(content))
            start["headers"].append((b"content-security-policy", policy.encode("latin-1")))
            await send(start)
            await send({"type": "http.response.body", "body": content, "more_body": False})

        await self.app(scope, receive, secured_send)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )
