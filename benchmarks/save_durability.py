"""Benchmark: what durability costs per label save. The store commits with
`synchronous = FULL` (an acknowledged save survives a power loss); this times the same saves
under NORMAL (safe only against an app crash) and FULL, interleaved, on this disk.

    python benchmarks/save_durability.py [--saves 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import write_result

from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import core, open_store
from cot_explorer.store import labels as label_store
from cot_explorer.uploads import add_upload


def timed_saves(home, n: int) -> list[float]:
    with open_store(home) as store:
        post = add_upload(store, f"Obama visits Paris {time.time()}")
        version = None
        out = []
        for i in range(n):
            labels = LabelSet("mner", (Span(0, 1, "PER" if i % 2 else "ORG"),), source="annotator", author="bench")
            t0 = time.perf_counter()
            version = label_store.save(store, post.id, labels, version).version
            out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saves", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    home = tempfile.mkdtemp(prefix="durability-", dir=str(Path.home()))
    for _ in range(args.rounds):
        for level in ("NORMAL", "FULL"):
            core.SYNCHRONOUS = level
            results[level] += timed_saves(home, args.saves)
    core.SYNCHRONOUS = "FULL"
    summary = {level: {"p50_ms": round(statistics.median(ms), 3),
                       "p99_ms": round(statistics.quantiles(ms, n=100)[98], 3), "saves": len(ms)}
               for level, ms in results.items()}
    summary["full_minus_normal_p50_ms"] = round(summary["FULL"]["p50_ms"] - summary["NORMAL"]["p50_ms"], 3)
    table = "\n".join(["| synchronous | p50 ms per save | p99 ms |", "|---|---|---|"] +
                      [f"| {lv} | {summary[lv]['p50_ms']} | {summary[lv]['p99_ms']} |" for lv in ("NORMAL", "FULL")])
    write_result("save_durability", {"benchmark": "save_durability", "store_folder": "under $HOME (not tmpfs)",
                                     "summary": summary}, table)


if __name__ == "__main__":
    main()
