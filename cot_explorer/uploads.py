"""A user's own tweet (raw text, optional image) turned into a stored post."""

from __future__ import annotations

import hashlib

from .errors import ValidationError
from .labels import mner_schema_for
from .limits import MAX_POST_CHARS, MAX_POST_TOKENS, check_name, check_text
from .schema import Post
from .store import Store
from .store.images import check_image, ensure_image_file, insert_image_row, remove_unreferenced, write_image_file
from .store.posts import (
    PostFootprint,
    add_posts,
    delete_post,
    ensure_dataset,
    get_post,
    has_text,
    next_position,
    picked_image_name,
    post_footprint,
    texts_of,
)
from .tokenize import tokenize_tweet

UPLOAD_DATASET = "uploads"
UPLOAD_SPLIT = "user"


def check_post_text(text: object) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """An upload's text checked and tokenized, before its image is read: a refused text leaves
    the picked image where it is (Explore keeps it in its box for the next try)."""
    if text is None or not str(text).strip():
        raise ValidationError("the post is empty: type or paste the tweet text")
    check_text(text, "the post", MAX_POST_CHARS)
    tokens, offsets = tokenize_tweet(text)
    if not tokens:
        raise ValidationError("the post has no visible tokens")
    if len(tokens) > MAX_POST_TOKENS:   # said of the text typed (the post's check named an id never stored)
        raise ValidationError(f"the post has {len(tokens):,} words and signs; at most {MAX_POST_TOKENS:,} are accepted")
    return tokens, offsets


def same_words(text: str) -> str:
    """The text with its runs of white space made one space and none at either end: how an
    upload is told apart from another. A space added or a line break taken out is not a new
    post (it stored one, with no labels and no teacher answers, beside the first)."""
    return " ".join(text.split())


def uploaded_words(store: Store, text: str) -> bool:
    """Whether an upload has these words (`same_words`): a text analysed and kept, as typed or
    spaced otherwise (Explore lets go of such a text when another post is picked)."""
    if has_text(store, UPLOAD_DATASET, text):
        return True
    words = same_words(text)
    return any(same_words(t) == words for _, t in texts_of(store, UPLOAD_DATASET))


def _stored_upload(store: Store, text: str, image_sha256: str | None) -> Post | None:
    """The upload these words and this image are, if stored: under the id of the text as typed
    (how uploads were stored before spacing was ignored, and the same id for a text spaced
    plainly), under the id of its words, or an older upload spaced otherwise (stored under
    its own text's id, which no retyping finds)."""
    found = get_post(store, upload_id(text, image_sha256, spacing=True)) or get_post(store, upload_id(text, image_sha256))
    if found is not None:
        return found
    words = same_words(text)
    match = next((pid for pid, t in texts_of(store, UPLOAD_DATASET, image_sha256) if same_words(t) == words), None)
    return get_post(store, match) if match else None


def upload_id(text: str, image_sha256: str | None, spacing: bool = False) -> str:
    """An upload's id: from its words (`same_words`, or the text as typed: `spacing`, the id
    of an upload stored before spacing was ignored) and its image's digest."""
    key = text if spacing else same_words(text)
    return f"{UPLOAD_DATASET}/{UPLOAD_SPLIT}/" + hashlib.sha256(
        key.encode("utf-8") + b"\x00" + (image_sha256 or "").encode()).hexdigest()[:16]


def preview_post(text: str, image: bytes | None = None, image_name: str | None = None) -> Post:
    """The post an upload would become, checked like one but not stored (a visitor's preview)."""
    tokens, offsets = check_post_text(text)
    if image is not None:
        check_image(image, image_name or "upload")
    return Post(id="preview/" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], text=text, tokens=tokens,
                offsets=offsets, dataset=UPLOAD_DATASET, split=UPLOAD_SPLIT, source="preview")


def add_upload(store: Store, text: str, image: bytes | None = None, image_name: str | None = None) -> Post:
    """Validate, tokenize and store an uploaded post; the same text and image give the same post.
    The image is checked (header first, then decoded) before anything is written."""
    return store_upload(store, text, image, image_name)[0]


def store_upload(store: Store, text: str, image: bytes | None = None,
                 image_name: str | None = None) -> tuple[Post, bool]:
    """`add_upload`, and whether the post was in the store already (the same text and image
    uploaded before: Explore says so, it showed the stored post as if new)."""
    tokens, offsets = check_post_text(text)
    if image_name is not None:
        image_name = check_name(image_name, "the image file name", 255)
    checked = check_image(image, image_name or "upload") if image is not None else None
    sha = checked.sha256 if checked else None
    if checked and image_name == checked.relative_path.name:
        # the stored file handed back (Explore keeps it in the box for a corrected text): it is
        # named by its digest; the name it was picked under is the earlier upload's
        image_name = picked_image_name(store, checked.sha256, UPLOAD_DATASET) or image_name
    post_id = upload_id(text, sha)
    existing = _stored_upload(store, text, sha)
    if existing is not None:
        return existing, True
    created = write_image_file(store, checked) if checked else False
    try:
        with store.write():
            existing = _stored_upload(store, text, sha)  # the same upload from another tab meanwhile
            if existing is not None:
                return existing, True
            if checked:
                insert_image_row(store, checked)
                ensure_image_file(store, checked)   # a deletion of the same picture may have moved it away
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
    return post, False


def footprint_sentence(gone: PostFootprint) -> str:
    """What goes with an upload, in words: said before it goes and after."""
    def n(count: int, what: str) -> str:
        return f"no {what}s" if count == 0 else f"{count} {what}" + ("" if count == 1 else "s")

    labels = n(gone.label_versions, "saved label version")
    if gone.label_authors:
        labels += f" (by {', '.join(gone.label_authors)})"
    items = [labels, n(gone.teacher_answers, "teacher answer"), n(gone.predictions, "cached prediction")]
    if gone.held_out:
        items.append("its place in the uploads' held-out set (rounds are scored on it)")
    if gone.has_image and not gone.image_shared:
        items.append("its image")
    said = ", ".join(items[:-1]) + " and " + items[-1]
    return said + ("; the image stays (another post shows it)" if gone.image_shared else "")


def _only_uploads(post: Post | None, post_id: str) -> Post:
    if post is None:
        raise ValidationError(f"no post {post_id!r} in the store (deleted already?)")
    if post.dataset != UPLOAD_DATASET:
        raise ValidationError(f"only uploads can be deleted: {post_id} was imported from {post.source}")
    return post


def upload_footprint(store: Store, post_id: str) -> PostFootprint:
    """What `delete_upload` would remove for this upload."""
    _only_uploads(get_post(store, post_id), post_id)
    return post_footprint(store, post_id)


def delete_upload(store: Store, post_id: str, may_drop_work: bool) -> PostFootprint:
    """Remove an upload (never an imported post) with everything stored about it. Uploads have
    no owner (the same text and image are one post, whoever sent them), so what others put
    into one is kept from annotators: saved labels, the teacher's answers (paid for) and a
    place in the held-out set that rounds are scored on; only `may_drop_work` (an admin)
    deletes those. Never while the teacher is being asked about it (its answer would land on
    nothing)."""
    _only_uploads(get_post(store, post_id), post_id)
    return delete_post(store, post_id, lambda gone: refuse_undeletable(post_id, gone, may_drop_work))


def refuse_undeletable(post_id: str, gone: PostFootprint, may_drop_work: bool) -> None:
    """Raise where this upload may not be deleted now, or not by this user: asked before the
    question too (an annotator confirmed "cannot be undone?" and was then told only an admin
    may)."""
    if gone.teacher_asked_now:
        raise ValidationError(f"the teacher is being asked about {post_id} right now; delete it once the "
                              "answer is in")
    work = [w for w, has in (("saved labels", gone.label_versions), ("teacher answers", gone.teacher_answers),
                             ("a place in the held-out set", gone.held_out)) if has]
    if work and not may_drop_work:
        raise ValidationError(f"{post_id} has {' and '.join(work)} ({footprint_sentence(gone)}); only an admin "
                              "may delete it with them")

