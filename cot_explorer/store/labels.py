"""Label history: append-only versions per post and task; the newest is current.

A save names the version it was based on; if another save landed first, it is refused
with `ConflictError` (optimistic concurrency) so no one's edit is silently overwritten.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Iterable

from ..errors import ConflictError, PairChangedMeanwhile, ValidationError
from ..labels import check_relation_label
from ..limits import person_key
from ..schema import LabelSet, Post, Relation
from .core import Store, utc_now
from .posts import dataset_schema, get_post


def validate_labels(post: Post, labels: LabelSet, entity_types: tuple[str, ...]) -> None:
    """Spans inside the post, types in the dataset's schema, relations among the MNRE labels."""
    n = len(post.tokens)
    if labels.task == "mner":
        taken: dict[int, object] = {}
        for span in labels.spans:
            span.check_bounds(n)
            if span.type not in entity_types:
                raise ValidationError(f"entity type {span.type!r} is not in the schema {list(entity_types)}")
            other = next((taken[i] for i in range(span.start, span.end) if i in taken), None)
            if other is not None:   # in the post's words (a merge was refused with "span 0:1 overlaps")
                raise ValidationError(f"“{post.span_text(span)}” ({span.type}) overlaps “{post.span_text(other)}” "
                                      f"({other.type}): keep one of them")
            taken.update({i: span for i in range(span.start, span.end)})
    else:
        for rel in labels.relations:
            check_relation_label(rel.label)
            for arg in (rel.head, rel.tail):
                arg.check_bounds(n)


def _row(post_id: str, labels: LabelSet, replaces: int | None) -> dict:
    return {
        "post_id": post_id, "task": labels.task, "source": labels.source,
        "author": labels.author or "unknown", "model_version": labels.model_version,
        "payload": json.dumps(labels.payload(), ensure_ascii=False),
        "created_at": labels.created_at or utc_now(), "replaces": replaces,
    }


def _labelset(row) -> LabelSet:
    return LabelSet.from_payload(
        row["task"], json.loads(row["payload"]), source=row["source"], author=row["author"],
        model_version=row["model_version"], created_at=row["created_at"], version=row["version"],
        replaces=row["replaces"],
    )


def add_initial(store: Store, items: Iterable[tuple[str, LabelSet]]) -> int:
    """First versions of imported posts (validated by the reader that produced them)."""
    rows = [{**_row(pid, lab, None), "imported": 1} for pid, lab in items]  # where undo stops
    with store.write():
        store.db["labels"].insert_all(rows, batch_size=1000)
    return len(rows)


def _head_row(store: Store, post_id: str, task: str):
    rows = list(store.db.query(
        "SELECT * FROM labels WHERE post_id = ? AND task = ? ORDER BY version DESC LIMIT 1", [post_id, task]
    ))
    return rows[0] if rows else None


def _cleared(row) -> bool:
    """An undo that went back to before the post's first labels: the post has none again.
    (Every other undo names the version whose labels it restores.)"""
    return row["action"] == "undo" and row["restores"] is None


def current(store: Store, post_id: str, task: str) -> LabelSet | None:
    """The post's labels for `task`; None when it has none (never labelled, or its first labels undone)."""
    row = _head_row(store, post_id, task)
    return _labelset(row) if row is not None and not _cleared(row) else None


def head(store: Store, post_id: str, task: str) -> "HistoryEntry | None":
    """The newest version of the post's history for `task`, as the history shows it."""
    row = _head_row(store, post_id, task)
    return _entry(row) if row is not None else None


def head_version(store: Store, post_id: str, task: str) -> int | None:
    """The newest version of the post's history for `task`, its labels or an undo that cleared
    them: what a save, an undo or a redo must be based on."""
    row = _head_row(store, post_id, task)
    return row["version"] if row is not None else None


def history(store: Store, post_id: str, task: str) -> list[LabelSet]:
    """All versions, oldest first."""
    rows = store.db.query("SELECT * FROM labels WHERE post_id = ? AND task = ? ORDER BY version", [post_id, task])
    return [_labelset(r) for r in rows]


def current_for_split(store: Store, dataset: str, split: str, task: str) -> dict[str, LabelSet]:
    rows = store.db.query(
        """SELECT c.* FROM current_labels c JOIN posts p ON p.id = c.post_id
           WHERE p.dataset = ? AND p.split = ? AND c.task = ?""", [dataset, split, task])
    return {r["post_id"]: _labelset(r) for r in rows}


def _one_per_post_of_source(store: Store, dataset: str, split: str, task: str, source: str, pick: str) -> dict[str, LabelSet]:
    rows = store.db.query(
        f"""SELECT l.* FROM labels l JOIN posts p ON p.id = l.post_id
           WHERE p.dataset = ? AND p.split = ? AND l.task = ? AND l.source = ?
           AND l.version = (SELECT {pick}(version) FROM labels m WHERE m.post_id = l.post_id
                            AND m.task = l.task AND m.source = l.source)""", [dataset, split, task, source])
    return {r["post_id"]: _labelset(r) for r in rows if not _cleared(r)}  # an undo to no labels: none


def first_of_source(store: Store, dataset: str, split: str, task: str, source: str) -> dict[str, LabelSet]:
    """The earliest version from one source per post (e.g. the imported gold)."""
    return _one_per_post_of_source(store, dataset, split, task, source, "min")


def newest_of_source(store: Store, dataset: str, split: str, task: str, source: str) -> dict[str, LabelSet]:
    """The latest version from one source per post (e.g. the last annotator correction), left
    out where an undo has taken it back: the post's labels are now an undo's or redo's that
    restore other ones."""
    newest = _one_per_post_of_source(store, dataset, split, task, source, "max")
    for post_id, labels in list(newest.items()):
        now = head(store, post_id, task)
        if now.version > labels.version and now.action in ("undo", "redo"):
            origin = _labels_of(store, now)
            if origin is None or origin.version != labels.version:
                del newest[post_id]
    return newest


_SPELLINGS: dict[tuple[str, int], dict[str, str]] = {}


def _first_spellings(store: Store) -> dict[str, str]:
    """Each annotator name saved here → the spelling that person was first saved under (names
    saved before they were matched this way are one person on reading too). Read again only
    once a label was saved since (progress reads it on every post opened in Annotate; the
    labels table's newest version is one index lookup, the spellings a scan of it)."""
    newest = store.conn.execute("SELECT coalesce(max(version), 0) FROM labels").fetchone()[0]
    key = (str(store.path), newest)
    if key not in _SPELLINGS:
        if len(_SPELLINGS) > 64:
            _SPELLINGS.clear()
        _SPELLINGS[key] = _read_first_spellings(store)
    return _SPELLINGS[key]


def _read_first_spellings(store: Store) -> dict[str, str]:
    first: dict[str, str] = {}
    spelt: dict[str, str] = {}
    for (author,) in store.conn.execute("SELECT author FROM labels WHERE source = 'annotator' GROUP BY author "
                                        "ORDER BY min(version)"):
        if author:
            spelt[author] = first.setdefault(person_key(author), author)
    return spelt


def known_author(store: Store, typed: str) -> str:
    """The spelling a typed name was first saved under in this store, where it is one already
    (`limits.person_key`); else the name as typed, its spaces tidied."""
    name = " ".join(typed.split())
    return next((first for author, first in _first_spellings(store).items() if person_key(author) == person_key(name)),
                name)


def save(store: Store, post_id: str, labels: LabelSet, base_version: int | None, action: str = "save") -> LabelSet:
    """Store `labels` as the new current version if `base_version` is still current.

    `base_version` is the version the editor saw (None for a post that had no labels).
    Raises `ConflictError` if someone saved in between, `ValidationError` on bad labels.
    """
    post = get_post(store, post_id)
    if post is None:
        raise ValidationError(f"no post {post_id!r} in the store")
    validate_labels(post, labels, dataset_schema(store, post.dataset).types)
    try:
        with store.write():
            now_version = head_version(store, post_id, labels.task)
            if now_version != base_version:
                raise ConflictError(post_id, labels.task, base_version, now_version)
            row = _row(post_id, labels.with_meta(created_at=utc_now()), base_version)
            row["action"] = action
            version = store.db["labels"].insert(row).last_pk
    except sqlite3.IntegrityError as e:  # the unique indexes caught a race the check missed
        if get_post(store, post_id) is None:   # or the post (an upload) was deleted meanwhile
            raise ValidationError(f"the post {post_id} was deleted meanwhile; nothing saved") from e
        raise ConflictError(post_id, labels.task, base_version, head_version(store, post_id, labels.task)) from e
    return labels.with_meta(version=version, replaces=base_version, created_at=row["created_at"], author=row["author"])


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a post's labels, as the history shows it."""
    version: int
    task: str
    action: str               # save | undo | redo | merge
    source: str
    author: str
    created_at: str
    replaces: int | None
    restores: int | None
    labels: LabelSet
    imported: bool = False    # a first version from an import (any source): undo stops there

    @property
    def what(self) -> str:
        """What happened, in words: `undo (back to v12)`, `annotator`, `gold`..."""
        if self.action == "undo" and self.restores is None:
            return "undo (back to no labels)"
        if self.action in ("undo", "redo"):
            return f"{self.action} (labels of v{self.restores})"
        if self.action == "merge":
            return "merge of a conflict"
        return self.source


def _entry(row) -> HistoryEntry:
    return HistoryEntry(row["version"], row["task"], row["action"], row["source"], row["author"], row["created_at"],
                        row["replaces"], row["restores"], _labelset(row), bool(row["imported"]))


def post_history(store: Store, post_id: str) -> list[HistoryEntry]:
    """Every version of both tasks of a post, oldest first: one history for spans and relations."""
    return [_entry(r) for r in store.db.query("SELECT * FROM labels WHERE post_id = ? ORDER BY version", [post_id])]


def _version(store: Store, version: int) -> HistoryEntry:
    return _entry(next(iter(store.db.query("SELECT * FROM labels WHERE version = ?", [version]))))


def _labels_of(store: Store, entry: HistoryEntry) -> HistoryEntry | None:
    """The save (or import, or merge) whose labels `entry` holds, walking back through undos
    and redos; None for an undo that cleared the labels."""
    while entry.action in ("undo", "redo"):
        if entry.restores is None:
            return None
        entry = _version(store, entry.restores)
    return entry


def labels_at(store: Store, post_id: str, task: str, version: int) -> LabelSet | None:
    """The post's labels for `task` as they stood at `version` (an undo or a redo holds the
    labels it brought back); None where that version cleared them or is not this post's."""
    rows = list(store.db.query("SELECT * FROM labels WHERE version = ? AND post_id = ? AND task = ?",
                               [version, post_id, task]))
    if not rows:
        return None
    entry = _labels_of(store, _entry(rows[0]))
    return entry.labels if entry is not None else None


def _undoable(store: Store, entry: HistoryEntry) -> HistoryEntry | None:
    """The change an undo at `entry` takes back (an undo of an undo goes further back, not
    forth); None when there is none: no labels left, or only the imported ones."""
    change = _labels_of(store, entry)
    if change is None or change.imported:
        return None
    return change


def _insert(store: Store, post_id: str, labels: LabelSet, base_version: int, action: str, restores: int | None,
            undoes: int | None, author: str) -> LabelSet:
    """An undo or redo by `author`; the labels keep their source, so an undo back to the
    imported labels leaves the post uncorrected."""
    source = labels.source if restores is not None else "annotator"
    row = _row(post_id, labels.with_meta(created_at=utc_now(), author=author, source=source), base_version)
    row.update(action=action, restores=restores, undoes=undoes)
    version = store.db["labels"].insert(row).last_pk
    return labels.with_meta(version=version, replaces=base_version, created_at=row["created_at"], author=author,
                            source=source)


def undo(store: Store, post_id: str, task: str, base_version: int, author: str) -> LabelSet:
    """One step back: the labels before the current ones become current again, as a new
    version recorded as an undo (history is never rewritten). Pressed again, it goes one
    more step back. Undoing a post's first labels leaves it with none again; imported labels
    are where undo stops."""
    with store.write():
        now_version = head_version(store, post_id, task)
        if now_version is None or now_version != base_version:
            raise ConflictError(post_id, task, base_version, now_version)
        change = _undoable(store, _version(store, now_version))
        if change is None:
            raise ValidationError(f"{post_id} ({task}) has no earlier version to go back to")
        before = _version(store, change.replaces) if change.replaces is not None else None
        if before is None or (before.action == "undo" and before.restores is None):
            return _insert(store, post_id, LabelSet(task), base_version, "undo", None, now_version, author)
        return _insert(store, post_id, before.labels, base_version, "undo", before.version, now_version, author)


def redo(store: Store, post_id: str, task: str, base_version: int, author: str) -> LabelSet:
    """One step forth again after undos, as a new version recorded as a redo; refused when
    the last change was not an undo (or a redo with an undo before it)."""
    with store.write():
        now_version = head_version(store, post_id, task)
        if now_version is None or now_version != base_version:
            raise ConflictError(post_id, task, base_version, now_version)
        entry = _version(store, now_version)
        undone = _undoes(store, entry.version)
        if entry.action == "undo":
            reverse = entry.version
        elif entry.action == "redo":
            earlier_undo = _undoes(store, undone)           # the undo that came before the one this redo reversed
            prior = _version(store, earlier_undo) if earlier_undo is not None else None
            if prior is None or prior.action != "undo":
                raise ValidationError("nothing to redo")
            reverse = prior.version
        else:
            raise ValidationError("nothing to redo: the last change was not an undo")
        target = _version(store, _undoes(store, reverse))
        target = _labels_of(store, target)  # name the version whose labels these first were
        if target is None:
            raise ValidationError("nothing to redo")
        restored, target = target.labels, target.version
        return _insert(store, post_id, restored, base_version, "redo", target, reverse, author)


def undo_newest(store: Store, post_id: str, author: str, only_task: str | None = None,
                change: int | None = None) -> LabelSet:
    """Undo the post's newest change not yet undone, spans or relations (one history for both).
    `only_task`: refused if that change is of the other task (an editor with unsaved span
    edits may take back a relation, not the spans under its edits). `change`: refused unless
    that version is the change undone (an Undo beside the relation it saved)."""
    found = _newest_undoable(store, post_id)
    if found is None:
        raise ValidationError("nothing to undo on this post")
    change_entry, task, base = found
    newest = change_entry.version
    if change is not None and newest != change:
        raise ValidationError(f"version {change} is no longer the newest change of this post (version {newest} "
                              "is); the history lists both")
    _refuse_other_task(task, only_task)
    return undo(store, post_id, task, base, author)


def _newest_undoable(store: Store, post_id: str) -> tuple[HistoryEntry, str, int] | None:
    """The change an undo of the post takes back (spans or relations: one history), its task,
    and the version the undo goes on top of."""
    changes = []
    for task in ("mner", "mre"):
        now = head(store, post_id, task)
        undoable = _undoable(store, now) if now is not None else None
        if undoable is not None:
            changes.append((undoable.version, task, now.version, undoable))
    if not changes:
        return None
    _, task, base, entry = max(changes, key=lambda c: c[0])
    return entry, task, base


def newest_undoable(store: Store, post_id: str) -> HistoryEntry | None:
    """The change Undo would take back now: said before it is (whose it was, above all)."""
    found = _newest_undoable(store, post_id)
    return found[0] if found else None


def _refuse_other_task(task: str, only_task: str | None) -> None:
    if only_task is not None and task != only_task:
        raise ValidationError("the newest change is to the entity labels, under your unsaved span edits: "
                              "save or discard them first" if task == "mner" else
                              "the newest change is to the relations; only span changes may be stepped here")


def redo_newest(store: Store, post_id: str, author: str, only_task: str | None = None) -> LabelSet:
    """Redo the post's newest undo, spans or relations; nothing to redo once a change was
    saved after it. `only_task` as for `undo_newest`."""
    heads = sorted(((v, t) for t in ("mner", "mre") if (v := head_version(store, post_id, t)) is not None),
                   reverse=True)
    if not heads or _version(store, heads[0][0]).action not in ("undo", "redo"):
        raise ValidationError("nothing to redo: the last change was not an undo")
    (last_save,) = store.conn.execute("SELECT max(version) FROM labels WHERE post_id = ? AND action IN ('save', 'merge')",
                                      (post_id,)).fetchone()
    for version, task in heads:
        if _version(store, version).action not in ("undo", "redo") or version < (last_save or 0):
            continue  # an undo older than the newest save, spans or relations: that save ended its redo
        _refuse_other_task(task, only_task)
        try:
            return redo(store, post_id, task, version, author)
        except ValidationError:
            continue
    raise ValidationError("nothing to redo")


def _undoes(store: Store, version: int | None) -> int | None:
    if version is None:
        return None
    row = store.conn.execute("SELECT undoes FROM labels WHERE version = ?", (version,)).fetchone()
    return row[0] if row else None


def corrected_post_ids(store: Store, dataset: str, since: str | None = None, task: str = "mner") -> list[str]:
    """Posts whose current label is not the imported gold (corrected), optionally since a time."""
    q = """SELECT c.post_id FROM current_labels c JOIN posts p ON p.id = c.post_id
           WHERE p.dataset = ? AND c.task = ? AND c.source != 'gold'"""
    args: list = [dataset, task]
    if since:
        q += " AND c.created_at >= ?"
        args.append(since)
    return [r[0] for r in store.conn.execute(q + " ORDER BY p.split, p.position", args)]


@dataclass(frozen=True)
class Progress:
    total: int
    corrected: int                     # posts whose current labels are no longer the imported gold
    by_author: dict[str, int]          # posts each annotator saved at least once
    unchanged: int = 0                 # of the corrected, those saved as they were imported (confirmed)


def progress(store: Store, dataset: str, split: str, task: str | None = None, confirmed: bool = False) -> Progress:
    """Posts of a split whose labels someone changed, for one task or (None) for any: a post
    whose entities or relations were corrected counts once. `confirmed`: count those saved as
    they were imported too (`unchanged`; it reads each corrected post's labels)."""
    (total,) = store.conn.execute("SELECT count(*) FROM posts WHERE dataset = ? AND split = ?",
                                  (dataset, split)).fetchone()
    tasks = (task,) if task else ("mner", "mre")
    marks = ", ".join("?" * len(tasks))
    (corrected,) = store.conn.execute(
        f"""SELECT count(DISTINCT c.post_id) FROM current_labels c JOIN posts p ON p.id = c.post_id
            WHERE p.dataset = ? AND p.split = ? AND c.task IN ({marks}) AND c.source != 'gold'""",
        (dataset, split, *tasks)).fetchone()
    # per annotator, the posts whose current labels are theirs: a save taken back by an undo no
    # longer counts (as it no longer counts as corrected), and labels an undo or redo brought
    # back count for whoever saved them, not for whoever pressed undo
    # (read on every post opened in Annotate: no payloads, and the history walked only for undos)
    current = store.conn.execute(
        f"""SELECT c.post_id, c.author, c.action, c.restores FROM current_labels c JOIN posts p ON p.id = c.post_id
            WHERE p.dataset = ? AND p.split = ? AND c.task IN ({marks}) AND c.source = 'annotator'""",
        (dataset, split, *tasks)).fetchall()
    posts_by: dict[str, set[str]] = {}
    for post_id, author, action, restores in current:
        while action in ("undo", "redo") and restores is not None:
            author, action, restores = store.conn.execute(
                "SELECT author, action, restores FROM labels WHERE version = ?", (restores,)).fetchone()
        if action not in ("undo", "redo"):
            posts_by.setdefault(author, set()).add(post_id)
    # a colleague's labels taken as one's own ("Take theirs", a Save on them unchanged) stay theirs
    # too: credited to the taker alone, the one who made them read "0 by you" (a walker's finding)
    vouched = store.conn.execute(
        f"""SELECT c.post_id, c.task, r.author, c.payload, r.payload FROM current_labels c
            JOIN posts p ON p.id = c.post_id JOIN labels r ON r.version = c.replaces
            WHERE p.dataset = ? AND p.split = ? AND c.task IN ({marks}) AND c.source = 'annotator'
            AND c.action = 'save' AND r.source = 'annotator' AND r.action IN ('save', 'merge')
            AND r.author != c.author""", (dataset, split, *tasks)).fetchall()
    for post_id, task_, maker, now, before in vouched:
        if LabelSet.from_payload(task_, json.loads(now)).same_labels(LabelSet.from_payload(task_, json.loads(before))):
            posts_by.setdefault(maker, set()).add(post_id)
    spelt = _first_spellings(store) if posts_by else {}
    people: dict[str, set[str]] = {}
    for author, ps in posts_by.items():
        people.setdefault(spelt.get(author, author), set()).update(ps)
    counts = sorted(((a, len(ps)) for a, ps in people.items()), key=lambda x: (-x[1], x[0]))
    return Progress(total, corrected, dict(counts),
                    confirmed_unchanged(store, dataset, split, tasks) if confirmed else 0)


def confirmed_unchanged(store: Store, dataset: str, split: str, tasks: tuple[str, ...] = ("mner", "mre")) -> int:
    """Posts counted as corrected whose labels are still those they were imported with, in
    every task someone saved: checked and confirmed, not changed (a Save pressed on labels
    that were right). Read for the few posts people saved, not the whole split."""
    marks = ", ".join("?" * len(tasks))
    rows = store.conn.execute(
        f"""SELECT c.post_id, c.task, c.payload, i.payload FROM current_labels c JOIN posts p ON p.id = c.post_id
            LEFT JOIN labels i ON i.post_id = c.post_id AND i.task = c.task AND i.imported = 1
            WHERE p.dataset = ? AND p.split = ? AND c.task IN ({marks}) AND c.source != 'gold'""",
        (dataset, split, *tasks)).fetchall()
    changed: dict[str, bool] = {}
    for post_id, task, now, imported in rows:
        same = imported is not None and LabelSet.from_payload(task, json.loads(now)).same_labels(
            LabelSet.from_payload(task, json.loads(imported)))
        changed[post_id] = changed.get(post_id, False) or not same
    return sum(1 for c in changed.values() if not c)


def newest_annotated_split(store: Store, leaving_out: tuple[str, ...] = ()) -> tuple[str, str, str] | None:
    """(dataset, split, when) of the newest label an annotator saved here, outside the datasets
    `leaving_out` (labels imported as an annotator's are the import's, which `imports` dates)."""
    marks = ",".join("?" * len(leaving_out)) or "''"
    row = store.conn.execute(
        f"""SELECT p.dataset, p.split, l.created_at FROM labels l JOIN posts p ON p.id = l.post_id
            WHERE l.source = 'annotator' AND l.imported = 0 AND p.dataset NOT IN ({marks})
            ORDER BY l.version DESC LIMIT 1""", tuple(leaving_out)).fetchone()
    return (row[0], row[1], row[2]) if row else None


def newest_version(store: Store) -> int:
    """The newest label version in the store (0 for none): where a later change begins."""
    return store.conn.execute("SELECT coalesce(max(version), 0) FROM labels").fetchone()[0]


def posts_changed_since(store: Store, dataset: str, split: str, version: int) -> int:
    """How many posts of a split have had a label version (a save, an undo, a merge) since
    `version`: an analysis made before them no longer shows the labels as they are."""
    return store.conn.execute(
        """SELECT count(DISTINCT l.post_id) FROM labels l JOIN posts p ON p.id = l.post_id
           WHERE l.version > ? AND p.dataset = ? AND p.split = ?""", (version, dataset, split)).fetchone()[0]


def labels_by_annotator(store: Store, task: str = "mner", post_id: str | None = None) -> dict[str, dict[str, LabelSet]]:
    """{post id: {annotator: their latest saved labels that still stand}} for posts two or more
    annotators saved (or for `post_id` alone). A save taken back by an undo (and not redone) is
    not theirs any more: agreement counted a disagreement both annotators had undone."""
    one = "AND l.post_id = ?" if post_id is not None else ""
    rows = store.db.query(
        f"""SELECT l.* FROM labels l WHERE l.task = ? AND l.source = 'annotator' AND l.action IN ('save', 'merge')
           {one} ORDER BY l.post_id, l.version""", [task] + ([post_id] if post_id is not None else []))
    saves: dict[str, list[dict]] = {}
    for r in rows:
        saves.setdefault(r["post_id"], []).append(r)
    out: dict[str, dict[str, LabelSet]] = {}
    spelt = _first_spellings(store) if saves else {}
    for post_id, post_saves in saves.items():
        if len({spelt.get(r["author"], r["author"]) for r in post_saves}) < 2:
            continue
        standing = _standing_changes(store, post_id, task)
        # the latest wins; one person under two spellings is one annotator
        by = {spelt.get(r["author"], r["author"]): _labelset(r) for r in post_saves if r["version"] in standing}
        if len(by) >= 2:
            out[post_id] = by
    return out


@dataclass(frozen=True)
class TwinLabels:
    """One post (its words) imported into two splits and corrected in each: the two splits'
    current entity labels, and who saved them. A file imported once per annotator gives labels
    made blind of each other (in one split the second annotator starts from the first's)."""

    n_tokens: int
    spans: dict[str, tuple]    # {"dataset/split": current spans}
    authors: dict[str, str]    # {"dataset/split": who saved them}


def twins_across_splits(store: Store) -> dict[tuple[str, str], list[TwinLabels]]:
    """{(split a, split b): the posts both corrected}, for every two splits holding the same
    words (the posts' tokens) with an annotator's current entity labels in each."""
    rows = store.conn.execute(
        """SELECT p.tokens, p.dataset || '/' || p.split, c.payload, c.author FROM current_labels c
           JOIN posts p ON p.id = c.post_id WHERE c.task = 'mner' AND c.source = 'annotator'
           ORDER BY p.dataset, p.split, p.position""").fetchall()
    by_words: dict[str, dict[str, tuple[str, str]]] = {}
    for tokens, split, payload, author in rows:
        by_words.setdefault(tokens, {}).setdefault(split, (payload, author))
    out: dict[tuple[str, str], list[TwinLabels]] = {}
    for tokens, splits in by_words.items():
        names = sorted(splits)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                spans = {x: LabelSet.from_payload("mner", json.loads(splits[x][0])).spans for x in (a, b)}
                out.setdefault((a, b), []).append(TwinLabels(len(json.loads(tokens)), spans,
                                                             {x: splits[x][1] for x in (a, b)}))
    return out


def _standing_changes(store: Store, post_id: str, task: str) -> set[int]:
    """The versions of the saves whose changes the current labels still hold: what undo would
    take back, one press after another (an undone save is not among them)."""
    now = head(store, post_id, task)
    standing: set[int] = set()
    while now is not None:
        change = _undoable(store, now)
        if change is None or change.version in standing:
            break
        standing.add(change.version)
        now = _version(store, change.replaces) if change.replaces is not None else None
    return standing


def labelled_task(store: Store, dataset: str, split: str | None = None) -> str:
    """'mre' for a dataset (or one split of it) whose posts hold entity pairs with relation
    labels (MNRE: its rounds, error analysis and training are the relation student's), else
    'mner'. The one rule for "is this a relation dataset"."""
    where, args = ("AND p.split = ?", [dataset, split]) if split else ("", [dataset])
    row = store.conn.execute(
        f"""SELECT 1 FROM current_labels c JOIN posts p ON p.id = c.post_id
            WHERE p.dataset = ? {where} AND c.task = 'mre'
            AND json_array_length(c.payload, '$.relations') > 0 LIMIT 1""", args).fetchone()
    return "mre" if row else "mner"


@dataclass(frozen=True)
class RelationChange:
    saved: LabelSet
    old: Relation                 # the pair's relation as it was
    over: HistoryEntry | None     # the save it went on top of, where others changed other pairs since


def change_relation(store: Store, post_id: str, index: int, label: str, base_version: int | None,
                    author: str) -> RelationChange:
    """Change one entity pair's relation, saved as a new MRE version on top of `base_version`,
    the version the editor showed. Where the post's relations changed since on other pairs only,
    it goes on top of the newest (`over`): two annotators on one post, each on their own pair,
    were refused "conflict … reload the post". Where this pair changed since, PairChangedMeanwhile
    says who set it to what."""
    check_relation_label(label)
    with store.write():
        labels = current(store, post_id, "mre")
        if labels is None:
            raise ValidationError("this post has no entity pairs")
        rels = list(labels.relations)
        if not isinstance(index, int) or not 0 <= index < len(rels):
            raise ValidationError(f"pick a pair between 1 and {len(rels)}")
        old = rels[index]
        newest = head(store, post_id, "mre")
        over = None
        if base_version is not None and newest is not None and newest.version != base_version:
            seen = labels_at(store, post_id, "mre", base_version)
            if seen is None or len(seen.relations) != len(rels) or seen.relations[index] != old:
                was = seen.relations[index].label if seen is not None and index < len(seen.relations) else None
                by = _who_changed_pair(store, post_id, index, base_version) or newest
                post = get_post(store, post_id)
                raise PairChangedMeanwhile(
                    f"{by.author} set {post.span_text(old.head)} → {post.span_text(old.tail)} to {old.label} "
                    f"(version {by.version}) while you were choosing"
                    + (f" (it was {was})" if was and was != old.label else "")
                    + "; the pair shows theirs now: pick again to replace it")
            over, base_version = newest, newest.version
        rels[index] = Relation(old.head, old.tail, label)
        saved = save(store, post_id, LabelSet("mre", relations=tuple(rels), source="annotator", author=author),
                     base_version)
    return RelationChange(saved, old, over)


def _who_changed_pair(store: Store, post_id: str, index: int, since: int) -> HistoryEntry | None:
    """The newest version after `since` that changed pair `index` (not the newest save: that
    may be of another pair)."""
    def pair_at(version: int):
        labels = labels_at(store, post_id, "mre", version)
        return labels.relations[index] if labels is not None and index < len(labels.relations) else None

    changer, before = None, pair_at(since)
    for entry in post_history(store, post_id):
        if entry.task == "mre" and entry.version > since:
            now = pair_at(entry.version)
            if now != before:
                changer = entry
            before = now
    return changer
