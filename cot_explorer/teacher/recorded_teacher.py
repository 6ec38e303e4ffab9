"""The offline teacher: the real ChatGPT reasoning recorded by PGIM (`Named entities: 1. X
(type) ... Reasoning: ...`), imported as teacher output and served from the store. Needs no
key. Everything that knows this recorded format's place in the store lives here."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..datasets.pgim_knowledge import parse_pgim_text, pgim_grains
from ..schema import AUGMENT_PREFIX, COT_SLOT, Post, TeacherOutput
from ..store import Store
from ..store.keys import cache_key
from ..store.teacher_outputs import cached
from ..tokenize import align_entity
from .base import TeachRequest

RECORDED = "chatgpt-pgim"
PGIM_MODEL = "gpt-3.5-turbo (recorded by PGIM)"
PGIM_TEMPLATE = "pgim-recorded"


def recorded_output(post: Post, text: str) -> tuple[TeacherOutput, int]:
    """One post's recorded ChatGPT text as teacher output: the text as published (what the
    students read), its grains, its entities aligned to the post's tokens; and how many list
    items could not be read."""
    parsed = parse_pgim_text(text)
    entities = tuple(replace(e, span=align_entity(post, e.text)) for e in parsed.entities)
    return TeacherOutput(post_id=post.id, teacher=RECORDED, model=PGIM_MODEL, template_version=PGIM_TEMPLATE,
                         slot=COT_SLOT, text=text, entities=entities, raw=text,
                         grains=pgim_grains(text, post.caption)), parsed.skipped


class RecordedTeacher:
    name = RECORDED
    model = PGIM_MODEL
    concurrency = 1

    def __init__(self, store: Store):
        self.store = store

    def cache_version(self, req: TeachRequest, kind: str = "cot") -> str:
        return PGIM_TEMPLATE

    def explain(self, req: TeachRequest) -> TeacherOutput:
        out = cached(self.store, cache_key(req.post, PGIM_MODEL, PGIM_TEMPLATE, req.slot()))
        if out is not None:   # maybe imported for another post of the same words: this post's now
            return replace(out, post_id=req.post.id)
        # the knowledge is imported per dataset split, and covers Twitter-2015/2017 posts only (a
        # Twitter-2017 split imported under another name read as "only Twitter posts have it")
        return TeacherOutput(post_id=req.post.id, teacher=RECORDED, model=PGIM_MODEL, template_version=PGIM_TEMPLATE,
                             slot=req.slot(), text="", status="error",
                             error=(f"no recorded knowledge imported for this post: import the split's with "
                                    f"`cot-explorer import knowledge FILE --dataset {req.post.dataset} "
                                    f"--split {req.post.split}` (the recorded ChatGPT knowledge covers "
                                    "Twitter-2015/2017 posts only)"))

    def augment(self, kind: str, req: TeachRequest, entities: Sequence[tuple[str, str]], n: int = 2) -> TeacherOutput:
        return TeacherOutput(post_id=req.post.id, teacher=RECORDED, model=PGIM_MODEL, template_version=PGIM_TEMPLATE,
                             slot=f"{AUGMENT_PREFIX}{kind}", text="", status="error",
                             error="the recorded teacher has no augmentations; use the live teacher")
