"""The Errors tab: how a model version does on a labelled split, and where it goes wrong.

Entities: P/R/F1 overall and per type, error kinds, a type confusion heatmap. Relations (a
split with entity pairs, MNRE): micro-F1 without None (the MNRE convention) and accuracy,
per-relation P/R/F1, a confusion heatmap over the relations that occur. Either way the errors
are listed with the post's text, each one click from Annotate, and a second version can be
put beside the first: both in the tables and charts, and each error says what the other
version answered."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go

from ..access import LOCAL_USER, AccessPolicy, Action, User
from ..errors import CotExplorerError, ValidationError
from ..evaluate import (
    ERROR_KINDS,
    VersusOther,
    relation_confusion,
    score_relations,
    score_spans,
    span_errors,
    type_confusion,
    versus_other_relation,
    versus_other_spans,
)
from ..labels import NO_RELATION
from ..predict_budget import PredictBudget
from ..schema import Post, Relation, Span
from ..store import blind as blind_store
from ..store import labels as label_store
from ..store import open_store
from ..store.knowledge import posts_with_knowledge_among
from ..store.labelled_split import split_labels
from ..student.registry import Registry
from ..student.seen_posts import seen_among
from .cancel import begin_work
from .common import DatasetSplit, as_sentence, dataset_splits, markdown_literal, student, table_rows
from .guard import guarded
from .predicted import (
    ChargeFn,
    PairGuess,
    ProgressFn,
    ProgressReporter,
    cached_predictions,
    cached_relations,
    reads_cot,
    viewer_charge,
)
from .span_editor import ErrorFocus
from .versions import TASK_NAMES, VersionLine, version_lines

NO_COMPARISON = "(none)"
NOT_ANALYSED = "⚠ Not analysed:"   # how a refused analysis starts its note
# the "other version" column of a row where only the compared version errs
ONLY_OTHER = "only it errs"
OVERALL_HEADERS = ["model", "P", "R", "F1", "accuracy", "posts", "gold", "predicted"]
# each column of the error table: its header, its width beside another version's column, and
# its width with one version analysed (no column for another: None)
ERROR_COLUMNS = [("post", "19%", "19%"), ("kind", "9%", "10%"), ("gold", "22%", "25%"), ("predicted", "14%", "16%"),
                 ("other version", "11%", None), ("post text", "25%", "30%")]
ERROR_HEADERS = [c for c, _, _ in ERROR_COLUMNS]
ERROR_WIDTHS = [w for _, w, _ in ERROR_COLUMNS]
OTHER_VERSION = ERROR_HEADERS.index("other version")
SINGLE_HEADERS = [c for c, _, alone in ERROR_COLUMNS if alone]
SINGLE_WIDTHS = [alone for _, _, alone in ERROR_COLUMNS if alone]


@dataclass
class Scored:
    """One model version's scores on the split."""

    model: str
    overall: list                   # one row of ErrorAnalysis.overall_headers
    per_label: list[list]           # [label, P, R, F1, support]
    kinds: dict[str, int]
    confusion: list[list[int]]      # [gold][predicted], over ErrorAnalysis.labels


@dataclass
class ErrorAnalysis:
    task: str                       # mner | mre
    scored: list[Scored]            # the version analysed, then the one compared with
    labels: list[str]               # the confusion matrices' rows and columns
    errors: list[list] = field(default_factory=list)
    error_pairs: list[int | None] = field(default_factory=list)  # MNRE: each error's entity pair (its index)
    error_spans: list[dict] = field(default_factory=list)   # MNER: each error's ErrorFocus, as Annotate marks it
    only_other: int = 0             # rows of `errors` where only the compared version errs (ONLY_OTHER)
    posts: int = 0                  # posts analysed
    unlabelled: int = 0             # posts of the split left out: no labels of the task to score against
    posts_differing: int = 0        # posts where the compared version predicts otherwise
    corrected: int = 0              # posts of the split whose gold is a correction, not the dataset's
    unchanged: int = 0              # ... of which saved as they were imported (confirmed, not changed)
    seen: dict[str, int] = field(default_factory=dict)   # per version: posts analysed that it was trained on
    # per version that reads the teacher's CoT beside each post (a knowledge view): posts with one
    cot_read: dict[str, int] = field(default_factory=dict)
    blind: bool = False             # the split is annotated blind: a corrected post's gold is its newest save
    disagreed: int = 0              # ... and posts of it its annotators saved differently, not settled since

    @property
    def overall(self) -> list[list]:
        return [s.overall for s in self.scored]

    @property
    def overall_headers(self) -> list[str]:
        """Accuracy is the relations' (every pair has a label); entities have none to show."""
        return OVERALL_HEADERS if self.task == "mre" else [h for h in OVERALL_HEADERS if h != "accuracy"]

    def per_type_table(self) -> tuple[list[str], list[list]]:
        """Headers and a row per label. Two versions compared: one row a label, the versions
        side by side and F1's change between them (the rows of one came after the other's,
        so a type's two scores were a screen apart)."""
        unit = "type" if self.task == "mner" else "relation"
        if len(self.scored) == 1:
            return [unit, "P", "R", "F1", "support"], self.scored[0].per_label
        a, b = self.scored
        ours, theirs = ({row[0]: row for row in s.per_label} for s in (a, b))
        rows = []
        # a label one version has no score for is left empty (a made-up 0.0 read as a drop), and
        # the labels only the second has come last (they were left out)
        for label in [*ours, *(lab for lab in theirs if lab not in ours)]:
            _, p, r, f1, support = ours.get(label) or (None, None, None, None, theirs[label][4])
            _, p2, r2, f2, _ = theirs.get(label) or (None, None, None, None, None)
            # signed, and its header says which way it runs: "1.57" read as the analysed version's
            # gain where it had lost 1.57 to the version compared (Distill says new − old)
            change = f"{f2 - f1:+.2f}".replace("-", "−") if f1 is not None and f2 is not None else None
            rows.append([label, f1, f2, change, p, p2, r, r2, support])
        return ([unit, f"F1 {a.model}", f"F1 {b.model}", f"F1 change ({b.model} − {a.model})", f"P {a.model}", f"P {b.model}",
                 f"R {a.model}", f"R {b.model}", "support"], rows)

    @property
    def kinds(self) -> dict[str, int]:
        return self.scored[0].kinds

    @property
    def confusion(self) -> list[list[int]]:
        return self.scored[0].confusion

    def kind_table(self) -> tuple[list[str], list[list]]:
        """Headers and rows of the error-kind counts, a column per version."""
        names = [s.model for s in self.scored]
        headers = ["error kind", "count"] if len(names) == 1 else ["error kind", *names]
        return headers, [[k, *(s.kinds[k] for s in self.scored)] for k in self.scored[0].kinds]


def errors_said(ea: ErrorAnalysis) -> str:
    """How many rows the table has, and whose errors they are."""
    n = len(ea.errors) - ea.only_other
    said = f"{n} {'error' if n == 1 else 'errors'}"
    if len(ea.scored) > 1:
        said += f", and {ea.only_other} more where only {ea.scored[1].model} errs (“{ONLY_OTHER}”)"
    return said


def gold_said(ea: ErrorAnalysis) -> str:
    """What "gold" is: each post's current labels, which an annotator's correction replaces (a
    walker's own deletion came back as a "spurious" error, with nothing saying why)."""
    # the posts without labels, left out (a walker's 12 uploads were scored as "posts 1", unsaid)
    what = "labels" if ea.task == "mner" else "relation labels"
    left = (f" {ea.unlabelled} {'post' if ea.unlabelled == 1 else 'posts'} of this split {'has' if ea.unlabelled == 1 else 'have'} "
            f"no {what} yet and {'is' if ea.unlabelled == 1 else 'are'} left out ({ea.posts} analysed)."
            if ea.unlabelled else "")
    if not ea.corrected:
        return "Gold is the dataset's labels (no post here is corrected yet)." + left
    # annotated blind: whose correction is gold, and that annotators disagree on some (the line
    # read as of one agreed set of labels)
    n = ea.disagreed
    blind = (" This split is annotated blind: a corrected post's gold is its newest save, whoever made it"
             + (f"; **its annotators saved {n} {'post' if n == 1 else 'posts'} differently, not settled yet** (no save "
                "over their disagreement since): there whoever saved last stands (Annotate's “Annotator agreement” "
                "lists the disagreements, with whose save is newest)." if n else ".")
             if ea.blind else "")
    # a Save on labels left as they were counts as corrected (checked); said apart, as the progress
    # line says it ("6 corrected" read as six posts whose labels had changed, where two had not)
    same = f", {ea.unchanged} of them confirmed as they were imported" if ea.unchanged else ""
    return (f"Gold is each post's current labels: the dataset's, or a correction saved over them "
            f"({ea.corrected} {'post' if ea.corrected == 1 else 'posts'} of this split corrected{same})." + blind + left)


def seen_said(ea: ErrorAnalysis) -> str:
    """That a version is scored on posts it was trained on (a walker read 98.52 F1 for the
    default on Twitter-2017 train posts, with nothing saying why)."""
    many = {m: n for m, n in ea.seen.items() if n and n >= 0.05 * ea.posts}
    # a few learnt posts among many (2 of 1000: the same tweet in two splits) move little: said
    # as such, without advice to analyse "a test split" given on the test split itself
    few = [f"{m} was trained on {n} of these {ea.posts} posts (their words are in its training data): too few to "
           "move its scores much." for m, n in ea.seen.items() if n and m not in many]
    said = [f"**{m} was trained on {n} of these {ea.posts} posts:** its scores here flatter it." for m, n in many.items()]
    advice = ["Analyse a split it has not learnt (a test split, or your own posts) to see how it does on new posts."]
    return " ".join(said + (advice if said else []) + few)


def cot_said(ea: ErrorAnalysis) -> str:
    """That a version reads the teacher's chain of thought beside each post: a knowledge view
    scored beside a text-only student is not one more student (read without the CoT, the
    shipped teacher scored 82.03 on Twitter-2017 test, below its student, with nothing said)."""
    def which(n: int) -> str:
        return (f"every one of these {ea.posts} posts has one" if n == ea.posts else
                f"{n} of these {ea.posts} posts have one; the others are read with their image caption alone")
    return " ".join(f"**{m} reads the teacher's chain of thought beside each post**, as it was trained ({which(n)}): "
                    "it is the teacher's knowledge view, which the text-only students learn from, not a student "
                    "that runs without it." for m, n in ea.cot_read.items())


def _cot_read_by(home: Path, models: Sequence[str], posts: Sequence[Post]) -> dict[str, int]:
    """Each version among `models` that reads the CoT, and how many of `posts` have one."""
    out = {}
    for m in models:
        if reads_cot(student(home, m)):
            with open_store(home) as store:
                out[m] = posts_with_knowledge_among(store, [p.id for p in posts])
    return out


def _seen_by(home: Path, models: Sequence[str], task: str, posts: Sequence[Post]) -> dict[str, int]:
    with open_store(home) as store:
        registry = Registry(store)
        return {m: len(seen_among(registry.path(m, task), posts)) for m in models}


def comparison_said(ea: ErrorAnalysis) -> str:
    """On how many posts the two versions part, and, where their overall rows are equal, that
    this is no mistake: a walker took two identical rows for the same version shown twice."""
    if len(ea.scored) < 2:
        return ""
    a, b = ea.scored
    if not ea.posts_differing:
        return (f"{b.model} predicts the same as {a.model} on every one of the {ea.posts} posts, "
                "so every score below is the same.")
    said = f"{b.model} predicts otherwise than {a.model} on {ea.posts_differing} of the {ea.posts} posts"
    if a.overall[1:] == b.overall[1:]:
        return said + ", yet their overall rows are equal: each is right and wrong as often as the other."
    return said + "."


def _task_of(home: Path, dataset: str, split: str) -> str:
    with open_store(home) as store:
        return label_store.labelled_task(store, dataset, split)


def box_values_for(home: Path, dataset_split: str | None, model: str | None, compare: str | None
                   ) -> tuple[str | None, str | None]:
    """The Model and Compare values as Analyse reads them for a split: a box still holding the
    other task's default (the split picked, Analyse pressed before the boxes followed: "Not
    analysed: mner-default is an entity model" under "mre-default (default)") is read as this
    split's default, and as no comparison. A version of the other task picked by hand is left
    to be refused, with its sentence."""
    if not dataset_split:
        return model, compare
    parsed = DatasetSplit.parse(dataset_split)
    task = _task_of(home, parsed.dataset, parsed.split)
    other_defaults = {v.name for v in version_lines(home) if v.is_default and v.task != task}
    return ("default" if model in other_defaults else model,
            NO_COMPARISON if compare in other_defaults else compare)


def _model_of(home: Path, model: str, task: str) -> str:
    """The version name, after checking it answers the split's task."""
    with open_store(home) as store:
        registry = Registry(store)
        manifest = registry.manifest(model or "default", task)
    if manifest.task != task:
        what = {"mner": "an entity", "mre": "a relation"}
        raise ValidationError(f"{manifest.name} is {what[manifest.task]} model; this split needs {what[task]} model")
    if task == "mre" and manifest.variant == "knowledge":
        # an entity knowledge view reads each post's CoT here (predicted.cot_read_by); a relation
        # one would need each pair's, which is not fed: scored blind, it would read as worse
        raise ValidationError(f"{manifest.name} reads the teacher's chain of thought about each entity pair, which "
                              "Errors does not give a relation model: analyse a text-only relation model")
    return manifest.name


def refuse_blind(home: Path, dataset_split: str | None, user: User | None) -> None:
    """An analysis reads every post's current labels, which is someone's save: while a split is
    annotated blind, its analysis is an admin's."""
    if not dataset_split or user is None or user.may(Action.SET_BLIND) or user.name == LOCAL_USER:
        return
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        blind = blind_store.is_blind(store, ds.dataset, ds.split)
    if blind:
        raise ValidationError(f"{dataset_split} is being annotated blind: its error analysis shows the labels "
                              "other annotators saved, so it is for admins until an admin ends blind annotation")


def error_analysis(home: Path, dataset_split: str, model: str = "default", compare: str | None = None,
                   on_progress: ProgressFn | None = None, charge: ChargeFn | None = None) -> ErrorAnalysis:
    """`charge`: what predicting the split costs the user (a viewer's share), before any is."""
    ds = DatasetSplit.parse(dataset_split)
    task = _task_of(home, ds.dataset, ds.split)
    models = [_model_of(home, model, task)]
    if compare and compare != NO_COMPARISON:
        other = _model_of(home, compare, task)
        if other == models[0]:
            raise ValidationError("pick two different versions to compare")
        models.append(other)
    if task == "mre":
        return _relation_analysis(home, ds, models, on_progress, charge)
    return _entity_analysis(home, ds, models, on_progress, charge)


# -- entities -----------------------------------------------------------------------------------

def _entity_analysis(home: Path, ds: DatasetSplit, models: list[str], on_progress,
                     charge: ChargeFn | None = None) -> ErrorAnalysis:
    with open_store(home) as store:   # the posts `evaluate --split` scores too
        labelled = split_labels(store, ds.dataset, ds.split, "mner")
        blind = blind_store.is_blind(store, ds.dataset, ds.split)
        disagreed = len(blind_store.unsettled_posts(store, ds.dataset, ds.split)) if blind else 0
    posts, corrected, types = list(labelled.posts), labelled.corrected, list(labelled.schema.types)
    in_split = len(posts) + labelled.unlabelled
    if not posts:
        raise ValidationError(f"{ds.label} has no labelled posts to analyse"
                              + (f" (none of its {in_split} posts has entity labels yet: label some in Annotate)"
                                 if in_split else ""))
    g = [list(gold.spans) for gold in labelled.gold]
    preds = []
    for m in models:
        got = cached_predictions(home, posts, m, on_progress, charge)
        preds.append([[Span(a, b, t) for a, b, t, _ in got[p.id]] for p in posts])
    scored = []
    for m, pr in zip(models, preds):
        sc = score_spans(g, pr)
        kinds = {k: 0 for k in ERROR_KINDS}
        for gs, ps in zip(g, pr):
            for err in span_errors(gs, ps):
                kinds[err.kind] += 1
        scored.append(Scored(m, [m, sc.precision, sc.recall, sc.f1, sc.n_posts, sc.n_gold, sc.n_pred],
                             [[t, s.precision, s.recall, s.f1, s.support] for t, s in sc.per_type.items()], kinds,
                             type_confusion(g, pr, types)))
    errors, only, focus, only_focus = [], [], [], []
    for i, (p, gs, ps) in enumerate(zip(posts, g, preds[0])):
        other = set(preds[1][i]) if len(preds) > 1 else None
        for err in span_errors(gs, ps):
            versus = "" if other is None else other_version_words(versus_other_spans(err, other),
                                                                  lambda s, p=p: _span(p, s))
            errors.append([p.id, err.kind, _span(p, err.gold), _span(p, err.pred), versus, p.text])
            focus.append(error_focus(p, err.kind, err.gold, err.pred, models[0]))
        if other is not None:
            theirs = only_other_span_rows(p, gs, ps, preds[1][i], models[1])
            only += theirs
            only_focus.extend(error_focus(p, row[1], gold_span, pred_span, models[1])
                              for row, (gold_span, pred_span) in theirs)
    differing = sum(set(mine) != set(theirs) for mine, theirs in zip(*preds)) if len(preds) > 1 else 0
    # the other version's own errors last, after the one analysed
    return ErrorAnalysis("mner", scored, types + ["O"], errors + [row for row, _ in only], only_other=len(only),
                         posts=len(posts), posts_differing=differing, corrected=corrected,
                         unchanged=labelled.unchanged,
                         error_spans=focus + only_focus, seen=_seen_by(home, models, "mner", posts),
                         unlabelled=in_split - len(posts), cot_read=_cot_read_by(home, models, posts), blind=blind,
                         disagreed=disagreed)


def error_focus(post: Post, kind: str, gold: Span | None, pred: Span | None, model: str) -> dict:
    """What Annotate marks for an entity error row: the gold and predicted words, and a line."""
    said = (f"{kind}: {_span(post, gold) or 'no entity'} in the labels; "
            f"{model} predicted {_span(post, pred) or 'nothing'} there")
    as_list = lambda s: [s.start, s.end, s.type] if s else None  # noqa: E731
    return asdict(ErrorFocus(said, as_list(gold), as_list(pred)))


def relation_focus(row: Sequence) -> dict | None:
    """What Annotate says above a relation error's pair (it outlined the pair, no more, where
    an entity error gets its line): the row's kind, the labels' relation and the answer."""
    if len(row) < 4 or not all(isinstance(x, str) for x in row[1:4]):
        return None
    other = row[OTHER_VERSION] if len(row) == len(ERROR_HEADERS) else ""
    if isinstance(other, str) and other.startswith(f"{ONLY_OTHER}: "):   # the compared version's error: its answer
        return asdict(ErrorFocus(f"{row[1]}: {row[2]} in the labels; the compared version predicted "
                                 f"{other[len(ONLY_OTHER) + 2:]}", None, None))
    return asdict(ErrorFocus(f"{row[1]}: {row[2]} in the labels; the relation student predicted {row[3]}", None, None))


def only_other_span_rows(post: Post, gold: Sequence[Span], mine: Sequence[Span], theirs: Sequence[Span],
                         other: str) -> list[list]:
    """The compared version's errors where the version analysed is right: what switching to it
    would break (its errors where this one errs too are already said on this one's rows), each
    row with its (gold, predicted) spans.
    The kind names whose error it is (`other`, the compared version), and "predicted" is the
    version analysed's answer there, which is the gold span."""
    rows = []
    for err in span_errors(gold, theirs):
        if versus_other_spans(err, set(mine)).verdict in ("right", "right-nothing-there"):
            rows.append(([post.id, only_kind(err.kind, other), _span(post, err.gold), _span(post, err.gold),
                          f"{ONLY_OTHER}: {_span(post, err.pred) or 'misses it'}", post.text], (err.gold, err.pred)))
    return rows


def _span(post: Post, s: Span | None) -> str:
    return f"{post.span_text(s)} ({s.type})" if s else ""


def other_version_words(v: VersusOther, say=str) -> str:
    """The "other version" column: a verdict of evaluate.py in words; `say` reads what the
    other version predicts instead (a span in the post's words, or a relation label)."""
    if v.verdict == "other":
        return f"other error: {', '.join(say(x) for x in v.instead)}"
    return {"right": "right", "right-nothing-there": "right (nothing there)", "same": "same error",
            "same-miss": "same error (misses it too)", "other-misses": "other error: misses it"}[v.verdict]


# -- relations ----------------------------------------------------------------------------------

def _relation_analysis(home: Path, ds: DatasetSplit, models: list[str], on_progress,
                       charge: ChargeFn | None = None) -> ErrorAnalysis:
    with open_store(home) as store:   # the posts `evaluate --split` scores too
        labelled = split_labels(store, ds.dataset, ds.split, "mre")
    posts, corrected = list(labelled.posts), labelled.corrected
    gold = {p.id: g for p, g in zip(labelled.posts, labelled.gold)}
    in_split = len(posts) + labelled.unlabelled
    if not posts:
        raise ValidationError(f"{ds.label} has no entity pairs to analyse"
                              + (f" (none of its {in_split} posts has relation labels yet)" if in_split else ""))
    guesses = [cached_relations(home, posts, m, on_progress, charge) for m in models]
    g = [r.label for p in posts for r in gold[p.id].relations]
    predicted = [[x.label for p in posts for x in got[p.id]] for got in guesses]
    labels = relation_confusion(g, [], also=[lab for pr in predicted for lab in pr])[0]
    scored = []
    for m, pr in zip(models, predicted):
        sc = score_relations(g, pr)
        kinds = {"missed (predicted None)": 0, "spurious (gold None)": 0, "wrong relation": 0}
        for a, b in zip(g, pr):
            if a != b:
                kinds["missed (predicted None)" if b == "None" else "spurious (gold None)" if a == "None"
                      else "wrong relation"] += 1
        scored.append(Scored(m, [m, sc.precision, sc.recall, sc.f1, sc.accuracy, len(posts), sc.n_instances, len(pr)],
                             [[lab, s.precision, s.recall, s.f1, s.support] for lab, s in sc.per_label.items()], kinds,
                             relation_confusion(g, pr, also=labels)[1]))
    errors, pairs, only, only_pairs = [], [], [], []
    for p in posts:
        rows, idx = relation_error_rows(p, gold[p.id].relations, guesses[0][p.id],
                                        guesses[1][p.id] if len(guesses) > 1 else None)
        errors += rows
        pairs += idx
        if len(guesses) > 1:
            rows, idx = only_other_relation_rows(p, gold[p.id].relations, guesses[0][p.id], guesses[1][p.id],
                                                 models[1])
            only += rows
            only_pairs += idx
    differing = (sum([x.label for x in guesses[0][p.id]] != [x.label for x in guesses[1][p.id]] for p in posts)
                 if len(guesses) > 1 else 0)
    return ErrorAnalysis("mre", scored, labels, errors + only, pairs + only_pairs, only_other=len(only),
                         posts=len(posts), posts_differing=differing,
                         corrected=corrected, seen=_seen_by(home, models, "mre", posts), unlabelled=in_split - len(posts),
                         unchanged=labelled.unchanged)


def only_other_relation_rows(post: Post, gold: Sequence[Relation], mine: Sequence[PairGuess],
                             theirs: Sequence[PairGuess], other: str) -> tuple[list[list], list[int]]:
    """The compared version's (`other`'s) wrong pairs where the version analysed is right, and
    their indexes."""
    rows, pairs = [], []
    for i, (r, m, t) in enumerate(zip(gold, mine, theirs)):
        if m.label == r.label != t.label:
            rows.append([post.id, only_kind(_relation_kind(r.label, t.label), other), _pair_words(post, gold, i),
                         f"{m.label} ({m.confidence:.2f})", f"{ONLY_OTHER}: {t.label}", post.text])
            pairs.append(i)
    return rows, pairs


def only_kind(kind: str, other: str) -> str:
    """The kind of an error only the compared version makes, named as its: "missed" alone read
    as the version analysed's, beside its right answer (and the kind filter lists them apart)."""
    return f"{kind} ({other} only)"


def _relation_kind(gold: str, pred: str) -> str:
    return "missed" if pred == "None" else "spurious" if gold == "None" else "wrong relation"


def _pair_words(post: Post, gold: Sequence[Relation], i: int) -> str:
    """A pair as the error table says it. Two pairs of one post can read alike (a name said
    twice): their number, as the pairs table shows it, keeps their rows apart, so that picking
    one opens its own pair."""
    said = [f"{post.span_text(r.head)} → {post.span_text(r.tail)}: {r.label}" for r in gold]
    return said[i] + (f" (pair #{i + 1})" if said.count(said[i]) > 1 else "")


def relation_error_rows(post: Post, gold: Sequence[Relation], guesses: Sequence[PairGuess],
                        other: Sequence[PairGuess] | None = None) -> tuple[list[list], list[int]]:
    """One row per entity pair the student got wrong, and that pair's index."""
    rows, pairs = [], []
    for i, (r, guess) in enumerate(zip(gold, guesses)):
        if guess.label == r.label:
            continue
        versus = ""
        if other is not None:
            versus = other_version_words(versus_other_relation(r.label, guess.label, other[i].label))
        rows.append([post.id, _relation_kind(r.label, guess.label), _pair_words(post, gold, i),
                     f"{guess.label} ({guess.confidence:.2f})", versus, post.text])
        pairs.append(i)
    return rows, pairs


# -- figures ------------------------------------------------------------------------------------

def colour_top(ea: ErrorAnalysis, confusion: list[list[int]]) -> int:
    """The count the colour scale tops out at: the largest but the None/None cell of relations
    (794 pairs rightly left without a relation on MNRE test drew every error cell near-white)."""
    skip = ea.labels.index(NO_RELATION) if ea.task == "mre" and NO_RELATION in ea.labels else None
    cells = [v for i, row in enumerate(confusion) for j, v in enumerate(row) if not (i == j == skip)]
    return max(cells, default=0) or 1


def confusion_figure(ea: ErrorAnalysis) -> go.Figure:
    """Gold as rows, top to bottom; for entities "O" is no entity at all (a missed entity is
    predicted O, a spurious one has gold O), for relations "None" is no relation. Two versions
    compared: buttons switch between each one's matrix and the change from the first to the
    second."""
    names = [("O (no entity)" if t == "O" else t) for t in ea.labels]
    what = "Type confusion" if ea.task == "mner" else "Relation confusion"
    # spans are matched by exact boundaries: a wrong boundary is one miss and one spurious span here,
    # where the error kinds list it once (a walker read the two as disagreeing)
    # (lines short enough for a phone: "…; a wrong boun" was cut at a 390 px screen's edge)
    axes = "rows gold, columns predicted" + ("; O = no entity<br>a wrong boundary is a miss and a spurious span"
                                             if ea.task == "mner" else "")
    fig = go.Figure()
    views = []
    # no entity read as no entity is not counted (spans are what is scored): a blank, not a 0
    nothing = ea.labels.index("O") if ea.task == "mner" and "O" in ea.labels else None
    for s in ea.scored:
        shown = [["" if i == j == nothing else v for j, v in enumerate(row)] for i, row in enumerate(s.confusion)]
        fig.add_heatmap(z=s.confusion, x=names, y=names, colorscale="Blues", text=shown, texttemplate="%{text}",
                        zmin=0, zmax=colour_top(ea, s.confusion),
                        hovertemplate=f"{s.model}: gold %{{y}}, predicted %{{x}}: %{{z}}<extra></extra>", name=s.model)
        # the axes on a line of their own, smaller: on a phone one line was cut after "rows gold"
        views.append((s.model, f"{what} ({s.model})<br><sup>{axes}</sup>"))
    if len(ea.scored) == 2:
        a, b = ea.scored
        change = [[y - x for x, y in zip(ra, rb)] for ra, rb in zip(a.confusion, b.confusion)]
        # coloured by what the change is worth: more on the diagonal is better, more off it worse
        worth = [[d if i == j else -d for j, d in enumerate(row)] for i, row in enumerate(change)]
        top = max([abs(v) for row in worth for v in row] + [1])
        fig.add_heatmap(z=worth, zmin=-top, zmax=top, x=names, y=names, name="change",
                        colorscale=[[0, "#b91c1c"], [0.5, "#f8fafc"], [1, "#15803d"]],
                        text=[[f"{d:+d}" if d else "0" for d in row] for row in change], texttemplate="%{text}",
                        customdata=change, colorbar=dict(tickvals=[-top, 0, top], ticktext=["worse", "same", "better"]),
                        hovertemplate=f"gold %{{y}}, predicted %{{x}}: {b.model} %{{customdata:+d}} against {a.model}"
                                      "<extra></extra>")
        views.append((f"change: {b.model} − {a.model}",
                      f"{what}, {b.model} − {a.model}<br><sup>green better, red worse</sup>"))
    for i, trace in enumerate(fig.data):
        trace.visible = i == 0
    big = ea.task == "mre"
    # compared: the title (two lines) at the top, clear of the block's label, the view buttons
    # below it, above the cells (in a margin of 90 px the buttons covered the title's second line)
    fig.update_layout(title=dict(text=views[0][1], y=1, yanchor="top", pad=dict(t=42)), xaxis_title="predicted",
                      yaxis_title="gold", height=(620 if big else 400) + (40 if len(views) > 1 else 0),
                      margin=dict(t=(145 if len(views) > 1 else 95) + (14 if ea.task == "mner" else 0), b=40,
                                  l=40 if not big else 180))
    if len(views) > 1:
        fig.update_layout(updatemenus=[dict(
            type="buttons", direction="right", x=0, xanchor="left", y=1.02, yanchor="bottom", showactive=True,
            buttons=[dict(label=label, method="update",
                          args=[{"visible": [j == i for j in range(len(views))]}, {"title.text": title}])
                     for i, (label, title) in enumerate(views)])])
    fig.update_yaxes(autorange="reversed")
    if big:
        fig.update_xaxes(tickangle=45)
    return fig


def per_type_figure(ea: ErrorAnalysis) -> go.Figure:
    """P/R/F1 per type; comparing two versions, F1 of each side by side."""
    fig = go.Figure()
    if len(ea.scored) == 1:
        rows = ea.scored[0].per_label
        for i, name in enumerate(("precision", "recall", "F1")):
            fig.add_bar(name=name, x=[r[0] for r in rows], y=[r[1 + i] for r in rows])
    else:
        for s in ea.scored:
            fig.add_bar(name=f"F1 {s.model}", x=[r[0] for r in s.per_label], y=[r[3] for r in s.per_label])
    # the block's label already says "Per type": the title says what the bars are
    unit = "type" if ea.task == "mner" else "relation"
    what = (f"Precision, recall and F1 of each {unit}" if len(ea.scored) == 1 else
            f"F1 of each {unit}, version beside version")
    if ea.task == "mre":
        what += " (support in the table below)"
    fig.update_layout(barmode="group", title=what, yaxis_range=[0, 100], height=380 if ea.task == "mner" else 460,
                      margin=dict(t=40, b=40))
    if ea.task == "mner":   # the legend under the bars: beside them it took half a phone's width
        fig.update_layout(legend=dict(orientation="h", y=-0.12, yanchor="top", x=0), height=420,
                          margin=dict(t=40, b=110))
    if ea.task == "mre":
        fig.update_xaxes(tickangle=45)
    return fig


def default_of(lines: list[VersionLine]) -> str:
    """The value that picks the default: its name where the lines are of one task (so that a
    version promoted meanwhile, in another tab or browser, is not scored under the old one's
    name: "default" read as whichever was default at Analyse), else "default"."""
    defaults = [v.name for v in lines if v.is_default]   # one a task; both before a split is picked
    return defaults[0] if len(defaults) == 1 else "default"


def model_choices(lines: list[VersionLine]) -> list[tuple[str, str]]:
    """(label, value) pairs: the default once, named as the version it is, then the others;
    listing "default" beside its own name offered one model twice."""
    first = default_of(lines)
    return [(f"{first} (default)" if first != "default" else first, first)] + \
        [(v.name, v.name) for v in lines if not v.is_default]


def model_updates(home: Path, dataset_split: str | None) -> tuple[dict, dict]:
    """The Model and Compare choices for a split: only the versions that can answer it (entity
    models for entity labels, relation models for entity pairs), the default first."""
    lines, task = version_lines(home), None
    if dataset_split:
        parsed = DatasetSplit.parse(dataset_split)
        task = _task_of(home, parsed.dataset, parsed.split)
        lines = [v for v in lines if v.task == task]
    others = [v.name for v in lines if not v.is_default]
    # only "(none)" to pick read as broken: why is said in the box (as its info, a line above
    # the box, it put this dropdown out of line with the others)
    none = ((f"(none: no other {TASK_NAMES.get(task, 'model')} version yet)", NO_COMPARISON) if task and not others
            else NO_COMPARISON)
    # the default too, where there is another version: a new version was compared with the
    # default only the other way round (the default as the model, the new one compared)
    choices = model_choices(lines)
    return (gr.update(choices=choices, value=default_of(lines)),
            gr.update(choices=[none, *(choices if others else [])], value=NO_COMPARISON))


# The last analysis made on this browser (its split and versions, in localStorage): a reload
# lost the analysis and its choices, and the tab opened on the first split again. The Errors tab
# opened after a reload makes it again, from the stored predictions.
ANALYSIS_KEY = "cot-explorer-errors"
# (a State's value is the server's, not the page's: the note says whether it was analysed)
REMEMBER_ANALYSIS = ("(d, m, c, note) => { try { if (d && note && !note.startsWith(%s)) localStorage.setItem('%s', "
                     "JSON.stringify({split: d, model: m, compare: c})); } catch (e) {} return []; }"
                     % (json.dumps(NOT_ANALYSED), ANALYSIS_KEY))
READ_ANALYSIS = "(() => { try { return localStorage.getItem('%s') || ''; } catch (e) { return ''; } })()" % ANALYSIS_KEY
RECALL_ANALYSIS = "(a, tried, r, d, m, c) => [a, tried, %s, d, m, c]" % READ_ANALYSIS
AGAIN_SAID = "*Your last analysis on this browser, made again:* "

# While another analysis is made, the last one's tables and plots are greyed out, not clickable
# and marked busy: they stayed as they were under the progress bar, and read as the new split's.
RESULT_IDS = ("errors-overall", "errors-kinds", "errors-bars", "errors-heat", "errors-per-type", "errors-table")
ANALYSING_CLASS = "cot-analysing"
_MARK_RESULTS = ("(busy) => { for (const id of %s) { const e = document.getElementById(id); if (!e) continue; "
                 "e.classList.toggle('%s', busy); if (busy) e.setAttribute('aria-busy', 'true'); "
                 "else e.removeAttribute('aria-busy'); } }" % (json.dumps(list(RESULT_IDS)), ANALYSING_CLASS))
GREY_OUT_RESULTS = "() => { (%s)(true); return []; }" % _MARK_RESULTS
RESULTS_BACK = "() => { (%s)(false); return []; }" % _MARK_RESULTS


def versions_kept(home: Path, dataset_split: str, model: str | None, compare: str | None) -> tuple[dict, dict]:
    """The Model and Compare boxes for a split (model_updates), keeping the versions picked
    where the split's task has them: a version gone since, or one of the other task, is the
    default again, and no version is compared with itself."""
    model_update, compare_update = model_updates(home, dataset_split)
    # "default": the default as it is now (a remembered analysis, or a page from before a promote)
    model = model_update["value"] if model == "default" else model
    compare = model_update["value"] if compare == "default" else compare
    if model in {value for _, value in model_update["choices"]}:
        model_update["value"] = model
    if compare != model_update["value"] and compare in {c[1] if isinstance(c, tuple) else c
                                                        for c in compare_update["choices"]}:
        compare_update["value"] = compare
    return model_update, compare_update


def default_since(home: Path, dataset_split: str, model: str) -> str:
    """Said under a remembered analysis of a version that is no longer its task's default (after
    a Promote, Errors made the old default's analysis again, and nothing said the default had
    changed)."""
    if not model or model == "default":
        return ""   # the default's, whichever it is now
    ds = DatasetSplit.parse(dataset_split)
    with open_store(home) as store:
        try:
            now = Registry(store).default_name(label_store.labelled_task(store, ds.dataset, ds.split))
        except CotExplorerError:
            return ""
    return ("" if now == model else f"\n\n**{markdown_literal(now)} is the default now**, not {markdown_literal(model)}: "
            "pick it in Model version and press Analyse to see its errors.")


@dataclass(frozen=True)
class RememberedAnalysis:
    """A remembered analysis's choices, as they can be made in this store now, with the three
    boxes showing them."""

    split: str
    model: str
    compare: str
    boxes: tuple = field(default=(), compare=False, repr=False)

    @classmethod
    def read(cls, home: Path, remembered: str | None, labels: Sequence[str]) -> "RememberedAnalysis | None":
        """None where nothing is remembered, it does not read, or its split is gone."""
        try:
            got = json.loads(remembered or "")
            split, model, compare = (str(got.get(k) or "") for k in ("split", "model", "compare"))
        except (ValueError, AttributeError):
            return None
        if split not in labels:
            return None
        model_update, compare_update = versions_kept(home, split, model, compare)
        return cls(split, model_update["value"], compare_update["value"],
                   (gr.update(value=split), model_update, compare_update))


# -- layout and wiring --------------------------------------------------------------------------

ANY = "any"


def of_label(row: Sequence, label: str) -> bool:
    """Whether an error row is about `label`: an entity type in its gold or predicted words
    ("Citifield (LOC)"), or a relation as the labels or the student give it ("A → B: label",
    "label (0.84)")."""
    gold, pred = str(row[2] or ""), str(row[3] or "")
    return (f"({label})" in gold or f"({label})" in pred or re.search(rf": {re.escape(label)}( \(pair #\d+\))?$", gold)
            is not None or pred.startswith(f"{label} ("))


def rows_shown(records: Sequence[Sequence], kind: str | None, label: str | None) -> list:
    """The rows the table shows under its two filters (the kind of error, and the type or
    relation it is about), each with its record's last cell (an error's pair or words)."""
    return [r for r in records if (kind in (None, ANY) or r[1] == kind) and (label in (None, ANY) or of_label(r, label))]


def labels_in(ea: "ErrorAnalysis", rows: Sequence[Sequence]) -> list[str]:
    """The types (relations) some error row is about, in the analysis's order."""
    return [t for t in ea.labels if t not in ("O", NO_RELATION) and any(of_label(r, t) for r in rows)]


def shown_said(home: Path, picked: str | None, analysed: dict | None) -> str:
    """The line over the tables: that they are of another split than the one picked (a split
    picked while an analysis ran, or after it, stood over the last one's tables without a
    word), else whether the analysed split's labels changed since (stale_said)."""
    split = analysed.get("split") if isinstance(analysed, dict) else None
    if picked and split and picked != split:
        return (f"⚠ **The tables below are of {markdown_literal(split)}**, not of {markdown_literal(picked)}: press "
                f"**Analyse** to see {markdown_literal(picked)}'s.")
    return stale_said(home, analysed)


def stale_said(home: Path, analysed: dict | None) -> str:
    """Whether the labels of the analysed split changed since the analysis, in words."""
    if not isinstance(analysed, dict) or not isinstance(analysed.get("version"), int):
        return ""
    try:
        ds = DatasetSplit.parse(analysed.get("split"))
    except (CotExplorerError, TypeError):
        return ""
    with open_store(home) as store:
        n = label_store.posts_changed_since(store, ds.dataset, ds.split, analysed["version"])
    if not n:
        return ""
    return (f"⚠ **{n} post{'s' if n != 1 else ''} of {ds.label} {'have' if n != 1 else 'has'} new labels since "
            "this analysis** (saved, undone or merged in Annotate): the rows below are as they were. Press "
            "**Analyse** again to see the errors as they are now.")


def build_errors_tab(home: Path, post_state: gr.State, policy: AccessPolicy, model_work: dict,
                     tabs: gr.Tabs | None = None, pair_state: gr.State | None = None,
                     predictions: PredictBudget | None = None) -> dict:
    """`pair_state`, where given, names the entity pair a relation error is about, so that
    Annotate shows that pair and not the least certain one."""
    with gr.Tab("Errors", id="errors") as errors_tab:
        with gr.Row():
            ds = gr.Dropdown(label="Dataset/split", choices=[], elem_id="errors-dataset")
            # "default" still reads as the default (a caller of the API, a page from before the
            # boxes named it): a name not offered is refused by the analysis, in a sentence
            model = gr.Dropdown(label="Model version", choices=["default"], value="default", elem_id="errors-model",
                                allow_custom_value=True)
            compare = gr.Dropdown(label="Compare with", choices=[NO_COMPARISON], value=NO_COMPARISON,
                                  elem_id="errors-compare")
            run = gr.Button("Analyse", variant="primary", elem_id="errors-btn")
        gr.Markdown("Entities: span-level P/R/F1. Relations (entity pairs, MNRE): micro-F1 without None, "
                    "as the MNRE literature reports it, and accuracy over every pair.", elem_id="errors-help")
        # what the tables below are of, above them; before the first analysis, what to do (the
        # tab opened on empty tables and plots, with nothing saying to press Analyse)
        note = gr.Markdown("Choose a split and a model version (and one to compare it with, if you like), then press "
                           "**Analyse**: the scores, the error kinds and every error, each opening its post in "
                           "Annotate.", elem_id="errors-note")
        # said when the tab comes back to the front: rows opened and corrected in Annotate stayed
        # listed as errors, with nothing saying the analysis was older than the labels
        stale = gr.Markdown(elem_id="errors-stale")
        analysed = gr.State(None)   # {"split", "version"}: the newest label version when analysed
        overall = gr.Dataframe(headers=OVERALL_HEADERS, interactive=False, label="Overall", elem_id="errors-overall")
        kinds = gr.Dataframe(headers=["error kind", "count"], interactive=False, label="Error kinds",
                             elem_id="errors-kinds")
        with gr.Row():
            bars = gr.Plot(label="Per type", elem_id="errors-bars")
            heat = gr.Plot(label="Confusion", elem_id="errors-heat")
        per_type = gr.Dataframe(headers=["type", "P", "R", "F1", "support"], interactive=False,
                                label="Scores and support of each type", elem_id="errors-per-type")
        with gr.Row():
            kind_filter = gr.Dropdown([ANY], value=ANY, label="Show errors of kind")
            # all the errors about one type (relation): it took Gradio's column menu, a filter
            # hidden behind each header's ⋮
            type_filter = gr.Dropdown([ANY], value=ANY, label="about type", elem_id="errors-type-filter")
        errors = gr.Dataframe(headers=SINGLE_HEADERS, interactive=False, wrap=True,
                              column_widths=SINGLE_WIDTHS,
                              label="Errors (select a row to open the post in Annotate)", elem_id="errors-table")
        all_errors = gr.State([])

        def analyse(d, m, c, progress=gr.Progress(), user=None):
            """The analysis, and a line saying what it is of; a refusal empties the views, so
            that no earlier analysis stands under the new choice."""
            begin_work()
            with open_store(home) as store:   # before the labels are read: a save meanwhile is newer
                since = {"split": d, "version": label_store.newest_version(store)}
            try:
                refuse_blind(home, d, user)
                m, c = box_values_for(home, d, m, c)
                ea = error_analysis(home, d, m or "default", c, ProgressReporter(progress),
                                    viewer_charge(predictions, user, policy.someone_unlimited) if predictions is not None and user else None)
            except CotExplorerError as e:   # said in the note (a toast stayed on screen after a later success)
                return ([], [], None, None, [], [], [], gr.update(choices=[ANY], value=ANY),
                        gr.update(choices=[ANY], value=ANY), f"{NOT_ANALYSED} {as_sentence(str(e))}", None, "")
            headers, per_type_rows = ea.per_type_table()
            kind_names = [ANY, *sorted({row[1] for row in ea.errors})]
            shown, columns, widths = ea.errors, ERROR_HEADERS, ERROR_WIDTHS
            if len(ea.scored) == 1:   # nothing compared: no empty "other version" column
                shown = [row[:OTHER_VERSION] + row[OTHER_VERSION + 1:] for row in ea.errors]
                columns, widths = SINGLE_HEADERS, SINGLE_WIDTHS
            records = [[*row, pair] for row, pair in zip(shown, ea.error_pairs or ea.error_spans or [None] * len(shown))]
            bars_label = "Per type" if ea.task == "mner" else "Per relation"
            wide = ["wide-plot"] if ea.task == "mre" else []
            kind_headers, kind_rows = ea.kind_table()
            return (gr.update(value=ea.overall, headers=ea.overall_headers), gr.update(value=kind_rows, headers=kind_headers),
                    # relations have 23 labels: on a phone those two plots keep a readable width
                    # and scroll sideways (the wide-plot class, app.PAGE_CSS)
                    gr.update(value=per_type_figure(ea), label=bars_label, elem_classes=wide),
                    gr.update(value=confusion_figure(ea), elem_classes=wide),
                    gr.update(value=per_type_rows, headers=headers, label=f"Scores and support of each {headers[0]}"),
                    gr.update(value=shown, headers=columns, column_widths=widths), records,
                    gr.update(choices=kind_names, value=ANY),
                    gr.update(choices=[ANY, *labels_in(ea, shown)], value=ANY,
                              label="about type" if ea.task == "mner" else "about relation"),
                    (seen_said(ea) + "\n\n" if any(ea.seen.values()) else "")
                    + (cot_said(ea) + "\n\n" if ea.cot_read else "")
                    + f"**{d}**, {' against '.join(s.model for s in ea.scored)}: {errors_said(ea)}. "
                    + (comparison_said(ea) + " " if len(ea.scored) > 1 else "") + gold_said(ea) + " "
                    + ("Scores in %; entity counts are spans." if ea.task == "mner" else
                       "Scores in %; gold and predicted count entity pairs, micro-F1 leaves out those labelled None."),
                    since, "")

        def models_for(d, m=None, c=None, user=None):
            """The versions that can answer split `d`; those picked stay where they can
            (another split of the same task)."""
            return versions_kept(home, d, m, c) if d else (gr.skip(), gr.skip())

        # a split picked by hand (the page's load and a remembered analysis set all three boxes
        # themselves: a change event read the other two before they were set, and undid them)
        ds.input(guarded(policy, Action.EXPLORE, models_for), [ds, model, compare], [model, compare],
                 api_visibility="private")
        # a version is never compared with itself: picking it on one side lets the other side go
        # (the analysis was refused, and the results emptied)
        model.input(guarded(policy, Action.EXPLORE, lambda m, c, user: NO_COMPARISON if c == m else gr.skip()),
                    [model, compare], [compare], queue=False, api_visibility="private")
        def compared(c, m, user):
            """The Compare box's pick of the Model box's version: the model goes to the default,
            or, that being the version picked, the pick goes."""
            if c != m:
                return gr.skip(), gr.skip()
            lines = version_lines(home)
            task = next((v.task for v in lines if v.name == c), None)
            first = default_of([v for v in lines if v.task == task])
            return (first, gr.skip()) if first not in (c, "default") else (gr.skip(), NO_COMPARISON)

        compare.input(guarded(policy, Action.EXPLORE, compared), [compare, model], [model, compare], queue=False,
                      api_visibility="private")
        results = [overall, kinds, bars, heat, per_type, errors, all_errors, kind_filter, type_filter, note, analysed,
                   stale]
        # the bar on the note alone: on every output it was drawn four or five times, its words
        # over the previous analysis's note
        run.click(None, None, None, js=GREY_OUT_RESULTS, queue=False, api_visibility="private")
        analysing = run.click(guarded(policy, Action.EXPLORE, analyse), [ds, model, compare], results,
                              api_visibility="private", show_progress_on=[note], **model_work)
        analysing.success(   # not after a failure: its note is the old one
            None, [ds, model, compare, note], None, js=REMEMBER_ANALYSIS, api_visibility="private")
        analysing.then(None, None, None, js=RESULTS_BACK, api_visibility="private")   # a refusal too
        errors_tab.select(guarded(policy, Action.EXPLORE, lambda d, a, user: shown_said(home, d, a), quiet=True),
                          [ds, analysed], [stale], api_visibility="private", show_progress="hidden")
        # a split picked over the tables of another (during an analysis too: said once it ends)
        for changed in (ds.change, analysed.change):
            changed(guarded(policy, Action.EXPLORE, lambda d, a, user: shown_said(home, d, a), quiet=True),
                    [ds, analysed], [stale], api_visibility="private", show_progress="hidden")
        remembered = gr.Textbox(visible=False, elem_id="errors-remembered")
        tried = gr.State(False)      # the remembered analysis is made again once a page, at most
        again = gr.State(None)       # RememberedAnalysis to make again, for the step after

        def reopen(a, was_tried, r, d, m, c, user):
            """After a reload, the first time the tab opens: the last analysis on this browser.
            Otherwise the Model and Compare boxes are read again, the versions picked kept: a
            version promoted or rolled back in another browser left "(default)" on the old one
            until a reload."""
            fresh = versions_kept(home, d, m, c) if d else (gr.skip(), gr.skip())
            if a or was_tried:
                return gr.skip(), *fresh, True, None
            found = RememberedAnalysis.read(home, r, [s.label for s in dataset_splits(home)])
            if found is None:
                return gr.skip(), *fresh, True, None
            return (*found.boxes, True, found)

        def analyse_again(r: RememberedAnalysis | None, progress=gr.Progress(), user=None):
            if r is None:
                return tuple(gr.skip() for _ in results)
            out = list(analyse(r.split, r.model, r.compare, progress, user))
            said = results.index(note)
            if isinstance(out[said], str) and not out[said].startswith(NOT_ANALYSED):
                out[said] = AGAIN_SAID + out[said] + default_since(home, r.split, r.model)
            return tuple(out)

        errors_tab.select(guarded(policy, Action.EXPLORE, reopen, quiet=True),
                          [analysed, tried, remembered, ds, model, compare],
                          [ds, model, compare, tried, again], js=RECALL_ANALYSIS, api_visibility="private",
                          show_progress="hidden").then(
            guarded(policy, Action.EXPLORE, analyse_again, quiet=True), [again], results, api_visibility="private",
            show_progress_on=[note], **model_work)
        for box in (kind_filter, type_filter):
            box.change(guarded(policy, Action.EXPLORE, lambda k, t, rows, user: [r[:-1] for r in rows_shown(rows, k, t)]),
                       [kind_filter, type_filter, all_errors], [errors], api_visibility="private")

        def open_row(rows, records, kind, label, shown_post, evt: gr.SelectData, user):
            """The post opens in Annotate, which comes to the front; a relation error's pair is
            the one on show there (the row is found by its values, however the table is sorted).
            Rows that read alike (one word missed twice in a post) are told apart by the row's
            place where the table is in its own order. A row of the post already picked does not
            change `post_state` (no change event), so the focus asks Annotate to open it again
            (`reopen`): it may show another post by now."""
            row = list(evt.row_value) if evt.row_value else table_rows(rows)[evt.index[0]]
            pid = row[0]
            same = lambda r: [str(x) for x in r[:-1]] == [str(x) for x in row]  # noqa: E731
            shown = rows_shown(records, kind, label)   # as the filters show them
            at = evt.index[0] if evt.index else None
            found = (shown[at][-1] if isinstance(at, int) and at < len(shown) and same(shown[at])
                     else next((r[-1] for r in records if same(r)), None))
            # a relation error's pair (its index) and its line, or an entity error's words (error_focus)
            pair, span = ((None, found) if isinstance(found, dict) else
                          (found, relation_focus(row)) if isinstance(found, int) else (None, None))
            out = [pid]
            if pair_state is not None:
                out.append({"post_id": pid, "pair": pair, "span": span, "at": time.time(), "reopen": pid == shown_post})
            if tabs is not None:
                out.append(gr.Tabs(selected="annotate"))
            return out[0] if len(out) == 1 else tuple(out)

        errors.select(guarded(policy, Action.EXPLORE, open_row), [errors, all_errors, kind_filter, type_filter, post_state],
                      [post_state] + ([pair_state] if pair_state is not None else []) +
                      ([tabs] if tabs is not None else []), api_visibility="private")
    return {"errors_dataset": ds, "errors_model": model, "errors_compare": compare, "remembered": remembered}
