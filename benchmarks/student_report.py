"""Assemble benchmarks/results/student.json and the README table from the runs.

Reads the device runs of benchmarks/student.py (benchmarks/results/device/*.json), the CPU
inference benchmark (benchmarks/results/inference.json), and scores the LLM teacher's own
entity list on Twitter-2017 test with the same scorer as the students.

    python benchmarks/student_report.py
"""

from __future__ import annotations

import json
import statistics
import sys
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


def teacher_as_tagger() -> dict:
    root = data_dir()
    parsed = read_twitter_conll(root / "twitter2017/test.txt", "twitter2017", "test", mner_schema_for("twitter2017"))
    posts = [it.post for it in parsed.posts]
    pairs = dict(align_knowledge(read_pgim_knowledge(root / "knowledge/chatgpt-pgim/twitter2017/test.txt"), posts).pairs)
    gold, pred, listed, aligned = [], [], 0, 0
    for it in parsed.posts:
        gold.append(it.labels[0].spans)
        spans = set()
        rec = pairs.get(it.post.id)
        for e in parse_pgim_text(rec.text).entities if rec else ():
            listed += 1
            s = align_entity(it.post, e.text)
            if s:
                aligned += 1
                spans.add(Span(s.start, s.end, None))
        pred.append(sorted(spans, key=lambda s: s.start))
    untyped = score_spans(gold, pred, typed=False)
    return {"scorer": "entity-level exact span match, untyped (types are free text)",
            "listed": listed, "aligned_to_tokens": aligned, "untyped": untyped.to_json()}


def untyped_of(run: dict) -> None:
    return None


def main() -> None:
    grid = json.loads((RESULTS / "device/student-grid-h200.json").read_text())
    shipped = json.loads((RESULTS / "device/student-shipped-h200.json").read_text())
    inference = json.loads((RESULTS / "inference.json").read_text()) if (RESULTS / "inference.json").exists() else None
    teacher = teacher_as_tagger()
    runs = [r for r in grid["runs"] + shipped["runs"] if "test" in r]
    groups: dict[str, list[dict]] = {}
    for r in grid["runs"]:
        if "test" in r:
            groups.setdefault(r["spec"]["id"].rsplit("-s", 1)[0], []).append(r)
    rows = []

    def row(name, rs, note=""):
        f1 = [r["test"]["f1"] for r in rs]
        ms = (f"{statistics.mean(f1):.2f} ± {statistics.stdev(f1):.2f}" if len(f1) > 1 else f"{f1[0]:.2f}")
        rows.append(f"| {name} | {len(rs)} | {statistics.mean(r['test']['precision'] for r in rs):.2f} | "
                    f"{statistics.mean(r['test']['recall'] for r in rs):.2f} | **{ms}** | "
                    f"{statistics.mean(r['valid']['f1'] for r in rs):.2f} | {note} |")

    notes = {"mner-text": "no CoT at all", "mner-distill": "full method; text only at inference",
             "mner-distill-plain": "unconditional prompts", "mner-text-noshape": "no word-shape features",
             "mner10-text": "10% of train"}
    for key in ("mner-text", "mner-distill", "mner-distill-plain", "mner-text-noshape", "mner10-text"):
        if key in groups:
            row(key, groups[key], notes[key])
    row("shipped default (distill, seed 42, 7 epochs)", [r for r in shipped["runs"] if "test" in r], "models/mner-default")
    rows.append(f"| ChatGPT's own entity list (teacher as tagger) | - | {teacher['untyped']['precision']:.2f} | "
                f"{teacher['untyped']['recall']:.2f} | **{teacher['untyped']['f1']:.2f}** (untyped) | - | same scorer, types ignored |")
    table = "\n".join(["| system (Twitter-2017 test) | seeds | P | R | F1 | valid F1 | note |", "|---|---|---|---|---|---|---|"] + rows)
    missing = [r["spec"]["id"] for r in grid["runs"] if "test" not in r]
    result = {"benchmark": "student", "sources": {"grid": "benchmarks/results/device/student-grid-h200.json",
                                                  "shipped": "benchmarks/results/device/student-shipped-h200.json"},
              "commands": {"grid": grid["command"], "shipped": shipped["command"]},
              "machine": {"training": grid["machine"], "inference": inference["machine"] if inference else None},
              "summary": grid["summary"], "shipped": shipped["summary"], "teacher_as_tagger": teacher,
              "inference": inference, "not_run_in_time": missing, "table": table}
    (RESULTS / "student.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table)
    print("\nnot finished before the device deadline:", ", ".join(missing))


if __name__ == "__main__":
    main()
