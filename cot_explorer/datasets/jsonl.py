"""The project's own JSONL: one post a line with its current labels; import/export round-trip.

A minimal line is `{"text": "..."}` (tokenized here), optionally with `"image_path"`
(relative to the file) and `"labels"`; exported lines carry every field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from ..errors import ParseError, ValidationError
from ..schema import LabeledPost, LabelSet, Post
from ..tokenize import tokenize_tweet
from .lines import read_lines


@dataclass(frozen=True)
class JsonlRecord:
    item: LabeledPost
    image_path: Path | None  # an image file to add to the store with this post


def _post_from_line(d: dict, dataset: str | None, split: str | None, path: str, pos: int) -> Post:
    text = d.get("text")
    if not isinstance(text, str):
        raise ValidationError("'text' must be a string")
    ds = d.get("dataset") or dataset
    sp = d.get("split") or split
    if not ds or not sp:
        raise ValidationError("no dataset/split on the line and none given with --dataset/--split")
    if "tokens" in d:
        tokens = tuple(d["tokens"])
        offsets = tuple(tuple(o) for o in d.get("offsets") or ())
    else:
        tokens, offsets = tokenize_tweet(text)
    image = d.get("image") or {}
    post_id = d.get("id") or f"{ds}/{sp}/" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return Post(
        id=post_id, text=text, tokens=tokens, offsets=offsets, dataset=ds, split=sp,
        source=d.get("source") or path, image_name=image.get("name"), image_sha256=image.get("sha256"),
        caption=d.get("caption"), position=pos,
    )


def read_jsonl(path: str | Path, dataset: str | None = None, split: str | None = None) -> list[JsonlRecord]:
    path = str(path)
    records: list[JsonlRecord] = []
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise ParseError(path, lineno, f"a JSON object ({e.msg} at column {e.colno})", line) from e
        if not isinstance(d, dict):
            raise ParseError(path, lineno, "a JSON object", line)
        try:
            post = _post_from_line(d, dataset, split, path, len(records))
            labels = []
            for lab in d.get("labels") or []:
                meta = {k: lab.get(k) for k in ("source", "author", "model_version", "created_at") if lab.get(k) is not None}
                labels.append(LabelSet.from_payload(lab.get("task"), lab, **meta))
        except (ValidationError, TypeError, ValueError, AttributeError) as e:
            raise ParseError(path, lineno, "a valid post", str(e)) from e
        image_path = None
        if d.get("image_path"):
            image_path = (Path(path).parent / d["image_path"]).resolve()
        records.append(JsonlRecord(LabeledPost(post, tuple(labels)), image_path))
    return records


def post_to_json(post: Post, labels: Iterable[LabelSet]) -> dict:
    image = {"name": post.image_name, "sha256": post.image_sha256} if (post.image_name or post.image_sha256) else None
    return {
        "id": post.id,
        "dataset": post.dataset,
        "split": post.split,
        "text": post.text,
        "tokens": list(post.tokens),
        "offsets": [list(o) for o in post.offsets],
        "image": image,
        "caption": post.caption,
        "source": post.source,
        "labels": [
            {"task": lab.task, "source": lab.source, "author": lab.author,
             "model_version": lab.model_version, "created_at": lab.created_at, **lab.payload()}
            for lab in labels
        ],
    }


def write_jsonl(out: TextIO, items: Iterable[tuple[Post, list[LabelSet]]]) -> int:
    count = 0
    for post, labels in items:
        out.write(json.dumps(post_to_json(post, labels), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
