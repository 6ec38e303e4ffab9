"""Teaching a dataset split: cached answers first, then live calls (or a Message Batch),
then augmentations. The teacher writes only teacher output; the posts its augmentations make
are returned for the importer to write (importer.write_augmented)."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Sequence

from tqdm.auto import tqdm

from ..errors import CotExplorerError, ValidationError
from ..schema import AUGMENT_PREFIX, COT_GRAINS, TeacherOutput
from ..store import Store
from ..store.images import image_path
from ..store.jobs import create_job, unfinished_jobs, update_job
from ..store.keys import cache_key
from ..store.labels import current, current_for_split
from ..store.posts import dataset_schema, list_posts
from ..store.teacher_outputs import add_outputs, cached, share_cached
from .augment import AugmentResult, build_augmented
from .base import TeachRequest
from .prompts import AUGMENTATIONS


@dataclass
class TeachSummary:
    posts: int = 0
    calls: int = 0
    cache_hits: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    augmented_posts: int = 0
    augment_dropped: int = 0
    batch_id: str | None = None
    batched: int = 0              # requests sent in the Message Batch (not counted as calls)
    error_examples: list[str] = field(default_factory=list)
    augmented: list[AugmentResult] = field(default_factory=list)   # posts for the importer to write

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "augmented"}

    def line(self) -> str:
        # a batch run read "0 calls" beside the tokens it spent
        asked = (f"{self.batched} requests in Message Batch {self.batch_id}" + (f" + {self.calls} calls" if self.calls else "")
                 if self.batch_id else f"{self.calls} calls")
        return (f"{self.posts} posts: {asked}, {self.cache_hits} cache hits, {self.errors} errors, "
                f"{self.input_tokens} input + {self.output_tokens} output tokens, ${self.cost_usd:.4f}"
                + (f"; {self.augmented_posts} augmented posts ({self.augment_dropped} dropped)" if
                   self.augmented_posts or self.augment_dropped else ""))


def key_for(store: Store, teacher, req: TeachRequest, slot: str, kind: str = "cot") -> str:
    return cache_key(req.post, teacher.model, teacher.cache_version(req, kind), slot)


def _requests(store: Store, dataset: str, split: str, grains: Sequence[str], limit: int | None) -> list[TeachRequest]:
    posts = list_posts(store, dataset, split)
    if not posts:
        raise CotExplorerError(f"no posts in {dataset}/{split}")
    types = tuple(dataset_schema(store, dataset).types)
    relations = current_for_split(store, dataset, split, "mre")
    reqs = []
    for post in posts[:limit] if limit else posts:
        path = image_path(store, post.image_sha256) if post.image_sha256 else None
        image = path.read_bytes() if path else None
        if post.id in relations:  # MRE: one request per distinct entity pair of the post
            pairs = {(r.head, r.tail) for r in relations[post.id].relations}
            for head, tail in sorted(pairs, key=lambda p: (p[0].start, p[1].start)):
                reqs.append(TeachRequest(post, "mre", tuple(grains), types, image, post.span_text(head),
                                         post.span_text(tail), (head, tail)))
        else:
            reqs.append(TeachRequest(post, "mner", tuple(grains), types, image))
    return reqs


def still_to_ask(store: Store, teacher, reqs: Sequence[TeachRequest]) -> list[tuple[TeachRequest, str]]:
    """The requests the store has no answer to, with their cache keys; each answered one is kept
    as its post's (an answer about another post of the same text and image, the same file
    imported as two splits, is this post's too: counted as a hit, it was attached to nothing).
    One rule for `teach` and Explore's Ask (which bought the same answers again)."""
    todo = []
    for req in reqs:
        key = key_for(store, teacher, req, req.slot())
        hit = cached(store, key)
        if hit is None:
            todo.append((req, key))
        else:
            share_cached(store, req.post, hit)
    return todo


def _record(summary: TeachSummary, out: TeacherOutput) -> None:
    summary.input_tokens += out.input_tokens or 0
    summary.output_tokens += out.output_tokens or 0
    summary.cost_usd = round(summary.cost_usd + (out.cost_usd or 0.0), 6)
    if out.status == "error":
        summary.errors += 1
        if len(summary.error_examples) < 3:
            summary.error_examples.append(f"{out.post_id}: {out.error}")


def check_asked_for(grains: Sequence[str], augment: Sequence[str]) -> None:
    """Grains and augmentations by name, refused before any request where one is not known (a
    misspelt one was asked for as given, and failed once per post) or none is asked for."""
    known_grains = [g.value for g in COT_GRAINS]
    for given, known, what in ((grains, known_grains, "--grains"), (augment, list(AUGMENTATIONS), "--augment")):
        unknown = [g for g in given if g not in known]
        if unknown:
            raise ValidationError(f"{what}: {', '.join(map(repr, unknown))} is not one of {', '.join(known)}")
    if not grains and not augment:
        raise ValidationError(f"--grains: name at least one of {', '.join(known_grains)}")


def teach(store: Store, teacher, dataset: str, split: str, grains: Sequence[str] = ("noun", "sentence", "multimodal"),
          augment: Sequence[str] = (), limit: int | None = None, use_batch: bool = False, poll_s: float = 30.0,
          progress: bool = True) -> TeachSummary:
    check_asked_for(grains, augment)
    if limit is not None and limit < 1:   # -4 was read as "all but the last 4", and 0 as "all"
        raise ValidationError(f"--limit must be 1 or more (it was {limit}); leave it out to teach every post")
    reqs = _requests(store, dataset, split, grains, limit)
    summary = TeachSummary(posts=len({r.post.id for r in reqs}))
    calls_before = getattr(getattr(teacher, "usage", None), "calls", 0)
    todo = still_to_ask(store, teacher, reqs)
    summary.cache_hits = len(reqs) - len(todo)
    if todo and use_batch:
        _run_batch(store, teacher, dataset, split, todo, summary, poll_s, progress)
    elif todo:
        bar = tqdm(total=len(todo), desc=f"teach {dataset}/{split}", disable=not progress)
        asked = [r for r, _ in todo]
        workers = max(1, getattr(teacher, "concurrency", 1))
        # one at a time in this thread: the recorded teacher reads the store's connection, which
        # a worker thread shared with the writes here ("no such savepoint", now and then)
        with ThreadPoolExecutor(max_workers=workers) if workers > 1 else nullcontext() as pool:
            answers = pool.map(teacher.explain, asked) if pool else map(teacher.explain, asked)
            for req, out in zip(asked, answers):
                add_outputs(store, [(req.post, out)])
                _record(summary, out)
                bar.update(1)
        bar.close()
    if augment:
        summary.augmented = _augment(store, teacher, reqs, augment, summary, progress)
    summary.calls = getattr(getattr(teacher, "usage", None), "calls", 0) - calls_before
    return summary


def _run_batch(store: Store, teacher, dataset: str, split: str, todo, summary: TeachSummary, poll_s: float,
               progress: bool = True) -> None:
    """Submit once; a restarted run finds the unfinished job in the store and resumes polling.
    While it waits, each check of the batch is said on stderr (a batch may take hours: it said
    nothing until it ended)."""
    by_key = {key: req for req, key in todo}
    job = next((j for j in unfinished_jobs(store, "teach-batch")
                if j.params.get("dataset") == dataset and j.params.get("split") == split
                and j.params.get("model") == teacher.model), None)
    if job is None:
        items = [(key, teacher.cot_params(req)[0]) for req, key in todo]
        batch_id = teacher.submit_batch(items)
        job_id = create_job(store, "teach-batch", {"dataset": dataset, "split": split, "model": teacher.model,
                                                    "batch_id": batch_id, "keys": list(by_key)}, status="running")
    else:
        batch_id, job_id = job.params["batch_id"], job.id
    summary.batch_id, summary.batched = batch_id, len(todo)
    started = time.monotonic()
    while (status := teacher.batch_status(batch_id)) != "ended":
        update_job(store, job_id, message=f"batch {batch_id}: {status}")
        if progress:
            waited = int(time.monotonic() - started)
            tqdm.write(f"Message Batch {batch_id} ({len(todo)} requests): {status.replace('_', ' ')} after "
                       f"{waited // 60} min {waited % 60} s; checked again every {poll_s:g} s (Ctrl-C stops waiting: "
                       "the batch goes on, and the same command picks it up)", file=sys.stderr)
        time.sleep(poll_s)
    posts = {req.post.id: req.post for req in by_key.values()}
    for custom_id, text, error, usage in teacher.batch_results(batch_id):
        req = by_key.get(custom_id)
        if req is None:  # a request of an earlier run of this job: its post is still in the store
            continue
        if text is None:
            out = TeacherOutput(post_id=req.post.id, teacher=teacher.name, model=teacher.model,
                                template_version=teacher.cache_version(req), slot=req.slot(), text="",
                                status="error", error=error)
        else:
            try:
                out = teacher.output_from_answer(req, text, usage, batch=True)
            except ValueError:
                out = teacher.explain(req)  # the answer did not fit: one live retry
        add_outputs(store, [(posts[req.post.id], out)])
        _record(summary, out)
    update_job(store, job_id, status="done", message=f"batch {batch_id} imported", result=summary.to_json())


def _augment(store: Store, teacher, reqs: Sequence[TeachRequest], kinds: Sequence[str], summary: TeachSummary,
             progress: bool) -> list[AugmentResult]:
    """Ask for (or find cached) augmentations; the posts they make are returned, not written."""
    reqs = [r for r in reqs if r.task == "mner"]  # augmentations re-align entity spans: MNER posts only
    results: list[AugmentResult] = []
    for req in tqdm(reqs, desc="augment", disable=not progress):
        labels = current(store, req.post.id, "mner")
        if labels is None or not labels.spans:
            continue
        surfaces = [(req.post.span_text(s), s.type) for s in labels.spans]
        for kind in kinds:
            key = key_for(store, teacher, req, f"{AUGMENT_PREFIX}{kind}", kind)
            out = cached(store, key)
            if out is None:
                out = teacher.augment(kind, req, surfaces)
                add_outputs(store, [(req.post, out)])
                _record(summary, out)
            if out.status != "ok":
                continue
            res = build_augmented(kind, req.post, labels, out.raw, f"{req.post.dataset}-aug", teacher.model)
            summary.augment_dropped += res.dropped
            results.append(res)
    return results
