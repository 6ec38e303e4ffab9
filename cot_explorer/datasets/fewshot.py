"""Hand-labelled few-shot demonstrations (image id, entity list, reasoning), joined to the
post text of the dataset file that holds those image ids."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParseError
from .lines import read_lines


@dataclass(frozen=True)
class DemoEntity:
    text: str
    type: str


@dataclass(frozen=True)
class Demo:
    image_id: str
    text: str
    entities: tuple[DemoEntity, ...]
    reasoning: str


def _pairs(path: Path) -> dict[str, str]:
    lines = [ln for ln in read_lines(path) if ln.strip()]
    if len(lines) % 2:
        raise ParseError(str(path), len(lines), "an image id line followed by its content line")
    return {lines[i].strip(): lines[i + 1] for i in range(0, len(lines), 2)}


def read_fewshot(folder: Path, posts_by_image: dict[str, str], limit: int | None = None) -> list[Demo]:
    """Demos whose image id has a post text in `posts_by_image` (image id -> text)."""
    entities = _pairs(folder / "entities.txt")
    reasoning = _pairs(folder / "reasoning.txt")
    demos: list[Demo] = []
    for image_id, ents in entities.items():
        if image_id not in posts_by_image:
            continue
        parsed: tuple[DemoEntity, ...] = ()
        if ents.strip() != "None":
            try:
                value = ast.literal_eval("[" + ents + "]")
                parsed = tuple(DemoEntity(str(t), str(y)) for t, y in value)
            except (ValueError, SyntaxError, TypeError):
                continue  # tolerant: an unreadable demonstration is skipped
        text = reasoning.get(image_id, "")
        reason = text.split("Reasoning:", 1)[1].strip() if "Reasoning:" in text else ""
        demos.append(Demo(image_id, posts_by_image[image_id], parsed, reason))
        if limit and len(demos) >= limit:
            break
    return demos
