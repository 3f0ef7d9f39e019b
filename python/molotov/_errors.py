"""The exceptions a request raises, named as aiohttp names them.

When aiohttp is installed, each class also derives from aiohttp's class of the same name, so
``except aiohttp.ClientConnectionError`` in an existing script keeps working.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # pragma: no cover - depends on the environment
    import aiohttp as _aiohttp
except ImportError:  # pragma: no cover
    _aiohttp = None


def _bases(name: str, *ours: type) -> tuple[type, ...]:
    theirs = getattr(_aiohttp, name, None) if _aiohttp is not None else None
    if isinstance(theirs, type):
        if any(issubclass(o, theirs) for o in ours):
            return ours
        # A base that aiohttp's class already derives from (Exception, OSError, ValueError,
        # asyncio.TimeoutError) must not come before it, or no consistent MRO exists.
        kept = tuple(o for o in ours if not issubclass(theirs, o))
        return (*kept, theirs)
    return ours


class ClientError(*_bases("ClientError", Exception)):  # type: ignore[misc]
    """Base of every error a request raises."""

    def __init__(self, message: str = "", kind: str = "") -> None:
        Exception.__init__(self, message)
        #: the molotov error kind counted in the statistics (``connect``, ``timeout``...)
        self.kind = kind

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ClientConnectionError(*_bases("ClientConnectionError", ClientError)):  # type: ignore[misc]
    """The connection could not be used."""


class ClientOSError(*_bases("ClientOSError", ClientConnectionError, OSError)):  # type: ignore[misc]
    """A socket error."""

    def __init__(self, message: str = "", kind: str = "") -> None:
        ClientConnectionError.__init__(self, message, kind)


class ClientConnectorError(*_bases("ClientConnectorError", ClientOSError)):  # type: ignore[misc]
    """The connection could not be opened (refused, unreachable, name not resolved)."""


class ClientSSLError(*_bases("ClientSSLError", ClientConnectorError)):  # type: ignore[misc]
    """The TLS handshake failed."""


class ServerDisconnectedError(*_bases("ServerDisconnectedError", ClientConnectionError)):  # type: ignore[misc]
    """The server closed the connection before the response was complete."""


class ServerTimeoutError(*_bases("ServerTimeoutError", ClientConnectionError, asyncio.TimeoutError)):  # type: ignore[misc]
    """The request took longer than its timeout."""


class ClientPayloadError(*_bases("ClientPayloadError", ClientError)):  # type: ignore[misc]
    """The response was not valid HTTP."""


class InvalidURL(*_bases("InvalidURL", ClientError, ValueError)):  # type: ignore[misc]
    """The URL cannot be requested."""


class TooManyRedirects(*_bases("TooManyRedirects", ClientError)):  # type: ignore[misc]
    """More redirects than the session follows."""


class ClientResponseError(*_bases("ClientResponseError", ClientError)):  # type: ignore[misc]
    """A response with an error status (``raise_for_status``)."""

    def __init__(self, request_info: Any = None, history: Any = (), *, status: int = 0,
                 message: str = "", headers: Any = None, **_: Any) -> None:
        Exception.__init__(self, f"{status}, message={message!r}")
        self.request_info = request_info
        self.history = history
        self.status = status
        self.message = message
        self.headers = headers
        self.kind = "status"

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}"


class ContentTypeError(*_bases("ContentTypeError", ClientResponseError)):  # type: ignore[misc]
    """``json()`` on a response that is not JSON."""


class WSServerHandshakeError(*_bases("WSServerHandshakeError", ClientResponseError)):  # type: ignore[misc]
    """The server refused a WebSocket handshake (its status is kept), or broke the protocol."""

    def __init__(self, message: str = "", kind: str = "") -> None:
        import re

        found = re.search(r"handshake with (\d{3})", message)
        ClientResponseError.__init__(self, status=int(found.group(1)) if found else 0,
                                     message=message)
        self.kind = kind or "websocket"

    def __str__(self) -> str:
        return self.message


#: The class raised for each molotov HTTP error kind.
BY_KIND = {
    "url": InvalidURL,
    "request": ClientError,
    "dns": ClientConnectorError,
    "connect": ClientConnectorError,
    "tls": ClientSSLError,
    "timeout": ServerTimeoutError,
    "closed": ServerDisconnectedError,
    "protocol": ClientPayloadError,
    "redirects": TooManyRedirects,
    "files": ClientOSError,
    "too-large": ClientPayloadError,
    "io": ClientOSError,
    # HTTP/2: a stream reset, a GOAWAY, a protocol error.
    "h2-reset": ServerDisconnectedError,
    "h2-goaway": ServerDisconnectedError,
    "h2-protocol": ClientPayloadError,
    "websocket": WSServerHandshakeError,
}
