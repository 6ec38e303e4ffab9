"""Exports from the store: the project's JSONL (round-trips with import) and CoNLL of any
label source."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, TextIO

from .datasets.jsonl import write_jsonl
from .datasets.twitter_conll import write_twitter_conll
from .errors import CotExplorerError, ValidationError
from .labels import teacher_spans
from .limits import DISK_FULL_ERRNOS, DiskFull, disk_full_message
from .schema import LABEL_SOURCES, LabelSet, Post, Span
from .store import Store
from .store.images import image_path
from .store.knowledge import knowledge_for_split
from .store.labels import current_for_split, first_of_source, newest_of_source
from .store.posts import dataset_schema, list_posts, splits_of
from .store.predictions import cached_spans
from .student.registry import Registry

CONLL_SOURCES = ("current",) + LABEL_SOURCES


# what a post lacks when it is written with every word O, per label source
LABEL_WORDS = {"gold": "gold labels", "current": "labels", "annotator": "an annotator's correction",
               "teacher": "teacher labels or teacher entities", "student": "student labels or stored student predictions"}
# the sources whose file with nothing in it is refused (gold or current of an unlabelled split
# is still exported, all O, for annotating elsewhere)
SOURCE_HINTS = {"annotator": " (corrections are saved in the Annotate tab)",
                "teacher": " (ask the teacher about its posts in Explore, or import its knowledge: cot-explorer import knowledge)",
                "student": " (open the split in Errors and press Analyse, which predicts and stores every post)"}


# the sources a CoNLL export writes only the posts they label: in a file, a post written all O
# reads as "no entity here", and imported again it became labels (a walker's corrections export
# of 2 corrected posts held 40, and came back in as 38 posts without entities)
ONLY_LABELLED = ("annotator", "teacher", "student")


@dataclass(frozen=True)
class ExportReport:
    posts: int
    without_labels: int           # written all O (gold, current) or left out (ONLY_LABELLED)
    source: str | None = None     # CoNLL's label source; None for JSONL
    with_relations: int = 0       # posts whose relation labels a CoNLL file cannot hold

    def sentence(self, of: str = "", to: str = "") -> str:
        """What was written, as the CLI and the Store tab say it."""
        said = (f"exported {self.posts} {'post' if self.posts == 1 else 'posts'}" + (f" of {of}" if of else "")
                + (f" to {to}" if to else ""))
        lacking = LABEL_WORDS.get(self.source or '', 'labels')
        if self.without_labels and self.source in ONLY_LABELLED:
            said += (f", those with {lacking} (the other {self.without_labels} left out: a post written all O "
                     "would read as one without entities)")
        elif self.without_labels and self.without_labels == self.posts:
            # a file of O's looked like real labels ("4 without gold labels, written as O")
            said += (f": none has {lacking}, so every word is written O (a file to annotate elsewhere; "
                     "imported again it would read as posts without entities)")
        elif self.without_labels:
            said += f" ({self.without_labels} without {lacking}, written as O)"
        if self.with_relations:
            said += (f"; the relations of {self.with_relations} {'post' if self.with_relations == 1 else 'posts'} "
                     "are not in a CoNLL file (export JSONL for them)")
        if self.source is None:
            said += "; the current labels only, not their history (a backup is a copy of the store's folder)"
        return said


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


def export(store: Store, out: TextIO, fmt: str, dataset: str, split: str | None, source: str = "gold") -> ExportReport:
    """The one way the CLI and the Store tab export: `jsonl` (current labels) or `conll` (of `source`)."""
    if fmt == "jsonl":
        return export_jsonl(store, out, dataset, split)
    if not split:
        raise ValidationError("a CoNLL export needs a split")
    return export_conll(store, out, dataset, split, source)


def export_conll(store: Store, out: TextIO, dataset: str, split: str, source: str = "gold") -> ExportReport:
    """MNER labels of one source in the Twitter CoNLL format: every post for gold and current
    (one lacking them all `O`), only the posts it labels for annotator, teacher and student.

    `gold` is the imported gold, `current` the newest version whoever made it, `annotator`
    the newest correction. `teacher` and `student`: the newest version saved from that source,
    else what the app shows as its answer (the teacher's entities, the default student's
    stored predictions). An annotator, teacher or student export with nothing in it is refused
    (it was a file of O's, exit 0); gold or current of an unlabelled split is still written.
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
    if not labels and source in SOURCE_HINTS:
        # relations corrected, entities not: said as such (it read "no correction" beside a split
        # Annotate and `stats` counted 6 corrected posts in)
        relations = (len(newest_of_source(store, dataset, split, "mre", "annotator")) if source == "annotator" else 0)
        raise ValidationError(
            f"no post of {dataset}/{split} has {'an entity correction' if relations else LABEL_WORDS[source]}: "
            "the file would be all O" + (f" (the relations corrected on {relations} post{'s' if relations != 1 else ''} "
                                         "are in a JSONL export: export jsonl)" if relations else SOURCE_HINTS[source]))
    written = [p for p in posts if p.id in labels] if source in ONLY_LABELLED else posts
    n = write_twitter_conll(out, ((p, labels.get(p.id)) for p in written))
    relations = current_for_split(store, dataset, split, "mre")
    return ExportReport(n, sum(1 for p in posts if p.id not in labels), source,
                        sum(1 for p in written if p.id in relations and relations[p.id].relations))


def _teacher_entities(store: Store, dataset: str, split: str, posts: list[Post]) -> dict[str, LabelSet]:
    """The teacher's entities placed in the text, in the dataset's types (as the app marks them)."""
    types = dataset_schema(store, dataset).types
    known = knowledge_for_split(store, dataset, split, "mner")
    out = {}
    for p in posts:
        k = known.get((p.id, None))
        if k is None:
            continue
        # BIO holds no overlap: of overlapping spans the teacher's first named stays (a stable
        # rule: a set's order changed from run to run when one word had two types)
        kept: list[Span] = []
        for sp, _ in teacher_spans(k.entities, types):
            if all(sp.end <= o.start or o.end <= sp.start for o in kept):
                kept.append(sp)
        out[p.id] = LabelSet("mner", tuple(sorted(kept, key=lambda s: s.start)), source="teacher", model_version=k.model)
    return out


def _student_predictions(store: Store, dataset: str, split: str, posts: list[Post]) -> dict[str, LabelSet]:
    """The default entity student's predictions stored for these posts (Errors and Annotate store them)."""
    name = Registry(store).default_name("mner")
    schema = dataset_schema(store, dataset)   # in the dataset's names (Twitter-2015's OTHER, not MISC)
    stored = cached_spans(store, name, [p.id for p in posts])
    return {pid: LabelSet("mner", tuple(schema.translate(Span(a, b, t) for a, b, t, _ in spans)), source="student",
                          model_version=name)
            for pid, spans in stored.items()}


def removal_backup_path(home: Path, where: str) -> Path:
    """The folder a removed split's posts, current labels and images are written to before it
    goes: in the store's removed/ folder, named by what went (a "/" in it made safe) and when."""
    safe = re.sub(r"[^\w.-]+", "_", where).strip("._") or "dataset"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return home / "removed" / f"{safe}-{stamp}"


def write_removal_backup(store: Store, folder: Path, dataset: str, split: str | None) -> Path:
    """`posts.jsonl` (each post with its current labels) and `images/` of what is about to be
    removed: `import jsonl <folder>/posts.jsonl` brings the posts back with their pictures (the
    JSONL alone named images by digest, gone with them). Label history, teacher answers and
    cached predictions are not in it."""
    (folder / "images").mkdir(parents=True)
    written = io.StringIO()
    export_jsonl(store, written, dataset, split)
    lines = []
    for line in written.getvalue().splitlines():
        rec = json.loads(line)
        sha = (rec.get("image") or {}).get("sha256")
        src = image_path(store, sha) if sha else None
        if src is not None and src.exists():
            shutil.copy2(src, folder / "images" / src.name)
            rec["image_path"] = f"images/{src.name}"
        lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True))
    with export_file(store, folder / "posts.jsonl") as out:
        out.write("\n".join(lines) + "\n")
    return folder / "posts.jsonl"


def _store_owns(store: Store, target: Path) -> bool:
    """The database, its WAL and shared-memory files, and anything under images/ or models/."""
    home = store.home.resolve()
    own_files = {store.path.resolve(), Path(f"{store.path.resolve()}-wal"), Path(f"{store.path.resolve()}-shm"),
                 Path(f"{store.path.resolve()}-journal")}
    if target in own_files:
        return True
    return any(target.is_relative_to(home / sub) for sub in ("images", "models"))


def _read_umask() -> int:
    """Read once, at import (setting it to read it is process-wide: not while threads write)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()


@contextmanager
def export_file(store: Store, out: str | Path, force: bool = False) -> Iterator[TextIO]:
    """A text file to export into, written to a temporary file beside it and renamed into
    place only when the export succeeded: a failed export never empties an existing file.
    The store's own files are refused, and an existing file unless `force`."""
    given = Path(out).expanduser()
    if given.exists() and not given.is_file() and not given.is_dir():
        # a device or a pipe (/dev/null, /dev/stdout): written to as it is (a temporary file
        # renamed over /dev/null made it a plain file)
        with open(given, "w", encoding="utf-8", newline="\n") as f:
            yield f
        return
    target = given.resolve()
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
        # a file replaced keeps its mode; a new one gets the user's usual (mkstemp's are theirs alone)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~UMASK)
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            raise DiskFull(disk_full_message(str(out))) from e
        raise
