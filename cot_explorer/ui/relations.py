"""Entity pairs of an MNRE post, shown in Explore and Annotate: the current relation, the
relation student's suggestion with its probability and the teacher's with its rationale,
the pairs the student is least sure of first. One place for both tabs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CotExplorerError, ValidationError
from ..labels import check_relation_label
from ..schema import LabelSet, Post, Relation
from ..store import labels as label_store
from ..store import open_store
from ..store.knowledge import knowledge_for
from ..store.labels import HistoryEntry
from ..store.posts import get_post
from ..student.registry import Registry
from .common import who_saves
from .predicted import PairGuess, cached_relations

RELATION_COLUMNS = ["#", "head", "tail", "current label", "student (probability)", "teacher: rationale"]
ARGUMENT_NAMES = {"PER": "person", "LOC": "location", "ORG": "organization", "MISC": "misc", "OTHER": "misc"}


@dataclass(frozen=True)
class TeacherRelation:
    label: str
    rationale: str
    model: str


@dataclass(frozen=True)
class PairView:
    index: int                      # position in the post's relation labels (what a save names)
    relation: Relation
    head_text: str
    tail_text: str
    student: PairGuess | None
    teacher: TeacherRelation | None

    def cells(self) -> list:
        s = self.student
        student = (f"{s.label} ({s.confidence:.2f}; {_typed(s)})" if s else "no relation student yet")
        teacher = f"{self.teacher.label}: {self.teacher.rationale}" if self.teacher else ""
        return [self.index + 1, self.head_text, self.tail_text, self.relation.label, student, teacher]


def _typed(g: PairGuess) -> str:
    """The argument types the relation student was given (from the entity model's spans)."""
    name = lambda span: ARGUMENT_NAMES.get(span.type or "", "no entity type found")  # noqa: E731
    return f"arguments seen as {name(g.head)} → {name(g.tail)}"


@dataclass(frozen=True)
class PairsView:
    pairs: list[PairView]           # least sure first when the student answered
    version: int | None

    @property
    def rows(self) -> list[list]:
        return [p.cells() for p in self.pairs]


def relation_student_available(home: Path) -> bool:
    with open_store(home) as store:
        try:
            Registry(store).default_path("mre")
            return True
        except CotExplorerError:
            return False


def pairs_view(home: Path, post: Post | str) -> PairsView:
    with open_store(home) as store:
        post = get_post(store, post) if isinstance(post, str) else post
        labels = label_store.current(store, post.id, "mre") if post is not None else None
        if labels is None:  # not an MNRE post: nothing more to read
            return PairsView([], None)
        teacher = [knowledge_for(store, post.id, "mre", (r.head, r.tail)) for r in labels.relations]
    guesses = cached_relations(home, [post]).get(post.id, []) if relation_student_available(home) else []
    pairs = [PairView(i, r, post.span_text(r.head), post.span_text(r.tail), guesses[i] if guesses else None,
                      TeacherRelation(k.relation.label, k.relation.rationale or "", k.model) if k and k.relation
                      else None)
             for i, (r, k) in enumerate(zip(labels.relations, teacher))]
    if guesses:
        pairs.sort(key=lambda p: p.student.confidence)
    return PairsView(pairs, labels.version)


class PairChangedMeanwhile(ValidationError):
    """Someone saved another relation for the same pair while this one was being picked: theirs
    is not replaced unseen (the editor is handed the pairs as they are now)."""


def _who_changed(store, post_id: str, index: int, since: int) -> HistoryEntry | None:
    """The newest version after `since` that changed pair `index` (not the newest save: that
    may be of another pair)."""
    def pair_at(version: int):
        labels = label_store.labels_at(store, post_id, "mre", version)
        return labels.relations[index] if labels is not None and index < len(labels.relations) else None

    changer, before = None, pair_at(since)
    for entry in label_store.post_history(store, post_id):
        if entry.task == "mre" and entry.version > since:
            now = pair_at(entry.version)
            if now != before:
                changer = entry
            before = now
    return changer


def set_relation(home: Path, post_id: str, index: int, label: str, base_version: int | None,
                 author: str) -> tuple[LabelSet, Relation, Post, HistoryEntry | None]:
    """Change the relation of one entity pair, saved as a new MRE label version; returns the
    saved labels, the relation as it was, the post, and the save it went on top of where the
    post's relations changed since `base_version` on other pairs only. Two annotators on one
    post each changing their own pair were refused with "conflict … reload the post": a pair's
    relation is its own, so only a change of the same pair meanwhile refuses (said by whom)."""
    author = who_saves(author)
    check_relation_label(label)
    with open_store(home) as store, store.write():
        labels = label_store.current(store, post_id, "mre")
        if labels is None:
            raise ValidationError("this post has no entity pairs")
        rels = list(labels.relations)
        if not isinstance(index, int) or not 0 <= index < len(rels):
            raise ValidationError(f"pick a pair between 1 and {len(rels)}")
        old = rels[index]
        head = label_store.head(store, post_id, "mre")
        over = None
        if base_version is not None and head is not None and head.version != base_version:
            seen = label_store.labels_at(store, post_id, "mre", base_version)
            post = get_post(store, post_id)
            if seen is None or len(seen.relations) != len(rels) or seen.relations[index] != old:
                was = seen.relations[index].label if seen is not None and index < len(seen.relations) else None
                by = _who_changed(store, post_id, index, base_version) or head
                raise PairChangedMeanwhile(
                    f"{by.author} set {post.span_text(old.head)} → {post.span_text(old.tail)} to {old.label} "
                    f"(version {by.version}) while you were choosing"
                    + (f" (it was {was})" if was and was != old.label else "")
                    + "; the pair shows theirs now: pick again to replace it")
            over, base_version = head, head.version   # other pairs changed: this one goes on top
        rels[index] = Relation(old.head, old.tail, label)
        saved = label_store.save(store, post_id, LabelSet("mre", relations=tuple(rels), source="annotator",
                                                          author=author), base_version)
        post = get_post(store, post_id)
    return saved, old, post, over
