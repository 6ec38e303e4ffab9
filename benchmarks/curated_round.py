"""Benchmark: one curated distillation round as the app runs it, on 2 CPU cores.

Twitter-2017 with recorded knowledge and captions in a fresh store; 200 train posts are
corrected (their labels re-saved by an annotator); the round continues the shipped student
on them with as many replayed posts and is scored before and after on Twitter-2017 test,
which it never touches. Target: at most 3 minutes. Writes benchmarks/results/curated_round.json.

    python benchmarks/curated_round.py [--epochs 2] [--variant distill]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cot_explorer.importer import import_captions, import_knowledge, import_twitter  # noqa: E402
from cot_explorer.paths import data_dir  # noqa: E402
from cot_explorer.schema import LabelSet  # noqa: E402
from cot_explorer.store import open_store  # noqa: E402
from cot_explorer.store.labels import current_for_split, save  # noqa: E402
from cot_explorer.store.posts import list_posts  # noqa: E402
from cot_explorer.student.incremental import run_round  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--variant", default="distill")
    ap.add_argument("--curated", type=int, default=200)
    args = ap.parse_args()
    root = data_dir()
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "home") as store:
        for split in ("train", "valid", "test"):
            import_twitter(store, str(root / f"twitter2017/{split}.txt"), "twitter2017", split)
            import_knowledge(store, str(root / f"knowledge/chatgpt-pgim/twitter2017/{split}.txt"), "twitter2017", split)
        import_captions(store, str(root / "captions/blip2-twitter2017.txt"), "twitter2017")
        gold = current_for_split(store, "twitter2017", "train", "mner")
        for post in list_posts(store, "twitter2017", "train")[: args.curated]:
            lab = gold[post.id]
            save(store, post.id, LabelSet("mner", spans=lab.spans, source="annotator", author="benchmark"), lab.version)
        t0 = time.perf_counter()
        report = run_round(store, "twitter2017", "curated-round", variant=args.variant, epochs=args.epochs,
                           replay_ratio=1.0, held_out=("twitter2017", "test"))
        seconds = time.perf_counter() - t0
    result = {"benchmark": "curated_round", "command": "python benchmarks/curated_round.py " + " ".join(sys.argv[1:]),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "seconds": round(seconds, 1), "target_s": 180, "variant": args.variant,
              "epochs": args.epochs, "curated": report.curated, "replay": report.replay, "held_out": report.held_out,
              "held_out_f1_before": report.before["f1"], "held_out_f1_after": report.after["f1"],
              "forgetting_f1_before": report.forgetting["before"], "forgetting_f1_after": report.forgetting["after"],
              "forgetting_posts": report.forgetting["posts"],
              "seconds_per_epoch": report.seconds_per_epoch}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "curated_round.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
