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
    with pytest.raises(CotExplorerError, match="newer than this .*: a newer version opened it. Restart this app"):
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
        s.conn.execute("DROP TABLE promotions")   # and before migration 11
        s.conn.execute("DROP TABLE blind_periods")   # nor migrations 12 and 13
        s.conn.execute("PRAGMA user_version = 7")
        s.conn.commit()
        # counted as corrected before the migration (progress() itself reads the migrated schema)
        assert s.conn.execute("SELECT count(*) FROM current_labels WHERE source != 'gold'").fetchone()[0] == 1
    with open_store(home) as s:
        assert s.schema_version == LATEST and current(s, "tw/train/1", "mner").source == "gold"
        assert progress(s, "tw", "train").corrected == 0
        imported = s.conn.execute("SELECT version FROM labels WHERE imported = 1").fetchall()
        assert imported == [(gold.version,)]   # the import is where undo stops, not the annotator's save


def test_migration_10_keeps_every_answer_and_lets_a_twin_post_keep_its_own(home, tmp_path):
    """Before migration 10 a teacher answer's cache key was unique in the store: the answer
    about a second post of the same words (one file imported as two splits) was dropped."""
    from cot_explorer.importer import import_twitter
    from cot_explorer.schema import TeacherOutput
    from cot_explorer.store.knowledge import knowledge_for
    from cot_explorer.store.posts import get_post
    from cot_explorer.store.teacher_outputs import add_outputs, share_cached

    path = tmp_path / "p.txt"
    path.write_text("IMGID:1\nObama\tB-PER\nvisits\tO\nParis\tB-LOC\n\n")
    answer = TeacherOutput(post_id="tw/valid/1", teacher="anthropic", model="m", template_version="v1", slot="cot",
                           text="Obama is a person.", raw="{}", cost_usd=0.01, input_tokens=10, output_tokens=5)
    with open_store(home) as s:
        import_twitter(s, str(path), "tw", "valid")
        import_twitter(s, str(path), "tw", "test")
        add_outputs(s, [(get_post(s, "tw/valid/1"), answer)])
        columns = ", ".join(r[1] for r in s.conn.execute("PRAGMA table_info(teacher_outputs)"))
        # the table as it was before migration 10: the cache key unique on its own
        s.conn.execute(f"CREATE TABLE old AS SELECT {columns} FROM teacher_outputs")
        s.conn.execute("DROP TABLE teacher_outputs")
        s.conn.execute("""CREATE TABLE teacher_outputs (id INTEGER PRIMARY KEY, cache_key TEXT NOT NULL UNIQUE,
            post_id TEXT NOT NULL REFERENCES posts(id), teacher TEXT NOT NULL, model TEXT NOT NULL,
            template_version TEXT NOT NULL, grain TEXT NOT NULL, status TEXT NOT NULL, text TEXT NOT NULL,
            entities TEXT NOT NULL, raw TEXT NOT NULL, error TEXT, input_tokens INTEGER, output_tokens INTEGER,
            latency_s REAL, cost_usd REAL, created_at TEXT NOT NULL, grains TEXT NOT NULL DEFAULT '[]',
            relation TEXT, kind TEXT NOT NULL DEFAULT 'cot', pair TEXT)""")
        s.conn.execute(f"INSERT INTO teacher_outputs ({columns}) SELECT {columns} FROM old")
        s.conn.execute("DROP TABLE old")
        s.conn.execute("DROP TABLE promotions")   # as it was before migration 11
        s.conn.execute("DROP TABLE blind_periods")   # nor migrations 12 and 13
        s.conn.execute("PRAGMA user_version = 9")
        s.conn.commit()
        with pytest.raises(sqlite3.IntegrityError):   # what dropped the twin's answer
            s.conn.execute("INSERT INTO teacher_outputs (cache_key, post_id, teacher, model, template_version, grain, "
                           "status, text, entities, raw, created_at) SELECT cache_key, 'tw/test/1', teacher, model, "
                           "template_version, grain, status, text, entities, raw, created_at FROM teacher_outputs")
        s.conn.rollback()
    with open_store(home) as s:
        assert s.schema_version == LATEST
        kept = s.conn.execute("SELECT id, post_id, cost_usd FROM teacher_outputs").fetchall()
        assert [(p, c) for _, p, c in kept] == [("tw/valid/1", 0.01)]
        assert knowledge_for(s, "tw/test/1") is None
        twin = get_post(s, "tw/test/1")
        assert share_cached(s, twin, answer) and not share_cached(s, twin, answer)   # once
        assert knowledge_for(s, "tw/test/1") is not None
        assert s.conn.execute("SELECT cost_usd, input_tokens FROM teacher_outputs WHERE post_id = 'tw/test/1'"
                              ).fetchall() == [(0.0, 0)]
        indexes = {r[1] for r in s.conn.execute("PRAGMA index_list(teacher_outputs)")}
        assert {"teacher_outputs_by_post", "teacher_outputs_knowledge", "teacher_outputs_by_key"} <= indexes


def test_migration_11_keeps_the_promotions_that_stand_as_the_start_of_the_history(home):
    """Before migration 11 a promotion was a column of its version: a roll-back cleared it,
    and nothing told that the version had been the default. The promotions standing when the
    store is migrated begin the history, with who and why."""
    from cot_explorer.store.model_versions import promotion_history, set_promoted, upsert_version

    with open_store(home) as s:
        for name, made in (("a", "2026-01-01T00:00:00+00:00"), ("b", "2026-01-02T00:00:00+00:00")):
            upsert_version(s, name=name, task="mner", variant="text", path=f"/m/{name}", backbone="x", parent=None,
                           manifest={}, created_at=made)
        set_promoted(s, "a", by="ann", reason="better on valid")
        s.conn.execute("DROP TABLE promotions")   # as it was before migration 11
        s.conn.execute("DROP TABLE blind_periods")   # nor migrations 12 and 13
        s.conn.execute("PRAGMA user_version = 10")
        s.conn.commit()
    with open_store(home) as s:
        assert s.schema_version == LATEST
        [event] = promotion_history(s)
        assert (event.task, event.action, event.version, event.by, event.reason) == (
            "mner", "promote", "a", "ann", "better on valid")
        assert event.what() == "promoted a"   # what it replaced was never recorded


def test_migration_12_adds_blind_splits_to_a_store_without_them(home):
    """A store from before migration 12 opens with no split blind, and one can be made blind."""
    from cot_explorer.store import blind

    with open_store(home) as s:
        s.conn.execute("INSERT INTO datasets VALUES ('d', '[\"PER\"]', 'now')")
        s.conn.execute("DROP TABLE blind_periods")
        s.conn.execute("PRAGMA user_version = 11")
        s.conn.commit()
    with open_store(home) as s:
        assert s.schema_version == LATEST and blind.blind_splits(s) == set()
        assert not blind.is_blind(s, "d", "train")


def test_migration_13_keeps_a_split_blind_and_then_keeps_each_time_it_was(home):
    """A split blind before migration 13 stays blind, from when it was made so; opened again and
    made blind once more, both times are kept (only the latest was: the labels made apart the
    first time were no longer counted as made apart)."""
    from cot_explorer.store import blind

    with open_store(home) as s:
        s.conn.execute("INSERT INTO datasets VALUES ('d', '[\"PER\"]', 'now')")
        s.conn.execute("INSERT INTO posts (id, dataset, split, position, text, tokens, offsets, source, created_at) "
                       "VALUES ('d/train/1', 'd', 'train', 0, 'Ann', '[\"Ann\"]', '[[0, 3]]', 'f', 'now')")
        s.conn.execute("DROP TABLE blind_periods")
        s.conn.execute("CREATE TABLE blind_splits (dataset TEXT NOT NULL, split TEXT NOT NULL, set_by TEXT, "
                       "set_at TEXT NOT NULL, PRIMARY KEY (dataset, split))")
        s.conn.execute("INSERT INTO blind_splits VALUES ('d', 'train', 'lead', '2026-01-01T00:00:00+00:00')")
        s.conn.execute("PRAGMA user_version = 12")
        s.conn.commit()
    with open_store(home) as s:
        assert s.schema_version == LATEST and blind.is_blind(s, "d", "train")
        assert blind.blind_periods(s) == {("d", "train"): [blind.BlindPeriod("2026-01-01T00:00:00+00:00", None)]}
        assert blind.set_blind(s, "d", "train", False, "lead") and not blind.is_blind(s, "d", "train")
        assert blind.set_blind(s, "d", "train", True, "lead") and blind.blind_splits(s) == {("d", "train")}
        first, second = blind.blind_periods(s)[("d", "train")]
        assert first.end is not None and first.end <= second.start and second.end is None
        assert blind.made_apart([first, second], "2026-01-02T00:00:00+00:00")
        assert not blind.made_apart([first, second], first.end)   # opened: seen by all from then
