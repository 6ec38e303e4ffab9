"""`predict`: JSONL posts in, JSONL posts with entities out, streamed.

Lines are read, predicted and written a batch at a time, so a file of any size runs in
constant memory; the predictor uses the machine's cores (ONNX Runtime's threads, or
PyTorch's). No PyTorch is imported here."""

from __future__ import annotations

import json
from typing import Iterable, Iterator

from ..errors import CotExplorerError, ValidationError
from ..limits import MAX_POST_CHARS, check_text, has_lone_surrogate, is_visible_token
from ..tokenize import join_tokens, tokenize_tweet, tokens_in_text
from .inference import Predictor


def predict_lines(predictor: Predictor, lines: Iterable[str], batch_size: int = 32,
                  first_step: int | None = None) -> Iterator[dict | None]:
    """JSONL in (`{"text": ...}`, `{"tokens": [...]}` or both), one dict out per line with
    entities; None for a blank line, so that the output's lines are the input's, line for line
    (blank lines were dropped, and the lines after them no longer matched).

    `first_step`: lines read in the first step, doubled each step up to `batch_size`: a pipe
    gets its first lines soon and the rest at full speed (steps of 32 all through were 1.6×
    slower with int8, whose safety net re-reads a step's doubtful posts in fp32)."""
    if predictor.manifest.task != "mner":
        raise CotExplorerError("predict supports mner models")
    if predictor.manifest.variant == "knowledge":
        raise CotExplorerError(f"{predictor.manifest.name} is a knowledge view: it reads the teacher's chain of "
                               "thought with the text, which predict does not have; predict with a text-only "
                               "student (the default)")
    buffer: list[dict | None] = []
    step = min(first_step or batch_size, batch_size)

    def flush() -> Iterator[dict | None]:
        posts = [b for b in buffer if b is not None]
        preds = iter(predictor.predict_entities([b["tokens"] for b in posts]) if posts else [])
        for rec in buffer:
            if rec is None:
                yield None
                continue
            spans = next(preds)
            ents = []
            for p in spans:
                cs, ce = rec["offsets"][p.start][0], rec["offsets"][p.end - 1][1]
                ents.append({"start": p.start, "end": p.end, "char_start": cs, "char_end": ce,
                             "text": rec["text"][cs:ce], "type": p.type, "confidence": p.confidence})
            yield {**rec, "offsets": [list(o) for o in rec["offsets"]], "entities": ents}
        buffer.clear()

    for n, line in enumerate(lines, start=1):
        if not line.strip():
            buffer.append(None)
            continue
        try:
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                raise CotExplorerError(f"input line {n}: not JSON ({e.msg})") from e
            try:
                _check_strings(d)   # every field is written back out: each must be valid Unicode too
                text, tokens, offsets = _post_of(d)
            except ValidationError as e:
                raise CotExplorerError(f"input line {n}: {e}") from None
        except CotExplorerError:
            # the lines before it first: a stream then holds every line up to the bad one (into a
            # file, nothing is kept either way), so "the N lines before it" is all of them
            yield from flush()
            raise
        buffer.append({**{k: v for k, v in d.items() if k not in ("tokens", "offsets")},
                       "text": text, "tokens": list(tokens), "offsets": offsets})
        if len(buffer) >= step:
            yield from flush()
            step = min(step * 2, batch_size)
    if buffer:
        yield from flush()


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
