"""Teacher augmentations turned into new training posts, labels carried over and re-aligned
to the new tokens. A sample whose entity strings cannot be found again is dropped and counted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..schema import LabeledPost, LabelSet, Post, Span
from ..tokenize import align_entity, tokenize_tweet

MAX_AUGMENTED_CHARS = 4000


@dataclass
class AugmentResult:
    """New posts made from one augmentation answer, for the importer to write."""
    dataset: str = ""                                               # <source dataset>-aug
    source_dataset: str = ""
    caption_model: str = ""                                         # who wrote the image descriptions
    posts: list[LabeledPost] = field(default_factory=list)
    captions: list[tuple[str, str]] = field(default_factory=list)  # (image name, description)
    dropped: int = 0


def _new_post(source: Post, kind: str, i: int, text: str, dataset: str, image_name: str | None = None) -> Post | None:
    if not text.strip() or len(text) > MAX_AUGMENTED_CHARS:
        return None
    tokens, offsets = tokenize_tweet(text)
    if not tokens:
        return None
    stem = source.id.rsplit("/", 1)[-1]
    return Post(id=f"{dataset}/{source.split}/{stem}~{kind}{i}", text=text, tokens=tokens, offsets=offsets,
                dataset=dataset, split=source.split, source=f"augment:{kind}:{source.id}",
                image_name=image_name or source.image_name, image_sha256=None if image_name else source.image_sha256)


def _relabel(post: Post, surfaces: list[tuple[str, str]], author: str) -> LabelSet | None:
    spans: list[Span] = []
    taken: set[int] = set()
    for text, type_ in surfaces:
        s = align_entity(post, text)
        if s is None or taken & set(range(s.start, s.end)):
            return None
        taken |= set(range(s.start, s.end))
        spans.append(Span(s.start, s.end, type_))
    return LabelSet("mner", spans=tuple(sorted(spans, key=lambda s: s.start)), source="teacher", author=author)


def build_augmented(kind: str, source: Post, labels: LabelSet, answer_json: str, dataset: str, author: str) -> AugmentResult:
    """New labelled posts from one augmentation answer (already schema-checked)."""
    surfaces = [(source.span_text(s), s.type) for s in labels.spans]
    answer = json.loads(answer_json)
    res = AugmentResult(dataset, source.dataset, f"teacher:{author}")
    if kind == "style":
        for i, rw in enumerate(answer["rewrites"], start=1):
            post = _new_post(source, kind, i, rw["text"], dataset)
            lab = _relabel(post, surfaces, author) if post else None
            if post is None or lab is None:
                res.dropped += 1
            else:
                res.posts.append(LabeledPost(post, (lab,)))
    elif kind == "entity":
        for i, v in enumerate(answer["versions"], start=1):
            if not v["plausible"]:
                res.dropped += 1
                continue
            swap = {r["original"]: r["replacement"] for r in v["replacements"]}
            post = _new_post(source, kind, i, v["text"], dataset)
            lab = _relabel(post, [(swap.get(t, t), ty) for t, ty in surfaces], author) if post else None
            if post is None or lab is None:
                res.dropped += 1
            else:
                res.posts.append(LabeledPost(post, (lab,)))
    elif kind == "image":
        for i, desc in enumerate(answer["descriptions"], start=1):
            name = f"augment-{source.id.replace('/', '_')}-{i}.jpg"
            post = _new_post(source, kind, i, source.text, dataset, image_name=name)
            if post is None or not desc.strip():
                res.dropped += 1
                continue
            spans = tuple(Span(s.start, s.end, s.type) for s in labels.spans)
            post = Post(**{**post.__dict__, "tokens": source.tokens, "offsets": source.offsets})
            res.posts.append(LabeledPost(post, (LabelSet("mner", spans=spans, source="teacher", author=author),)))
            res.captions.append((name, desc.strip()))
    return res
