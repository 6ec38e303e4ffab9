import sqlite3
import threading
from pathlib import Path

import pytest

from cot_explorer.errors import ConflictError, ValidationError
from cot_explorer.importer import import_twitter
from cot_explorer.schema import LabelSet, Relation, Span
from cot_explorer.store import open_store
from cot_explorer.store.labels import corrected_post_ids, current, history, post_history, progress, redo, save, undo

POSTS = "IMGID:1\nObama\tB-PER\nvisits\tO\nParis\tB-LOC\ntoday\tO\n\nIMGID:2\nhello\tO\n\n"
POST = "tw/train/1"


@pytest.fixture
def seeded(store, tmp_path: Path):
    path = tmp_path / "p.txt"
    path.write_text(POSTS)
    import_twitter(store, str(path), "tw", "train")
    return store


def mner(*spans, author="ann"):
    return LabelSet("mner", spans=tuple(Span(*s) for s in spans), source="annotator", author=author)


def test_save_appends_a_version_that_records_what_it_replaced(seeded):
    gold = current(seeded, POST, "mner")
    assert gold.source == "gold" and gold.spans == (Span(0, 1, "PER"), Span(2, 3, "LOC"))
    saved = save(seeded, POST, mner((0, 1, "PER"), (2, 3, "ORG"), author="alice"), gold.version)
    assert saved.replaces == gold.version and saved.author == "alice" and saved.created_at
    now = current(seeded, POST, "mner")
    assert now.version == saved.version and now.spans[1].type == "ORG" and now.source == "annotator"
    assert [v.version for v in history(seeded, POST, "mner")] == [gold.version, saved.version]


def test_stale_save_is_a_conflict_and_changes_nothing(seeded, home):
    gold = current(seeded, POST, "mner")
    with open_store(home) as other:
        save(other, POST, mner((0, 1, "PER"), author="bob"), gold.version)
    with pytest.raises(ConflictError, match="based on version"):
        save(seeded, POST, mner((2, 3, "LOC"), author="alice"), gold.version)
    assert [v.author for v in history(seeded, POST, "mner")] == ["import", "bob"]


def test_undo_restores_the_previous_version_as_a_new_one(seeded):
    gold = current(seeded, POST, "mner")
    edited = save(seeded, POST, mner((0, 2, "PER")), gold.version)
    restored = undo(seeded, POST, "mner", edited.version, author="alice")
    # the imported labels again, by alice's undo: the post is no longer counted as corrected
    assert restored.spans == gold.spans and restored.source == "gold" and restored.author == "alice"
    assert progress(seeded, "tw", "train").corrected == 0 and corrected_post_ids(seeded, "tw") == []
    assert restored.replaces == edited.version
    entry = post_history(seeded, POST)[-1]
    assert entry.action == "undo" and entry.what == f"undo (labels of v{gold.version})"
    with pytest.raises(ConflictError):
        undo(seeded, POST, "mner", edited.version, author="alice")


def test_undo_and_redo_walk_the_history_one_version_per_press(seeded):
    gold = current(seeded, POST, "mner")
    v1 = save(seeded, POST, mner((0, 1, "ORG")), gold.version)
    v2 = save(seeded, POST, mner((0, 1, "LOC")), v1.version)
    v3 = save(seeded, POST, mner((2, 3, "PER")), v2.version)
    types = []
    at = v3.version
    for step in (undo, undo, undo, redo, redo, redo):
        now = step(seeded, POST, "mner", at, author="bo")
        at = now.version
        types.append([s.type for s in now.spans])
    assert types == [["LOC"], ["ORG"], ["PER", "LOC"], ["ORG"], ["LOC"], ["PER"]]  # back 3, forth 3
    with pytest.raises(ValidationError, match="nothing to redo"):
        redo(seeded, POST, "mner", at, author="bo")
    with pytest.raises(ValidationError, match="no earlier version"):
        for _ in range(5):
            at = undo(seeded, POST, "mner", at, author="bo").version
    assert [e.action for e in post_history(seeded, POST)][:4] == ["save"] * 4


@pytest.mark.parametrize("labels, message", [
    (mner((2, 9, "PER")), "out of range"),
    (mner((0, 1, "PERSON")), "not in the schema"),
    (mner((0, 2, "PER"), (1, 3, "LOC")), "overlaps"),
    (LabelSet("mre", relations=(Relation(Span(0, 1, None), Span(2, 3, None), "/per/per/friend"),),
              source="annotator"), "MNRE relations"),
])
def test_invalid_labels_are_refused(seeded, labels, message):
    base = current(seeded, POST, labels.task)
    with pytest.raises(ValidationError, match=message):
        save(seeded, POST, labels, base.version if base else None)
    assert len(history(seeded, POST, "mner")) == 1


def test_the_database_itself_refuses_a_second_successor(seeded):
    gold = current(seeded, POST, "mner")
    save(seeded, POST, mner((0, 1, "PER")), gold.version)
    with pytest.raises(sqlite3.IntegrityError):
        seeded.conn.execute(
            "INSERT INTO labels (post_id, task, source, author, payload, created_at, replaces) "
            "VALUES (?, 'mner', 'annotator', 'x', '{}', 'now', ?)", (POST, gold.version))


def test_eight_threads_saving_at_once_lose_nothing(seeded, home):
    threads, attempts = 8, 25
    accepted: list[tuple[int, str]] = []
    refused: list[ConflictError] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def annotate(worker: int) -> None:
        try:
            with open_store(home) as s:
                barrier.wait()
                for i in range(attempts):
                    base = current(s, POST, "mner").version
                    tag = f"w{worker}-{i}"
                    try:
                        saved = save(s, POST, mner((0, 1 + i % 4, "PER"), author=tag), base)
                    except ConflictError as e:
                        with lock:
                            refused.append(e)
                    else:
                        with lock:
                            accepted.append((saved.version, tag))
        except BaseException as e:  # any other error (e.g. 'database is locked') fails the test
            errors.append(e)

    workers = [threading.Thread(target=annotate, args=(w,)) for w in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    assert len(accepted) + len(refused) == threads * attempts
    assert accepted and refused  # there was real contention
    with open_store(home) as s:
        hist = history(s, POST, "mner")
    assert len(hist) == 1 + len(accepted)
    by_version = {v.version: v for v in hist}
    for version, tag in accepted:  # every accepted save is in the history, as saved
        assert by_version[version].author == tag
    for prev, nxt in zip(hist, hist[1:]):  # one linear chain, nothing overwritten
        assert nxt.replaces == prev.version
    assert hist[-1].version == max(v for v, _ in accepted)
    for e in refused:
        assert e.current_version != e.base_version


def test_an_annotator_correction_taken_back_by_undo_is_not_exported_as_the_newest(seeded):
    from cot_explorer.store.labels import newest_of_source

    gold = current(seeded, POST, "mner")
    edited = save(seeded, POST, mner((0, 2, "PER")), gold.version)
    assert newest_of_source(seeded, "tw", "train", "mner", "annotator")[POST].version == edited.version
    undo(seeded, POST, "mner", edited.version, author="ann")
    assert POST not in newest_of_source(seeded, "tw", "train", "mner", "annotator")
    redone = redo(seeded, POST, "mner", current(seeded, POST, "mner").version, author="ann")
    assert newest_of_source(seeded, "tw", "train", "mner", "annotator")[POST].spans == redone.spans


def test_imported_labels_of_any_source_are_where_undo_stops(store, tmp_path):
    from cot_explorer.store.labels import add_initial, undo_newest

    path = tmp_path / "p.txt"
    path.write_text("IMGID:9\nhello\tO\n\n")
    import_twitter(store, str(path), "tw", "train")
    store.conn.execute("DELETE FROM labels WHERE post_id = 'tw/train/9'")  # the post, with labels from elsewhere
    add_initial(store, [("tw/train/9", LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="eve"))])
    with pytest.raises(ValidationError, match="nothing to undo"):
        undo_newest(store, "tw/train/9", "ann")
    assert current(store, "tw/train/9", "mner").spans == (Span(0, 1, "PER"),)
