"""Stable post ids: dataset/split/image stem, with a suffix only when a file repeats an image."""

from __future__ import annotations

from pathlib import PurePosixPath


def image_stem(image_name: str) -> str:
    return PurePosixPath(image_name).stem


class PostIdMaker:
    """Gives each post of one dataset split a readable id that is stable across re-imports."""

    def __init__(self, dataset: str, split: str):
        self.prefix = f"{dataset}/{split}/"
        self.seen: dict[str, int] = {}

    def __call__(self, key: str) -> str:
        n = self.seen.get(key, 0) + 1
        self.seen[key] = n
        return f"{self.prefix}{key}" if n == 1 else f"{self.prefix}{key}~{n}"
