"""The recorded ChatGPT knowledge of PGIM: per post, its tokens and tags, `<EOS>\\tX`, then the
LLM's text one word a line. Files follow the Twitter split order but may miss posts, so
records are aligned to posts by token sequence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import ParseError
from ..schema import Grain, GrainText, Post, TeacherEntity
from .lines import read_lines

EOS = "<EOS>"


@dataclass(frozen=True)
class KnowledgeRecord:
    tokens: tuple[str, ...]
    text: str
    line: int


@dataclass(frozen=True)
class KnowledgeAlignment:
    pairs: list[tuple[str, KnowledgeRecord]]  # (post id, record)
    unaligned_records: list[KnowledgeRecord]
    posts_without: list[str]

    @property
    def aligned(self) -> int:
        return len(self.pairs)


def read_pgim_knowledge(path: str | Path) -> list[KnowledgeRecord]:
    path = str(path)
    lines = read_lines(path)
    records: list[KnowledgeRecord] = []
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        start = i + 1
        tokens: list[str] = []
        while i < n and lines[i].strip() and not lines[i].startswith(EOS + "\t"):
            tok, sep, _tag = lines[i].rpartition("\t")
            if not sep or not tok:
                raise ParseError(path, i + 1, "a token line 'token<TAB>tag' or '<EOS><TAB>X'", lines[i])
            tokens.append(tok)
            i += 1
        if i >= n or not lines[i].startswith(EOS + "\t"):
            raise ParseError(path, i + 1 if i < n else n, f"'{EOS}<TAB>X' after the tokens of the post at line {start}")
        if not tokens:
            raise ParseError(path, start, "at least one token before <EOS>")
        i += 1
        words: list[str] = []
        while i < n and lines[i].strip():
            word, sep, _x = lines[i].rpartition("\t")
            words.append(word if sep else lines[i])
            i += 1
        if not words:
            raise ParseError(path, start, "the LLM's text after <EOS> (one word a line)")
        records.append(KnowledgeRecord(tuple(tokens), " ".join(words), start))
    return records


def align_knowledge(records: Sequence[KnowledgeRecord], posts: Sequence[Post]) -> KnowledgeAlignment:
    """Pair each record with the next unused post that has exactly its tokens, in file order."""
    by_tokens: dict[tuple[str, ...], list[str]] = {}
    for post in posts:
        by_tokens.setdefault(post.tokens, []).append(post.id)
    pairs: list[tuple[str, KnowledgeRecord]] = []
    unaligned: list[KnowledgeRecord] = []
    for rec in records:
        queue = by_tokens.get(rec.tokens)
        if queue:
            pairs.append((queue.pop(0), rec))
        else:
            unaligned.append(rec)
    used = {pid for pid, _ in pairs}
    return KnowledgeAlignment(pairs, unaligned, [p.id for p in posts if p.id not in used])


_IMAGE_WORDS = re.compile(r"\b(image|picture|photo|caption|pictured|shown)\b", re.IGNORECASE)
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
                entities.append(TeacherEntity(name, type_, explanation(name, reasoning)))
            else:
                skipped += 1
    return PgimParse(tuple(entities), reasoning, skipped)


def sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def explanation(name: str, reasoning: str) -> str:
    """What the reasoning says of an entity: its first sentence that names it (the recorded
    list gives each entity a type only; the explanation is in the paragraph)."""
    key = name.strip().lstrip("@#").lower()
    if not key:
        return ""
    return next((s for s in sentences_of(reasoning) if key in s.lower()), "")


def pgim_grains(text: str, caption: str | None = None) -> tuple[GrainText, ...]:
    """The recorded text as grains, for display: its entity list is the noun grain, its
    reasoning the sentence grain; the multimodal grain is derived here (the image caption, and
    the reasoning's sentences about the image). The students read the text as published."""
    parsed = parse_pgim_text(text)
    grains = []
    if parsed.entities:
        grains.append(GrainText(Grain.NOUN, "Named entities", "\n".join(
            f"- **{e.text}** ({e.type}){': ' + e.rationale if e.rationale else ''}" for e in parsed.entities)))
    if parsed.reasoning:
        grains.append(GrainText(Grain.SENTENCE, "Reasoning", parsed.reasoning))
    about_image = [s for s in sentences_of(parsed.reasoning) if _IMAGE_WORDS.search(s)]
    if caption or about_image:
        parts = ([f"The image shows {caption.rstrip('.')}."] if caption else []) + about_image
        grains.append(GrainText(Grain.MULTIMODAL, "Image", " ".join(parts), derived=True))
    return tuple(grains)
