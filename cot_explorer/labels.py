"""Label schemas (MNER BIO types per dataset, the 23 MNRE relations) and BIO <-> spans.

This is the only module that knows tag strings; everything else speaks in `Span`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .errors import ValidationError
from .schema import Span

DEFAULT_ENTITY_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")

# Twitter-2015 calls the miscellaneous type OTHER; keep it so exports reproduce the file.
# The two names are one type (TYPE_ALIASES): a model of either corpus answers in the
# names of the dataset it is applied to, and is scored against it under that alias.
DATASET_ENTITY_TYPES: dict[str, tuple[str, ...]] = {
    "twitter2017": DEFAULT_ENTITY_TYPES,
    "twitter2015": ("PER", "LOC", "ORG", "OTHER"),
}

TYPE_ALIASES: tuple[frozenset[str], ...] = (frozenset({"MISC", "OTHER"}),)

MRE_RELATIONS: tuple[str, ...] = (
    "None",
    "/per/per/parent",
    "/per/per/siblings",
    "/per/per/couple",
    "/per/per/neighbor",
    "/per/per/peer",
    "/per/per/charges",
    "/per/per/alumi",
    "/per/per/alternate_names",
    "/per/org/member_of",
    "/per/loc/place_of_residence",
    "/per/loc/place_of_birth",
    "/per/misc/present_in",
    "/per/misc/awarded",
    "/per/misc/race",
    "/per/misc/religion",
    "/per/misc/nationality",
    "/org/org/alternate_names",
    "/org/org/subsidiary",
    "/org/loc/locate_at",
    "/loc/loc/contain",
    "/misc/misc/part_of",
    "/misc/loc/held_on",
)
NO_RELATION = "None"


@dataclass(frozen=True)
class MnerSchema:
    """The entity types of one dataset and the BIO tags they imply."""

    types: tuple[str, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        return ("O",) + tuple(f"{p}-{t}" for t in self.types for p in ("B", "I"))

    def check_type(self, type_: str | None) -> None:
        if type_ not in self.types:
            raise ValidationError(f"entity type {type_!r} is not in the schema {list(self.types)}")

    def name_for(self, type_: str | None) -> str | None:
        """This schema's name for a type another schema may call differently (MISC -> OTHER)."""
        if type_ in self.types:
            return type_
        for group in TYPE_ALIASES:
            if type_ in group:
                return next((t for t in self.types if t in group), None)
        return None

    def translate(self, spans: Iterable[Span]) -> list[Span]:
        """Spans of another schema in this schema's names; a type with no counterpart is dropped."""
        out = []
        for s in spans:
            name = self.name_for(s.type)
            if name is not None:
                out.append(Span(s.start, s.end, name))
        return out

    def translate_scored(self, spans: Iterable[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
        """`translate` for the student's answers as (start, end, type, confidence): one rule for
        Errors, the queues, Promote's check and Annotate's suggestions, as for `evaluate`."""
        out = []
        for start, end, type_, confidence in spans:
            name = self.name_for(type_)
            if name is not None:
                out.append((start, end, name, confidence))
        return out

    def names_each_of(self, types: Sequence[str]) -> bool:
        """Whether this schema's types are `types`, each named once, aliases read as one type
        (a Twitter-2015 split, OTHER, and a model of MISC: a round continues it on that split)."""
        named = [self.name_for(t) for t in types]
        return None not in named and sorted(named) == sorted(self.types)  # type: ignore[type-var]

    def aliases_from(self, other: "MnerSchema") -> dict[str, str]:
        """Which of `other`'s types this schema names differently: {their name: our name}."""
        return {t: self.name_for(t) for t in other.types
                if t not in self.types and self.name_for(t) is not None}  # type: ignore[misc]


def mner_schema_for(dataset: str, types: Sequence[str] | None = None) -> MnerSchema:
    """Schema for a dataset: explicit `types` win, then known datasets, then the default."""
    if types:
        cleaned = tuple(t.strip() for t in types if t.strip())
        if not cleaned or len(set(cleaned)) != len(cleaned):
            raise ValidationError(f"entity types must be distinct and non-empty, got {list(types)}")
        return MnerSchema(cleaned)
    return MnerSchema(DATASET_ENTITY_TYPES.get(dataset, DEFAULT_ENTITY_TYPES))


class BioError(ValueError):
    """A tag sequence that is not valid BIO; `index` is the offending token."""

    def __init__(self, index: int, message: str):
        self.index = index
        super().__init__(message)


def _types_hint(tag: str, schema: MnerSchema) -> str:
    """How to import a file whose types differ (a Twitter-2015 file under a name of one's own
    failed on B-OTHER with no word of --types)."""
    if len(tag) < 3 or tag[:2] not in ("B-", "I-"):
        return ""
    new = tag[2:]
    alias = next((t for group in TYPE_ALIASES if new in group for t in schema.types if t in group), None)
    types = [new if t == alias else t for t in schema.types] + ([] if alias else [new])
    return f"; a file with other types is imported with --types {','.join(types)}"


def bio_to_spans(tags: Sequence[str], schema: MnerSchema, repair: bool = False) -> tuple[list[Span], int]:
    """Spans of a BIO sequence, and how many tags were repaired.

    An `I-X` that does not continue an entity of type X is refused with `BioError`,
    or, with `repair=True`, read as `B-X` (the usual lenient reading) and counted.
    """
    allowed = set(schema.tags)
    spans: list[Span] = []
    start: int | None = None
    cur: str | None = None
    repaired = 0
    for i, tag in enumerate(tags):
        if tag not in allowed:
            raise BioError(i, f"a tag among {' '.join(schema.tags)} (unknown tag {tag!r}{_types_hint(tag, schema)})")
        if tag == "O":
            if cur is not None:
                spans.append(Span(start, i, cur))
            start, cur = None, None
            continue
        prefix, type_ = tag[0], tag[2:]
        if prefix == "I" and cur != type_:
            if not repair:
                before = "O" if cur is None else f"an entity of type {cur}"
                raise BioError(i, f"valid BIO, but {tag} follows {before} (--repair-bio reads it as B-{type_})")
            repaired += 1
            prefix = "B"
        if prefix == "B":
            if cur is not None:
                spans.append(Span(start, i, cur))
            start, cur = i, type_
    if cur is not None:
        spans.append(Span(start, len(tags), cur))
    return spans, repaired


def spans_to_bio(spans: Iterable[Span], n_tokens: int) -> list[str]:
    """BIO tags for non-overlapping spans over `n_tokens` tokens."""
    tags = ["O"] * n_tokens
    for span in sorted(spans, key=lambda s: s.start):
        span.check_bounds(n_tokens)
        if any(t != "O" for t in tags[span.start : span.end]):
            raise ValidationError(f"span {span.start}:{span.end} overlaps another span")
        tags[span.start] = f"B-{span.type}"
        for j in range(span.start + 1, span.end):
            tags[j] = f"I-{span.type}"
    return tags


def relation_argument_types(label: str) -> tuple[str, str] | None:
    """The head and tail entity types an MNRE label names (`/per/org/member_of` -> PER, ORG)."""
    if label == NO_RELATION:
        return None
    parts = label.split("/")
    return parts[1].upper(), parts[2].upper()


def relation_argument_table() -> dict[str, list[str] | None]:
    """Each MNRE label's (head, tail) types, None for None: what the span editor needs to list
    the relations that fit a pair as the annotator has typed it so far, unsaved edits too."""
    return {label: list(types) if (types := relation_argument_types(label)) else None for label in MRE_RELATIONS}


def mnre_type_names(types: Sequence[str]) -> dict[str, str | None]:
    """A dataset's entity types in MNRE's names (Twitter-2015's OTHER is MISC)."""
    names = MnerSchema(DEFAULT_ENTITY_TYPES)
    return {t: names.name_for(t) for t in types}


def check_relation_label(label: str) -> None:
    if label not in MRE_RELATIONS:
        raise ValidationError(f"relation {label!r} is not one of the {len(MRE_RELATIONS)} MNRE relations")


def map_type(free: str, types: tuple[str, ...]) -> str | None:
    """A teacher's free-text type ('person/player') in the schema's names, by keywords."""
    if free in types:
        return free
    f = free.lower()
    for keys, t in ((("person", "player", "actor", "singer", "people", "character", "per"), "PER"),
                    (("location", "city", "country", "place", "venue", "state", "loc"), "LOC"),
                    (("organization", "organisation", "team", "company", "league", "band", "club", "org"), "ORG")):
        if any(k in f for k in keys) and t in types:
            return t
    return types[-1] if types else None


def teacher_spans(entities: Iterable, types: tuple[str, ...]) -> list[tuple[Span, object]]:
    """The teacher's entities placed in the text, each in `types` by map_type, with the entity
    it came from (its rationale): the one rule Explore's rows, Annotate's suggestions and the
    teacher's export follow. An entity the teacher names but could not place is left out."""
    return [(Span(e.span.start, e.span.end, t), e) for e in entities if e.span and (t := map_type(e.type, types))]
