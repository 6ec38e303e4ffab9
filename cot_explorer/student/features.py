"""Word-shape features as a tensor for PyTorch (the features themselves: word_shape.py)."""

from __future__ import annotations

from typing import Sequence

import torch

from .word_shape import SHAPE_FEATURES, word_shape


def shape_tensor(batch_words: Sequence[Sequence[str]], n_words: int) -> torch.Tensor:
    """[B, W, len(SHAPE_FEATURES)] features, zero-padded."""
    W = max(1, n_words)
    pad = (0.0,) * len(SHAPE_FEATURES)
    rows = [[word_shape(w) for w in words[:W]] + [pad] * (W - min(len(words), W)) for words in batch_words]
    return torch.tensor(rows, dtype=torch.float32).view(len(batch_words), W, len(SHAPE_FEATURES))
