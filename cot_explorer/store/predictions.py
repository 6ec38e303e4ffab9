"""Predictions of one model version per post, kept so that queues, error analysis and
rounds predict each post once per version. Each carries what made it (`made_by`: the backend
and number format): answers made another way (int8 asked for by name, say) are not read as the
app's fp32 ones (student/inference.py, `consistent`)."""

from __future__ import annotations

import json
from typing import Iterable, Mapping, Sequence

from ..schema import Span
from .core import Store, utc_now

# how answers were made: one way for every post, or each post's own (a model that reads the
# teacher's CoT: the CoT it read, which the teacher may have rewritten since)
MadeBy = str | Mapping[str, str] | None


def _made_by(payload: dict, made_by: str | None) -> bool:
    return made_by is None or payload.get("made_by") == made_by


# a post the mapping leaves out: no answer of it matches (None would match any)
_NONE_MATCHES = "\0no post of the mapping"


def _made_by_of(made_by, post_id: str) -> str | None:
    return made_by.get(post_id, _NONE_MATCHES) if isinstance(made_by, Mapping) else made_by


def cached_spans(store: Store, model_version: str, post_ids: Sequence[str] | None = None,
                 task: str = "mner", made_by: MadeBy = None) -> dict[str, list[tuple[int, int, str, float]]]:
    """{post id: [(start, end, type, confidence)]} for the posts `model_version` has predicted
    (`made_by`: only answers made that way; a mapping: each post's own way)."""
    rows = store.conn.execute("SELECT post_id, payload FROM predictions WHERE model_version = ? AND task = ?",
                              (model_version, task))
    wanted = set(post_ids) if post_ids is not None else None
    out = {}
    for pid, payload in rows:
        if wanted is None or pid in wanted:
            d = json.loads(payload)
            if _made_by(d, _made_by_of(made_by, pid)):
                out[pid] = [tuple(x) for x in d["spans"]]
    return out


def put_spans(store: Store, model_version: str, items: Iterable[tuple[str, list[tuple[int, int, str, float]]]],
              task: str = "mner", made_by: MadeBy = None) -> None:
    now = utc_now()
    rows = [{"post_id": pid, "task": task, "model_version": model_version, "created_at": now,
             "payload": json.dumps({"spans": [list(s) for s in spans], "made_by": _made_by_of(made_by, pid)})}
            for pid, spans in items]
    with store.write():
        store.db["predictions"].insert_all(rows, replace=True)


def cached_relations(store: Store, model_version: str, post_ids: Sequence[str] | None = None,
                     made_by: str | None = None) -> dict[str, dict[tuple[Span, Span], tuple[str, float]]]:
    """{post id: {(typed head, typed tail): (relation, confidence)}} a relation model version
    has answered. The arguments' types are part of the key: typed differently, a pair is
    asked again."""
    rows = store.conn.execute("SELECT post_id, payload FROM predictions WHERE model_version = ? AND task = 'mre'",
                              (model_version,))
    wanted = set(post_ids) if post_ids is not None else None
    out = {}
    for pid, payload in rows:
        if wanted is None or pid in wanted:
            d = json.loads(payload)
            if _made_by(d, made_by):
                out[pid] = {(Span(hs, he, ht), Span(ts, te, tt)): (label, conf)
                            for hs, he, ht, ts, te, tt, label, conf in d["pairs"]}
    return out


def put_relations(store: Store, model_version: str,
                  items: Iterable[tuple[str, dict[tuple[Span, Span], tuple[str, float]]]],
                  made_by: str | None = None) -> None:
    now = utc_now()
    rows = [{"post_id": pid, "task": "mre", "model_version": model_version, "created_at": now,
             "payload": json.dumps({"pairs": [[h.start, h.end, h.type, t.start, t.end, t.type, label, conf]
                                              for (h, t), (label, conf) in guesses.items()], "made_by": made_by})}
            for pid, guesses in items]
    with store.write():
        store.db["predictions"].insert_all(rows, replace=True)


def forget_predictions(store: Store, model_version: str) -> int:
    """Drop every cached prediction of `model_version` (both tasks); how many were dropped."""
    with store.write():
        return store.conn.execute("DELETE FROM predictions WHERE model_version = ?", (model_version,)).rowcount
