from pathlib import Path

import pytest

from cot_explorer.datasets.pgim_knowledge import parse_pgim_text, read_pgim_knowledge
from cot_explorer.errors import ImportRefused, ParseError
from cot_explorer.importer import import_knowledge, import_twitter
from cot_explorer.store import open_store
from cot_explorer.store.stats import compute_stats
from cot_explorer.store.teacher_outputs import outputs_for_post
from cot_explorer.teacher.recorded_teacher import RECORDED

from .conftest import snapshot


def test_knowledge_aligns_to_at_least_999_per_mille_of_twitter2017(twitter2017_home):
    with open_store(twitter2017_home) as s:
        stats = [st for st in compute_stats(s) if st.dataset == "twitter2017"]
        assert sum(st.posts_with_knowledge for st in stats) / sum(st.posts for st in stats) >= 0.999
        out = outputs_for_post(s, "twitter2017/train/17_06_2932")
    assert len(out) == 1 and out[0].teacher == RECORDED and out[0].status == "ok"
    assert [(e.text, e.type) for e in out[0].entities] == [
        ("Kawhi Leonard", "person/player"), ("NBA", "league/organization"), ("Block of the Year", "award/title"),
        ("#NBAAwards", "event/award ceremony"), ("Fan Vote", "voting process")]
    # '#NBAAwards' is written joined but sits on the tokens '#' 'NBAAwards'; 'Fan Vote' is not in the post.
    spans = [(e.span.start, e.span.end) if e.span else None for e in out[0].entities]
    assert spans == [(3, 5), (1, 2), (10, 14), (15, 17), None]
    # the text the students read is the recorded text as published; its grains are apart
    assert out[0].text.startswith("Named entities: 1. Kawhi Leonard") and out[0].text == out[0].raw
    assert [g.grain.value for g in out[0].grains] == ["noun", "sentence", "multimodal"]
    assert out[0].grains[1].text.startswith("The sentence mentions Kawhi Leonard")


def test_twitter2015_knowledge_lacks_the_last_post_and_says_so(store, data):
    import_twitter(store, str(data / "twitter2015/valid.txt"), "twitter2015", "valid", repair_bio=True)
    report = import_knowledge(store, str(data / "knowledge/chatgpt-pgim/twitter2015/valid.txt"), "twitter2015", "valid")
    assert report.knowledge_records == 999 and report.knowledge_aligned == 999
    assert report.posts_without_knowledge == 1
    assert "999 of 999 knowledge records aligned (99.90% of posts; 1 post without)" in report.summary()


def test_knowledge_needs_its_posts_first(store, data):
    with pytest.raises(ImportRefused, match="import the dataset split before"):
        import_knowledge(store, str(data / "knowledge/chatgpt-pgim/twitter2017/test.txt"), "twitter2017", "test")


def test_reimporting_knowledge_adds_nothing(store, data):
    import_twitter(store, str(data / "twitter2017/test.txt"), "twitter2017", "test")
    path = str(data / "knowledge/chatgpt-pgim/twitter2017/test.txt")
    import_knowledge(store, path, "twitter2017", "test")
    n = store.conn.execute("SELECT count(*) FROM teacher_outputs").fetchone()[0]
    import_knowledge(store, path, "twitter2017", "test")
    assert store.conn.execute("SELECT count(*) FROM teacher_outputs").fetchone()[0] == n == 723


def test_truncated_knowledge_file_is_refused(store, home, data, tmp_path: Path):
    import_twitter(store, str(data / "twitter2017/test.txt"), "twitter2017", "test")
    lines = (data / "knowledge/chatgpt-pgim/twitter2017/test.txt").read_text(encoding="utf-8").split("\n")
    path = tmp_path / "k.txt"
    path.write_text("\n".join(lines[:5]), encoding="utf-8")  # tokens of the first post, no <EOS>
    before = snapshot(home)
    with pytest.raises(ParseError, match="<EOS>"):
        import_knowledge(store, str(path), "twitter2017", "test")
    assert snapshot(home) == before


def test_parse_pgim_text_variants():
    p = parse_pgim_text("Named entities:1. Blackburn Festival of Voice (event/festival)2. 2017 (year)Reasoning:The post.")
    assert [(e.text, e.type) for e in p.entities] == [("Blackburn Festival of Voice", "event/festival"), ("2017", "year")]
    assert p.reasoning == "The post." and p.skipped == 0
    p = parse_pgim_text("Named entities:1. Obama (person)2. Paris (city)Reasoning:The post is about a visit. "
                        "Obama is the US president. He lands in Paris today!")
    assert [e.rationale for e in p.entities] == ["Obama is the US president.", "He lands in Paris today!"]
    p = parse_pgim_text("Named entities: None. Reasoning: Nothing named.")
    assert p.entities == () and p.reasoning == "Nothing named."
    p = parse_pgim_text("Named entities:1. Mother, May I Sleep with Danger? (film) (movie)2. broken Reasoning: x")
    assert [(e.text, e.type) for e in p.entities] == [("Mother, May I Sleep with Danger? (film)", "movie")]
    assert p.skipped == 1


def test_reader_keeps_order_and_text(data):
    recs = read_pgim_knowledge(data / "knowledge/chatgpt-pgim/twitter2017/train.txt")
    assert len(recs) == 3373
    assert recs[0].tokens[:3] == ("New", "Post", ":") and recs[0].text.startswith("Named entities:1. Blackburn")


def test_knowledge_of_another_split_is_refused_and_a_file_imported_twice_is_said(store, home, data, tmp_path):
    """Twitter-2017 test knowledge imported into valid aligned 0 of 723 records and exited 0,
    recorded as an import; the same CoNLL file imported as two splits said nothing."""
    from cot_explorer.importer import import_captions

    import_twitter(store, str(data / "twitter2017/valid.txt"), "t17", "valid")
    before = snapshot(home)
    with pytest.raises(ImportRefused, match="none of the 723 knowledge records .* matches a post of t17/valid"):
        import_knowledge(store, str(data / "knowledge/chatgpt-pgim/twitter2017/test.txt"), "t17", "valid")
    assert snapshot(home) == before
    again = import_twitter(store, str(data / "twitter2017/valid.txt"), "t17", "valid2")
    assert again.notes == ["the same file was imported before as t17/valid: its posts are in the store twice now "
                           "(a round leaves out the twins of its held-out posts)"]
    assert "note: the same file" in again.summary()
    elsewhere = import_twitter(store, str(data / "twitter2017/valid.txt"), "other17", "valid")
    assert elsewhere.notes == ["the same file was imported before as t17/valid, t17/valid2: its posts are in the store "
                               "twice now"]   # no promise: a round compares the posts of one dataset
    captions = tmp_path / "c.txt"
    captions.write_text("1.jpg :a man\n", encoding="utf-8")
    typo = import_captions(store, str(captions), "t71")
    assert any("no dataset named 't71' is in the store yet" in n for n in typo.notes)
    assert not any("no dataset" in n for n in import_captions(store, str(captions), "t17").notes)
