"""Imports: parse a whole file first, then write it in one transaction (all or nothing)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Sequence

from .datasets.captions import Caption, read_captions
from .datasets.jsonl import read_jsonl
from .datasets.mnre import read_mnre
from .datasets.pgim_knowledge import align_knowledge, read_pgim_knowledge
from .datasets.twitter_conll import read_twitter_conll
from .errors import ImageRejected, ImportRefused, ParseError, ValidationError
from .labels import MnerSchema, mner_schema_for
from .limits import check_store_name
from .schema import LabeledPost, Post, TeacherOutput
from .store import Store
from .store.captions import add_captions
from .store.images import (
    CheckedImage,
    check_image,
    image_path,
    insert_image_row,
    read_image_file,
    remove_unreferenced,
    write_image_file,
)
from .store.imports import earlier_imports_of, record_import
from .store.labels import add_initial, validate_labels
from .store.posts import (
    add_posts,
    count_posts,
    dataset_known,
    dataset_schema,
    ensure_dataset,
    existing_ids,
    list_posts,
    next_position,
    posts_with_caption,
)
from .store.teacher_outputs import add_outputs
from .teacher.augment import AugmentResult
from .teacher.recorded_teacher import recorded_output

KINDS = ("twitter", "mnre", "knowledge", "captions", "jsonl")


@dataclass
class ImportReport:
    kind: str
    path: str
    dataset: str
    split: str | None
    posts: int = 0
    spans: int = 0
    relations: int = 0
    repaired_tags: int = 0
    knowledge_records: int = 0
    knowledge_aligned: int = 0
    posts_without_knowledge: int = 0
    captions: int = 0
    posts_with_caption: int = 0
    images: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self, notes: bool = True) -> str:
        """What was imported, its counts a list ("20 posts, 28 entities": they ran together), then
        its notes, a line each (`notes`; the Store tab says them as sentences of their own)."""
        where = f"{self.dataset}/{self.split}" if self.split else self.dataset
        parts = []
        if self.posts:
            parts.append(f"{self.posts} {'post' if self.posts == 1 else 'posts'}")
        if self.spans:
            parts.append(f"{self.spans} {'entity' if self.spans == 1 else 'entities'}")
        if self.relations:
            parts.append(f"{self.relations} {'relation' if self.relations == 1 else 'relations'}")
        if self.repaired_tags:
            parts.append(f"{self.repaired_tags} I- tags repaired to B-")
        if self.knowledge_records:
            share = 100 * self.knowledge_aligned / max(1, self.knowledge_aligned + self.posts_without_knowledge)
            parts.append(
                f"{self.knowledge_aligned} of {self.knowledge_records} knowledge records aligned "
                f"({share:.2f}% of posts; {self.posts_without_knowledge} "
                f"post{'' if self.posts_without_knowledge == 1 else 's'} without)"
            )
        if self.captions:
            parts.append(f"{self.captions} captions, {self.posts_with_caption} posts now captioned")
        if self.images:
            parts.append(f"{self.images} images")
        said = f"{self.kind} {where}: " + (", ".join(parts) or "nothing new")
        return said + ("".join(f"\n  note: {n}" for n in self.notes) if notes else "")


def _unread_fields_note(records: list) -> str | None:
    """The fields of the file's lines that the import does not read, and on how many lines."""
    counts: dict[str, int] = {}
    for r in records:
        for name in r.unread:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    said = ", ".join(f"'{k}' ({n} line{'' if n == 1 else 's'})" for k, n in sorted(counts.items())[:8])
    more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
    hint = (" 'entities' is what predict writes, the student's answers: they are not labels and were not imported."
            if "entities" in counts else "")
    return (f"fields not read: {said}{more}.{hint} Labels are read from "
            "\"labels\": [{\"task\": \"mner\", \"spans\": [{\"start\": 0, \"end\": 1, \"type\": \"PER\"}]}].")


def file_sha256(path: str | Path) -> str:
    """A file's SHA-256, as the imports' log keeps it (the Store tab looks files up by it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


POST_KINDS = ("twitter", "mnre", "jsonl")


def _record(store: Store, report: ImportReport, source: str | None = None) -> None:
    """The import in the store's log, under `source` where given (the name a file picked in the
    app had: its path was a temporary folder of Gradio's, gone once the import was done)."""
    sha = file_sha256(report.path)
    if report.kind in POST_KINDS:
        # the same file under another split name is accepted (the names differ), but its posts
        # are then in the store twice: said, as a held-out post's twin could otherwise be trained on
        earlier = earlier_imports_of(store, report.kind, sha)
        if earlier:
            named = ", ".join(dict.fromkeys(f"{d}/{s}" if s else d for d, s in earlier))
            # a round compares the posts of one dataset: only there are the twins left out
            guarded = any(d == report.dataset for d, _ in earlier)
            report.notes.append(f"the same file was imported before as {named}: its posts are in the store twice now"
                                + (" (a round leaves out the twins of its held-out posts)" if guarded else ""))
    record_import(store, report.kind, source or report.path, sha, report.dataset, report.split,
                  {**report.to_json(), **({"path": source} if source else {})})


def _check_names(dataset: object | None, split: object | None) -> None:
    """Checked once, before the file is read: a bad name failed on every post, under the
    headline of a post without visible tokens, its reason cut off behind the long post id.
    None: not given (a JSONL line names its own; captions have no split)."""
    if dataset is not None:
        check_store_name(dataset, "the dataset name")
    if split is not None:
        check_store_name(split, "the split name")


def _refuse_existing(store: Store, dataset: str, split: str) -> None:
    n = count_posts(store, dataset, split)
    if n:
        raise ImportRefused(
            f"{dataset}/{split} already holds {n} posts; nothing imported "
            "(choose another --dataset/--split or --home)"
        )


def _write_labeled(store: Store, items: Sequence[LabeledPost], source: str | None = None) -> None:
    """`source`: what the posts say they came from, where the file's path would mislead (a
    file picked in the app is read from a temporary folder of Gradio's)."""
    add_posts(store, [replace(it.post, source=source) if source else it.post for it in items])
    add_initial(store, [(it.post.id, lab) for it in items for lab in it.labels])


def import_twitter(
    store: Store, path: str, dataset: str, split: str, types: Sequence[str] | None = None, repair_bio: bool = False,
    source: str | None = None,
) -> ImportReport:
    _check_names(dataset, split)
    schema = mner_schema_for(dataset, types)
    parsed = read_twitter_conll(path, dataset, split, schema, repair_bio=repair_bio)
    _refuse_existing(store, dataset, split)
    report = ImportReport("twitter", str(path), dataset, split, posts=len(parsed.posts),
                          repaired_tags=parsed.repaired_tags)
    report.spans = sum(len(lab.spans) for it in parsed.posts for lab in it.labels)
    with store.write():
        ensure_dataset(store, dataset, schema)
        _write_labeled(store, parsed.posts, source)
        _record(store, report, source)
    return report


def import_mnre(store: Store, path: str, dataset: str, split: str, source: str | None = None) -> ImportReport:
    _check_names(dataset, split)
    parsed = read_mnre(path, dataset, split)
    _refuse_existing(store, dataset, split)
    report = ImportReport("mnre", str(path), dataset, split, posts=len(parsed.posts),
                          relations=parsed.instances)
    with store.write():
        ensure_dataset(store, dataset, mner_schema_for(dataset))
        _write_labeled(store, parsed.posts, source)
        _record(store, report, source)
    return report


def knowledge_outputs(posts: Sequence[Post], path: str) -> tuple[list[tuple[Post, TeacherOutput]], ImportReport]:
    """Recorded ChatGPT knowledge aligned to posts, as teacher outputs (pure)."""
    records = read_pgim_knowledge(path)
    alignment = align_knowledge(records, posts)
    by_id = {p.id: p for p in posts}
    outputs: list[tuple[Post, TeacherOutput]] = []
    skipped = 0
    for post_id, rec in alignment.pairs:
        out, unread = recorded_output(by_id[post_id], rec.text)
        skipped += unread
        outputs.append((by_id[post_id], out))
    report = ImportReport("knowledge", str(path), posts[0].dataset if posts else "", posts[0].split if posts else None,
                          knowledge_records=len(records), knowledge_aligned=alignment.aligned,
                          posts_without_knowledge=len(alignment.posts_without))
    if alignment.unaligned_records:
        lines = ", ".join(str(r.line) for r in alignment.unaligned_records[:5])
        report.notes.append(f"{len(alignment.unaligned_records)} records match no post (lines {lines}...)")
    if skipped:
        report.notes.append(f"{skipped} entity list items could not be read and were skipped")
    return outputs, report


def import_knowledge(store: Store, path: str, dataset: str, split: str) -> ImportReport:
    posts = list_posts(store, dataset, split)
    if not posts:
        raise ImportRefused(f"no posts in {dataset}/{split}: import the dataset split before its knowledge")
    outputs, report = knowledge_outputs(posts, path)
    report.path = str(path)
    if not outputs:   # said as a success with exit 0, and recorded as an import
        raise ImportRefused(f"none of the {report.knowledge_records} knowledge records of {path} matches a post of "
                            f"{dataset}/{split} by its words (the knowledge of another split?); nothing imported")
    with store.write():
        add_outputs(store, outputs)
        _record(store, report)
    return report


def import_captions(store: Store, path: str, dataset: str, model: str = "blip2") -> ImportReport:
    _check_names(dataset, None)
    parsed = read_captions(path)
    report = ImportReport("captions", str(path), dataset, None, captions=len(parsed.captions))
    if parsed.empty:
        report.notes.append(f"{parsed.empty} lines name an image but give no caption; skipped")
    if not dataset_known(store, dataset):   # allowed (captions may come first), but a typo went unnoticed
        report.notes.append(f"no dataset named {dataset!r} is in the store yet: the captions wait for its posts "
                            "(check the name if you meant one imported already)")
    with store.write():
        add_captions(store, dataset, model, parsed.captions)
        report.posts_with_caption = posts_with_caption(store, dataset)
        _record(store, report)
    return report


def _dataset_types(store: Store, dataset: str) -> tuple[str, ...]:
    """The dataset's registered entity types, or the ones it will be registered with."""
    return (dataset_schema(store, dataset) if dataset_known(store, dataset) else mner_schema_for(dataset)).types


def import_jsonl(store: Store, path: str, dataset: str | None = None, split: str | None = None,
                 source: str | None = None) -> ImportReport:
    """All checks and the slow work (parsing, image decoding and hashing) happen before the
    write transaction, so views and saves are not kept waiting; a refused import leaves the
    store as it was, image files included."""
    _check_names(dataset, split)   # those given; each line's own are checked below
    records = read_jsonl(path, dataset, split)
    if not records:
        raise ParseError(str(path), None, "at least one post")
    for key in sorted({(r.item.post.dataset, r.item.post.split) for r in records}):
        try:
            _check_names(*key)
        except ValidationError as e:
            raise ValidationError(f"{path}: {e}") from e
    if dataset and any(r.item.post.dataset != dataset for r in records):
        named = sorted({r.item.post.dataset for r in records} - {dataset})
        raise ImportRefused(f"{path} holds posts of other datasets than --dataset {dataset} (its lines name "
                            f"{', '.join(named[:3])}{' and more' if len(named) > 3 else ''}; a line's own dataset "
                            "and id stand: give no dataset to import them as they are)")
    for r in records:
        tasks = [lab.task for lab in r.item.labels]
        if len(tasks) != len(set(tasks)):
            raise ParseError(str(path), None, f"one label set per task for post {r.item.post.id}")
        types = _dataset_types(store, r.item.post.dataset)
        for lab in r.item.labels:
            try:
                validate_labels(r.item.post, lab, types)
            except ValidationError as e:
                raise ValidationError(f"{path}: post {r.item.post.id}: {e}") from e
    clash = existing_ids(store, [r.item.post.id for r in records])
    if clash:
        raise ImportRefused(f"{len(clash)} posts already in the store (e.g. {clash[0]}); nothing imported (a "
                            "post is known by its id: an export comes back into a store without its posts, "
                            "another one or after they were removed)")
    images: dict[int, CheckedImage] = {}
    for i, r in enumerate(records):
        if r.image_path is not None:
            try:
                images[i] = check_image(read_image_file(r.image_path), r.image_path.name)
            except ImageRejected as e:   # which line, and where its image_path led (it named the file alone)
                raise ImageRejected(f"{path}:{r.line}: {e} (image_path read as {r.image_path})") from e
    first = records[0].item.post
    report = ImportReport("jsonl", str(path), first.dataset, first.split, images=len(images))
    unread = _unread_fields_note(records)
    if unread:
        report.notes.append(unread)
    written: list[CheckedImage] = []
    try:
        for img in images.values():
            if write_image_file(store, img):
                written.append(img)
        with store.write():
            positions: dict[tuple[str, str], int] = {}
            items: list[LabeledPost] = []
            captions: dict[str, list[Caption]] = {}
            for i, r in enumerate(records):
                post = r.item.post
                if post.dataset not in {d for d, _ in positions}:
                    ensure_dataset(store, post.dataset, MnerSchema(_dataset_types(store, post.dataset)))
                key = (post.dataset, post.split)
                if key not in positions:
                    positions[key] = next_position(store, *key)
                changes: dict = {"position": positions[key], **({"source": source} if source else {})}
                positions[key] += 1
                if i in images:
                    insert_image_row(store, images[i])
                    changes.update(image_sha256=images[i].sha256, image_name=post.image_name or r.image_path.name)
                elif post.image_sha256 and image_path(store, post.image_sha256) is None:
                    changes["image_sha256"] = None
                    report.notes.append(f"{post.id}: image {post.image_sha256[:12]} is not in this store; kept its name only")
                post = replace(post, **changes)
                if post.caption and post.image_name:
                    captions.setdefault(post.dataset, []).append(Caption(post.image_name, post.caption))
                items.append(LabeledPost(post, r.item.labels))
            _write_labeled(store, items)
            for ds, caps in captions.items():
                add_captions(store, ds, "jsonl", caps)
            report.posts = len(items)
            report.spans = sum(len(lab.spans) for it in items for lab in it.labels)
            report.relations = sum(len(lab.relations) for it in items for lab in it.labels)
            _record(store, report, source)
    except BaseException:
        remove_unreferenced(store, written)
        raise
    return report


def write_augmented(store: Store, results: Sequence[AugmentResult]) -> int:
    """Write the posts the teacher's augmentations made (into `<dataset>-aug`, labels re-aligned,
    image descriptions as captions); posts already written by an earlier run are skipped.
    Returns how many posts were written."""
    written = 0
    for res in results:
        if not res.posts:
            continue
        known = set(existing_ids(store, [p.post.id for p in res.posts]))
        fresh = [p for p in res.posts if p.post.id not in known]
        if not fresh:
            continue
        with store.write():
            ensure_dataset(store, res.dataset, dataset_schema(store, res.source_dataset))
            start = next_position(store, res.dataset, fresh[0].post.split)
            fresh = [LabeledPost(replace(p.post, position=start + i), p.labels) for i, p in enumerate(fresh)]
            _write_labeled(store, fresh)
            if res.captions:
                add_captions(store, res.dataset, res.caption_model, [Caption(n, d) for n, d in res.captions])
        written += len(fresh)
    return written
