"""``molotov-kube SCRIPT --shards N --image IMAGE [molotov options]``: the Kubernetes manifests
of a load test run as N shards, printed as JSON (``kubectl apply -f -`` reads it).

What it prints, a ``v1`` ``List`` of:

- a ``ConfigMap`` holding the script (and its ``molotov.json`` with ``--config``), mounted at
  ``/molotov`` in every pod (not with ``--rust``: a Rust load test is a binary of its image);
- an Indexed ``Job`` (``completionMode: Indexed``, ``completions = parallelism = N``,
  ``backoffLimit: 0``, ``restartPolicy: Never``) whose pods run the image with
  ``molotov [options] --shards N --start-at T --results-stdout SCRIPT``: each pod is shard
  ``JOB_COMPLETION_INDEX`` (set by Kubernetes), all of them start their load at T (by default a
  minute after the manifests were made: ``--start-in``), and each prints its results between
  marker lines for ``kubectl logs -l molotov.run=NAME | molotov-report -``.

The molotov options after SCRIPT are checked against molotov's own (the same table the
command line is made from) and passed on as they are.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any, Optional

from . import _molotov

#: The pods' working directory (an emptyDir: the run may write files), where the ConfigMap's
#: files appear too.
MOUNT = "/molotov"
#: Options molotov-kube sets itself.
OWN = {"--shards", "--shard", "--start-at", "--results-stdout", "--config"}
#: Options that judge one shard's results alone, and whose failing exit code would fail the
#: Job (stopping the other shards): they belong to molotov-report, over the whole run.
WHOLE_RUN = {"--threshold": "molotov-report --threshold", "--fail": "molotov-report's exit code",
             "-f": "molotov-report's exit code"}
#: What Kubernetes accepts as a ConfigMap key.
KEY = re.compile(r"[-._a-zA-Z0-9]+")
#: The most completions an Indexed Job may have.
MAX_SHARDS = 100_000


class KubeError(Exception):
    """Bad input: printed as one ``error:`` line, exit code 2."""


def dns_name(text: str) -> str:
    """``text`` as a Kubernetes name (lower-case letters, digits and ``-``, at most 52
    characters, so that the Job's pods' names stay under 63)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    name = name[:52].strip("-")
    if not name:
        raise KubeError(f"{text!r} gives no Kubernetes name: give --name")
    return name


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h`` in seconds."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h)?\s*", text)
    if not match:
        raise KubeError(f"{text!r} is not a duration (90s, 2m, 1h)")
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"s": 1, "m": 60, "h": 3600}[unit]


def check_options(options: list[str]) -> None:
    """Refuses long options molotov does not have (from molotov's own table), those
    molotov-kube sets itself, and those that judge one shard alone; short ones go on as they
    are (molotov checks them)."""
    table = {long for _, long, _ in _molotov.option_table()}
    for option in options:
        name = option.split("=", 1)[0]
        if name in WHOLE_RUN:
            raise KubeError(
                f"{name} would judge each shard alone (and a failing shard fails the Job): give it "
                f"to the merge instead, {WHOLE_RUN[name]}")
        if not option.startswith("--"):
            continue
        if name in OWN:
            raise KubeError(f"{name} is set by molotov-kube (see --help)")
        if name not in table:
            raise KubeError(f"{name} is not a molotov option")


def manifests(args: argparse.Namespace, options: list[str], now: Optional[datetime.datetime] = None) -> dict[str, Any]:
    """The ``List`` of manifests for ``args`` (this command's options) and ``options`` (the
    molotov options passed on)."""
    if not 1 <= args.shards <= MAX_SHARDS:
        raise KubeError(f"--shards must be from 1 to {MAX_SHARDS} (an Indexed Job's limit)")
    if args.rust and args.config:
        raise KubeError("--config ships a Python test's molotov.json; a Rust load test takes its options here")
    check_options(options)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if args.start_at:
        start = args.start_at
    else:
        at = now + datetime.timedelta(seconds=parse_duration(args.start_in))
        start = at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = dns_name(args.name or f"molotov-{Path(args.script).stem}")
    labels = {"app.kubernetes.io/name": "molotov", "molotov.run": name}
    command_args = [*options, "--shards", str(args.shards), "--start-at", start, "--results-stdout"]
    # Exported metrics: every shard's series carry the same run_id (the Job's name), so that
    # PromQL adds the shards up.
    names = {o.split("=", 1)[0] for o in options}
    if names & {"--prometheus-write", "--prometheus-listen", "--otlp"} and "--run-id" not in names:
        command_args += ["--run-id", name]
    items: list[dict[str, Any]] = []
    container: dict[str, Any] = {
        "name": "molotov",
        "image": args.image,
        "env": [{"name": "PYTHONUNBUFFERED", "value": "1"}],
        "resources": {
            "requests": {"cpu": args.cpu, "memory": args.memory},
            "limits": {"cpu": args.cpu_limit or args.cpu, "memory": args.memory_limit or args.memory},
        },
    }
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if args.rust:
        container["command"] = [args.script]
        container["args"] = command_args
    else:
        script = Path(args.script)
        if not KEY.fullmatch(script.name):
            raise KubeError(f"{script.name!r}: a script's name must be letters, digits, '-', '_' and '.'")
        data = {script.name: read(script)}
        if args.config:
            config = Path(args.config)
            data["molotov.json"] = read(config)
            test = args.test or "test"
            check_config(data["molotov.json"], config, test, script.name)
            run = ["--config", f"{MOUNT}/molotov.json", test]
        else:
            run = [f"{MOUNT}/{script.name}"]
        items.append({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-script", "labels": labels},
            "data": data,
        })
        container["command"] = ["molotov"]
        container["args"] = [*command_args, *run]
        # A writable working directory (--json, --html, files the script writes), with the
        # ConfigMap's files in it, read-only.
        container["workingDir"] = MOUNT
        container["volumeMounts"] = [{"name": "work", "mountPath": MOUNT}] + [
            {"name": "script", "mountPath": f"{MOUNT}/{key}", "subPath": key, "readOnly": True}
            for key in data
        ]
        pod["volumes"] = [{"name": "work", "emptyDir": {}},
                          {"name": "script", "configMap": {"name": f"{name}-script"}}]
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "completionMode": "Indexed",
            "completions": args.shards,
            "parallelism": args.shards,
            "backoffLimit": 0,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }
    if args.namespace:
        for item in [*items, job]:
            item["metadata"]["namespace"] = args.namespace
    items.append(job)
    return {"apiVersion": "v1", "kind": "List", "items": items}


def check_config(text: str, path: Path, test: str, script: str) -> None:
    """The test named in ``path`` exists and runs the script shipped with it."""
    try:
        tests = json.loads(text)["molotov"]["tests"]
    except (ValueError, KeyError, TypeError):
        raise KubeError(f"{path} is not a molotov.json ({{\"molotov\": {{\"tests\": ...}}}})") from None
    if not isinstance(tests, dict) or test not in tests:
        names = ", ".join(tests) if isinstance(tests, dict) else "none"
        raise KubeError(f"no test named {test!r} in {path} (tests: {names})")
    scenario = tests[test].get("scenario", "loadtest.py") if isinstance(tests[test], dict) else None
    if not isinstance(scenario, str) or Path(scenario).name != script:
        raise KubeError(f"test {test!r} of {path} runs {scenario!r}, not the script shipped ({script})")


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise KubeError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise KubeError(f"{path} is not UTF-8 text") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="molotov-kube",
        allow_abbrev=False,
        description="Prints the Kubernetes manifests (a ConfigMap with the script, an Indexed Job) "
                    "of a load test run as N shards; molotov options after SCRIPT are passed on.",
        epilog="Example: molotov-kube loadtest.py --shards 4 --image molotov:latest -w 200 -d 300 "
               "| kubectl apply -f -",
    )
    p.add_argument("script", metavar="SCRIPT",
                   help="the Molotov script (or, with --rust, the load test's binary in the image)")
    p.add_argument("--shards", type=int, required=True, metavar="N", help="pods, each one shard")
    p.add_argument("--image", required=True, help="the container image (the project's Dockerfile, or a Rust load test's)")
    p.add_argument("--name", help="the Job's name (default: molotov-SCRIPT)")
    p.add_argument("--namespace", help="the namespace of the manifests")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--start-in", default="60s", metavar="DURATION",
                      help="start the load this long after the manifests are made (default 60s)")
    when.add_argument("--start-at", metavar="TIME", help="start the load at this time (RFC 3339 or Unix seconds)")
    p.add_argument("--config", metavar="FILE", help="a molotov.json to ship with the script (runs --config TEST)")
    p.add_argument("--test", metavar="TEST", help="the test of --config to run (default: test)")
    p.add_argument("--rust", action="store_true", help="SCRIPT is a Rust load test's binary in the image")
    p.add_argument("--cpu", default="1", help="CPU requested per pod (default 1)")
    p.add_argument("--memory", default="512Mi", help="memory requested per pod (default 512Mi)")
    p.add_argument("--cpu-limit", help="CPU limit per pod (default: the request)")
    p.add_argument("--memory-limit", help="memory limit per pod (default: the request)")
    return p


def run(argv: list[str]) -> int:
    args, options = parser().parse_known_args(argv)
    try:
        listing = manifests(args, options)
    except KubeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    json.dump(listing, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def main() -> None:
    """The ``molotov-kube`` command."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
