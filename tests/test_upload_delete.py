"""Deleting an upload: everything stored about it goes (its image file too where no other
post shows it), what it takes is said first, someone's saved labels are not dropped by an
annotator, and imported posts cannot be deleted. Real SQLite files and image files."""

import pytest

from cot_explorer.errors import ValidationError
from cot_explorer.labels import mner_schema_for
from cot_explorer.schema import LabelSet, Post, Span, TeacherOutput
from cot_explorer.store import labels as label_store
from cot_explorer.store.images import image_path
from cot_explorer.store.posts import add_posts, ensure_dataset, get_post
from cot_explorer.store.teacher_outputs import add_outputs, outputs_for_post
from cot_explorer.store.teacher_requests import begin_request
from cot_explorer.uploads import add_upload, delete_upload, upload_footprint

from .test_images import png_bytes


def rows(store, table: str, post_id: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM {table} WHERE post_id = ?", (post_id,)).fetchone()[0]


def test_an_upload_goes_with_its_labels_answers_predictions_and_image(store):
    post = add_upload(store, "Obama visits Paris", png_bytes(), "paris.png")
    file = image_path(store, post.image_sha256)
    assert file.exists()
    label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="ann"), None)
    add_outputs(store, [(post, TeacherOutput(post.id, "claude", "m", "v1", "cot", "Obama is a person."))])
    asked, _ = begin_request(store, "ann", post.id, "2000-01-01", "2000-01-01", per_hour=100, daily_usd=1.0)
    assert asked is not None
    before = upload_footprint(store, post.id)
    assert (before.label_versions, before.teacher_answers, before.label_authors) == (1, 1, ("ann",))
    assert "1 saved label version (by ann), 1 teacher answer, no cached predictions and its image" in before.sentence()

    gone = delete_upload(store, post.id, may_drop_labels=True)
    assert gone == before
    assert get_post(store, post.id) is None
    assert rows(store, "labels", post.id) == rows(store, "teacher_outputs", post.id) == 0
    assert outputs_for_post(store, post.id) == []
    # who asked the teacher, and what it cost, stays: the daily cap counts it
    assert store.conn.execute("SELECT count(*) FROM teacher_requests WHERE post_id = ?", (post.id,)).fetchone()[0] == 1
    assert not file.exists() and image_path(store, post.image_sha256) is None
    # the same upload again is a new post, with nothing of the old one
    again = add_upload(store, "Obama visits Paris", png_bytes(), "paris.png")
    assert again.id == post.id and label_store.current(store, again.id, "mner") is None
    assert image_path(store, again.image_sha256).exists()


def test_an_annotator_may_not_drop_someone_s_saved_labels(store):
    post = add_upload(store, "Messi in Barcelona")
    label_store.save(store, post.id, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="bob"), None)
    with pytest.raises(ValidationError, match="1 saved label version.*bob.*only an admin"):
        delete_upload(store, post.id, may_drop_labels=False)
    assert get_post(store, post.id) is not None and rows(store, "labels", post.id) == 1
    bare = add_upload(store, "Ronaldo in Turin")
    delete_upload(store, bare.id, may_drop_labels=False)  # nothing of anyone's on it
    assert get_post(store, bare.id) is None


def test_an_image_another_post_shows_stays(store):
    one = add_upload(store, "first text", png_bytes(), "a.png")
    two = add_upload(store, "second text", png_bytes(), "a.png")
    assert one.image_sha256 == two.image_sha256
    assert upload_footprint(store, one.id).image_shared
    assert upload_footprint(store, one.id).sentence().endswith("no cached predictions; the image stays (another post shows it)")
    delete_upload(store, one.id, may_drop_labels=False)
    assert image_path(store, two.image_sha256).exists()
    assert not upload_footprint(store, two.id).image_shared
    delete_upload(store, two.id, may_drop_labels=False)
    assert image_path(store, two.image_sha256) is None


def test_imported_posts_and_unknown_ids_are_refused(store):
    ensure_dataset(store, "demo", mner_schema_for("twitter2017"))
    add_posts(store, [Post(id="demo/test/1", text="Obama", tokens=("Obama",), offsets=((0, 5),), dataset="demo",
                           split="test", source="file.txt", position=0)])
    with pytest.raises(ValidationError, match="only uploads can be deleted"):
        delete_upload(store, "demo/test/1", may_drop_labels=True)
    assert get_post(store, "demo/test/1") is not None
    with pytest.raises(ValidationError, match="deleted already"):
        delete_upload(store, "uploads/user/nope", may_drop_labels=True)
