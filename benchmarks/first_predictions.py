"""Benchmark: the first ordering of a whole split by student uncertainty, as Annotate's queue
does it (ui/annotate.queue), on a fresh store: the first call predicts every post in chunks
and reports progress (posts done / total, time left); the second reads the store's cache.

For each split: the time of the first and of the second ordering, how many progress reports
the first one gave and how long the user waited for the first of them, and the predictions
per second. Relations (MNRE) are predicted per entity pair with typed arguments, so its
first pass also predicts the posts' entities.

    python benchmarks/first_predictions.py [--splits twitter2015/train twitter2017/train mnre/train]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import write_result

CACHE = Path.home() / ".cache" / "cot-explorer-bench"


def import_split(home: Path, dataset_split: str) -> int:
    from cot_explorer.importer import import_mnre, import_twitter
    from cot_explorer.paths import mnre_file, twitter_file
    from cot_explorer.store import open_store

    dataset, split = dataset_split.split("/")
    with open_store(home) as store:
        if dataset == "mnre":
            report = import_mnre(store, str(mnre_file(split)), dataset, split)
        else:
            report = import_twitter(store, str(twitter_file(dataset, split)), dataset, split, repair_bio=True)
    return report.posts


def order_once(home: Path, dataset_split: str) -> dict:
    from cot_explorer.ui.annotate import queue
    from cot_explorer.ui.predicted import ProgressReporter

    reports: list[tuple[float, str]] = []
    t0 = time.perf_counter()

    def progress(value, desc: str = "", unit: str = "") -> None:
        reports.append((time.perf_counter() - t0, desc))

    ids = queue(home, dataset_split, order="student uncertainty", on_progress=ProgressReporter(progress))
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "posts": len(ids), "progress_reports": len(reports),
            "first_report_after_s": round(reports[0][0], 2) if reports else None,
            "last_report": reports[-1][1] if reports else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", nargs="+", default=["twitter2015/train", "twitter2017/train", "mnre/train"])
    args = ap.parse_args()
    from cot_explorer.student.inference import choose_backend  # noqa: F401  (the app's imports, before timing)
    from cot_explorer.ui.annotate import QueueOrder

    assert QueueOrder("student uncertainty") == QueueOrder.UNCERTAINTY
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = {}
    for dataset_split in args.splits:
        home = Path(tempfile.mkdtemp(prefix="first-predictions-", dir=CACHE))
        try:
            n = import_split(home, dataset_split)
            first = order_once(home, dataset_split)
            second = order_once(home, dataset_split)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        rows[dataset_split] = {"posts": n, "first": first, "cached": second,
                               "posts_per_s_first": round(n / first["seconds"], 1)}
        print(dataset_split, rows[dataset_split], flush=True)
    table = "\n".join([
        "| split | posts | first ordering | progress reports (first after) | then, from the cache |",
        "|---|---|---|---|---|",
        *(f"| {ds} | {r['posts']:,} | {r['first']['seconds']} s | {r['first']['progress_reports']} "
          f"({r['first']['first_report_after_s']} s) | {r['cached']['seconds']} s |" for ds, r in rows.items()),
    ])
    write_result("first_predictions", {"benchmark": "first_predictions", "order": "student uncertainty",
                                       "splits": rows}, table)


if __name__ == "__main__":
    main()
