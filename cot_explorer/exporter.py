"""Exports from the store: the project's JSONL (round-trips with import) and CoNLL of any
label source."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

from .datasets.jsonl import write_jsonl
from .datasets.twitter_conll import write_twitter_conll
from .errors import CotExplorerError, ValidationError
from .limits import DISK_FULL_ERRNOS, DiskFull, disk_full_message
from .schema import LABEL_SOURCES, LabelSet
from .store import Store
from .store.labels import current_for_split, first_of_source, newest_of_source
from .store.posts import list_posts, splits_of

CONLL_SOURCES = ("current",) + LABEL_SOURCES


@dataclass(frozen=True)
class ExportReport:
    posts: int
    without_labels: int


def _splits(store: Store, dataset: str, split: str | None) -> list[str]:
    if split:
        return [split]
    return splits_of(store, dataset)


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


def _store_owns(store: Store, target: Path) -> bool:
    """The database, its WAL and shared-memory files, and anything under images/ or models/."""
    home = store.home.resolve()
    own_files = {store.path.resolve(), Path(f"{store.path.resolve()}-wal"), Path(f"{store.path.resolve()}-shm"),
                 Path(f"{store.path.resolve()}-journal")}
    if target in own_files:
        return True
    return any(target.is_relative_to(home / sub) for sub in ("images", "models"))


@contextmanager
def export_file(store: Store, out: str | Path, force: bool = False) -> Iterator[TextIO]:
    """A text file to export into, written to a temporary file beside it and renamed into
    place only when the export succeeded: a failed export never empties an existing file.
    The store's own files are refused, and an existing file unless `force`."""
    target = Path(out).expanduser().resolve()
    if _store_owns(store, target):
        raise CotExplorerError(f"{out} is one of the store's own files; export somewhere else")
    if target.is_dir():
        raise CotExplorerError(f"{out} is a folder; give a file name")
    if target.exists() and not force:
        raise CotExplorerError(f"{out} exists; add --force to replace it")
    if not target.parent.is_dir():
        raise CotExplorerError(f"the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            raise DiskFull(disk_full_message(str(out))) from e
        raise
