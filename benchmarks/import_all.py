"""Benchmark: import all of Twitter-2015, Twitter-2017 and MNRE with knowledge and captions
into a fresh store. Target: under 20 s on 2 cores. Writes benchmarks/results/import.json.

    python benchmarks/import_all.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _common import write_result

from cot_explorer.benchmark_data import import_all
from cot_explorer.paths import data_dir
from cot_explorer.store import open_store
from cot_explorer.store.stats import compute_stats

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
    median = statistics.median(times)
    table = "\n".join(["", "| what | value |", "|---|---|",
                       f"| median import time | {median:.2f} s (target < {TARGET_S:.0f} s) |"] +
                      [f"| {s.dataset}/{s.split} | {s.posts} posts, {s.relations} relations, "
                       f"{s.posts_with_knowledge} with knowledge, {s.posts_with_caption} with captions |" for s in stats])
    write_result("import", {
        "benchmark": "import_all",
        "data": str(data_dir()),
        "seconds": times,
        "median_s": median,
        "target_s": TARGET_S,
        "meets_target": median < TARGET_S,
        "imports": [r.to_json() for r in reports],
        "stats": [s.to_json() for s in stats],
    }, table)


if __name__ == "__main__":
    main()
