"""MRE student: entity markers around head and tail, the encoder, and a classifier over
the two start markers' states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ..schema import Span
from .align import EncodedBatch, WordAligner
from .relation_markers import align_pairs
from .views import encode, gather, make_prompt_module


def encode_pairs(aligner: WordAligner, items: Sequence[tuple[Sequence[str], Span, Span]],
                 knowledge: Sequence[str] | None = None, style: str = "ids") -> EncodedBatch:
    """Encode marked posts; `first_subtoken` becomes the positions of the head and tail start markers."""
    a, positions = align_pairs(aligner, items, knowledge, style)
    return EncodedBatch(torch.tensor(a.input_ids, dtype=torch.long), torch.tensor(a.attention_mask, dtype=torch.long),
                        torch.tensor(a.token_type_ids, dtype=torch.long), torch.tensor(positions, dtype=torch.long),
                        torch.ones((len(items), 2), dtype=torch.bool), a.n_words)


@dataclass
class MreInputs:
    text: EncodedBatch                     # first_subtoken holds the two start markers [B, 2]
    labels: torch.Tensor | None = None     # [B]
    knowledge: EncodedBatch | None = None

    def to(self, device) -> "MreInputs":
        return MreInputs(self.text.to(device), None if self.labels is None else self.labels.to(device),
                         None if self.knowledge is None else self.knowledge.to(device))


class MreStudent(nn.Module):
    def __init__(self, encoder: nn.Module, labels: tuple[str, ...], prompt_kind: str | None, n_prompts: int,
                 dropout: float = 0.1):
        super().__init__()
        self.labels = labels
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.prompts = make_prompt_module(prompt_kind, hidden, n_prompts)
        self.dropout = nn.Dropout(dropout)
        self.classify = nn.Linear(2 * hidden, len(labels))

    def logits(self, batch: EncodedBatch, use_prompts: bool = True) -> torch.Tensor:
        hidden, offset = encode(self.encoder, batch, self.prompts if use_prompts else None)
        h = gather(hidden, batch.first_subtoken + offset).flatten(1)
        return self.classify(self.dropout(h)).float()
