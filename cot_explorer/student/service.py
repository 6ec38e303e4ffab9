"""What the CLI and the app ask of students to train: from the store, with a config made of
command-line values. (Scoring a file: file_scores.py; predicting JSONL: jsonl_predict.py.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import CotExplorerError
from ..store.knowledge import posts_with_knowledge
from ..store.labels import labelled_task
from ..store.posts import dataset_schema
from .checkpoint import save_checkpoint
from .config import TrainConfig
from .data import data_hash, mner_examples_from_store, mre_examples_from_store
from .train import TrainCallback, TrainResult, train_student


def train_from_store(store, dataset: str, config: TrainConfig, name: str, train_split: str = "train",
                     valid_split: str = "valid", callback: TrainCallback | None = None,
                     progress: bool = True) -> tuple[Path, TrainResult]:
    """Train on the current (curated) labels of a dataset and save `home/models/<name>`:
    MNER from entity labels, MRE (`config.task == "mre"`) from relation labels."""
    read = mner_examples_from_store if config.task == "mner" else mre_examples_from_store
    train = read(store, dataset, train_split)
    valid = read(store, dataset, valid_split)
    what = "entity" if config.task == "mner" else "relation"
    if not train or not valid:
        raise CotExplorerError(f"{dataset} needs {what} labels in both {train_split!r} and {valid_split!r}")
    if config.uses_knowledge and not posts_with_knowledge(store, dataset, train_split, config.task):
        raise CotExplorerError(
            f"variant {config.variant} needs teacher knowledge for {dataset}/{train_split}: run "
            f"`cot-explorer teach --dataset {dataset} --split {train_split}` (and for {valid_split}) first")
    types = dataset_schema(store, dataset).types if config.task == "mner" else None
    result = train_student(config, train, valid, callback, entity_types=types, progress=progress)
    extra = {"metrics": {"valid": result.best_valid},
             "data": {"dataset": dataset, "train": train_split, "valid": valid_split,
                      "train_hash": data_hash(train), "valid_hash": data_hash(valid), "n_train": len(train)},
             "training": {"best_epoch": result.best_epoch, "stopped": result.stopped,
                          "seconds_per_epoch": result.seconds_per_epoch}}
    labels = result.task.tags if config.task == "mner" else result.task.labels
    path = save_checkpoint(store.home / "models", name, result.model, config, labels, extra)
    return path, result


def default_task(store, dataset: str, split: str = "train") -> str:
    """'mre' for a dataset whose split holds relation labels (MNRE), else 'mner'."""
    return labelled_task(store, dataset, split)


def config_from_args(**overrides) -> TrainConfig:
    cfg = TrainConfig()
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
