"""Loading a student to predict with, behind one interface whatever runs it. Importing this
module imports no torch: the backend's own module is imported when a model is loaded, so a
command that predicts with a light backend never pays for a heavy one."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from ..schema import Span
from .manifest import Manifest
from .predictions import PredictedRelation, PredictedSpan


class Predictor(Protocol):
    manifest: Manifest
    path: Path
    backend: str

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]: ...

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]]) -> list[PredictedRelation]: ...


def load_predictor(path: Path, backend: str | None = None, dtype: str | None = None) -> Predictor:
    """A predictor for the checkpoint at `path`. `backend`: 'torch' (PyTorch eager; `dtype`
    'auto', 'fp32' or 'bf16')."""
    # PyTorch is imported here, on first use, not when the app or the CLI starts.
    from .torch_predictor import TorchPredictor

    return TorchPredictor.load(Path(path), dtype=dtype)
