"""Word-shape features beside the encoder output: the default backbone is uncased, and
capitalisation is much of what tells a name in a tweet. Torch-free: both inference
backends and training read them from here."""

from __future__ import annotations

from functools import lru_cache

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
