"""Entity pairs of an MNRE post, shown in Explore and Annotate: the current relation, the
relation student's (once one is the default) and the teacher's with its rationale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CotExplorerError, ValidationError
from ..labels import check_relation_label
from ..schema import LabelSet, Relation
from ..store import labels as label_store
from ..store import open_store
from ..store.knowledge import knowledge_for
from ..store.posts import get_post
from ..student.registry import Registry
from .common import student

RELATION_COLUMNS = ["pair", "head", "tail", "current label", "student", "teacher"]


@dataclass(frozen=True)
class RelationRow:
    index: int
    head: str
    tail: str
    current: str
    student: str
    teacher: str

    def cells(self) -> list:
        return [self.index, self.head, self.tail, self.current, self.student, self.teacher]


@dataclass(frozen=True)
class RelationsView:
    rows: list[RelationRow]
    version: int | None


def relations_view(home: Path, post_id: str) -> RelationsView:
    with open_store(home) as store:
        labels = label_store.current(store, post_id, "mre")
        if labels is None:  # not an MNRE post: nothing more to read
            return RelationsView([], None)
        post = get_post(store, post_id)
        teacher = [knowledge_for(store, post_id, "mre", (r.head, r.tail)) for r in labels.relations]
        try:
            has_student = Registry(store).default_path("mre") is not None
        except CotExplorerError:
            has_student = False
    if post is None:
        return RelationsView([], None)
    preds: dict[int, str] = {}
    if has_student:
        got = student(home, task="mre").predict_relations([(post.tokens, r.head, r.tail) for r in labels.relations])
        preds = {i: f"{p.label} ({p.confidence:.2f})" for i, p in enumerate(got)}
    rows = []
    for i, (r, k) in enumerate(zip(labels.relations, teacher)):
        said = f"{k.relation.label}: {k.relation.rationale}" if k and k.relation else ""
        rows.append(RelationRow(i, post.span_text(r.head), post.span_text(r.tail), r.label,
                                preds.get(i, "no relation student yet"), said))
    return RelationsView(rows, labels.version)


def save_relation(home: Path, post_id: str, index: int, label: str, base_version: int | None, author: str) -> RelationsView:
    """Change the relation of one entity pair; saved as a new MRE label version."""
    author = (author or "").strip()
    if not author:
        raise ValidationError("type your name in the annotator field before saving")
    check_relation_label(label)
    with open_store(home) as store:
        labels = label_store.current(store, post_id, "mre")
        if labels is None:
            raise ValidationError("this post has no entity pairs")
        rels = list(labels.relations)
        if not 0 <= int(index) < len(rels):
            raise ValidationError(f"pick a pair between 0 and {len(rels) - 1}")
        rels[int(index)] = Relation(rels[int(index)].head, rels[int(index)].tail, label)
        label_store.save(store, post_id, LabelSet("mre", relations=tuple(rels), source="annotator", author=author),
                         base_version)
    return relations_view(home, post_id)
