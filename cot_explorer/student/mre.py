"""MRE student: entity markers around head and tail, the encoder, and a classifier over
the two start markers' states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ..schema import Span
from .align import EncodedBatch, WordAligner
from .views import encode, gather, make_prompt_module

MARKERS = ("[unused0]", "[unused1]", "[unused2]", "[unused3]")  # <h> </h> <t> </t>


@dataclass
class MreInputs:
    text: EncodedBatch                     # first_subtoken holds the two start markers [B, 2]
    labels: torch.Tensor | None = None     # [B]
    knowledge: EncodedBatch | None = None

    def to(self, device) -> "MreInputs":
        return MreInputs(self.text.to(device), None if self.labels is None else self.labels.to(device),
                         None if self.knowledge is None else self.knowledge.to(device))


def marked_words(words: Sequence[str], head: Span, tail: Span) -> list[str]:
    out: list[str] = []
    for i, w in enumerate(words):
        if i == head.start:
            out.append(MARKERS[0])
        if i == tail.start:
            out.append(MARKERS[2])
        out.append(w)
        if i == head.end - 1:
            out.append(MARKERS[1])
        if i == tail.end - 1:
            out.append(MARKERS[3])
    return out


def encode_pairs(aligner: WordAligner, items: Sequence[tuple[Sequence[str], Span, Span]],
                 knowledge: Sequence[str] | None = None) -> EncodedBatch:
    """Encode marked posts; `first_subtoken` becomes the positions of the head and tail start markers."""
    marked = [marked_words(w, h, t) for w, h, t in items]
    enc = aligner.encode(marked, knowledge)
    idx = torch.zeros((len(marked), 2), dtype=torch.long)
    for b, words in enumerate(marked):
        for j, marker in enumerate((MARKERS[0], MARKERS[2])):
            w = words.index(marker)
            idx[b, j] = enc.first_subtoken[b, w] if enc.word_mask[b, w] else 0
    return EncodedBatch(enc.input_ids, enc.attention_mask, enc.token_type_ids, idx,
                        torch.ones((len(marked), 2), dtype=torch.bool), enc.n_words)


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
