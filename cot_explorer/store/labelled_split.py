"""A split's labelled posts as they are now, corrections included: what `evaluate --split`
scores, so that the CLI reproduces the figures the Errors tab shows after a session of
corrections (`evaluate` read files only, which never hold them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ValidationError
from ..labels import MnerSchema
from ..schema import LabelSet, Post
from . import labels as label_store
from .core import Store
from .posts import dataset_known, dataset_schema, list_posts


@dataclass(frozen=True)
class LabelledSplit:
    dataset: str
    split: str
    task: str                    # "mre" where the split holds relation labels, else "mner"
    posts: tuple[Post, ...]      # those with labels of the task, in file order
    gold: tuple[LabelSet, ...]   # their current labels, one per post
    schema: MnerSchema           # the dataset's entity types, the names the gold uses
    unlabelled: int              # posts of the split left out: no labels of the task
    corrected: int               # posts whose current labels of the task someone changed
    unchanged: int = 0           # of those, the ones saved as they were imported (confirmed)

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.split}"


def parse_split(store: Store, dataset_split: str) -> tuple[str, str]:
    """A split named "dataset/split" on the command line, refused in a sentence where the store
    has no such split."""
    dataset, _, split = (dataset_split or "").partition("/")
    if not dataset or not split:
        raise ValidationError(f"{dataset_split!r} is not a dataset/split, e.g. twitter2017/test")
    if not dataset_known(store, dataset):
        raise ValidationError(f"no dataset {dataset!r} in the store")
    (n,) = store.conn.execute("SELECT count(*) FROM posts WHERE dataset = ? AND split = ?", (dataset, split)).fetchone()
    if not n:
        raise ValidationError(f"{dataset} has no split {split!r} in the store")
    return dataset, split


def split_labels(store: Store, dataset: str, split: str, task: str | None = None) -> LabelledSplit:
    """The posts of a split with current labels of its task (`task`, else the one its labels
    say: labels.labelled_task), in file order; the Errors tab and `evaluate --split` score these."""
    posts = list_posts(store, dataset, split)
    task = task or label_store.labelled_task(store, dataset, split)
    current = label_store.current_for_split(store, dataset, split, task)
    has = (lambda ls: bool(ls.relations)) if task == "mre" else (lambda ls: ls.spans is not None)
    kept = [p for p in posts if p.id in current and has(current[p.id])]
    done = label_store.progress(store, dataset, split, task, confirmed=True)
    return LabelledSplit(dataset, split, task, tuple(kept), tuple(current[p.id] for p in kept),
                         dataset_schema(store, dataset), len(posts) - len(kept), done.corrected, done.unchanged)
