"""`predict`: JSONL posts in, JSONL posts with entities out, streamed.

Lines are read, predicted and written a batch at a time, so a file of any size runs in
constant memory; the predictor uses the machine's cores (ONNX Runtime's threads, or
PyTorch's). No PyTorch is imported here."""

from __future__ import annotations

import json
from typing import Iterable, Iterator

from ..errors import CotExplorerError, ValidationError
from ..limits import MAX_POST_CHARS, check_text, has_lone_surrogate, is_visible_token
from ..schema import Span
from ..tokenize import join_tokens, tokenize_tweet, tokens_in_text
from .inference import Predictor
from .relation_arguments import typed_pair


def predict_lines(predictor: Predictor, lines: Iterable[str], batch_size: int = 32,
                  first_step: int | None = None, entities: Predictor | None = None) -> Iterator[dict | None]:
    """JSONL in (`{"text": ...}`, `{"tokens": [...]}` or both), one dict out per line with
    entities; None for a blank line, so that the output's lines are the input's, line for line
    (blank lines were dropped, and the lines after them no longer matched).

    A relation model (`entities`: the entity model that finds the arguments) answers each
    ordered pair of a post's entities, or the pairs a line names (`"pairs": [{"head": [start,
    end], "tail": [start, end]}]`, token offsets), its arguments typed by the line's own
    `"entities"` where it gives them ([{"start", "end", "type"}]), else by the entity model's.

    `first_step`: lines read in the first step, doubled each step up to `batch_size`: a pipe
    gets its first lines soon and the rest at full speed (steps of 32 all through were 1.6×
    slower with int8, whose safety net re-reads a step's doubtful posts in fp32)."""
    relations = predictor if predictor.manifest.task == "mre" else None
    for model in (predictor, entities) if relations is not None else (predictor,):
        if model is not None and model.manifest.variant == "knowledge":
            raise CotExplorerError(f"{model.manifest.name} is a knowledge view: it reads the teacher's chain of "
                                   "thought with the text, which predict does not have; predict with a text-only "
                                   "student (the default)")
    if relations is not None:
        if entities is None or entities.manifest.task != "mner":
            raise CotExplorerError("a relation model needs an entity model to find the pairs' arguments")
        predictor = entities
    buffer: list[dict | None] = []
    step = min(first_step or batch_size, batch_size)

    def flush() -> Iterator[dict | None]:
        posts = [b for b in buffer if b is not None]
        # a relation line that names its entities needs no entity model's
        asked = [b for b in posts if relations is None or b.get("given_entities") is None]
        preds = iter(predictor.predict_entities([b["tokens"] for b in asked]) if asked else [])
        out = []
        for rec in buffer:
            if rec is None:
                out.append(None)
                continue
            if relations is not None and rec.get("given_entities") is not None:
                out.append({**rec, "entities": [_entity(rec, Span(a, b, t)) for a, b, t in rec["given_entities"]]})
                continue
            out.append({**rec, "entities": [_entity(rec, p.span(), p.confidence) for p in next(preds)]})
        if relations is not None:
            _answer_pairs(relations, [r for r in out if r is not None])
        for rec in out:
            if rec is not None:
                rec.pop("given_entities", None)
                rec.pop("given_pairs", None)
                rec["offsets"] = [list(o) for o in rec["offsets"]]
            yield rec
        buffer.clear()

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            buffer.append(None)
            continue
        try:
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                # a plain sentence piped in read only "not JSON (Expecting value)"
                raise CotExplorerError(f"input line {n}: not JSON ({e.msg}); each line is a JSON object such as "
                                       '{"text": "Obama visits Paris"}') from e
            try:
                _check_strings(d)   # every field is written back out: each must be valid Unicode too
                text, tokens, offsets = _post_of(d)
                given = _arguments_of(d, len(tokens)) if relations is not None else (None, None)
            except ValidationError as e:
                raise CotExplorerError(f"input line {n}: {e}") from None
        except CotExplorerError:
            # the lines before it first: a stream then holds every line up to the bad one (into a
            # file, nothing is kept either way), so "the N lines before it" is all of them
            yield from flush()
            raise
        buffer.append({**{k: v for k, v in d.items() if k not in ("tokens", "offsets")},
                       "text": text, "tokens": list(tokens), "offsets": offsets,
                       **({"given_entities": given[0], "given_pairs": given[1]} if relations is not None else {})})
        if len(buffer) >= step:
            yield from flush()
            step = min(step * 2, batch_size)
    if buffer:
        yield from flush()


def _entity(rec: dict, span: Span, confidence: float | None = None) -> dict:
    """An entity as predict writes it: token and character offsets, its words and type."""
    cs, ce = rec["offsets"][span.start][0], rec["offsets"][span.end - 1][1]
    out = {"start": span.start, "end": span.end, "char_start": cs, "char_end": ce, "text": rec["text"][cs:ce],
           "type": span.type}
    return out if confidence is None else {**out, "confidence": confidence}


def _answer_pairs(relations: Predictor, recs: list[dict]) -> None:
    """Each post's pairs (named, or every ordered pair of its entities) answered by the
    relation model, their arguments typed by the post's entities (relation_arguments)."""
    items, where = [], []
    for rec in recs:
        spans = [Span(e["start"], e["end"], e["type"]) for e in rec["entities"]]
        pairs = rec.get("given_pairs")
        if pairs is None:
            pairs = [((h.start, h.end), (t.start, t.end)) for h in spans for t in spans if h != t]
        rec["relations"] = []
        for (hs, he), (ts, te) in pairs:
            head, tail = typed_pair(Span(hs, he, ""), Span(ts, te, ""), spans)
            items.append((rec["tokens"], head, tail))
            where.append((rec, head, tail))
    for (rec, head, tail), answer in zip(where, relations.predict_relations(items) if items else []):
        rec["relations"].append({"head": _entity(rec, head), "tail": _entity(rec, tail), "relation": answer.label,
                                 "confidence": answer.confidence})


def _arguments_of(d: dict, n_tokens: int) -> tuple[list | None, list | None]:
    """A relation line's own entities ([(start, end, type)]) and pairs ([((start, end), (start,
    end))]), where it gives them, checked against its tokens."""
    def bounds(v, what: str) -> tuple[int, int]:
        if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(type(x) is int for x in v)
                and 0 <= v[0] < v[1] <= n_tokens):
            raise ValidationError(f"{what} must be [start, end], token offsets within the post's {n_tokens} tokens")
        return v[0], v[1]

    entities = d.get("entities")
    if entities is not None:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise ValidationError('"entities" must be a list of {"start", "end", "type"}')
        checked = []
        for i, e in enumerate(entities):
            a, b = bounds([e.get("start"), e.get("end")], f"entity {i + 1}")
            if not isinstance(e.get("type"), str) or not e["type"].strip():
                raise ValidationError(f"entity {i + 1} has no type")
            checked.append((a, b, e["type"]))
        entities = checked
    pairs = d.get("pairs")
    if pairs is not None:
        if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
            raise ValidationError('"pairs" must be a list of {"head": [start, end], "tail": [start, end]}')
        pairs = [(bounds(p.get("head"), f"pair {i + 1}'s head"), bounds(p.get("tail"), f"pair {i + 1}'s tail"))
                 for i, p in enumerate(pairs)]
        # one within the other is answered, as the app answers MNRE's own such pairs ("Beijing
        # Hongqiao Market" → "Beijing": three in its valid split, and the whole file was refused)
        for i, (head, tail) in enumerate(pairs):
            if head == tail:
                raise ValidationError(f"pair {i + 1}'s head and tail are the same words: a relation is between two "
                                      "entities")
    return entities, pairs


def _post_of(d: object) -> tuple[str, tuple[str, ...], list]:
    """A line's text, tokens and offsets, held to the rules of every input path: valid Unicode
    (an invalid byte or a lone surrogate reached the tokenizer and ended in a traceback), no
    control characters (a NUL joined two words into one entity), no empty token, no empty text."""
    if isinstance(d, dict) and isinstance(d.get("tokens"), list) and d["tokens"]:
        tokens = tuple(check_text(t, f"token {i + 1}") for i, t in enumerate(d["tokens"]))
        empty = next((i for i, t in enumerate(tokens) if not is_visible_token(t)), None)
        if empty is not None:
            raise ValidationError(f"token {empty + 1} is empty or invisible")
        if isinstance(d.get("text"), str):   # both: the text stays as given, the tokens found in it
            text = check_text(d["text"], "the text", MAX_POST_CHARS)
            try:
                return text, tokens, list(tokens_in_text(text, tokens))
            except ValueError as e:
                raise ValidationError(f"the tokens are not the text's words: {e}") from None
        text, offsets = join_tokens(tokens)
        check_text(text, "the tokens", MAX_POST_CHARS)
        return text, tokens, offsets
    if isinstance(d, dict) and "text" in d:
        text = check_text(d["text"], "the text", MAX_POST_CHARS)
        if not text.strip():
            raise ValidationError("the text is empty")
        tokens, offsets = tokenize_tweet(text)
        return text, tokens, offsets
    raise ValidationError('expected {"text": ...} or {"tokens": [...]}')


def _check_strings(value: object, where: str = "the line") -> None:
    """Any key or string of the line that is not valid Unicode (an invalid byte read as a lone
    surrogate, or an escaped one): refused, as the output could not be written (an "id" with
    one ended in a traceback)."""
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise ValidationError(f"{where} is not valid Unicode (invalid UTF-8 or a lone surrogate)")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k, "a key")   # valid from here on: it can name the field
            _check_strings(v, "the text" if k == "text" else f"the field {k!r}")
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, where)
