"""The teacher cache key: any change of text, image, prompt template or model is a new key,
so a changed prompt can never serve a stale answer."""

from __future__ import annotations

import hashlib


def cache_key(text: str, image_id: str | None, template_version: str, model: str, grain: str) -> str:
    h = hashlib.sha256()
    for part in (text, image_id or "", template_version, model, grain):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()
