"""MNRE: one Python dict literal per line, one line per entity pair.

Lines are parsed with `ast.literal_eval` only (never `eval`): code such as `__import__`
is not a literal and is refused. Lines sharing tokens and image become one post.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..errors import DefectList, ParseError, ValidationError
from ..labels import MRE_RELATIONS, relation_argument_types
from ..schema import LabeledPost, LabelSet, Post, Relation, Span
from ..tokenize import join_tokens
from .ids import PostIdMaker, image_stem
from .lines import read_lines

MAX_LINE_CHARS = 100_000  # literal_eval on huge nested input can exhaust the stack


@dataclass(frozen=True)
class MnreFile:
    posts: list[LabeledPost]
    instances: int


def _entity(d: object, key: str, n_tokens: int, path: str, line: int, raw: str) -> tuple[str, int, int]:
    if not isinstance(d, dict) or not isinstance(d.get("pos"), (list, tuple)) or len(d["pos"]) != 2:
        raise ParseError(path, line, f"'{key}' as {{'name': str, 'pos': [start, end]}}", raw)
    start, end = d["pos"]
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= n_tokens:
        raise ParseError(path, line, f"'{key}' pos within the {n_tokens} tokens", str(d["pos"]))
    return str(d.get("name", "")), start, end


def read_mnre(path: str | Path, dataset: str, split: str) -> MnreFile:
    path = str(path)
    groups: dict[tuple[tuple[str, ...], str], list[Relation]] = {}
    first_line: dict[tuple[tuple[str, ...], str], int] = {}
    instances = 0
    defects = DefectList()
    for lineno, raw in enumerate(read_lines(path), start=1):
        if not raw.strip():
            continue
        try:
            key, relation = _read_instance(raw, lineno, path)
        except ParseError as e:   # on to the next line: every bad line is said at once
            if not defects.add(e):
                break
            continue
        groups.setdefault(key, []).append(relation)
        first_line.setdefault(key, lineno)
        instances += 1
    defects.raise_any()
    make_id = PostIdMaker(dataset, split)
    posts: list[LabeledPost] = []
    for (tokens, img_id), relations in groups.items():
        text, offsets = join_tokens(tokens)
        try:
            post = Post(
                id=make_id(image_stem(img_id)), text=text, tokens=tokens, offsets=offsets,
                dataset=dataset, split=split, source=path, image_name=img_id, position=len(posts),
            )
        except ValidationError as e:
            if not defects.add(ParseError(path, first_line[(tokens, img_id)], "a valid post", str(e))):
                break
            continue
        labels = LabelSet("mre", relations=tuple(relations), source="gold", author="import")
        posts.append(LabeledPost(post, (labels,)))
    defects.raise_any()
    return MnreFile(posts, instances)


def _read_instance(raw: str, lineno: int, path: str) -> tuple[tuple[tuple[str, ...], str], Relation]:
    """One line: the post it belongs to (its tokens and image) and its entity pair; its first
    defect raises."""
    if len(raw) > MAX_LINE_CHARS:
        raise ParseError(path, lineno, f"a line under {MAX_LINE_CHARS} characters", raw)
    try:
        d = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise ParseError(path, lineno, "a Python dict literal (no code, no calls)", raw) from e
    if not isinstance(d, dict):
        raise ParseError(path, lineno, "a dict literal", raw)
    missing = {"token", "h", "t", "img_id", "relation"} - d.keys()
    if missing:
        raise ParseError(path, lineno, f"keys token, h, t, img_id, relation (missing {sorted(missing)})", raw)
    tokens = d["token"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) and t for t in tokens):
        raise ParseError(path, lineno, "'token' as a non-empty list of non-empty strings", raw)
    label = d["relation"]
    if label not in MRE_RELATIONS:
        raise ParseError(path, lineno, f"a relation among the {len(MRE_RELATIONS)} MNRE labels", str(label))
    if not isinstance(d["img_id"], str) or not d["img_id"]:
        raise ParseError(path, lineno, "'img_id' as a file name", raw)
    _, hs, he = _entity(d["h"], "h", len(tokens), path, lineno, raw)
    _, ts, te = _entity(d["t"], "t", len(tokens), path, lineno, raw)
    types = relation_argument_types(label)
    head = Span(hs, he, types[0] if types else None)
    tail = Span(ts, te, types[1] if types else None)
    return (tuple(tokens), d["img_id"]), Relation(head, tail, label)
