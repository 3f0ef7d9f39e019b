"""Request bodies that aiohttp's payload machinery makes: multipart ``FormData`` (files
included), ``MultipartWriter``, file objects, async generators, aiohttp payloads.

The session hands such a ``data=`` to :class:`PayloadRequest`: when it is awaited (or entered
with ``async with``), the payload writes itself into memory (files are read in a thread, as
aiohttp does, async generators iterated), then the request is sent with those bytes, the
payload's headers (``Content-Type`` with the multipart boundary, ``Content-Disposition``) under
the script's own, and ``Transfer-Encoding: chunked`` when the payload's length was unknown (an
async generator), as aiohttp sends it. The body is collected before it is sent: it is not
streamed on the wire.
"""

from __future__ import annotations

import inspect
from typing import Any, Generator, Optional


class _Collector:
    """The writer a payload writes itself into (aiohttp's ``AbstractStreamWriter`` calls)."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.buffer_size = 0
        self.output_size = 0
        self.length: Optional[int] = None

    async def write(self, chunk: Any) -> None:
        self.body += chunk

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.body += chunk

    async def drain(self) -> None:
        pass

    async def write_headers(self, *args: Any) -> None:
        pass

    def enable_compression(self, *args: Any, **kwargs: Any) -> None:
        pass

    def enable_chunking(self) -> None:
        pass

    def send_headers(self) -> None:
        pass


def _payload(data: Any) -> Any:
    import aiohttp
    from aiohttp import payload

    if isinstance(data, aiohttp.FormData):
        return data()
    if isinstance(data, payload.Payload):
        return data
    try:
        return payload.get_payload(data)
    except payload.LookupError:  # aiohttp's own class: nothing makes a payload of it
        raise TypeError(f"molotov cannot send a {type(data).__name__} as a request body") from None


async def collect(data: Any) -> tuple[bytes, list[tuple[str, str]]]:
    """The bytes of ``data`` and the headers its payload sends with them."""
    body = _payload(data)
    writer = _Collector()
    try:
        await body.write(writer)
        # Read before closing: a file payload's size asks the file, which aiohttp closes in
        # a thread, so after `close` it may be closed already or not yet.
        headers = [(str(name), str(value)) for name, value in body.headers.items()]
        if body.size is None:
            headers.append(("Transfer-Encoding", "chunked"))
    finally:
        # aiohttp closes a payload once sent (a file it opened, for example).
        close = getattr(body, "close", None)
        if close is not None:
            closed = close()
            if inspect.isawaitable(closed):
                await closed
    return bytes(writer.body), headers


def _merge(theirs: Any, payload_headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The script's headers, then those of the payload that the script does not set."""
    if theirs is None:
        ours: list[tuple[str, str]] = []
    elif hasattr(theirs, "items"):
        ours = [(str(k), str(v)) for k, v in theirs.items()]
    else:
        ours = [(str(k), str(v)) for k, v in theirs]
    taken = {k.lower() for k, _ in ours}
    if "content-length" in taken or "transfer-encoding" in taken:
        taken.update(("content-length", "transfer-encoding"))
    return ours + [(k, v) for k, v in payload_headers if k.lower() not in taken]


async def _send(session: Any, method: str, url: Any, kwargs: dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    body, headers = await collect(kwargs.pop("data"))
    if kwargs.pop("chunked", None):
        headers.append(("Transfer-Encoding", "chunked"))
    kwargs["headers"] = _merge(kwargs.get("headers"), headers)
    return await session.request(method, url, data=body, **kwargs)


class PayloadRequest:
    """``session.post(url, data=...)`` for such a body: awaitable, an ``async with`` context
    manager (leaving it releases the response) and a coroutine (``asyncio.create_task``)."""

    __slots__ = ("_coro", "_response")

    def __init__(self, session: Any, method: str, url: Any, kwargs: dict[str, Any]) -> None:
        self._coro = _send(session, method, url, kwargs)
        self._response: Any = None

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> Any:
        self._response = await self._coro
        return self._response

    async def __aexit__(self, *exc: Any) -> None:
        if self._response is not None:
            self._response.release()
