"""What a knowledge-view model reads beside each stored post, as it was trained and scored: the
caption and the teacher's chain of thought, the caption alone where the teacher wrote none
(student/data.py). One place for the app's predictions (ui/predicted.py) and `evaluate --split`:
the CLI refused the knowledge view that the Errors tab scored from the same store."""

from __future__ import annotations

from collections.abc import Sequence

from ..schema import Post
from ..store.core import Store
from ..store.knowledge import knowledge_for_split


def cot_inputs(store: Store, posts: Sequence[Post]) -> dict[str, str]:
    from .data import knowledge_input  # PyTorch's side: only a knowledge view needs it

    out, known = {}, {}
    for p in posts:   # each split's chains of thought read once
        if (p.dataset, p.split) not in known:
            known[p.dataset, p.split] = knowledge_for_split(store, p.dataset, p.split, "mner")
        out[p.id] = knowledge_input(p, known[p.dataset, p.split].get((p.id, None)))
    return out
