"""Every input has a limit and a clear answer: each bad input below gets a one-line error
from the CLI (exit 2, no traceback) and leaves the store exactly as it was (a dump of every
table and the image files compared before and after)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from cot_explorer.cli import main
from cot_explorer.errors import ValidationError
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import labels as label_store
from cot_explorer.uploads import add_upload

from .conftest import snapshot


def png(size=(8, 8), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def seeded(home, store):
    """A store with something in it, so 'unchanged' means something."""
    add_upload(store, "Obama visits Paris", png(), "a.png")
    return home


def refused(home: Path, capsys, *argv: str) -> str:
    before = snapshot(home)
    rc = main(["--home", str(home), *argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert snapshot(home) == before, "the store changed"
    return err


def jsonl(tmp_path: Path, *records, raw: str | None = None, name: str = "in.jsonl") -> str:
    path = tmp_path / name
    path.write_text(raw if raw is not None else "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return str(path)


LONG = "word " * 1000  # 5,000 characters


@pytest.mark.parametrize("kind", ["twitter", "mnre", "jsonl"])
def test_a_post_over_the_length_limit_is_refused_in_every_import_path(seeded, tmp_path, capsys, kind):
    path = tmp_path / "long.txt"
    if kind == "twitter":
        path.write_text("IMGID:1\n" + "".join(f"w{i}\tO\n" for i in range(1500)) + "\n", encoding="utf-8")
    elif kind == "mnre":
        tokens = [f"w{i}" for i in range(1500)]
        path.write_text(repr({"token": tokens, "h": {"name": "w0", "pos": [0, 1]}, "t": {"name": "w1", "pos": [1, 2]},
                              "img_id": "1.jpg", "relation": "None"}) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps({"text": LONG, "dataset": "d", "split": "s"}) + "\n", encoding="utf-8")
    err = refused(seeded, capsys, "import", kind, str(path), "--dataset", "d", "--split", "s")
    assert "at most" in err


BAD_NAMES = [
    (("--dataset", "walk/slash", "--split", "s"), "the dataset name 'walk/slash' holds a '/'"),
    (("--dataset", "d", "--split", "a/b"), "the split name 'a/b' holds a '/'"),
    (("--dataset", "w" * 101, "--split", "s"), "the dataset name has 101 characters; at most 100 are accepted"),
    (("--dataset", "   ", "--split", "s"), "the dataset name is empty"),
]


@pytest.mark.parametrize("kind, name, said", [(kind, name, said) for kind in ("twitter", "mnre", "jsonl", "captions")
                                              for name, said in BAD_NAMES
                                              if not (kind == "captions" and "split" in said)])   # captions: no split
def test_a_dataset_or_split_name_the_app_cannot_show_is_refused_before_the_file_is_read(seeded, tmp_path, capsys,
                                                                                         kind, name, said):
    """A dataset "a/b" was imported, then every picker read its split as dataset "a" (Annotate
    went on editing another dataset's post under its name); a long or blank name failed on
    the first post as one "without visible tokens", the reason cut off."""
    path = tmp_path / "ok.txt"
    if kind == "twitter":
        path.write_text("IMGID:1\nObama\tB-PER\n\n", encoding="utf-8")
    elif kind == "mnre":
        path.write_text(repr({"token": ["Obama", "visits", "Paris"], "h": {"name": "Obama", "pos": [0, 1]},
                              "t": {"name": "Paris", "pos": [2, 3]}, "img_id": "1.jpg", "relation": "None"}) + "\n",
                        encoding="utf-8")
    elif kind == "jsonl":
        path.write_text(json.dumps({"text": "Obama visits Paris"}) + "\n", encoding="utf-8")
    else:
        path.write_text("1.jpg :a man\n", encoding="utf-8")
    argv = name if kind != "captions" else name[:2]
    assert said in refused(seeded, capsys, "import", kind, str(path), *argv)


def test_a_jsonl_line_naming_a_dataset_with_a_slash_is_refused(seeded, tmp_path, capsys):
    err = refused(seeded, capsys, "import", "jsonl",
                  jsonl(tmp_path, {"text": "Obama visits Paris", "dataset": "a/b", "split": "s"}))
    assert "the dataset name 'a/b' holds a '/'" in err


@pytest.mark.parametrize("kind", ["twitter", "mnre", "jsonl", "captions", "knowledge"])
@pytest.mark.parametrize("content", ["", "\n  \n\t\n"])
def test_empty_or_blank_files_are_refused_and_no_import_is_recorded(seeded, tmp_path, capsys, kind, content):
    path = tmp_path / "empty.txt"
    path.write_text(content)
    err = refused(seeded, capsys, "import", kind, str(path), "--dataset", "uploads", "--split", "user")
    assert "empty or blank" in err


def test_nul_in_a_file_or_a_post_is_refused(seeded, tmp_path, capsys):
    assert "NUL" in refused(seeded, capsys, "import", "twitter", jsonl(tmp_path, raw="IMGID:1\n\x00\tO\n"),
                            "--dataset", "d", "--split", "s")
    err = refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, {"text": "\\u0000 Obama", "dataset": "d", "split": "s"},
                                                           raw='{"text": "\\u0000Obama", "dataset": "d", "split": "s"}\n'))
    assert "U+0000" in err


def test_lone_surrogates_and_invalid_utf8_are_refused(seeded, tmp_path, capsys):
    err = refused(seeded, capsys, "import", "jsonl",
                  jsonl(tmp_path, raw='{"text": "Obama \\ud800 visits", "dataset": "d", "split": "s"}\n'))
    assert "not valid Unicode" in err
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"IMGID:1\nOb\xffama\tB-PER\n\n")
    assert "UTF-8" in refused(seeded, capsys, "import", "twitter", str(bad), "--dataset", "d", "--split", "s")
    # a name given on the command line as invalid UTF-8 (Python hands it over as a lone surrogate)
    good = tmp_path / "good.txt"
    good.write_text("IMGID:1\nObama\tB-PER\n\n")
    assert "not valid Unicode" in refused(seeded, capsys, "import", "twitter", str(good), "--dataset", "d\udcff",
                                          "--split", "s")


def test_a_post_repeated_within_a_jsonl_file_is_refused(seeded, tmp_path, capsys):
    rec = {"id": "d/s/1", "text": "Obama visits Paris", "dataset": "d", "split": "s"}
    err = refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, rec, {"text": "other", "dataset": "d", "split": "s"}, rec))
    assert "already on line 1" in err


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_refused(seeded, tmp_path, capsys, depth):
    raw = '{"text": "a", "dataset": "d", "split": "s", "x": ' + "[" * depth + "]" * depth + "}\n"
    assert "levels deep" in refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, raw=raw))


@pytest.mark.parametrize("field,value", [("id", ["a", "b"]), ("split", {"x": 1}), ("dataset", ["d"]),
                                         ("labels", {"task": "mner"}), ("image", "not an object")])
def test_a_list_or_dict_where_a_name_is_expected_is_refused(seeded, tmp_path, capsys, field, value):
    rec = {"text": "Obama visits Paris", "dataset": "d", "split": "s", field: value}
    assert "expected a valid post" in refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, rec))


def test_dev_zero_or_a_huge_file_as_an_image_is_refused_without_reading_it(seeded, tmp_path, capsys):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:
        f.truncate(25 * 1024 * 1024)  # sparse: nothing to read, but over the limit by its size
    for image in ("/dev/zero", str(huge)):
        rec = {"text": "Obama visits Paris", "dataset": "d", "split": "s", "image_path": image}
        err = refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, rec))
        assert "not a regular file" in err or "byte limit" in err
    err = refused(seeded, capsys, "add-post", "--text", "Obama", "--image", "/dev/zero")
    assert "not a regular file" in err


def test_span_positions_given_as_booleans_are_refused(seeded, tmp_path, capsys):
    rec = {"text": "Obama visits Paris", "dataset": "d", "split": "s",
           "labels": [{"task": "mner", "spans": [{"start": False, "end": True, "type": "PER"}]}]}
    assert "integers" in refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, rec))


def test_tokens_that_are_only_spaces_are_refused(seeded, tmp_path, capsys):
    rec = {"text": "a   b", "tokens": ["a", " ", "b"], "offsets": [[0, 1], [2, 3], [4, 5]], "dataset": "d", "split": "s"}
    assert "only spaces" in refused(seeded, capsys, "import", "jsonl", jsonl(tmp_path, rec))


def test_uploads_drop_zero_width_tokens(store):
    post = add_upload(store, "Obama \u200b visits \u200d\u200d Paris")
    assert post.tokens == ("Obama", "visits", "Paris")


def test_an_upload_of_too_many_words_is_refused_in_the_words_of_the_text_typed(store):
    """It was refused as "post uploads/user/891f… has 1,500 tokens": an id never stored."""
    from cot_explorer.uploads import add_upload

    with pytest.raises(ValidationError) as e:
        add_upload(store, "x " * 1500)
    assert str(e.value) == "the post has 1,500 words and signs; at most 1,000 are accepted"
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)


def test_an_annotator_name_over_100_characters_is_refused(store, home):
    post = add_upload(store, "Obama visits Paris")
    with pytest.raises(ValidationError, match="at most 100"):
        label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="x" * 101), None)
    assert label_store.history(store, post.id, "mner") == []


def test_a_refused_jsonl_import_leaves_no_image_file_behind(seeded, tmp_path, capsys):
    (tmp_path / "ok.png").write_bytes(png(color=(1, 2, 3)))
    (tmp_path / "fake.png").write_text("not an image at all")
    path = jsonl(tmp_path, {"text": "first post", "dataset": "d", "split": "s", "image_path": "ok.png"},
                 {"text": "second post", "dataset": "d", "split": "s", "image_path": "fake.png"})
    files_before = sorted((seeded / "images").rglob("*"))
    assert "not an image" in refused(seeded, capsys, "import", "jsonl", path)
    assert sorted((seeded / "images").rglob("*")) == files_before


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 2 MB file system of its own: a real 'No space left on device'."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.system(f"mount -t tmpfs -o size=2m tmpfs {mnt} 2>/dev/null") != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield mnt
    finally:
        os.system(f"umount {mnt}")


def test_a_full_disk_gives_a_sentence_and_leaves_no_temporary_file(small_disk, tmp_path, capsys):
    home = small_disk / "home"
    assert main(["--home", str(home), "stats"]) == 0
    capsys.readouterr()
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    records = []
    for i in range(3):  # about 1.5 MB each: the second one does not fit
        noise.rotate(90 * i).save(tmp_path / f"n{i}.png")
        records.append({"text": f"post {i}", "dataset": "d", "split": "s", "image_path": f"n{i}.png"})
    err = refused(home, capsys, "import", "jsonl", jsonl(tmp_path, *records))
    assert "disk is full" in err
    leftovers = [p for p in small_disk.rglob("*") if p.name.startswith(".tmp") or p.suffix == ".png"]
    assert leftovers == []


@pytest.mark.parametrize("kind", ["twitter", "mnre", "jsonl"])
def test_every_bad_line_of_a_file_is_said_at_once(seeded, tmp_path, capsys, kind):
    """A file with three broken lines said the first; fixed, the next: a round trip per line."""
    path = tmp_path / "three.txt"
    if kind == "twitter":
        good = "IMGID:{n}\nObama\tB-PER\nvisits\tO\n"
        posts = [good.format(n=1), "IMGID:2\nObama B-PER\n", good.format(n=3), "IMGID:4\nParis\tB-PLACE\n",
                 good.format(n=5), "IMGID:\nx\tO\n"]
        path.write_text("\n".join(posts) + "\n", encoding="utf-8")
        lines, first = [6, 13, 19], "expected a token line 'token<TAB>tag'"
    elif kind == "mnre":
        ok = repr({"token": ["Obama", "visits", "Paris"], "h": {"name": "Obama", "pos": [0, 1]},
                   "t": {"name": "Paris", "pos": [2, 3]}, "img_id": "1.jpg", "relation": "None"})
        path.write_text("\n".join([ok, "{'token': oops}", ok, ok.replace("'None'", "'/per/nope'"), "[1, 2]", ok])
                        + "\n", encoding="utf-8")
        lines, first = [2, 4, 5], "expected a Python dict literal"
    else:
        ok = json.dumps({"text": "Obama visits Paris", "dataset": "d", "split": "s"})
        path.write_text("\n".join([ok, "{broken", json.dumps({"text": ""}), ok.replace("Paris", "Rome"), "[]"]) + "\n",
                        encoding="utf-8")
        lines, first = [2, 3, 5], "expected a JSON object"
    err = refused(seeded, capsys, "import", kind, str(path), "--dataset", "d", "--split", "s")
    assert f"three.txt:{lines[0]}: {first}" in err
    assert f"also bad: 2 more lines ({lines[1]}, {lines[2]})" in err


def test_every_bad_line_of_one_post_is_said_not_only_its_first(seeded, tmp_path, capsys):
    """A post whose tabs became spaces (an editor's setting) was said by its first line: each
    line fixed took one more run. A bad tag is said once the post's lines have their shape."""
    path = tmp_path / "spaces.txt"
    path.write_text("IMGID:1\nObama\tB-PER\n\nIMGID:2\nObama B-PER\nvisits O\nParis B-LOC\n\n"
                    "IMGID:3\nRome\tB-PLACE\nis\tO\nnice\tO\n\nnot a header\nParis\tB-LOC\n",
                    encoding="utf-8")
    err = refused(seeded, capsys, "import", "twitter", str(path), "--dataset", "d", "--split", "s")
    assert "spaces.txt:5: expected a token line 'token<TAB>tag'" in err
    assert "also bad: 4 more lines (6, 7, 10, 14)" in err


@pytest.mark.parametrize("bad, said", [(100, "also bad: 99 more lines (2, 3, 4, 5, 6, 7, 8, 9, 10, 11…)"),
                                       (101, "also bad: more than 99 more lines (2, 3, 4, 5, 6, 7, 8, 9, 10, 11…)"),
                                       (5000, "also bad: more than 99 more lines (2, 3, 4, 5, 6, 7, 8, 9, 10, 11…)")])
def test_a_file_of_another_format_stops_at_a_hundred_defects(seeded, tmp_path, capsys, bad, said):
    path = tmp_path / "wrong.jsonl"
    path.write_text("not json\n" * bad, encoding="utf-8")
    err = refused(seeded, capsys, "import", "jsonl", str(path), "--dataset", "d", "--split", "s")
    assert said in err
