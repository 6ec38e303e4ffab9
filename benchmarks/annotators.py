"""Benchmark: eight annotators at once while a big import runs. The app is started as the
README says (store in the user data folder of a fresh user home), with eight annotator
accounts; each annotator is a real HTTP session calling the app's own events (open the
Twitter-2017 valid queue, move on one to three posts, change a span in the editor's document,
save, with 0.3-1 s between actions) for two minutes,
while Twitter-2015 train and its recorded knowledge are imported again and again into the
same store by the CLI. Every acknowledged save must be found in the label history, and no
error other than a conflict is allowed.

    python benchmarks/annotators.py [--seconds 120] [--annotators 8]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

from _common import write_result

from cot_explorer.cli import main as cli
from cot_explorer.devtools.harness import running_app, store_of, user_home
from cot_explorer.gradio_http import GradioHttp
from cot_explorer.paths import knowledge_file, twitter_file

TYPES = ("PER", "LOC", "ORG", "MISC")
QUEUE = ["twitter2017/valid", "any", False, False, "file order", {}, None]   # the filters, the editor, no queue made yet
THINK_S = (0.3, 1.0)  # between two actions: far quicker than a person reading a post


def edited(doc: dict) -> dict:
    """The editor's document with one span's type changed (or a first span added)."""
    spans = [dict(s) for s in doc.get("spans") or []]
    if spans:
        spans[0]["type"] = TYPES[(TYPES.index(spans[0]["type"]) + 1) % len(TYPES)] if spans[0]["type"] in TYPES else "PER"
    else:
        spans = [{"start": 0, "end": 1, "type": "PER"}]
    return {**doc, "spans": spans}


class Annotator(threading.Thread):
    def __init__(self, url: str, name: str, until: float, seed: int):
        super().__init__(daemon=True)
        self.url, self.name, self.until, self.rng = url, name, until, random.Random(seed)
        self.latencies: list[float] = []
        self.acknowledged: list[int] = []
        self.conflicts = 0
        self.errors: list[str] = []

    def run(self) -> None:
        client = GradioHttp(self.url)
        try:
            client.login(self.name, "pw")
            client.call(None, ["", ""], trigger="load")  # no split or post remembered by a browser
            doc = client.call("queue-dataset", QUEUE, trigger="input").data[1]
            while time.time() < self.until:
                for _ in range(self.rng.randint(1, 3)):
                    time.sleep(self.rng.uniform(*THINK_S))
                    doc = client.call("span-editor", [doc, None, self.name, QUEUE[0]], trigger="navigate",
                                      event_data={"delta": 1, "then": "discard"}).data[0]
                time.sleep(self.rng.uniform(*THINK_S))
                result = client.call("span-editor", [edited(doc), None, self.name], trigger="save")
                status = str(result.data[-1])
                if "Conflict" in status:
                    self.conflicts += 1
                    doc = result.data[0]
                    doc = {**doc, "spans": doc["saved"], "conflict": None}  # take theirs and go on
                    continue
                self.latencies.append(result.seconds * 1000)
                m = re.search(r"Saved version (\d+)", status)
                if m:
                    self.acknowledged.append(int(m.group(1)))
                    doc = result.data[0]
                else:
                    self.errors.append(f"no version in the answer: {status[:100]}")
        except Exception as e:  # noqa: BLE001 - every failure is a finding to report
            self.errors.append(f"{type(e).__name__}: {e}"[:300])
        finally:
            client.close()


def import_loop(home, until: float, log: list[dict]) -> None:
    """Import Twitter-2015 train with its knowledge into a new dataset, again and again."""
    n = 0
    while time.time() < until:
        n += 1
        t0 = time.time()
        args = ["--home", str(home), "import"]
        steps = [[*args, "twitter", str(twitter_file("twitter2015", "train")), "--dataset", f"t15-{n}", "--split",
                  "train", "--repair-bio", "--types", "PER,LOC,ORG,OTHER"],
                 [*args, "knowledge", str(knowledge_file("twitter2015", "train")), "--dataset", f"t15-{n}",
                  "--split", "train"]]
        ok = all(subprocess.run([sys.executable, "-m", "cot_explorer.cli", *s], capture_output=True).returncode == 0
                 for s in steps)
        log.append({"dataset": f"t15-{n}", "ok": ok, "seconds": round(time.time() - t0, 2)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--annotators", type=int, default=8)
    args = ap.parse_args()
    names = [f"ann{i}" for i in range(args.annotators)]
    user = user_home("annotators-bench")
    home = store_of(user)
    try:
        cli(["--home", str(home), "import", "twitter", str(twitter_file("twitter2017", "valid")),
             "--dataset", "twitter2017", "--split", "valid"])
        env = {"COT_EXPLORER_USERS": ",".join(f"{n}:annotator:pw" for n in names)}
        with running_app(user, env=env) as url:
            until = time.time() + args.seconds
            imports: list[dict] = []
            importer = threading.Thread(target=import_loop, args=(home, until, imports), daemon=True)
            workers = [Annotator(url, n, until, seed=i) for i, n in enumerate(names)]
            importer.start()
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            importer.join()
        acked = [(w.name, v) for w in workers for v in w.acknowledged]
        with sqlite3.connect(home / "cot_explorer.db") as c:
            found = sum(1 for name, v in acked if c.execute(
                "SELECT 1 FROM labels WHERE version = ? AND author = ? AND source = 'annotator'", (v, name)).fetchone())
        lat = [x for w in workers for x in w.latencies]
        errors = [e for w in workers for e in w.errors]
        summary = {
            "annotators": args.annotators, "seconds": args.seconds, "think_time_s": list(THINK_S),
            "saves_acknowledged": len(acked), "saves_found_in_history": found,
            "conflicts": sum(w.conflicts for w in workers), "errors_other_than_conflicts": len(errors),
            "error_examples": errors[:5],
            "save_latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
            "save_latency_ms_p99": round(statistics.quantiles(lat, n=100)[98], 1) if len(lat) > 1 else None,
            "imports_completed": sum(1 for i in imports if i["ok"]), "imports": imports,
        }
        table = "\n".join(["| measure | value |", "|---|---|"] +
                          [f"| {k} | {v} |" for k, v in summary.items() if k not in ("imports", "error_examples")])
        write_result("annotators", {"benchmark": "annotators", "summary": summary,
                                    "targets": {"save_latency_ms_p99": 300, "errors_other_than_conflicts": 0}}, table)
    finally:
        shutil.rmtree(user, ignore_errors=True)


if __name__ == "__main__":
    main()
