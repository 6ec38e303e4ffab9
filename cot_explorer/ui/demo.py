"""The bundled demo set: imported into a store that lacks it, so the app works offline with no
key (posts with gold labels, captions, drawn images, the recorded ChatGPT reasoning)."""

from __future__ import annotations

import json
from pathlib import Path

from ..importer import import_jsonl
from ..store import open_store
from ..store.images import add_image, read_image_file
from ..store.posts import attach_image, count_posts, get_post, posts_without_image
from ..store.teacher_outputs import add_outputs
from ..teacher.recorded_teacher import recorded_output
from .common import ASSETS, DEMO_DATASET


def ensure_demo(home: Path) -> bool:
    """Import the bundled demo set (posts, gold, captions, drawn images, recorded CoT) into a
    store that lacks it; a store that has it from before its images existed gets them."""
    with open_store(home) as store:
        if count_posts(store, DEMO_DATASET):
            _attach_demo_images(store)
            return False
        import_jsonl(store, str(ASSETS / "demo" / "posts.jsonl"))
        outputs = []
        for line in (ASSETS / "demo" / "knowledge.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            post = get_post(store, rec["id"])
            outputs.append((post, recorded_output(post, rec["text"])[0]))
        add_outputs(store, outputs)
    return True


def _attach_demo_images(store) -> None:
    missing = posts_without_image(store, DEMO_DATASET)
    if not missing:
        return
    folder = ASSETS / "demo"
    for line in (folder / "posts.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["id"] in missing and rec.get("image_path"):
            stored = add_image(store, read_image_file(folder / rec["image_path"]), Path(rec["image_path"]).name)
            attach_image(store, rec["id"], stored.sha256)
