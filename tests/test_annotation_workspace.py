"""The Annotate tab's server side, on a real store: documents for the editor, saves and
conflicts, merges, undo/redo across spans and relations, search, progress, agreement."""

from __future__ import annotations

import pytest

from cot_explorer.access import Role, User
from cot_explorer.errors import ValidationError
from cot_explorer.evaluate import agreement, cohen_kappa
from cot_explorer.importer import import_mnre
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import labels as label_store
from cot_explorer.store import open_store
from cot_explorer.store.posts import get_post
from cot_explorer.ui import annotate
from cot_explorer.ui.demo import ensure_demo
from cot_explorer.ui.span_editor import PairSaved

from .conftest import two_pair_mnre_file

ANN = User("ann", Role.ANNOTATOR)
VIEWER = User(None, Role.VIEWER)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("ws") / "home"
    ensure_demo(home)
    return home


def first_ids(home, n=3):
    return annotate.queue(home, "demo/test")[:n]


def test_a_document_has_tokens_schema_suggestions_and_position(demo_home):
    ids = annotate.queue(demo_home, "demo/test")
    doc = annotate.editor_doc(demo_home, ids[1], ANN, ids)
    assert doc.types == ["PER", "LOC", "ORG", "MISC"] and doc.pos["index"] == 1 and doc.pos["total"] == 40
    assert "".join(t["t"] + t["gap"] for t in doc.tokens).startswith(doc.tokens[0]["t"])
    sources = {s["source"] for s in doc.suggestions}
    assert "student" in sources and all(s["origin"].split(":")[0] == s["source"] for s in doc.suggestions)
    assert doc.spans == doc.saved and not doc.readonly
    assert annotate.editor_doc(demo_home, ids[1], VIEWER, ids).readonly


def test_save_then_a_stale_save_comes_back_as_a_conflict_with_my_edits_kept(demo_home):
    ids = first_ids(demo_home)
    doc = annotate.editor_doc(demo_home, ids[0], ANN, ids).to_value()
    mine = doc["saved"] + [{"start": 0, "end": 1, "type": "MISC", "origin": "annotator"}]
    mine = [s for s in mine if not (s["start"] < 1 and s["end"] > 0 and s["type"] != "MISC")]
    saved, msg = annotate.save_doc(demo_home, {**doc, "spans": mine}, "ann", ANN, ids)
    assert msg.startswith("Saved version") and saved.saved == [dict(s, origin=s.get("origin")) for s in saved.saved]
    # the numbers are the store's: the one undo goes back to is named as the post's import
    # ("Saved version 66 (undo brings back version 1)" read as 65 saves lost in between)
    assert msg.endswith(f"(undo brings back the imported labels, version {doc['base_version']}).")
    again, msg = annotate.save_doc(demo_home, {**saved.to_value(), "spans": mine[1:]}, "ann", ANN, ids)
    assert msg.endswith(f"(undo brings back version {saved.base_version}).")
    annotate.step_history(demo_home, again.to_value(), False, "ann", ANN, ids)   # back to the first save
    stale = {**doc, "spans": [{"start": 1, "end": 2, "type": "PER"}]}   # based on the old version
    back, msg = annotate.save_doc(demo_home, stale, "bob", ANN, ids)
    assert "Conflict" in msg and back.conflict["their_author"] == "ann"
    assert back.spans == stale["spans"]                                  # nothing typed is lost
    with pytest.raises(ValidationError, match=r"^“\S.*” \(PER\) overlaps “\S.*” \(LOC\): keep one of them$"):
        annotate.resolve_conflict(demo_home, back.to_value(), "merge",   # said in the post's words, not "span 1:2"
                                  [{"start": 1, "end": 2, "type": "LOC"}, {"start": 1, "end": 2, "type": "PER"}],
                                  "bob", ANN, ids)
    merged, msg = annotate.resolve_conflict(demo_home, back.to_value(), "merge",
                                            [{"start": 1, "end": 2, "type": "PER"}], "bob", ANN, ids)
    with open_store(demo_home) as s:
        last = label_store.post_history(s, ids[0])[-1]
    assert last.action == "merge" and last.author == "bob" and [(x.start, x.type) for x in last.labels.spans] == [(1, "PER")]


def test_a_conflict_is_not_saved_over_by_save_again_nor_by_its_draft_after_a_reload(demo_home):
    """Save pressed again over the conflict panel, or after a reload (the draft restored), went
    on top of the colleague's version with mine alone: their change, ticked to keep, was undone
    unsaid. The conflict's edits stay on the version they were made on."""
    ids = first_ids(demo_home)
    doc = annotate.editor_doc(demo_home, ids[0], ANN, ids).to_value()
    theirs = [{"start": 0, "end": 1, "type": "MISC", "origin": "annotator"}]
    annotate.save_doc(demo_home, {**doc, "spans": theirs}, "ann", ANN, ids)
    mine = [] if doc["saved"] else [{"start": 1, "end": 2, "type": "PER"}]   # an edit of bob's
    back, msg = annotate.save_doc(demo_home, {**doc, "spans": mine}, "bob", ANN, ids)
    assert "Conflict" in msg and back.base_version == doc["base_version"]   # the version bob edited, not ann's
    with open_store(demo_home) as s:
        head = label_store.head_version(s, ids[0], "mner")
    with pytest.raises(ValidationError, match=r"^your edits conflict with ann's save \(version \d+\) and were not "
                                              r"saved: choose Merge ticked spans, Take theirs or Keep mine as it is, below$"):
        annotate.save_doc(demo_home, back.to_value(), "bob", ANN, ids)   # Save again, the panel on show
    # the reload: the draft, kept on the version it was made on, meets ann's version as a conflict again
    draft = {**annotate.editor_doc(demo_home, ids[0], ANN, ids).to_value(), "spans": back.spans,
             "base_version": back.base_version}
    again, msg = annotate.save_doc(demo_home, draft, "bob", ANN, ids)
    assert "Conflict" in msg and again.conflict["their_author"] == "ann"
    with open_store(demo_home) as s:
        assert label_store.head_version(s, ids[0], "mner") == head   # nothing saved over ann's


def test_undo_in_an_editor_drawn_before_a_colleague_s_save_takes_nothing_back_unseen(demo_home):
    """`u` in an editor drawn before ann's save undid ann's save, which the editor never showed,
    without the question it asks before undoing someone else's change."""
    ids = first_ids(demo_home)
    old = annotate.editor_doc(demo_home, ids[1], ANN, ids).to_value()   # bob's editor, drawn first
    annotate.save_doc(demo_home, {**old, "spans": [{"start": 0, "end": 1, "type": "MISC"}]}, "ann", ANN, ids)
    with open_store(demo_home) as s:
        head = label_store.head_version(s, ids[1], "mner")
    back, msg = annotate.step_history(demo_home, old, False, "bob", ANN, ids)
    assert msg.startswith("Nothing undone: this post was saved again since it was drawn here")
    assert back.base_version == head and back.undo_of == {"author": "ann", "version": head}   # now it can ask
    with open_store(demo_home) as s:
        assert label_store.head_version(s, ids[1], "mner") == head   # ann's save stands
    # drawn anew, the undo goes ahead (the editor asks first: undo_of names ann)
    again, msg = annotate.step_history(demo_home, back.to_value(), False, "bob", ANN, ids)
    assert msg.startswith("Undid the last span change (ann's, version")


def test_a_stale_save_with_no_edits_or_the_same_labels_raises_no_conflict(demo_home):
    """A co-annotator pressing Save with nothing edited met a red conflict panel over nothing
    (and would have vouched for labels they had not seen); one who typed the same labels as
    the saver's had to resolve a conflict between two equal copies."""
    ids = first_ids(demo_home, 4)
    doc = annotate.editor_doc(demo_home, ids[3], ANN, ids).to_value()
    theirs = [s for s in doc["saved"] if s["start"] > 0] + [{"start": 0, "end": 1, "type": "MISC"}]
    saved, _ = annotate.save_doc(demo_home, {**doc, "spans": theirs}, "ann", ANN, ids)

    def history():
        with open_store(demo_home) as s:
            return [(h.version, h.author) for h in label_store.post_history(s, ids[3]) if h.task == "mner"]

    before = history()
    back, msg = annotate.save_doc(demo_home, doc, "bob", ANN, ids)   # bob's copy, untouched and stale
    assert back.conflict is None and history() == before
    assert msg == f"ann saved version {saved.base_version} meanwhile; you had no edits, so nothing was saved: " \
                  "their labels are on show now."
    assert {(s["start"], s["type"]) for s in back.spans} == {(s["start"], s["type"]) for s in theirs}
    agreed, msg = annotate.save_doc(demo_home, {**doc, "spans": theirs}, "bob", ANN, ids)   # typed the same
    assert agreed.conflict is None and msg.endswith("ann had saved the same labels meanwhile.")
    assert history()[-1][1] == "bob" and len(history()) == len(before) + 1


def test_the_editor_refuses_bad_spans(demo_home):
    ids = first_ids(demo_home)
    doc = annotate.editor_doc(demo_home, ids[2], ANN, ids).to_value()
    for spans in ([{"start": True, "end": 2, "type": "PER"}], [{"start": 0, "end": 2, "type": "PERSON"}],
                  [{"start": 0, "end": 2, "type": "PER"}, {"start": 1, "end": 3, "type": "LOC"}], "oops"):
        with pytest.raises(ValidationError):
            annotate.save_doc(demo_home, {**doc, "spans": spans}, "ann", ANN, ids)
    with pytest.raises(ValidationError, match="name"):
        annotate.save_doc(demo_home, doc, "  ", ANN, ids)


def test_undo_and_redo_take_the_newest_change_spans_or_relations(tmp_path):
    home = tmp_path / "h"
    path = two_pair_mnre_file(tmp_path)
    with open_store(home) as s:
        import_mnre(s, str(path), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    label = lambda pairs, index: next(p["label"] for p in pairs if p["index"] == index)  # noqa: E731 (shown least sure first)
    assert sorted(p["index"] for p in doc["pairs"]) == [0, 1]
    assert (label(doc["pairs"], 0), label(doc["pairs"], 1)) == ("None", "/per/per/couple")
    doc2, msg = annotate.save_relation(home, doc, 0, "/per/loc/place_of_residence", "ann", ANN, [])
    assert "Saved the relation Obama → Paris" in msg and label(doc2.pairs, 0) == "/per/loc/place_of_residence"
    with open_store(home) as s:  # a relation correction counts the post as corrected, for its annotator too
        pr = label_store.progress(s, "mnre", "test")
    assert (pr.total, pr.corrected, pr.by_author) == (1, 1, {"ann": 1})
    doc3, msg = annotate.step_history(home, doc2.to_value(), False, "ann", ANN, [])
    # the pair named, as its save named it
    assert "Undid the relation Obama → Paris: /per/loc/place_of_residence → **None**: now version" in msg
    assert label(doc3.pairs, 0) == "None"
    with open_store(home) as s:  # undone back to the imported labels: no longer ann's correction
        pr = label_store.progress(s, "mnre", "test")
    assert (pr.corrected, pr.by_author) == (0, {})
    redone, _ = annotate.step_history(home, doc3.to_value(), True, "bob", ANN, [])   # bob brings ann's back
    with open_store(home) as s:
        pr = label_store.progress(s, "mnre", "test")
    assert (pr.corrected, pr.by_author) == (1, {"ann": 1})   # ann's labels, whoever pressed redo
    doc3, _ = annotate.step_history(home, redone.to_value(), False, "ann", ANN, [])
    doc4, msg = annotate.step_history(home, doc3.to_value(), True, "ann", ANN, [])
    assert label(doc4.pairs, 0) == "/per/loc/place_of_residence" and label(doc4.pairs, 1) == "/per/per/couple"


def test_a_posts_first_entity_labels_can_be_undone_and_undo_then_reaches_its_relations(tmp_path):
    """An MNRE post has relations from the import and no entity labels: its first entity save
    is undone to no entity labels at all (not to an empty list, which would say "no
    entities"), the next undo takes back the relation, and neither counts as a correction any
    more; redo brings both back, newest undo first."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    assert doc["base_version"] is None and doc["saved"] == []
    doc, _ = annotate.save_relation(home, doc, 0, "/per/loc/place_of_residence", "ann", ANN, [])
    doc, msg = annotate.save_doc(home, {**doc.to_value(), "spans": [{"start": 2, "end": 3, "type": "LOC"}]},
                                 "ann", ANN, [])
    assert "the post's first entity labels" in msg and "None" not in msg
    doc, msg = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])
    assert "Undid the last span change" in msg and "no entity labels again" in msg
    assert doc.saved == [] and doc.base_version is not None
    with open_store(home) as s:
        assert label_store.current(s, "mnre/test/a", "mner") is None
        assert label_store.corrected_post_ids(s, "mnre", task="mner") == []
        assert label_store.progress(s, "mnre", "test").corrected == 1  # the relation is still changed
    doc, msg = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])
    assert "Undid the relation " in msg
    assert next(p["label"] for p in doc.pairs if p["index"] == 0) == "None"
    with open_store(home) as s:  # back to the imported relations: not a correction
        assert label_store.progress(s, "mnre", "test").corrected == 0
    with pytest.raises(ValidationError, match="nothing to undo"):
        annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])
    doc, msg = annotate.step_history(home, doc.to_value(), True, "ann", ANN, [])
    assert "Redid the relation " in msg
    doc, msg = annotate.step_history(home, doc.to_value(), True, "ann", ANN, [])
    assert "Redid the last span change" in msg and doc.saved == [{"start": 2, "end": 3, "type": "LOC",
                                                                  "origin": doc.saved[0].get("origin")}]
    doc, _ = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])  # cleared again, then saved on
    doc, msg = annotate.save_doc(home, {**doc.to_value(), "spans": [{"start": 0, "end": 1, "type": "PER"}]},
                                 "ann", ANN, [])
    assert msg.startswith("Saved version") and [s["type"] for s in doc.saved] == ["PER"]
    with open_store(home) as s:
        assert label_store.progress(s, "mnre", "test").corrected == 1


def test_a_save_after_an_undo_ends_its_redo_whichever_task_it_was(tmp_path):
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    doc, _ = annotate.save_doc(home, {**doc, "spans": [{"start": 0, "end": 1, "type": "PER"}]}, "ann", ANN, [])
    doc, _ = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])      # spans undone
    doc, _ = annotate.save_relation(home, doc.to_value(), 0, "/per/loc/place_of_residence", "ann", ANN, [])
    doc, _ = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])      # the relation undone
    doc, msg = annotate.step_history(home, doc.to_value(), True, "ann", ANN, [])     # and redone
    assert "Redid the relation " in msg
    with pytest.raises(ValidationError, match="nothing to redo"):                   # the span undo came before a save
        annotate.step_history(home, doc.to_value(), True, "ann", ANN, [])
    assert doc.saved == []


def test_search_finds_posts_of_every_dataset_and_progress_counts_annotators(demo_home):
    found = annotate.find_posts(demo_home, "lady gaga")
    assert found and all("demo/test" in label for label, _ in found)
    assert annotate.find_posts(demo_home, "100%_") == [] and annotate.find_posts(demo_home, " ") == []
    # a hashtag as a user writes it finds the corpus's "# mufc"; words are found in any order
    # (both found nothing: the search was the text typed, letter for letter)
    hashtag = annotate.find_posts(demo_home, "#mufc")
    assert [label for label, _ in hashtag] == [label for label, _ in annotate.find_posts(demo_home, "# mufc")] != []
    assert annotate.find_posts(demo_home, "Rooney Wayne") == annotate.find_posts(demo_home, "Wayne Rooney") != []
    assert annotate.find_posts(demo_home, "Rooney Gaga") == []   # every word, not any
    assert annotate.found_said("Rooney Wayne", [1]) == "1 post contains every word of “Rooney Wayne”"
    with open_store(demo_home) as s:   # a correction of its own: the test holds alone too (it read earlier tests')
        pid = first_ids(demo_home, 6)[5]
        label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "MISC"),), source="annotator", author="ann"),
                         label_store.head_version(s, pid, "mner"))
        pr = label_store.progress(s, "demo", "test")
    # each corrected post counts for the annotator whose labels are current (bob merged over ann),
    # and for whoever made labels another took unchanged as theirs: a post may count for two
    assert pr.total == 40 and pr.corrected >= 1 and sum(pr.by_author.values()) >= pr.corrected
    assert set(pr.by_author) <= {"ann", "bob"}


def test_agreement_pairwise_f1_and_token_kappa():
    a = (Span(0, 1, "PER"), Span(2, 3, "LOC"))
    b = (Span(0, 1, "PER"), Span(2, 3, "ORG"))
    ag = agreement([("p1", 4, {"ann": a, "bob": a}), ("p2", 4, {"ann": a, "bob": b})])
    assert ag.posts == 2 and ag.pairs == 2 and ag.disagreements == ["p2"]
    assert ag.f1 == 75.0  # 3 of 4 spans match, both ways
    assert cohen_kappa(["PER", "O", "LOC", "O"], ["PER", "O", "LOC", "O"]) == 1.0
    assert cohen_kappa(["O", "O"], ["O", "O"]) == 1.0   # on the same scale where chance is everything
    assert cohen_kappa(["PER", "O"], ["O", "PER"]) < 0
    assert 0 < ag.kappa < 1


def test_agreement_rows_from_the_store(demo_home):
    ids = first_ids(demo_home, 5)
    with open_store(demo_home) as s:
        for author, t in (("x1", "PER"), ("x2", "LOC")):
            cur = label_store.current(s, ids[4], "mner")
            label_store.save(s, ids[4], LabelSet("mner", (Span(0, 1, t),), source="annotator", author=author), cur.version)
    rows, posts = annotate.agreement_rows(demo_home)
    assert rows[0][0] == "demo" and rows[0][2] >= 1 and any(pid == ids[4] for _, pid in posts)


def test_taking_theirs_counts_as_agreeing_and_the_table_names_each_pair(tmp_path):
    """bob had saved a post; ann saved it again; bob's next save met the conflict and he took
    ann's labels. Agreement compared bob's older save and listed a disagreement he had given
    up. Taking theirs now vouches for them under bob's name; the table names each pair, and a
    post opened from the disagreements says who gave what."""
    home = tmp_path / "h"
    ensure_demo(home)
    pid, other = first_ids(home, 2)
    bob = User("bob", Role.ANNOTATOR)
    first = annotate.editor_doc(home, pid, bob).to_value()
    by_bob, _ = annotate.save_doc(home, {**first, "spans": [{"start": 0, "end": 1, "type": "LOC"}]}, "bob", bob, [])
    for_ann = annotate.editor_doc(home, pid, ANN).to_value()
    annotate.save_doc(home, {**for_ann, "spans": [{"start": 0, "end": 1, "type": "PER"}]}, "ann", ANN, [])
    stale = {**by_bob.to_value(), "spans": [{"start": 0, "end": 1, "type": "MISC"}]}
    back, _ = annotate.save_doc(home, stale, "bob", bob, [])
    assert back.conflict is not None
    rows, posts = annotate.agreement_rows(home)
    assert [r[1] for r in rows] == ["ann · bob"] and pid in [p for _, p in posts]   # bob's LOC still stands for him
    said = annotate.annotators_said(home, pid)
    assert "**ann** (version" in said and "**bob** (version" in said and said.count("(PER)**") == 1
    taken, msg = annotate.resolve_conflict(home, back.to_value(), "theirs", [], "bob", bob, [])
    assert msg.startswith("Took ann's labels as yours too") and taken.conflict is None
    with open_store(home) as s:
        newest = label_store.head(s, pid, "mner")
    assert newest.author == "bob" and [(x.start, x.type) for x in newest.labels.spans] == [(0, "PER")]
    rows, posts = annotate.agreement_rows(home)
    assert rows == [["demo", "ann · bob", 1, 100.0, 1.0, "PER 100.0"]] and posts == []
    assert "**" not in annotate.annotators_said(home, pid).split("\n\n", 1)[1].replace("**ann**", "").replace("**bob**", "")
    # a third annotator on another post: the pooled row, then one row per pair that shares a post
    for name, t in (("ann", "PER"), ("carl", "ORG")):
        d = annotate.editor_doc(home, other, User(name, Role.ANNOTATOR)).to_value()
        annotate.save_doc(home, {**d, "spans": [{"start": 0, "end": 1, "type": t}]}, name, User(name, Role.ANNOTATOR), [])
    rows, posts = annotate.agreement_rows(home)
    assert [r[1:3] for r in rows] == [["all 3 annotators", 2], ["ann · bob", 1], ["ann · carl", 1]]
    assert rows[2][3] == 0.0 and [p for _, p in posts] == [other]
    # the list says whose labels a post has now: a lead's settling save shows there
    assert posts[0][0].endswith(f" · now carl's (newest save) · {other}")
    d = annotate.editor_doc(home, other, User("lead", Role.ADMIN)).to_value()
    annotate.save_doc(home, {**d, "spans": [{"start": 0, "end": 1, "type": "PER"}]}, "lead", User("lead", Role.ADMIN), [])
    assert annotate.agreement_rows(home)[1][0][0].endswith(f" · now lead's (newest save) · {other}")


def test_taking_theirs_after_a_third_save_takes_nothing_unseen(tmp_path):
    """Between the conflict and the choice someone saved again: taking "theirs" would vouch
    for labels the taker never saw. Nothing is saved; the newest labels are shown."""
    home = tmp_path / "h"
    ensure_demo(home)
    pid = first_ids(home, 1)[0]
    bob = User("bob", Role.ANNOTATOR)
    stale = annotate.editor_doc(home, pid, bob).to_value()
    d = annotate.editor_doc(home, pid, ANN).to_value()
    annotate.save_doc(home, {**d, "spans": [{"start": 0, "end": 1, "type": "PER"}]}, "ann", ANN, [])
    back, _ = annotate.save_doc(home, {**stale, "spans": [{"start": 0, "end": 1, "type": "MISC"}]}, "bob", bob, [])
    d = annotate.editor_doc(home, pid, ANN).to_value()
    annotate.save_doc(home, {**d, "spans": [{"start": 0, "end": 1, "type": "ORG"}]}, "ann", ANN, [])
    with open_store(home) as s:
        before = label_store.head(s, pid, "mner").version
    taken, msg = annotate.resolve_conflict(home, back.to_value(), "theirs", [], "bob", bob, [])
    assert msg.startswith("Not taken: ann saved version") and taken.conflict is None
    with open_store(home) as s:
        assert label_store.head(s, pid, "mner").version == before
    assert [(x["start"], x["type"]) for x in taken.to_value()["spans"]] == [(0, "ORG")]


def test_agreement_leaves_out_a_save_its_annotator_took_back(tmp_path):
    """Two annotators saved different types and each undid it: the labels are the imported
    ones again, and agreement no longer lists a disagreement nobody stands by; redone, it is
    counted again."""
    home = tmp_path / "h"
    ensure_demo(home)
    pid = first_ids(home, 1)[0]
    with open_store(home) as s:
        for author, t in (("x1", "PER"), ("x2", "LOC")):
            cur = label_store.head_version(s, pid, "mner")
            label_store.save(s, pid, LabelSet("mner", (Span(0, 1, t),), source="annotator", author=author), cur)
        assert set(label_store.labels_by_annotator(s)[pid]) == {"x1", "x2"}
        label_store.undo_newest(s, pid, "x2")          # x2's save taken back: x1's stands alone
        assert pid not in label_store.labels_by_annotator(s)
        label_store.redo_newest(s, pid, "x2")          # and brought back
        assert set(label_store.labels_by_annotator(s)[pid]) == {"x1", "x2"}
        label_store.undo_newest(s, pid, "x2")
        label_store.undo_newest(s, pid, "x1")          # both undone: the imported labels
        assert pid not in label_store.labels_by_annotator(s)
    rows, posts = annotate.agreement_rows(home)
    assert pid not in [p for _, p in posts]


def test_a_save_that_changes_nothing_adds_no_version(demo_home):
    """Save pressed again with nothing changed: no version padding the history (an undo of it
    would seem to do nothing). Confirming another source's labels, or another annotator's,
    is a change of who vouches for them: that still saves."""
    pid = annotate.queue(demo_home, "demo/test")[7]

    def versions():
        with open_store(demo_home) as s:
            return [h.version for h in label_store.post_history(s, pid) if h.task == "mner"]

    def progress():   # what this test adds (other tests of the module correct posts of demo/test too)
        with open_store(demo_home) as s:
            pr = label_store.progress(s, "demo", "test", confirmed=True)
        return pr.corrected - start.corrected, pr.unchanged - start.unchanged

    with open_store(demo_home) as s:
        start = label_store.progress(s, "demo", "test", confirmed=True)
    doc = annotate.editor_doc(demo_home, pid, ANN).to_value()
    before = versions()
    confirmed, msg = annotate.save_doc(demo_home, doc, "ann", ANN, [])   # the gold labels, vouched for
    # said as a confirmation, not as an edit, and counted as one of the corrected posts confirmed
    assert msg.startswith("Confirmed the dataset's labels unchanged as version") and len(versions()) == len(before) + 1
    assert progress() == (1, 1)
    with open_store(demo_home) as s:
        assert f"{start.unchanged + 1} of them confirmed as they were" in annotate.progress_line(
            demo_home, get_post(s, pid), ANN)
    again, msg = annotate.save_doc(demo_home, confirmed.to_value(), "ann", ANN, [])
    assert msg.startswith("Nothing changed since version") and len(versions()) == len(before) + 1
    assert again.saved == confirmed.saved
    by_bob, msg = annotate.save_doc(demo_home, again.to_value(), "bob", ANN, [])   # bob vouches too
    assert msg.startswith("Confirmed ann's labels unchanged") and len(versions()) == len(before) + 2
    # undoing (and redoing) a confirmation moves nothing on screen: said, or it read as broken
    undone, msg = annotate.step_history(demo_home, by_bob.to_value(), False, "bob", ANN, [])
    assert msg.endswith("The labels read as before: that version confirmed them unchanged.")
    by_bob, msg = annotate.step_history(demo_home, undone.to_value(), True, "bob", ANN, [])
    assert msg.endswith("The labels read as before: that version confirmed them unchanged.")
    assert len(versions()) == len(before) + 4
    edited = {**by_bob.to_value(), "spans": by_bob.to_value()["spans"] + [{"start": 0, "end": 1, "type": "MISC"}]}
    edited["spans"] = [s for s in edited["spans"] if not (s["start"] < 1 and s["end"] > 0 and s["type"] != "MISC")]
    changed, msg = annotate.save_doc(demo_home, edited, "bob", ANN, [])
    assert msg.startswith("Saved version") and len(versions()) == len(before) + 5
    assert progress() == (1, 0)   # changed now
    undone, msg = annotate.step_history(demo_home, changed.to_value(), False, "bob", ANN, [])   # a real change: not said
    assert "read as before" not in msg


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_no_change_is_saved_without_a_typed_name_even_for_the_local_user(tmp_path, blank):
    """The one local user has the session name "local": a relation change, an undo, a redo or
    a conflict resolved with the annotator field empty is refused like a span save, not saved
    under "local" (which progress and agreement would then count as an annotator)."""
    local = User("local", Role.ADMIN)
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", local).to_value()
    with pytest.raises(ValidationError, match="annotator field"):
        annotate.save_relation(home, doc, 0, "/per/loc/place_of_residence", blank, local, [])
    doc, _ = annotate.save_relation(home, doc, 0, "/per/loc/place_of_residence", "ann", local, [])
    for forward in (False, True):
        with pytest.raises(ValidationError, match="annotator field"):
            annotate.step_history(home, doc.to_value(), forward, blank, local, [])
    conflicted = {**doc.to_value(), "spans": [{"start": 0, "end": 1, "type": "PER"}],
                  "conflict": {"their_version": doc.base_version}}
    with pytest.raises(ValidationError, match="annotator field"):
        annotate.resolve_conflict(home, conflicted, "mine", [], blank, local, [])
    with open_store(home) as s:
        authors = {h.author for h in label_store.post_history(s, "mnre/test/a")}
        pr = label_store.progress(s, "mnre", "test")
    assert "local" not in authors and pr.by_author == {"ann": 1}


def test_a_relation_saved_beside_unsaved_spans_says_so_and_its_undo_keeps_them(tmp_path):
    """A relation is saved at once while spans wait for Save: the answer says the span edits
    are still unsaved, names the pair saved (shown beside it, and on show), and the undo of
    that relation leaves the unsaved spans in the editor."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    mine = [{"start": 0, "end": 1, "type": "PER"}]
    new, msg = annotate.save_relation(home, {**doc, "spans": mine}, 1, "None", "ann", ANN, [])
    assert "Your span edits are not saved yet" in msg
    assert new.pair_saved == PairSaved(1, new.relation_version) and new.focus_pair == 1
    assert new.spans == mine and new.saved == []
    back, msg = annotate.step_history(home, new.to_value(), False, "ann", ANN, [])
    assert "Undid the relation " in msg and back.spans == mine and not back.clear_draft
    assert back.pair_saved is None
    _, msg = annotate.save_relation(home, back.to_value() | {"spans": []}, 1, "None", "ann", ANN, [])
    assert "not saved yet" not in msg


def test_unsaved_spans_carried_past_a_relation_keep_their_base_and_meet_a_co_annotator_as_a_conflict(tmp_path):
    """Span edits carried over a relation save (or its refusal, or its undo) stay based on the
    version they were made on: based on the newest, a co-annotator's spans saved meanwhile
    were overwritten by the next Save without a conflict."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    bobs, _ = annotate.save_doc(home, {**doc, "spans": [{"start": 2, "end": 3, "type": "LOC"}]}, "bob", ANN, [])
    mine = {**doc, "spans": [{"start": 0, "end": 1, "type": "PER"}]}      # made before bob saved
    new, _ = annotate.save_relation(home, mine, 0, "/per/loc/place_of_residence", "ann", ANN, [])
    assert new.base_version == doc["base_version"] != bobs.base_version
    back, _ = annotate.step_history(home, new.to_value(), False, "ann", ANN, [])   # the relation taken back
    assert back.base_version == doc["base_version"] and back.spans == mine["spans"]
    saved, msg = annotate.save_doc(home, back.to_value(), "ann", ANN, [])
    assert "Conflict" in msg and saved.conflict["their_author"] == "bob"


def relation_then_spans_saved(tmp_path, spans: list[dict]):
    """The two-pair MNRE post imported, its first pair's relation changed by "ann", then
    `spans` saved by "ann": the store's home and the editor's documents after each save."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    doc = annotate.editor_doc(home, "mnre/test/a", ANN).to_value()
    rel, _ = annotate.save_relation(home, doc, 0, "/per/loc/place_of_residence", "ann", ANN, [])
    saved, _ = annotate.save_doc(home, {**rel.to_value(), "spans": spans}, "ann", ANN, [])
    return home, rel, saved


def test_with_unsaved_spans_only_a_relation_is_stepped_and_the_pair_s_undo_takes_back_its_own_version(tmp_path):
    home, rel, spans = relation_then_spans_saved(tmp_path, [{"start": 0, "end": 1, "type": "PER"}])
    # the pair's Undo, pressed after a span save came in between: refused, nothing undone
    with pytest.raises(ValidationError, match=f"version {rel.pair_saved.version} is no longer the newest"):
        annotate.step_history(home, spans.to_value(), False, "ann", ANN, [], change=rel.pair_saved.version)
    # unsaved span edits over a newest span change: an undo would drop them, so it is refused
    dirty = {**spans.to_value(), "spans": [{"start": 2, "end": 3, "type": "LOC"}]}
    with pytest.raises(ValidationError, match="save or discard them first"):
        annotate.step_history(home, dirty, False, "ann", ANN, [])
    with open_store(home) as s:
        assert [h.action for h in label_store.post_history(s, "mnre/test/a")][-1] == "save"
    undone, msg = annotate.step_history(home, spans.to_value(), False, "ann", ANN, [])   # nothing unsaved: fine
    assert "Undid the last span change" in msg


def test_the_history_says_what_each_version_changed(tmp_path):
    """A walker had to compare rows of six relations by eye: each row says what it changed
    against the version of its task before it."""
    home, _, doc = relation_then_spans_saved(tmp_path, [{"start": 2, "end": 3, "type": "LOC"}])
    doc, _ = annotate.save_doc(home, {**doc.to_value(), "spans": [{"start": 0, "end": 1, "type": "PER"}]},
                               "ann", ANN, [])
    doc, _ = annotate.step_history(home, doc.to_value(), False, "ann", ANN, [])
    rows = annotate.history_rows(home, "mnre/test/a")
    column = annotate.HISTORY_COLUMNS.index("change")
    assert [(r[2], r[column]) for r in rows] == [
        ("mner", "+Paris/LOC; −Obama/PER"),                                  # the undo brings Paris back
        ("mner", "+Obama/PER; −Paris/LOC"),
        ("mner", "(first labels)"),
        ("mre", "Obama→Paris: None → /per/loc/place_of_residence"),
        ("mre", "(first labels)"),                                           # the import
    ]
    # the labels in text order, whatever order they were saved in
    doc, _ = annotate.save_doc(home, {**doc.to_value(), "spans": [{"start": 2, "end": 3, "type": "LOC"},
                                                                 {"start": 0, "end": 1, "type": "PER"}]}, "ann", ANN, [])
    assert annotate.history_rows(home, "mnre/test/a")[0][annotate.HISTORY_COLUMNS.index("labels")] == \
        "Obama/PER; Paris/LOC"


def test_an_undo_of_someone_else_s_change_says_whose_it_was(demo_home):
    """`u` took back a co-annotator's save and said only "Undid the last span change"."""
    ids = first_ids(demo_home, 6)
    doc = annotate.editor_doc(demo_home, ids[5], ANN, ids).to_value()
    mine = [s for s in doc["saved"] if s["start"] > 0] + [{"start": 0, "end": 1, "type": "MISC"}]
    saved, _ = annotate.save_doc(demo_home, {**doc, "spans": mine}, "ann", ANN, ids)
    _, msg = annotate.step_history(demo_home, saved.to_value(), False, "bob", ANN, ids)
    assert msg.startswith(f"Undid the last span change (ann's, version {saved.base_version}): now version")
    mine_again = [s for s in saved.to_value()["saved"] if s["start"] > 1] + [{"start": 1, "end": 2, "type": "LOC"}]
    bobs, _ = annotate.save_doc(demo_home, {**annotate.editor_doc(demo_home, ids[5], ANN, ids).to_value(),
                                            "spans": mine_again}, "bob", ANN, ids)
    _, msg = annotate.step_history(demo_home, bobs.to_value(), False, "bob", ANN, ids)   # bob's own: not named
    assert msg.startswith("Undid the last span change: now version"), msg


def test_an_error_row_from_before_a_correction_says_the_labels_have_changed():
    """An Errors row stays until Analyse is pressed again; opened after the label was corrected,
    it said "missed: The (ORG) in the labels" of a label gone."""
    missed = {"said": "missed: The (ORG) in the labels; mner-default predicted nothing there", "gold": [0, 1, "ORG"]}
    as_then = annotate.error_focus_of(missed, 5, [{"start": 0, "end": 1, "type": "ORG"}])
    assert as_then.said == missed["said"] and as_then.gold == [0, 1, "ORG"]
    gone = annotate.error_focus_of(missed, 5, [])
    assert gone.said.endswith(annotate.STALE_ERROR) and gone.gold == [0, 1, "ORG"]
    spurious = {"said": "spurious: no entity in the labels; mner-default predicted Paris (LOC) there", "pred": [2, 3, "LOC"]}
    assert not annotate.error_focus_of(spurious, 5, []).said.endswith(annotate.STALE_ERROR)
    assert annotate.error_focus_of(spurious, 5, [{"start": 2, "end": 3, "type": "LOC"}]).said.endswith(annotate.STALE_ERROR)
    assert annotate.error_focus_of({"said": "x", "gold": [4, 9, "PER"]}, 5, []).gold is None   # off the post


def test_taking_theirs_over_their_undo_saves_nothing(tmp_path):
    """Their newest version was an undo back to the imported labels: taken as the taker's own
    save, the post counted as corrected and the undo was reversed under another name."""
    home = tmp_path / "h"
    ensure_demo(home)
    pid = first_ids(home, 1)[0]
    bob = User("bob", Role.ANNOTATOR)
    d = annotate.editor_doc(home, pid, ANN).to_value()
    annotate.save_doc(home, {**d, "spans": [{"start": 0, "end": 1, "type": "MISC"}]}, "ann", ANN, [])
    stale = annotate.editor_doc(home, pid, bob).to_value()
    with open_store(home) as s:
        label_store.undo_newest(s, pid, "ann")
        undone = label_store.head(s, pid, "mner")
        corrected = label_store.progress(s, "demo", "test").corrected
    back, _ = annotate.save_doc(home, {**stale, "spans": [{"start": 0, "end": 1, "type": "LOC"}]}, "bob", bob, [])
    assert back.conflict is not None
    taken, msg = annotate.resolve_conflict(home, back.to_value(), "theirs", [], "bob", bob, [])
    assert msg.startswith(f"Took ann's undo (version {undone.version})") and taken.conflict is None
    with open_store(home) as s:
        assert label_store.head(s, pid, "mner").version == undone.version
        assert label_store.progress(s, "demo", "test").corrected == corrected


def test_labels_taken_as_one_s_own_still_count_for_who_made_them(demo_home):
    """ann1 corrected a post; ann2 took ann1's labels as theirs ("Take theirs"). ann1's progress
    read "0 by you · labels now by: ann2 (1)": the one who made them lost the credit."""
    pid = first_ids(demo_home, 9)[8]
    with open_store(demo_home) as s:
        made = label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "ORG"),), source="annotator", author="maker"),
                                label_store.head_version(s, pid, "mner"))
        label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "ORG"),), source="annotator", author="taker"),
                         made.version)
        pr = label_store.progress(s, "demo", "test")
        assert pid in _posts_of(s, "maker") and pr.by_author.get("maker", 0) >= 1 and pr.by_author.get("taker", 0) >= 1
        # the counts then add up to more than the posts corrected: said (they read as shares)
        line = annotate.progress_line(demo_home, get_post(s, pid), ANN)
        assert line.endswith("labels now by: " + ", ".join(f"{a} ({n})" for a, n in list(pr.by_author.items())[:4])
                             + " (a post whose labels one annotator saved and another confirmed counts for both)")
        # labels changed on top of them are the changer's alone
        label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="changer"),
                         label_store.head_version(s, pid, "mner"))
        after = label_store.progress(s, "demo", "test")
    assert after.by_author.get("maker", 0) == pr.by_author["maker"] - 1 and after.by_author.get("changer", 0) >= 1


def test_posts_one_saved_and_another_saved_over_still_count_as_one_s_work(demo_home):
    """ann1 saved 5 posts and read "5 by you"; after a lead settled 4 of them the line read
    "1 by you", which looked like work lost."""
    from cot_explorer.access import Role, User

    ann1 = User("ann1", Role.ANNOTATOR)
    pids = first_ids(demo_home, 3)
    with open_store(demo_home) as s:
        for pid in pids:
            label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "ORG"),), source="annotator", author="ann1"),
                             label_store.head_version(s, pid, "mner"))
        post = get_post(s, pids[0])
    assert " · 3 by you" in annotate.progress_line(demo_home, post, ann1)
    # a signed-in viewer saves nothing: no count of work by them (it read "0 by you")
    viewer_line = annotate.progress_line(demo_home, post, User("guest", Role.VIEWER))
    assert "by you" not in viewer_line and "labels now by: ann1 (3)" in viewer_line
    with open_store(demo_home) as s:
        for pid in pids[:2]:
            label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="lead"),
                             label_store.head_version(s, pid, "mner"))
    line = annotate.progress_line(demo_home, post, ann1)
    assert " · you saved 3, 1 of them still as you left them" in line and "lead (2)" in line
    with open_store(demo_home) as s:   # a save taken back by an undo is no longer one's work
        label_store.undo_newest(s, pids[2], "ann1")
    assert " · you saved 2, 0 of them still as you left them" in annotate.progress_line(demo_home, post, ann1)


def _posts_of(store, author: str) -> set[str]:
    return {pid for (pid,) in store.conn.execute("SELECT DISTINCT post_id FROM labels WHERE author = ?", (author,))}


def test_a_browser_new_to_annotate_opens_on_the_split_the_team_works_in(tmp_path):
    """A new annotator landed on the demo's split, not on the split the lead had imported for
    them: the newest import or annotator save, whichever came later, is where Annotate opens."""
    from cot_explorer.ui.common import dataset_splits, team_split
    from cot_explorer.uploads import UPLOAD_DATASET, UPLOAD_SPLIT, add_upload

    home = tmp_path / "home"
    ensure_demo(home)

    def labels():
        return [s.label for s in dataset_splits(home)]

    assert team_split(home, labels()) == labels()[0]          # nothing imported or saved: the first
    with open_store(home) as store:
        import_mnre(store, str(two_pair_mnre_file(tmp_path)), "lab", "valid")
    assert team_split(home, labels()) == "lab/valid"          # the lead's import
    ids = annotate.queue(home, "demo/test")
    doc = annotate.editor_doc(home, ids[0], ANN, ids).to_value()
    annotate.save_doc(home, {**doc, "spans": [{"start": 0, "end": 1, "type": "MISC"}]}, "ann", ANN, ids)
    assert team_split(home, labels()) == "demo/test"          # then a save elsewhere: the team is there
    with open_store(home) as store:                            # an upload corrected is one person's post
        post = add_upload(store, "Messi in Madrid")
        label_store.save(store, post.id, LabelSet("mner", spans=[Span(0, 1, "PER")], source="annotator",
                                                  author="ann"), label_store.head_version(store, post.id, "mner"))
    assert f"{UPLOAD_DATASET}/{UPLOAD_SPLIT}" in labels()
    assert team_split(home, labels()) == "demo/test"
    with open_store(home) as store:
        import_mnre(store, str(two_pair_mnre_file(tmp_path)), "lab", "test")
    assert team_split(home, labels()) == "lab/test"
    assert team_split(home, ["lab/valid", "demo/test"]) == "demo/test"   # a split gone since is passed over
    # times as stored texts of two tables: compared as instants ("2026-01-01 00:00:01" sorts before
    # "2026-01-01T00:00:00Z" as text, yet it is a second later)
    with open_store(home) as store:
        store.conn.execute("UPDATE labels SET created_at = '2026-01-01T00:00:00Z' WHERE source = 'annotator'")
        store.conn.execute("UPDATE imports SET created_at = '2026-01-01 00:00:01' WHERE dataset = 'lab'")
        store.conn.commit()
    assert team_split(home, labels()) == "lab/test"


def test_a_name_typed_in_other_capitals_or_spaces_is_the_same_annotator(tmp_path):
    """"Bob" typed once instead of "bob" made a second annotator: "labels now by: bob (13), Bob
    (1)", and agreement a pair "Bob · bob". A typed name is saved under the spelling this store
    first saw; names saved apart before are one person on reading too."""
    home = tmp_path / "h"
    ensure_demo(home)
    ids = first_ids(home, 3)
    local = User("local", Role.ADMIN)
    doc = annotate.editor_doc(home, ids[0], local, ids).to_value()
    annotate.save_doc(home, {**doc, "spans": [{"start": 0, "end": 1, "type": "PER"}]},
                      annotate._author(home, "bob", local), local, ids)
    assert annotate._author(home, "  Bob ", local) == "bob"
    assert annotate._author(home, "Alice  Smith", local) == "Alice Smith"   # new: as typed, spaces tidied
    assert annotate._author(home, "carol", ANN) == "ann"   # a signed-in user saves under their own name
    assert annotate.name_as_known(home, "BOB", local)["value"] == "bob"   # the box, once left, says so
    # saved apart before this (straight into the store, as the app did): read as one person
    with open_store(home) as s:
        for pid, who in ((ids[0], "Bob"), (ids[1], "Bob"), (ids[2], "alice")):
            label_store.save(s, pid, LabelSet("mner", (Span(0, 1, "LOC"),), source="annotator", author=who),
                             label_store.head_version(s, pid, "mner"))
        pr = label_store.progress(s, "demo", "test")
        assert pr.by_author == {"bob": 2, "alice": 1}
        both = label_store.labels_by_annotator(s)
        assert ids[0] not in both   # bob, then Bob: one annotator, no pair with themself
    rows, _ = annotate.agreement_rows(home)
    assert not any("Bob" in str(cell) for row in rows for cell in row)


def test_a_file_imported_once_per_annotator_gives_blind_agreement_split_against_split(tmp_path, data):
    """Agreement compared one annotator revising another's saved labels (the second starts from
    the first's): no honest figure of independent labels. One file imported once per annotator,
    each split corrected by its own, is compared split against split on the posts of the same words."""
    from cot_explorer.importer import import_twitter

    from .test_twitter_conll import first_posts_file

    home = tmp_path / "h"
    three = first_posts_file(data / "twitter2017/test.txt", tmp_path / "three.txt", 3)
    with open_store(home) as s:
        for who in ("alice", "bob"):
            import_twitter(s, str(three), "camp", who)
        ids = {who: [p for p in sorted(label_store.current_for_split(s, "camp", who, "mner"))] for who in ("alice", "bob")}
        for who in ("alice", "bob"):
            for i, pid in enumerate(ids[who][:2]):   # the third post is corrected by neither
                spans = (Span(0, 1, "PER"),) if who == "alice" or i == 0 else (Span(0, 1, "ORG"),)
                label_store.save(s, pid, LabelSet("mner", spans, source="annotator", author=who),
                                 label_store.head_version(s, pid, "mner"))
    rows, _ = annotate.agreement_rows(home)
    [blind] = [r for r in rows if r[0].endswith("(blind)")]
    assert blind[:4] == ["camp/alice × camp/bob (blind)", "alice · bob", 2, 50.0]
    assert not any(r[1] == "alice · bob" and not r[0].endswith("(blind)") for r in rows)   # no post both saved
