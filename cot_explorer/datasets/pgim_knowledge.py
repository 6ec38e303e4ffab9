"""The recorded ChatGPT knowledge of PGIM: per post, its tokens and tags, `<EOS>\\tX`, then the
LLM's text one word a line. Files follow the Twitter split order but may miss posts, so
records are aligned to posts by token sequence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import ParseError
from ..schema import Post
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
