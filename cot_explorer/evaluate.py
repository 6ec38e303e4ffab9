"""Entity-level scoring (seqeval's default: exact span and type, micro-averaged) and the
kinds of errors a prediction makes. F1 is reported in percent."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal, Sequence

import numpy as np

from .schema import Span


@dataclass
class TypeScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    per_type: dict[str, TypeScore] = field(default_factory=dict)
    n_posts: int = 0
    n_gold: int = 0
    n_pred: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(100 * p, 2), round(100 * r, 2), round(100 * f, 2)


def score_spans(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], typed: bool = True) -> Scores:
    """Micro P/R/F1 over posts; with `typed=False` a span counts if its boundaries match."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold posts but {len(pred)} predicted")
    key = (lambda s: (s.start, s.end, s.type)) if typed else (lambda s: (s.start, s.end))
    tp = Counter()
    n_gold = Counter()
    n_pred = Counter()
    for g, p in zip(gold, pred):
        gs, ps = {key(s) for s in g}, {key(s) for s in p}
        for s in g:
            n_gold[s.type if typed else "*"] += 1
        for s in p:
            n_pred[s.type if typed else "*"] += 1
        for k in gs & ps:
            tp[k[2] if typed else "*"] += 1
    per_type = {}
    for t in sorted(set(n_gold) | set(n_pred)):
        per_type[t] = TypeScore(*_prf(tp[t], n_pred[t], n_gold[t]), support=n_gold[t])
    P, R, F = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return Scores(P, R, F, per_type if typed else {}, len(gold), sum(n_gold.values()), sum(n_pred.values()))


@dataclass
class RelationScores:
    precision: float
    recall: float
    f1: float
    accuracy: float
    n_instances: int
    per_label: dict[str, TypeScore] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def score_relations(gold: Sequence[str], pred: Sequence[str], none_label: str = "None") -> RelationScores:
    """Micro P/R/F1 as in the MNRE literature: `None` is not a class to find, so a prediction
    counts towards precision only when it is not `None`, and a gold instance towards recall
    only when it is not `None`. Accuracy over all instances is given too."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold instances but {len(pred)} predicted")
    tp = Counter()
    n_gold = Counter(g for g in gold if g != none_label)
    n_pred = Counter(p for p in pred if p != none_label)
    for g, p in zip(gold, pred):
        if g == p and g != none_label:
            tp[g] += 1
    P, R, F = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    acc = round(100 * sum(g == p for g, p in zip(gold, pred)) / len(gold), 2) if gold else 0.0
    per = {lab: TypeScore(*_prf(tp[lab], n_pred[lab], n_gold[lab]), support=n_gold[lab])
           for lab in sorted(set(n_gold) | set(n_pred))}
    return RelationScores(P, R, F, acc, len(gold), per)


@dataclass(frozen=True)
class SpanError:
    kind: str                # missed | spurious | wrong type | wrong boundary
    gold: Span | None
    pred: Span | None


ERROR_KINDS = ("missed", "spurious", "wrong type", "wrong boundary")


def span_errors(gold: Sequence[Span], pred: Sequence[Span]) -> list[SpanError]:
    """The errors of one post's prediction, each gold or predicted span explained once."""
    gs = {(s.start, s.end, s.type) for s in gold}
    ps = {(s.start, s.end, s.type) for s in pred}
    g_left = [s for s in gold if (s.start, s.end, s.type) not in ps]
    p_left = [s for s in pred if (s.start, s.end, s.type) not in gs]
    out: list[SpanError] = []
    used: set[int] = set()
    for g in g_left:
        same = next((i for i, p in enumerate(p_left) if i not in used and (p.start, p.end) == (g.start, g.end)), None)
        if same is not None:
            used.add(same)
            out.append(SpanError("wrong type", g, p_left[same]))
            continue
        overlap = next((i for i, p in enumerate(p_left) if i not in used and p.start < g.end and g.start < p.end), None)
        if overlap is not None:
            used.add(overlap)
            out.append(SpanError("wrong boundary", g, p_left[overlap]))
        else:
            out.append(SpanError("missed", g, None))
    out += [SpanError("spurious", None, p) for i, p in enumerate(p_left) if i not in used]
    return out


# right: it gets it; right-nothing-there: this one's spurious span, the other predicts nothing;
# same: the same wrong answer; same-miss: it misses the entity or relation too; other: another
# wrong answer (`instead`); other-misses: this one answers wrongly, the other gives nothing there
OtherVerdict = Literal["right", "right-nothing-there", "same", "same-miss", "other", "other-misses"]


@dataclass(frozen=True)
class VersusOther:
    """How another model version fares where this one errs; `instead` is what the other version
    predicts there where it errs otherwise (spans for entities, a label for relations)."""

    verdict: OtherVerdict
    instead: tuple = ()


def versus_other_spans(err: SpanError, other: set[Span]) -> VersusOther:
    """Where this version makes `err`, what another version (its spans `other` on the post) does."""
    if err.gold is not None and err.gold in other:
        return VersusOther("right")
    if err.pred is not None and err.pred in other:
        return VersusOther("same")
    where = err.gold or err.pred   # a spurious span has no gold: look where it was predicted
    near = tuple(sorted((s for s in other if s.start < where.end and where.start < s.end),
                        key=lambda s: (s.start, s.end, s.type)))
    if near:
        return VersusOther("other", near)
    if err.gold is None:   # spurious here; the other version predicts nothing there: it is right
        return VersusOther("right-nothing-there")
    # nothing there in the other version: a miss both make is the same error, not another one
    return VersusOther("same-miss" if err.pred is None else "other-misses")


def versus_other_relation(gold: str, pred: str, other: str, none_label: str = "None") -> VersusOther:
    """Where this version answers `pred` for a pair whose gold is `gold`, what another version's
    `other` is; the entity verdicts' words, with `none_label` as "nothing there"."""
    if other == gold:
        return VersusOther("right-nothing-there" if gold == none_label else "right")
    if other == pred:
        return VersusOther("same-miss" if pred == none_label else "same")
    if other == none_label:
        return VersusOther("other-misses")
    return VersusOther("other", (other,))


def type_confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], types: Sequence[str]) -> list[list[int]]:
    """Counts [gold type + 'O'][predicted type + 'O'] over spans matched by exact boundaries;
    unmatched gold spans count as predicted 'O', unmatched predictions as gold 'O'."""
    labels = list(types) + ["O"]
    idx = {t: i for i, t in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        pb = {(s.start, s.end): s.type for s in p}
        gb = {(s.start, s.end): s.type for s in g}
        for b, t in gb.items():
            m[idx.get(t, len(labels) - 1)][idx.get(pb.get(b, "O"), len(labels) - 1)] += 1
        for b, t in pb.items():
            if b not in gb:
                m[len(labels) - 1][idx.get(t, len(labels) - 1)] += 1
    return m


def relation_confusion(gold: Sequence[str], pred: Sequence[str], none_label: str = "None",
                       also: Sequence[str] = ()) -> tuple[list[str], list[list[int]]]:
    """Counts [gold][predicted] over the relations that occur in either (or in `also`, so that
    two versions' matrices share their rows), None last."""
    seen = sorted(set(gold) | set(pred) | set(also), key=lambda r: (r == none_label, r))
    idx = {r: i for i, r in enumerate(seen)}
    m = [[0] * len(seen) for _ in seen]
    for g, p in zip(gold, pred):
        m[idx[g]][idx[p]] += 1
    return seen, m


@dataclass
class Agreement:
    """How much annotators agree where two or more labelled the same posts."""
    posts: int
    pairs: int                           # annotator pairs compared, over all posts
    f1: float                            # span-level (exact span and type), pairwise, micro
    kappa: float                         # Cohen's kappa over tokens (type or O), pooled pairs
    per_type_f1: dict[str, float] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)   # posts where any pair differs


def token_tags(spans: Sequence[Span], n_tokens: int) -> list[str]:
    tags = ["O"] * n_tokens
    for s in spans:
        for i in range(s.start, min(s.end, n_tokens)):
            tags[i] = s.type or "?"
    return tags


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """On its own scale, 1 for full agreement and 0 for what chance gives (it read "84.82" beside
    the span F1 as if a percentage, and posts tagged all O by both gave 1.0 on that scale)."""
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if expected == 1 else round((observed - expected) / (1 - expected), 3)


def agreement(items: Sequence[tuple[str, int, dict[str, Sequence[Span]]]]) -> Agreement:
    """`items`: (post id, number of tokens, {annotator: spans}); every pair of annotators of a
    post is compared (a's spans as 'gold', b's as 'predicted': F1 is symmetric)."""
    gold: list[Sequence[Span]] = []
    pred: list[Sequence[Span]] = []
    tags_a: list[str] = []
    tags_b: list[str] = []
    disagree = []
    for post_id, n, by in items:
        names = sorted(by)
        differs = False
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = by[names[i]], by[names[j]]
                gold.append(a)
                pred.append(b)
                tags_a += token_tags(a, n)
                tags_b += token_tags(b, n)
                differs |= {(s.start, s.end, s.type) for s in a} != {(s.start, s.end, s.type) for s in b}
        if differs:
            disagree.append(post_id)
    scores = score_spans(gold, pred)
    return Agreement(len(items), len(gold), scores.f1, cohen_kappa(tags_a, tags_b),
                     {t: s.f1 for t, s in scores.per_type.items()}, disagree)


@dataclass
class Interval:
    """A difference (or a score) with its bootstrap 95 % interval."""
    value: float
    low: float
    high: float
    p_better: float | None = None      # share of resamples where the second system wins (paired)

    @property
    def includes_zero(self) -> bool:
        return self.low <= 0 <= self.high

    def to_json(self) -> dict:
        return asdict(self)


def _post_counts(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], types: Sequence[str] | None):
    """Per post (true positives, predicted, gold): overall, or for one type at a time."""
    keys = [None] if types is None else list(types)
    out = np.zeros((len(keys), len(gold), 3))
    for i, (g, p) in enumerate(zip(gold, pred)):
        gs, ps = {(s.start, s.end, s.type) for s in g}, {(s.start, s.end, s.type) for s in p}
        for k, t in enumerate(keys):
            gk = gs if t is None else {x for x in gs if x[2] == t}
            pk = ps if t is None else {x for x in ps if x[2] == t}
            out[k, i] = (len(gk & pk), len(pk), len(gk))
    return out


def _f1(counts: np.ndarray) -> np.ndarray:
    tp, npred, ngold = counts[..., 0], counts[..., 1], counts[..., 2]
    p = np.divide(tp, npred, out=np.zeros_like(tp, dtype=float), where=npred > 0)
    r = np.divide(tp, ngold, out=np.zeros_like(tp, dtype=float), where=ngold > 0)
    return 100 * np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)


def paired_bootstrap(gold: Sequence[Sequence[Span]], before: Sequence[Sequence[Span]], after: Sequence[Sequence[Span]],
                     resamples: int = 2000, seed: int = 0, types: Sequence[str] | None = None) -> dict:
    """The F1 gain from `before` to `after` on the same posts, with a paired bootstrap 95 %
    interval (posts resampled with replacement, both systems scored on each resample) and the
    share of resamples where `after` wins. Overall under key "*", and per type if `types`."""
    rng = np.random.default_rng(seed)
    n = len(gold)
    if n == 0:
        raise ValueError("no posts to compare on")
    keys = ["*"] + list(types or [])
    a = _post_counts(gold, before, None)
    b = _post_counts(gold, after, None)
    if types:
        a = np.concatenate([a, _post_counts(gold, before, types)])
        b = np.concatenate([b, _post_counts(gold, after, types)])
    idx = rng.integers(0, n, size=(resamples, n))
    fa = _f1(a[:, idx].sum(axis=2))        # [keys, resamples]
    fb = _f1(b[:, idx].sum(axis=2))
    diff = fb - fa
    point = _f1(b.sum(axis=1)) - _f1(a.sum(axis=1))
    out = {}
    for k, key in enumerate(keys):
        lo, hi = np.percentile(diff[k], [2.5, 97.5])
        out[key] = Interval(round(float(point[k]), 2), round(float(lo), 2), round(float(hi), 2),
                            round(float((diff[k] > 0).mean()), 3))
    return out


def bootstrap_f1(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], resamples: int = 1000,
                 seed: int = 0) -> Interval:
    """One system's F1 with its bootstrap 95 % interval over posts."""
    rng = np.random.default_rng(seed)
    c = _post_counts(gold, pred, None)[0]
    idx = rng.integers(0, len(gold), size=(resamples, len(gold)))
    f = _f1(c[idx].sum(axis=1))
    lo, hi = np.percentile(f, [2.5, 97.5])
    return Interval(round(float(_f1(c.sum(axis=0))), 2), round(float(lo), 2), round(float(hi), 2))


@dataclass
class PostChange:
    """One post on which a new version differs from its parent, span by span (against the labels)."""
    post_id: str
    fixed: list[Span]         # gold spans the new version finds and the parent did not
    broke: list[Span]         # gold spans the parent found and the new version does not
    new_spurious: list[Span]  # predicted by the new version only, and wrong
    gone_spurious: list[Span]  # wrong predictions of the parent that the new version drops


def what_changed(post_ids: Sequence[str], gold: Sequence[Sequence[Span]], before: Sequence[Sequence[Span]],
                 after: Sequence[Sequence[Span]]) -> list[PostChange]:
    out = []
    for pid, g, b, a in zip(post_ids, gold, before, after):
        key = lambda s: (s.start, s.end, s.type)  # noqa: E731
        gs, bs, as_ = {key(s) for s in g}, {key(s) for s in b}, {key(s) for s in a}
        fixed = sorted((gs & as_) - bs)
        broke = sorted((gs & bs) - as_)
        new_sp = sorted((as_ - gs) - bs)
        gone_sp = sorted((bs - gs) - as_)
        if fixed or broke or new_sp or gone_sp:
            out.append(PostChange(pid, [Span(*k) for k in fixed], [Span(*k) for k in broke],
                                  [Span(*k) for k in new_sp], [Span(*k) for k in gone_sp]))
    return out
