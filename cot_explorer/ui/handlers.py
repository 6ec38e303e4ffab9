"""Plain functions the UI calls: they take and return data, never widgets."""

from __future__ import annotations

from pathlib import Path

from ..stats import compute_stats
from ..store import open_store
from ..uploads import add_upload

STATS_COLUMNS = ["dataset", "split", "posts", "entities", "relations", "with knowledge", "with caption", "corrected"]


def stats_rows(home: Path) -> list[list]:
    with open_store(home) as store:
        stats = compute_stats(store)
    return [
        [s.dataset, s.split, s.posts, " ".join(f"{t}:{n}" for t, n in s.spans_per_type.items()), s.relations,
         s.posts_with_knowledge, s.posts_with_caption, s.corrected_posts]
        for s in stats
    ]


def add_post(home: Path, text: str, image_path: str | None) -> tuple[str, list[list]]:
    """Store an uploaded post; returns its id and a token table (token, start, end)."""
    image = Path(image_path).read_bytes() if image_path else None
    with open_store(home) as store:
        post = add_upload(store, text, image, Path(image_path).name if image_path else None)
    return post.id, [[tok, s, e] for tok, (s, e) in zip(post.tokens, post.offsets)]
