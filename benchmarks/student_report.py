"""Assemble benchmarks/results/student.json and the README table from the runs.

Reads the device runs of benchmarks/student.py (benchmarks/results/device/*.json), the CPU
inference benchmark (benchmarks/results/inference.json), and scores the LLM teacher's own
entity list on Twitter-2017 test with the same scorer as the students.

    python benchmarks/student_report.py
"""

from __future__ import annotations

import argparse
import json
import statistics

from _common import RESULTS, teacher_as_tagger, write_result

from cot_explorer.datasets.twitter_conll import read_twitter_conll
from cot_explorer.evaluate import score_spans
from cot_explorer.labels import mner_schema_for
from cot_explorer.paths import twitter_file


def student_untyped() -> dict:
    """The shipped student on the teacher's terms: the same test posts, types ignored."""
    from cot_explorer.student.checkpoint import load_checkpoint
    from cot_explorer.student.registry import shipped_dir
    from cot_explorer.student.torch_predictor import StudentPredictor

    parsed = read_twitter_conll(twitter_file("twitter2017", "test"), "twitter2017", "test", mner_schema_for("twitter2017"))
    predictor = StudentPredictor(load_checkpoint(shipped_dir() / "mner-default"))  # dtype auto, as the app
    pred = predictor.predict_entities([it.post.tokens for it in parsed.posts])
    gold = [it.labels[0].spans for it in parsed.posts]
    return {"inference_dtype": predictor.dtype, "typed": score_spans(gold, [[p.span() for p in ps] for ps in pred]).to_json(),
            "untyped": score_spans(gold, [[p.span() for p in ps] for ps in pred], typed=False).to_json()}


def load_sources() -> list[tuple[str, dict]]:
    """Every benchmarks/student.py output kept under results/device and results/cpu."""
    out = []
    for folder in ("device", "cpu"):
        for f in sorted((RESULTS / folder).glob("student-*.json")):
            out.append((f"{folder}/{f.name}", json.loads(f.read_text())))
    return out


def group_key(spec: dict) -> str:
    """Runs are comparable when variant, data fraction and epoch budget match (seed apart)."""
    key = spec["id"].rsplit("-s", 1)[0]
    return f"{key} ({spec['epochs']} epochs)" if spec.get("epochs") else key


def group_runs(sources: list[tuple[str, dict]]) -> tuple[dict, list[dict]]:
    """Finished runs by group, one per seed: device results come first, so a group's seeds share
    a machine; a later run of the same id (another machine, or a rerun) is kept aside as a rerun."""
    groups: dict[str, list[tuple[dict, str]]] = {}
    reruns, seen = [], {}
    for name, src in sources:
        gpu = src["machine"].get("gpu")
        where = f"{gpu}" if gpu else f"{src['machine']['cpus']} CPU cores"
        for r in src["runs"]:
            if "test" not in r:
                continue
            key = group_key(r["spec"])
            ident = (key, r["spec"]["seed"])
            if ident in seen:
                reruns.append({"group": key, "seed": r["spec"]["seed"], "test_f1": r["test"]["f1"], "machine": where,
                               "source": name, "first": seen[ident]})
                continue
            seen[ident] = {"test_f1": r["test"]["f1"], "machine": where, "source": name}
            groups.setdefault(key, []).append((r, where))
    return groups, reruns


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    sources = load_sources()
    inference = json.loads((RESULTS / "inference.json").read_text()) if (RESULTS / "inference.json").exists() else None
    teacher = teacher_as_tagger()
    student = student_untyped()
    groups, reruns = group_runs(sources)
    rows = []

    def row(name, rs, note=""):
        f1 = [r["test"]["f1"] for r, _ in rs]
        ms = f"{statistics.mean(f1):.2f} ± {statistics.stdev(f1):.2f}" if len(f1) > 1 else f"{f1[0]:.2f}"
        machines = ", ".join(sorted({w for _, w in rs}))
        rows.append(f"| {name} | {len(rs)} | {statistics.mean(r['test']['precision'] for r, _ in rs):.2f} | "
                    f"{statistics.mean(r['test']['recall'] for r, _ in rs):.2f} | **{ms}** | "
                    f"{statistics.mean(r['valid']['f1'] for r, _ in rs):.2f} | {note} | {machines} |")

    notes = {"mner-text": "no CoT at all", "mner-distill": "the full method; text only at inference",
             "mner-distill-plain": "unconditional learnable prompts", "mner-knowledge (5 epochs)": "CoT at train and test",
             "mner-text-noshape": "text, no word-shape features",
             "mner-text (7 epochs)": "text, 7 epochs",
             "mner-text-noshape (7 epochs)": "text, 7 epochs, no word-shape features",
             "mner-distill (7 epochs)": "distill, 7 epochs (seed 42 is mner-twitter2017, the previous default)",
             "mner-distill-noshape (7 epochs)": "distill, 7 epochs, no word-shape features",
             "mner10-text": "10% of train, no CoT", "mner10-distill": "10% of train, distilled",
             "mre-text (3 epochs)": "MNRE, micro-F1 without None",
             "mre-distill (3 epochs)": "MNRE, distilled from the live teacher's answer per pair"}
    for key in notes:
        if key in groups:
            row(key, groups[key], notes[key])
    for key in sorted(set(groups) - set(notes)):
        row(key, groups[key])
    shipped = [(r, "NVIDIA H200") for name, src in sources if "shipped" in name for r in src["runs"] if "test" in r]
    if shipped:
        row("the previous shipped default: distill, seed 42, 7 epochs", shipped, "models/mner-twitter2017 (fp16)")
    su, tu = student["untyped"], teacher["untyped"]
    rows.append(f"| the previous default, types ignored | 1 | {su['precision']:.2f} | {su['recall']:.2f} | **{su['f1']:.2f}** | - | "
                f"untyped, for the line below | 2 CPU cores, {student['inference_dtype']} |")
    rows.append(f"| ChatGPT's own entity list (teacher as tagger) | - | {tu['precision']:.2f} | {tu['recall']:.2f} | "
                f"**{tu['f1']:.2f}** | - | untyped (its types are free text) | recorded |")
    table = "\n".join(["| system (Twitter-2017 test, entity-level micro F1 %) | seeds | P | R | F1 | valid F1 | note | trained on |",
                       "|---|---|---|---|---|---|---|---|"] + rows)
    ran = {r["spec"]["id"] for _, src in sources for r in src["runs"] if "test" in r}
    planned = {r["spec"]["id"] for _, src in sources for r in src["runs"]}
    result = {"benchmark": "student", "sources": [n for n, _ in sources],
              "commands": {n: src["command"] for n, src in sources},
              "groups": {k: {"test_f1": [r["test"]["f1"] for r, _ in v], "valid_f1": [r["valid"]["f1"] for r, _ in v],
                             "machines": sorted({w for _, w in v})} for k, v in groups.items()},
              "reruns": reruns,
              "shipped_student": student, "teacher_as_tagger": teacher, "inference": inference,
              "not_run": sorted(planned - ran), "table": table}
    write_result("student", result, table)
    print("\nplanned but not finished:", ", ".join(sorted(planned - ran)) or "none")
    for r in reruns:
        print(f"rerun, not in the table: {r['group']} seed {r['seed']} {r['test_f1']:.2f} on {r['machine']} "
              f"({r['source']}); the table's run: {r['first']['test_f1']:.2f} on {r['first']['machine']}")


if __name__ == "__main__":
    main()
