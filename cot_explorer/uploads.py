"""A user's own tweet (raw text, optional image) turned into a stored post."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .errors import ValidationError
from .labels import mner_schema_for
from .limits import MAX_POST_CHARS, check_name, check_text
from .schema import Post
from .store import Store
from .store.images import check_image, image_path, insert_image_row, remove_unreferenced, write_image_file
from .store.posts import add_posts, ensure_dataset, get_post, next_position
from .tokenize import tokenize_tweet

UPLOAD_DATASET = "uploads"
UPLOAD_SPLIT = "user"


def preview_post(text: str, image: bytes | None = None, image_name: str | None = None) -> Post:
    """The post an upload would become, checked like one but not stored (a visitor's preview)."""
    if text is None or not str(text).strip():
        raise ValidationError("the post is empty: type or paste the tweet text")
    check_text(text, "the post", MAX_POST_CHARS)
    if image is not None:
        check_image(image, image_name or "upload")
    tokens, offsets = tokenize_tweet(text)
    if not tokens:
        raise ValidationError("the post has no visible tokens")
    return Post(id="preview/" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], text=text, tokens=tokens,
                offsets=offsets, dataset=UPLOAD_DATASET, split=UPLOAD_SPLIT, source="preview")


def add_upload(store: Store, text: str, image: bytes | None = None, image_name: str | None = None) -> Post:
    """Validate, tokenize and store an uploaded post; the same text and image give the same post.
    The image is checked (header first, then decoded) before anything is written."""
    if text is None or not str(text).strip():
        raise ValidationError("the post is empty: type or paste the tweet text")
    check_text(text, "the post", MAX_POST_CHARS)
    if image_name is not None:
        image_name = check_name(image_name, "the image file name", 255)
    checked = check_image(image, image_name or "upload") if image is not None else None
    tokens, offsets = tokenize_tweet(text)
    if not tokens:
        raise ValidationError("the post has no visible tokens")
    sha = checked.sha256 if checked else None
    post_id = f"{UPLOAD_DATASET}/{UPLOAD_SPLIT}/" + hashlib.sha256(
        text.encode("utf-8") + b"\x00" + (sha or "").encode()).hexdigest()[:16]
    existing = get_post(store, post_id)
    if existing is not None:
        return existing
    created = write_image_file(store, checked) if checked else False
    try:
        with store.write():
            existing = get_post(store, post_id)  # the same upload from another tab meanwhile
            if existing is not None:
                return existing
            if checked:
                insert_image_row(store, checked)
            ensure_dataset(store, UPLOAD_DATASET, mner_schema_for(UPLOAD_DATASET))
            post = Post(
                id=post_id, text=text, tokens=tokens, offsets=offsets, dataset=UPLOAD_DATASET,
                split=UPLOAD_SPLIT, source="upload", image_name=image_name if checked else None,
                image_sha256=sha, position=next_position(store, UPLOAD_DATASET, UPLOAD_SPLIT),
            )
            add_posts(store, [post])
    except BaseException:
        if created:
            remove_unreferenced(store, [checked])
        raise
    return post


@dataclass(frozen=True)
class UploadFootprint:
    """What deleting an upload takes with it: said before, so nothing goes unannounced."""

    post_id: str
    label_versions: int        # saved entity and relation labels, every version (undo included)
    label_authors: tuple[str, ...]
    teacher_answers: int       # chains of thought and relations the teacher wrote (paid ones too)
    predictions: int           # cached student answers; they come back by predicting again
    image_shared: bool         # another post shows the same image, so the file stays
    has_image: bool = False

    def sentence(self) -> str:
        def n(count: int, what: str) -> str:
            return f"no {what}s" if count == 0 else f"{count} {what}" + ("" if count == 1 else "s")

        labels = n(self.label_versions, "saved label version")
        if self.label_authors:
            labels += f" (by {', '.join(self.label_authors)})"
        items = [labels, n(self.teacher_answers, "teacher answer"), n(self.predictions, "cached prediction")]
        if self.has_image and not self.image_shared:
            items.append("its image")
        said = ", ".join(items[:-1]) + " and " + items[-1]
        return said + ("; the image stays (another post shows it)" if self.image_shared else "")


def _upload(store: Store, post_id: str) -> Post:
    post = get_post(store, post_id)
    if post is None:
        raise ValidationError(f"no post {post_id!r} in the store (deleted already?)")
    if post.dataset != UPLOAD_DATASET:
        raise ValidationError(f"only uploads can be deleted: {post_id} was imported from {post.source}")
    return post


def upload_footprint(store: Store, post_id: str) -> UploadFootprint:
    """What `delete_upload` would remove for this upload."""
    post = _upload(store, post_id)
    one = store.conn.execute
    authors = tuple(a for (a,) in one("SELECT DISTINCT author FROM labels WHERE post_id = ? ORDER BY author",
                                      (post_id,)))
    shared = bool(post.image_sha256) and one("SELECT count(*) FROM posts WHERE image_sha256 = ? AND id != ?",
                                             (post.image_sha256, post_id)).fetchone()[0] > 0
    return UploadFootprint(
        post_id,
        one("SELECT count(*) FROM labels WHERE post_id = ?", (post_id,)).fetchone()[0], authors,
        one("SELECT count(*) FROM teacher_outputs WHERE post_id = ?", (post_id,)).fetchone()[0],
        one("SELECT count(*) FROM predictions WHERE post_id = ?", (post_id,)).fetchone()[0],
        shared, bool(post.image_sha256))


def delete_upload(store: Store, post_id: str, may_drop_labels: bool) -> UploadFootprint:
    """Remove an upload (a user's own post, never an imported one) with everything stored
    about it, and its image file where no other post shows that image. Saved labels are
    someone's work: unless `may_drop_labels` (an admin), an upload that has any is refused.
    The record of who asked the teacher about it stays: the daily cap counts it."""
    with store.write():
        gone = upload_footprint(store, post_id)
        if gone.label_versions and not may_drop_labels:
            raise ValidationError(f"{post_id} has {gone.label_versions} saved label version(s) by "
                                  f"{', '.join(gone.label_authors)}; only an admin may delete it with them")
        post = get_post(store, post_id)
        file = image_path(store, post.image_sha256) if post.image_sha256 and not gone.image_shared else None
        for table in ("heldout_posts", "predictions", "teacher_outputs", "labels"):
            store.conn.execute(f"DELETE FROM {table} WHERE post_id = ?", (post_id,))
        store.conn.execute("DELETE FROM posts WHERE id = ?", (post_id,))
        if file is not None:
            store.conn.execute("DELETE FROM images WHERE sha256 = ?", (post.image_sha256,))
    if file is not None:  # after the commit: a rolled-back delete keeps its image
        file.unlink(missing_ok=True)
        try:
            file.parent.rmdir()
        except OSError:
            pass
    return gone
