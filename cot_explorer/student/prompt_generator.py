"""Soft prompts for the text view.

`ConditionalPromptGenerator` makes m prompt vectors from the post itself: m learnable
queries attend over the post's token embeddings, so the prompts can carry what the
knowledge view would have added for this post. `PlainPrompts` is the unconditional
ablation: the same m learnable vectors for every post.
"""

from __future__ import annotations

import torch
from torch import nn


class ConditionalPromptGenerator(nn.Module):
    def __init__(self, hidden: int, n_prompts: int, n_heads: int = 4):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(n_prompts, hidden) * 0.02)
        self.attn = nn.MultiheadAttention(hidden, n_heads, batch_first=True)
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, hidden))

    def forward(self, token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        q = self.queries.unsqueeze(0).expand(token_embeddings.size(0), -1, -1)
        ctx, _ = self.attn(q, token_embeddings, token_embeddings, key_padding_mask=attention_mask == 0, need_weights=False)
        return self.out(ctx + q)


class PlainPrompts(nn.Module):
    def __init__(self, hidden: int, n_prompts: int):
        super().__init__()
        self.prompts = nn.Parameter(torch.randn(n_prompts, hidden) * 0.02)

    def forward(self, token_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.prompts.unsqueeze(0).expand(token_embeddings.size(0), -1, -1)
