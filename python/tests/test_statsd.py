"""``--statsd``: per-request and per-scenario metrics over UDP, and
``get_context(session).statsd`` for a script's own metrics."""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict

import pytest

SCRIPT = """
import molotov
from molotov import get_context

seen = []

def note(statsd):
    # Whichever scenario runs first (with -r 5, all five may be `broken`).
    if not seen:
        seen.append(1)
        with open("{log}", "a") as f:
            f.write(repr(statsd) + "\\n")

@molotov.scenario(weight=70)
async def home(session):
    statsd = get_context(session).statsd
    note(statsd)
    if statsd is not None:
        statsd.incr("BLEH")
        statsd.increment("script.total", 2)
        statsd.gauge("script.gauge", 1.5)
        statsd.timing("script.timing", 12.4)
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200

@molotov.scenario(weight=30)
async def broken(session):
    note(get_context(session).statsd)
    async with session.get("http://localhost:8080/status/500") as resp:
        assert resp.status == 200
"""


class Listener:
    """A statsd server on 127.0.0.1:0 keeping every line it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "udp://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.lines: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self) -> None:
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            self.lines.extend(data.decode().splitlines())

    def totals(self) -> dict[str, list[float]]:
        """Once nothing arrives any more: the values received, by ``name|type``."""
        seen = -1
        while len(self.lines) != seen:
            seen = len(self.lines)
            time.sleep(0.3)
        self.running = False
        self.thread.join()
        self.sock.close()
        totals: dict[str, list[float]] = defaultdict(list)
        for line in self.lines:
            name, rest = line.split(":", 1)
            value, kind = rest.split("|", 1)
            totals[f"{name}|{kind}"].append(float(value))
        return totals


@pytest.mark.parametrize("processes", ["1", "2"])
def test_every_request_and_run_is_sent_and_scripts_have_a_client(fresh_molotov, processes):
    listener = Listener()
    result = fresh_molotov.run("-p", processes, "-w", "3", "-r", "30", "-q", "--statsd",
                               "--statsd-address", listener.address, source=SCRIPT)
    assert result.code == 0, result
    totals = listener.totals()
    ok = fresh_molotov.target.requests("/")
    failed = fresh_molotov.target.requests("/status/500")
    assert ok > 0 and failed > 0
    assert len(totals["molotov.request.GET.root|ms"]) == ok
    assert sum(totals["molotov.request.GET.root.200|c"]) == ok
    assert sum(totals["molotov.request.GET.status.500.500|c"]) == failed
    assert sum(totals["molotov.scenario.home.success|c"]) == result.scenario("home")["successes"] == ok
    assert sum(totals["molotov.scenario.broken.failure|c"]) == result.scenario("broken")["failures"] == failed
    # The script's own metrics, with aiodogstatsd's names and the docs' incr.
    assert sum(totals["BLEH|c"]) == ok
    assert sum(totals["script.total|c"]) == 2 * ok
    assert totals["script.gauge|g"][0] == 1.5
    assert totals["script.timing|ms"][0] == 12
    assert "statsd client" in fresh_molotov.lines()[0]


def test_without_statsd_the_client_is_none(fresh_molotov):
    result = fresh_molotov.run("-w", "1", "-r", "5", "-q", source=SCRIPT)
    assert result.code == 0, result
    assert fresh_molotov.lines() == ["None"]


def test_a_bad_statsd_address_is_one_error_line(fresh_molotov):
    result = fresh_molotov.run("-r", "1", "--statsd", "--statsd-address", "tcp://localhost:8125",
                               source=SCRIPT)
    assert result.code == 2, result
    assert len(result.error_lines()) == 1 and "statsd address" in result.error_lines()[0], result
