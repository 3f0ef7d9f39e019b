"""Response bodies read as they arrive: ``resp.content`` (aiohttp's ``StreamReader`` methods),
``read()``/``text()``/``json()`` of bodies larger than what comes with the head, release,
timeouts, constant memory.

The target's ``/bytes/{n}`` and ``/chunked/{n}`` send ``n`` bytes of ``abc...z`` repeated; a body
larger than 64 KiB is not complete when ``await session.get()`` returns, so its reads do I/O.
"""

import textwrap

import pytest

from conftest import PICK_OWN, Molotov

PRELUDE = """
import asyncio

import aiohttp
import molotov

API = "http://localhost:8080"
PATTERN = b"abcdefghijklmnopqrstuvwxyz"


def pattern(n, start=0):
    return (PATTERN * ((start + n) // 26 + 2))[start:start + n]
"""

SCENARIOS = {
    "a_small_body_is_read_in_pieces_without_io": """
        async with session.get(API + "/bytes/100") as resp:
            content = resp.content
            assert content.is_eof()  # it came whole with the head
            assert not content.at_eof()
            assert await content.read(10) == pattern(10)
            assert await content.readexactly(5) == pattern(5, 10)
            assert content.read_nowait(5) == pattern(5, 15)
            assert await content.readany() == pattern(80, 20)
            assert content.at_eof()
            assert await content.read() == b""
            assert await content.readany() == b""
            # As in aiohttp: the content reader had the whole body.
            assert await resp.read() == b""
    """,
    "after_read_the_content_reader_is_at_its_end": """
        async with session.get(API + "/bytes/100") as resp:
            assert await resp.read() == pattern(100)
            assert resp.content.at_eof()
            assert await resp.content.read() == b""
            assert await resp.read() == pattern(100)
            assert await resp.text() == pattern(100).decode()
    """,
    "a_large_body_is_read_whole_by_read_and_text": """
        async with session.get(API + "/bytes/1000000") as resp:
            assert not resp.content.is_eof()
            body = await resp.read()
            assert body == pattern(1000000)
            assert await resp.read() == body
            assert await resp.text() == body.decode()
            assert resp.content.is_eof() and resp.content.at_eof()
    """,
    "json_of_a_body_larger_than_what_came_with_the_head": """
        sent = "x" * 200000
        async with session.post(API + "/echo", data=sent) as resp:
            assert not resp.content.is_eof(), "the echo came whole with its head"
            echoed = await resp.json()
        assert echoed["body"] == sent
    """,
    "text_of_a_large_chunked_body": """
        async with session.get(API + "/chunked/300000") as resp:
            assert await resp.text() == pattern(300000).decode()
    """,
    "readexactly_across_pieces_and_past_the_end": """
        async with session.get(API + "/chunked/1000000") as resp:
            assert await resp.content.readexactly(100001) == pattern(100001)
            assert await resp.content.readexactly(800000) == pattern(800000, 100001)
            try:
                await resp.content.readexactly(100000)
            except asyncio.IncompleteReadError as error:
                assert error.partial == pattern(99999, 900001), len(error.partial)
                assert error.expected == 100000
            else:
                raise AssertionError("no IncompleteReadError")
            assert resp.content.at_eof()
    """,
    "readuntil_finds_separators_that_straddle_pieces": """
        parts = total = 0
        async with session.get(API + "/chunked/1000000") as resp:
            while part := await resp.content.readuntil(b"yza"):
                assert part == pattern(len(part), total), (total, part[:40])
                total += len(part)
                parts += 1
        # "yza" starts at 24 + 26k; the last part is what follows the last one.
        assert (parts, total) == (38461 + 1, 1000000), (parts, total)
    """,
    "readline_and_async_for_lines": """
        async with session.get(API + "/bytes/100") as resp:
            resp.content.unread_data(b"one\\ntwo\\n")
            assert await resp.content.readline() == b"one\\n"
            lines = [line async for line in resp.content]
        assert lines == [b"two\\n", pattern(100)], lines
    """,
    "iter_chunked_gives_pieces_of_at_most_n_bytes": """
        got = bytearray()
        async with session.get(API + "/chunked/1000000") as resp:
            async for piece in resp.content.iter_chunked(30000):
                assert 0 < len(piece) <= 30000, len(piece)
                got += piece
            assert resp.content.at_eof()
        assert bytes(got) == pattern(1000000)
    """,
    "iter_any_and_iter_chunks_give_the_whole_body": """
        async with session.get(API + "/bytes/500000") as resp:
            pieces = [piece async for piece in resp.content.iter_any()]
        assert b"".join(pieces) == pattern(500000) and len(pieces) > 1
        async with session.get(API + "/bytes/500000") as resp:
            pairs = [pair async for pair in resp.content.iter_chunks()]
        assert {flag for _, flag in pairs} == {False}
        assert b"".join(data for data, _ in pairs) == pattern(500000)
    """,
    "read_n_then_read_gives_the_rest": """
        async with session.get(API + "/bytes/1000000") as resp:
            assert await resp.content.read(10) == pattern(10)
            assert await resp.read() == pattern(999990, 10)
    """,
    "a_compressed_body_is_decoded_as_it_arrives": """
        got = bytearray()
        async with session.get(API + "/gzip/2000000") as resp:
            async for piece in resp.content.iter_chunked(65536):
                got += piece
        assert bytes(got) == pattern(2000000)
    """,
    "the_body_can_be_read_from_asyncio_tasks": """
        async with session.get(API + "/bytes/1000000") as resp:
            async def first():
                return await resp.content.readexactly(70000)
            assert await asyncio.create_task(first()) == pattern(70000)
            assert await asyncio.wait_for(resp.content.read(), 10) == pattern(930000, 70000)
    """,
    "release_drops_the_unread_body": """
        resp = await session.get(API + "/bytes/1000000")
        assert resp.status == 200
        await resp.release()
        assert resp.content.at_eof()
    """,
}


def _script() -> str:
    parts = [PRELUDE, PICK_OWN]
    for name, body in SCENARIOS.items():
        parts.append(f"\n@molotov.scenario()\nasync def {name}(session):\n"
                     + textwrap.indent(textwrap.dedent(body), "    "))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def streaming_run(tmp_path_factory, target):
    runner = Molotov(tmp_path_factory.mktemp("streaming"), target)
    path = runner.write(_script(), "streaming_script.py")
    return runner.run("-w", str(len(SCENARIOS)), "-r", "1", "-v", "-d", "30",
                      "--force-shutdown", str(path))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_streaming_behaviour(streaming_run, name):
    entry = streaming_run.scenario(name)
    if entry["successes"] != 1:
        index = streaming_run.output.find(f"{name}:")
        detail = streaming_run.output[index:index + 1500] if index >= 0 else streaming_run.output[-3000:]
        pytest.fail(f"scenario {name} did not succeed: {entry}\n{detail}")


def test_a_streamed_request_is_recorded_when_its_body_ends_or_is_released(fresh_molotov):
    result = fresh_molotov.run("-r", "1", source="""
        import molotov

        API = "http://localhost:8080"

        @molotov.scenario()
        async def bodies(session):
            async with session.get(API + "/bytes/10") as resp:
                assert await resp.read() == b"abcdefghij"
            # Left unread: leaving `async with` drops it and closes its connection.
            async with session.get(API + "/bytes/500000") as resp:
                assert resp.status == 200
            async with session.get(API + "/bytes/20") as resp:
                assert len(await resp.read()) == 20
            async with session.get(API + "/bytes/1000000") as resp:
                size = 0
                async for piece in resp.content.iter_chunked(65536):
                    size += len(piece)
            assert size == 1000000
    """)
    assert result.code == 0 and result.results["successes"] == 1, result
    requests = result.results["requests"]
    whole = requests["GET /bytes/1000000"]
    assert (whole["statuses"], whole["body_bytes"]) == ({"200": 1}, 1000000), whole
    released = requests["GET /bytes/500000"]
    assert released["statuses"] == {"200": 1}, released
    assert 0 < released["body_bytes"] < 500000, released
    stats = fresh_molotov.target.stats()
    assert stats["requests"] == 4, stats
    # The released request came on the first connection, which was closed with it: the
    # next request opened a second one (a drained body would have kept the first). The
    # /stats request counts its own connection.
    assert stats["connections"] == 2 + 1, stats


def test_a_body_that_stalls_times_out_and_reads_of_it_are_one_at_a_time(molotov):
    result = molotov.run("-r", "1", "-v", source="""
        import asyncio
        import time

        import aiohttp
        import molotov

        API = "http://localhost:8080"

        @molotov.scenario()
        async def stalled(session):
            # The head and 128 KiB come at once, then nothing: the request's timeout bounds
            # the reading of its body too.
            resp = await session.get(API + "/stall-body", timeout=0.5)
            started = time.monotonic()
            try:
                await resp.read()
            except aiohttp.ServerTimeoutError:
                assert time.monotonic() - started < 5
            else:
                raise AssertionError("the stalled body did not time out")

            resp = await session.get(API + "/stall-body")
            reader = asyncio.create_task(resp.content.readexactly(1048576))
            await asyncio.sleep(0.2)
            try:
                await resp.content.read(1)
            except RuntimeError as error:
                assert "in progress" in str(error), error
            else:
                raise AssertionError("two reads of one body at once")
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass
            await asyncio.sleep(0.05)
            # What the cancelled read had taken is lost: the body cannot go on.
            try:
                await resp.content.read(1)
            except aiohttp.ServerDisconnectedError:
                pass
            else:
                raise AssertionError("a body read after a cancelled read")

            started = time.monotonic()
            async with session.get(API + "/stall-body") as resp:
                assert resp.status == 200
            assert time.monotonic() - started < 5
    """)
    assert result.code == 0 and result.results["successes"] == 1, result
    entry = result.results["requests"]["GET /stall-body"]
    assert entry["statuses"] == {"200": 2}, entry
    assert entry["errors"] == {"timeout": 1}, entry


# What /endless-body sends: blocks of 630 times the alphabet until 256 MiB are written.
ENDLESS_BLOCK = 26 * (16 * 1024 // 26)
ENDLESS_SIZE = -(-256 * 1024 * 1024 // ENDLESS_BLOCK) * ENDLESS_BLOCK


def test_a_256_mib_download_streams_in_constant_memory(molotov):
    result = molotov.run("-r", "1", "-d", "60", source="""
        import molotov

        def peak_kib():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])

        @molotov.scenario()
        async def download(session):
            before = peak_kib()
            size = 0
            async with session.get("http://localhost:8080/endless-body") as resp:
                async for piece in resp.content.iter_chunked(65536):
                    size += len(piece)
            with open("{log}", "w") as log:
                log.write(f"{size} {before} {peak_kib()}\\n")
    """)
    assert result.code == 0 and result.results["successes"] == 1, result
    size, before, after = map(int, molotov.lines()[0].split())
    assert size == ENDLESS_SIZE, (size, ENDLESS_SIZE)
    grown_mib = (after - before) / 1024
    print(f"peak RSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after a "
          f"{size / 2**20:.0f} MiB download (+{grown_mib:.1f} MiB)")
    assert grown_mib < 16, (before, after)
