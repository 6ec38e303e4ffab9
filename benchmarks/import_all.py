"""Benchmark: import all of Twitter-2015, Twitter-2017 and MNRE with knowledge and captions
into a fresh store. Target: under 20 s on 2 cores. Writes benchmarks/results/import.json.

    python benchmarks/import_all.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from cot_explorer.benchmark_data import import_all
from cot_explorer.paths import data_dir
from cot_explorer.stats import compute_stats
from cot_explorer.store import open_store

RESULTS = Path(__file__).parent / "results"
TARGET_S = 20.0


def one_run() -> tuple[float, list, list]:
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        with open_store(home) as store:
            reports = import_all(store)
        seconds = time.perf_counter() - t0
        with open_store(home) as store:
            stats = compute_stats(store)
    return seconds, reports, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    times = []
    for _ in range(args.repeat):
        seconds, reports, stats = one_run()
        times.append(seconds)
        print(f"run: {seconds:.2f} s")
    result = {
        "benchmark": "import_all",
        "command": f"python benchmarks/import_all.py --repeat {args.repeat}",
        "data": str(data_dir()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": times,
        "median_s": statistics.median(times),
        "target_s": TARGET_S,
        "meets_target": statistics.median(times) < TARGET_S,
        "imports": [r.to_json() for r in reports],
        "stats": [s.to_json() for s in stats],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n| what | value |\n|---|---|\n| median import time | {result['median_s']:.2f} s (target < {TARGET_S:.0f} s) |")
    for s in stats:
        print(f"| {s.dataset}/{s.split} | {s.posts} posts, {s.relations} relations, "
              f"{s.posts_with_knowledge} with knowledge, {s.posts_with_caption} with captions |")


if __name__ == "__main__":
    main()
