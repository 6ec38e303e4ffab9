"""The typed records that cross module boundaries: one definition of each.

Token offsets are Python string indices (code points) into `Post.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from .errors import ValidationError
from .limits import MAX_NAME_CHARS, MAX_POST_CHARS, MAX_POST_TOKENS, check_name, check_text

Task = Literal["mner", "mre"]
LabelSource = Literal["gold", "student", "teacher", "annotator"]
TASKS: tuple[str, ...] = ("mner", "mre")
LABEL_SOURCES: tuple[str, ...] = ("gold", "student", "teacher", "annotator")


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) of a post; `type` is None for an untyped MRE argument. `origin`
    says where a saved span came from ("annotator", "student:<model version>",
    "teacher:<model>"); it is not part of what a span is (two spans that differ only in
    origin are equal)."""

    start: int
    end: int
    type: str | None
    origin: str | None = field(default=None, compare=False)

    def check_bounds(self, n_tokens: int) -> None:
        if not (_is_int(self.start) and _is_int(self.end)):
            raise ValidationError(f"span offsets must be integers, got {self.start!r}:{self.end!r}")
        if not 0 <= self.start < self.end <= n_tokens:
            raise ValidationError(
                f"span {self.start}:{self.end} is out of range for a post of {n_tokens} tokens"
            )

    def to_json(self) -> dict:
        d = {"start": self.start, "end": self.end, "type": self.type}
        if self.origin:
            d["origin"] = self.origin
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Span":
        try:
            start, end, type_ = d["start"], d["end"], d.get("type")
        except (KeyError, TypeError, AttributeError) as e:
            raise ValidationError(f"a span needs start, end and type, got {str(d)[:80]!r}") from e
        if not (_is_int(start) and _is_int(end)):
            raise ValidationError(f"span offsets must be integers, got {start!r}:{end!r}")
        if type_ is not None and not isinstance(type_, str):
            raise ValidationError(f"a span's type must be text, got {type_!r}")
        origin = d.get("origin")
        if origin is not None:
            check_text(origin, "a span's origin", MAX_NAME_CHARS + 20)
        return cls(start, end, type_, origin)


def _is_int(x: object) -> bool:
    """An int that is not a bool (`True` is an int to Python, not a token position to us)."""
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class Relation:
    head: Span
    tail: Span
    label: str

    def to_json(self) -> dict:
        return {"head": self.head.to_json(), "tail": self.tail.to_json(), "label": self.label}

    @classmethod
    def from_json(cls, d: dict) -> "Relation":
        try:
            head, tail, label = d["head"], d["tail"], d["label"]
        except (KeyError, TypeError, AttributeError) as e:
            raise ValidationError(f"a relation needs head, tail and label, got {str(d)[:80]!r}") from e
        if not isinstance(label, str):
            raise ValidationError(f"a relation label must be text, got {label!r}")
        return cls(Span.from_json(head), Span.from_json(tail), label)


@dataclass(frozen=True)
class Post:
    """One tweet: text, its tokens with character offsets, and where its image is."""

    id: str
    text: str
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    dataset: str
    split: str
    source: str
    image_name: str | None = None
    image_sha256: str | None = None
    caption: str | None = None
    position: int = 0

    def __post_init__(self) -> None:
        """Checked before anything else touches the post, cheapest checks first: a huge post
        is refused by its length before any per-character work."""
        if not self.id:
            raise ValidationError("a post needs an id")
        check_text(self.id, "a post id", 300)
        check_text(self.text, f"post {self.id}", MAX_POST_CHARS)
        for value, what in ((self.dataset, "dataset name"), (self.split, "split name")):
            check_name(value, f"post {self.id}: its {what}", MAX_NAME_CHARS)
        if not self.text.strip() or not self.tokens:
            raise ValidationError(f"post {self.id} is empty: a post needs text with at least one token")
        if len(self.tokens) > MAX_POST_TOKENS:
            raise ValidationError(f"post {self.id} has {len(self.tokens):,} tokens; at most {MAX_POST_TOKENS:,} are accepted")
        if len(self.tokens) != len(self.offsets):
            raise ValidationError(f"post {self.id}: {len(self.tokens)} tokens but {len(self.offsets)} offsets")
        prev_end = 0
        for tok, off in zip(self.tokens, self.offsets):
            if not isinstance(tok, str) or not isinstance(off, tuple) or len(off) != 2 \
                    or not (_is_int(off[0]) and _is_int(off[1])):
                raise ValidationError(f"post {self.id}: tokens must be text with [start, end] integer offsets")
            s, e = off
            if not tok.strip(" \t\n\r"):
                raise ValidationError(f"post {self.id}: a token is empty or only spaces")
            if s < prev_end or self.text[s:e] != tok:
                raise ValidationError(f"post {self.id}: token {tok!r} does not sit at characters {s}:{e}")
            prev_end = e

    def char_span(self, span: Span) -> tuple[int, int]:
        """Character offsets of a token span."""
        span.check_bounds(len(self.tokens))
        return self.offsets[span.start][0], self.offsets[span.end - 1][1]

    def span_text(self, span: Span) -> str:
        s, e = self.char_span(span)
        return self.text[s:e]


@dataclass(frozen=True)
class LabelSet:
    """The labels of one post for one task from one source; a version once stored."""

    task: Task
    spans: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()
    source: LabelSource = "gold"
    author: str = ""
    model_version: str | None = None
    created_at: str | None = None
    version: int | None = None
    replaces: int | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValidationError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.source not in LABEL_SOURCES:
            raise ValidationError(f"label source must be one of {LABEL_SOURCES}, got {self.source!r}")
        if self.author:
            check_text(self.author, "the annotator name", MAX_NAME_CHARS)
        if self.task == "mner" and self.relations:
            raise ValidationError("an mner label set holds spans, not relations")
        if self.task == "mre" and self.spans:
            raise ValidationError("an mre label set holds relations, not spans")

    def payload(self) -> dict:
        """The part that is the label itself (what the store keeps as JSON)."""
        if self.task == "mner":
            return {"spans": [s.to_json() for s in self.spans]}
        return {"relations": [r.to_json() for r in self.relations]}

    @classmethod
    def from_payload(cls, task: Task, payload: dict, **meta) -> "LabelSet":
        if not isinstance(payload, dict):
            raise ValidationError(f"labels must be an object, got {payload!r}")
        if task == "mner":
            spans = payload.get("spans", [])
            if not isinstance(spans, list):
                raise ValidationError(f"spans must be a list, got {spans!r}")
            return cls(task, spans=tuple(Span.from_json(s) for s in spans), **meta)
        rels = payload.get("relations", [])
        if not isinstance(rels, list):
            raise ValidationError(f"relations must be a list, got {rels!r}")
        return cls(task, relations=tuple(Relation.from_json(r) for r in rels), **meta)

    def with_meta(self, **changes) -> "LabelSet":
        return replace(self, **changes)

    def same_labels(self, other: "LabelSet | None") -> bool:
        """The same spans or relations, in any order, whoever labelled them: a save that
        changes nothing confirms, it does not correct."""
        return (other is not None and self.task == other.task and set(self.spans) == set(other.spans)
                and set(self.relations) == set(other.relations))


@dataclass(frozen=True)
class LabeledPost:
    """What a dataset reader yields: a post and the labels its file gives it."""

    post: Post
    labels: tuple[LabelSet, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TeacherEntity:
    """An entity the teacher proposes: its surface text, a free or schema type, a rationale."""

    text: str
    type: str
    rationale: str = ""
    span: Span | None = None

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "type": self.type,
            "rationale": self.rationale,
            "span": self.span.to_json() if self.span else None,
        }

    @classmethod
    def from_json(cls, d: dict) -> "TeacherEntity":
        span = Span.from_json(d["span"]) if d.get("span") else None
        return cls(d["text"], d["type"], d.get("rationale", ""), span)


def pair_key(head: Span, tail: Span) -> str:
    """How an entity pair is written in a stored answer's slot: `<head>><tail>` as token ranges."""
    return f"{head.start}-{head.end}>{tail.start}-{tail.end}"


class Grain(StrEnum):
    """The grains of the teacher's chain of thought (Chen & Feng 2023)."""

    NOUN = "noun"              # what each noun phrase / candidate entity refers to
    SENTENCE = "sentence"      # what the post means
    MULTIMODAL = "multimodal"  # how the image relates to the text


COT_GRAINS: tuple[Grain, ...] = (Grain.NOUN, Grain.SENTENCE, Grain.MULTIMODAL)
COT_SLOT = "cot"               # the slot of a chain-of-thought answer about a whole post
AUGMENT_PREFIX = "augment:"    # augment:style, augment:entity, augment:image


def pair_slot(head: Span, tail: Span) -> str:
    """The slot an MRE answer is stored under: it belongs to its entity pair, not the whole post."""
    return f"{COT_SLOT}:{pair_key(head, tail)}"


@dataclass(frozen=True)
class GrainText:
    """One grain of a chain of thought. `label` is how the teacher headed it (Claude: "Noun";
    the recorded ChatGPT text: "Named entities", "Reasoning"); `derived` marks a view built here
    (the recorded text's multimodal grain, from the caption) that the student never reads."""

    grain: Grain
    label: str
    text: str
    derived: bool = False

    def to_json(self) -> dict:
        return {"grain": self.grain.value, "label": self.label, "text": self.text, "derived": self.derived}

    @classmethod
    def from_json(cls, d: dict) -> "GrainText":
        return cls(Grain(d["grain"]), d.get("label", ""), d.get("text", ""), bool(d.get("derived", False)))


@dataclass(frozen=True)
class RelationAnswer:
    """The teacher's relation for one entity pair, and why."""

    label: str
    rationale: str = ""


@dataclass(frozen=True)
class TeacherOutput:
    """One teacher answer for one post and slot, as cached in the store.

    `slot` is what was asked: "cot" (a chain of thought about the post; the recorded ChatGPT
    knowledge too), "cot:<head>><tail>" (about one entity pair), or "augment:<kind>". A chain of
    thought carries its `grains` (for display), the entities the teacher proposes and, for a
    pair, its relation; `text` is the whole chain of thought as the student reads it (Claude's
    grains under their headings; the recorded ChatGPT text as published); `raw` is what the
    model sent."""

    post_id: str
    teacher: str
    model: str
    template_version: str
    slot: str
    text: str
    entities: tuple[TeacherEntity, ...] = ()
    raw: str = ""
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    created_at: str | None = None
    grains: tuple[GrainText, ...] = ()
    relation: RelationAnswer | None = None

    @property
    def is_augmentation(self) -> bool:
        return self.slot.startswith(AUGMENT_PREFIX)

    @property
    def pair(self) -> str | None:
        """The entity pair (`pair_key`) an MRE answer is about; None for a whole post."""
        return self.slot.split(":", 1)[1] if self.slot.startswith(COT_SLOT + ":") else None


@dataclass(frozen=True)
class Knowledge:
    """What the teacher wrote about a post (or one entity pair of it), read back for the
    student, Explore and Annotate: never an augmentation, never raw JSON."""

    post_id: str
    teacher: str
    model: str
    written: str                                 # the chain of thought as the student reads it
    grains: tuple[GrainText, ...] = ()
    entities: tuple[TeacherEntity, ...] = ()
    relation: RelationAnswer | None = None
    caption: str | None = None

    def grain(self, grain: Grain) -> GrainText | None:
        return next((g for g in self.grains if g.grain == grain), None)

    def text(self) -> str:
        """What the student's knowledge view reads: the image caption, then the teacher's
        chain of thought (the recorded ChatGPT text as published)."""
        return knowledge_text(self.caption, self.written)


def knowledge_text(caption: str | None, teacher_text: str | None) -> str:
    """The caption, then the teacher's text: the one way the knowledge view's input is made."""
    parts = []
    if caption:
        parts.append(f"Image: {caption}.")
    if teacher_text:
        parts.append(teacher_text)
    return " ".join(parts)
