"""The `kd` variant: frozen knowledge-view teachers' marginals as soft targets, and a text
view that learns from them on posts with no gold labels (the +3 F1 at 10 % of Twitter-2017)."""

from dataclasses import replace

import numpy as np
import pytest

from cot_explorer.student.checkpoint import load_checkpoint, save_checkpoint
from cot_explorer.student.config import TrainConfig
from cot_explorer.student.teacher_targets import with_soft_targets
from cot_explorer.student.train import train_student

from .student_fixtures import make_tiny_backbone, toy_examples


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_backbone(tmp_path_factory.mktemp("backbone"))


def cfg(tiny, **kw) -> TrainConfig:
    base = dict(backbone=str(tiny), epochs=1, batch_size=8, knowledge_budget=24, max_text_tokens=32,
                head_lr=5e-3, lr=5e-4, patience=5)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def teachers(tiny, tmp_path_factory):
    root, data = tmp_path_factory.mktemp("teachers"), toy_examples(16)
    out = {}
    for name, variant, seed in (("knowledge", "knowledge", 42), ("knowledge-7", "knowledge", 7), ("text", "text", 42)):
        res = train_student(cfg(tiny, variant=variant, seed=seed), data, data[:4], progress=False)
        out[name] = load_checkpoint(save_checkpoint(root, name, res.model, res.config, res.task.tags))
    return out


def test_posts_with_cot_get_one_distribution_per_word_and_the_rest_are_left_alone(teachers):
    posts = toy_examples(8)
    posts[1] = replace(posts[1], knowledge="")
    out = with_soft_targets([teachers["knowledge"]], posts, temperature=2.0, device="cpu")
    assert out[1] is posts[1] and out[1].soft_targets is None
    n_tags = len(teachers["knowledge"].task.tags)
    for ex in out[:1] + out[2:]:
        st = np.asarray(ex.soft_targets, dtype=np.float32)
        assert st.shape == (len(ex.words), n_tags)
        assert np.allclose(st.sum(-1), 1.0, atol=1e-2) and (st >= 0).all()


def test_two_teachers_are_averaged_and_a_text_model_is_refused(teachers):
    posts = toy_examples(4)
    a = with_soft_targets([teachers["knowledge"]], posts, 2.0)
    b = with_soft_targets([teachers["knowledge-7"]], posts, 2.0)
    both = with_soft_targets([teachers["knowledge"], teachers["knowledge-7"]], posts, 2.0)
    as32 = lambda ex: np.asarray(ex.soft_targets, np.float32)  # noqa: E731
    assert any(not np.allclose(as32(x), as32(y), atol=1e-3) for x, y in zip(a, b))  # two different teachers
    for x, y, m in zip(a, b, both):
        assert np.allclose(as32(m), (as32(x) + as32(y)) / 2, atol=2e-3)
    with pytest.raises(ValueError, match="knowledge-view"):
        with_soft_targets([teachers["text"]], posts, 2.0)


def test_kd_learns_from_posts_without_gold(tiny, teachers):
    """Only unlabelled posts: the teacher's marginals are all that teaches, and they do."""
    posts = with_soft_targets([teachers["knowledge"]], toy_examples(16), 2.0)
    unlabelled = [replace(ex, spans=(), labelled=False) for ex in posts]
    losses = []

    class Losses:
        def on_step(self, step, total, loss): losses.append(loss)
        def on_eval(self, epoch, metrics): pass
        def should_cancel(self): return False

    res = train_student(cfg(tiny, variant="kd", epochs=2), unlabelled, toy_examples(4), callback=Losses(),
                        progress=False)
    assert losses and all(np.isfinite(losses)) and max(losses) > 0
    assert res.model.prompts is not None  # the text view with conditioned prompts
