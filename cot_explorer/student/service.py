"""What the CLI and the app ask of students: train from the store, evaluate on a file,
predict posts. Thin functions over data, training, checkpoints and the registry."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from ..datasets.mnre import read_mnre
from ..datasets.twitter_conll import read_twitter_conll
from ..errors import CotExplorerError
from ..evaluate import score_relations, score_spans
from ..labels import mner_schema_for
from ..store.knowledge import posts_with_knowledge
from ..store.labels import current_for_split
from ..store.posts import dataset_schema
from ..tokenize import join_tokens, tokenize_tweet
from .checkpoint import LoadedStudent, save_checkpoint
from .config import TrainConfig
from .data import data_hash, mner_examples_from_store, mre_examples_from_store
from .torch_predictor import StudentPredictor
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


def evaluate_file(loaded: LoadedStudent, path: str, fmt: str, dtype: str | None = None) -> dict:
    """Scores of a student on a labelled file (`twitter` CoNLL or `mnre`), F1 in percent, predicted
    in the number format `predict` would use (`dtype`, see inference_dtype)."""
    predictor = StudentPredictor(loaded, dtype=dtype)
    if fmt == "twitter":
        if loaded.config.task != "mner":
            raise CotExplorerError("a twitter file needs an mner model")
        types = [t[2:] for t in loaded.task.tags if t.startswith("B-")]
        parsed = read_twitter_conll(path, "eval", "eval", mner_schema_for("", types), repair_bio=True)
        if loaded.config.variant == "knowledge":
            raise CotExplorerError("the knowledge variant needs the teacher's CoT at inference; evaluate it with benchmarks/student.py")
        pred = predictor.predict_entities([it.post.tokens for it in parsed.posts])
        scores = score_spans([it.labels[0].spans for it in parsed.posts], [[p.span() for p in ps] for ps in pred])
        out = scores.to_json()
        out["repaired_tags"] = parsed.repaired_tags
    elif fmt == "mnre":
        if loaded.config.task != "mre":
            raise CotExplorerError("an mnre file needs an mre model")
        parsed = read_mnre(path, "eval", "eval")
        items = [(it.post.tokens, r.head, r.tail, r.label) for it in parsed.posts for r in it.labels[0].relations]
        pred = predictor.predict_relations([(w, h, t) for w, h, t, _ in items])
        out = score_relations([g for *_, g in items], [p.label for p in pred]).to_json()
        out["n_posts"] = len(parsed.posts)
    else:
        raise CotExplorerError(f"unknown format {fmt!r}: twitter or mnre")
    out["model"] = str(loaded.path)
    out["variant"] = loaded.config.variant
    out["inference_dtype"] = predictor.dtype
    return out


def predict_lines(loaded: LoadedStudent, lines: Iterable[str], batch_size: int = 32,
                  dtype: str | None = None) -> Iterator[dict]:
    """JSONL in (`{"text": ...}` or `{"tokens": [...]}`), one dict out per line with entities."""
    predictor = StudentPredictor(loaded, batch_size, dtype)
    if loaded.config.task != "mner":
        raise CotExplorerError("predict supports mner models")
    buffer: list[dict] = []

    def flush() -> Iterator[dict]:
        preds = predictor.predict_entities([b["tokens"] for b in buffer])
        for rec, spans in zip(buffer, preds):
            ents = []
            for p in spans:
                cs, ce = rec["offsets"][p.start][0], rec["offsets"][p.end - 1][1]
                ents.append({"start": p.start, "end": p.end, "char_start": cs, "char_end": ce,
                             "text": rec["text"][cs:ce], "type": p.type, "confidence": p.confidence})
            yield {**rec, "offsets": [list(o) for o in rec["offsets"]], "entities": ents}
        buffer.clear()

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise CotExplorerError(f"input line {n}: not JSON ({e.msg})") from e
        if isinstance(d, dict) and isinstance(d.get("tokens"), list) and d["tokens"]:
            tokens = tuple(str(t) for t in d["tokens"])
            text, offsets = join_tokens(tokens)
        elif isinstance(d, dict) and isinstance(d.get("text"), str) and d["text"].strip():
            text = d["text"]
            tokens, offsets = tokenize_tweet(text)
        else:
            raise CotExplorerError(f"input line {n}: expected {{\"text\": ...}} or {{\"tokens\": [...]}}")
        buffer.append({**{k: v for k, v in d.items() if k not in ("tokens", "offsets")},
                       "text": text, "tokens": list(tokens), "offsets": offsets})
        if len(buffer) >= batch_size:
            yield from flush()
    if buffer:
        yield from flush()


def default_task(store, dataset: str, split: str = "train") -> str:
    """'mre' for a dataset whose split holds relation labels (MNRE), else 'mner'."""
    return "mre" if any(ls.relations for ls in current_for_split(store, dataset, split, "mre").values()) else "mner"


def config_from_args(**overrides) -> TrainConfig:
    cfg = TrainConfig()
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
