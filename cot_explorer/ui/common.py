"""What several tabs share: the loaded student, predictions (once per model version, kept in
the store), highlighting, datasets and their schemas. Plain functions over the store; the
only thing kept in memory is loaded model weights, which never change on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ValidationError
from ..labels import MnerSchema
from ..schema import Post
from ..store import open_store
from ..store.posts import dataset_schema
from ..store.posts import dataset_splits as all_splits
from ..store.predictions import cached_spans, put_spans
from ..student.inference import Predictor, load_predictor
from ..student.registry import Registry

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEMO_DATASET = "demo"

SpanTuple = tuple[int, int, str, float]   # start, end, type, confidence


@dataclass(frozen=True)
class DatasetSplit:
    dataset: str
    split: str

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.split}"

    @classmethod
    def parse(cls, value: str | None) -> "DatasetSplit":
        if not value or "/" not in value:
            raise ValidationError("choose a dataset/split first")
        d, s = value.split("/", 1)
        return cls(d, s)


@lru_cache(maxsize=4)
def _loaded(path: str, mtime: float) -> Predictor:
    return load_predictor(Path(path))


def student(home: Path, model: str = "default", task: str = "mner") -> Predictor:
    """The predictor of a model version ('default': the promoted one, else the shipped one)."""
    with open_store(home) as store:
        path = Registry(store).path(model, task)
    return _loaded(str(path), (path / "manifest.json").stat().st_mtime)


def predict_post(home: Path, post: Post, model: str = "default") -> list[SpanTuple]:
    (spans,) = student(home, model).predict_entities([post.tokens])
    return [(p.start, p.end, p.type, p.confidence) for p in spans]


def cached_predictions(home: Path, posts: list[Post], model: str = "default") -> dict[str, list[SpanTuple]]:
    """Predictions of one model version, computed once and kept in the store."""
    predictor = student(home, model)
    name = predictor.manifest.name
    with open_store(home) as store:
        registry = Registry(store)
        if not registry.is_registered(name):
            registry.register(predictor.path)  # predictions reference a known model version
        have = cached_spans(store, name, [p.id for p in posts])
        missing = [p for p in posts if p.id not in have]
        if missing:
            preds = predictor.predict_entities([p.tokens for p in missing])
            fresh = {p.id: [(s.start, s.end, s.type, s.confidence) for s in ps] for p, ps in zip(missing, preds)}
            put_spans(store, name, fresh.items())
            have.update(fresh)
    return {p.id: have[p.id] for p in posts}


def highlight(post: Post, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """(text, label) pieces for gr.HighlightedText, keeping the post's own spacing."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, label in sorted(spans):
        cs, ce = post.offsets[start][0], post.offsets[end - 1][1]
        if cs > pos:
            out.append((post.text[pos:cs], None))
        out.append((post.text[cs:ce], label))
        pos = ce
    if pos < len(post.text):
        out.append((post.text[pos:], None))
    return out


def teacher_available() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY"))


def dataset_splits(home: Path) -> list[DatasetSplit]:
    """Every dataset/split of the store, the demo set first."""
    with open_store(home) as store:
        return [DatasetSplit(d, s) for d, s in all_splits(store, first=DEMO_DATASET)]


def schema_of(home: Path, dataset: str) -> MnerSchema:
    with open_store(home) as store:
        return dataset_schema(store, dataset)


def table_rows(value) -> list[list]:
    """A Dataframe's value arrives as a pandas frame, a {"data": ...} dict or a list of lists."""
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):
        return value.values.tolist()
    if isinstance(value, dict):
        return list(value.get("data") or [])
    return list(value)


def map_type(free: str, types: tuple[str, ...]) -> str | None:
    """A teacher's free-text type ('person/player') in the schema's names, by keywords."""
    if free in types:
        return free
    f = free.lower()
    for keys, t in ((("person", "player", "actor", "singer", "people", "character", "per"), "PER"),
                    (("location", "city", "country", "place", "venue", "state", "loc"), "LOC"),
                    (("organization", "organisation", "team", "company", "league", "band", "club", "org"), "ORG")):
        if any(k in f for k in keys) and t in types:
            return t
    return types[-1] if types else None
