"""What every benchmark script shares: where results go and how a result file records the
command, the machine and the date. Imported as `from _common import ...`: a script's own
folder is on `sys.path` when it runs, so no path patching is needed."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class Deadline:
    """A `train_student` callback that stops training at a wall-clock time (`time.time()`); the
    run keeps its best-on-valid state so far and says so (`stopped`: cancelled)."""

    def __init__(self, at: float = float("inf")):
        self.at = at

    def on_step(self, step, total, loss) -> None:
        pass

    def on_eval(self, epoch, metrics) -> None:
        pass

    def should_cancel(self) -> bool:
        return time.time() > self.at


def machine() -> dict:
    """The machine a figure was measured on (torch is read only if it is already imported)."""
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine()}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def command() -> str:
    return "python " + " ".join([Path(sys.argv[0]).as_posix().split("/main/", 1)[-1], *sys.argv[1:]])


def write_result(name: str | Path, payload: dict, table: str | None = None) -> Path:
    """Write `results/<name>.json` (or a path) with command, machine and date, and print the table."""
    path = Path(name) if isinstance(name, Path) else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"command": command(), "machine": machine(),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **payload}
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    if table:
        print(table)
    print(f"wrote {path}")
    return path


def teacher_list_figures(dataset: str, split: str) -> dict:
    """The recorded ChatGPT entity list of one Twitter split as teacher output: how many listed
    entities align to the post's tokens (exactly, once spaces are ignored as in joined hashtags,
    or only once case is ignored) and the list scored as a zero-shot tagger, types ignored,
    against the gold spans with the project's scorer. The one place this is computed
    (benchmarks/teacher.py and benchmarks/student_report.py both report it)."""
    from cot_explorer.datasets.pgim_knowledge import align_knowledge, parse_pgim_text, read_pgim_knowledge
    from cot_explorer.datasets.twitter_conll import read_twitter_conll
    from cot_explorer.evaluate import score_spans
    from cot_explorer.labels import mner_schema_for
    from cot_explorer.paths import knowledge_file, twitter_file
    from cot_explorer.schema import Span
    from cot_explorer.tokenize import align_entity

    parsed = read_twitter_conll(twitter_file(dataset, split), dataset, split, mner_schema_for(dataset), repair_bio=True)
    posts = [it.post for it in parsed.posts]
    pairs = dict(align_knowledge(read_pgim_knowledge(knowledge_file(dataset, split)), posts).pairs)
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
    return {
        "posts": len(posts), "posts_with_knowledge": len(pairs), "entities_listed": listed,
        "aligned_exactly": exact, "aligned_ignoring_spaces": loose, "aligned_only_ignoring_case": caseless,
        "not_aligned": listed - exact - loose - caseless,
        "aligned_share": round((exact + loose + caseless) / listed, 4) if listed else 0.0,
        "exact_share": round(exact / listed, 4) if listed else 0.0, "unreadable_list_items": skipped,
        "zero_shot_untyped": score_spans(gold, pred, typed=False).to_json()}


TAGGER_SPLIT = ("twitter2017", "test")


def teacher_as_tagger(figures: dict | None = None) -> dict:
    """ChatGPT's own entity list scored as a tagger on Twitter-2017 test, untyped (its types are
    free text). `figures`: that split's `teacher_list_figures`, when already computed."""
    f = figures if figures is not None else teacher_list_figures(*TAGGER_SPLIT)
    return {"scorer": "entity-level exact span match, untyped (types are free text)",
            "listed": f["entities_listed"], "aligned_to_tokens": f["aligned_exactly"] + f["aligned_ignoring_spaces"],
            "untyped": f["zero_shot_untyped"]}
