"""What a student predicts: plain records, importable without torch (the app, the CLI and
the ONNX path read them)."""

from __future__ import annotations

from dataclasses import dataclass

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
