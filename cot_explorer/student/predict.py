"""Inference with a loaded student: text only, no image, no CoT, no teacher call
(except for the `knowledge` upper-bound variant, which needs the CoT by construction)."""

from __future__ import annotations

from typing import Sequence

import torch

from .checkpoint import LoadedStudent
from .data import MnerExample, MreExample
from .inference_dtype import autocast, resolve_dtype
from .tasks import PredictedRelation, PredictedSpan
from ..schema import Span


class StudentPredictor:
    def __init__(self, loaded: LoadedStudent, batch_size: int = 32, dtype: str | None = None):
        """`dtype`: 'auto' (default; bf16 on CPUs with native bf16), 'fp32' or 'bf16'."""
        self.loaded = loaded
        self.batch_size = batch_size
        self.device = next(loaded.model.parameters()).device
        self.dtype = resolve_dtype(dtype, self.device)

    @property
    def task_name(self) -> str:
        return self.loaded.config.task

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]:
        examples = [MnerExample(tuple(w), (), knowledge[i] if knowledge else "") for i, w in enumerate(batch_words)]
        with torch.inference_mode(), autocast(self.dtype, self.device):
            return self.loaded.task.predict(self.loaded.model, examples, self.loaded.config, self.batch_size)

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]],
                          knowledge: Sequence[str] | None = None) -> list[PredictedRelation]:
        examples = [MreExample(tuple(w), h, t, "None", knowledge[i] if knowledge else "")
                    for i, (w, h, t) in enumerate(items)]
        with torch.inference_mode(), autocast(self.dtype, self.device):
            return self.loaded.task.predict(self.loaded.model, examples, self.loaded.config, self.batch_size)
