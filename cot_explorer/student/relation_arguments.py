"""The types of a relation's two arguments, read from entity spans over the same post.

A relation student with typed markers (mre.py) reads `person`, `location`, ... around each
argument. MNRE gives no argument types, so at training and at prediction alike they come from
entity spans over the post: an annotator's entities where the post has them, an MNER
student's predictions for the words they leave unlabelled. An argument no entity overlaps
stays untyped ("entity"). One rule, here, so that training and the app agree."""

from __future__ import annotations

import math
from typing import Callable, Sequence

from ..evaluate import score_relations
from ..labels import NO_RELATION
from ..schema import Span


def typed_argument(argument: Span, entities: Sequence[Span]) -> Span:
    """`argument` with the type of the entity that overlaps it most (ties: the first)."""
    best, best_overlap = None, 0
    for e in entities:
        overlap = min(argument.end, e.end) - max(argument.start, e.start)
        if overlap > best_overlap:
            best, best_overlap = e, overlap
    return Span(argument.start, argument.end, best.type if best is not None else None)


def typed_pair(head: Span, tail: Span, entities: Sequence[Span]) -> tuple[Span, Span]:
    return typed_argument(head, entities), typed_argument(tail, entities)


def entities_for_arguments(store, posts: Sequence, predicted: Callable[[list], dict[str, list[Span]]]
                           ) -> dict[str, list[Span]]:
    """Where each post's arguments take their types from: its current entity labels where an
    annotator or the dataset gave some, and for the words they leave unlabelled the entities
    `predicted` gives (the default entity student's, from the store's cache). A post labelled
    in part left its other arguments untyped: one span saved turned the other pairs'
    suggestions from member_of to place_of_residence."""
    from ..store.labels import current

    labelled = {}
    for p in posts:
        ls = current(store, p.id, "mner")
        if ls is not None and ls.spans:
            labelled[p.id] = list(ls.spans)
    guessed = predicted(list(posts)) if posts else {}
    have = {}
    for p in posts:
        mine = labelled.get(p.id, [])
        have[p.id] = mine + [g for g in guessed.get(p.id, [])
                             if not any(g.start < m.end and m.start < g.end for m in mine)]
    return have


def relations_as_spans(labels: Sequence[str]) -> list[Span]:
    """A post's relation answers (one per entity pair, in order) as pseudo-spans: pair i with a
    relation other than None is Span(i, i + 1, relation). Span-level micro-F1 over these is
    exactly MNRE's micro-F1 without None, so the paired bootstrap and the changes of entity
    rounds serve relation rounds unchanged."""
    return [Span(i, i + 1, lab) for i, lab in enumerate(labels) if lab != NO_RELATION]


def choose_none_bias(probs: Sequence[Sequence[float]], gold: Sequence[str], labels: Sequence[str],
                     grid: Sequence[float] = tuple(x / 10 for x in range(-30, 31))) -> tuple[float, float]:
    """The offset on the None logit that maximises micro-F1 without None on `gold` (valid),
    and that F1. Adding b to one logit multiplies its probability by e^b before the argmax."""
    none = list(labels).index(NO_RELATION)
    logs = [[math.log(max(p, 1e-12)) for p in row] for row in probs]
    best = (0.0, -1.0)
    for b in grid:
        pred = []
        for row in logs:
            adj = list(row)
            adj[none] += b
            pred.append(labels[max(range(len(adj)), key=adj.__getitem__)])
        f1 = score_relations(gold, pred).f1
        if f1 > best[1] + 1e-9 or (abs(f1 - best[1]) <= 1e-9 and abs(b) < abs(best[0])):
            best = (b, f1)
    return best
