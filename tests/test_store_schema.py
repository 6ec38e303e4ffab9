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
