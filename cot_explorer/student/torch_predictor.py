"""The PyTorch backend: a loaded checkpoint in eager mode (bf16 autocast where the CPU has
native bf16). Text only: no image, no CoT, no teacher call (except for the `knowledge`
upper-bound variant, which needs the CoT by construction)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import torch

from ..schema import Span
from .checkpoint import LoadedStudent, load_checkpoint
from .data import MnerExample, MreExample
from .inference_dtype import autocast, resolve_dtype
from .predictions import PredictedRelation, PredictedSpan


class TorchPredictor:
    backend = "torch"

    def __init__(self, loaded: LoadedStudent, batch_size: int = 32, dtype: str | None = None):
        """`dtype`: 'auto' (default; bf16 on CPUs with native bf16), 'fp32' or 'bf16'."""
        self.loaded = loaded
        self.manifest = loaded.manifest
        self.path = loaded.path
        self.batch_size = batch_size
        self.device = next(loaded.model.parameters()).device
        self.dtype = resolve_dtype(dtype, self.device)

    @classmethod
    def load(cls, path: Path, dtype: str | None = None, batch_size: int = 32) -> "TorchPredictor":
        return cls(load_checkpoint(path), batch_size, dtype)

    @property
    def task_name(self) -> str:
        return self.loaded.config.task

    def predict_entities(self, batch_words: Sequence[Sequence[str]],
                         knowledge: Sequence[str] | None = None) -> list[list[PredictedSpan]]:
        examples = [MnerExample(tuple(w), (), knowledge[i] if knowledge else "") for i, w in enumerate(batch_words)]
        with torch.inference_mode(), autocast(self.dtype, self.device):
            return self.loaded.task.predict(self.loaded.model, examples, self.loaded.config, self.batch_size)

    def words_read(self, words: Sequence[str]) -> int:
        return self.loaded.task.aligner.words_read(words)

    @property
    def has_knowledge_view(self) -> bool:
        """Whether the checkpoint trained a view that reads the CoT (distill, distill-plain,
        knowledge): the paper's knowledge view, which the text-only student was distilled from."""
        return self.loaded.config.task == "mner" and self.loaded.config.uses_knowledge

    def predict_entities_with_knowledge(self, batch_words: Sequence[Sequence[str]],
                                        knowledge: Sequence[str]) -> list[list[PredictedSpan]]:
        """The knowledge view's entities: the post and what the teacher wrote about it."""
        if not self.has_knowledge_view:
            raise ValueError(f"{self.manifest.name} has no knowledge view")
        cfg = replace(self.loaded.config, variant="knowledge")
        examples = [MnerExample(tuple(w), (), knowledge[i]) for i, w in enumerate(batch_words)]
        with torch.inference_mode(), autocast(self.dtype, self.device):
            return self.loaded.task.predict(self.loaded.model, examples, cfg, self.batch_size)

    def predict_relations(self, items: Sequence[tuple[Sequence[str], Span, Span]],
                          knowledge: Sequence[str] | None = None) -> list[PredictedRelation]:
        examples = [MreExample(tuple(w), h, t, "None", knowledge[i] if knowledge else "")
                    for i, (w, h, t) in enumerate(items)]
        with torch.inference_mode(), autocast(self.dtype, self.device):
            return self.loaded.task.predict(self.loaded.model, examples, self.loaded.config, self.batch_size)


# The name the rest of the code and the benchmarks know it by.
StudentPredictor = TorchPredictor
