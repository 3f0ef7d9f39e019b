"""

This Molotov script has 2 scenario

"""
import os

from molotov import scenario

# The server to load (the README's quickstart sets it to the bundled server's address).
_API = os.environ.get("MOLOTOV_TARGET", "http://localhost:8080")


@scenario(weight=40)
async def scenario_one(session):
    async with session.get(_API) as resp:
        res = await resp.json()
        assert res["result"] == "OK"
        assert resp.status == 200


@scenario(weight=60)
async def scenario_two(session):
    async with session.get(_API) as resp:
        assert resp.status == 200
