import sqlite3

import pytest

from cot_explorer.errors import CotExplorerError
from cot_explorer.store import open_store
from cot_explorer.store.migrations import LATEST


def test_store_is_wal_with_foreign_keys_and_a_schema_version(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.schema_version == LATEST
    assert {"posts", "images", "labels", "teacher_outputs", "predictions", "model_versions", "jobs"} <= set(store.db.table_names())


def test_reopening_does_not_migrate_twice(home):
    with open_store(home) as s:
        s.conn.execute("INSERT INTO datasets VALUES ('d', '[\"PER\"]', 'now')")
        s.conn.commit()
    with open_store(home) as s:
        assert s.conn.execute("SELECT count(*) FROM datasets").fetchone()[0] == 1


def test_a_newer_schema_is_refused(home):
    open_store(home).close()
    conn = sqlite3.connect(home / "cot_explorer.db")
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(CotExplorerError, match="newer than this"):
        open_store(home)


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        with store.write():
            store.conn.execute("INSERT INTO labels (post_id, task, source, author, payload, created_at) "
                               "VALUES ('nope', 'mner', 'gold', 'x', '{}', 'now')")


def test_migration_8_gives_old_undos_the_source_of_the_labels_they_restore(home, tmp_path):
    """A store from before migration 8: an undo back to the imported labels said `annotator`
    and counted the post as corrected; migrated, it is `gold` and the post is not corrected."""
    from cot_explorer.importer import import_twitter
    from cot_explorer.schema import LabelSet, Span
    from cot_explorer.store.labels import current, progress, save, undo

    path = tmp_path / "p.txt"
    path.write_text("IMGID:1\nObama\tB-PER\nvisits\tO\n\n")
    with open_store(home) as s:
        import_twitter(s, str(path), "tw", "train")
        gold = current(s, "tw/train/1", "mner")
        edited = save(s, "tw/train/1", LabelSet("mner", (Span(0, 2, "PER"),), source="annotator", author="a"),
                      gold.version)
        back = undo(s, "tw/train/1", "mner", edited.version, "a")
        s.conn.execute("UPDATE labels SET source = 'annotator' WHERE version = ?", (back.version,))  # as saved before
        s.conn.execute("ALTER TABLE labels DROP COLUMN imported")  # as it was before migration 8
        s.conn.execute("PRAGMA user_version = 7")
        s.conn.commit()
        # counted as corrected before the migration (progress() itself reads the migrated schema)
        assert s.conn.execute("SELECT count(*) FROM current_labels WHERE source != 'gold'").fetchone()[0] == 1
    with open_store(home) as s:
        assert s.schema_version == LATEST and current(s, "tw/train/1", "mner").source == "gold"
        assert progress(s, "tw", "train").corrected == 0
        imported = s.conn.execute("SELECT version FROM labels WHERE imported = 1").fetchall()
        assert imported == [(gold.version,)]   # the import is where undo stops, not the annotator's save
