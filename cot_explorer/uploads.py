"""A user's own tweet (raw text, optional image) turned into a stored post."""

from __future__ import annotations

import hashlib

from .errors import ValidationError
from .labels import mner_schema_for
from .limits import MAX_POST_CHARS, check_name, check_text
from .schema import Post
from .store import Store
from .store.images import check_image, insert_image_row, remove_unreferenced, write_image_file
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
