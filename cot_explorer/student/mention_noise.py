"""Tweet mentions put back into the training posts of a corpus published without them.

Twitter-2017 was released with every `@user` token removed. Real tweets keep them, as
Twitter-2015 does, and a mention is never an entity there: about 3,300 in its train split, all
but 5 tagged O. A student trained on Twitter-2017 alone has never seen a mention, so it tags most
of them PER or ORG. This augmentation inserts made-up handles, tagged O, into a share of the
training posts. The handles are built from the corpus's own words and entity names, so no
other corpus is read. The student learns what a mention is from data, and nothing changes at
prediction time.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..schema import Span
from .data import MnerExample

_ALNUM = re.compile(r"[^0-9A-Za-z]")


@dataclass(frozen=True)
class HandlePool:
    """What handles are made of: accounts are often named after a person, club or brand
    (`@JustinTrudeau`), and just as often after anything else (`@redbullESPORTS`)."""

    names: tuple[str, ...]  # entity names of the corpus, spaces and punctuation dropped
    words: tuple[str, ...]  # its other words of letters and digits

    @classmethod
    def from_examples(cls, examples: Sequence[MnerExample]) -> "HandlePool":
        names: set[str] = set()
        words: set[str] = set()
        for ex in examples:
            inside = set()
            for s in ex.spans:
                name = "".join(_ALNUM.sub("", w) for w in ex.words[s.start : s.end])
                if name:
                    names.add(name)
                inside.update(range(s.start, s.end))
            words.update(w for i, w in enumerate(ex.words) if i not in inside and w.isalnum() and len(w) > 2)
        if not names and not words:
            raise ValueError("no words to make handles of: the training set is empty")
        return cls(tuple(sorted(names)), tuple(sorted(words)))

    def handle(self, rng: random.Random) -> str:
        if self.names and (not self.words or rng.random() < 0.5):
            base = rng.choice(self.names)
        else:
            base = "".join(rng.choice(self.words).capitalize() for _ in range(rng.choice((1, 1, 2))))
        style = rng.random()
        if style < 0.25:
            base = base.lower()
        elif style < 0.35:
            base = base.upper()
        if rng.random() < 0.15:
            base += str(rng.randint(1, 99))
        return "@" + base


def mention_slots(example: MnerExample) -> list[int]:
    """Word positions a mention may go before: never inside an entity span."""
    inside = {i for s in example.spans for i in range(s.start + 1, s.end)}
    return [i for i in range(len(example.words) + 1) if i not in inside]


def with_mentions(example: MnerExample, rng: random.Random, pool: HandlePool, o_index: int) -> MnerExample:
    """The post with one or two mentions: a retweet's `RT @handle :` in front, or handles
    between words. Spans keep their words; a teacher's soft targets get a sure O row for each
    inserted word, so distillation teaches the mention too."""
    inserts: list[tuple[int, list[str]]] = []
    if rng.random() < 0.4:
        inserts.append((0, ["RT", pool.handle(rng), ":"]))
    slots = mention_slots(example)
    for _ in range(rng.choice((1, 1, 2)) if not inserts else rng.choice((0, 0, 1))):
        inserts.append((rng.choice(slots), [pool.handle(rng)]))
    inserts.sort(key=lambda x: x[0])

    words: list[str] = []
    new_index: list[int] = []  # old word i -> its new position
    inserted_at: list[int] = []
    pending = list(inserts)
    for i in range(len(example.words) + 1):
        while pending and pending[0][0] == i:
            for w in pending.pop(0)[1]:
                inserted_at.append(len(words))
                words.append(w)
        if i < len(example.words):
            new_index.append(len(words))
            words.append(example.words[i])
    new_index.append(len(words))  # one past the end, for span ends

    def moved(s: Span) -> Span:
        return replace(s, start=new_index[s.start], end=new_index[s.end - 1] + 1)

    soft = example.soft_targets
    if soft is not None:
        old = np.asarray(soft, dtype=np.float32)
        new = np.zeros((len(words), old.shape[1]), dtype=np.float32)
        kept = [new_index[i] for i in range(min(len(example.words), old.shape[0]))]
        new[kept] = old[: len(kept)]
        new[inserted_at, o_index] = 1.0
        soft = new
    return replace(example, words=tuple(words), spans=tuple(moved(s) for s in example.spans), soft_targets=soft)


def add_mentions(examples: Sequence[MnerExample], share: float, rng: random.Random, pool: HandlePool,
                 o_index: int) -> list[MnerExample]:
    """A batch where each post, with probability `share`, gets mentions."""
    return [with_mentions(ex, rng, pool, o_index) if rng.random() < share else ex for ex in examples]
