"""Made-up @mentions put into training posts (student/mention_noise.py): the labels, the
teacher's soft targets and the training batches must all follow the words they move with."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cot_explorer.schema import Span
from cot_explorer.student.config import TrainConfig
from cot_explorer.student.data import MnerExample
from cot_explorer.student.mention_noise import HandlePool, add_mentions, mention_slots, with_mentions

from .student_fixtures import toy_examples

N_TAGS, O = 9, 0


@st.composite
def examples(draw):
    n = draw(st.integers(0, 12))
    words = tuple(draw(st.lists(st.sampled_from(["Obama", "visits", "Paris", "New", "York", "!", "#", "2017"]),
                                min_size=n, max_size=n)))
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=6)))
    spans = tuple(Span(a, b, draw(st.sampled_from(["PER", "LOC", "ORG", "MISC"])))
                  for a, b in zip(cuts[::2], cuts[1::2]) if b > a)
    soft = None
    if draw(st.booleans()):
        soft = np.random.default_rng(n).dirichlet(np.ones(N_TAGS), size=n).astype(np.float32)
    return MnerExample(words, spans, "", "p", soft_targets=soft)


POOL = HandlePool(names=("JustinTrudeau", "NBA"), words=("festival", "vote"))


@settings(max_examples=200, deadline=None)
@given(examples(), st.integers(0, 10_000))
def test_mentions_leave_every_span_on_its_words(ex, seed):
    out = with_mentions(ex, random.Random(seed), POOL, O)
    assert [(ex.words[s.start:s.end], s.type) for s in ex.spans] == \
        [(out.words[s.start:s.end], s.type) for s in out.spans]
    # the old words, in order, plus only mentions and a retweet's "RT ... :"
    it = iter(out.words)
    assert all(any(w == o for o in it) for w in ex.words)
    added = list(out.words)
    for w in ex.words:
        added.remove(w)
    assert added and all(w.startswith("@") or w in ("RT", ":") for w in added)
    assert sum(w.startswith("@") for w in added) >= 1
    assert not any(w.startswith("@") for s in out.spans for w in out.words[s.start:s.end])


@settings(max_examples=100, deadline=None)
@given(examples().filter(lambda e: e.soft_targets is not None), st.integers(0, 10_000))
def test_a_teacher_says_o_to_an_inserted_mention_and_keeps_its_word_rows(ex, seed):
    out = with_mentions(ex, random.Random(seed), POOL, O)
    soft = np.asarray(out.soft_targets)
    assert soft.shape == (len(out.words), N_TAGS)
    rows = iter(range(len(out.words)))
    for w_old, row_old in zip(ex.words, np.asarray(ex.soft_targets)):
        i = next(i for i in rows if out.words[i] == w_old and np.array_equal(soft[i], row_old))
        assert i >= 0
    sure_o = [i for i in range(len(out.words)) if soft[i, O] == 1.0 and soft[i].sum() == 1.0]
    assert len(sure_o) == len(out.words) - len(ex.words)


def test_a_mention_never_splits_an_entity():
    ex = MnerExample(("New", "York", "City", "rocks"), (Span(0, 3, "LOC"),))
    assert mention_slots(ex) == [0, 3, 4]


def test_handles_come_from_the_training_posts_own_names_and_words():
    pool = HandlePool.from_examples(toy_examples(8))
    assert "KawhiLeonard" in pool.names and "Obama" in pool.names
    assert "visits" in pool.words and "Paris" not in pool.words  # a name is not a plain word
    handles = {pool.handle(random.Random(i)) for i in range(200)}
    assert all(h.startswith("@") and h[1:].isalnum() for h in handles)
    with pytest.raises(ValueError, match="empty"):
        HandlePool.from_examples([])


def test_share_decides_how_many_posts_get_mentions():
    exs = toy_examples(400)
    out = add_mentions(exs, 0.5, random.Random(0), POOL, O)
    changed = sum(a.words != b.words for a, b in zip(exs, out))
    assert 150 < changed < 250
    assert add_mentions(exs, 0.0, random.Random(0), POOL, O) == exs


def test_the_setting_is_checked():
    with pytest.raises(ValueError, match="mention_noise must be in"):
        TrainConfig(mention_noise=1.5)
    with pytest.raises(ValueError, match="for MNER"):
        TrainConfig(task="mre", mention_noise=0.5)


def test_training_batches_carry_the_mentions_tagged_o(tmp_path):
    from cot_explorer.student.backbone import load_backbone
    from cot_explorer.student.train import _batcher, make_task

    from .student_fixtures import make_tiny_backbone

    tok, _ = load_backbone(str(make_tiny_backbone(tmp_path)))
    exs = toy_examples(8)
    plain_cfg = TrainConfig(variant="text")
    task = make_task(plain_cfg, tok)
    plain = _batcher(task, plain_cfg, exs, random.Random(0))(exs)
    noisy = _batcher(task, TrainConfig(variant="text", mention_noise=1.0), exs, random.Random(0))(exs)
    assert (noisy.text.word_mask.sum(1) > plain.text.word_mask.sum(1)).all()
    entity_tags = lambda x: sorted(t for t in x.tags.flatten().tolist() if t != task.tag_id["O"])  # noqa: E731
    assert entity_tags(noisy) == entity_tags(plain)
