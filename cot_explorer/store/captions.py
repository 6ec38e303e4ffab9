"""Image captions per dataset and image name; posts see them through their image name."""

from __future__ import annotations

from typing import Iterable

from ..datasets.captions import Caption
from .core import Store, utc_now


def add_captions(store: Store, dataset: str, model: str, captions: Iterable[Caption]) -> int:
    """Insert or replace captions (a newer caption file of the same model wins)."""
    now = utc_now()
    rows = [{"dataset": dataset, "image_name": c.image_name, "model": model, "text": c.text, "created_at": now}
            for c in captions]
    with store.write():
        store.db["captions"].insert_all(rows, batch_size=1000, replace=True)
    return len(rows)
