"""A model version's predictions over many posts, computed once and kept in the store.

The first pass over a split is the slow one (seconds to minutes on two cores): it runs in
chunks, each saved as soon as it is predicted, reports posts done / total with the time left,
and stops between chunks when the user cancels (what was predicted is kept, so the next call
starts where this one stopped). Later calls read the store.

Relations are predicted per entity pair with typed arguments, typed by the one rule of
student/relation_arguments.entities_for_arguments."""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..access import Action, User
from ..predict_budget import PredictBudget
from ..schema import Post, Span
from ..store import labels as label_store
from ..store import open_store
from ..store.model_versions import get_version, recorded_for_other_checkpoint
from ..store.posts import dataset_known, dataset_schema
from ..store.predictions import cached_relations as stored_relations
from ..store.predictions import cached_spans, put_relations, put_spans
from ..student.cot_inputs import cot_inputs
from ..student.registry import Registry
from ..student.relation_arguments import entities_for_arguments, typed_pair
from .cancel import check_cancelled
from .common import SpanTuple, student

CHUNK = 256         # posts (or entity pairs) predicted and saved between progress reports
BULK_FROM = 256     # more to predict than this: the backend fastest in batches (student/inference.py)

# (posts done, posts in all, what is being predicted); called between chunks
ProgressFn = Callable[[int, int, str], None]
# posts about to be predicted, counted against someone's share (or refused) before any is
ChargeFn = Callable[[int], None]


@dataclass(frozen=True)
class PairGuess:
    """The relation student's answer for one entity pair of a post."""

    head: Span                  # typed as the student read it
    tail: Span
    label: str
    confidence: float
    model: str


def _noop(done: int, total: int, what: str) -> None:
    return None


def viewer_charge(budget: PredictBudget, user: User, others_may: bool = True) -> ChargeFn | None:
    """What a whole split's predictions cost `user`: a viewer's share this hour (predict_budget;
    a refusal predicts nothing), nothing for those who may save labels. One post opened is not
    charged. `others_may`: anyone can sign in with a role that is not limited."""
    if user.may(Action.SAVE_LABELS):
        return None
    return functools.partial(budget.charge, user.name or "", others_may=others_may)


def _register(home: Path, predictor) -> str:
    """The version's name, recorded in the store (predictions reference a known version); a
    name recorded for another checkpoint of that name is recorded again, which drops the
    other weights' cached answers (store/model_versions.upsert_version)."""
    name = predictor.manifest.name
    with open_store(home) as store:
        known = get_version(store, name)
        if known is None or recorded_for_other_checkpoint(known, predictor.manifest.created_at):
            Registry(store).register(predictor.path)
    return name


def made_by(predictor) -> str:
    """How a predictor's answers are made, kept with each (store/predictions.py): its backend,
    and for PyTorch its number format (`torch-fp32`, `torch-bf16`)."""
    dtype = getattr(predictor, "dtype", None) if predictor.backend == "torch" else None
    return f"{predictor.backend}-{dtype}" if dtype else predictor.backend


def reads_cot(predictor) -> bool:
    """A knowledge-view model: it reads the teacher's CoT beside the post at inference (read
    without it, as a text student, the Twitter-2017 teacher scored 82.03 in Errors, not its 87.72)."""
    return predictor.manifest.task == "mner" and predictor.manifest.variant == "knowledge"


def cot_read_by(home: Path, predictor, posts: Sequence[Post]) -> dict[str, str] | None:
    """What a knowledge-view model reads beside each post, as it was trained and scored: the
    caption and the teacher's chain of thought, the caption alone where the teacher wrote none
    (student/data.py); None for a model that reads the post alone."""
    if not reads_cot(predictor):
        return None
    with open_store(home) as store:
        return cot_inputs(store, posts)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def all_predicted(home: Path, posts: Sequence[Post], task: str = "mner") -> bool:
    """Whether the default model of `task` has answered every one of `posts` already, so that a
    queue made from its answers reads the store and predicts nothing (a page load must not start
    minutes of work with no Stop on show). For relations, a post counts once any of its pairs is
    answered: an argument retyped since costs a pair or two, not the split."""
    entity_student = student(home)
    entities = _register(home, entity_student)   # relations read the entity student's types too
    with open_store(home) as store:
        ids = [p.id for p in posts]
        if not set(ids) <= set(cached_spans(store, entities, ids, made_by=made_by(entity_student))):
            return False
    if task != "mre":
        return True
    relation_student = student(home, task="mre")
    relations = _register(home, relation_student)
    with open_store(home) as store:
        ids = [p.id for p in posts if (ls := label_store.current(store, p.id, "mre")) is not None and ls.relations]
        return set(ids) <= set(stored_relations(store, relations, ids, made_by=made_by(relation_student)))


def cached_predictions(home: Path, posts: Sequence[Post], model: str = "default",
                       on_progress: ProgressFn | None = None, charge: ChargeFn | None = None
                       ) -> dict[str, list[SpanTuple]]:
    """Entity predictions of one model version for `posts`, in the types of each post's
    dataset (Twitter-2015's OTHER for the model's MISC; a type the dataset has no name for is
    dropped, as `evaluate` drops it): read in the model's names, Errors scored every OTHER
    span as missed and every MISC one as spurious, and the errors-only queue held every post
    with an OTHER span."""
    predictor = student(home, model)
    name = _register(home, predictor)
    cot = cot_read_by(home, predictor, posts)
    # a model that reads the CoT: each answer says which CoT it read (asked again, the teacher
    # may have written another since, and the old answer is not the model's on the new one)
    made = made_by(predictor) if cot is None else {pid: f"{made_by(predictor)} reading {digest(text)}"
                                                   for pid, text in cot.items()}
    with open_store(home) as store:
        have = cached_spans(store, name, [p.id for p in posts], made_by=made)
        schemas = {d: dataset_schema(store, d) for d in {p.dataset for p in posts} if dataset_known(store, d)}
    # by length, so each chunk's batches hold posts of one length (little padding)
    missing = sorted((p for p in posts if p.id not in have), key=lambda p: len(p.tokens))
    if charge is not None:
        charge(len(missing))
    if len(missing) > BULK_FROM:
        predictor = student(home, model, bulk=True)
    report = on_progress or _noop
    for i in range(0, len(missing), CHUNK):
        if i:  # between chunks: a Stop pressed before this work began never stops it
            check_cancelled(f"{i} of {len(missing)} posts predicted; they are kept")
        chunk = missing[i : i + CHUNK]
        preds = predictor.predict_entities([p.tokens for p in chunk],
                                           knowledge=None if cot is None else [cot[p.id] for p in chunk])
        fresh = {p.id: [(s.start, s.end, s.type, s.confidence) for s in ps] for p, ps in zip(chunk, preds)}
        with open_store(home) as store:
            put_spans(store, name, fresh.items(), made_by=made)
        have.update(fresh)
        report(i + len(chunk), len(missing), f"posts ({name})")

    def named(post: Post) -> list[SpanTuple]:
        schema = schemas.get(post.dataset)
        return have[post.id] if schema is None else schema.translate_scored(have[post.id])
    return {p.id: named(p) for p in posts}


def _argument_entities(home: Path, posts: Sequence[Post], on_progress: ProgressFn | None) -> dict[str, list[Span]]:
    """The entities each post's relation arguments take their types from (one rule:
    relation_arguments.entities_for_arguments)."""
    def predicted(rest: list[Post]) -> dict[str, list[Span]]:
        got = cached_predictions(home, rest, on_progress=on_progress)
        return {pid: [Span(a, b, t) for a, b, t, _ in spans] for pid, spans in got.items()}

    with open_store(home) as store:
        return entities_for_arguments(store, posts, predicted)


def cached_relations(home: Path, posts: Sequence[Post], model: str = "default",
                     on_progress: ProgressFn | None = None, charge: ChargeFn | None = None
                     ) -> dict[str, list[PairGuess]]:
    """The relation student's answer for every entity pair of `posts` (in the order of each
    post's current relation labels); posts without pairs map to []."""
    with open_store(home) as store:
        pairs = {p.id: list(ls.relations) for p in posts if (ls := label_store.current(store, p.id, "mre")) is not None}
    out: dict[str, list[PairGuess]] = {p.id: [] for p in posts}
    posts = [p for p in posts if pairs.get(p.id)]
    if not posts:
        return out
    predictor = student(home, model, task="mre")
    name = _register(home, predictor)
    with open_store(home) as store:
        known = stored_relations(store, name, [p.id for p in posts], made_by=made_by(predictor))
    if charge is not None:   # before any work: the posts with pairs not yet answered (their types' entities too)
        charge(sum(len(known.get(p.id, {})) < len(pairs[p.id]) for p in posts))
    entities = _argument_entities(home, posts, on_progress)
    typed = {p.id: [typed_pair(r.head, r.tail, entities.get(p.id, [])) for r in pairs[p.id]] for p in posts}
    todo: list[tuple[Post, Span, Span]] = []
    for p in posts:
        for head, tail in typed[p.id]:
            if (head, tail) not in known.get(p.id, {}):
                todo.append((p, head, tail))
    todo.sort(key=lambda item: len(item[0].tokens))   # by length: little padding in a chunk's batches
    if len(todo) > BULK_FROM:
        predictor = student(home, model, task="mre", bulk=True)
    report = on_progress or _noop
    for i in range(0, len(todo), CHUNK):
        if i:
            check_cancelled(f"{i} of {len(todo)} entity pairs predicted; they are kept")
        chunk = todo[i : i + CHUNK]
        got = predictor.predict_relations([(p.tokens, h, t) for p, h, t in chunk])
        fresh: dict[str, dict] = {}
        for (p, h, t), g in zip(chunk, got):
            fresh.setdefault(p.id, dict(known.get(p.id, {})))[(h, t)] = (g.label, g.confidence)
        with open_store(home) as store:
            put_relations(store, name, fresh.items(), made_by=made_by(predictor))
        for pid, guesses in fresh.items():
            known[pid] = guesses
        report(i + len(chunk), len(todo), f"entity pairs ({name})")
    for p in posts:
        out[p.id] = [PairGuess(h, t, *known[p.id][(h, t)], model=name) for h, t in typed[p.id]]
    return out


class ProgressReporter:
    """Posts done / total with the time left, for gr.Progress (or anything callable the same way)."""

    def __init__(self, progress):
        self.progress = progress
        self.last = time.perf_counter()
        self.started: dict[str, float] = {}

    def __call__(self, done: int, total: int, what: str) -> None:
        t0 = self.started.setdefault(what, self.last)
        self.last = time.perf_counter()
        left = (self.last - t0) / done * (total - done) if done else 0.0
        self.progress((done, total), desc=f"{done}/{total} {what} predicted, about {left:.0f} s left",
                      unit=what.split(" (")[0])
