"""MNER student: encoder, word-shape features, a linear emission layer on each word's first
sub-token, and a BIO-constrained CRF."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .align import EncodedBatch
from .crf import BioCRF
from .features import SHAPE_FEATURES
from .views import encode, gather, make_prompt_module

SHAPE_DIM = 32


@dataclass
class MnerInputs:
    text: EncodedBatch
    shapes: torch.Tensor                   # [B, W, F]
    tags: torch.Tensor | None = None       # [B, W] tag ids (0 where masked)
    knowledge: EncodedBatch | None = None  # text + [SEP] knowledge [SEP]
    labelled: torch.Tensor | None = None   # [B] False where a post has no gold (kd only)
    soft_targets: torch.Tensor | None = None  # [B, W, T] frozen teachers' tag probabilities (kd)

    def to(self, device) -> "MnerInputs":
        def move(t):
            return None if t is None else t.to(device)
        return MnerInputs(self.text.to(device), self.shapes.to(device), move(self.tags), move(self.knowledge),
                          move(self.labelled), move(self.soft_targets))


class MnerStudent(nn.Module):
    def __init__(self, encoder: nn.Module, tags: tuple[str, ...], prompt_kind: str | None, n_prompts: int,
                 shape_features: bool, dropout: float = 0.1):
        super().__init__()
        self.tags = tags
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.prompts = make_prompt_module(prompt_kind, hidden, n_prompts)
        self.shape = nn.Linear(len(SHAPE_FEATURES), SHAPE_DIM) if shape_features else None
        self.dropout = nn.Dropout(dropout)
        self.emit = nn.Linear(hidden + (SHAPE_DIM if shape_features else 0), len(tags))
        self.crf = BioCRF(tags)

    def emissions(self, batch: EncodedBatch, shapes: torch.Tensor, use_prompts: bool = True) -> torch.Tensor:
        hidden, offset = encode(self.encoder, batch, self.prompts if use_prompts else None)
        h = gather(hidden, batch.first_subtoken + offset)
        if self.shape is not None:
            h = torch.cat([h, torch.relu(self.shape(shapes.to(h.dtype)))], dim=-1)
        return self.emit(self.dropout(h)).float()

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return -self.crf(emissions, tags, mask=mask, reduction="mean")

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[list[list[int]], torch.Tensor]:
        """Viterbi tag ids per post and the tag marginals [B, W, T]."""
        return self.crf.decode(emissions, mask=mask), self.crf.marginals(emissions, mask)
