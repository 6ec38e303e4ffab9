"""Exports from the store: the project's JSONL (round-trips with import) and CoNLL of any
label source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from .datasets.jsonl import write_jsonl
from .datasets.twitter_conll import write_twitter_conll
from .errors import ValidationError
from .schema import LABEL_SOURCES, LabelSet
from .store import Store
from .store.labels import current_for_split, first_of_source, newest_of_source
from .store.posts import list_posts

CONLL_SOURCES = ("current",) + LABEL_SOURCES


@dataclass(frozen=True)
class ExportReport:
    posts: int
    without_labels: int


def _splits(store: Store, dataset: str, split: str | None) -> list[str]:
    if split:
        return [split]
    rows = store.conn.execute("SELECT DISTINCT split FROM posts WHERE dataset = ? ORDER BY split", (dataset,))
    return [r[0] for r in rows]


def export_jsonl(store: Store, out: TextIO, dataset: str, split: str | None = None) -> ExportReport:
    """Every post of the dataset (or split) with its current label per task."""
    total = 0
    for sp in _splits(store, dataset, split):
        current = {t: current_for_split(store, dataset, sp, t) for t in ("mner", "mre")}
        items = [(p, [current[t][p.id] for t in ("mner", "mre") if p.id in current[t]])
                 for p in list_posts(store, dataset, sp)]
        total += write_jsonl(out, items)
    if not total:
        raise ValidationError(f"no posts in {dataset}{'/' + split if split else ''}")
    return ExportReport(total, 0)


def export_conll(store: Store, out: TextIO, dataset: str, split: str, source: str = "gold") -> ExportReport:
    """MNER labels of one source in the Twitter CoNLL format; posts lacking it are all `O`.

    `gold` is the imported gold, `current` the newest version whoever made it, and
    `annotator`/`teacher`/`student` the newest version saved from that source.
    """
    if source not in CONLL_SOURCES:
        raise ValidationError(f"unknown label source {source!r}; choose from {', '.join(CONLL_SOURCES)}")
    posts = list_posts(store, dataset, split)
    if not posts:
        raise ValidationError(f"no posts in {dataset}/{split}")
    labels: dict[str, LabelSet]
    if source == "current":
        labels = current_for_split(store, dataset, split, "mner")
    elif source == "gold":
        labels = first_of_source(store, dataset, split, "mner", "gold")
    else:
        labels = newest_of_source(store, dataset, split, "mner", source)
    n = write_twitter_conll(out, ((p, labels.get(p.id)) for p in posts))
    return ExportReport(n, sum(1 for p in posts if p.id not in labels))
