"""Teacher answers per post and slot, keyed by the teacher cache key (store/keys.py).

Written here, read back as raw answers only for the teach pipeline's bookkeeping; anything
that wants the teacher's knowledge reads it through `store.knowledge.knowledge_for`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Iterable

from ..schema import GrainText, Post, RelationAnswer, TeacherEntity, TeacherOutput
from .core import Store, utc_now
from .keys import output_key


def _row(post: Post, o: TeacherOutput, now: str) -> dict:
    return {
        "cache_key": output_key(post, o), "post_id": post.id, "teacher": o.teacher, "model": o.model,
        "template_version": o.template_version, "grain": o.slot, "status": o.status, "text": o.text,
        "entities": json.dumps([e.to_json() for e in o.entities], ensure_ascii=False), "raw": o.raw,
        "error": o.error, "input_tokens": o.input_tokens, "output_tokens": o.output_tokens,
        "latency_s": o.latency_s, "cost_usd": o.cost_usd, "created_at": o.created_at or now,
        "grains": json.dumps([g.to_json() for g in o.grains], ensure_ascii=False),
        "relation": json.dumps({"label": o.relation.label, "rationale": o.relation.rationale}) if o.relation else None,
        "kind": "augment" if o.is_augmentation else "cot", "pair": o.pair,
    }


def add_outputs(store: Store, items: Iterable[tuple[Post, TeacherOutput]]) -> int:
    """Store answers, each as the answer about the post it comes with; an answer that post
    already has under the same key is kept, not duplicated, except an earlier error, which a
    new answer replaces. Another post of the same text and image keeps a row of its own."""
    now = utc_now()
    rows = [_row(post, o, now) for post, o in items]
    with store.write():
        store.conn.executemany("DELETE FROM teacher_outputs WHERE status = 'error' AND cache_key = ? AND post_id = ?",
                               [(r["cache_key"], r["post_id"]) for r in rows if r["status"] == "ok"])
        store.db["teacher_outputs"].insert_all(rows, batch_size=1000, ignore=True)
    return len(rows)


def share_cached(store: Store, post: Post, out: TeacherOutput) -> bool:
    """`out`, an answer cached about another post of the same text and image, kept as `post`'s
    too (nothing spent on it: no tokens, no cost; asked when the first was). True when `post`
    had no row of it yet."""
    if has_answer(store, post, out):
        return False
    add_outputs(store, [(post, replace(out, post_id=post.id, input_tokens=0, output_tokens=0, cost_usd=0.0,
                                       latency_s=0.0))])
    return True


def has_answer(store: Store, post: Post, out: TeacherOutput) -> bool:
    """Whether `post` has a usable row of the answer `out` (by its cache key)."""
    return store.conn.execute("SELECT 1 FROM teacher_outputs WHERE cache_key = ? AND post_id = ? AND status = 'ok'",
                              (output_key(post, out), post.id)).fetchone() is not None


def output_from_row(row: dict) -> TeacherOutput:
    relation = json.loads(row["relation"]) if row.get("relation") else None
    return TeacherOutput(
        post_id=row["post_id"], teacher=row["teacher"], model=row["model"],
        template_version=row["template_version"], slot=row["grain"], text=row["text"],
        entities=tuple(TeacherEntity.from_json(e) for e in json.loads(row["entities"])), raw=row["raw"],
        status=row["status"], error=row["error"], input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"], latency_s=row["latency_s"], cost_usd=row["cost_usd"],
        created_at=row["created_at"], grains=tuple(GrainText.from_json(g) for g in json.loads(row["grains"])),
        relation=RelationAnswer(relation["label"], relation.get("rationale", "")) if relation else None,
    )


def outputs_for_post(store: Store, post_id: str) -> list[TeacherOutput]:
    """Every answer about a post, errors and augmentations included, oldest first."""
    rows = store.db.query("SELECT * FROM teacher_outputs WHERE post_id = ? ORDER BY id", [post_id])
    return [output_from_row(r) for r in rows]


def cached(store: Store, key: str) -> TeacherOutput | None:
    """A usable cached answer (errors are not: the next run asks again)."""
    rows = list(store.db.query("SELECT * FROM teacher_outputs WHERE cache_key = ? AND status = 'ok'", [key]))
    return output_from_row(rows[0]) if rows else None


def last_error(store: Store, post_id: str) -> str | None:
    row = store.conn.execute("SELECT error FROM teacher_outputs WHERE post_id = ? AND status = 'error' "
                             "ORDER BY id DESC LIMIT 1", (post_id,)).fetchone()
    return row[0] if row else None
