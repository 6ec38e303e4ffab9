"""Teacher answers per post and grain, keyed by the teacher cache key."""

from __future__ import annotations

import json
from typing import Iterable

from ..schema import Post, TeacherEntity, TeacherOutput
from ..teacher.cache import cache_key
from .core import Store, utc_now


def key_for(post: Post, out: TeacherOutput) -> str:
    # Without an image file the source's image name stands for it: two posts with the same
    # text but different images must not share an answer about the image.
    image = post.image_sha256 or (f"name:{post.image_name}" if post.image_name else None)
    return cache_key(post.text, image, out.template_version, out.model, out.grain)


def add_outputs(store: Store, items: Iterable[tuple[Post, TeacherOutput]]) -> int:
    """Store answers; an answer already cached under the same key is kept, not duplicated,
    except an earlier error, which a new answer replaces."""
    now = utc_now()
    rows = [
        {
            "cache_key": key_for(post, o), "post_id": o.post_id, "teacher": o.teacher, "model": o.model,
            "template_version": o.template_version, "grain": o.grain, "status": o.status, "text": o.text,
            "entities": json.dumps([e.to_json() for e in o.entities], ensure_ascii=False), "raw": o.raw,
            "error": o.error, "input_tokens": o.input_tokens, "output_tokens": o.output_tokens,
            "latency_s": o.latency_s, "cost_usd": o.cost_usd, "created_at": o.created_at or now,
        }
        for post, o in items
    ]
    with store.write():
        ok_keys = [r["cache_key"] for r in rows if r["status"] == "ok"]
        for i in range(0, len(ok_keys), 500):
            chunk = ok_keys[i : i + 500]
            store.conn.execute(f"DELETE FROM teacher_outputs WHERE status = 'error' AND cache_key IN "
                               f"({','.join('?' * len(chunk))})", chunk)
        store.db["teacher_outputs"].insert_all(rows, batch_size=1000, ignore=True)
    return len(rows)


def _output(row: dict) -> TeacherOutput:
    return TeacherOutput(
        post_id=row["post_id"], teacher=row["teacher"], model=row["model"],
        template_version=row["template_version"], grain=row["grain"], text=row["text"],
        entities=tuple(TeacherEntity.from_json(e) for e in json.loads(row["entities"])), raw=row["raw"],
        status=row["status"], error=row["error"], input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"], latency_s=row["latency_s"], cost_usd=row["cost_usd"],
        created_at=row["created_at"],
    )


def outputs_for_post(store: Store, post_id: str) -> list[TeacherOutput]:
    rows = store.db.query("SELECT * FROM teacher_outputs WHERE post_id = ? ORDER BY id", [post_id])
    return [_output(r) for r in rows]


def cached(store: Store, key: str) -> TeacherOutput | None:
    """A usable cached answer (errors are not: the next run asks again)."""
    rows = list(store.db.query("SELECT * FROM teacher_outputs WHERE cache_key = ? AND status = 'ok'", [key]))
    return _output(rows[0]) if rows else None


def posts_with_answers(store: Store, dataset: str, split: str, task: str = "mner") -> int:
    """How many posts of a split hold a successful teacher answer for `task`: an MRE answer
    belongs to an entity pair (grain `cot:<head>><tail>`), an MNER one to the whole post."""
    pair = "t.grain LIKE '%>%'" if task == "mre" else "t.grain NOT LIKE '%>%'"
    (n,) = store.conn.execute(
        f"""SELECT COUNT(DISTINCT t.post_id) FROM teacher_outputs t JOIN posts p ON p.id = t.post_id
            WHERE p.dataset = ? AND p.split = ? AND t.status = 'ok' AND {pair}""", (dataset, split)).fetchone()
    return n
