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
from .labels import map_type
from .limits import DISK_FULL_ERRNOS, DiskFull, disk_full_message
from .schema import LABEL_SOURCES, LabelSet, Post, Span
from .store import Store
from .store.knowledge import knowledge_for_split
from .store.labels import current_for_split, first_of_source, newest_of_source
from .store.posts import dataset_schema, list_posts, splits_of
from .store.predictions import cached_spans
from .student.registry import Registry

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
        # where no version of that source was saved, what the app shows as its answer: the
        # teacher's entities from its chain of thought, the default student's stored predictions
        # (the file was all O beside 40 teacher answers and 1,623 stored predictions)
        shown = _teacher_entities if source == "teacher" else _student_predictions if source == "student" else None
        if shown is not None:
            labels = {**shown(store, dataset, split, [p for p in posts if p.id not in labels]), **labels}
    if not labels:
        raise ValidationError(f"no post of {dataset}/{split} has {SOURCE_WORDS.get(source, source + ' labels')}: "
                              "the file would be all O" + SOURCE_HINTS.get(source, ""))
    n = write_twitter_conll(out, ((p, labels.get(p.id)) for p in posts))
    return ExportReport(n, sum(1 for p in posts if p.id not in labels))


SOURCE_WORDS = {"teacher": "teacher labels or teacher entities", "student": "student labels or stored student predictions",
                "annotator": "an annotator's correction"}
SOURCE_HINTS = {"teacher": " (ask the teacher about its posts in Explore, or import its knowledge: cot-explorer import knowledge)",
                "student": " (open the split in Errors and press Analyse, which predicts and stores every post)"}


def _teacher_entities(store: Store, dataset: str, split: str, posts: list[Post]) -> dict[str, LabelSet]:
    """The teacher's entities placed in the text, in the dataset's types (as the app marks them)."""
    types = dataset_schema(store, dataset).types
    known = knowledge_for_split(store, dataset, split, "mner")
    out = {}
    for p in posts:
        k = known.get((p.id, None))
        if k is None:
            continue
        spans = sorted({Span(e.span.start, e.span.end, t) for e in k.entities
                        if e.span and (t := map_type(e.type, types))}, key=lambda s: (s.start, -s.end))
        kept, end = [], 0
        for sp in spans:   # BIO holds no overlap: the first of overlapping ones stays
            if sp.start >= end:
                kept.append(sp)
                end = sp.end
        out[p.id] = LabelSet("mner", tuple(kept), source="teacher", model_version=k.model)
    return out


def _student_predictions(store: Store, dataset: str, split: str, posts: list[Post]) -> dict[str, LabelSet]:
    """The default entity student's predictions stored for these posts (Errors and Annotate store them)."""
    name = Registry(store).default_name("mner")
    stored = cached_spans(store, name, [p.id for p in posts])
    return {pid: LabelSet("mner", tuple(Span(a, b, t) for a, b, t, _ in spans), source="student", model_version=name)
            for pid, spans in stored.items()}


def _store_owns(store: Store, target: Path) -> bool:
    """The database, its WAL and shared-memory files, and anything under images/ or models/."""
    home = store.home.resolve()
    own_files = {store.path.resolve(), Path(f"{store.path.resolve()}-wal"), Path(f"{store.path.resolve()}-shm"),
                 Path(f"{store.path.resolve()}-journal")}
    if target in own_files:
        return True
    return any(target.is_relative_to(home / sub) for sub in ("images", "models"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
        os.chmod(tmp, 0o666 & ~_umask())   # as any file the user writes (mkstemp's are theirs alone)
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            raise DiskFull(disk_full_message(str(out))) from e
        raise
