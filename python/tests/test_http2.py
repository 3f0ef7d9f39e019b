"""HTTP/2 from Python scripts against a server molotov did not write: ``hypercorn`` (PyPI), over
h2c (prior knowledge, ``--http2``) and over TLS with ALPN (``"http2": True`` in the dict
``setup`` returns). The server logs the HTTP version of every request it served."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import BIN

APP = '''
import os

LOG = os.environ["H2_LOG"]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    with open(LOG, "a") as f:
        f.write(scope["http_version"] + "\\n")
    body = scope["http_version"].encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
'''

SCRIPT = """
import asyncio

import aiohttp
import molotov

@molotov.setup()
async def init(worker_id, args):
    return {OPTIONS}

@molotov.scenario()
async def gathered(session):
    async def one():
        async with session.get("{URL}/") as resp:
            assert resp.status == 200, resp.status
            assert resp.version == aiohttp.HttpVersion(2, 0), resp.version
            assert resp.version.major == 2
            assert await resp.text() == "2"
    await asyncio.gather(*(one() for _ in range(4)))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hypercorn:
    """``hypercorn`` serving ``APP`` on a free loopback port, with TLS when ``tls``."""

    def __init__(self, tmp: Path, tls: bool) -> None:
        binary = os.path.join(BIN, "hypercorn")
        if not os.access(binary, os.X_OK):
            pytest.skip("hypercorn is not installed (pip install hypercorn)")
        (tmp / "h2app.py").write_text(APP)
        self.log = tmp / "versions.log"
        self.port = free_port()
        args = [binary, "h2app:app", "--bind", f"127.0.0.1:{self.port}"]
        scheme = "http"
        if tls:
            if shutil.which("openssl") is None:
                pytest.skip("openssl is needed to make a certificate")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-subj", "/CN=localhost", "-keyout", str(tmp / "key.pem"),
                            "-out", str(tmp / "cert.pem"), "-days", "1"],
                           check=True, capture_output=True)
            args += ["--certfile", str(tmp / "cert.pem"), "--keyfile", str(tmp / "key.pem")]
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        env = dict(os.environ, H2_LOG=str(self.log), PYTHONPATH=str(tmp))
        self.proc = subprocess.Popen(args, cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert self.proc.poll() is None, "hypercorn exited"
                assert time.monotonic() < deadline, "hypercorn did not start"
                time.sleep(0.1)

    def versions(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls-alpn"])
def test_every_request_is_http2_on_the_servers_side(fresh_molotov, tmp_path, tls):
    server = Hypercorn(tmp_path, tls)
    try:
        # h2c with --http2; TLS with the session option (and no certificate check).
        options = '{"http2": True, "ssl": False}' if tls else "{}"
        args = ["-w", "2", "-r", "5", "-c"] + ([] if tls else ["--http2"])
        source = SCRIPT.replace("{OPTIONS}", options).replace("{URL}", server.url)
        result = fresh_molotov.run(*args, source=source, connect=False)
    finally:
        server.stop()
    assert result.code == 0, result
    r = result.results
    assert r["successes"] == 10 and r["failures"] == 0, result
    versions = server.versions()
    # 2 workers x 5 runs x 4 gathered requests, every one HTTP/2.
    assert versions == ["2"] * 40, versions
    assert r["requests"]["GET /"]["statuses"] == {"200": 40}


def test_without_http2_a_script_still_speaks_http1(fresh_molotov, tmp_path):
    server = Hypercorn(tmp_path, tls=False)
    try:
        source = textwrap.dedent(f"""
            import molotov

            @molotov.scenario()
            async def plain(session):
                async with session.get("{server.url}/") as resp:
                    assert resp.version == (1, 1), resp.version
                    assert await resp.text() == "1.1"
        """)
        result = fresh_molotov.run("-r", "3", "-c", source=source, connect=False)
    finally:
        server.stop()
    assert result.code == 0 and result.results["successes"] == 3, result
    assert server.versions() == ["1.1"] * 3
