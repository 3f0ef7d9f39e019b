"""Sharded runs of Python scripts (``--shard``, ``--shards`` with ``JOB_COMPLETION_INDEX``,
``--results-stdout``, ``molotov-report -``) and ``molotov-kube``'s manifests: validated against
the Kubernetes JSON schemas (``kubernetes-validate``), and a pod's command line run locally, one
process per index, merged as ``kubectl logs | molotov-report -`` would."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import BIN, MOLOTOV, run_process

REPORT = os.path.join(BIN, "molotov-report")
KUBE = os.path.join(BIN, "molotov-kube")

SCRIPT = """
import molotov

@molotov.global_setup()
def init(args):
    with open("{log}", "a") as f:
        f.write("global_setup\\n")

@molotov.setup()
async def init_worker(worker_id, args):
    with open("{log}", "a") as f:
        f.write(f"worker {worker_id}\\n")
    return {}

@molotov.scenario()
async def hit(session):
    async with session.get("http://localhost:8080/") as resp:
        assert resp.status == 200
"""


def test_three_shards_by_index_make_one_run(fresh_molotov, tmp_path):
    stream = []
    for index in range(3):
        result = fresh_molotov.run("-w", "5", "-r", "4", "-q", "--shards", "3", "--results-stdout",
                                   "--shard-fixtures", "first", source=SCRIPT,
                                   env={"JOB_COMPLETION_INDEX": str(index)})
        assert result.code == 0, result
        assert result.results["shard"] == {"index": index, "count": 3}
        stream.append(result.stdout)
    assert fresh_molotov.target.requests("/") == 20, "5 workers x 4 runs, over 3 shards"
    lines = fresh_molotov.lines()
    assert lines.count("global_setup") == 1, "--shard-fixtures first"
    workers = sorted(int(line.split()[1]) for line in lines if line.startswith("worker "))
    assert workers == [0, 1, 2, 3, 4], "worker ids unique across shards"
    done = subprocess.run([REPORT, "-"], input="".join(stream), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESSES: 20 | FAILURES: 0" in done.stdout, done.stdout
    # A shard missing is refused.
    done = subprocess.run([REPORT, "-"], input="".join(stream[:2]), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "shards are missing: 2" in done.stderr, done.stderr


def kube(*args: str) -> subprocess.CompletedProcess:
    return run_process([KUBE, *args])


def test_kube_manifests_validate_for_python_and_rust(molotov, tmp_path):
    validate = pytest.importorskip("kubernetes_validate")
    script = molotov.write(SCRIPT)
    config = tmp_path / "molotov.json"
    config.write_text(json.dumps({"molotov": {"tests": {"smoke": {"scenario": "loadtest.py", "duration": 30}}}}))
    for args in (
        [str(script), "--shards", "4", "--image", "molotov:1", "-w", "50", "-d", "300", "--cpu", "2",
         "--memory", "1Gi", "--namespace", "load"],
        [str(script), "--shards", "2", "--image", "molotov:1", "--config", str(config), "--test", "smoke"],
        ["/usr/local/bin/hello", "--rust", "--shards", "3", "--image", "my-load-test:1", "-w", "10"],
    ):
        done = kube(*args)
        assert done.returncode == 0, done.stderr
        listing = json.loads(done.stdout)
        assert listing["kind"] == "List"
        for item in listing["items"]:
            validate.validate(item, validate.latest_version(), strict=True)
        job = listing["items"][-1]
        spec = job["spec"]
        assert spec["completionMode"] == "Indexed"
        assert spec["completions"] == spec["parallelism"] == int(args[args.index("--shards") + 1])
        assert spec["backoffLimit"] == 0
        pod = spec["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        command = pod["containers"][0]["args"]
        assert "--results-stdout" in command and "--start-at" in command
        assert spec["template"]["metadata"]["labels"]["molotov.run"] == job["metadata"]["name"]
    # Exported metrics: every shard gets the Job's name as its run_id, unless one is given.
    for given, run_id in ([], "molotov-loadtest"), (["--run-id", "mine"], "mine"):
        done = kube(str(script), "--shards", "2", "--image", "x", "--prometheus-write",
                    "http://prometheus:9090/api/v1/write", *given)
        assert done.returncode == 0, done.stderr
        command = json.loads(done.stdout)["items"][-1]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert command.count("--run-id") == 1, command
        assert command[command.index("--run-id") + 1] == run_id, command
    for bad, says in [(["--shards", "2", "--image", "x", str(script), "--bogus"], "--bogus is not a molotov option"),
                      (["--shards", "2", "--image", "x", str(script), "--shard", "0/2"], "--shard is set by molotov-kube"),
                      (["--shards", "2", "--image", "x", str(tmp_path / "missing.py")], "cannot read"),
                      (["--shards", "2", "--image", "x", str(script), "--threshold", "failures < 1%"],
                       "give it to the merge instead"),
                      (["--shards", "2", "--image", "x", str(script), "--config", str(config), "--test", "nope"],
                       "no test named 'nope'"),
                      (["--shards", "0", "--image", "x", str(script)], "--shards must be from 1")]:
        done = kube(*bad)
        assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_pods_command_line_runs_locally(fresh_molotov, tmp_path):
    script = fresh_molotov.write(SCRIPT)
    done = kube(str(script), "--shards", "3", "--image", "molotov:1", "--start-in", "3s",
                "--connect-to", fresh_molotov.target.connect_to, "-w", "3", "-d", "1", "-q")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)["items"]
    configmap, job = items
    mount = tmp_path / "mount"
    mount.mkdir()
    for name, text in configmap["data"].items():
        (mount / name).write_text(text)
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["molotov"]
    argv = [a.replace("/molotov/", f"{mount}/") for a in container["args"]]
    pods = [subprocess.Popen([MOLOTOV, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=mount, env=dict(os.environ, JOB_COMPLETION_INDEX=str(i)))
            for i in range(3)]
    logs = []
    for pod in pods:
        out, err = pod.communicate(timeout=60)
        assert pod.returncode == 0, out + err
        logs.append(out)
    done = subprocess.run([REPORT, "-"], input="".join(logs), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Merged 3 results" in done.stdout, done.stdout
    assert f"SUCCESSES: {fresh_molotov.target.requests('/')} | FAILURES: 0" in done.stdout, done.stdout
