"""Prompt templates from `prompts/`, rendered in a sandboxed Jinja environment.

A template's version is the hash of its text (and of every template it includes), so the
teacher cache key changes whenever a prompt does.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ..labels import MRE_RELATIONS

PROMPTS_ENV = "COT_EXPLORER_PROMPTS"
GRAINS = ("noun", "sentence", "multimodal")
AUGMENTATIONS = ("style", "entity", "image")


def prompts_dir() -> Path:
    env = os.environ.get(PROMPTS_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "prompts"


def delimited(text: str) -> str:
    """Post text safe to put between <post> tags: it cannot close or open the tag itself."""
    return text.replace("</post>", "</ post>").replace("<post>", "< post>")


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    demos: str        # fixed few-shot block: cached with the system prompt
    user: str
    version: str      # hash of every template used


class PromptSet:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or prompts_dir()
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(self.folder)), undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                        autoescape=False)

    def version(self, names: Sequence[str]) -> str:
        h = hashlib.sha256()
        for name in sorted(set(names)):
            h.update(name.encode())
            h.update((self.folder / name).read_bytes())
        return h.hexdigest()[:16]

    def _render(self, name: str, **ctx) -> str:
        return self.env.get_template(name).render(**ctx).strip() + "\n"

    def cot(self, *, task: str, post_text: str, grains: Sequence[str], entity_types: Sequence[str],
            caption: str | None, has_image: bool, demos: Sequence = (), head: str = "", tail: str = "") -> RenderedPrompt:
        bad = [g for g in grains if g not in GRAINS]
        if bad or not grains:
            raise ValueError(f"grains must be among {GRAINS}, got {list(grains)}")
        ctx = dict(task=task, entity_types=list(entity_types), relations=list(MRE_RELATIONS))
        names = ["system.jinja", "cot.jinja", *(f"{g}.jinja" for g in grains)]
        if demos:  # the demonstrations are part of the prompt: their file is part of its version
            names += ["demos.jinja"] + (["demos.json"] if (self.folder / "demos.json").exists() else [])
        return RenderedPrompt(
            system=self._render("system.jinja", **ctx),
            demos=self._render("demos.jinja", demos=demos) if demos else "",
            user=self._render("cot.jinja", post_text=delimited(post_text), grains=list(grains), caption=caption,
                              has_image=has_image, head=head, tail=tail, **ctx),
            version=self.version(names),
        )

    def augmentation(self, kind: str, *, task: str, post_text: str, entity_types: Sequence[str], n: int = 2,
                     entities: Sequence = (), caption: str | None = None) -> RenderedPrompt:
        if kind not in AUGMENTATIONS:
            raise ValueError(f"augmentation must be among {AUGMENTATIONS}, got {kind!r}")
        ctx = dict(task=task, entity_types=list(entity_types), relations=list(MRE_RELATIONS))
        return RenderedPrompt(
            system=self._render("system.jinja", **ctx), demos="",
            user=self._render(f"{kind}.jinja", post_text=delimited(post_text), n=n, entities=list(entities), caption=caption, **ctx),
            version=self.version(["system.jinja", f"{kind}.jinja"]),
        )
