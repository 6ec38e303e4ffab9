"""The store under load: opening takes no write lock, imports hold the lock only for their
writes (not while they check and decode images), a lock that stays taken is a sentence, and
an acknowledged save is synced to disk."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from PIL import Image

from cot_explorer.importer import import_jsonl
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import core, open_store
from cot_explorer.store import images as image_store
from cot_explorer.store import labels as label_store
from cot_explorer.uploads import add_upload


@pytest.fixture
def short_lock_wait(monkeypatch):
    monkeypatch.setattr(core, "BUSY_TIMEOUT_MS", 200)


def writer_holding_the_lock(home):
    conn = sqlite3.connect(home / core.DB_FILE, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_opening_an_up_to_date_store_takes_no_write_lock(home, short_lock_wait):
    with open_store(home) as s:
        add_upload(s, "Obama visits Paris")
    other = writer_holding_the_lock(home)
    try:
        with open_store(home) as s:  # would wait for the lock, then fail, if opening wrote
            assert s.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    finally:
        other.execute("ROLLBACK")


def test_a_lock_that_stays_taken_is_a_sentence(home, short_lock_wait):
    with open_store(home) as s:
        post = add_upload(s, "Obama visits Paris")
    other = writer_holding_the_lock(home)
    try:
        with open_store(home) as s, pytest.raises(core.StoreBusy, match="try again in a moment"):
            label_store.save(s, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="a"), None)
    finally:
        other.execute("ROLLBACK")
    with open_store(home) as s:  # and it is retried: once the lock is free the save goes through
        saved = label_store.save(s, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="a"), None)
        assert saved.version is not None


def test_saves_are_synced_to_disk_on_every_commit(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: survives a power loss


def test_an_import_checks_and_decodes_its_images_before_taking_the_write_lock(home, tmp_path, monkeypatch):
    lines = []
    for i in range(3):
        buf = io.BytesIO()
        Image.new("RGB", (64, 64), (i, 2 * i, 3 * i)).save(buf, "PNG")
        (tmp_path / f"{i}.png").write_bytes(buf.getvalue())
        lines.append(json.dumps({"text": f"post {i}", "dataset": "d", "split": "s", "image_path": f"{i}.png"}))
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    free_while_decoding = []
    real = image_store.inspect_image

    def spy(data, name="upload"):
        probe = sqlite3.connect(home / core.DB_FILE, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # another writer (a save) gets the lock right now
            probe.execute("ROLLBACK")
            free_while_decoding.append(True)
        except sqlite3.OperationalError:
            free_while_decoding.append(False)
        finally:
            probe.close()
        return real(data, name)

    monkeypatch.setattr(image_store, "inspect_image", spy)
    with open_store(home) as s:
        report = import_jsonl(s, str(tmp_path / "in.jsonl"))
    assert report.images == 3 and free_while_decoding == [True, True, True]
