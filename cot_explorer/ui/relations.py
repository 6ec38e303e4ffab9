"""Entity pairs of an MNRE post, shown in Explore and Annotate: the current relation, the
relation student's suggestion with its probability and the teacher's with its rationale,
the pairs the student is least sure of first. One place for both tabs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CotExplorerError
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
    model: str | None = None        # the relation student that answered (the entity row names its own)

    @property
    def rows(self) -> list[list]:
        return [p.cells() for p in self.pairs]

    @property
    def headers(self) -> list[str]:
        """The columns, the student's named by its version (after a promotion, which one answered)."""
        return [f"student ({self.model}, probability)" if h == "student (probability)" and self.model else h
                for h in RELATION_COLUMNS]


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
    model = next((g.model for g in guesses), None)   # the student that answered, not the default read again
    pairs = [PairView(i, r, post.span_text(r.head), post.span_text(r.tail), guesses[i] if guesses else None,
                      TeacherRelation(k.relation.label, k.relation.rationale or "", k.model) if k and k.relation
                      else None)
             for i, (r, k) in enumerate(zip(labels.relations, teacher))]
    if guesses:
        pairs.sort(key=lambda p: p.student.confidence)
    return PairsView(pairs, labels.version, model)


def set_relation(home: Path, post_id: str, index: int, label: str, base_version: int | None,
                 author: str) -> tuple[LabelSet, Relation, Post, HistoryEntry | None]:
    """Change the relation of one entity pair (`store.labels.change_relation`); returns the
    saved labels, the relation as it was, the post, and the save it went on top of where others
    changed other pairs since."""
    author = who_saves(author)
    with open_store(home) as store:
        change = label_store.change_relation(store, post_id, index, label, base_version, author)
        post = get_post(store, post_id)
    return change.saved, change.old, post, change.over
