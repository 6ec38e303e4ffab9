import io
import json
from pathlib import Path

import pytest

from cot_explorer.errors import ImportRefused, ParseError, ValidationError
from cot_explorer.exporter import export_jsonl
from cot_explorer.importer import import_captions, import_jsonl, import_mnre, import_twitter
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import open_store
from cot_explorer.store.labels import current, save
from cot_explorer.store.posts import get_post

from .conftest import snapshot
from .test_images import png_bytes


def _export(store, dataset) -> str:
    out = io.StringIO()
    export_jsonl(store, out, dataset)
    return out.getvalue()


@pytest.mark.parametrize("dataset", ["twitter2017", "mnre"])
def test_jsonl_export_import_export_is_identical(store, data, tmp_path: Path, dataset):
    if dataset == "twitter2017":
        import_twitter(store, str(data / "twitter2017/test.txt"), dataset, "test")
        import_twitter(store, str(data / "twitter2017/valid.txt"), dataset, "valid")
        import_captions(store, str(data / "captions/blip2-twitter2017.txt"), dataset)
        post_id = "twitter2017/test/" + (data / "twitter2017/test.txt").read_text().split("\n")[0][6:]
        base = current(store, post_id, "mner")
        save(store, post_id, LabelSet("mner", spans=(Span(0, 1, "MISC"),), source="annotator", author="ann"), base.version)
    else:
        import_mnre(store, str(data / "mnre/test.txt"), dataset, "test")
    first = _export(store, dataset)
    path = tmp_path / "export.jsonl"
    path.write_text(first, encoding="utf-8")
    with open_store(tmp_path / "other") as other:
        report = import_jsonl(other, str(path))
        assert report.posts == len(first.splitlines())
        second = _export(other, dataset)
    assert second == first
    if dataset == "twitter2017":
        line = next(json.loads(ln) for ln in first.splitlines() if json.loads(ln)["id"] == post_id)
        assert line["labels"][0]["source"] == "annotator" and line["caption"]
    # back into the store it came from: refused, saying why and what comes back where (a walker
    # was told "holds posts of other datasets than demo2" and no more)
    with pytest.raises(ImportRefused, match=r"posts already in the store .*nothing imported \(a post is known by "
                                              r"its id: an export comes back into a store without its posts"):
        import_jsonl(store, str(path))
    with pytest.raises(ImportRefused, match=rf"other datasets than --dataset copy \(its lines name {dataset}; a "
                                              r"line's own dataset and id stand"):
        import_jsonl(store, str(path), "copy")


def test_minimal_user_lines_are_tokenized_with_images(store, tmp_path: Path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "dog.png").write_bytes(png_bytes())
    path = tmp_path / "mine.jsonl"
    path.write_text(
        json.dumps({"text": "My dog \U0001F436 loves #Central Park", "image_path": "pics/dog.png",
                    "labels": [{"task": "mner", "spans": [{"start": 4, "end": 6, "type": "LOC"}]}]}) + "\n"
        + json.dumps({"text": "@nasa launches today"}) + "\n", encoding="utf-8")
    report = import_jsonl(store, str(path), "mine", "train")
    assert report.posts == 2 and report.images == 1
    rows = list(store.db.query("SELECT id FROM posts ORDER BY position"))
    post = get_post(store, rows[0]["id"])
    assert post.tokens[2] == "\U0001F436" and post.image_sha256 and post.image_name == "dog.png"
    assert post.span_text(current(store, post.id, "mner").spans[0]) == "#Central Park"


def test_a_line_with_its_own_tokens_needs_no_offsets(store, tmp_path: Path):
    """A hand-made line with text and tokens was refused for want of offsets, which the app
    can find; tokens alone are the text, joined."""
    path = tmp_path / "own.jsonl"
    path.write_text(
        json.dumps({"text": "Obama  visits #Paris", "tokens": ["Obama", "visits", "#Paris"],
                    "labels": [{"task": "mner", "spans": [{"start": 2, "end": 3, "type": "LOC"}]}]}) + "\n"
        + json.dumps({"tokens": ["New", "York", "Mets", "win"]}) + "\n", encoding="utf-8")
    assert import_jsonl(store, str(path), "own", "train").posts == 2
    first, second = (get_post(store, r["id"]) for r in store.db.query("SELECT id FROM posts ORDER BY position"))
    assert first.text == "Obama  visits #Paris" and first.offsets == ((0, 5), (7, 13), (14, 20))
    assert first.span_text(current(store, first.id, "mner").spans[0]) == "#Paris"
    assert second.text == "New York Mets win" and second.tokens == ("New", "York", "Mets", "win")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Obama visits Paris", "tokens": ["Obama", "Rome"]}) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="the tokens are not the text's words"):
        import_jsonl(store, str(bad), "own", "valid")


@pytest.mark.parametrize("line, message", [
    ({"text": "Obama in Paris", "labels": [{"task": "mner", "spans": [{"start": 2, "end": 7, "type": "LOC"}]}]},
     "out of range"),
    ({"text": "Obama in Paris", "labels": [{"task": "mner", "spans": [{"start": 0, "end": 1, "type": "HERO"}]}]},
     "not in the schema"),
    ({"text": "   "}, "empty"),
    ({"text": "Obama", "tokens": ["Obama"], "offsets": [[3, 8]]}, "does not sit at"),
])
def test_bad_jsonl_is_refused_and_store_unchanged(store, home, tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "a fine first post"}) + "\n" + json.dumps(line) + "\n")
    before = snapshot(home)
    with pytest.raises((ParseError, ValidationError), match=message):
        import_jsonl(store, str(path), "mine", "train")
    assert snapshot(home) == before


def test_not_json_names_the_line(store, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"text": \n')
    with pytest.raises(ParseError, match=r"bad\.jsonl:2: expected a JSON object"):
        import_jsonl(store, str(path), "mine", "train")


def test_fields_the_import_does_not_read_are_said(tmp_path):
    """predict's output imported back: "2 posts", exit 0, and every entity gone unsaid."""
    path = tmp_path / "predicted.jsonl"
    path.write_text(json.dumps({"text": "Obama visits Paris", "entities": [{"start": 0, "end": 1, "type": "PER"}],
                                "conf": 1}) + "\n" + json.dumps({"text": "Merkel in Berlin", "entities": []}) + "\n",
                    encoding="utf-8")
    with open_store(tmp_path / "home") as store:
        report = import_jsonl(store, str(path), "d", "s")
    note, = report.notes
    assert note.startswith("fields not read: 'conf' (1 line), 'entities' (2 lines).")
    assert "'entities' is what predict writes" in note and '"labels": [{"task": "mner"' in note
    exported = tmp_path / "exported.jsonl"
    with open_store(tmp_path / "home") as store, exported.open("w", encoding="utf-8") as out:
        export_jsonl(store, out, "d")
    with open_store(tmp_path / "home2") as store:   # the project's own lines: every field read
        assert import_jsonl(store, str(exported)).notes == []


def test_an_image_that_cannot_be_read_is_said_by_its_line_and_where_its_path_led(tmp_path, capsys):
    """It was named by its file name alone: which of a thousand lines, relative to what?"""
    from cot_explorer.cli import main

    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"text": "Obama"}) + "\n" + json.dumps({"text": "Merkel", "image_path": "pics/nope.png"})
                    + "\n", encoding="utf-8")
    assert main(["--home", str(tmp_path / "h"), "import", "jsonl", str(path), "--dataset", "d", "--split", "s"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: nope.png: cannot read the file" in err and f"(image_path read as {tmp_path / 'pics/nope.png'})" in err
    # and an export's --source, which jsonl does not use, is refused (the file held the current labels)
    assert main(["--home", str(tmp_path / "h"), "export", "jsonl", "--dataset", "d", "--source", "teacher"]) == 2
    assert "--source is for conll" in capsys.readouterr().err
