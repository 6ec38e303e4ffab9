"""Benchmark: one curated distillation round as the app runs it, on 2 CPU cores.

Twitter-2017 with recorded knowledge and captions in a fresh store (under $HOME); 200 train
posts are corrected (their labels re-saved by an annotator); the round continues the shipped
student on them with as many replayed posts. Its sets are disjoint: the epoch is chosen on 200
uncorrected posts (selection), the gain is measured on the dataset's held-out set (its test
split, fixed by the first round), forgetting on 300 untouched earlier posts, each with a
paired bootstrap 95 % interval. Target: at most 90 s. Writes benchmarks/results/curated_round.json.

    python benchmarks/curated_round.py [--epochs 2] [--variant distill]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil
from _common import write_result

from cot_explorer.importer import import_captions, import_knowledge, import_twitter
from cot_explorer.paths import captions_file, knowledge_file, twitter_file
from cot_explorer.schema import LabelSet
from cot_explorer.store import open_store
from cot_explorer.store.labels import current_for_split, save
from cot_explorer.store.posts import list_posts
from cot_explorer.student.incremental import run_round


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--variant", default="distill")
    ap.add_argument("--curated", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp, open_store(Path(tmp) / "home") as store:
        for split in ("train", "valid", "test"):
            import_twitter(store, str(twitter_file("twitter2017", split)), "twitter2017", split)
            import_knowledge(store, str(knowledge_file("twitter2017", split)), "twitter2017", split)
        import_captions(store, str(captions_file("twitter2017")), "twitter2017")
        gold = current_for_split(store, "twitter2017", "train", "mner")
        for post in list_posts(store, "twitter2017", "train")[: args.curated]:
            lab = gold[post.id]
            save(store, post.id, LabelSet("mner", spans=lab.spans, source="annotator", author="benchmark"), lab.version)
        rss_before = rss_mb()
        t0 = time.perf_counter()
        report = run_round(store, "twitter2017", "curated-round", variant=args.variant, epochs=args.epochs,
                           replay_ratio=1.0)
        seconds = time.perf_counter() - t0
        rss_after = rss_mb()
    gain, forgetting = report.gain["*"], report.forgetting.get("change") or {}
    result = {"benchmark": "curated_round",
              "seconds": round(seconds, 1), "target_s": 90, "variant": args.variant, "epochs": args.epochs,
              "sizes": report.sizes, "heldout_from": report.heldout_from, "selection_from": report.selection_from,
              "heldout_f1_before": report.before["f1"], "heldout_f1_after": report.after["f1"],
              "heldout_gain": gain["value"], "heldout_gain_ci95": [gain["low"], gain["high"]],
              "heldout_gain_p_better": gain["p_better"],
              "forgetting_f1_before": report.forgetting.get("before"), "forgetting_f1_after": report.forgetting.get("after"),
              "forgetting": forgetting.get("value"), "forgetting_ci95": [forgetting.get("low"), forgetting.get("high")],
              "selection_heldout_overlap": report.selection_heldout_overlap,
              "best_epoch": report.best_epoch, "seconds_per_epoch": report.seconds_per_epoch,
              "rss_mb_before": round(rss_before), "rss_mb_after": round(rss_after)}
    table = "\n".join(["| measure | value |", "|---|---|"] +
                      [f"| {k} | {v} |" for k, v in result.items() if k not in ("benchmark", "seconds_per_epoch")])
    write_result("curated_round", result, table)


if __name__ == "__main__":
    main()
