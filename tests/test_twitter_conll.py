import io
from pathlib import Path

import pytest

from cot_explorer.datasets.lines import read_lines
from cot_explorer.errors import ParseError, ValidationError
from cot_explorer.exporter import export_conll
from cot_explorer.importer import import_twitter
from cot_explorer.store import open_store
from cot_explorer.store.stats import compute_stats

from .conftest import snapshot

# Entity counts of Twitter-2017 as published with the dataset (UMT, Yu et al. 2020).
TWITTER2017 = {
    "train": (3373, {"PER": 2943, "LOC": 731, "ORG": 1674, "MISC": 701}),
    "valid": (723, {"PER": 626, "LOC": 173, "ORG": 375, "MISC": 150}),
    "test": (723, {"PER": 621, "LOC": 178, "ORG": 395, "MISC": 157}),
}


def test_twitter2017_posts_and_entities_per_type(twitter2017_home):
    with open_store(twitter2017_home) as s:
        stats = {st.split: st for st in compute_stats(s) if st.dataset == "twitter2017"}
    for split, (posts, types) in TWITTER2017.items():
        assert stats[split].posts == posts
        assert stats[split].spans_per_type == types


def _tokens_and_tags(lines):
    return [tuple(ln.split("\t")) for ln in lines if ln and not ln.startswith("IMGID:")]


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_gold_conll_export_reproduces_twitter2017(twitter2017_home, data, split):
    out = io.StringIO()
    with open_store(twitter2017_home) as s:
        export_conll(s, out, "twitter2017", split, "gold")
    source = read_lines(data / "twitter2017" / f"{split}.txt")
    exported = out.getvalue().split("\n")
    assert [ln for ln in exported if ln.startswith("IMGID:")] == [ln for ln in source if ln.startswith("IMGID:")]
    assert _tokens_and_tags(exported) == _tokens_and_tags(source)


def test_twitter2015_invalid_bio_refused_then_repaired_and_counted(store, home, data):
    path = data / "twitter2015" / "valid.txt"
    before = snapshot(home)
    with pytest.raises(ParseError, match=r"valid\.txt:\d+: expected valid BIO, but I-OTHER follows O"):
        import_twitter(store, str(path), "twitter2015", "valid")
    assert snapshot(home) == before
    report = import_twitter(store, str(path), "twitter2015", "valid", repair_bio=True)
    assert report.posts == 1000 and report.repaired_tags > 0
    out = io.StringIO()
    export_conll(store, out, "twitter2015", "valid", "gold")
    src, exp = _tokens_and_tags(read_lines(path)), _tokens_and_tags(out.getvalue().split("\n"))
    assert [t for t, _ in src] == [t for t, _ in exp]  # token for token
    changed = [(a, b) for (_, a), (_, b) in zip(src, exp) if a != b]
    assert len(changed) == report.repaired_tags
    assert all(a.startswith("I-") and b == "B-" + a[2:] for a, b in changed)


GOOD = "IMGID:1\nObama\tB-PER\nspeaks\tO\n\nIMGID:2\nin\tO\nParis\tB-LOC\n\n"

BAD_FILES = {
    "truncated mid-line": (GOOD + "IMGID:3\nNew\tB-LOC\nYo", 11, "token<TAB>tag"),
    "token without tag": ("IMGID:1\nObama\tB-PER\nspeaks\n\n", 3, "token<TAB>tag"),
    "unknown tag": ("IMGID:1\nObama\tB-PERSON\n\n", 2, "a tag among"),
    "I- after O": ("IMGID:1\nthe\tO\nHague\tI-LOC\n\n", 3, "I-LOC follows O"),
    "empty post": (GOOD + "IMGID:3\n\n", 9, "empty post"),
    "missing header": ("Obama\tB-PER\n\n", 1, "IMGID"),
    "not UTF-8": (None, 2, "UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_conll_is_refused_with_line_and_store_unchanged(store, home, tmp_path: Path, case):
    content, line, expected = BAD_FILES[case]
    path = tmp_path / "bad.txt"
    if content is None:
        path.write_bytes(b"IMGID:1\nCaf\xe9\tO\n\n")
    else:
        path.write_text(content, encoding="utf-8")
    import_twitter(store, str(_write(tmp_path / "ok.txt", GOOD)), "twitter2017", "train")
    before = snapshot(home)
    with pytest.raises(ParseError) as e:
        import_twitter(store, str(path), "twitter2017", "test")
    assert f"bad.txt:{line}:" in str(e.value) and expected in str(e.value)
    assert snapshot(home) == before


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_importing_the_same_split_twice_is_refused(store, home, tmp_path):
    path = _write(tmp_path / "ok.txt", GOOD)
    import_twitter(store, str(path), "twitter2017", "train")
    before = snapshot(home)
    with pytest.raises(Exception, match="already holds 2 posts"):
        import_twitter(store, str(path), "twitter2017", "train")
    assert snapshot(home) == before


def first_posts_file(src: Path, dst: Path, n: int) -> Path:
    """The first n posts of a CoNLL file, as a new file."""
    blocks = "\n".join(read_lines(src)).split("\n\n")[:n]
    dst.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return dst


def test_a_corrections_export_holds_the_corrected_posts_only_and_comes_back_as_them(home, tmp_path):
    """A walker's corrections export of 2 corrected posts held all 40, the other 38 all O, and
    imported again they became 38 posts labelled "no entity"."""
    from cot_explorer.schema import LabelSet, Span
    from cot_explorer.store import labels as label_store
    from cot_explorer.store.posts import list_posts
    from cot_explorer.ui.demo import ensure_demo

    ensure_demo(home)
    with open_store(home) as s:
        posts = list_posts(s, "demo", "test")
        for p in posts[3:5]:   # two posts corrected: their first word a MISC
            base = label_store.head_version(s, p.id, "mner")
            label_store.save(s, p.id, LabelSet("mner", (Span(0, 1, "MISC"),), source="annotator", author="ann"), base)
        out = io.StringIO()
        report = export_conll(s, out, "demo", "test", "annotator")
    assert (report.posts, report.without_labels) == (2, len(posts) - 2)
    assert report.sentence().startswith("exported 2 posts, those with an annotator's correction (the other "
                                        f"{len(posts) - 2} left out")
    assert [ln for ln in out.getvalue().split("\n") if ln.startswith("IMGID:")] == \
           [f"IMGID:{p.image_name.rsplit('.', 1)[0]}" for p in posts[3:5]]
    back = tmp_path / "corrections.txt"
    back.write_text(out.getvalue(), encoding="utf-8")
    with open_store(home) as s:
        assert import_twitter(s, str(back), "again", "test").posts == 2
        assert [label_store.current(s, p.id, "mner").spans[0].type for p in list_posts(s, "again", "test")] == ["MISC"] * 2
        # gold still writes every post (an unlabelled one all O, and said)
        assert export_conll(s, io.StringIO(), "demo", "test", "gold").posts == len(posts)
        # relations corrected and no entity: said so, with where they are (it said "no post has an
        # annotator's correction" beside a split with 6 corrected posts)
        with pytest.raises(ValidationError, match="no post of demo-mnre/test has an annotator's correction"):
            export_conll(s, io.StringIO(), "demo-mnre", "test", "annotator")
        mnre = list_posts(s, "demo-mnre", "test")[0]
        pairs = label_store.current(s, mnre.id, "mre")
        label_store.change_relation(s, mnre.id, 0, "/per/per/peer" if pairs.relations[0].label != "/per/per/peer"
                                    else "None", pairs.version, "ann")
        with pytest.raises(ValidationError, match=r"no post of demo-mnre/test has an entity correction: the file would "
                                                  r"be all O \(the relations corrected on 1 post are in a JSONL export"):
            export_conll(s, io.StringIO(), "demo-mnre", "test", "annotator")
