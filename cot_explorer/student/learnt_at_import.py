"""What an import brings in that the default model learnt, said at import: a walker's 150
imported Twitter-2015 posts were all the default's training posts, and only Distill said so,
later (Errors' "student errors only" found 2 of 150 meanwhile, unexplained)."""

from __future__ import annotations

from ..errors import CotExplorerError
from ..store.labels import labelled_task
from ..store.posts import list_posts
from .registry import Registry
from .seen_posts import seen_among


def learnt_note(store, dataset: str, split: str | None) -> str | None:
    """A sentence where the default of the split's task was trained on some of its posts."""
    posts = list_posts(store, dataset, split) if split else list_posts(store, dataset)
    if not posts:
        return None
    task = labelled_task(store, dataset, split)
    try:
        default = Registry(store).default_path(task)
    except CotExplorerError:   # no model of the task at all: nothing learnt
        return None
    n = len(seen_among(default, posts))
    if not n:
        return None
    what = "relation" if task == "mre" else "entity"
    these = f"these {len(posts)} posts" if split else f"the {len(posts)} posts of {dataset}"
    return (f"the default {what} model, {default.name}, was trained on {n} of {these}: a round never holds them out, "
            "and its scores on them (Errors, evaluate) flatter it")
