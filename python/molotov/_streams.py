"""``resp.content``: a stream reader over a response body, as aiohttp's ``StreamReader``.

It reads the body as it arrives, so a scenario can go through a body of any size in constant
memory (``async for piece in resp.content.iter_chunked(65536)``). The reader keeps no state of
its own: the response holds what was put back (``_unread``), so every ``resp.content`` is the
same stream. Each read that needs the network is a request-like awaitable that the engine
performs; a body that came whole with its head is read without I/O.

What differs from aiohttp: ``readchunk()`` cannot tell where an HTTP chunk ended (the engine
does not keep chunk boundaries), so its flag is always ``False``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

#: The longest line or separated chunk ``readline()``/``readuntil()`` accept (aiohttp's
#: limit for a response: twice its 64 KiB read buffer).
LIMIT = 2**17


class StreamReader:
    """The body of a response, read as it arrives (aiohttp's ``StreamReader`` methods)."""

    __slots__ = ("_resp",)

    def __init__(self, response: Any) -> None:
        self._resp = response

    def __repr__(self) -> str:
        return f"<StreamReader of {self._resp!r}>"

    def exception(self) -> None:
        """The error the stream ended with: a read raises it instead, so always ``None``."""
        return None

    def is_eof(self) -> bool:
        """Whether the whole body has arrived (some of it may still be unread)."""
        return bool(self._resp._complete())

    def at_eof(self) -> bool:
        """Whether the whole body has arrived and been read."""
        return bool(self._resp._at_end())

    async def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes, as soon as some are there; everything left for ``n < 0``;
        ``b""`` at the end."""
        if n < 0:
            return await self._resp._rest()
        if n == 0:
            return b""
        piece = await self._resp._piece()
        if len(piece) > n:
            self._resp._unread(piece[n:])
            piece = piece[:n]
        return piece

    async def readany(self) -> bytes:
        """The next piece of the body, as it arrived; ``b""`` at the end."""
        return await self._resp._piece()

    async def readchunk(self) -> tuple[bytes, bool]:
        """``(data, end_of_http_chunk)``: the next piece; ``(b"", False)`` at the end."""
        return (await self._resp._piece(), False)

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; ``asyncio.IncompleteReadError`` if the body ends before."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        got = bytearray()
        while len(got) < n:
            piece = await self._resp._piece()
            if not piece:
                raise asyncio.IncompleteReadError(bytes(got), n)
            if not got and len(piece) >= n:
                if len(piece) > n:
                    self._resp._unread(piece[n:])
                return piece[:n] if len(piece) > n else piece
            got += piece
        if len(got) > n:
            self._resp._unread(bytes(got[n:]))
            del got[n:]
        return bytes(got)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Up to and including ``separator``, or what is left at the end of the body;
        ``ValueError("Chunk too big")`` past :data:`LIMIT` bytes without it."""
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        got = bytearray()
        searched = 0
        while True:
            piece = await self._resp._piece()
            if not piece:
                return bytes(got)
            got += piece
            found = got.find(separator, searched)
            if found >= 0:
                end = found + len(separator)
                if end < len(got):
                    self._resp._unread(bytes(got[end:]))
                    del got[end:]
                return bytes(got)
            # The separator may straddle this piece and the next one.
            searched = max(0, len(got) - len(separator) + 1)
            if len(got) > LIMIT:
                raise ValueError("Chunk too big")

    async def readline(self) -> bytes:
        """The next line, with its ``\\n`` (the last one may have none); ``b""`` at the end."""
        return await self.readuntil(b"\n")

    def read_nowait(self, n: int = -1) -> bytes:
        """What is there without waiting (at most ``n`` bytes)."""
        data = self._resp._buffered()
        if 0 <= n < len(data):
            self._resp._unread(data[n:])
            data = data[:n]
        return data

    def unread_data(self, data: bytes) -> None:
        """Puts ``data`` back in front of the stream."""
        self._resp._unread(data)

    def iter_chunked(self, n: int) -> "_Iterator":
        """``async for`` over pieces of at most ``n`` bytes."""
        return _Iterator(lambda: self.read(n))

    def iter_any(self) -> "_Iterator":
        """``async for`` over the pieces as they arrive."""
        return _Iterator(self.readany)

    def iter_chunks(self) -> "_ChunkIterator":
        """``async for`` over ``(data, end_of_http_chunk)`` pairs (see :meth:`readchunk`)."""
        return _ChunkIterator(self)

    def __aiter__(self) -> "_Iterator":
        """``async for line in resp.content``: the lines of the body."""
        return _Iterator(self.readline)


class _Iterator:
    """Calls ``read`` until it returns ``b""``."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[bytes]]) -> None:
        self._read = read

    def __aiter__(self) -> "_Iterator":
        return self

    async def __anext__(self) -> bytes:
        data = await self._read()
        if not data:
            raise StopAsyncIteration
        return data


class _ChunkIterator:
    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> "_ChunkIterator":
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        chunk = await self._stream.readchunk()
        if chunk == (b"", False):
            raise StopAsyncIteration
        return chunk
