"""A user's own tweet (raw text, optional image) turned into a stored post."""

from __future__ import annotations

import hashlib

from .errors import ValidationError
from .labels import mner_schema_for
from .schema import Post
from .store import Store
from .store.images import add_image
from .store.posts import add_posts, ensure_dataset, get_post, next_position
from .tokenize import tokenize_tweet

UPLOAD_DATASET = "uploads"
UPLOAD_SPLIT = "user"
MAX_POST_CHARS = 4000  # long-form tweets; beyond this it is not a post


def add_upload(store: Store, text: str, image: bytes | None = None, image_name: str | None = None) -> Post:
    """Validate, tokenize and store an uploaded post; the same text and image give the same post."""
    if text is None or not text.strip():
        raise ValidationError("the post is empty: type or paste the tweet text")
    if len(text) > MAX_POST_CHARS:
        raise ValidationError(f"the post has {len(text):,} characters; at most {MAX_POST_CHARS:,} are accepted")
    tokens, offsets = tokenize_tweet(text)
    if not tokens:
        raise ValidationError("the post has no visible tokens")
    with store.write():
        stored = add_image(store, image, image_name or "upload") if image is not None else None
        sha = stored.sha256 if stored else None
        post_id = f"{UPLOAD_DATASET}/{UPLOAD_SPLIT}/" + hashlib.sha256(
            text.encode("utf-8") + b"\x00" + (sha or "").encode()).hexdigest()[:16]
        existing = get_post(store, post_id)
        if existing is not None:
            return existing
        ensure_dataset(store, UPLOAD_DATASET, mner_schema_for(UPLOAD_DATASET))
        post = Post(
            id=post_id, text=text, tokens=tokens, offsets=offsets, dataset=UPLOAD_DATASET,
            split=UPLOAD_SPLIT, source="upload", image_name=image_name if stored else None,
            image_sha256=sha, position=next_position(store, UPLOAD_DATASET, UPLOAD_SPLIT),
        )
        add_posts(store, [post])
    return post
