#!/usr/bin/env python3
"""What merging the results of a sharded run costs: molotov-report over 1,000 shard files.

The shard files are made from the results of one real run (`hello -w 10`, its histograms as
measured) made to look like shards of a 5-minute run: shard i of 1000, a timeline of 300
one-second intervals. Prints the size of one shard's file, the time molotov-report takes to
merge them all (and write the merged --json), and its peak memory.

Usage: python3 bench/merge.py [--shards 1000] [--seconds 300]
"""

import argparse
import copy
import json
import os
import subprocess
import tempfile
import time

from measure import RELEASE, build, peak_rss_mb, start_target



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=300)
    opts = parser.parse_args()
    build()
    target, url = start_target(os.path.join(RELEASE, "molotov-target"))
    work = tempfile.mkdtemp()
    try:
        one = os.path.join(work, "one.json")
        env = dict(os.environ, MOLOTOV_TARGET=url + "/")
        subprocess.run([os.path.join(RELEASE, "examples", "hello"), "-d", "3", "-q",
                        "--shard", f"0/{opts.shards}", "-w", str(10 * opts.shards), "--json", one],
                       env=env, check=True)
        with open(one) as f:
            base = json.load(f)
        intervals = base["timeline"]["intervals"]
        t0 = intervals[0]["t"]
        base["timeline"]["intervals"] = [dict(copy.deepcopy(intervals[k % len(intervals)]), t=t0 + k)
                                         for k in range(opts.seconds)]
        files = []
        for i in range(opts.shards):
            doc = dict(base, shard={"index": i, "count": opts.shards})
            path = os.path.join(work, f"shard{i:04}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            files.append(path)
        size = os.path.getsize(files[0])
        report = os.path.join(RELEASE, "molotov-report")
        merged = os.path.join(work, "merged.json")
        start = time.monotonic()
        subprocess.run([report, *files, "--json", merged], check=True, stdout=subprocess.DEVNULL)
        took = time.monotonic() - start
        rss = peak_rss_mb([report, *files, "--json", merged])
        with open(merged) as f:
            total = json.load(f)
        print(f"one shard's results: {size / 1024:.0f} KiB ({opts.seconds} intervals)")
        print(f"molotov-report over {opts.shards} shards: {took:.2f} s, peak RSS {rss:.0f} MB, "
              f"{total['successes']} runs merged ({opts.shards} x {base['successes']})")
    finally:
        target.terminate()
        target.wait()


if __name__ == "__main__":
    main()
