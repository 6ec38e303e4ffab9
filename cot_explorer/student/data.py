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
from ..schema import Span, pair_key


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


def knowledge_text(caption: str | None, teacher_text: str | None) -> str:
    """What the knowledge view reads: the image caption, then the teacher's CoT."""
    parts = []
    if caption:
        parts.append(f"Image: {caption}.")
    if teacher_text:
        parts.append(teacher_text)
    return " ".join(parts)


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


def mner_examples_from_store(store, dataset: str, split: str, post_ids: Sequence[str] | None = None) -> list[MnerExample]:
    """Current labels (gold or corrected) with the newest teacher text and the caption."""
    from ..store.labels import current_for_split
    from ..store.posts import list_posts

    labels = current_for_split(store, dataset, split, "mner")
    rows = store.conn.execute(
        """SELECT t.post_id, t.raw, t.text FROM teacher_outputs t JOIN posts p ON p.id = t.post_id
           WHERE p.dataset = ? AND p.split = ? AND t.status = 'ok' ORDER BY t.id""", (dataset, split))
    teacher = {pid: (raw or text) for pid, raw, text in rows}
    wanted = set(post_ids) if post_ids is not None else None
    return [
        MnerExample(p.tokens, labels[p.id].spans, knowledge_text(p.caption, teacher.get(p.id)), p.id)
        for p in list_posts(store, dataset, split)
        if p.id in labels and (wanted is None or p.id in wanted)
    ]


def mre_examples_from_store(store, dataset: str, split: str) -> list[MreExample]:
    """Current relation labels, one example per (head, tail) pair, each with the teacher's answer
    for that very pair (`teach` stores it under the grain `cot:<head>><tail>`; the newest wins)."""
    from ..store.labels import current_for_split
    from ..store.posts import list_posts

    labels = current_for_split(store, dataset, split, "mre")
    rows = store.conn.execute(
        """SELECT t.post_id, t.grain, t.text FROM teacher_outputs t JOIN posts p ON p.id = t.post_id
           WHERE p.dataset = ? AND p.split = ? AND t.status = 'ok' AND t.grain LIKE '%:%>%' ORDER BY t.id""",
        (dataset, split))
    # the rendered CoT (grains, then "Relation: label - rationale"), not the raw JSON answer
    teacher = {(pid, grain.split(":", 1)[1]): text for pid, grain, text in rows}
    out = []
    for p in list_posts(store, dataset, split):
        if p.id not in labels:
            continue
        for r in labels[p.id].relations:
            out.append(MreExample(p.tokens, r.head, r.tail, r.label,
                                  knowledge_text(p.caption, teacher.get((p.id, pair_key(r.head, r.tail)))), p.id))
    return out
