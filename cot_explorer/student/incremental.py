"""Incremental distillation: continue a student on the corrected posts, replaying earlier
posts so it does not forget, and measure what the correction bought honestly.

Every round uses disjoint sets (`plan_round`, decided before any job exists):
- training: the corrected posts (never a held-out one) and as many replayed earlier posts;
- selection: posts that choose the epoch and stop training early (uncorrected ones, or some
  corrected ones when too few are left), never held-out ones;
- held-out: fixed per dataset by its first round (its test split if it has one, else a seeded
  sample) and stored, so every later version is scored on the same posts;
- untouched: earlier posts the round neither trains nor selects on, for forgetting.
Gains come with a paired bootstrap 95 % interval (the same posts, parent against new).
"""

from __future__ import annotations

import ctypes
import gc
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Protocol, Sequence

import torch

from ..errors import CotExplorerError
from ..evaluate import bootstrap_f1, paired_bootstrap, score_spans, what_changed
from ..labels import NO_RELATION, MnerSchema
from ..schema import Span
from ..store.posts import dataset_schema, get_post, splits_of
from ..store.predictions import cached_spans
from .checkpoint import LoadedStudent, load_checkpoint, save_checkpoint
from .config import TrainConfig, Variant
from .data import data_hash, mner_examples_from_store, mre_examples_from_store
from .gain import gain_direction
from .inference import load_predictor
from .registry import Registry
from .relation_arguments import entities_for_arguments, relations_as_spans, typed_pair
from .round_plan import MIN_UNTOUCHED, ROUND_VARIANTS, RoundRefused, plan_round
from .seen_posts import seen_digests, words_digest
from .train import TrainCallback, train_student


class RoundCancelled(CotExplorerError):
    pass


class RoundCallback(TrainCallback, Protocol):
    """What a job runner hears from a round besides training: each phase in words, with the
    share of the round it spans (scoring the parent and the new version on every held-out
    and untouched post takes longer than training on a few corrections: the bar read 100 %
    at the end of training, with the scoring still to come)."""

    def on_phase(self, words: str, start: float, end: float) -> None: ...
    def on_progress(self, at: float, words: str) -> None: ...


class _Phases:
    """The round's phases, each given its share of the round by the work it does (a post
    scored is one unit, a training example three: forward and backward), told to the
    callback; a Cancel asked for is heeded between phases too (it was heeded only within a
    training step, and a round on a few corrections is almost all scoring: it finished and
    saved a version)."""

    def __init__(self, callback: RoundCallback | TrainCallback | None, scored: int, trained: int, selected: int,
                 epochs: int):
        self.callback = callback
        scoring, training = max(1, scored), epochs * (3 * trained + selected)
        measuring = scoring / 10   # the intervals: resamples of what was scored
        whole = 2 * scoring + training + measuring
        self.bounds = {"before": (0.0, scoring / whole), "training": (scoring / whole, (scoring + training) / whole),
                       "after": ((scoring + training) / whole, (2 * scoring + training) / whole),
                       "measuring": ((2 * scoring + training) / whole, 1.0)}
        self.phase = "before"

    def enter(self, phase: str, words: str) -> None:
        self.stop_if_cancelled()
        self.phase = phase
        if self.callback is not None and hasattr(self.callback, "on_phase"):
            self.callback.on_phase(words, *self.bounds[phase])

    def within(self, done: int, of: int, words: str) -> None:
        """Part of the phase done: the bar moves as posts are scored (it stood at 54 % through
        a relation round's scoring while its time left grew); a Cancel is heeded here too."""
        self.stop_if_cancelled()
        if self.callback is not None and hasattr(self.callback, "on_progress"):
            start, end = self.bounds[self.phase]
            self.callback.on_progress(start + (end - start) * done / max(1, of), words)

    def stop_if_cancelled(self) -> None:
        if self.callback is not None and self.callback.should_cancel():
            raise RoundCancelled(CANCELLED)


CANCELLED = "cancelled before the end: no version was saved"



@dataclass
class RoundReport:
    model: str
    parent: str
    variant: str
    sizes: dict
    heldout_from: str
    selection_from: str
    before: dict                  # parent on the held-out set (scores)
    after: dict                   # new version on the held-out set
    gain: dict                    # {"*": Interval, type: Interval} F1 points, paired bootstrap
    forgetting: dict              # untouched posts: before, after, change with interval
    changes: list[dict] = field(default_factory=list)   # held-out posts fixed or broken
    best_epoch: int = 0
    stopped: str = ""
    seconds_per_epoch: list[float] = field(default_factory=list)
    corrected_heldout: int = 0
    selection_heldout_overlap: int = 0
    task: str = "mner"            # mre: scores are micro-F1 without None; a change's span is a pair index

    def to_json(self) -> dict:
        return asdict(self)

    def gain_sentence(self) -> str:
        g = self.gain["*"]
        sure = {"gain": "a real gain (the interval lies above zero)", "loss": "a real loss (the interval lies below zero)",
                "unclear": "no clear change (the interval includes zero)"}[gain_direction(g)]
        return (f"held-out F1 {self.before['f1']:.2f} → {self.after['f1']:.2f} ({g['value']:+.2f}, 95 % interval "
                f"{g['low']:+.2f} to {g['high']:+.2f}; better in {100 * g['p_better']:.0f} % of resamples): {sure}")


class _RoundData:
    """Every labelled post of the dataset with its knowledge, read once per round, and how the
    round's measurements see them: per post, spans (entities) or pseudo-spans (relations,
    relation_arguments.relations_as_spans), so one bootstrap serves both tasks."""

    def __init__(self, store, dataset: str, task: str, model_types: Sequence[str] | None = None):
        """`model_types`: the entity types the model predicts. Where the dataset names one of
        them otherwise (Twitter-2015's OTHER for MISC), the model learns in its own names and
        its answers are scored in the dataset's (`to_model`, `to_dataset`)."""
        self.task = task
        self.pool: dict[str, list] = {}
        self.to_model = self.to_dataset = None
        if task == "mner" and model_types is not None:
            theirs, ours = MnerSchema(tuple(model_types)), dataset_schema(store, dataset)
            if set(theirs.types) != set(ours.types):
                self.to_model, self.to_dataset = theirs, ours
        for sp in splits_of(store, dataset):
            if task == "mner":
                for ex in mner_examples_from_store(store, dataset, sp):
                    self.pool[ex.post_id] = [ex]
            else:
                for ex in mre_examples_from_store(store, dataset, sp):
                    self.pool.setdefault(ex.post_id, []).append(ex)
        if task == "mre":
            self._type_arguments(store)

    def _type_arguments(self, store) -> None:
        """Arguments typed as the app types them (relation_arguments.entities_for_arguments, one
        rule), so the relation student reads what it will read in use."""
        registry = Registry(store)
        posts = [get_post(store, pid) for pid in self.pool]
        mner_path = registry.default_path("mner")
        name = registry.register(mner_path)   # recorded again if its weights changed, which drops their old answers
        cached = cached_spans(store, name, list(self.pool))

        def predicted(rest: list) -> dict[str, list[Span]]:
            out = {p.id: [Span(a, b, t) for a, b, t, _ in cached[p.id]] for p in rest if p.id in cached}
            todo = [p for p in rest if p.id not in cached]
            if todo:  # the backend the app uses, so the types are the ones the app reads
                got = load_predictor(mner_path, consistent=True).predict_entities([p.tokens for p in todo])
                out.update({p.id: [s.span() for s in spans] for p, spans in zip(todo, got)})
            return out

        entities = entities_for_arguments(store, [p for p in posts if p is not None], predicted)
        for pid, exs in self.pool.items():
            self.pool[pid] = [replace(ex, head=h, tail=t) for ex in exs
                              for h, t in [typed_pair(ex.head, ex.tail, entities.get(pid, []))]]

    def ids(self, ids: Sequence[str]) -> list[str]:
        return [i for i in ids if i in self.pool]

    def examples(self, ids: Sequence[str]) -> list:
        """What the model trains on: in its own type names."""
        out = [ex for i in self.ids(ids) for ex in self.pool[i]]
        if self.to_model is not None:
            out = [replace(ex, spans=tuple(self.to_model.translate(ex.spans))) for ex in out]
        return out

    def gold(self, ids: Sequence[str]) -> list[list[Span]]:
        if self.task == "mner":
            return [list(self.pool[i][0].spans) for i in self.ids(ids)]
        return [relations_as_spans([ex.label for ex in self.pool[i]]) for i in self.ids(ids)]

    def predict(self, task, model, cfg, ids: Sequence[str], on_batch=None) -> list[list[Span]]:
        """Predictions as the app keeps and scores them (fp32, parent and new alike: in bf16 a
        round's score was not the one Errors, Promote and `evaluate` gave the same version);
        `on_batch(done, of)` in examples, as training counts them."""
        ids = self.ids(ids)
        if not ids:
            return []
        with torch.inference_mode():
            if self.task == "mner":
                pred = task.predict(model, [replace(self.pool[i][0], spans=()) for i in ids], cfg, on_batch=on_batch)
                spans = [[p.span() for p in ps] for ps in pred]
                # scored in the dataset's names, as its gold is (and as the app shows the answers)
                return [self.to_dataset.translate(ps) for ps in spans] if self.to_dataset is not None else spans
            labels = iter(p.label for p in task.predict(model, self.examples(ids), cfg, on_batch=on_batch))
            return [relations_as_spans([next(labels) for _ in self.pool[i]]) for i in ids]


def adapt(parent: LoadedStudent, variant: str) -> LoadedStudent:
    """The parent's weights in the architecture of `variant` (a text student continued as a
    distilled one gets fresh prompts; a distilled one continued as text drops them), so every
    variant trains from every parent and the result loads; a parent without soft prompts (a
    prompt-free kd default) continued as distilled gets fresh ones, or "distill" would name a
    text student."""
    cfg = replace(parent.config, variant=variant)
    if cfg.prompt_kind and not cfg.n_prompts:   # a kd parent without prompts continued as distilled
        cfg = replace(cfg, n_prompts=TrainConfig().n_prompts)
    if cfg.prompt_kind == parent.config.prompt_kind and cfg.n_prompts == parent.config.n_prompts:
        return replace(parent, config=cfg)
    model = parent.task.build(cfg, parent.model.encoder)
    own = model.state_dict()
    model.load_state_dict({k: v for k, v in parent.model.state_dict().items()
                           if k in own and own[k].shape == v.shape}, strict=False)
    return LoadedStudent(model, parent.task, cfg, parent.manifest, parent.path)


def release_memory() -> None:
    """Give back what a round held: Python objects, then the C heap's free pages (glibc)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps its pages, nothing else to do
        pass


def run_round(store, dataset: str, name: str, *, variant: str = Variant.DISTILL.value, epochs: int = 2,
              replay_ratio: float = 1.0, since: str | None = None, parent: str = "default", seed: int = 42,
              knowledge_budget: int = 96, callback: RoundCallback | TrainCallback | None = None, progress: bool = False,
              resamples: int = 2000) -> RoundReport:
    if variant not in ROUND_VARIANTS:
        raise RoundRefused(f"a round trains {' or '.join(ROUND_VARIANTS)}, not {variant!r}")
    plan = plan_round(store, dataset, since=since, replay_ratio=replay_ratio, seed=seed, fix=True, parent=parent)
    registry = Registry(store)
    parent_path = registry.path(parent, plan.task)
    as_is = load_checkpoint(parent_path)
    init = adapt(as_is, variant)
    parent_name = init.manifest.name
    # the parent's task and types are the dataset's, maybe by other names (plan_round checks them)
    if plan.task == "mner":
        types = list(dataset_schema(store, dataset).types)
    else:
        types = [r for r in init.task.labels if r != NO_RELATION]
    cfg = replace(init.config, epochs=epochs, patience=epochs, seed=seed, train_fraction=1.0,
                  knowledge_budget=knowledge_budget, lr=5e-5)
    data = _RoundData(store, dataset, plan.task, init.task.schema.types if plan.task == "mner" else None)
    train, selection = data.examples(plan.curated + plan.replay), data.examples(plan.selection)
    heldout_ids_, untouched_ids = data.ids(plan.heldout), data.ids(plan.untouched)
    gold_h, gold_u = data.gold(heldout_ids_), data.gold(untouched_ids)
    # the parent as it is and as the app runs it, not `init`: a kd parent continued as distilled
    # has fresh prompts there, another model (its "before" was not the parent's score)
    # in examples, as training counts them (an MNRE post is read once per entity pair)
    n_held, n_untouched = len(data.examples(heldout_ids_)), len(data.examples(untouched_ids))
    phases = _Phases(callback, n_held + n_untouched, len(train), len(selection), epochs)
    scored = f"{len(heldout_ids_)} held-out and {len(untouched_ids)} untouched posts"
    unit = "posts" if plan.task == "mner" else "entity pairs"

    def score(phase: str, words: str, task, model, config, data: _RoundData = data) -> tuple[list, list]:
        """A model on the held-out and untouched posts, the bar moving batch by batch."""
        phases.enter(phase, words)
        n = n_held + n_untouched

        def told(offset: int):
            return lambda done, _: phases.within(offset + done, n, f"{words}: {offset + done} of {n} {unit}")
        return (data.predict(task, model, config, heldout_ids_, told(0)),
                data.predict(task, model, config, untouched_ids, told(n_held)))

    before_h, before_u = score("before", f"scoring the parent {parent_name} on {scored}", as_is.task, as_is.model,
                               as_is.config)
    phases.enter("training", f"training on {len(train)} {unit}, {epochs} epoch{'s' if epochs != 1 else ''}")
    result = train_student(cfg, train, selection, callback, progress=progress, init=init)
    if result.stopped == "cancelled":
        del init, as_is, result
        release_memory()
        raise RoundCancelled(CANCELLED)
    after_h, after_u = score("after", f"scoring the new version on {scored}", result.task, result.model, cfg)
    phases.enter("measuring", f"measuring the change: {resamples} resamples of the held-out posts")
    gain = paired_bootstrap(gold_h, before_h, after_h, resamples=resamples, seed=seed, types=types)
    forgetting = {"posts": len(untouched_ids)}
    if len(untouched_ids) >= MIN_UNTOUCHED:   # on fewer, "+0.00, within noise" read as a finding
        fg = paired_bootstrap(gold_u, before_u, after_u, resamples=resamples, seed=seed)["*"]
        forgetting.update(before=score_spans(gold_u, before_u).f1, after=score_spans(gold_u, after_u).f1,
                          change=fg.to_json())
    after_scores = score_spans(gold_h, after_h).to_json()
    after_scores["interval"] = bootstrap_f1(gold_h, after_h, seed=seed).to_json()
    before_scores = score_spans(gold_h, before_h).to_json()
    before_scores["interval"] = bootstrap_f1(gold_h, before_h, seed=seed).to_json()
    changes = [{"post_id": c.post_id, "fixed": [s.to_json() for s in c.fixed], "broke": [s.to_json() for s in c.broke],
                "new_spurious": [s.to_json() for s in c.new_spurious], "gone_spurious": [s.to_json() for s in c.gone_spurious]}
               for c in what_changed(heldout_ids_, gold_h, before_h, after_h)]
    extra = {"metrics": {"held_out": after_scores, "held_out_parent": before_scores, "selection": result.best_valid},
             "data": {"dataset": dataset, "heldout_set": f"{dataset} ({plan.heldout_from})", **plan.sizes(),
                      "curated_hash": data_hash(data.examples(plan.curated)), "since": since,
                      "selection_from": plan.selection_from, "task": plan.task},
             "training": {"parent": parent_name, "incremental": True, "best_epoch": result.best_epoch,
                          "seconds_per_epoch": result.seconds_per_epoch,
                          "created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
             "round": {"gain": {k: v.to_json() for k, v in gain.items()}, "forgetting": forgetting}}
    labels = result.task.tags if plan.task == "mner" else result.task.labels
    phases.stop_if_cancelled()   # the last moment before a version exists (after the intervals)
    # what the new version learnt: its parent's posts and this round's training posts, so no
    # later round from it measures on them
    learnt = seen_digests(parent_path) | {words_digest(ex.words) for ex in train}
    path = save_checkpoint(store.home / "models", name, result.model, cfg, labels, extra,
                           seen=(learnt, f"{parent_name}'s training posts and {len(train)} {unit} of {dataset}"))
    registry.register(parent_path)   # the parent is a known version too
    registry.register(path, parent=parent_name)
    report = RoundReport(name, parent_name, variant, plan.sizes(), plan.heldout_from, plan.selection_from,
                         before_scores, after_scores, {k: v.to_json() for k, v in gain.items()}, forgetting, changes,
                         result.best_epoch, result.stopped, result.seconds_per_epoch, plan.corrected_heldout,
                         len(set(plan.selection) & set(plan.heldout)), plan.task)
    del init, as_is, result, train, selection, data, score
    release_memory()
    return report
