"""A student's scores on labelled posts (`evaluate`): a labelled file, or a split of the store
as it is now, corrections and all (the figures of the app's Errors tab), with whatever backend
predicts.

A file is read in its own entity types (a Twitter-2015 file says OTHER where a model of
Twitter-2017 says MISC: one type under two names, declared in labels.TYPE_ALIASES), a store's
split in its dataset's; the model's answers are put in those names, and the report says which
alias was used. A relation model with typed argument markers reads the types from an entity
model's answers, as in the app (relation_arguments.py), never from the gold."""

from __future__ import annotations

from collections.abc import Sequence

from ..datasets.mnre import read_mnre
from ..datasets.twitter_conll import read_twitter_conll, tag_types
from ..errors import CotExplorerError
from ..evaluate import score_relations, score_spans
from ..labels import MnerSchema, mner_schema_for
from ..schema import Post, Relation, Span
from ..store.labelled_split import LabelledSplit
from .inference import Predictor
from .relation_arguments import typed_pair
from .seen_posts import seen_among


def evaluate_file(predictor: Predictor, path: str, fmt: str, entity_predictor: Predictor | None = None) -> dict:
    """Scores (F1 in percent) of `predictor` on a `twitter` CoNLL or `mnre` file."""
    _refuse_knowledge(predictor)
    if fmt == "twitter":
        if predictor.manifest.task != "mner":
            raise CotExplorerError("a twitter file needs an mner model")
        file_schema = mner_schema_for("", tag_types(path)) if tag_types(path) else _model_schema(predictor)
        parsed = read_twitter_conll(path, "eval", "eval", file_schema, repair_bio=True)
        out = score_entity_posts(predictor, [(it.post, it.labels[0].spans) for it in parsed.posts], file_schema)
        out["repaired_tags"] = parsed.repaired_tags
    elif fmt == "mnre":
        if predictor.manifest.task != "mre":
            raise CotExplorerError("an mnre file needs an mre model")
        parsed = read_mnre(path, "eval", "eval")
        out = score_relation_posts(predictor, [(it.post, it.labels[0].relations) for it in parsed.posts],
                                   entity_predictor)
    else:
        raise CotExplorerError(f"unknown format {fmt!r}: twitter or mnre")
    return out


def _refuse_knowledge(predictor: Predictor) -> None:
    if predictor.manifest.variant == "knowledge":
        raise CotExplorerError("the knowledge variant needs the teacher's CoT at inference; "
                               "evaluate it with benchmarks/student.py")


def _model_schema(predictor: Predictor) -> MnerSchema:
    return mner_schema_for("", [t[2:] for t in predictor.manifest.labels if t.startswith("B-")])


def _about(predictor: Predictor, out: dict) -> dict:
    out["model"] = str(predictor.path)
    out["variant"] = predictor.manifest.variant
    out["backend"] = predictor.backend
    return out


def score_entity_posts(predictor: Predictor, labelled: Sequence[tuple[Post, Sequence[Span]]],
                       schema: MnerSchema, knowledge: Sequence[str] | None = None) -> dict:
    """Entity-level scores of `predictor` on posts and their gold spans, read in `schema`'s
    type names (a file's, or a dataset's in the store); the model's answers are put in them.
    `knowledge`: what a knowledge view reads beside each post (cot_inputs), from the store."""
    if knowledge is None:
        _refuse_knowledge(predictor)
    if predictor.manifest.task != "mner":
        raise CotExplorerError("entity labels need an mner model")
    model_schema = _model_schema(predictor)
    posts = [post for post, _ in labelled]
    pred = predictor.predict_entities([post.tokens for post in posts], knowledge=knowledge)
    answers = [schema.translate([p.span() for p in ps]) for ps in pred]
    gold = [list(spans) for _, spans in labelled]
    out = score_spans(gold, answers).to_json()
    seen = seen_among(predictor.path, posts)
    out["posts_trained_on"] = len(seen)
    if seen:   # the score without them beside it: 2 learnt posts of 1000 read as a flattered score
        new = [i for i, post in enumerate(posts) if post.id not in seen]
        if new:
            out["f1_without_trained_on"] = score_spans([gold[i] for i in new], [answers[i] for i in new]).f1
    out["file_types"], out["model_types"] = list(schema.types), list(model_schema.types)
    out["alias"] = schema.aliases_from(model_schema)   # {model's name: the file's name}
    dropped = [t for t in model_schema.types if schema.name_for(t) is None]
    if dropped:
        out["model_types_without_counterpart"] = dropped
    return _about(predictor, out)


def score_relation_posts(predictor: Predictor, labelled: Sequence[tuple[Post, Sequence[Relation]]],
                         entity_predictor: Predictor | None = None) -> dict:
    """Micro-F1 (None left out) of `predictor` on posts and their gold relations. A model with
    typed argument markers reads the types from `entity_predictor`'s answers, never the gold's."""
    _refuse_knowledge(predictor)
    if predictor.manifest.task != "mre":
        raise CotExplorerError("relation labels need an mre model")
    items = [(post.tokens, r.head, r.tail, r.label) for post, relations in labelled for r in relations]
    typed = predictor.manifest.config.get("relation_markers") == "typed"
    if typed:
        if entity_predictor is None:
            raise CotExplorerError("this relation model reads argument types: it needs an entity model")
        texts = list(dict.fromkeys(tuple(w) for w, *_ in items))
        entities = dict(zip(texts, ([p.span() for p in ps] for ps in entity_predictor.predict_entities(texts))))
        items = [(w, *typed_pair(h, t, entities[tuple(w)]), g) for w, h, t, g in items]
    else:  # untyped markers ignore types; the gold's own must not reach the model
        items = [(w, h.__class__(h.start, h.end, None), t.__class__(t.start, t.end, None), g) for w, h, t, g in items]
    pred = predictor.predict_relations([(w, h, t) for w, h, t, _ in items])
    out = score_relations([g for *_, g in items], [p.label for p in pred]).to_json()
    out["n_posts"] = len(labelled)
    posts = [post for post, _ in labelled]
    seen = seen_among(predictor.path, posts)
    out["posts_trained_on"] = len(seen)
    if seen:
        learnt = {tuple(post.tokens) for post in posts if post.id in seen}
        new = [i for i, (w, *_) in enumerate(items) if tuple(w) not in learnt]
        if new:
            out["f1_without_trained_on"] = score_relations([items[i][3] for i in new],
                                                           [pred[i].label for i in new]).f1
    out["alias"] = {}
    if typed:
        out["argument_types_from"] = entity_predictor.manifest.name
    return _about(predictor, out)


def labelled_scores(predictor: Predictor, labelled: LabelledSplit, entity_predictor: Predictor | None = None,
                    knowledge: Sequence[str] | None = None) -> dict:
    """Scores on a split of the store as it is now (`evaluate --split`): the posts and labels the
    Errors tab scores, so that its figures can be had from the command line; an entity knowledge
    view reads `knowledge` beside each post, as there."""
    if labelled.task == "mre":
        out = score_relation_posts(predictor, [(p, g.relations) for p, g in zip(labelled.posts, labelled.gold)],
                                   entity_predictor)
    else:
        out = score_entity_posts(predictor, [(p, g.spans or ()) for p, g in zip(labelled.posts, labelled.gold)],
                                 labelled.schema, knowledge)
    out.update(split=labelled.label, corrected=labelled.corrected, unlabelled=labelled.unlabelled)
    return out
