"""The offline teacher: the real ChatGPT reasoning recorded by PGIM (imported as teacher
output `chatgpt-pgim`) and BLIP-2 captions, served from the store. Needs no key."""

from __future__ import annotations

from typing import Sequence

from ..schema import TeacherOutput
from .base import TeachRequest

RECORDED = "chatgpt-pgim"


class RecordedTeacher:
    name = RECORDED
    cot_grain = "reasoning"

    def __init__(self, store):
        self.store = store
        from ..importer import PGIM_MODEL

        self.model = PGIM_MODEL
        self.concurrency = 1

    def cache_version(self, req: TeachRequest, kind: str = "cot") -> str:
        return "pgim-recorded"

    def explain(self, req: TeachRequest) -> TeacherOutput:
        from ..store.teacher_outputs import outputs_for_post

        for out in outputs_for_post(self.store, req.post.id):
            if out.teacher == RECORDED and out.status == "ok":
                return out
        return TeacherOutput(post_id=req.post.id, teacher=RECORDED, model=self.model, template_version="pgim-recorded",
                             grain="reasoning", text="", status="error",
                             error="no recorded knowledge for this post (only Twitter-2015/2017 posts have it)")

    def augment(self, kind: str, req: TeachRequest, entities: Sequence[tuple[str, str]], n: int = 2) -> TeacherOutput:
        return TeacherOutput(post_id=req.post.id, teacher=RECORDED, model=self.model, template_version="pgim-recorded",
                             grain=f"augment:{kind}", text="", status="error",
                             error="the recorded teacher has no augmentations; use the live teacher")
