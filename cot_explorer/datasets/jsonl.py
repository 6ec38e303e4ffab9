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

from ..errors import DefectList, ParseError, ValidationError
from ..limits import MAX_JSON_DEPTH, MAX_NAME_CHARS, MAX_POST_CHARS, check_name, check_text, check_user_tokens
from ..schema import LabeledPost, LabelSet, Post
from ..tokenize import join_tokens, tokenize_tweet, tokens_in_text
from .lines import read_lines

# the fields a line is read for; any other is said by the import (predict's "entities" went
# unread, the import said "2 posts" and the posts came in with no labels)
READ_FIELDS = frozenset({"id", "dataset", "split", "text", "tokens", "offsets", "image", "image_path", "caption",
                         "source", "labels"})


@dataclass(frozen=True)
class JsonlRecord:
    item: LabeledPost
    image_path: Path | None  # an image file to add to the store with this post
    unread: tuple[str, ...] = ()   # the line's fields that are not READ_FIELDS
    line: int = 0                  # where it is in its file (an image that cannot be read is said by it)


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def _optional_str(d: dict, key: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"'{key}' must be a string, got {type(value).__name__}")
    return value


def _post_from_line(d: dict, dataset: str | None, split: str | None, path: str, pos: int) -> Post:
    text = d.get("text")
    if text is None and isinstance(d.get("tokens"), list):   # tokens alone: the text is them, joined
        check_user_tokens(d["tokens"], "the post")
        text = join_tokens(d["tokens"])[0]
    if not isinstance(text, str):
        raise ValidationError("'text' must be a string")
    check_text(text, "the post text", MAX_POST_CHARS)  # before any per-character work
    ds = _optional_str(d, "dataset") or dataset
    sp = _optional_str(d, "split") or split
    if not ds or not sp:
        raise ValidationError("no dataset/split on the line and none given with --dataset/--split")
    check_name(ds, "the dataset name")
    check_name(sp, "the split name")
    if "tokens" in d:
        check_user_tokens(d["tokens"], "the post")
        tokens = tuple(d["tokens"])
        if d.get("offsets") is None:   # found in the text (a hand-made line gives text and tokens, rarely offsets)
            try:
                offsets = tokens_in_text(text, tokens)
            except ValueError as e:
                raise ValidationError(f"the tokens are not the text's words: {e}") from None
        else:
            raw_offsets = d["offsets"]
            if not isinstance(raw_offsets, list) or not all(isinstance(o, list) for o in raw_offsets):
                raise ValidationError("'offsets' must be a list of [start, end] pairs")
            offsets = tuple(tuple(o) for o in raw_offsets)
    else:
        tokens, offsets = tokenize_tweet(text)
    image = d.get("image") or {}
    if not isinstance(image, dict):
        raise ValidationError("'image' must be an object with 'name' and 'sha256'")
    post_id = _optional_str(d, "id") or f"{ds}/{sp}/" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return Post(
        id=post_id, text=text, tokens=tokens, offsets=offsets, dataset=ds, split=sp,
        source=_optional_str(d, "source") or path, image_name=_optional_str(image, "name"),
        image_sha256=_optional_str(image, "sha256"), caption=_optional_str(d, "caption"), position=pos,
    )


def read_jsonl(path: str | Path, dataset: str | None = None, split: str | None = None) -> list[JsonlRecord]:
    """Every line a post; the file's bad lines (up to MAX_DEFECTS) are said in one ParseError."""
    path = str(path)
    records: list[JsonlRecord] = []
    first_seen: dict[str, int] = {}
    defects = DefectList()
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = _read_record(line, lineno, path, dataset, split, len(records), first_seen)
        except ParseError as e:   # on to the next line: every bad line is said at once
            if not defects.add(e):
                break
            continue
        first_seen[record.item.post.id] = lineno
        records.append(record)
    defects.raise_any()
    return records


def _read_record(line: str, lineno: int, path: str, dataset: str | None, split: str | None, position: int,
                 first_seen: dict[str, int]) -> JsonlRecord:
    """One line; its first defect raises."""
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise ParseError(path, lineno, f"a JSON object ({e.msg} at column {e.colno})", line) from e
    except RecursionError as e:
        raise ParseError(path, lineno, f"JSON nested at most {MAX_JSON_DEPTH} levels deep", line) from e
    if not isinstance(d, dict):
        raise ParseError(path, lineno, "a JSON object", line)
    if _depth(d) > MAX_JSON_DEPTH:
        raise ParseError(path, lineno, f"JSON nested at most {MAX_JSON_DEPTH} levels deep", line)
    try:
        post = _post_from_line(d, dataset, split, path, position)
        labels = []
        raw_labels = d.get("labels") or []
        if not isinstance(raw_labels, list):
            raise ValidationError("'labels' must be a list")
        for lab in raw_labels:
            if not isinstance(lab, dict):
                raise ValidationError("each label must be an object")
            meta = {k: lab.get(k) for k in ("source", "author", "model_version", "created_at") if lab.get(k) is not None}
            for k, v in meta.items():
                check_text(v, f"the label's {k}", MAX_NAME_CHARS if k != "created_at" else 40)
            labels.append(LabelSet.from_payload(lab.get("task"), lab, **meta))
        image_rel = _optional_str(d, "image_path")
    except (ValidationError, TypeError, ValueError, AttributeError) as e:
        raise ParseError(path, lineno, "a valid post", str(e)) from e
    if post.id in first_seen:
        raise ParseError(path, lineno, f"each post once (post {post.id} is already on line {first_seen[post.id]})")
    image_path = (Path(path).parent / image_rel).resolve() if image_rel else None
    return JsonlRecord(LabeledPost(post, tuple(labels)), image_path, tuple(sorted(set(d) - READ_FIELDS)), lineno)


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
