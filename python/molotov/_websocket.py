"""``session.ws_connect(url, ...)`` as aiohttp has it, over the engine's WebSocket.

The engine opens the socket (its handshake recorded as the request ``WS <path>``, status 101)
and does every send and receive; this module gives them aiohttp's shape:
:class:`ClientWebSocketResponse` with ``send_str/send_bytes/send_json``,
``receive/receive_str/receive_bytes/receive_json``, ``ping/pong``, ``close``, ``closed``,
``close_code``, ``exception()``, ``protocol``, ``async for``, ``async with``; messages are
aiohttp's ``WSMessage`` with aiohttp's ``WSMsgType``.

``autoping``: pings are answered by the engine as they arrive, and not returned unless
``autoping=False``; ``heartbeat`` sends a ping every so many seconds while the script waits
for a message (and fails the socket when no pong came back within half of it).
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Optional

from aiohttp import WSMessage, WSMsgType

__all__ = ["ClientWebSocketResponse", "ws_connect"]

_CLOSED = WSMessage(WSMsgType.CLOSED, None, None)
_CLOSING = WSMessage(WSMsgType.CLOSING, None, None)


class ClientWebSocketResponse:
    """An open WebSocket, as aiohttp's ``ClientWebSocketResponse``."""

    def __init__(self, native: Any, *, autoclose: bool, autoping: bool,
                 receive_timeout: Optional[float], heartbeat: Optional[float]) -> None:
        self._native = native
        self._autoclose = autoclose
        self._autoping = autoping
        self._receive_timeout = receive_timeout
        self._heartbeat = heartbeat
        self._closed = False
        self._closing = False
        self._close_code: Optional[int] = None
        self._exception: Optional[BaseException] = None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_code(self) -> Optional[int]:
        return self._close_code

    @property
    def protocol(self) -> Optional[str]:
        return self._native.protocol

    def exception(self) -> Optional[BaseException]:
        return self._exception

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    async def send_str(self, data: str, compress: Optional[int] = None) -> None:
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self._send(WSMsgType.TEXT, data)

    async def send_bytes(self, data: bytes, compress: Optional[int] = None) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._send(WSMsgType.BINARY, bytes(data))

    async def send_json(self, data: Any, compress: Optional[int] = None, *,
                        dumps: Callable[[Any], str] = json.dumps) -> None:
        await self.send_str(dumps(data))

    async def ping(self, message: bytes = b"") -> None:
        await self._send(WSMsgType.PING, bytes(message))

    async def pong(self, message: bytes = b"") -> None:
        await self._send(WSMsgType.PONG, bytes(message))

    async def _send(self, kind: WSMsgType, data: Any) -> None:
        if self._closed or self._closing:
            raise ConnectionResetError("Cannot write to closing transport")
        await self._native.send(int(kind), data)

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        """Sends a close frame and waits for the server's; ``False`` if already closed."""
        if self._closed:
            return False
        self._closing = True
        reason = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        try:
            await self._native.close(code, reason)
        except Exception as error:  # the connection broke: closed all the same
            self._exception = error
            if self._close_code is None:
                self._close_code = 1006
            self._closed = True
            return True
        if self._close_code is None:
            self._close_code = self._native.close_code or code
        self._closed = True
        return True

    async def receive(self, timeout: Optional[float] = None) -> WSMessage:
        """The next message; ``CLOSED`` once the socket is closed. A close frame from the
        server is returned as ``CLOSE`` (after closing, with ``autoclose``)."""
        limit = timeout if timeout is not None else self._receive_timeout
        while True:
            if self._closed:
                return _CLOSED
            if self._closing:
                return _CLOSING
            try:
                kind, data, extra = await self._receive_once(limit)
            except TimeoutError:
                raise
            except Exception as error:
                self._exception = error
                self._closed = True
                self._close_code = 1006
                return WSMessage(WSMsgType.ERROR, error, None)
            if kind == WSMsgType.PING and self._autoping:
                continue  # already answered by the engine
            if kind == WSMsgType.PONG and self._autoping:
                continue
            if kind == WSMsgType.CLOSE:
                self._close_code = data
                if self._autoclose:
                    await self.close(code=data if data else 1000)
                else:
                    self._closing = True
                return WSMessage(WSMsgType.CLOSE, data, extra)
            if kind == WSMsgType.CLOSED:
                self._closed = True
                if self._close_code is None:
                    self._close_code = 1006
                return _CLOSED
            return WSMessage(WSMsgType(kind), data, extra)

    async def _receive_once(self, limit: Optional[float]) -> tuple[int, Any, Any]:
        """One message, with ``limit`` and the heartbeat's pings while waiting."""
        if not self._heartbeat:
            return await self._native.receive(limit)
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            wait = self._heartbeat
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                return await self._native.receive(wait)
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                await self._native.send(int(WSMsgType.PING), b"")
                try:
                    kind, data, extra = await self._native.receive(self._heartbeat / 2)
                except TimeoutError:
                    raise ConnectionResetError("no PONG within the heartbeat") from None
                if kind != WSMsgType.PONG:
                    return kind, data, extra

    async def receive_str(self, *, timeout: Optional[float] = None) -> str:
        msg = await self.receive(timeout)
        if msg.type != WSMsgType.TEXT:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT")
        return msg.data

    async def receive_bytes(self, *, timeout: Optional[float] = None) -> bytes:
        msg = await self.receive(timeout)
        if msg.type != WSMsgType.BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY")
        return msg.data

    async def receive_json(self, *, loads: Callable[[str], Any] = json.loads,
                           timeout: Optional[float] = None) -> Any:
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> "ClientWebSocketResponse":
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg

    async def __aenter__(self) -> "ClientWebSocketResponse":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class _Connecting:
    """What ``ws_connect`` returns: awaitable (the socket) and an ``async with`` context
    manager (closing the socket on the way out), as aiohttp's."""

    __slots__ = ("_open", "_ws")

    def __init__(self, open_socket: Any) -> None:
        self._open = open_socket
        self._ws: Optional[ClientWebSocketResponse] = None

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._open().__await__()

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._open()
        return self._ws

    async def __aexit__(self, *exc: Any) -> None:
        if self._ws is not None:
            await self._ws.close()


def _timeout(value: Any) -> Optional[float]:
    """aiohttp's ``timeout``: seconds, or a ``ClientWSTimeout``/``ClientTimeout``."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    for attribute in ("ws_close", "total", "connect"):
        seconds = getattr(value, attribute, None)
        if isinstance(seconds, (int, float)):
            return float(seconds)
    return None


def _headers(headers: Any, auth: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if headers is not None:
        items = headers.items() if hasattr(headers, "items") else headers
        pairs = [(str(k), str(v)) for k, v in items]
    if auth is not None:
        pairs.append(("Authorization", auth.encode()))
    return pairs


def ws_connect(session: Any, url: Any, *, method: str = "GET", protocols: Any = (),
               timeout: Any = None, receive_timeout: Optional[float] = None,
               autoclose: bool = True, autoping: bool = True, heartbeat: Optional[float] = None,
               auth: Any = None, origin: Optional[str] = None, params: Any = None,
               headers: Any = None, ssl: Any = True, verify_ssl: Optional[bool] = None,
               max_msg_size: int = 4 * 1024 * 1024, name: Optional[str] = None,
               **ignored: Any) -> _Connecting:
    """``session.ws_connect(url, ...)``: see the module's documentation."""
    text = str(url)
    if params:
        from urllib.parse import urlencode

        query = urlencode(list(params.items()) if hasattr(params, "items") else list(params))
        text += ("&" if "?" in text else "?") + query
    verify = None
    if ssl is False or verify_ssl is False:
        verify = False
    pairs = _headers(headers, auth)
    seconds = _timeout(timeout)

    async def open_socket() -> ClientWebSocketResponse:
        native = await session._ws_open(text, pairs, [str(p) for p in protocols], origin,
                                        seconds, int(max_msg_size), name, verify)
        return ClientWebSocketResponse(native, autoclose=autoclose, autoping=autoping,
                                       receive_timeout=receive_timeout, heartbeat=heartbeat)

    return _Connecting(open_socket)
