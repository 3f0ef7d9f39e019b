"""``--sizing`` for Python scripts: the same engine watch as for Rust load tests."""

LIMITED = """
import molotov

@molotov.scenario()
async def limited(session):
    # The server takes 4 requests at once, holding each 20 ms, and refuses the rest.
    async with session.get("http://localhost:8080/limit/4?hold=20") as resp:
        assert resp.status == 200
"""


def test_sizing_stops_at_the_tolerance_and_reports_the_workers(fresh_molotov):
    result = fresh_molotov.run("--sizing", "-w", "12", "--ramp-up", "3", "-d", "60", "-c",
                               source=LIMITED)
    assert result.code == 0, result
    assert "Sizing is over: a failure ratio of" in result.stdout, result
    assert result.results["stop"] == "sizing"
    reached = result.results["sizing"]["reached"]
    assert 5 <= reached["workers"] <= 12, result
    assert reached["ratio"] > 5.0
    assert result.elapsed < 20
    assert fresh_molotov.target.requests() == result.results["successes"] + result.results["failures"]
