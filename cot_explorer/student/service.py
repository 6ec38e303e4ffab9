"""What the CLI and the app ask of students to train: from the store, with a config made of
command-line values. (Scoring a file: file_scores.py; predicting JSONL: jsonl_predict.py.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..errors import CotExplorerError
from ..store.knowledge import posts_with_knowledge
from ..store.labels import labelled_task
from ..store.posts import dataset_known, dataset_schema, dataset_splits, splits_of
from .checkpoint import save_checkpoint
from .config import TrainConfig
from .data import data_hash, mner_examples_from_store, mner_unlabelled_from_store, mre_examples_from_store, subsample
from .seen_posts import words_digest
from .train import TrainCallback, TrainResult, train_student


def train_from_store(store, dataset: str, config: TrainConfig, name: str, train_split: str = "train",
                     valid_split: str = "valid", callback: TrainCallback | None = None,
                     progress: bool = True, teachers: Sequence[Path] = ()) -> tuple[Path, TrainResult]:
    """Train on the current (curated) labels of a dataset and save `home/models/<name>`:
    MNER from entity labels, MRE (`config.task == "mre"`) from relation labels. `kd` also
    learns `teachers`' marginals, on the labelled posts and on every unlabelled one with CoT."""
    read = mner_examples_from_store if config.task == "mner" else mre_examples_from_store
    splits = dataset_splits(store)
    if not dataset_known(store, dataset):   # a typo read "needs labels in both 'train' and 'valid'"
        known = ", ".join(sorted({d for d, _ in splits})) or "none yet: `cot-explorer import` one"
        raise CotExplorerError(f"no dataset {dataset!r} in this store (its datasets: {known})")
    train = read(store, dataset, train_split)
    valid = read(store, dataset, valid_split)
    what = "entity" if config.task == "mner" else "relation"
    if not train or not valid:
        has = ", ".join(splits_of(store, dataset)) or "none"
        raise CotExplorerError(
            f"{dataset} needs {what} labels in both {train_split!r} and {valid_split!r} (its splits: {has}); "
            "import the missing one, or name others with --train-split and --valid-split")
    if config.uses_knowledge and not posts_with_knowledge(store, dataset, train_split, config.task):
        raise CotExplorerError(
            f"variant {config.variant} needs teacher knowledge for {dataset}/{train_split}: run "
            f"`cot-explorer teach --dataset {dataset} --split {train_split}` (and for {valid_split}) first")
    types = dataset_schema(store, dataset).types if config.task == "mner" else None
    kd: dict = {}
    run_config = config
    if config.variant == "kd":
        # --train-fraction keeps the labels of a share of the posts; the others teach through the
        # teachers' marginals like any unlabelled post with CoT (the benchmark's 10 % recipe)
        labelled = subsample(train, config.train_fraction, config.seed)
        chosen = {ex.post_id for ex in labelled}
        unlabelled = [replace(ex, spans=(), labelled=False) for ex in train if ex.post_id not in chosen]
        train, kd = with_teacher_marginals(store, dataset, train_split, labelled, unlabelled, teachers, types,
                                           config, progress)
        run_config = replace(config, train_fraction=1.0)
    elif teachers:
        raise CotExplorerError(f"--teacher is for --variant kd, not {config.variant}")
    result = train_student(run_config, train, valid, callback, entity_types=types, progress=progress)
    n_labelled = sum(getattr(ex, "labelled", True) for ex in train)
    extra = {"metrics": {"valid": result.best_valid},
             "data": {"dataset": dataset, "train": train_split, "valid": valid_split,
                      "train_hash": data_hash(train), "valid_hash": data_hash(valid), "n_train": n_labelled,
                      **({"n_unlabelled": len(train) - n_labelled} if kd else {})},
             "training": {"best_epoch": result.best_epoch, "stopped": result.stopped,
                          "seconds_per_epoch": result.seconds_per_epoch, **kd}}
    labels = result.task.tags if config.task == "mner" else result.task.labels
    # the posts it learnt (kd's unlabelled ones included: it was trained on their words), so a
    # round or an analysis never measures it on them
    seen = ({words_digest(ex.words) for ex in train}, f"{dataset}/{train_split} ({len(train)} examples)")
    path = save_checkpoint(store.home / "models", name, result.model, config, labels, extra, seen=seen)
    return path, result


def with_teacher_marginals(store, dataset: str, split: str, labelled: list, unlabelled: list,
                           teachers: Sequence[Path], types: Sequence[str] | None, config: TrainConfig,
                           progress: bool) -> tuple[list, dict]:
    """The kd training set: the labelled posts, the posts whose labels are left out, and the
    split's unlabelled posts with CoT, each with CoT carrying the frozen teachers' mean tag
    marginals; and what was used, for the manifest."""
    from .checkpoint import load_checkpoint
    from .teacher_targets import kd_training_set

    if config.task != "mner":
        raise CotExplorerError("kd distils entity teachers; for relations use --variant distill")
    if not teachers:
        raise CotExplorerError("variant kd needs --teacher: a knowledge-view model of this dataset's types "
                               f"(`cot-explorer train --dataset {dataset} --variant knowledge --name ...`)")
    if not posts_with_knowledge(store, dataset, split, "mner"):
        raise CotExplorerError(f"kd needs teacher knowledge for {dataset}/{split}: run "
                               f"`cot-explorer teach --dataset {dataset} --split {split}` first")
    loaded = [load_checkpoint(p) for p in teachers]
    for t in loaded:
        if t.config.task != "mner" or t.config.variant != "knowledge":
            what = "relation" if t.config.task != "mner" else t.config.variant
            raise CotExplorerError(f"teacher {t.path.name} is a {what} model; kd needs knowledge-view entity "
                                   "teachers (trained with --variant knowledge)")
        t_types = [tag[2:] for tag in t.task.tags if tag.startswith("B-")]
        if types is not None and t_types != list(types):
            raise CotExplorerError(f"teacher {t.path.name} predicts {t_types}, {dataset} has {list(types)}")
    kept = kd_training_set(loaded, labelled, list(unlabelled) + mner_unlabelled_from_store(store, dataset, split),
                           config.temperature, progress=progress)
    del loaded
    return kept, {"teachers": [Path(p).name for p in teachers],
                  "posts_with_teacher_marginals": sum(ex.soft_targets is not None for ex in kept)}


def default_task(store, dataset: str, split: str = "train") -> str:
    """'mre' for a dataset whose split holds relation labels (MNRE), else 'mner'."""
    return labelled_task(store, dataset, split)


def config_from_args(**overrides) -> TrainConfig:
    cfg = TrainConfig()
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None}).check_trainable()
