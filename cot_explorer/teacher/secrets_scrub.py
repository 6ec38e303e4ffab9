"""Keeping the API key out of everything we write: a hostile or broken endpoint may echo it
back, whole or in part, in an error, in an answer, or in what the SDK logs."""

from __future__ import annotations

import logging
from dataclasses import replace

from ..schema import TeacherOutput

_FORMATTER = logging.Formatter()
MIN_PREFIX = 12          # a run of the key this long (from its start) is the key
MASK = "[key]"


def scrub(text: str, key: str | None) -> str:
    """`text` with every run of 12 or more leading characters of `key` replaced by [key]."""
    if not text or not key or len(key) < MIN_PREFIX:
        return text
    probe = key[:MIN_PREFIX]
    out, pos = [], 0
    while (i := text.find(probe, pos)) != -1:
        j = i + MIN_PREFIX
        while j < len(text) and j - i < len(key) and text[j] == key[j - i]:
            j += 1
        out += [text[pos:i], MASK]
        pos = j
    out.append(text[pos:])
    return "".join(out)


def scrub_output(out: TeacherOutput, key: str | None) -> TeacherOutput:
    """Every text field of a teacher answer, scrubbed."""
    if not key:
        return out
    entities = tuple(replace(e, text=scrub(e.text, key), rationale=scrub(e.rationale, key), type=scrub(e.type, key))
                     for e in out.entities)
    grains = tuple(replace(g, label=scrub(g.label, key), text=scrub(g.text, key)) for g in out.grains)
    relation = replace(out.relation, rationale=scrub(out.relation.rationale, key)) if out.relation else None
    return replace(out, text=scrub(out.text, key), raw=scrub(out.raw, key), grains=grains, relation=relation,
                   error=scrub(out.error, key) if out.error else out.error, entities=entities)


def install_log_scrubber(key: str) -> None:
    """Scrub the key from every log record of the process, whichever logger or handler it
    goes through (a record factory: logger filters would miss the SDK's child loggers)."""
    previous = logging.getLogRecordFactory()
    if key in getattr(previous, "scrubbed_keys", ()):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return record
        cleaned = scrub(message, key)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:  # a logged exception's text (an HTTP error quoting the key) too
            record.exc_text = scrub(_FORMATTER.formatException(record.exc_info), key)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, key)
        return record

    factory.scrubbed_keys = (*getattr(previous, "scrubbed_keys", ()), key)  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
