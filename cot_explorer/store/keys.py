"""The teacher cache key, computed in one place for the writer and the reader: any change of
text, image, prompt template, model or what was asked is a new key, so a changed prompt can
never serve a stale answer."""

from __future__ import annotations

import hashlib

from ..schema import Post, TeacherOutput


def image_id(image_sha256: str | None, image_name: str | None) -> str | None:
    """The image a post's answers depend on: its stored file, else the name its source gives it
    (two posts with the same text but different images must not share an answer)."""
    return image_sha256 or (f"name:{image_name}" if image_name else None)


def key_of(text: str, image: str | None, model: str, template_version: str, slot: str) -> str:
    h = hashlib.sha256()
    for part in (text, image or "", template_version, model, slot):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def cache_key(post: Post, model: str, template_version: str, slot: str) -> str:
    """The key of the answer `model` (with prompts of `template_version`) gives about `slot` of `post`."""
    return key_of(post.text, image_id(post.image_sha256, post.image_name), model, template_version, slot)


def output_key(post: Post, out: TeacherOutput) -> str:
    return cache_key(post, out.model, out.template_version, out.slot)
