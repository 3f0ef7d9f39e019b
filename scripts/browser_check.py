#!/usr/bin/env python3
"""What the HTML report page did in a real browser (headless Chromium), as JSON.

    python3 scripts/browser_check.py PAGE.html|URL [--screenshot PNG --width 1280 --height H]
    python3 scripts/browser_check.py URL --live SECONDS     (a live page, in real time)

The default mode runs `chromium --headless --dump-dom` with a virtual time budget (timers run
without waiting), parses the DOM it dumps and prints:

    {"rendered": "1", "error": null, "status": "final", "charts": [{"points": n, "series": k,
     "nonempty_paths": m, ...}], "cells": {"scenarios": {name: {field: value}}, "requests": {...}},
     "thresholds": [{"expression": ..., "passed": true, "no_data": false}], "console_errors": [...],
     ...}

--live keeps the page open in real time (no virtual time: the page polls data.json once a
second) through Chromium's DevTools protocol on a pipe, until the page stops polling (then a
little longer, to see that it really stopped) or SECONDS pass; it adds "history", the page's
render count and status sampled every 0.2 s.

Standard library only. From pytest: `from browser_check import check, check_live`.
"""

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BASE_FLAGS = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
              "--hide-scrollbars", "--mute-audio"]


class NoBrowser(RuntimeError):
    pass


def find_browser() -> str:
    """The Chromium binary ($CHROMIUM first, then the usual names on PATH)."""
    env = os.environ.get("CHROMIUM")
    if env:
        found = shutil.which(env)
        if not found:
            raise NoBrowser("$CHROMIUM is %r, which is not an executable" % env)
        return found
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise NoBrowser(
        "no Chromium found (looked for %s on PATH, or $CHROMIUM): install it, e.g. "
        "`apt-get install chromium`" % ", ".join(BROWSERS)
    )


def to_url(target: str) -> str:
    if target.startswith(("http://", "https://", "file://", "data:", "about:")):
        return target
    path = Path(target)
    if not path.exists():
        raise FileNotFoundError(target)
    return path.resolve().as_uri()


def console_errors(stderr: str) -> list:
    """The console's errors among Chromium's log lines (uncaught exceptions, ERROR:CONSOLE)."""
    return [line.strip() for line in stderr.splitlines() if "Uncaught" in line or "ERROR:CONSOLE" in line]


def console_lines(stderr: str) -> list:
    return [line.strip() for line in stderr.splitlines() if ":CONSOLE" in line]


TIMEOUT_NOTE = ("chromium did not finish within %g s (a JavaScript dialog, e.g. an alert() run by "
                "injected markup, blocks --dump-dom and --screenshot)")


def _run(args, timeout):
    """(returncode or None if it timed out, stdout, stderr). Chromium runs in a session of its
    own so that, on a timeout, its helper processes are ended with it."""
    with tempfile.TemporaryDirectory(prefix="browser-check-") as profile:
        cmd = [find_browser(), *BASE_FLAGS, "--user-data-dir=" + profile, *args]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            return proc.returncode, out, err
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
            return None, out, err


def dump_dom(url: str, budget_ms: int = 5000, width: int = 1280, height: int = 900, timeout: float = 30):
    """(the DOM after the page ran for `budget_ms` of virtual time or None if Chromium timed
    out, Chromium's stderr)"""
    code, out, err = _run(["--virtual-time-budget=%d" % budget_ms, "--window-size=%d,%d" % (width, height),
                           "--enable-logging=stderr", "--v=0", "--dump-dom", url], timeout)
    if code is None:
        return None, err
    if code != 0 and not out:
        raise RuntimeError("chromium failed (%d): %s" % (code, err[-2000:]))
    return out, err


def screenshot(url: str, png: str, width: int = 1280, height: int = 2400, budget_ms: int = 5000,
               timeout: float = 30) -> str:
    """A PNG of the page (the first `height` pixels) after `budget_ms` of virtual time; stderr."""
    png = str(Path(png).resolve())
    code, _, err = _run(["--virtual-time-budget=%d" % budget_ms, "--window-size=%d,%d" % (width, height),
                         "--enable-logging=stderr", "--v=0", "--screenshot=" + png, url], timeout)
    if code is None:
        raise RuntimeError(TIMEOUT_NOTE % timeout)
    if not Path(png).exists():
        raise RuntimeError("chromium wrote no screenshot (%d): %s" % (code, err[-2000:]))
    return err


def _value(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Summary(HTMLParser):
    """Reads the attributes the report page puts on its elements for tests."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body = {}
        self.charts = []
        self.chart = None
        self.cells = {"scenarios": {}, "requests": {}}
        self.names = {"scenarios": [], "requests": []}
        self.table = None
        self.row = None
        self.thresholds = []
        self.totals = {}
        self.statuses = {}
        self.texts = {}
        self.capture = None  # (key, tag, parts)
        self.scripts = 0
        self.imgs = 0
        self.in_totals = False
        self.nodata_text = []
        self.in_nodata = 0
        self.row_status = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "body":
            self.body = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
        elif tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.imgs += 1
        elif tag == "svg" and "chart" in cls:
            self.chart = {"key": a.get("data-chart"), "points": _value(a.get("data-points")),
                          "series": 0, "nonempty_paths": 0, "empty_text": None}
            self.charts.append(self.chart)
        elif self.chart is not None and tag in ("path", "polyline") and "series" in cls:
            self.chart["series"] += 1
            if (a.get("d") or a.get("points") or "").strip():
                self.chart["nonempty_paths"] += 1
        elif self.chart is not None and tag == "text" and "empty" in cls:
            self.capture = ("chart_empty", tag, [])
        elif tag == "table" and a.get("id") in self.cells:
            self.table = a["id"]
        elif tag == "tr":
            if self.table and "data-name" in a:
                self.row = a["data-name"]
                self.cells[self.table][self.row] = {}
            if "data-passed" in a:
                self.thresholds.append({"expression": a.get("data-expression"),
                                        "passed": a["data-passed"] == "true",
                                        "no_data": a.get("data-no-data") == "true"})
            if "data-status" in a:
                self.row_status = a["data-status"]
        elif tag == "td":
            if self.table and self.row is not None and "data-field" in a:
                self.cells[self.table][self.row][a["data-field"]] = _value(a.get("data-value"))
            elif self.table and self.row is not None and "name" in cls:
                self.capture = ("name:" + self.table, tag, [])
            elif "data-field" in a and self.row_status is not None:
                self.statuses[self.row_status] = _value(a.get("data-value"))
        elif a.get("id") == "totals":
            self.in_totals = True
        elif self.in_totals and "data-field" in a:
            self.totals[a["data-field"]] = _value(a.get("data-value"))
        if tag in ("h1", "code", "span", "tr", "dd") and a.get("id") in ("command", "verdict", "status",
                                                                      "errors-left-off", "generator"):
            self.capture = (a["id"], tag, [])
        elif tag == "h1" and self.capture is None:
            self.capture = ("title", tag, [])
        if a.get("id") == "nodata":
            self.in_nodata = 1
        elif self.in_nodata:
            self.in_nodata += 1

    def handle_endtag(self, tag):
        if self.capture and tag == self.capture[1]:
            key, _, parts = self.capture
            text = "".join(parts).strip()
            if key.startswith("name:"):
                self.names[key[5:]].append(text)
            elif key == "chart_empty":
                if self.chart is not None:
                    self.chart["empty_text"] = text
            else:
                self.texts.setdefault(key, text)
            self.capture = None
        if tag == "svg":
            self.chart = None
        elif tag == "table":
            self.table = None
            self.row = None
            self.row_status = None
        elif tag == "section":
            self.in_totals = False
        if self.in_nodata and tag in ("div", "p", "h1"):
            self.in_nodata -= 1

    def handle_data(self, data):
        if self.capture:
            self.capture[2].append(data)
        if self.in_nodata:
            self.nodata_text.append(data)


def summarize(dom: str, stderr: str = "") -> dict:
    """The JSON summary of a dumped DOM (and Chromium's stderr)."""
    p = _Summary()
    p.feed(dom)
    p.close()
    return {
        "rendered": p.body.get("rendered"),
        "error": p.body.get("error"),
        "status": p.body.get("status"),
        "polling": p.body.get("polling"),
        "nodata": p.body.get("nodata") == "true",
        "nodata_text": " ".join("".join(p.nodata_text).split()) or None,
        "title": p.texts.get("title"),
        "command": p.texts.get("command"),
        "verdict": p.texts.get("verdict"),
        "errors_left_off": p.texts.get("errors-left-off"),
        "generator": p.texts.get("generator"),
        "charts": p.charts,
        "cells": p.cells,
        "names": p.names,
        "totals": p.totals,
        "statuses": p.statuses,
        "thresholds": p.thresholds,
        "scripts": p.scripts,
        "imgs": p.imgs,
        "console_errors": console_errors(stderr),
        "console": console_lines(stderr),
    }


def check(url_or_path: str, screenshot_png: str = None, width: int = 1280, height: int = 2400,
          budget_ms: int = 5000, timeout: float = 30) -> dict:
    """Open the page headless, let it run `budget_ms` of virtual time, summarize its DOM.
    If Chromium hangs (an alert() blocks it), "timed_out" is true and "error" says so."""
    url = to_url(url_or_path)
    dom, stderr = dump_dom(url, budget_ms, width, min(height, 1200), timeout)
    out = summarize(dom or "", stderr)
    out["timed_out"] = dom is None
    if dom is None:
        out["error"] = out["error"] or TIMEOUT_NOTE % timeout
        return out
    if screenshot_png:
        err = screenshot(url, screenshot_png, width, height, budget_ms)
        out["screenshot"] = str(screenshot_png)
        for line in console_errors(err):
            if line not in out["console_errors"]:
                out["console_errors"].append(line)
    return out


class _Devtools:
    """Chromium driven over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, width=1280, height=900):
        self.profile = tempfile.TemporaryDirectory(prefix="browser-check-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # high numbers first, so that the dup2 onto 3 and 4 in the child cannot clobber them
        hi_r = os.dup2(to_chrome_r, 40, inheritable=False) if to_chrome_r != 40 else to_chrome_r
        hi_w = os.dup2(from_chrome_w, 41, inheritable=False) if from_chrome_w != 41 else from_chrome_w
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        cmd = [find_browser(), *BASE_FLAGS, "--user-data-dir=" + self.profile.name,
               "--remote-debugging-pipe", "--enable-logging=stderr", "--v=0",
               "--window-size=%d,%d" % (width, height), "about:blank"]
        self.stderr_file = tempfile.TemporaryFile(mode="w+", errors="replace")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr_file, preexec_fn=child, close_fds=False)
        os.close(hi_r)
        os.close(hi_w)
        self.next_id = 0
        self.write_lock = threading.Lock()
        self.dialogs = []
        self.replies = {}
        self.events = queue.Queue()
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._r, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self.lock:
                    self.replies[None] = "closed"
                    self.lock.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw.decode("utf-8", "replace"))
                if msg.get("method") == "Page.javascriptDialogOpening":
                    # answer at once: an open dialog blocks every other command of the page
                    self.dialogs.append(msg["params"].get("type", "") + ": " + msg["params"].get("message", ""))
                    self._post("Page.handleJavaScriptDialog", {"accept": False}, msg.get("sessionId"))
                if "id" in msg:
                    with self.lock:
                        self.replies[msg["id"]] = msg
                        self.lock.notify_all()
                else:
                    self.events.put(msg)

    def _post(self, method, params=None, session=None):
        with self.write_lock:
            self.next_id += 1
            mid = self.next_id
            msg = {"id": mid, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            os.write(self._w, json.dumps(msg).encode() + b"\0")
        return mid

    def send(self, method, params=None, session=None, timeout=30):
        mid = self._post(method, params, session)
        deadline = time.monotonic() + timeout
        with self.lock:
            while mid not in self.replies:
                if None in self.replies:
                    raise RuntimeError("chromium closed the DevTools pipe")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(method)
                self.lock.wait(left)
            reply = self.replies.pop(mid)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply.get("result", {})

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stderr_file.seek(0)
        stderr = self.stderr_file.read()
        self.stderr_file.close()
        self.profile.cleanup()
        return stderr


_PROBE = ("JSON.stringify({rendered: document.body && document.body.dataset.rendered || null,"
          " status: document.body && document.body.dataset.status || null,"
          " polling: document.body && document.body.dataset.polling || null,"
          " error: document.body && document.body.dataset.error || null})")


def check_live(url: str, seconds: float = 15, linger: float = 2.5, width: int = 1280, height: int = 900) -> dict:
    """Open a live page in real time; wait until it stops polling (then `linger` seconds more)
    or `seconds` pass; the summary of its DOM then, with "history" (samples of the page's
    render count and status) and the console errors the DevTools protocol reported."""
    url = to_url(url)
    dt = _Devtools(width, height)
    errors, history = [], []
    try:
        targets = dt.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = dt.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        dt.send("Runtime.enable", session=session)
        dt.send("Page.enable", session=session)
        dt.send("Page.navigate", {"url": url}, session=session)
        start = time.monotonic()
        stopped_at = None
        while True:
            now = time.monotonic() - start
            res = dt.send("Runtime.evaluate", {"expression": _PROBE, "returnByValue": True}, session=session)
            probe = json.loads(res.get("result", {}).get("value") or "{}")
            probe["t"] = round(now, 2)
            if not history or {k: v for k, v in history[-1].items() if k != "t"} != \
                    {k: v for k, v in probe.items() if k != "t"}:
                history.append(probe)
            while not dt.events.empty():
                ev = dt.events.get()
                if ev.get("method") == "Runtime.exceptionThrown":
                    d = ev["params"]["exceptionDetails"]
                    errors.append("Uncaught " + (d.get("exception", {}).get("description") or d.get("text", "")))
                elif ev.get("method") == "Runtime.consoleAPICalled" and ev["params"].get("type") == "error":
                    args = ev["params"].get("args", [])
                    errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args))
            if probe.get("polling") == "false" and probe.get("rendered") and stopped_at is None:
                stopped_at = now
            if stopped_at is not None and now - stopped_at >= linger:
                break
            if now >= seconds:
                break
            time.sleep(0.2)
        res = dt.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                           "returnByValue": True}, session=session)
        dom = "<!DOCTYPE html>" + res["result"]["value"]
    finally:
        stderr = dt.close()
    out = summarize(dom, stderr)
    out["history"] = history
    out["seconds"] = round(time.monotonic() - start, 2)
    for e in errors + ["Uncaught dialog " + d for d in dt.dialogs]:
        if e not in out["console_errors"]:
            out["console_errors"].append(e)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target", help="an HTML file or an http:// URL")
    ap.add_argument("--screenshot", metavar="PNG", help="also write a screenshot")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=2400)
    ap.add_argument("--budget", type=int, default=5000, help="virtual time budget in ms (default 5000)")
    ap.add_argument("--live", type=float, metavar="SECONDS",
                    help="real time, up to SECONDS, until the page stops polling (no screenshot)")
    ap.add_argument("--compact", action="store_true", help="leave the per-cell values out of the output")
    args = ap.parse_args(argv)
    try:
        if args.live:
            out = check_live(args.target, args.live, width=args.width, height=min(args.height, 1200))
        else:
            out = check(args.target, args.screenshot, args.width, args.height, args.budget)
    except (NoBrowser, FileNotFoundError, RuntimeError) as e:
        print("browser_check: %s" % e, file=sys.stderr)
        return 2
    if args.compact:
        out.pop("cells")
        out.pop("console")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 1 if out["error"] or out["console_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
