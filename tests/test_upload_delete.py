"""Deleting an upload: everything stored about it goes (its image file too where no other
post shows it) and nothing else; what it takes is said first; what others put into it (saved
labels, paid teacher answers, a place in a held-out set) is not dropped by an annotator;
never while the teacher is being asked about it; imported posts cannot be deleted. Real
SQLite files and image files."""

import pytest

from cot_explorer.errors import ValidationError
from cot_explorer.labels import mner_schema_for
from cot_explorer.schema import LabelSet, Post, Span, TeacherOutput
from cot_explorer.store import labels as label_store
from cot_explorer.store.heldout import fix_heldout
from cot_explorer.store.images import image_path
from cot_explorer.store.model_versions import upsert_version
from cot_explorer.store.posts import add_posts, ensure_dataset, get_post
from cot_explorer.store.predictions import cached_spans, put_spans
from cot_explorer.store.teacher_outputs import add_outputs, outputs_for_post
from cot_explorer.store.teacher_requests import begin_request, finish_request
from cot_explorer.uploads import add_upload, delete_upload, footprint_sentence, upload_footprint

from .test_images import png_bytes


def rows(store, table: str, post_id: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM {table} WHERE post_id = ?", (post_id,)).fetchone()[0]


def a_version(store, name="v1"):
    upsert_version(store, name=name, task="mner", variant="text", path="/nowhere", backbone="b",
                   parent=None, manifest={}, created_at="2026-01-01T00:00:00+00:00")


def test_an_upload_goes_with_everything_about_it_and_nothing_else(store):
    post = add_upload(store, "Obama visits Paris", png_bytes(), "paris.png")
    other = add_upload(store, "Macron in Berlin", png_bytes(color=(1, 2, 3)), "berlin.png")
    file = image_path(store, post.image_sha256)
    # saves, an undo and a redo (labels that name each other), a prediction, an answer, a held-out place
    label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="ann"), None)
    v2 = label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"), Span(2, 3, "LOC")),
                                                   source="annotator", author="ann"), 1)
    label_store.undo(store, post.id, "mner", v2.version, "ann")
    label_store.redo(store, post.id, "mner", label_store.head_version(store, post.id, "mner"), "ann")
    a_version(store)
    put_spans(store, "v1", [(post.id, [(0, 1, "PER", 0.9)]), (other.id, [(0, 1, "PER", 0.8)])])
    add_outputs(store, [(p, TeacherOutput(p.id, "claude", "m", "v1", "cot", "A person.")) for p in (post, other)])
    fix_heldout(store, "uploads", [post.id, other.id], "test")
    asked, _ = begin_request(store, "ann", post.id, "2000-01-01", "2000-01-01", per_hour=100, daily_usd=1.0)
    finish_request(store, asked, ok=True, cost_usd=0.01)
    before = upload_footprint(store, post.id)
    assert (before.label_versions, before.teacher_answers, before.predictions, before.held_out) == (4, 1, 1, True)
    assert footprint_sentence(before) == ("4 saved label versions (by ann), 1 teacher answer, 1 cached prediction, its "
                                          "place in the uploads' held-out set (rounds are scored on it) and its image")
    with pytest.raises(ValidationError, match="saved labels and teacher answers and a place in the held-out set"):
        delete_upload(store, post.id, may_drop_work=False)
    assert get_post(store, post.id) is not None and file.exists()

    assert delete_upload(store, post.id, may_drop_work=True) == before
    assert get_post(store, post.id) is None and not file.exists()
    for table in ("labels", "teacher_outputs", "predictions", "heldout_posts"):
        assert rows(store, table, post.id) == 0, table
    assert image_path(store, post.image_sha256) is None and outputs_for_post(store, post.id) == []
    assert rows(store, "teacher_requests", post.id) == 1   # who asked, and what it cost, stays: the cap counts it
    # the other upload keeps all of its own
    assert get_post(store, other.id) is not None and image_path(store, other.image_sha256).exists()
    assert cached_spans(store, "v1", [other.id]) and rows(store, "teacher_outputs", other.id) == 1
    assert rows(store, "heldout_posts", other.id) == 1
    # the same upload again is a new post, with nothing of the old one, and its image back
    again = add_upload(store, "Obama visits Paris", png_bytes(), "paris.png")
    assert again.id == post.id and label_store.current(store, again.id, "mner") is None
    assert image_path(store, again.image_sha256).exists()


def test_an_annotator_deletes_only_an_upload_nobody_worked_on(store):
    post = add_upload(store, "Messi in Barcelona")
    label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="bob"), None)
    with pytest.raises(ValidationError, match=r"saved labels \(1 saved label version \(by bob\).*only an admin"):
        delete_upload(store, post.id, may_drop_work=False)
    assert get_post(store, post.id) is not None and rows(store, "labels", post.id) == 1
    answered = add_upload(store, "Ronaldo in Turin")
    add_outputs(store, [(answered, TeacherOutput(answered.id, "claude", "m", "v1", "cot", "A person."))])
    with pytest.raises(ValidationError, match="teacher answers"):   # paid for: asking again costs again
        delete_upload(store, answered.id, may_drop_work=False)
    bare = add_upload(store, "Neymar in Paris")
    assert footprint_sentence(delete_upload(store, bare.id, may_drop_work=False)).startswith("no saved label versions")
    assert get_post(store, bare.id) is None


def test_never_while_the_teacher_is_being_asked_about_it(store):
    post = add_upload(store, "Obama visits Paris")
    asked, _ = begin_request(store, "ann", post.id, "2000-01-01", "2000-01-01", per_hour=100, daily_usd=1.0)
    with pytest.raises(ValidationError, match="being asked about"):
        delete_upload(store, post.id, may_drop_work=True)
    finish_request(store, asked, ok=False, cost_usd=0.0)
    delete_upload(store, post.id, may_drop_work=True)
    assert get_post(store, post.id) is None
    # a request left pending by a process that died long ago does not hold a post forever
    stale = add_upload(store, "Macron in Berlin")
    begin_request(store, "ann", stale.id, "2000-01-01", "2000-01-01", per_hour=100, daily_usd=1.0)
    store.conn.execute("UPDATE teacher_requests SET created_at = '2020-01-01T00:00:00.000000+00:00' "
                       "WHERE post_id = ?", (stale.id,))
    store.conn.commit()
    delete_upload(store, stale.id, may_drop_work=True)
    assert get_post(store, stale.id) is None


def test_an_image_another_post_shows_stays(store):
    one = add_upload(store, "first text", png_bytes(), "a.png")
    two = add_upload(store, "second text", png_bytes(), "a.png")
    assert one.image_sha256 == two.image_sha256
    assert footprint_sentence(upload_footprint(store, one.id)).endswith(
        "no cached predictions; the image stays (another post shows it)")
    delete_upload(store, one.id, may_drop_work=False)
    assert image_path(store, two.image_sha256).exists()
    assert not upload_footprint(store, two.id).image_shared
    delete_upload(store, two.id, may_drop_work=False)
    assert image_path(store, two.image_sha256) is None


def test_an_upload_of_the_picture_being_deleted_keeps_its_file(store, monkeypatch):
    """The upload wrote (or found) the file before its transaction; a deletion of the same
    picture committed in between: the upload's own transaction writes the file again."""
    import cot_explorer.uploads as uploads

    gone = add_upload(store, "to be deleted", png_bytes(), "a.png")
    real_write = uploads.write_image_file

    def write_then_deleted_meanwhile(s, image):
        created = real_write(s, image)               # the file is there (it already was)
        delete_upload(store, gone.id, may_drop_work=True)   # another tab deletes the old post
        return created

    monkeypatch.setattr(uploads, "write_image_file", write_then_deleted_meanwhile)
    kept = add_upload(store, "a new text, same picture", png_bytes(), "a.png")
    assert get_post(store, gone.id) is None
    assert image_path(store, kept.image_sha256) is not None and image_path(store, kept.image_sha256).exists()


def test_imported_posts_and_unknown_ids_are_refused(store):
    ensure_dataset(store, "demo", mner_schema_for("twitter2017"))
    add_posts(store, [Post(id="demo/test/1", text="Obama", tokens=("Obama",), offsets=((0, 5),), dataset="demo",
                           split="test", source="file.txt", position=0)])
    with pytest.raises(ValidationError, match="only uploads can be deleted"):
        delete_upload(store, "demo/test/1", may_drop_work=True)
    assert get_post(store, "demo/test/1") is not None
    with pytest.raises(ValidationError, match="deleted already"):
        delete_upload(store, "uploads/user/nope", may_drop_work=True)


def test_the_question_quotes_the_post_as_typed(home):
    """Markdown in a tweet (`*`, `_`, a backtick) turned the question bold or into code, and
    its id alone did not say which post goes."""
    from cot_explorer.store import open_store
    from cot_explorer.ui.explore import delete_question

    text = "RT *big* news_from_ `Paris` <b>today</b> " + "x" * 60
    with open_store(home) as s:
        post = add_upload(s, text)
    question = delete_question(home, post.id)
    assert question.startswith("Delete the upload “RT \\*big\\* news\\_from\\_ \\`Paris\\` &lt;b&gt;today&lt;/b&gt; xxx")
    assert "xxx…” (`uploads/" in question and "This cannot be undone." in question
