"""Pure, tolerant parsers of teacher text: skip what cannot be read, and count it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..schema import Post, Span, TeacherEntity

_REASONING = re.compile(r"reasoning\s*:", re.IGNORECASE)
_HEADER = re.compile(r"^\s*named\s+entit(?:y|ies)\s*:?\s*", re.IGNORECASE)
_ITEM = re.compile(r"(?:^|(?<=\)))\s*\d+\s*\.\s*")


@dataclass(frozen=True)
class PgimParse:
    entities: tuple[TeacherEntity, ...]
    reasoning: str
    skipped: int


def parse_pgim_text(text: str) -> PgimParse:
    """Split `Named entities: 1. X (type)2. ... Reasoning: ...` into entities and reasoning."""
    m = _REASONING.search(text)
    head, reasoning = (text[: m.start()], text[m.end() :].strip()) if m else ("", text.strip())
    head = _HEADER.sub("", head).strip()
    entities: list[TeacherEntity] = []
    skipped = 0
    if head and not head.rstrip(". ").lower().startswith("none"):
        for chunk in _ITEM.split(head):
            chunk = chunk.strip()
            if not chunk:
                continue
            open_at = chunk.rfind("(")
            if open_at <= 0 or not chunk.endswith(")"):
                skipped += 1
                continue
            name, type_ = chunk[:open_at].strip(), chunk[open_at + 1 : -1].strip()
            if name and type_:
                entities.append(TeacherEntity(name, type_))
            else:
                skipped += 1
    return PgimParse(tuple(entities), reasoning, skipped)


def align_entity(post: Post, surface: str, ignore_case: bool = False) -> Span | None:
    """Token span whose text equals `surface`; failing that, equal once spaces are ignored
    (hashtags written joined: `#NBAAwards` for the tokens `#` `NBAAwards`); with
    `ignore_case`, failing that, equal ignoring case (`Fan Vote` for `fan vote`). None if absent."""
    target = surface.strip()
    if not target:
        return None
    squeezed = "".join(target.split())
    folded = squeezed.casefold()
    loose: Span | None = None
    caseless: Span | None = None
    n = len(post.tokens)
    for i in range(n):
        joined = ""
        for j in range(i, n):
            joined += post.tokens[j]
            if len(joined) > len(squeezed):
                break
            if joined == squeezed:
                if " ".join(post.tokens[i : j + 1]) == target:
                    return Span(i, j + 1, None)
                loose = loose or Span(i, j + 1, None)
            elif ignore_case and caseless is None and joined.casefold() == folded:
                caseless = Span(i, j + 1, None)
    return loose or caseless
