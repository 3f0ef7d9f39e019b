"""``session.ws_connect`` as aiohttp has it, against aiohttp's own WebSocket server (a server
molotov did not write) and the bundled target's ``/ws`` echo: text, binary and JSON echoed,
ping/pong, a close the server starts, a handshake refused with 403, a server that never
answers the handshake; the handshake is the request ``WS /path`` in the results."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SERVER = '''
import sys
from aiohttp import web

async def ws(request):
    if request.query.get("refuse"):
        return web.Response(status=403, text="no")
    ws = web.WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    with open(sys.argv[2], "a") as f:
        f.write(f"handshake {request.headers.get('X-Test', '')} {request.headers.get('Origin', '')}\\n")
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close(code=4000, message=b"server says bye")
                break
            if msg.data == "ping-me":
                await ws.ping(b"hi")
                continue
            await ws.send_str(msg.data)
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws

app = web.Application()
app.router.add_get("/ws", ws)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
'''

SCRIPT = """
import json

import aiohttp
import molotov

@molotov.scenario()
async def chat(session):
    async with session.ws_connect("{WS}", protocols=("chat",), headers={"X-Test": "yes"},
                                  origin="http://example.test") as ws:
        assert ws.protocol == "chat", ws.protocol
        await ws.send_str("hello")
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.TEXT and msg.data == "hello", msg
        await ws.send_bytes(b"\\x00\\x01")
        assert await ws.receive_bytes() == b"\\x00\\x01"
        await ws.send_json({"a": [1, 2]})
        assert await ws.receive_json() == {"a": [1, 2]}
        # autoping: pings are answered, not returned; ask for one and then for an echo.
        await ws.send_str("ping-me")
        await ws.send_str("after")
        assert await ws.receive_str() == "after"
        await ws.send_str("close")
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE, msg
        assert msg.data == 4000 and msg.extra == "server says bye", msg
        assert ws.closed and ws.close_code == 4000
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSED

@molotov.scenario(weight=1)
async def refused(session):
    try:
        await session.ws_connect("{WS}?refuse=1")
    except aiohttp.WSServerHandshakeError as error:
        assert error.status == 403, error.status
    else:
        raise AssertionError("the handshake was not refused")

@molotov.scenario(weight=1)
async def silent(session):
    try:
        await session.ws_connect("{SILENT}", timeout=0.5)
    except aiohttp.ServerTimeoutError:
        pass
    else:
        raise AssertionError("no timeout")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aiohttp_server(tmp: Path) -> tuple[subprocess.Popen, int, Path]:
    (tmp / "server.py").write_text(SERVER)
    log = tmp / "server.log"
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(tmp / "server.py"), str(port), str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, log
        except OSError:
            assert proc.poll() is None, "the aiohttp server exited"
            assert time.monotonic() < deadline, "the aiohttp server did not start"
            time.sleep(0.1)


def silent_server() -> tuple[socket.socket, int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def script(ws: str, silent: str) -> str:
    return SCRIPT.replace("{WS}", ws).replace("{SILENT}", silent)


def test_aiohttp_clients_websocket_api_against_aiohttps_server(fresh_molotov, tmp_path):
    proc, port, log = aiohttp_server(tmp_path)
    listener, silent = silent_server()
    try:
        source = script(f"ws://127.0.0.1:{port}/ws", f"ws://127.0.0.1:{silent}/ws")
        result = fresh_molotov.run("-w", "2", "-r", "3", "-c", "-s", "chat", source=source,
                                   connect=False)
        assert result.code == 0, result
        assert result.results["successes"] == 6, result
        handshake = result.results["requests"]["WS /ws"]
        assert handshake["statuses"] == {"101": 6}, handshake
        assert log.read_text().splitlines() == ["handshake yes http://example.test"] * 6
        # The server's close (4000, an application code) is a normal end.
        sockets = result.results["websockets"]["/ws"]
        assert (sockets["opened"], sockets["closed"], sockets["failures"]) == (6, 6, {}), sockets
        # Sent: hello, the bytes, the JSON, ping-me, after, close; received: 4 echoes.
        assert sockets["sent"] == 6 * 6 and sockets["received"] == 6 * 4, sockets

        refused = fresh_molotov.run("-r", "2", "-c", "-s", "refused", source=source,
                                    connect=False)
        assert refused.code == 0 and refused.results["successes"] == 2, refused
        assert refused.results["requests"]["WS /ws"]["errors"] == {"websocket": 2}

        timed_out = fresh_molotov.run("-r", "1", "-c", "-s", "silent", source=source,
                                      connect=False)
        assert timed_out.code == 0 and timed_out.results["successes"] == 1, timed_out
        assert timed_out.results["requests"]["WS /ws"]["errors"] == {"timeout": 1}
    finally:
        proc.terminate()
        proc.wait()
        listener.close()


ECHO = """
import aiohttp
import molotov

@molotov.scenario()
async def echo(session):
    async with session.ws_connect("ws://localhost:8080/ws", name="echo") as ws:
        for i in range(5):
            await ws.send_str(f"m{i}")
        got = []
        async for msg in ws:
            got.append(msg.data)
            if len(got) == 5:
                break
        assert got == [f"m{i}" for i in range(5)], got
    assert ws.closed and ws.close_code == 1000
"""


def test_the_bundled_targets_echo(fresh_molotov):
    result = fresh_molotov.run("-w", "3", "-r", "4", "-c", source=ECHO)
    assert result.code == 0 and result.results["successes"] == 12, result
    assert result.results["requests"]["WS echo"]["statuses"] == {"101": 12}
    assert fresh_molotov.target.requests("/ws") == 12
    sockets = result.results["websockets"]["echo"]
    assert (sockets["opened"], sockets["closed"], sockets["sent"], sockets["received"]) == (
        12, 12, 60, 60), sockets
    assert sockets["duration"]["count"] == 12
    assert "WebSocket" in result.stdout and "echo" in result.stdout


EVENTS = """
import molotov

SEEN = []

@molotov.events()
async def record(event, **info):
    if event == "sending_request":
        SEEN.append(("sending", str(info["request"].url)))
    elif event == "response_received":
        SEEN.append(("received", info["response"].status))

@molotov.scenario()
async def echo(session):
    SEEN.clear()
    async with session.ws_connect("ws://localhost:8080/ws") as ws:
        await ws.send_str("x")
        assert (await ws.receive()).data == "x"
    assert SEEN == [("sending", "ws://localhost:8080/ws"), ("received", 101)], SEEN
"""


def test_events_fire_for_the_handshake(fresh_molotov):
    result = fresh_molotov.run("-r", "2", "-c", source=EVENTS)
    assert result.code == 0 and result.results["successes"] == 2, result
