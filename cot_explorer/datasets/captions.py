"""BLIP-2 caption files: `<image id>.jpg :<caption>` a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ParseError
from .lines import read_lines


@dataclass(frozen=True)
class Caption:
    image_name: str
    text: str


@dataclass(frozen=True)
class CaptionFile:
    captions: list[Caption]
    empty: int  # lines naming an image with no caption text (BLIP-2 left some blank)


def read_captions(path: str | Path) -> CaptionFile:
    path = str(path)
    captions: list[Caption] = []
    empty = 0
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        name, sep, text = line.partition(" :")
        if not sep or not name.strip():
            raise ParseError(path, lineno, "'<image file> :<caption>'", line)
        if not text.strip():
            empty += 1
            continue
        captions.append(Caption(name.strip(), text.strip()))
    return CaptionFile(captions, empty)
