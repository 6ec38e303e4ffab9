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
import random
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Sequence

import torch

from ..errors import CotExplorerError
from ..evaluate import bootstrap_f1, paired_bootstrap, score_spans, what_changed
from ..schema import Span
from ..store.heldout import fix_heldout, heldout_ids, heldout_source
from ..store.labels import corrected_post_ids
from ..store.posts import dataset_schema, list_posts, splits_of
from .checkpoint import LoadedStudent, load_checkpoint, save_checkpoint
from .config import Variant
from .data import MnerExample, data_hash, mner_examples_from_store
from .inference_dtype import autocast, resolve_dtype
from .registry import Registry
from .train import TrainCallback, train_student

MIN_HELDOUT = 50            # below this a 95 % interval says little: a round is refused
HELDOUT_SHARE, HELDOUT_CAP = 0.2, 500
SELECTION_SIZE = 200
UNTOUCHED_SIZE = 300
ROUND_VARIANTS = (Variant.TEXT.value, Variant.DISTILL.value)   # what a round offers (each tested from each parent)


class RoundCancelled(CotExplorerError):
    pass


class RoundRefused(CotExplorerError):
    """A round that cannot be run or measured: said before any job exists."""


@dataclass(frozen=True)
class RoundPlan:
    dataset: str
    heldout_from: str                  # 'test split' or 'sample'
    curated: tuple[str, ...]
    replay: tuple[str, ...]
    selection: tuple[str, ...]
    heldout: tuple[str, ...]
    untouched: tuple[str, ...]
    corrected_heldout: int             # corrections on held-out posts: measured with, never trained on
    selection_from: str

    def sizes(self) -> dict:
        return {"training (corrected)": len(self.curated), "training (replayed)": len(self.replay),
                "selection": len(self.selection), "held-out": len(self.heldout), "untouched (forgetting)": len(self.untouched)}


def _choose_heldout(store, dataset: str, seed: int) -> tuple[list[str], str]:
    if "test" in splits_of(store, dataset):
        return [p.id for p in list_posts(store, dataset, "test")], "test split"
    corrected = set(corrected_post_ids(store, dataset))
    pool = [p.id for p in list_posts(store, dataset) if p.id not in corrected]
    k = min(HELDOUT_CAP, round(len(pool) * HELDOUT_SHARE))
    return sorted(random.Random(f"{dataset}:{seed}").sample(pool, k)), "sample"


def plan_round(store, dataset: str, *, since: str | None = None, replay_ratio: float = 1.0, seed: int = 42,
               fix: bool = False) -> RoundPlan:
    """The sets of a round, checked: something to train on, a held-out set large enough for its
    interval to mean something. With `fix`, a dataset's first round stores its held-out set."""
    if not list_posts(store, dataset):
        raise RoundRefused(f"no posts in {dataset}")
    held = heldout_ids(store, dataset)
    source = heldout_source(store, dataset)
    if not held:
        held, source = _choose_heldout(store, dataset, seed)
        if fix and len(held) >= MIN_HELDOUT:
            held = fix_heldout(store, dataset, held, source)
    held_set = set(held)
    if not held:
        raise RoundRefused(f"{dataset} has no posts left to hold out for measuring; import more posts")
    if len(held) < MIN_HELDOUT:
        raise RoundRefused(f"{dataset} would hold out only {len(held)} posts; below {MIN_HELDOUT} the gain's 95 % "
                           "interval means little. Import more posts of this dataset (or run a round on a larger one)")
    corrected = corrected_post_ids(store, dataset, since)
    curated = [pid for pid in corrected if pid not in held_set]
    if not curated:
        raise RoundRefused(f"nothing to train on: no corrected posts in {dataset}"
                           + (f" since {since}" if since else "") + " outside its held-out set; correct some posts first")
    all_corrected = set(corrected_post_ids(store, dataset))
    rest = [p.id for p in list_posts(store, dataset) if p.id not in held_set and p.id not in all_corrected]
    rng = random.Random(seed)
    rng.shuffle(rest)
    if len(rest) >= SELECTION_SIZE // 2:
        selection, rest = rest[:SELECTION_SIZE], rest[SELECTION_SIZE:]
        selection_from = "uncorrected posts"
    else:  # few uncorrected posts left: a fifth of the corrections choose the epoch instead
        k = max(1, len(curated) // 5)
        shuffled = curated[:]
        rng.shuffle(shuffled)
        selection, curated = shuffled[:k], [c for c in curated if c not in set(shuffled[:k])]
        selection_from = "corrected posts"
        if not curated:
            raise RoundRefused("too few corrected posts to both train and choose the epoch on; correct a few more")
    replay = rest[: int(round(replay_ratio * len(curated)))]
    untouched = rest[len(replay): len(replay) + UNTOUCHED_SIZE]
    return RoundPlan(dataset, source or "sample", tuple(curated), tuple(replay), tuple(selection), tuple(sorted(held)),
                     tuple(untouched), len(all_corrected & held_set), selection_from)


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

    def to_json(self) -> dict:
        return asdict(self)

    def gain_sentence(self) -> str:
        g = self.gain["*"]
        sure = ("the interval includes zero: this round's gain is not shown" if g["low"] <= 0 <= g["high"]
                else "the interval excludes zero")
        return (f"held-out F1 {self.before['f1']:.2f} → {self.after['f1']:.2f} ({g['value']:+.2f}, 95 % interval "
                f"{g['low']:+.2f} to {g['high']:+.2f}; better in {100 * g['p_better']:.0f} % of resamples): {sure}")


def _all_examples(store, dataset: str) -> dict[str, MnerExample]:
    """Every labelled post of the dataset with its knowledge, read once per round."""
    return {ex.post_id: ex for sp in splits_of(store, dataset) for ex in mner_examples_from_store(store, dataset, sp)}


def _predict(task, model, cfg, examples: Sequence[MnerExample]) -> list[list[Span]]:
    """Predictions as the app makes them (bf16 where the CPU has it, like parent and new alike)."""
    device = next(model.parameters()).device
    with torch.inference_mode(), autocast(resolve_dtype(None, device), device):
        pred = task.predict(model, [replace(e, spans=()) for e in examples], cfg)
    return [[p.span() for p in ps] for ps in pred]


def adapt(parent: LoadedStudent, variant: str) -> LoadedStudent:
    """The parent's weights in the architecture of `variant` (a text student continued as a
    distilled one gets fresh prompts; a distilled one continued as text drops them), so every
    variant trains from every parent and the result loads."""
    cfg = replace(parent.config, variant=variant)
    if cfg.prompt_kind == parent.config.prompt_kind:
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
              knowledge_budget: int = 96, callback: TrainCallback | None = None, progress: bool = False,
              resamples: int = 2000) -> RoundReport:
    if variant not in ROUND_VARIANTS:
        raise RoundRefused(f"a round trains {' or '.join(ROUND_VARIANTS)}, not {variant!r}")
    plan = plan_round(store, dataset, since=since, replay_ratio=replay_ratio, seed=seed, fix=True)
    registry = Registry(store)
    parent_path = registry.path(parent)
    init = adapt(load_checkpoint(parent_path), variant)
    parent_name = init.manifest.name
    types = list(dataset_schema(store, dataset).types)
    if list(init.task.schema.types) != types:
        raise RoundRefused(f"the parent {parent_name} predicts {list(init.task.schema.types)}, {dataset} uses {types}")
    cfg = replace(init.config, epochs=epochs, patience=epochs, seed=seed, train_fraction=1.0,
                  knowledge_budget=knowledge_budget, lr=5e-5)
    pool = _all_examples(store, dataset)
    train, selection, heldout, untouched = ([pool[i] for i in ids if i in pool] for ids in
                                            (plan.curated + plan.replay, plan.selection, plan.heldout, plan.untouched))
    gold_h = [e.spans for e in heldout]
    gold_u = [e.spans for e in untouched]
    before_h = _predict(init.task, init.model, cfg, heldout)
    before_u = _predict(init.task, init.model, cfg, untouched) if untouched else []
    result = train_student(cfg, train, selection, callback, progress=progress, init=init)
    if result.stopped == "cancelled":
        del init, result
        release_memory()
        raise RoundCancelled("cancelled before the end: no version was saved")
    after_h = _predict(result.task, result.model, cfg, heldout)
    after_u = _predict(result.task, result.model, cfg, untouched) if untouched else []
    gain = paired_bootstrap(gold_h, before_h, after_h, resamples=resamples, seed=seed, types=types)
    forgetting = {"posts": len(untouched)}
    if untouched:
        fg = paired_bootstrap(gold_u, before_u, after_u, resamples=resamples, seed=seed)["*"]
        forgetting.update(before=score_spans(gold_u, before_u).f1, after=score_spans(gold_u, after_u).f1,
                          change=fg.to_json())
    after_scores = score_spans(gold_h, after_h).to_json()
    after_scores["interval"] = bootstrap_f1(gold_h, after_h, seed=seed).to_json()
    before_scores = score_spans(gold_h, before_h).to_json()
    before_scores["interval"] = bootstrap_f1(gold_h, before_h, seed=seed).to_json()
    changes = [{"post_id": c.post_id, "fixed": [s.to_json() for s in c.fixed], "broke": [s.to_json() for s in c.broke],
                "new_spurious": [s.to_json() for s in c.new_spurious], "gone_spurious": [s.to_json() for s in c.gone_spurious]}
               for c in what_changed([e.post_id for e in heldout], gold_h, before_h, after_h)]
    extra = {"metrics": {"held_out": after_scores, "held_out_parent": before_scores, "selection": result.best_valid},
             "data": {"dataset": dataset, "heldout_set": f"{dataset} ({plan.heldout_from})", **plan.sizes(),
                      "curated_hash": data_hash([pool[i] for i in plan.curated if i in pool]), "since": since,
                      "selection_from": plan.selection_from},
             "training": {"parent": parent_name, "incremental": True, "best_epoch": result.best_epoch,
                          "seconds_per_epoch": result.seconds_per_epoch,
                          "created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
             "round": {"gain": {k: v.to_json() for k, v in gain.items()}, "forgetting": forgetting}}
    path = save_checkpoint(store.home / "models", name, result.model, cfg, result.task.tags, extra)
    registry.register(parent_path)   # the parent is a known version too
    registry.register(path, parent=parent_name)
    report = RoundReport(name, parent_name, variant, plan.sizes(), plan.heldout_from, plan.selection_from,
                         before_scores, after_scores, {k: v.to_json() for k, v in gain.items()}, forgetting, changes,
                         result.best_epoch, result.stopped, result.seconds_per_epoch, plan.corrected_heldout,
                         len(set(plan.selection) & set(plan.heldout)))
    del init, result, train, selection, pool
    release_memory()
    return report
