"""The one way anything reads teacher knowledge: `knowledge_for` (one post, or one entity
pair of it) and `knowledge_for_split` (many, for training). Only chains of thought that
succeeded are read, never augmentations; the newest answer wins; the text is what the
teacher wrote (never raw JSON), with the post's image caption."""

from __future__ import annotations

import json

from ..schema import GrainText, Knowledge, RelationAnswer, Span, TeacherEntity, pair_key
from .core import Store

_CAPTION = """(SELECT c.text FROM captions c WHERE c.dataset = p.dataset AND c.image_name = p.image_name
               ORDER BY c.model LIMIT 1)"""
_SELECT = f"""SELECT t.post_id, t.pair, t.teacher, t.model, t.text, t.grains, t.entities, t.relation,
                     {_CAPTION} AS caption
              FROM teacher_outputs t JOIN posts p ON p.id = t.post_id
              WHERE t.kind = 'cot' AND t.status = 'ok'"""


def _knowledge(row) -> Knowledge:
    relation = json.loads(row["relation"]) if row["relation"] else None
    return Knowledge(
        post_id=row["post_id"], teacher=row["teacher"], model=row["model"], written=row["text"],
        grains=tuple(GrainText.from_json(g) for g in json.loads(row["grains"])),
        entities=tuple(TeacherEntity.from_json(e) for e in json.loads(row["entities"])),
        relation=RelationAnswer(relation["label"], relation.get("rationale", "")) if relation else None,
        caption=row["caption"],
    )


def knowledge_for(store: Store, post_id: str, task: str = "mner", pair: tuple[Span, Span] | None = None
                  ) -> Knowledge | None:
    """What the teacher wrote about a post (task mner) or about one entity pair of it (task mre)."""
    if task == "mre":
        if pair is None:
            raise ValueError("an MRE answer belongs to an entity pair: give `pair`")
        where, args = " AND t.pair = ?", [post_id, pair_key(*pair)]
    else:
        where, args = " AND t.pair IS NULL", [post_id]
    rows = list(store.db.query(_SELECT + " AND t.post_id = ?" + where + " ORDER BY t.id DESC LIMIT 1", args))
    return _knowledge(rows[0]) if rows else None


def earlier_teachers(store: Store, post_id: str) -> list[Knowledge]:
    """What other teachers wrote about a post (its chains of thought for mner), the newest of
    each, newest first: shown beside the newest one, which is the one the student learns from
    (Claude asked about a post with a recorded chain of thought hid that one from view)."""
    rows = store.db.query(_SELECT + " AND t.post_id = ? AND t.pair IS NULL ORDER BY t.id DESC", [post_id])
    newest_of_each: dict[tuple[str, str], object] = {}
    for row in rows:   # each teacher's newest row, read into Knowledge only if kept
        newest_of_each.setdefault((row["teacher"], row["model"]), row)
    return [_knowledge(row) for row in list(newest_of_each.values())[1:]]   # the first is the one shown


def knowledge_for_split(store: Store, dataset: str, split: str, task: str = "mner") -> dict[tuple[str, str | None], Knowledge]:
    """{(post id, pair key or None): knowledge} for a whole split; the newest answer per key."""
    pair = "t.pair IS NOT NULL" if task == "mre" else "t.pair IS NULL"
    rows = store.db.query(_SELECT + f" AND p.dataset = ? AND p.split = ? AND {pair} ORDER BY t.id", [dataset, split])
    return {(r["post_id"], r["pair"]): _knowledge(r) for r in rows}


def _with_cot(task: str) -> str:
    """The rows that are a chain of thought for `task` (MRE: about one pair), succeeded."""
    return f"t.kind = 'cot' AND t.status = 'ok' AND t.pair IS {'NOT ' if task == 'mre' else ''}NULL"


def posts_with_knowledge(store: Store, dataset: str, split: str, task: str = "mner") -> int:
    """How many posts of a split hold a chain of thought for `task` (MRE: for at least one pair)."""
    (n,) = store.conn.execute(
        f"""SELECT COUNT(DISTINCT t.post_id) FROM teacher_outputs t JOIN posts p ON p.id = t.post_id
            WHERE p.dataset = ? AND p.split = ? AND {_with_cot(task)}""",
        (dataset, split)).fetchone()
    return n


def posts_with_knowledge_among(store: Store, post_ids, task: str = "mner") -> int:
    """How many of `post_ids` hold a chain of thought for `task` (a round's training posts:
    distilling from posts with none teaches the labels alone)."""
    ids = list(dict.fromkeys(post_ids))
    n = 0
    for i in range(0, len(ids), 500):   # SQLite's bound-parameter limit
        chunk = ids[i:i + 500]
        (k,) = store.conn.execute(
            f"""SELECT COUNT(DISTINCT t.post_id) FROM teacher_outputs t
                WHERE {_with_cot(task)} AND t.post_id IN ({",".join("?" * len(chunk))})""", chunk).fetchone()
        n += k
    return n
