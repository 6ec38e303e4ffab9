"""Telling a labelled benchmark file's format from its first line, so `evaluate` needs no
`--format` for the two formats it scores (each of which starts in its own way)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParseError

SNIFF_BYTES = 64 * 1024   # the first line of either format is far shorter


def labelled_file_format(path: str | Path) -> str:
    """`twitter` (CoNLL, posts start with `IMGID:`) or `mnre` (one `{'token': …}` object a
    line), from the file's first line with text; anything else is refused by name."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as e:
        raise ParseError(str(path), None, "a readable file", e.strerror) from e
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("IMGID:"):
            return "twitter"
        if text.startswith("{") and ("'token'" in text or '"token"' in text):
            return "mnre"
        raise ParseError(str(path), number, "a Twitter CoNLL post ('IMGID:…') or an MNRE line ({'token': …}); "
                                            "name the format with --format", text)
    raise ParseError(str(path), None, "a Twitter CoNLL or MNRE file", "no text in its first 64 KiB")


def importable_file_format(path: str | Path) -> str:
    """`twitter`, `mnre` or `jsonl` (the app's own export, posts of one's own: a JSON object a
    line), from the file's first line with text; anything else is refused by name."""
    try:
        return labelled_file_format(path)
    except ParseError as e:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
        if head.startswith("{"):
            return "jsonl"
        raise ParseError(str(path), e.line, "a Twitter CoNLL post ('IMGID:…'), an MNRE line ({'token': …}) or a "
                                            "JSON object", e.found) from None
