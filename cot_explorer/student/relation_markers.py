"""How a relation student sees an entity pair: the post with its two arguments marked.
Torch-free: training (mre.py) and the ONNX backend mark pairs here."""

from __future__ import annotations

from typing import Sequence

from ..schema import Span
from .align import AlignedLists, WordAligner

MARKERS = ("[unused0]", "[unused1]", "[unused2]", "[unused3]")  # <h> </h> <t> </t>

# Typed entity markers in punctuation (Zhou & Chen 2021, "An Improved Baseline for
# Sentence-level Relation Extraction"): `@ * person * Obama @ ... # ^ location ^ Paris #`.
# The marker words are ordinary vocabulary, so they keep their pretrained embeddings even
# with the word embeddings frozen, and the argument types narrow the 23 relations a lot.
# The type of an argument comes from the span's `type` (see relation_arguments.py): an MNER
# student's or an annotator's entity over it; untyped arguments read "entity".
TYPE_WORDS = {"PER": "person", "LOC": "location", "ORG": "organization", "MISC": "miscellaneous",
              "OTHER": "miscellaneous"}
MARKER_STYLES = ("ids", "typed")


def _type_words(span: Span) -> list[str]:
    return [TYPE_WORDS.get((span.type or "").upper(), "entity")]


def marked_words(words: Sequence[str], head: Span, tail: Span, style: str = "ids") -> tuple[list[str], int, int]:
    """The post with its two arguments marked, and the word positions of the head's and the
    tail's opening marker (the states the classifier reads)."""
    out: list[str] = []
    at = {"head": -1, "tail": -1}

    def open_(which: str, span: Span) -> None:
        at[which] = len(out)
        if style == "typed":
            sym, inner = ("@", "*") if which == "head" else ("#", "^")
            out.extend([sym, inner, *_type_words(span), inner])
        else:
            out.append(MARKERS[0] if which == "head" else MARKERS[2])

    def close(which: str) -> None:
        if style == "typed":
            out.append("@" if which == "head" else "#")
        else:
            out.append(MARKERS[1] if which == "head" else MARKERS[3])

    for i, w in enumerate(words):
        if i == head.start:
            open_("head", head)
        if i == tail.start:
            open_("tail", tail)
        out.append(w)
        if i == head.end - 1:
            close("head")
        if i == tail.end - 1:
            close("tail")
    return out, at["head"], at["tail"]


def align_pairs(aligner: WordAligner, items: Sequence[tuple[Sequence[str], Span, Span]],
                knowledge: Sequence[str] | None = None, style: str = "ids") -> tuple[AlignedLists, list[list[int]]]:
    """Marked posts aligned to sub-tokens, and per pair the sub-token positions of the head's
    and the tail's opening marker (0, the [CLS], where truncation cut a marker off)."""
    marked = [marked_words(w, h, t, style) for w, h, t in items]
    aligned = aligner.encode_lists([m for m, _, _ in marked], knowledge)
    positions = []
    for b, (_, head_at, tail_at) in enumerate(marked):
        row = []
        for w in (head_at, tail_at):
            ok = 0 <= w < len(aligned.word_mask[b]) and aligned.word_mask[b][w]
            row.append(aligned.first_subtoken[b][w] if ok else 0)
        positions.append(row)
    return aligned, positions
