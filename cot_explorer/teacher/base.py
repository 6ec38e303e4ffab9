"""What every teacher offers: a chain of thought for a post, and augmentations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from ..schema import COT_GRAINS, COT_SLOT, Post, Span, TeacherOutput, pair_slot


@dataclass(frozen=True)
class TeachRequest:
    """One post to explain (for MRE: one entity pair of it); `image` is the stored image's
    bytes when there is one."""

    post: Post
    task: str = "mner"
    grains: tuple[str, ...] = tuple(g.value for g in COT_GRAINS)
    entity_types: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")
    image: bytes | None = None
    head: str = ""
    tail: str = ""
    pair: tuple[Span, Span] | None = None

    def slot(self) -> str:
        """Where the answer is stored: an MRE answer belongs to its entity pair, not the whole post."""
        if self.task != "mre" or self.pair is None:
            return COT_SLOT
        return pair_slot(*self.pair)


@dataclass
class Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    latencies: list[float] = field(default_factory=list)


class Teacher(Protocol):
    name: str
    model: str

    def cache_version(self, request: TeachRequest, kind: str = "cot") -> str:
        """The template version that goes into the cache key of this request."""

    def explain(self, request: TeachRequest) -> TeacherOutput: ...

    def augment(self, kind: str, request: TeachRequest, entities: Sequence[tuple[str, str]], n: int = 2) -> TeacherOutput: ...
