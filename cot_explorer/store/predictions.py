"""Predictions of one model version per post, kept so that queues, error analysis and
rounds predict each post once per version."""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from ..schema import Span
from .core import Store, utc_now


def cached_spans(store: Store, model_version: str, post_ids: Sequence[str] | None = None,
                 task: str = "mner") -> dict[str, list[tuple[int, int, str, float]]]:
    """{post id: [(start, end, type, confidence)]} for the posts `model_version` has predicted."""
    rows = store.conn.execute("SELECT post_id, payload FROM predictions WHERE model_version = ? AND task = ?",
                              (model_version, task))
    wanted = set(post_ids) if post_ids is not None else None
    return {pid: [tuple(x) for x in json.loads(payload)["spans"]] for pid, payload in rows
            if wanted is None or pid in wanted}


def put_spans(store: Store, model_version: str, items: Iterable[tuple[str, list[tuple[int, int, str, float]]]],
              task: str = "mner") -> None:
    now = utc_now()
    rows = [{"post_id": pid, "task": task, "model_version": model_version, "created_at": now,
             "payload": json.dumps({"spans": [list(s) for s in spans]})} for pid, spans in items]
    with store.write():
        store.db["predictions"].insert_all(rows, replace=True)


def cached_relations(store: Store, model_version: str, post_ids: Sequence[str] | None = None
                     ) -> dict[str, dict[tuple[Span, Span], tuple[str, float]]]:
    """{post id: {(typed head, typed tail): (relation, confidence)}} a relation model version
    has answered. The arguments' types are part of the key: typed differently, a pair is
    asked again."""
    rows = store.conn.execute("SELECT post_id, payload FROM predictions WHERE model_version = ? AND task = 'mre'",
                              (model_version,))
    wanted = set(post_ids) if post_ids is not None else None
    out = {}
    for pid, payload in rows:
        if wanted is None or pid in wanted:
            out[pid] = {(Span(hs, he, ht), Span(ts, te, tt)): (label, conf)
                        for hs, he, ht, ts, te, tt, label, conf in json.loads(payload)["pairs"]}
    return out


def put_relations(store: Store, model_version: str,
                  items: Iterable[tuple[str, dict[tuple[Span, Span], tuple[str, float]]]]) -> None:
    now = utc_now()
    rows = [{"post_id": pid, "task": "mre", "model_version": model_version, "created_at": now,
             "payload": json.dumps({"pairs": [[h.start, h.end, h.type, t.start, t.end, t.type, label, conf]
                                              for (h, t), (label, conf) in guesses.items()]})}
            for pid, guesses in items]
    with store.write():
        store.db["predictions"].insert_all(rows, replace=True)


def forget_predictions(store: Store, model_version: str) -> int:
    """Drop every cached prediction of `model_version` (both tasks); how many were dropped."""
    with store.write():
        return store.conn.execute("DELETE FROM predictions WHERE model_version = ?", (model_version,)).rowcount
