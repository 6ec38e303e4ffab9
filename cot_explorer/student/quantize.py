"""Whether a checkpoint's int8 ONNX export may serve: measured, never assumed.

Both exports score the checkpoint's test set (Twitter-2017 test for entity models, MNRE
test for relation models, or a file given); int8 qualifies when its F1 is within
inference.INT8_MAX_LOSS of fp32 and it gives the same answers as fp32 for at least
INT8_MIN_AGREEMENT % of them (both ways). The figures, the span agreement between the two and the
verdict are written into the checkpoint's manifest, which `auto` reads."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CotExplorerError
from ..paths import mnre_file, twitter_file
from .file_scores import evaluate_file
from .inference import INT8_MAX_LOSS, INT8_MIN_AGREEMENT
from .manifest import Manifest
from .onnx_export import INT8_METHOD, ensure_export, weights_hash
from .onnx_predictor import OnnxPredictor


def _answers(p: OnnxPredictor, path: str, task: str, entities) -> tuple[set, float]:
    """Every answer of `p` on the file (entity spans, or one relation per pair) and the
    seconds it took."""
    if task == "mner":
        from ..datasets.twitter_conll import read_twitter_conll, tag_types
        from ..labels import mner_schema_for

        posts = [it.post.tokens for it in read_twitter_conll(path, "q", "q", mner_schema_for("", tag_types(path)),
                                                             repair_bio=True).posts]
        t0 = time.perf_counter()
        got = p.predict_entities(posts)
        return {(i, s.start, s.end, s.type) for i, ps in enumerate(got) for s in ps}, time.perf_counter() - t0
    from ..datasets.mnre import read_mnre
    from .relation_arguments import typed_pair

    parsed = read_mnre(path, "q", "q")
    items = [(it.post.tokens, r.head, r.tail) for it in parsed.posts for r in it.labels[0].relations]
    if entities is not None:
        posts = list(dict.fromkeys(tuple(w) for w, *_ in items))
        ents = dict(zip(posts, ([s.span() for s in ps] for ps in entities.predict_entities(posts))))
        items = [(w, *typed_pair(h, t, ents[tuple(w)])) for w, h, t in items]
    t0 = time.perf_counter()
    got = p.predict_relations(items)
    return {(i, r.label) for i, r in enumerate(got)}, time.perf_counter() - t0


def measure_and_record(checkpoint: Path, data: str | None = None, entity_model: Path | None = None) -> dict:
    checkpoint = Path(checkpoint)
    manifest = Manifest.read(checkpoint)
    task = manifest.task
    path = data or str(twitter_file("twitter2017", "test") if task == "mner" else mnre_file("test"))
    fmt = "twitter" if task == "mner" else "mnre"
    ensure_export(checkpoint, "fp32")
    ensure_export(checkpoint, "int8")
    fp32, int8 = OnnxPredictor(checkpoint, "fp32"), OnnxPredictor(checkpoint, "int8")
    entities = OnnxPredictor(entity_model, "fp32") if entity_model is not None else None
    f_fp32 = evaluate_file(fp32, path, fmt, entities)["f1"]
    f_int8 = evaluate_file(int8, path, fmt, entities)["f1"]
    a, t_fp32 = _answers(fp32, path, task, entities)
    b, t_int8 = _answers(int8, path, task, entities)
    kept = round(100 * len(a & b) / max(1, len(a)), 2)        # fp32's answers int8 gives too
    new = round(100 * len(b - a) / max(1, len(b)), 2)          # int8's answers fp32 does not give
    loss = round(f_fp32 - f_int8, 2)
    qualifies = loss <= INT8_MAX_LOSS and kept >= INT8_MIN_AGREEMENT and 100 - new >= INT8_MIN_AGREEMENT
    record = {"measured_on": data or ("Twitter-2017 test" if task == "mner" else "MNRE test"),
              "export_key": weights_hash(checkpoint), "max_loss": INT8_MAX_LOSS, "min_agreement": INT8_MIN_AGREEMENT,
              "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "fp32": {"f1": f_fp32, "seconds": round(t_fp32, 2)},
              "int8": {"f1": f_int8, "f1_loss": loss, "fp32_answers_kept": kept, "answers_not_in_fp32": new,
                       "seconds": round(t_int8, 2), "faster_than_fp32": t_int8 < t_fp32, "qualifies": qualifies,
                       "method": INT8_METHOD}}
    raw = json.loads((checkpoint / "manifest.json").read_text())
    raw["onnx"] = record
    tmp = checkpoint / ".manifest.json.tmp"
    try:
        tmp.write_text(json.dumps(raw, indent=2) + "\n")
        os.replace(tmp, checkpoint / "manifest.json")
    except OSError as e:  # a read-only install: the measurement is shown, the manifest is left as it was
        raise CotExplorerError(f"measured, but could not write {checkpoint / 'manifest.json'} ({e.strerror}): "
                               f"int8 {record['int8']['f1']} against fp32 {record['fp32']['f1']} F1, "
                               f"{record['int8']['fp32_answers_kept']} % of fp32's answers kept") from e
    return record
