"""Word-shape features beside the encoder output: the default backbone is uncased, and
capitalisation is much of what tells a name in a tweet."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import torch

SHAPE_FEATURES = ("title", "all_caps", "inner_caps", "lower", "at", "hash", "digit", "punct", "url")


@lru_cache(maxsize=200_000)
def word_shape(word: str) -> tuple[float, ...]:
    """One word's features; cached, since tweets repeat their words and this runs per prediction."""
    if len(word) > 1 and word[0] in "#@":
        word = word[1:]  # a joined #tag looks like the datasets' `#` `tag`: shape of `tag`
    letters = [c for c in word if c.isalpha()]
    return (
        float(bool(letters) and word[:1].isupper() and not all(c.isupper() for c in letters[1:] or ["a"])),
        float(len(letters) > 1 and all(c.isupper() for c in letters)),
        float(any(c.isupper() for c in word[1:]) and not all(c.isupper() for c in letters)),
        float(bool(letters) and all(c.islower() for c in letters)),
        float(word.startswith("@")),
        float(word.startswith("#")),
        float(any(c.isdigit() for c in word)),
        float(not any(c.isalnum() for c in word)),
        float(word.startswith(("http", "www."))),
    )


def shape_tensor(batch_words: Sequence[Sequence[str]], n_words: int) -> torch.Tensor:
    """[B, W, len(SHAPE_FEATURES)] features, zero-padded."""
    W = max(1, n_words)
    pad = (0.0,) * len(SHAPE_FEATURES)
    rows = [[word_shape(w) for w in words[:W]] + [pad] * (W - min(len(words), W)) for words in batch_words]
    return torch.tensor(rows, dtype=torch.float32).view(len(batch_words), W, len(SHAPE_FEATURES))
