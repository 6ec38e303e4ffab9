"""The two views of one shared encoder: text (+ soft prompts) and text + knowledge."""

from __future__ import annotations

import torch
from torch import nn

from .align import EncodedBatch
from .prompt_generator import ConditionalPromptGenerator, PlainPrompts


def make_prompt_module(kind: str | None, hidden: int, n_prompts: int) -> nn.Module | None:
    if kind is None or n_prompts <= 0:
        return None
    if kind == "conditional":
        return ConditionalPromptGenerator(hidden, n_prompts)
    return PlainPrompts(hidden, n_prompts)


def encode(encoder: nn.Module, batch: EncodedBatch, prompts: nn.Module | None = None) -> tuple[torch.Tensor, int]:
    """Last hidden states [B, L(+m), H] and the offset m by which prompts shifted the text.

    With prompts, the m generated vectors are inserted right after [CLS]; the post's
    sub-tokens follow them, so indices into the text move by m.
    """
    if prompts is None:
        out = encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                      token_type_ids=batch.token_type_ids)
        return out.last_hidden_state, 0
    emb = encoder.get_input_embeddings()(batch.input_ids)
    p = prompts(emb, batch.attention_mask).to(emb.dtype)
    m = p.size(1)
    B = emb.size(0)
    inputs = torch.cat([emb[:, :1], p, emb[:, 1:]], dim=1)
    ones = torch.ones((B, m), dtype=batch.attention_mask.dtype, device=emb.device)
    attn = torch.cat([batch.attention_mask[:, :1], ones, batch.attention_mask[:, 1:]], dim=1)
    tt = torch.cat([batch.token_type_ids[:, :1], torch.zeros_like(ones), batch.token_type_ids[:, 1:]], dim=1)
    out = encoder(inputs_embeds=inputs, attention_mask=attn, token_type_ids=tt)
    return out.last_hidden_state, m


def gather(hidden: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """hidden[b, index[b, w]] for every b, w: [B, W, H]."""
    return hidden.gather(1, index.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))
