"""The bundled demo sets: imported into a store that lacks them, so the app works offline with
no key (Twitter-2017 posts with gold labels, captions, drawn images, the recorded ChatGPT
reasoning; MNRE posts with their entity pairs and relations)."""

from __future__ import annotations

import json
from pathlib import Path

from ..importer import import_jsonl
from ..store import open_store
from ..store.images import add_image, read_image_file
from ..store.posts import attach_image, count_posts, get_post, posts_without_image
from ..store.teacher_outputs import add_outputs
from ..teacher.recorded_teacher import recorded_output
from .common import ASSETS, DEMO_DATASET, DEMO_RELATIONS


def ensure_demo(home: Path) -> bool:
    """Import the bundled demo sets (posts, gold, captions, drawn images, recorded CoT; MNRE
    posts with their entity pairs) into a store that lacks them; a store that has them from
    before their images existed gets them. True when anything was imported."""
    imported = False
    with open_store(home) as store:
        if count_posts(store, DEMO_DATASET):
            _attach_demo_images(store, DEMO_DATASET, "posts.jsonl")
        else:
            import_jsonl(store, str(ASSETS / "demo" / "posts.jsonl"))
            outputs = []
            for line in (ASSETS / "demo" / "knowledge.jsonl").read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                post = get_post(store, rec["id"])
                outputs.append((post, recorded_output(post, rec["text"])[0]))
            add_outputs(store, outputs)
            imported = True
        if count_posts(store, DEMO_RELATIONS):
            _attach_demo_images(store, DEMO_RELATIONS, "relations.jsonl")
        else:
            import_jsonl(store, str(ASSETS / "demo" / "relations.jsonl"))
            imported = True
    return imported


def _attach_demo_images(store, dataset: str, file: str) -> None:
    missing = posts_without_image(store, dataset)
    if not missing:
        return
    folder = ASSETS / "demo"
    for line in (folder / file).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["id"] in missing and rec.get("image_path"):
            stored = add_image(store, read_image_file(folder / rec["image_path"]), Path(rec["image_path"]).name)
            attach_image(store, rec["id"], stored.sha256)
