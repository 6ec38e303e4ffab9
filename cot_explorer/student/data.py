"""Training examples for the student, from the store or straight from dataset files."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..datasets.captions import read_captions
from ..datasets.mnre import read_mnre
from ..datasets.pgim_knowledge import align_knowledge, read_pgim_knowledge
from ..datasets.twitter_conll import read_twitter_conll
from ..labels import MnerSchema, mner_schema_for
from ..paths import captions_file, knowledge_file, mnre_file, twitter_file
from ..schema import Span, knowledge_text, pair_key
from ..store.knowledge import knowledge_for_split
from ..store.labels import current_for_split
from ..store.posts import list_posts


@dataclass(frozen=True)
class MnerExample:
    words: tuple[str, ...]
    spans: tuple[Span, ...]
    knowledge: str = ""
    post_id: str = ""
    labelled: bool = True               # False: no gold; only a teacher's soft targets teach
    # [W, T] tag probabilities of frozen teachers at the distillation temperature (variant kd)
    soft_targets: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MreExample:
    words: tuple[str, ...]
    head: Span
    tail: Span
    label: str
    knowledge: str = ""
    post_id: str = ""


def subsample(examples: Sequence, fraction: float, seed: int) -> list:
    if fraction >= 1.0:
        return list(examples)
    rng = random.Random(seed)
    k = max(1, round(len(examples) * fraction))
    return rng.sample(list(examples), k)


def data_hash(examples: Sequence) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(repr(ex).encode("utf-8"))
    return h.hexdigest()[:16]


def mner_examples_from_files(data_dir: Path, dataset: str, split: str, with_knowledge: bool = True,
                             schema: MnerSchema | None = None) -> list[MnerExample]:
    """Twitter CoNLL + recorded ChatGPT knowledge + BLIP-2 captions, read directly (no store).

    With `schema`, the spans are given in its type names (Twitter-2015's OTHER as MISC, say),
    so both corpora can train one model."""
    parsed = read_twitter_conll(twitter_file(dataset, split, data_dir), dataset, split, mner_schema_for(dataset),
                                repair_bio=dataset == "twitter2015")
    posts = [it.post for it in parsed.posts]
    know: dict[str, str] = {}
    captions: dict[str, str] = {}
    if with_knowledge:
        kpath = knowledge_file(dataset, split, data_dir)
        if kpath.exists():
            know = {pid: rec.text for pid, rec in align_knowledge(read_pgim_knowledge(kpath), posts).pairs}
        cpath = captions_file(dataset, data_dir)
        if cpath.exists():
            captions = {c.image_name: c.text for c in read_captions(cpath).captions}
    return [
        MnerExample(it.post.tokens, tuple(schema.translate(it.labels[0].spans)) if schema else it.labels[0].spans,
                    knowledge_text(captions.get(it.post.image_name or ""), know.get(it.post.id)), it.post.id)
        for it in parsed.posts
    ]


def mre_examples_from_files(data_dir: Path, split: str) -> list[MreExample]:
    parsed = read_mnre(mnre_file(split, data_dir), "mnre", split)
    return [MreExample(it.post.tokens, r.head, r.tail, r.label, "", it.post.id)
            for it in parsed.posts for r in it.labels[0].relations]


def knowledge_input(post, knowledge) -> str:
    """What the knowledge view reads beside a post, in training and at inference alike: the
    caption and the teacher's chain of thought, the caption alone where the teacher wrote none."""
    return knowledge.text() if knowledge is not None else knowledge_text(post.caption, None)


def mner_examples_from_store(store, dataset: str, split: str, post_ids: Sequence[str] | None = None) -> list[MnerExample]:
    """Current labels (gold or corrected) with what the teacher wrote about the post and its
    image caption (`store.knowledge`: chains of thought only, never augmentations or JSON)."""
    labels = current_for_split(store, dataset, split, "mner")
    knowledge = knowledge_for_split(store, dataset, split, "mner")
    wanted = set(post_ids) if post_ids is not None else None
    out = []
    for p in list_posts(store, dataset, split):
        if p.id not in labels or (wanted is not None and p.id not in wanted):
            continue
        k = knowledge.get((p.id, None))
        out.append(MnerExample(p.tokens, labels[p.id].spans, knowledge_input(p, k), p.id))
    return out


def mner_unlabelled_from_store(store, dataset: str, split: str) -> list[MnerExample]:
    """Posts of a split the teacher has written a chain of thought about but nobody has labelled
    yet. For `kd` they teach through a frozen teacher's marginals alone: at 10 % of Twitter-2017's
    labels that gave +3.25 F1 over the text twin (README, "Three seeds on a lent H200")."""
    labels = current_for_split(store, dataset, split, "mner")
    knowledge = knowledge_for_split(store, dataset, split, "mner")
    return [MnerExample(p.tokens, (), knowledge[(p.id, None)].text(), p.id, labelled=False)
            for p in list_posts(store, dataset, split) if p.id not in labels and (p.id, None) in knowledge]


def mre_examples_from_store(store, dataset: str, split: str) -> list[MreExample]:
    """Current relation labels, one example per (head, tail) pair, each with the teacher's
    chain of thought about that very pair."""
    labels = current_for_split(store, dataset, split, "mre")
    knowledge = knowledge_for_split(store, dataset, split, "mre")
    out = []
    for p in list_posts(store, dataset, split):
        if p.id not in labels:
            continue
        for r in labels[p.id].relations:
            k = knowledge.get((p.id, pair_key(r.head, r.tail)))
            out.append(MreExample(p.tokens, r.head, r.tail, r.label,
                                  knowledge_input(p, k), p.id))
    return out
