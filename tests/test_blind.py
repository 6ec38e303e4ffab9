"""Blind annotation inside one split: each signed-in annotator sees their own entity labels
(the imported ones until they save), never another's, and agreement compares labels made
apart. Before it, the second annotator of a split started from the first one's save, and the
only blind agreement was one import per annotator, split against split."""

from __future__ import annotations

import pytest

from cot_explorer.access import LOCAL_USER, PermissionDenied, Role, User
from cot_explorer.cli import main as cli
from cot_explorer.errors import ValidationError
from cot_explorer.importer import import_twitter
from cot_explorer.schema import LabelSet
from cot_explorer.store import blind as blind_store
from cot_explorer.store import labels as label_store
from cot_explorer.store import open_store
from cot_explorer.store.posts import get_post, list_posts
from cot_explorer.store.removal import remove_splits
from cot_explorer.ui import annotate, distill, errors_tab, explore, store_tab
from cot_explorer.ui.demo import ensure_demo

from .conftest import two_pair_mnre_file
from .test_twitter_conll import first_posts_file

ANN1, ANN2 = User("ann1", Role.ANNOTATOR), User("ann2", Role.ANNOTATOR)
ADMIN, LOCAL = User("adm", Role.ADMIN), User(LOCAL_USER, Role.ADMIN)


@pytest.fixture
def demo_home(home):
    ensure_demo(home)
    return home


def first_with_entities(home) -> tuple[str, list[dict]]:
    with open_store(home) as s:
        for post in list_posts(s, "demo", "test"):
            labels = label_store.current(s, post.id, "mner")
            if labels is not None and labels.spans:
                return post.id, [{"start": x.start, "end": x.end, "type": x.type} for x in labels.spans]
    raise AssertionError("no demo post with entities")


def import_twin(store, post, folder) -> None:
    """The post's words again, as the one post of split twin/a."""
    path = folder / "twin.txt"
    path.write_text("IMGID:twin\n" + "".join(f"{t}\tO\n" for t in post.tokens) + "\n", encoding="utf-8")
    import_twitter(store, str(path), "twin", "a")


def spans_of(doc) -> list[tuple]:
    return sorted((s["start"], s["end"], s["type"]) for s in (doc.saved if hasattr(doc, "saved") else doc["saved"]))


def test_who_may_make_a_split_blind_and_which_splits_can_be(demo_home, tmp_path, data, capsys):
    with pytest.raises(PermissionDenied):
        annotate.set_split_blind(demo_home, "demo/test", True, ANN1)
    with pytest.raises(ValidationError, match="needs people signed in"):
        annotate.set_split_blind(demo_home, "demo/test", True, LOCAL)
    with pytest.raises(ValidationError, match="entity pairs"):   # relations are not hidden
        annotate.set_split_blind(demo_home, "demo-mnre/test", True, ADMIN)
    with pytest.raises(ValidationError, match="no split"):
        annotate.set_split_blind(demo_home, "demo/nothing", True, ADMIN)
    assert annotate.set_split_blind(demo_home, "demo/test", True, ADMIN).startswith("demo/test is annotated blind now")
    assert "already" in annotate.set_split_blind(demo_home, "demo/test", True, ADMIN)
    assert annotate.split_is_blind(demo_home, "demo/test") and not annotate.split_is_blind(demo_home, "demo/valid")
    # the one local user may open it again (a store made blind under sign-in, opened without)
    opened = annotate.set_split_blind(demo_home, "demo/test", False, LOCAL)
    assert opened.startswith("demo/test is open again") and "labelled apart while it was blind" in opened
    assert not annotate.split_is_blind(demo_home, "demo/test")
    # from a terminal too, and a split removed takes its blindness with it
    mine = first_posts_file(data / "twitter2017/test.txt", tmp_path / "mine.txt", 5)
    assert cli(["--home", str(demo_home), "import", "twitter", str(mine), "--dataset", "mine", "--split", "a"]) == 0
    capsys.readouterr()
    assert cli(["--home", str(demo_home), "blind", "on", "--dataset", "mine", "--split", "a"]) == 0
    # who sees every label: users set in the environment are users too (it named a users file only)
    assert "with no users set in COT_EXPLORER_USERS or a users file" in capsys.readouterr().out
    assert cli(["--home", str(demo_home), "blind", "off", "--dataset", "mine", "--split", "a"]) == 0
    assert "keeps what its annotators labelled apart while it was blind" in capsys.readouterr().out
    assert cli(["--home", str(demo_home), "blind", "on", "--dataset", "mine", "--split", "a"]) == 0
    with open_store(demo_home) as s:
        assert blind_store.blind_splits(s) == {("mine", "a")}
        remove_splits(s, "mine", "a", lambda gone: None)
        assert blind_store.blind_splits(s) == set()
    assert cli(["--home", str(demo_home), "blind", "on", "--dataset", "demo"]) == 2   # which split: said
    mnre = two_pair_mnre_file(tmp_path)
    assert cli(["--home", str(demo_home), "import", "mnre", str(mnre), "--dataset", "pairs", "--split", "test"]) == 0
    assert cli(["--home", str(demo_home), "blind", "on", "--dataset", "pairs", "--split", "test"]) == 2


def test_in_a_blind_split_each_annotator_sees_and_saves_their_own_labels(demo_home, tmp_path):
    home = demo_home
    pid, imported = first_with_entities(home)
    with open_store(home) as s:
        post = get_post(s, pid)
        # two saves of another post before the split was blind: the second was made seeing the first
        other = next(p.id for p in list_posts(s, "demo", "test") if p.id != pid)
        for who in ("early1", "early2"):
            label_store.save(s, other, LabelSet("mner", (), source="annotator", author=who),
                             label_store.head_version(s, other, "mner"))
    annotate.set_split_blind(home, "demo/test", True, ADMIN)

    # ann1 takes every entity away and saves
    doc1 = annotate.editor_doc(home, pid, ANN1, [pid]).to_value()
    assert spans_of(doc1) == sorted((d["start"], d["end"], d["type"]) for d in imported) and doc1["blind_of"] == "ann1"
    doc1["spans"] = []
    _, said = annotate.save_doc(home, doc1, "ann1", ANN1, [pid])
    assert said.startswith("Saved version") and "blind" in said

    # ann2, opening it after that save, sees the imported labels: not ann1's, nor their name
    doc2 = annotate.editor_doc(home, pid, ANN2, [pid])
    assert spans_of(doc2) == spans_of(doc1) and doc2.undo_of is None
    assert not any(row[3] == "ann1" for row in annotate.history_rows(home, pid, doc2.blind_of))
    # a viewer saves nothing: no "0 of … saved by you"
    viewer_line = annotate.progress_line(home, post, User("v", Role.VIEWER))
    assert "by you" not in viewer_line and "you see the labels it was imported with" in viewer_line
    line = annotate.progress_line(home, post, ANN2)
    assert "ann1" not in line and "is annotated blind: 0 of" in line and "you see only your own labels" in line
    assert "ann2" not in annotate.progress_line(home, post, ANN1) and "1 of" in annotate.progress_line(home, post, ANN1)
    # ann2 confirms them: on top of ann1's save, which is no conflict (neither sees the other's)
    _, said = annotate.save_doc(home, doc2.to_value(), "ann2", ANN2, [pid])
    assert said.startswith("Confirmed the imported labels unchanged as version")
    assert spans_of(annotate.editor_doc(home, pid, ANN1, [pid])) == []     # ann1's own, still
    assert spans_of(annotate.editor_doc(home, pid, ADMIN, [pid])) == spans_of(doc1)   # an admin annotates blind too
    # saved again unchanged: nothing saved
    _, said = annotate.save_doc(home, annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), "ann2", ANN2, [pid])
    assert said.startswith("Nothing changed since your version")

    # ann1's undo would take back ann2's save, the newest: refused; ann2 may take back their own
    with pytest.raises(ValidationError, match="blind split"):
        annotate.step_history(home, annotate.editor_doc(home, pid, ANN1, [pid]).to_value(), False, "ann1", ANN1, [pid])
    annotate.step_history(home, annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), False, "ann2", ANN2, [pid])
    with open_store(home) as s:
        assert blind_store.seen_by(s, pid, "ann2").own is False        # back to the imported labels
        assert blind_store.seen_by(s, pid, "ann1").labels.spans == ()  # ann1's save stands
    annotate.step_history(home, annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), True, "ann2", ANN2, [pid])

    # the queue's filters read each one's own labels
    assert pid not in annotate.queue(home, "demo/test", not_corrected=True, seen_by="ann2")
    assert pid in annotate.queue(home, "demo/test", not_corrected=True, seen_by="ann3")   # saved nothing yet
    assert pid not in annotate.queue(home, "demo/test", type_filter=imported[0]["type"], seen_by="ann1")
    assert pid in annotate.queue(home, "demo/test", type_filter=imported[0]["type"], seen_by="ann2")

    # agreement: the split's own row, to an admin; the annotators see none of it
    rows, disagreed = annotate.agreement_rows(home)
    blind_row = next(r for r in rows if r[0] == "demo/test (blind)")
    assert blind_row[1] == "ann1 · ann2" and blind_row[2] == 1 and pid in [p for _, p in disagreed]
    assert not any("early1" in r[1] for r in rows if r[0] == "demo/test (blind)")   # saved before it was blind
    # a twin of the post in another split (the file imported once more) is compared with it: the
    # blind split's side of that too is an admin's (it named ann2 and how far alice agreed with them)
    with open_store(home) as s:
        import_twin(s, post, tmp_path)
        twin = next(p.id for p in list_posts(s, "twin", "a") if p.tokens == post.tokens)
        label_store.save(s, twin, LabelSet("mner", (), source="annotator", author="alice"),
                         label_store.head_version(s, twin, "mner"))
    assert any(r[0] == "demo/test × twin/a (blind)" for r in annotate.agreement_rows(home)[0])
    rows, disagreed = annotate.agreement_rows(home, with_blind=False)
    assert not any("demo/test" in r[0] for r in rows) and pid not in [p for _, p in disagreed]
    assert annotate.annotators_said(home, pid, ANN2) == ""
    assert "**ann1**" in annotate.annotators_said(home, pid, ADMIN)

    # Explore shows an annotator their own labels; Errors is an admin's while the split is blind
    # (named as theirs: "Current (gold)" over one's own labels read as the post's current ones)
    assert "Your labels (blind split)" in explore.explore(home, pid, ANN1).rows
    assert "Current (annotator:" not in explore.explore(home, pid, ANN1).rows
    assert "Current (annotator: ann2)" in explore.explore(home, pid, ADMIN).rows
    other = next(p.id for p in annotate_posts(home) if p.id != pid)   # one ann1 has not saved
    assert "The imported labels (blind split: yours once you save)" in explore.explore(home, other, ANN1).rows
    with pytest.raises(ValidationError, match="annotated blind"):
        errors_tab.refuse_blind(home, "demo/test", ANN1)
    errors_tab.refuse_blind(home, "demo/test", ADMIN)

    # opened again: everyone sees the newest save, ann2's
    annotate.set_split_blind(home, "demo/test", False, ADMIN)
    doc = annotate.editor_doc(home, pid, ANN1, [pid])
    assert doc.blind_of is None and spans_of(doc) == spans_of(doc2)
    assert "Current (annotator: ann2)" in explore.explore(home, pid, ANN1).rows


def test_in_a_blind_split_a_stale_tab_s_save_meets_one_s_own_newer_save_as_a_conflict(demo_home):
    """ann1 saved a post in one tab, then saved other edits from a second tab drawn before: the
    second save replaced the first without a word (in a blind split another annotator's save is
    no conflict, and one's own was treated alike)."""
    home = demo_home
    pid, imported = first_with_entities(home)
    annotate.set_split_blind(home, "demo/test", True, ADMIN)
    tab_a = annotate.editor_doc(home, pid, ANN1, [pid]).to_value()
    tab_b = annotate.editor_doc(home, pid, ANN1, [pid]).to_value()
    annotate.save_doc(home, {**tab_a, "spans": []}, "ann1", ANN1, [pid])   # tab A: every entity taken away
    with open_store(home) as s:
        first = blind_store.seen_by(s, pid, "ann1").version
    # ann2 saves meanwhile: no conflict for anyone (unseen)
    annotate.save_doc(home, {**annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), "spans": imported[:1]},
                      "ann2", ANN2, [pid])
    # tab B, drawn before tab A's save: its edit meets that save as a conflict, not saved over it
    mine = imported[:1] + [{"start": imported[0]["end"], "end": imported[0]["end"] + 1, "type": "MISC"}] \
        if imported[0]["end"] < len(get_tokens(home, pid)) else imported[:1]
    back, said = annotate.save_doc(home, {**tab_b, "spans": mine}, "ann1", ANN1, [pid])
    assert said.startswith("**Conflict:** you saved this post in another tab or browser (version")
    assert back.conflict["own"] and back.conflict["their_version"] == first
    with open_store(home) as s:
        assert blind_store.seen_by(s, pid, "ann1").version == first   # tab A's save stands
    # kept as tab B has it, on top of the post's newest version (ann2's: no conflict with them)
    kept, said = annotate.resolve_conflict(home, back.to_value(), "mine", [], "ann1", ANN1, [pid])
    assert said.startswith("Kept this tab's version as version") and spans_of(kept) == sorted(
        (d["start"], d["end"], d["type"]) for d in mine)
    with open_store(home) as s:   # ann2's own labels are theirs still
        assert [(x.start, x.end, x.type) for x in blind_store.seen_by(s, pid, "ann2").labels.spans] == [
            (d["start"], d["end"], d["type"]) for d in imported[:1]]
    # a tab with no edits, drawn before: nothing saved over the newer save, and said so
    stale = {**tab_b, "spans": tab_b["saved"]}
    _, said = annotate.save_doc(home, stale, "ann1", ANN1, [pid])
    assert said.startswith("You saved this post in another tab or browser")


def test_an_admin_s_error_row_on_a_blind_split_says_whose_labels_it_scored(demo_home):
    """lead opened an Errors row of a blind split: the editor showed his own view (no "sun"),
    and the row said "the labels have changed since this analysis", which they had not, and
    which Analyse did not mend."""
    home = demo_home
    pid, imported = first_with_entities(home)
    annotate.set_split_blind(home, "demo/test", True, ADMIN)
    n = len(get_tokens(home, pid))
    extra = next(i for i in range(n) if not any(d["start"] <= i < d["end"] for d in imported))
    theirs = imported + [{"start": extra, "end": extra + 1, "type": "MISC"}]
    annotate.save_doc(home, {**annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), "spans": theirs}, "ann2", ANN2, [pid])
    missed = {"said": "missed: x (MISC) in the labels; mner-default predicted nothing there", "gold": [extra, extra + 1, "MISC"]}
    shown = annotate.editor_doc(home, pid, ADMIN, [pid], focus_error=missed)
    assert shown.focus_error.said == missed["said"] + (
        " (the split is annotated blind: the analysis scored the newest save of each post, ann2's here; the editor "
        "shows your own labels)")
    assert (extra, extra + 1, "MISC") not in spans_of(shown)   # his own view, as before
    annotate.set_split_blind(home, "demo/test", False, ADMIN)
    assert annotate.editor_doc(home, pid, ADMIN, [pid], focus_error=missed).focus_error.said == missed["said"]


def annotate_posts(home):
    with open_store(home) as s:
        return list_posts(s, "demo", "test")


def get_tokens(home, pid):
    with open_store(home) as s:
        return get_post(s, pid).tokens


def test_a_split_that_is_not_blind_is_as_before(demo_home):
    """The second annotator starts from the first one's save, and the one local user, even in a
    blind split, sees every label (there is no telling annotators apart)."""
    pid, _ = first_with_entities(demo_home)
    doc = annotate.editor_doc(demo_home, pid, ANN1, [pid]).to_value()
    doc["spans"] = []
    annotate.save_doc(demo_home, doc, "ann1", ANN1, [pid])
    assert spans_of(annotate.editor_doc(demo_home, pid, ANN2, [pid])) == []
    annotate.set_split_blind(demo_home, "demo/test", True, ADMIN)
    local = annotate.editor_doc(demo_home, pid, LOCAL, [pid])
    assert local.blind_of is None and spans_of(local) == []


def test_a_round_s_fixed_or_broke_rows_on_a_blind_split_are_an_admin_s(demo_home):
    """The Distill report's table named, post by post, the entities a round got right or wrong
    against the newest save: on a blind split that told an annotator another one's labels."""
    pid, imported = first_with_entities(demo_home)
    gold = imported[0]
    result = {"task": "mner", "changes": [{"post_id": pid, "fixed": [gold], "broke": [],
                                           "gone_spurious": [], "new_spurious": []}]}
    annotate.set_split_blind(demo_home, "demo/test", True, ADMIN)
    (row,) = distill.change_rows(demo_home, result, ANN1)
    assert row[0] == pid and "annotated blind" in row[1] and f"/{gold['type']}" not in row[1] + row[2]
    (row,) = distill.change_rows(demo_home, result, ADMIN)
    assert row[1].endswith(f"/{gold['type']}")
    annotate.set_split_blind(demo_home, "demo/test", False, ADMIN)
    (row,) = distill.change_rows(demo_home, result, ANN1)
    assert row[1].endswith(f"/{gold['type']}")



def save_as(home, pid: str, user: User, types: list[str]) -> None:
    """`user`'s save of `pid`: its first words, one word each, of `types`."""
    doc = annotate.editor_doc(home, pid, user, [pid]).to_value()
    doc["spans"] = [{"start": i, "end": i + 1, "type": t} for i, t in enumerate(types[:len(doc["tokens"])])]
    return annotate.save_doc(home, doc, user.name, user, [pid])[1]


def test_errors_says_a_split_is_blind_and_how_many_posts_its_annotators_saved_differently(demo_home):
    """Errors read as of one agreed set of labels: on a blind split a corrected post's gold is
    whoever saved it last, and two annotators' differing saves of a post were said nowhere but
    in the agreement table."""
    home = demo_home
    annotate.set_split_blind(home, "demo/test", True, ADMIN)
    with open_store(home) as s:
        differ, agree, alone, checked = [p.id for p in list_posts(s, "demo", "test")][:4]
    save_as(home, differ, ANN1, ["PER"])
    save_as(home, differ, ANN2, ["LOC"])
    for user in (ANN1, ANN2):
        save_as(home, agree, user, ["PER", "ORG"])
    save_as(home, alone, ANN1, ["MISC"])
    doc = annotate.editor_doc(home, checked, ANN2, [checked]).to_value()   # saved as imported: confirmed
    assert annotate.save_doc(home, doc, "ann2", ANN2, [checked])[1].startswith("Confirmed the imported labels")
    def unsettled(split="test"):
        with open_store(home) as s:
            return blind_store.unsettled_posts(s, "demo", split)

    assert unsettled() == unsettled(None) == {differ} and unsettled("other") == set()
    said = errors_tab.gold_said(errors_tab.error_analysis(home, "demo/test"))
    assert ("This split is annotated blind: a corrected post's gold is its newest save, whoever made it; **its "
            "annotators saved 1 post differently, not settled yet**") in said
    # a save that confirmed the labels is said apart ("6 corrected" read as six changed, where two were not)
    assert "(4 posts of this split corrected, 1 of them confirmed as they were imported)." in said
    # the Store tab's table says so too, and to an annotator of the blind split counts none of others' work
    def corrected_cell(user):
        return next(r[-1] for r in store_tab.store_now(home, user)[0] if r[:2] == ["demo", "test"])

    assert corrected_cell(ADMIN) == "4 (1 confirmed as imported)"
    assert corrected_cell(ANN1) == "blind: yours in Annotate"
    with open_store(home) as s:
        post = get_post(s, differ)
    # said to a lead at the post itself, not only in Errors' count
    disagree = "Annotators disagree on this post and no save has settled it since: its current labels are ann2's"
    assert disagree in annotate.progress_line(home, post, ADMIN)
    assert "disagree" not in annotate.progress_line(home, post, ANN1)
    # a lead settles it (each one's labels read in the agreement panel): told it is the post's
    # current labels now, not "unseen by you" of what the panel had just shown
    said = save_as(home, differ, ADMIN, ["ORG"])
    assert said.endswith(": your labels of this post are its current ones now (what Errors scores and a round "
                         "learns); its annotators, blind, do not see them.")
    assert unsettled() == set()
    with open_store(home) as s:
        post = get_post(s, differ)
    assert "each annotator's labels of a disagreement are in the agreement panel below, for admins" in (
        annotate.progress_line(home, post, ADMIN))
    assert "disagree on this post" not in annotate.progress_line(home, post, ADMIN)
    assert "never another annotator's" in annotate.progress_line(home, post, ANN1)
    said = errors_tab.gold_said(errors_tab.error_analysis(home, "demo/test"))
    assert said.endswith("This split is annotated blind: a corrected post's gold is its newest save, whoever made it.")
    save_as(home, differ, ANN2, ["MISC"])   # one of those who disagreed saves over the settling: open again
    assert unsettled() == {differ}
    assert disagree in annotate.progress_line(home, post, ADMIN)   # the lead opening it again reads so
    # and settles it again with the labels they saved before, unchanged in their editor ("Nothing
    # changed since your version N: nothing saved" left ann2's labels current)
    doc = annotate.editor_doc(home, differ, ADMIN, [differ]).to_value()
    said = annotate.save_doc(home, doc, "adm", ADMIN, [differ])[1]
    assert said.startswith("Saved version") and unsettled() == set()
    assert annotate.save_doc(home, annotate.editor_doc(home, differ, ADMIN, [differ]).to_value(), "adm", ADMIN,
                             [differ])[1].startswith("Nothing changed since your version")   # current already
    save_as(home, differ, ANN1, ["MISC"])   # and then agreed after all: settled, the lead's older save aside
    assert unsettled() == set()
    save_as(home, differ, ADMIN, ["MISC"])
    assert unsettled() == set()
    annotate.set_split_blind(home, "demo/test", False, ADMIN)   # open again: one chain of saves, as before
    assert "blind" not in errors_tab.gold_said(errors_tab.error_analysis(home, "demo/test"))


def test_a_round_s_plan_says_its_corrections_of_a_blind_split_are_the_newest_saves(home):
    """Distill's plan read as of one agreed set of labels: a round learns each corrected post's
    newest save, and on a blind split two annotators' differing saves went unsaid."""
    from cot_explorer.paths import twitter_file
    from cot_explorer.store.heldout import fix_heldout

    with open_store(home) as s:
        import_twitter(s, str(twitter_file("twitter2017", "valid")), "apart17", "valid")
        ids = [p.id for p in list_posts(s, "apart17", "valid")]
        fix_heldout(s, "apart17", ids[-100:], "sample")
    differ, agree = ids[:2]
    annotate.set_split_blind(home, "apart17/valid", True, ADMIN)
    assert "annotated blind" not in distill.plan_view(home, "apart17", None, 1.0).text   # nothing corrected yet
    save_as(home, differ, ANN1, ["PER"])
    save_as(home, differ, ANN2, ["LOC"])
    for user in (ANN1, ANN2):
        save_as(home, agree, user, ["PER"])
    plan = distill.plan_view(home, "apart17", None, 1.0)
    assert plan.possible and ("apart17/valid is annotated blind: a corrected post is learnt as its newest save, "
                              "whoever made it; **its annotators saved 1 of these training posts differently, not "
                              "settled yet**") in plan.text
    annotate.set_split_blind(home, "apart17/valid", False, ADMIN)
    assert "blind" not in distill.plan_view(home, "apart17", None, 1.0).text


def test_a_lead_puts_one_annotator_s_labels_in_the_editor_to_settle_a_disagreement(demo_home):
    """In a blind split a lead's editor shows the lead's own labels: settling a disagreement
    meant reading an annotator's version in the agreement panel and typing it again."""
    home = demo_home
    annotate.set_split_blind(home, "demo/test", True, ADMIN)
    with open_store(home) as s:
        pid, alone = [p.id for p in list_posts(s, "demo", "test")][:2]
    save_as(home, pid, ANN1, ["PER"])
    save_as(home, pid, ANN2, ["LOC"])
    save_as(home, alone, ANN1, ["MISC"])
    with open_store(home) as s:
        ann1 = sorted((x.start, x.end, x.type) for x in blind_store.seen_by(s, pid, "ann1").labels.spans)
    assert annotate.annotators_to_take(home, pid, ADMIN) == ["ann1", "ann2"]
    assert annotate.annotators_to_take(home, pid, ANN2) == []   # blind: not theirs to read
    assert annotate.annotators_to_take(home, alone, ADMIN) == []   # nothing to settle
    doc = annotate.editor_doc(home, pid, ADMIN, [pid], rev=3).to_value()
    value, said = annotate.take_labels(home, doc, "ann1", ADMIN)
    # in the editor, unsaved, against the lead's own version (a save goes through the usual checks)
    assert sorted((x["start"], x["end"], x["type"]) for x in value["spans"]) == ann1 != spans_of(value)
    assert value["took"] == "ann1" and value["rev"] == 4 and value["base_version"] == doc["base_version"]
    assert said.startswith("Put ann1's labels (version ") and "u goes back" in said
    assert value["note"].startswith("ann1's labels, not saved: check them") and value["reveal"]
    with pytest.raises(ValidationError, match="annotated blind: each annotator's labels of its posts are for admins"):
        annotate.take_labels(home, annotate.editor_doc(home, pid, ANN2, [pid]).to_value(), "ann1", ANN2)
    with pytest.raises(ValidationError, match="ann3 has no labels of this post"):
        annotate.take_labels(home, doc, "ann3", ADMIN)
    with pytest.raises(ValidationError, match="settle the conflict on show first"):
        annotate.take_labels(home, {**doc, "conflict": {"by": "ann2"}}, "ann1", ADMIN)
    # saved, it settles the post with ann1's labels
    _, said = annotate.save_doc(home, value, "adm", ADMIN, [pid])
    with open_store(home) as s:
        now = label_store.head(s, pid, "mner")
        assert blind_store.unsettled_posts(s, "demo") == set()
    assert now.author == "adm" and sorted((x.start, x.end, x.type) for x in now.labels.spans) == ann1
    # the list of disagreements marks it settled (it listed every post as before, none marked)
    listed = dict((p, label) for label, p in annotate.agreement_rows(home)[1])
    assert " · settled: now adm's (newest save) · " in listed[pid]
    save_as(home, pid, ANN2, ["MISC"])   # reopened
    assert " · not settled: now ann2's (newest save) · " in dict(
        (p, label) for label, p in annotate.agreement_rows(home)[1])[pid]
    save_as(home, pid, ADMIN, [])   # and settled again
    value = annotate.take_labels(home, annotate.editor_doc(home, pid, ADMIN, [pid]).to_value(), "ann1", ADMIN)[0]
    annotate.save_doc(home, value, "adm", ADMIN, [pid])
    # said as the settling it is, and what "not all of them gave" is of those who labelled it apart
    said = annotate.annotators_said(home, pid, ADMIN)
    assert "**adm** (version " in said and ", settling)" in said and "in bold: what not all of them gave" in said
    # the lead's settling save is no third annotator's labels made apart ("all 3 annotators", "ann1 · adm")
    rows = [r for r in annotate.agreement_rows(home)[0] if r[0] == "demo/test (blind)"]
    assert [r[1] for r in rows] == ["ann1 · ann2"], rows
    again, said = annotate.take_labels(home, annotate.editor_doc(home, pid, ADMIN, [pid]).to_value(), "ann1", ADMIN)
    assert said == "ann1's labels are the ones on show already: Save to settle the post with them."


def test_labels_made_apart_stay_so_when_the_split_is_opened_and_made_blind_again(demo_home, capsys):
    """Agreement and the unsettled count read the saves made since the latest `blind on`: made
    blind a second time, the first time's saves were dropped ("No post has been saved by two
    or more annotators yet"); opened, its row lost "(blind)" and a save made seeing the other's
    labels moved the figure."""
    home = demo_home
    annotate.set_split_blind(home, "demo/test", True, ADMIN)
    with open_store(home) as s:
        pid = next(p.id for p in list_posts(s, "demo", "test"))
    save_as(home, pid, ANN1, ["PER"])
    save_as(home, pid, ANN2, ["LOC"])

    def blind_row():
        return [r[1:3] for r in annotate.agreement_rows(home)[0] if r[0] == "demo/test (blind)"]

    def unsettled():
        with open_store(home) as s:
            return blind_store.unsettled_posts(s, "demo", "test")

    assert blind_row() == [["ann1 · ann2", 1]] and unsettled() == {pid}
    opened = annotate.set_split_blind(home, "demo/test", False, ADMIN)
    assert "**1 post its annotators saved differently was not settled**: its current labels are whoever" in opened
    assert blind_row() == [["ann1 · ann2", 1]]   # opened: still the labels they made apart
    assert pid in [p for _, p in annotate.agreement_rows(home, with_blind=False)[1]]   # no longer hidden
    save_as(home, pid, ANN1, ["LOC"])   # seeing ann2's labels: not agreement of labels made apart
    assert blind_row() == [["ann1 · ann2", 1]]
    assert not any(r[0] == "demo" for r in annotate.agreement_rows(home)[0])
    annotate.set_split_blind(home, "demo/test", True, ADMIN)   # blind once more
    assert blind_row() == [["ann1 · ann2", 1]]
    assert unsettled() == set()   # ann1's save in the open, seeing ann2's labels, settled it
    save_as(home, pid, ANN2, ["MISC"])   # ann2, blind again, saves otherwise: the first time's ann1 against it
    assert blind_row() == [["ann1 · ann2", 1]] and unsettled() == {pid}
    capsys.readouterr()
    assert cli(["--home", str(home), "blind", "off", "--dataset", "demo", "--split", "test"]) == 0
    assert "1 post(s) its annotators saved differently were not settled" in capsys.readouterr().out
