#!/usr/bin/env python3
"""Sample data for the HTML report page, and a finished page made from it.

    python3 scripts/report_sample.py OUT.html [--points N] [--open-model] [--hostile] [--live]
    python3 scripts/report_sample.py OUT.json --json ...   (the data alone, as data.json)

The page template is crates/molotov/src/report/page.html; the data is written in place of its
placeholder exactly as the Rust side does: JSON with <, >, &, U+2028 and U+2029 escaped as
\\u003c, \\u003e, \\u0026, \\u2028, \\u2029, so that nothing in it can close the <script> element.
--hostile puts markup (a closing </script> with a script after it, an <img onerror>) in every
name, sample and the command. Standard library only; importable (sample(), fill(), page()).
"""

import argparse
import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "crates" / "molotov" / "src" / "report"
TEMPLATE = REPORT / "page.html"
PLACEHOLDER = "/*MOLOTOV-DATA*/null"

HOSTILE_SCRIPT = "</script><script>document.body.dataset.error='xss'</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"


def escape_json(data) -> str:
    """The JSON text as it goes in the page: nothing in it can end the script element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def fill(template: str, data) -> str:
    """The template with the data in place of its one placeholder."""
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"the template must hold {PLACEHOLDER!r} exactly once")
    return template.replace(PLACEHOLDER, escape_json(data), 1)


def _row(rng, name, count, elapsed, base_us, fail_ratio):
    failures = int(count * fail_ratio)
    ok = count - failures
    if ok == 0:
        lat = dict.fromkeys(("p50_us", "p90_us", "p95_us", "p99_us", "max_us"))
    else:
        p50 = int(base_us * rng.uniform(0.9, 1.1))
        lat = {
            "p50_us": p50,
            "p90_us": int(p50 * 1.9),
            "p95_us": int(p50 * 2.3),
            "p99_us": int(p50 * 5.1),
            "max_us": int(p50 * 12.9),
        }
    return {
        "name": name,
        "count": count,
        "rate": count / elapsed if elapsed else 0.0,
        "failures": failures,
        **lat,
    }


def sample(points=30, open_model=False, hostile=False, live=False, seed=7):
    """A report document as the spec describes it, `points` intervals long."""
    rng = random.Random(seed)
    evil = (" " + HOSTILE_SCRIPT + " " + HOSTILE_IMG) if hostile else ""
    interval = 1 if points <= 1800 else 2 ** math.ceil(math.log2(points / 1800))
    started = 1764590000.25
    elapsed = max(points * interval - 0.4, 0.6)
    workers = 10
    target = 200.0

    timeline = []
    for i in range(points):
        # load rises for the first tenth, then a slow wave, a burst of failures around 60 %,
        # a latency spike near 80 % (the max must show even when thousands of points are drawn)
        frac = i / max(points - 1, 1)
        ramp = min(1.0, (i + 1) / max(points / 10, 1))
        wave = 1 + 0.15 * math.sin(i / max(points / 12, 1))
        runs = int(120 * interval * ramp * wave * rng.uniform(0.93, 1.07))
        achieved = target * ramp * rng.uniform(0.97, 1.0)
        if open_model:  # each arrival starts one run
            runs = int(achieved * interval)
        failures = int(runs * (0.2 if 0.58 < frac < 0.62 else 0.005 * rng.random()))
        spike = 40 if abs(i - int(points * 0.8)) == 0 and points > 2 else 1
        p50 = int(400 * wave * rng.uniform(0.9, 1.1))
        point = {
            "t": int(started) + i * interval,
            "runs": runs,
            "failures": failures,
            "requests": runs * 2,
            "statuses": {"2xx": runs * 2 - failures, **({"5xx": failures} if failures else {})},
            "errors": {"timeout": failures} if failures else {},
            "workers": max(1, round(workers * ramp)),
            "p50_us": p50,
            "p90_us": int(p50 * 1.95),
            "p99_us": int(p50 * 5 * rng.uniform(0.8, 1.3)),
            "max_us": int(p50 * 12 * rng.uniform(0.7, 1.5) * spike),
        }
        if runs == failures:
            for k in ("p50_us", "p90_us", "p99_us", "max_us"):
                point[k] = None
        if open_model:
            point.update(
                target_rate=target * ramp,
                achieved_rate=round(achieved, 1),
                late=int(rng.random() < 0.1) * rng.randint(1, 5),
                dropped=int(0.58 < frac < 0.62) * rng.randint(0, 8),
            )
        timeline.append(point)

    runs = sum(p["runs"] for p in timeline) if timeline else 3
    failures = sum(p["failures"] for p in timeline) if timeline else 0
    requests = runs * 2
    names = ["scenario_one", "scenario_two", "a_scenario_with_a_rather_long_name_for_the_layout"]
    scenarios = []
    left = runs
    for k, name in enumerate(names):
        count = left if k == len(names) - 1 else int(runs * (0.6, 0.3)[k])
        left -= count
        scenarios.append(_row(rng, name + evil, count, elapsed, 400 * (k + 1), 0.008 * k))
    reqs = [
        ("GET /api", 0.5, 200, 0.0),
        ("POST /api/items", 0.3, 900, 0.01),
        ("GET /slow", 0.2, 25000, 0.05),
    ]
    requests_rows = [
        _row(rng, name + evil, int(requests * share), elapsed, base, fr) for name, share, base, fr in reqs
    ]
    requests_rows.append(_row(rng, "GET /always-fails" + evil, 4, elapsed, 0, 1.0))
    errors = [
        {
            "where": "GET /slow" + evil,
            "kind": "timeout",
            "count": max(failures, 4),
            "sample": "request timed out after 5s" + evil,
        },
        {
            "where": "GET /always-fails" + evil,
            "kind": "status",
            "count": 4,
            "sample": "HTTP 503 Service Unavailable\n" + ("<html><body>" + evil + "</body></html>" if hostile else "<html>…</html>"),
        },
        {
            "where": "scenario_two" + evil,
            "kind": "assertion",
            "count": 2,
            "sample": "Traceback (most recent call last):\n  File \"example.py\", line 12, in scenario_two\n"
            "    assert resp.status == 200\nAssertionError" + evil,
        },
    ]
    open_meta = None
    if open_model:
        scheduled = int(target * elapsed)
        open_meta = {
            "target_rate": target,
            "scheduled": scheduled,
            "started": scheduled - 1,
            "late": sum(p.get("late", 0) for p in timeline),
            "dropped": sum(p.get("dropped", 0) for p in timeline),
            "max_lag_us": 1500,
        }
    command = "molotov example.py -w 10 -d %d --html report.html -t 'scenario.p95 < 200ms'" % elapsed
    if open_model:
        command += " --rate 200"
    return {
        "live": live,
        "title": "example.py" + evil,
        "meta": {
            "tool": "molotov",
            "version": "0.1.0",
            "started_at": started,
            "finished_at": None if live else started + elapsed,
            "elapsed_seconds": elapsed,
            "processes": 1,
            "workers": workers,
            "max_workers": 50 if open_model else workers,
            "stop": None if live else "deadline",
            "seed": 123,
            "command": command + evil,
            "open_model": open_meta,
        },
        "totals": {
            "runs": runs,
            "successes": runs - failures,
            "failures": failures,
            "rate": runs / elapsed,
            "requests": requests,
            "request_failures": failures + 4,
            "request_rate": requests / elapsed,
        },
        "thresholds": [
            {"expression": "scenario.p95 < 200ms" + evil, "value": "1.02 ms", "limit": "200 ms",
             "passed": True, "no_data": False, "abort": False},
            {"expression": "failures < 1%", "value": "%.2f %%" % (100 * failures / max(runs, 1)),
             "limit": "1 %", "passed": failures < runs / 100, "no_data": False, "abort": True},
            {"expression": "request[GET /x].p99 < 1s" + evil, "value": None, "limit": "1 s",
             "passed": False, "no_data": True, "abort": False},
        ],
        "scenarios": scenarios,
        "requests": requests_rows,
        "statuses": [
            {"status": "200", "count": requests - failures - 4},
            {"status": "503", "count": failures + 4},
            {"status": "error" + evil, "count": 1},
        ],
        "errors": errors,
        "errors_left_off": 5,
        "timeline": {"interval_seconds": interval, "points": timeline},
    }


def template(template_path=TEMPLATE) -> str:
    """The page as molotov assembles it: page.html with page.css and the script's three parts
    (page.js, charts.js, main.js) in their places."""
    here = Path(template_path).parent
    html = Path(template_path).read_text(encoding="utf-8")
    style = (here / "page.css").read_text(encoding="utf-8")
    script = "".join((here / name).read_text(encoding="utf-8") for name in ("page.js", "charts.js", "main.js"))
    return html.replace("/*MOLOTOV-STYLE*/", style, 1).replace("/*MOLOTOV-SCRIPT*/", script, 1)


def page(data, template_path=TEMPLATE) -> str:
    return fill(template(template_path), data)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the HTML file to write (or, with --json, the JSON file)")
    ap.add_argument("--points", type=int, default=30, help="timeline points (default 30)")
    ap.add_argument("--open-model", action="store_true", help="an open-model run (--rate)")
    ap.add_argument("--hostile", action="store_true", help="markup in every name, sample and the command")
    ap.add_argument("--live", action="store_true", help='"live": true (a run going on)')
    ap.add_argument("--json", action="store_true", help="write the data alone (plain JSON, as data.json)")
    ap.add_argument("--template", default=str(TEMPLATE), help="the page template")
    args = ap.parse_args(argv)
    if args.points < 0:
        ap.error("--points must be 0 or more")
    data = sample(args.points, args.open_model, args.hostile, args.live)
    if args.json:
        text = json.dumps(data, ensure_ascii=False)
    else:
        text = page(data, args.template)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode('utf-8'))} bytes, {args.points} points)", file=sys.stderr)


if __name__ == "__main__":
    main()
