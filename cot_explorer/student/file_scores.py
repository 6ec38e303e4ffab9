"""A student's scores on a labelled file (`evaluate`), with whatever backend predicts.

The file is read in its own entity types (a Twitter-2015 file says OTHER where a model of
Twitter-2017 says MISC: one type under two names, declared in labels.TYPE_ALIASES), the
model's answers are put in the file's names, and the report says which alias was used. A
relation model with typed argument markers reads the types from an entity model's answers,
as in the app (relation_arguments.py), never from the file's gold."""

from __future__ import annotations

from ..datasets.mnre import read_mnre
from ..datasets.twitter_conll import read_twitter_conll, tag_types
from ..errors import CotExplorerError
from ..evaluate import score_relations, score_spans
from ..labels import mner_schema_for
from .inference import Predictor
from .relation_arguments import typed_pair
from .seen_posts import seen_among


def evaluate_file(predictor: Predictor, path: str, fmt: str, entity_predictor: Predictor | None = None) -> dict:
    """Scores (F1 in percent) of `predictor` on a `twitter` CoNLL or `mnre` file."""
    manifest = predictor.manifest
    if manifest.variant == "knowledge":
        raise CotExplorerError("the knowledge variant needs the teacher's CoT at inference; "
                               "evaluate it with benchmarks/student.py")
    if fmt == "twitter":
        if manifest.task != "mner":
            raise CotExplorerError("a twitter file needs an mner model")
        model_schema = mner_schema_for("", [t[2:] for t in manifest.labels if t.startswith("B-")])
        file_schema = mner_schema_for("", tag_types(path)) if tag_types(path) else model_schema
        parsed = read_twitter_conll(path, "eval", "eval", file_schema, repair_bio=True)
        pred = predictor.predict_entities([it.post.tokens for it in parsed.posts])
        answers = [file_schema.translate([p.span() for p in ps]) for ps in pred]
        gold = [it.labels[0].spans for it in parsed.posts]
        out = score_spans(gold, answers).to_json()
        out["repaired_tags"] = parsed.repaired_tags
        seen = seen_among(predictor.path, [it.post for it in parsed.posts])
        out["posts_trained_on"] = len(seen)
        if seen:   # the score without them beside it: 2 learnt posts of 1000 read as a flattered score
            new = [i for i, it in enumerate(parsed.posts) if it.post.id not in seen]
            if new:
                out["f1_without_trained_on"] = score_spans([gold[i] for i in new], [answers[i] for i in new]).f1
        out["file_types"], out["model_types"] = list(file_schema.types), list(model_schema.types)
        out["alias"] = file_schema.aliases_from(model_schema)   # {model's name: the file's name}
        dropped = [t for t in model_schema.types if file_schema.name_for(t) is None]
        if dropped:
            out["model_types_without_counterpart"] = dropped
    elif fmt == "mnre":
        if manifest.task != "mre":
            raise CotExplorerError("an mnre file needs an mre model")
        parsed = read_mnre(path, "eval", "eval")
        items = [(it.post.tokens, r.head, r.tail, r.label) for it in parsed.posts for r in it.labels[0].relations]
        typed = manifest.config.get("relation_markers") == "typed"
        if typed:
            if entity_predictor is None:
                raise CotExplorerError("this relation model reads argument types: it needs an entity model")
            posts = list(dict.fromkeys(tuple(w) for w, *_ in items))
            entities = dict(zip(posts, ([p.span() for p in ps] for ps in entity_predictor.predict_entities(posts))))
            items = [(w, *typed_pair(h, t, entities[tuple(w)]), g) for w, h, t, g in items]
        else:  # untyped markers ignore types; the file's own (read from its labels) must not reach the model
            items = [(w, h.__class__(h.start, h.end, None), t.__class__(t.start, t.end, None), g) for w, h, t, g in items]
        pred = predictor.predict_relations([(w, h, t) for w, h, t, _ in items])
        out = score_relations([g for *_, g in items], [p.label for p in pred]).to_json()
        out["n_posts"] = len(parsed.posts)
        seen = seen_among(predictor.path, [it.post for it in parsed.posts])
        out["posts_trained_on"] = len(seen)
        if seen:
            learnt = {tuple(it.post.tokens) for it in parsed.posts if it.post.id in seen}
            new = [i for i, (w, *_) in enumerate(items) if tuple(w) not in learnt]
            if new:
                out["f1_without_trained_on"] = score_relations([items[i][3] for i in new],
                                                               [pred[i].label for i in new]).f1
        out["alias"] = {}
        if typed:
            out["argument_types_from"] = entity_predictor.manifest.name
    else:
        raise CotExplorerError(f"unknown format {fmt!r}: twitter or mnre")
    out["model"] = str(predictor.path)
    out["variant"] = manifest.variant
    out["backend"] = predictor.backend
    return out
