"""Incremental distillation: continue the current default student on the curated posts,
replaying earlier training data so it does not forget, and measure before and after on a
held-out set the curated posts never touch."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Sequence

from ..errors import CotExplorerError
from ..evaluate import score_spans
from ..store.labels import corrected_post_ids
from ..store.posts import splits_of
from .checkpoint import load_checkpoint, save_checkpoint
from .data import MnerExample, data_hash, mner_examples_from_store
from .registry import Registry
from .train import TrainCallback, train_student


class RoundCancelled(CotExplorerError):
    pass


@dataclass
class RoundReport:
    model: str
    parent: str
    curated: int
    replay: int
    held_out: int
    before: dict
    after: dict
    forgetting: dict            # F1 before and after on earlier posts the round did not train on
    best_epoch: int
    stopped: str
    seconds_per_epoch: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _f1(task, model, cfg, examples: Sequence[MnerExample]) -> dict:
    pred = task.predict(model, [replace(e, spans=()) for e in examples], cfg)
    return score_spans([e.spans for e in examples], [[p.span() for p in ps] for ps in pred]).to_json()


def run_round(store, dataset: str, name: str, *, variant: str = "distill", epochs: int = 2, replay_ratio: float = 1.0,
              held_out: tuple[str, str] | None = None, since: str | None = None, parent: str = "default",
              seed: int = 42, knowledge_budget: int = 96, callback: TrainCallback | None = None,
              progress: bool = False) -> RoundReport:
    registry = Registry(store)
    init = load_checkpoint(registry.path(parent))
    parent_name = init.manifest.name
    cfg = replace(init.config, variant=variant, epochs=epochs, patience=epochs, seed=seed, train_fraction=1.0,
                  knowledge_budget=knowledge_budget, lr=5e-5)
    if variant.startswith("distill") and init.model.prompts is None:
        cfg = replace(cfg, variant="text")  # a model without prompt generator continues as text-only
    curated_ids = corrected_post_ids(store, dataset, since)
    if not curated_ids:
        raise CotExplorerError(f"no corrected posts in {dataset} to learn from: correct some labels first")
    splits = splits_of(store, dataset)
    pool: list[MnerExample] = [ex for sp in splits for ex in mner_examples_from_store(store, dataset, sp)]
    curated_set = set(curated_ids)
    curated = [ex for ex in pool if ex.post_id in curated_set]
    if held_out:
        evaluation = mner_examples_from_store(store, *held_out)
    else:  # the uncorrected posts, split once: half replay candidates, half held out
        rest = [ex for ex in pool if ex.post_id not in curated_set]
        random.Random(seed).shuffle(rest)
        evaluation = rest[: len(rest) // 2]
    eval_ids = {ex.post_id for ex in evaluation}
    candidates = [ex for ex in pool if ex.post_id not in curated_set and ex.post_id not in eval_ids]
    random.Random(seed + 1).shuffle(candidates)
    replay = candidates[: int(round(replay_ratio * len(curated)))]
    # Forgetting is measured on earlier posts this round neither corrects nor replays.
    untouched = candidates[len(replay) : len(replay) + 300]
    if not evaluation:
        raise CotExplorerError("no held-out posts to measure on")
    before = _f1(init.task, init.model, cfg, evaluation)
    before_untouched = _f1(init.task, init.model, cfg, untouched) if untouched else {}
    result = train_student(cfg, curated + replay, evaluation, callback, progress=progress, init=init)
    if result.stopped == "cancelled":
        raise RoundCancelled("cancelled before the end: no version was saved")
    after = _f1(result.task, result.model, cfg, evaluation)
    after_untouched = _f1(result.task, result.model, cfg, untouched) if untouched else {}
    extra = {"metrics": {"held_out": after, "held_out_before": before},
             "data": {"dataset": dataset, "curated": len(curated), "replay": len(replay), "held_out": len(evaluation),
                      "curated_hash": data_hash(curated), "since": since},
             "training": {"parent": parent_name, "incremental": True, "best_epoch": result.best_epoch,
                          "seconds_per_epoch": result.seconds_per_epoch,
                          "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}}
    labels = result.task.tags
    path = save_checkpoint(store.home / "models", name, result.model, cfg, labels, extra)
    registry.register(init.path)  # the parent is a known version too
    registry.register(path, parent=parent_name)
    return RoundReport(name, parent_name, len(curated), len(replay), len(evaluation), before, after,
                       {"before": before_untouched.get("f1"), "after": after_untouched.get("f1"),
                        "posts": len(untouched)},
                       result.best_epoch, result.stopped, result.seconds_per_epoch)
