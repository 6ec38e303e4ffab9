"""`cot-explorer remove`: a split or dataset imported by mistake goes, with everything about its
posts, after saying what goes; people's work goes only when asked for, written out first."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from cot_explorer.cli import main
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import labels as label_store
from cot_explorer.store import open_store
from cot_explorer.store.heldout import fix_heldout, heldout_ids
from cot_explorer.store.posts import list_posts

from .conftest import snapshot
from .test_input_limits import jsonl, png, refused


def _import(home: Path, tmp_path: Path, dataset: str, split: str, words: list[str], image: str | None = None) -> None:
    records = [{"text": f"{w} visits Paris", "dataset": dataset, "split": split,
                "labels": [{"task": "mner", "spans": [{"start": 0, "end": 1, "type": "PER"}]}],
                **({"image_path": image} if image else {})} for w in words]
    assert main(["--home", str(home), "import", "jsonl", jsonl(tmp_path, *records, name=f"{dataset}-{split}.jsonl")]) == 0


def _run(home: Path, capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["--home", str(home), "remove", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _count(home: Path, sql: str, *args) -> int:
    with open_store(home) as store:
        return store.conn.execute(sql, args).fetchone()[0]


def test_a_split_goes_after_saying_what_goes_and_people_s_work_only_when_asked(home, tmp_path, capsys):
    (tmp_path / "pic.png").write_bytes(png(color=(200, 10, 10)))
    _import(home, tmp_path, "mistake", "train", ["Obama", "Merkel", "Macron"], image="pic.png")
    _import(home, tmp_path, "mistake", "test", ["Trudeau"])
    with open_store(home) as store:
        post = list_posts(store, "mistake", "train")[1]
        base = label_store.current(store, post.id, "mner")
        label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "ORG"),), source="annotator", author="ann"),
                         base.version)
        fix_heldout(store, "mistake", [post.id], chosen_by="test")
    capsys.readouterr()

    before = snapshot(home)
    rc, out, _ = _run(home, capsys, "--dataset", "mistake", "--split", "train")
    assert rc == 0
    assert ("Would remove mistake/train: 3 posts, 4 label versions (1 saved by ann), 0 teacher answers, "
            "0 cached predictions, 1 held-out post (rounds on this dataset are scored on them) and 1 image no other "
            "post shows") in out
    assert "Nothing was removed" in out and "--drop-work" in out
    assert snapshot(home) == before

    err = refused(home, capsys, "remove", "--dataset", "mistake", "--split", "train", "--yes")
    assert "not removed: mistake/train" in err and "add --drop-work" in err
    assert not (home / "removed").exists()

    rc, out, _ = _run(home, capsys, "--dataset", "mistake", "--split", "train", "--yes", "--drop-work")
    assert rc == 0 and out.startswith("Removed mistake/train: 3 posts")
    assert _count(home, "SELECT count(*) FROM posts WHERE dataset = 'mistake' AND split = 'train'") == 0
    assert _count(home, "SELECT count(*) FROM labels WHERE post_id LIKE 'mistake/train/%'") == 0
    with open_store(home) as store:
        assert heldout_ids(store, "mistake") == []
        assert [p.text for p in list_posts(store, "mistake", "test")] == ["Trudeau visits Paris"]   # the other split stays
    assert _count(home, "SELECT count(*) FROM imports WHERE dataset = 'mistake' AND split = 'train'") == 0

    # the posts with their current labels (the correction) and their image were written out, and read back in
    folder, = (home / "removed").iterdir()
    backup = folder / "posts.jsonl"
    assert folder.name.startswith("mistake_train-") and f"import jsonl {backup}" in out
    assert _count(home, "SELECT count(*) FROM images") == 0   # no other post showed it
    assert len(list((folder / "images").iterdir())) == 1
    records = [json.loads(line) for line in backup.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == ["Obama visits Paris", "Merkel visits Paris", "Macron visits Paris"]
    assert records[1]["labels"][0]["spans"] == [{"start": 0, "end": 1, "type": "ORG"}]
    assert main(["--home", str(home), "import", "jsonl", str(backup)]) == 0
    with open_store(home) as store:
        back = list_posts(store, "mistake", "train")
        assert [p.text for p in back] == [r["text"] for r in records]
        assert label_store.current(store, back[1].id, "mner").spans == (Span(0, 1, "ORG"),)
        assert all(p.image_sha256 for p in back)   # the picture too (it was named by a digest gone with it)
    assert _count(home, "SELECT count(*) FROM images") == 1


def test_a_whole_dataset_named_with_a_slash_goes_with_its_images_where_no_other_post_shows_them(home, tmp_path,
                                                                                                   capsys):
    (tmp_path / "shared.png").write_bytes(png(color=(10, 200, 10)))
    (tmp_path / "own.png").write_bytes(png(color=(10, 10, 200)))
    _import(home, tmp_path, "kept", "s", ["Obama"], image="shared.png")
    _import(home, tmp_path, "bad", "s", ["Merkel"], image="shared.png")
    _import(home, tmp_path, "bad", "t", ["Macron"], image="own.png")
    # a name imported before names with "/" were refused (the store's own connection checks keys)
    with contextlib.closing(sqlite3.connect(home / "cot_explorer.db")) as conn, conn:
        conn.execute("UPDATE labels SET post_id = 'old/' || post_id WHERE post_id LIKE 'bad/%'")
        conn.execute("UPDATE posts SET id = 'old/' || id, dataset = 'old/bad' WHERE dataset = 'bad'")
        conn.execute("UPDATE datasets SET name = 'old/bad' WHERE name = 'bad'")
        conn.execute("UPDATE imports SET dataset = 'old/bad' WHERE dataset = 'bad'")
    capsys.readouterr()
    images = home / "images"
    assert len([p for p in images.rglob("*") if p.is_file()]) == 2

    rc, out, _ = _run(home, capsys, "--dataset", "old/bad", "--yes")
    assert rc == 0, out
    assert out.startswith("Removed old/bad (all of it: splits s and t): 2 posts, 2 label versions, 0 teacher answers, 0 cached predictions and "
                          "1 image no other post shows")
    assert _count(home, "SELECT count(*) FROM datasets WHERE name = 'old/bad'") == 0
    assert _count(home, "SELECT count(*) FROM imports WHERE dataset = 'old/bad'") == 0
    assert _count(home, "SELECT count(*) FROM images") == 1
    assert len([p for p in images.rglob("*") if p.is_file()]) == 1   # the shared picture stays, for "kept"
    with open_store(home) as store:
        assert [p.text for p in list_posts(store, "kept", "s")] == ["Obama visits Paris"]
    folder, = (home / "removed").iterdir()
    assert folder.name.startswith("old_bad-") and len(list((folder / "images").iterdir())) == 2


def test_the_recorded_teacher_s_failed_lookups_are_not_work_to_keep(home, tmp_path, capsys):
    """The recorded teacher asked about posts it has nothing for stored errors, said "a run again
    asks only for the rest" (it cannot help), and those errors then counted as teacher answers
    that only --drop-work could remove; a misspelt grain was asked for as it was."""
    _import(home, tmp_path, "mine", "s", ["Obama", "Merkel"])
    capsys.readouterr()
    assert main(["--home", str(home), "teach", "--dataset", "mine", "--split", "s", "--teacher", "recorded"]) == 1
    err = capsys.readouterr().err
    assert "the recorded teacher has nothing more for these posts, so a run again will not change that" in err
    assert "a run again asks only for the rest" not in err
    assert "--grains: 'nouns' is not one of noun, sentence, multimodal" in refused(
        home, capsys, "teach", "--dataset", "mine", "--split", "s", "--teacher", "recorded", "--grains", "noun,nouns")
    rc, out, _ = _run(home, capsys, "--dataset", "mine", "--yes")
    assert rc == 0 and "0 teacher answers (2 failed requests besides)" in out
    assert _count(home, "SELECT count(*) FROM teacher_outputs") == 0


def test_what_is_not_there_or_is_in_use_is_refused_with_a_sentence(home, tmp_path, capsys):
    _import(home, tmp_path, "d", "s", ["Obama"])
    assert "no dataset 'nope' in the store (it has: d)" in refused(home, capsys, "remove", "--dataset", "nope", "--yes")
    assert "d has no split 'train' (it has: s)" in refused(home, capsys, "remove", "--dataset", "d", "--split", "train",
                                                          "--yes")
    with open_store(home) as store, store.write():   # a dataset whose posts all went (the uploads, each deleted)
        store.conn.execute("INSERT INTO datasets (name, entity_types, created_at) VALUES ('emptied', '[]', '2026')")
    rc, out, _ = _run(home, capsys, "--dataset", "emptied", "--yes")
    assert rc == 0 and out.startswith("Removed emptied (no posts left): 0 posts")
    assert _count(home, "SELECT count(*) FROM datasets WHERE name = 'emptied'") == 0
    with open_store(home) as store, store.write():
        store.conn.execute("INSERT INTO jobs (kind, status, params, created_at, updated_at) "
                           "VALUES ('distill', 'running', ?, '2026-01-01', '2026-01-01')", (json.dumps({"dataset": "d"}),))
    assert "a round on d is queued or running" in refused(home, capsys, "remove", "--dataset", "d", "--yes")
    assert not (home / "removed").exists()


def test_saves_do_not_wait_on_the_backup_and_one_saved_meanwhile_is_in_it(home, tmp_path, capsys, monkeypatch):
    """The backup (every image of a large dataset) was written inside the removal's write
    transaction, so an annotator's save in the app waited on it, and failed as "busy" past
    the retry time. It is now written first; a save made meanwhile is still in the backup."""
    import cot_explorer.cli as cli_module

    _import(home, tmp_path, "mistake", "s", ["Obama", "Merkel"])
    capsys.readouterr()
    real = cli_module.write_removal_backup
    saved = []

    def an_annotator_saves_meanwhile(store, folder, dataset, split):
        if not saved:   # another connection, as the app's: its save must not wait on the removal
            with open_store(home) as app_store:
                post = list_posts(app_store, "mistake", "s")[0]
                base = label_store.current(app_store, post.id, "mner")
                saved.append(label_store.save(app_store, post.id, LabelSet(
                    "mner", (Span(0, 1, "LOC"),), source="annotator", author="ann"), base.version))
        return real(store, folder, dataset, split)

    monkeypatch.setattr(cli_module, "write_removal_backup", an_annotator_saves_meanwhile)
    rc, out, _ = _run(home, capsys, "--dataset", "mistake", "--yes", "--drop-work")
    assert rc == 0 and saved and out.startswith("Removed mistake/s (all of mistake): 2 posts, 3 label versions (1 saved by ann)")
    folder, = (home / "removed").iterdir()
    records = [json.loads(line) for line in (folder / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records[0]["labels"][0]["spans"] == [{"start": 0, "end": 1, "type": "LOC"}]   # the save made meanwhile
    assert _count(home, "SELECT count(*) FROM posts WHERE dataset = 'mistake'") == 0
