"""The posts a model was trained on, kept beside its weights as digests of their words
(`seen-posts.txt`), so that nothing measures a version on posts it learnt: the shipped default
scored 99.56 F1 on Twitter-2017 train posts imported into the store, and a round measured
there read as a loss. Reads text only: no torch here (the Distill tab plans with it)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Iterable, Sequence

SEEN_FILE = "seen-posts.txt"
_HEADER = "# the posts this model was trained on: sha256 of their words joined by U+001F, first 16 hex digits\n"


def words_digest(words: Sequence[str]) -> str:
    """A post's words as one short digest: the same words give the same digest whatever
    dataset, split or id the post has (the store's tokens are the reader's)."""
    return hashlib.sha256("\x1f".join(words).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def write_seen(model_dir: Path, digests: Iterable[str], source: str) -> Path:
    """Write (replace) the model's list; `source` says in a comment line what the posts were."""
    path = Path(model_dir) / SEEN_FILE
    tmp = path.with_name(f".{SEEN_FILE}.tmp")
    body = "".join(f"{d}\n" for d in sorted(set(digests)))
    tmp.write_text(_HEADER + f"# {source.replace(chr(10), ' ')}\n" + body, encoding="utf-8")
    tmp.replace(path)
    return path


def seen_digests(model_dir: Path) -> frozenset[str]:
    """What the model was trained on; empty for a model without the list (trained before it
    was kept: nothing is known, nothing is held against it)."""
    path = Path(model_dir) / SEEN_FILE
    try:
        stat = path.stat()
    except OSError:
        return frozenset()
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _read(path: str, _mtime_ns: int, _size: int) -> frozenset[str]:   # re-read when the file changes
    with open(path, encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def seen_among(model_dir: Path, posts: Iterable) -> set[str]:
    """The ids of `posts` (anything with `.id` and `.tokens`) whose words the model was trained on."""
    seen = seen_digests(model_dir)
    if not seen:
        return set()
    return {p.id for p in posts if words_digest(p.tokens) in seen}
