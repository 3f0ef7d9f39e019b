"""Compressed responses: asked for and decoded by default (gzip, deflate, br), as aiohttp does;
``auto_decompress: False`` in ``setup``'s dict leaves bodies as sent; ``max_body`` caps them.
The ``--json`` request entries count bytes on the wire and decoded.
"""

SOURCE = """
import gzip
import zlib

import aiohttp
import molotov

API = "http://localhost:8080"
PATTERN = b"abcdefghijklmnopqrstuvwxyz"


def pattern(n):
    return (PATTERN * (n // 26 + 1))[:n]
"""


def test_compressed_bodies_are_decoded_and_counted_on_the_wire_and_decoded(fresh_molotov):
    result = fresh_molotov.run("-r", "2", "-v", source=SOURCE + """

@molotov.scenario()
async def compressed(session):
    for coding in ("gzip", "deflate"):
        async with session.get(f"{API}/{coding}/100000") as resp:
            assert resp.headers["Content-Encoding"] == coding
            assert await resp.read() == pattern(100000)
        async with session.get(f"{API}/{coding}/1000") as resp:
            assert await resp.text() == pattern(1000).decode()
    async with session.get(API + "/brotli") as resp:
        assert resp.headers["Content-Encoding"] == "br"
        assert await resp.text() == "hello, molotov! hello, molotov! hello, molotov!"
    async with session.get(API + "/echo") as resp:
        sent = (await resp.json())["headers"]
    assert sent["accept-encoding"] == "gzip, deflate, br", sent
""")
    assert result.code == 0 and result.results["successes"] == 2, result
    requests = result.results["requests"]
    for coding in ("gzip", "deflate"):
        big = requests[f"GET /{coding}/100000"]
        assert big["statuses"] == {"200": 2}, big
        assert big["body_bytes"] == 2 * 100000, big
        assert 0 < big["received_bytes"] < 2 * 10000, big
        small = requests[f"GET /{coding}/1000"]
        assert small["body_bytes"] == 2 * 1000, small
        assert fresh_molotov.target.requests(f"/{coding}/100000") == 2
    brotli = requests["GET /brotli"]
    assert brotli["body_bytes"] == 2 * len("hello, molotov! hello, molotov! hello, molotov!")


def test_auto_decompress_false_leaves_bodies_as_sent_and_max_body_caps_them(fresh_molotov):
    result = fresh_molotov.run("-r", "1", "-v", source=SOURCE + """

@molotov.setup()
async def init(worker_id, args):
    return {"auto_decompress": False, "max_body": 50000}


@molotov.scenario()
async def as_sent(session):
    async with session.get(API + "/gzip/10000") as resp:
        body = await resp.read()
    assert body[:2] == b"\\x1f\\x8b" and gzip.decompress(body) == pattern(10000)
    async with session.get(API + "/deflate/10000") as resp:
        assert zlib.decompress(await resp.read()) == pattern(10000)
    async with session.get(API + "/brotli") as resp:
        assert len(await resp.read()) == 31
    async with session.get(API + "/echo") as resp:
        sent = (await resp.json())["headers"]
    assert "accept-encoding" not in sent, sent
    async with session.get(API + "/bytes/50000") as resp:
        assert len(await resp.read()) == 50000
    try:
        async with session.get(API + "/bytes/50001") as resp:
            await resp.read()
    except aiohttp.ClientPayloadError:
        pass
    else:
        raise AssertionError("a body over max_body was accepted")
""")
    assert result.code == 0 and result.results["successes"] == 1, result
    requests = result.results["requests"]
    assert requests["GET /gzip/10000"]["body_bytes"] < 10000, requests["GET /gzip/10000"]
    assert requests["GET /bytes/50001"]["errors"] == {"too-large": 1}, requests["GET /bytes/50001"]
    assert fresh_molotov.target.requests("/bytes/50001") == 1
