"""Benchmark: the recorded ChatGPT knowledge as teacher output.

Per split, how many listed entities align to the post's tokens (exactly, or once spaces are
ignored, as in joined hashtags), and the teacher's own entity list as a zero-shot tagger on
Twitter-2017 test with the project's scorer. Writes benchmarks/results/teacher.json.

    python benchmarks/teacher.py
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cot_explorer.datasets.pgim_knowledge import align_knowledge, read_pgim_knowledge  # noqa: E402
from cot_explorer.datasets.twitter_conll import read_twitter_conll  # noqa: E402
from cot_explorer.evaluate import score_spans  # noqa: E402
from cot_explorer.labels import mner_schema_for  # noqa: E402
from cot_explorer.paths import data_dir  # noqa: E402
from cot_explorer.schema import Span  # noqa: E402
from cot_explorer.teacher.parse import align_entity, parse_pgim_text  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SPLITS = {"twitter2017": ("train", "valid", "test"), "twitter2015": ("train", "valid")}


def main() -> None:
    root = data_dir()
    per_split = {}
    tagger = None
    for dataset, splits in SPLITS.items():
        for split in splits:
            parsed = read_twitter_conll(root / dataset / f"{split}.txt", dataset, split, mner_schema_for(dataset),
                                        repair_bio=True)
            posts = [it.post for it in parsed.posts]
            pairs = dict(align_knowledge(read_pgim_knowledge(
                root / "knowledge/chatgpt-pgim" / dataset / f"{split}.txt"), posts).pairs)
            listed = exact = loose = caseless = skipped = 0
            gold, pred = [], []
            for it in parsed.posts:
                rec = pairs.get(it.post.id)
                spans = set()
                if rec:
                    p = parse_pgim_text(rec.text)
                    skipped += p.skipped
                    for e in p.entities:
                        listed += 1
                        s = align_entity(it.post, e.text)
                        if s is None:
                            caseless += align_entity(it.post, e.text, ignore_case=True) is not None
                            continue
                        spans.add(Span(s.start, s.end, None))
                        if " ".join(it.post.tokens[s.start:s.end]) == e.text.strip():
                            exact += 1
                        else:
                            loose += 1
                gold.append(it.labels[0].spans)
                pred.append(sorted(spans, key=lambda s: s.start))
            per_split[f"{dataset}/{split}"] = {
                "posts": len(posts), "posts_with_knowledge": len(pairs), "entities_listed": listed,
                "aligned_exactly": exact, "aligned_ignoring_spaces": loose, "aligned_only_ignoring_case": caseless,
                "not_aligned": listed - exact - loose - caseless,
                "aligned_share": round((exact + loose + caseless) / listed, 4) if listed else 0.0,
                "exact_share": round(exact / listed, 4) if listed else 0.0, "unreadable_list_items": skipped,
                "zero_shot_untyped": score_spans(gold, pred, typed=False).to_json()}
            if (dataset, split) == ("twitter2017", "test"):
                tagger = per_split[f"{dataset}/{split}"]["zero_shot_untyped"]
    result = {"benchmark": "teacher", "command": "python benchmarks/teacher.py",
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "splits": per_split, "teacher_as_tagger_twitter2017_test_untyped": tagger}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "teacher.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| split | entities listed | aligned exactly | + ignoring spaces | + ignoring case | not in the post | "
          "teacher as tagger, untyped F1 |")
    print("|---|---|---|---|---|---|---|")
    for k, v in per_split.items():
        print(f"| {k} | {v['entities_listed']} | {v['aligned_exactly']} ({100 * v['exact_share']:.1f}%) | "
              f"{v['aligned_ignoring_spaces']} | {v['aligned_only_ignoring_case']} | {v['not_aligned']} | "
              f"{v['zero_shot_untyped']['f1']:.2f} |")


if __name__ == "__main__":
    main()
