"""What several tabs share: the loaded student (predictions over many posts: predicted.py),
highlighting, datasets and their schemas. Plain functions over the store; the
only thing kept in memory is loaded model weights, which never change on disk."""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import gradio as gr

from ..errors import CotExplorerError, NameNeeded, ValidationError
from ..labels import MnerSchema
from ..schema import Knowledge, Post
from ..store import labels as label_store
from ..store import open_store
from ..store.imports import newest_imported_split
from ..store.posts import count_posts, dataset_schema, list_posts, search_posts, search_words
from ..store.posts import dataset_splits as all_splits
from ..student.inference import BACKEND_ENV, Predictor, choose_backend, load_predictor
from ..student.manifest import Manifest
from ..student.registry import Registry
from ..uploads import UPLOAD_DATASET

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEMO_DATASET = "demo"
DEMO_RELATIONS = "demo-mnre"   # MNRE test posts with entity pairs, so a visitor sees relations

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
def _loaded(path: str, mtime: float, backend: str) -> Predictor:
    # what the app shows is kept (the prediction cache) and scored: fp32, answers of the post
    # alone (student/inference.py, `consistent`); a backend named in the environment is run as asked
    return load_predictor(Path(path), backend, consistent=True)


def student(home: Path, model: str = "default", task: str = "mner", bulk: bool = False) -> Predictor:
    """The predictor of a model version ('default': the promoted one, else the shipped one);
    `bulk` for a whole split at once (the backend fastest in batches, see student/inference.py)."""
    with open_store(home) as store:
        path = Registry(store).path(model, task)
    mtime = (path / "manifest.json").stat().st_mtime
    return _loaded(str(path), mtime, _backend(str(path), mtime, bulk, os.environ.get(BACKEND_ENV)))


@lru_cache(maxsize=16)
def _backend(path: str, mtime: float, bulk: bool, asked: str | None) -> str:
    """The backend a checkpoint gets, decided once (it reads the manifest and the tokenizer), so
    one predictor serves each backend however it is asked for; not on every prediction."""
    return choose_backend(Manifest.read(Path(path)), asked, bulk, consistent=True)


@lru_cache(maxsize=2)
def _knowledge_view(path: str, mtime: float):
    from ..student.torch_predictor import TorchPredictor  # PyTorch: the knowledge view runs only there

    predictor = TorchPredictor.load(Path(path))
    return predictor if predictor.has_knowledge_view else None


KNOWLEDGE_VARIANTS = ("distill", "distill-plain", "knowledge")   # checkpoints with a view that reads the CoT


@dataclass(frozen=True)
class Reach:
    """How far into a post an entity model reads. Past its sub-word budget a long post's words
    get no answer, which must be said, not shown as a silence that reads "nothing there"."""

    read: int
    words: tuple[str, ...]

    @property
    def cut(self) -> bool:
        return self.read < len(self.words)

    @property
    def stop(self) -> int | None:
        """Where a post row draws the words as not read (post_rows.Row.read): None, all read."""
        return self.read if self.cut else None

    def clause(self) -> str:
        """For a row's label: "; it read the first N of the post's M words", or nothing."""
        return f"; it read the first {self.read} of the post's {len(self.words)} words" if self.cut else ""

    def sentence(self) -> str | None:
        """For the annotator, above the words: where the suggestions stop."""
        if not self.cut:
            return None
        last = self.words[self.read - 1] if self.read else ""
        return (f"The student read only the first {self.read} of this post's {len(self.words)} words: "
                f"it suggests nothing after “{last}”.")


def reach(predictor: Predictor, post: Post) -> Reach:
    return Reach(predictor.words_read(post.tokens), tuple(post.tokens))


@dataclass(frozen=True)
class KnowledgeViewAnswer:
    """A CoT-reading view's entities on a post, and whose view it is: the default student's own
    (distill) or, for a student distilled from frozen knowledge-view teachers (kd), its first
    teacher's, the model whose marginals it learnt."""

    spans: list[SpanTuple]
    model: str
    own: bool
    reach: Reach

    def label(self, student_name: str) -> str:
        if self.own:
            return f"Student's knowledge view ({student_name}, reads the teacher's CoT{self.reach.clause()})"
        return (f"Knowledge view ({self.model}, the model {student_name} was distilled from; reads the teacher's "
                f"CoT{self.reach.clause()})")


def knowledge_view_path(home: Path) -> tuple[Path, bool] | None:
    """The checkpoint whose knowledge view stands beside the default entity student: itself
    where it has one, else its kd teacher where that checkpoint is still there; and whether it
    is the student's own view."""
    with open_store(home) as store:
        registry = Registry(store)
        path = registry.path("default", "mner")
        manifest = Manifest.read(path)
        if manifest.variant in KNOWLEDGE_VARIANTS:
            return path, True
        teachers = (manifest.training or {}).get("teachers") or []
        if manifest.variant != "kd" or not teachers:
            return None
        beside = path.parent / teachers[0]   # trained or shipped with it, so next to it first
        try:
            teacher = beside if (beside / "manifest.json").exists() else registry.path(teachers[0], "mner")
        except CotExplorerError:   # the teacher's folder is gone: no view to show
            return None
    return (teacher, False) if Manifest.read(teacher).variant in KNOWLEDGE_VARIANTS else None


def knowledge_view_post(home: Path, post: Post, knowledge: Knowledge | None) -> KnowledgeViewAnswer | None:
    """The knowledge view's entities on a post the teacher wrote about (the post and the CoT,
    as in training); None where there is no CoT or no checkpoint with such a view."""
    if knowledge is None:
        return None
    found = knowledge_view_path(home)
    if found is None:
        return None
    path, own = found
    predictor = _knowledge_view(str(path), (path / "manifest.json").stat().st_mtime)
    if predictor is None:
        return None
    (spans,) = predictor.predict_entities_with_knowledge([post.tokens], [knowledge.text()])
    return KnowledgeViewAnswer([(p.start, p.end, p.type, p.confidence) for p in spans], predictor.manifest.name, own,
                               reach(predictor, post))


def predict_post(home: Path, post: Post, model: str = "default") -> list[SpanTuple]:
    (spans,) = student(home, model).predict_entities([post.tokens])
    return [(p.start, p.end, p.type, p.confidence) for p in spans]


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


def find_posts(home: Path, query: str) -> list[tuple[str, str]]:
    """(label, post id) of posts whose text contains `query`, across every dataset; the label
    names the post as the Explore picker does (two uploads of one text differ in their id)."""
    with open_store(home) as store:
        posts = search_posts(store, query, 50)
    return [(post_label(p, 70), p.id) for p in posts]


def found_said(query: str, matches: Sequence) -> str:
    """How many posts a search found, in words (a search of several words finds them in any order)."""
    n = len(matches)
    what = "every word of " if len(search_words(query)) > 1 else ""
    return (f"{n} post{'' if n == 1 else 's'} contain{'s' if n == 1 else ''} {what}“{snippet(query, 40)}”"
            + (" (the first 50)" if n == 50 else ""))


def post_choices(home: Path, limit: int = 500) -> list[tuple[str, str]]:
    """(label, post id) for the Explore picker: the demo posts (entities, then relations), or
    the first dataset's when there is no demo, then the uploads kept in the store; each
    labelled with its text."""
    with open_store(home) as store:
        datasets = [d for d in (DEMO_DATASET, DEMO_RELATIONS) if count_posts(store, d)]
        if not datasets:
            datasets = [d for d, _ in all_splits(store) if d != UPLOAD_DATASET][:1]
        if count_posts(store, UPLOAD_DATASET):
            datasets.append(UPLOAD_DATASET)
        posts = [p for d in datasets for p in list_posts(store, d)][:limit]
    return [(post_label(p), p.id) for p in posts]


# the refusal of a change saved with no name; the page puts the cursor in the name field on it
NAME_NEEDED = "type your name in the annotator field before saving"


def who_saves(author: str | None) -> str:
    """The name every change is saved under (spans, relations, merges, undo and redo alike):
    none typed is refused, never filled in with the session's "local", which would put the
    work under the wrong name in progress and agreement."""
    author = (author or "").strip()
    if not author:
        raise NameNeeded(NAME_NEEDED)
    return author


def not_done(e: CotExplorerError) -> str:
    """A refusal as a tab's status line says it, where the button was pressed (a toast in a
    corner stayed on screen over the next tab)."""
    return f"**Not done:** {_angle_brackets_shown(as_sentence(str(e)))}"


def as_sentence(said: str) -> str:
    """A refusal's words as a sentence that ends ("… until an admin ends blind annotation" had
    no full stop)."""
    said = said.rstrip()
    return said + ("" if said.endswith((".", "!", "?", ")")) else ".")


def _angle_brackets_shown(text: str) -> str:
    """`<`, `>` and `&` as characters outside code spans: "expected 'token<TAB>tag', found
    'X'" was read as an HTML tag, and the refusal ended at "'token"."""
    parts = text.split("`")
    return "`".join(html.escape(p, quote=False) if i % 2 == 0 else p for i, p in enumerate(parts))


def refusal_said(n_outputs: int, answer: Callable[[list, tuple, CotExplorerError], None] | None = None):
    """Wraps a handler so that its refusal (a CotExplorerError) is said as its last output, the
    tab's status line under the button pressed, and every other output is kept as it is.
    `answer(outputs, args, error)` may fill in more of them (the annotation editor answers its
    own request, or it would wait for that answer)."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except CotExplorerError as e:
                out = [gr.skip()] * (n_outputs - 1) + [not_done(e)]
                if answer is not None:
                    answer(out, args, e)
                return out
        return run
    return wrap


def snippet(text: str, width: int = 60) -> str:
    """A post's first characters for a list or a question; "…" says there is more."""
    return text[:width] + ("…" if len(text) > width else "")


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]()#|~!])")


def markdown_literal(text: str) -> str:
    """A tweet's words inside Markdown as they were typed: `*`, `_` or a backtick in a post
    would otherwise turn the rest of a sentence bold, italic or into code."""
    return html.escape(_MARKDOWN_SPECIALS.sub(r"\\\1", text), quote=False)


def post_label(post: Post, width: int = 60, note: str = "") -> str:
    """How a list names a post: its text, then its id (id first, a picked post's box showed only
    its long id), and for an upload whether it came with an image (two uploads of one text,
    one with an image and one without, otherwise read alike; the posts of a dataset all have
    one, or none). `note`: a word on the post between its text and its id."""
    with_image = post.dataset == UPLOAD_DATASET and post.image_sha256
    return f"{snippet(post.text, width)}{note} · {post.id}" + (" · with an image" if with_image else "")


def dataset_splits(home: Path) -> list[DatasetSplit]:
    """Every dataset/split of the store, the demo set first."""
    with open_store(home) as store:
        return [DatasetSplit(d, s) for d, s in all_splits(store, first=DEMO_DATASET)]


def _when(stamp: object) -> datetime:
    """A stored time as an instant (the two tables' texts compared as text put "…Z" and "+00:00",
    or a space for the "T", out of order); one that is none, the oldest."""
    try:
        at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def team_split(home: Path, labels: Sequence[str]) -> str | None:
    """The split Annotate opens on in a browser that has worked in none: where the team works,
    the split of the newest annotator save or the newest import, whichever came later (a new
    annotator landed on the demo's split, not on the one the lead had imported for them); the
    first where neither is known. Uploads are one person's posts, not the team's split, and the
    demo's imports come with the app."""
    with open_store(home) as store:
        found = [x for x in (label_store.newest_annotated_split(store, leaving_out=(UPLOAD_DATASET,)),
                             newest_imported_split(store, leaving_out=(DEMO_DATASET, DEMO_RELATIONS)))
                 if x is not None]
    for dataset, split, _ in sorted(found, key=lambda x: _when(x[2]), reverse=True):
        if f"{dataset}/{split}" in labels:
            return f"{dataset}/{split}"
    return labels[0] if labels else None


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
