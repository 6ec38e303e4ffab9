"""Twitter-2015/2017 CoNLL: `IMGID:<id>`, then `token<TAB>tag` lines, a blank line per post."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from ..errors import DefectList, ParseError, ValidationError
from ..labels import BioError, MnerSchema, bio_to_spans, spans_to_bio
from ..schema import LabeledPost, LabelSet, Post
from ..tokenize import join_tokens
from .ids import PostIdMaker
from .lines import read_lines


@dataclass(frozen=True)
class ConllFile:
    posts: list[LabeledPost]
    repaired_tags: int


def tag_types(path: str | Path) -> tuple[str, ...]:
    """The entity types a CoNLL file's tags name (`B-X`, `I-X`), in the order the known
    schemas list them, others after: what schema to read the file with."""
    from ..labels import DATASET_ENTITY_TYPES, DEFAULT_ENTITY_TYPES

    found: set[str] = set()
    for line in read_lines(str(path)):
        parts = line.split("\t")
        if len(parts) == 2 and parts[1][:2] in ("B-", "I-"):
            found.add(parts[1][2:].strip())
    order = list(DEFAULT_ENTITY_TYPES) + [t for ts in DATASET_ENTITY_TYPES.values() for t in ts]
    known = list(dict.fromkeys(t for t in order if t in found))
    return tuple(known + sorted(found - set(known)))


def read_twitter_conll(
    path: str | Path, dataset: str, split: str, schema: MnerSchema, repair_bio: bool = False
) -> ConllFile:
    """Parse a whole file; its defects (every bad line of a post, or the post's one defect of
    its tags, up to MAX_DEFECTS) raise one `ParseError` that names them all, and nothing is
    returned.

    `I-X` after `O` (or after another type) is refused unless `repair_bio`, which reads
    it as `B-X` and counts the repair.
    """
    path = str(path)
    lines = read_lines(path)
    make_id = PostIdMaker(dataset, split)
    posts: list[LabeledPost] = []
    repaired = 0
    defects = DefectList()
    i = 0
    n = len(lines)
    while i < n:
        if lines[i].strip() == "":
            i += 1
            continue
        end = i
        while end < n and lines[end].strip() != "":
            end += 1
        try:
            post, fixed = _read_post(lines, i, end, path, dataset, split, schema, repair_bio, make_id, len(posts))
            posts.append(post)
            repaired += fixed
        except _BadPost as bad:   # on to the next post: every bad line is said at once
            if not all(defects.add(e) for e in bad.defects):
                break
        i = end
    defects.raise_any()
    return ConllFile(posts, repaired)


class _BadPost(Exception):
    """A post's defects: every bad line of it (a file with its tabs turned into spaces had each
    post's first line said, one fix and one run per post), else its one defect as a whole."""

    def __init__(self, defects: list[ParseError]):
        super().__init__(defects[0])
        self.defects = defects


def _read_post(lines: list[str], start: int, end: int, path: str, dataset: str, split: str, schema: MnerSchema,
               repair_bio: bool, make_id: PostIdMaker, position: int) -> tuple[LabeledPost, int]:
    """One post: the lines [start, end) between blank lines; its defects raise `_BadPost`.
    Its tags are read (and a bad tag said) once all its lines have their shape."""
    header_line = start + 1
    header = lines[start]
    bad: list[ParseError] = []
    if not header.startswith("IMGID:") or not header[6:].strip():
        bad.append(ParseError(path, header_line, "a post header 'IMGID:<image id>'", header))
    image_id = header[6:].strip()
    tokens: list[str] = []
    tags: list[str] = []
    tag_lines: list[int] = []
    for i in range(start + 1, end):
        line = lines[i]
        if line.startswith("IMGID:"):
            bad.append(ParseError(path, i + 1, "a blank line before the next post header", line))
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            bad.append(ParseError(path, i + 1, "a token line 'token<TAB>tag'", line))
            continue
        tokens.append(parts[0])
        tags.append(parts[1])
        tag_lines.append(i + 1)
    if bad:
        raise _BadPost(bad)
    if not tokens:
        raise _BadPost([ParseError(path, header_line, f"at least one token line after IMGID:{image_id} (empty post)")])
    try:
        spans, fixed = bio_to_spans(tags, schema, repair=repair_bio)
    except BioError as e:
        raise _BadPost([ParseError(path, tag_lines[e.index], str(e), lines[tag_lines[e.index] - 1])]) from e
    text, offsets = join_tokens(tokens)
    image_name = image_id if "." in image_id else f"{image_id}.jpg"
    try:
        post = Post(
            id=make_id(image_id), text=text, tokens=tuple(tokens), offsets=offsets,
            dataset=dataset, split=split, source=path, image_name=image_name, position=position,
        )
    except ValidationError as e:
        raise _BadPost([ParseError(path, header_line, "a valid post", str(e))]) from e
    return LabeledPost(post, (LabelSet("mner", spans=tuple(spans), source="gold", author="import"),)), fixed


def write_twitter_conll(out: TextIO, items: Iterable[tuple[Post, LabelSet | None]]) -> int:
    """Write posts with their MNER labels (all `O` when None) in the Twitter CoNLL format."""
    count = 0
    for post, labels in items:
        spans = labels.spans if labels is not None else ()
        tags = spans_to_bio(spans, len(post.tokens))
        image_id = post.image_name[:-4] if post.image_name and post.image_name.endswith(".jpg") else post.image_name
        out.write(f"IMGID:{image_id or post.id}\n")
        for tok, tag in zip(post.tokens, tags):
            out.write(f"{tok}\t{tag}\n")
        out.write("\n")
        count += 1
    return count
