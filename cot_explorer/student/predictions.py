"""What a student predicts: plain records, importable without torch (the app, the CLI and
the ONNX path read them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..labels import MnerSchema, bio_to_spans
from ..schema import Span


@dataclass(frozen=True)
class PredictedSpan:
    start: int
    end: int
    type: str
    confidence: float

    def span(self) -> Span:
        return Span(self.start, self.end, self.type)


@dataclass(frozen=True)
class PredictedRelation:
    label: str
    confidence: float
    distribution: tuple[float, ...]


def spans_from_path(tags: Sequence[str], schema: MnerSchema, path: Sequence[int], confidence: Sequence[float],
                    n_words: int) -> list[PredictedSpan]:
    """A decoded tag path as spans, each with the mean marginal of its tags as confidence;
    words past the path (cut off by the length limit) are O."""
    named = [tags[t] for t in path] + ["O"] * (n_words - len(path))
    spans, _ = bio_to_spans(named, schema, repair=True)  # the CRF forbids invalid BIO anyway
    out = []
    for s in spans:
        probs = confidence[s.start : min(s.end, len(path))]
        out.append(PredictedSpan(s.start, s.end, s.type, round(sum(probs) / max(1, len(probs)), 4)))
    return out
