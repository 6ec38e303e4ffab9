"""Benchmark: the app's resident memory over six distillation rounds. The app is started as
the README says; Twitter-2017 valid and test are imported into its store and 30 posts
corrected; six rounds are started through the app's own event (raw HTTP, as the Distill tab's
Start button does) one after the other; after each one ends, the app process's resident set
is read. Target: after six rounds within 300 MB of its size after the first.

    python benchmarks/round_memory.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time

import psutil
from _common import write_result

from cot_explorer.cli import main as cli
from cot_explorer.devtools.harness import running_app, store_of, user_home
from cot_explorer.gradio_http import GradioHttp
from cot_explorer.paths import twitter_file
from cot_explorer.schema import LabelSet
from cot_explorer.store import labels as label_store
from cot_explorer.store import open_store


def wait_for_job(db, n: int, timeout: float = 900) -> str:
    t0 = time.time()
    while time.time() - t0 < timeout:
        with sqlite3.connect(db) as c:
            row = c.execute("SELECT status, error FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
            count = c.execute("SELECT count(*) FROM jobs").fetchone()[0]
        if count >= n and row and row[0] not in ("queued", "running"):
            return row[0] + (f": {row[1]}" if row[1] else "")
        time.sleep(1)
    raise TimeoutError("the round did not end")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    user = user_home("round-memory")
    home = store_of(user)
    rss: list[float] = []
    statuses = []
    try:
        for split in ("valid", "test"):
            cli(["--home", str(home), "import", "twitter", str(twitter_file("twitter2017", split)),
                 "--dataset", "twitter2017", "--split", split])
        with open_store(home) as s:
            gold = label_store.current_for_split(s, "twitter2017", "valid", "mner")
            for pid in sorted(gold)[:30]:
                label_store.save(s, pid, LabelSet("mner", gold[pid].spans, source="annotator", author="bench"),
                                 gold[pid].version)
        with running_app(user) as url:
            app = psutil.Process(url.pid)
            start_rss = app.memory_info().rss / 2**20
            client = GradioHttp(url)
            client.call(None, ["", ""], trigger="load")  # no split or post remembered by a browser
            for n in range(1, args.rounds + 1):
                client.call("distill-start", ["twitter2017", f"mem-{n}", "text", 1, 1.0, "", "default"])
                statuses.append(wait_for_job(home / "cot_explorer.db", n))
                time.sleep(2)
                rss.append(round(app.memory_info().rss / 2**20, 1))
                print(f"round {n}: {statuses[-1]}, app RSS {rss[-1]} MB", flush=True)
            client.close()
        summary = {"rounds": args.rounds, "rss_mb_at_start": round(start_rss, 1), "rss_mb_after_each": rss,
                   "rss_mb_after_first": rss[0], "rss_mb_after_last": rss[-1],
                   "growth_after_first_mb": round(rss[-1] - rss[0], 1), "target_growth_mb": 300,
                   "round_statuses": statuses}
        table = "\n".join(["| round | app RSS (MB) |", "|---|---|"] + [f"| {i + 1} | {m} |" for i, m in enumerate(rss)]
                          + [f"| growth after the first | {summary['growth_after_first_mb']} (target ≤ 300) |"])
        write_result("round_memory", {"benchmark": "round_memory", "summary": summary}, table)
    finally:
        shutil.rmtree(user, ignore_errors=True)


if __name__ == "__main__":
    main()
