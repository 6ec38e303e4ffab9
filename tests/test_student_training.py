from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cot_explorer.student import checkpoint as ckpt
from cot_explorer.student.checkpoint import load_checkpoint, save_checkpoint
from cot_explorer.student.config import TrainConfig
from cot_explorer.student.torch_predictor import StudentPredictor
from cot_explorer.student.train import train_student

from .student_fixtures import make_tiny_backbone, toy_examples


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_backbone(tmp_path_factory.mktemp("backbone"))


def cfg(tiny: Path, **kw) -> TrainConfig:
    base = dict(backbone=str(tiny), epochs=2, batch_size=8, knowledge_budget=24, max_text_tokens=32,
                head_lr=5e-3, lr=5e-4, patience=5)
    base.update(kw)
    return TrainConfig(**base)


class Recorder:
    def __init__(self, cancel_after: int | None = None):
        self.steps, self.evals, self.cancel_after = [], [], cancel_after

    def on_step(self, step, total, loss):
        self.steps.append((step, total, loss))

    def on_eval(self, epoch, metrics):
        self.evals.append((epoch, metrics["f1"]))

    def should_cancel(self):
        return self.cancel_after is not None and len(self.steps) >= self.cancel_after


@pytest.mark.parametrize("variant", ["text", "knowledge", "distill-plain", "distill"])
def test_every_variant_trains_and_reports_through_the_callback(tiny, variant):
    data = toy_examples(24)
    rec = Recorder()
    res = train_student(cfg(tiny, variant=variant), data, data[:8], callback=rec, progress=False)
    assert [s for s, *_ in rec.steps] == list(range(1, 7))  # 2 epochs x 3 batches
    assert all(total == 6 and loss == loss for _, total, loss in rec.steps)
    assert [e for e, _ in rec.evals] == [1, 2] and res.best_epoch in (1, 2)
    assert res.stopped == "finished" and len(res.seconds_per_epoch) == 2
    assert (res.model.prompts is not None) == variant.startswith("distill")


def test_training_is_seeded(tiny):
    data = toy_examples(16)
    a = train_student(cfg(tiny, epochs=1), data, data[:4], progress=False)
    b = train_student(cfg(tiny, epochs=1), data, data[:4], progress=False)
    for (k, va), (_, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert torch.equal(va, vb), k


def test_cancel_stops_training(tiny):
    rec = Recorder(cancel_after=2)
    res = train_student(cfg(tiny, epochs=3), toy_examples(24), toy_examples(8), callback=rec, progress=False)
    assert res.stopped == "cancelled" and len(rec.steps) == 2 and rec.evals == []


def test_saved_and_loaded_checkpoint_predicts_identically(tiny, tmp_path):
    data = toy_examples(16)
    res = train_student(cfg(tiny, variant="distill", epochs=1), data, data[:4], progress=False)
    path = save_checkpoint(tmp_path / "models", "v1", res.model, res.config, res.task.tags, {"metrics": {"valid": res.best_valid}})
    loaded = load_checkpoint(path)
    words = [ex.words for ex in data[:4]]
    before = res.task.predict(res.model, [replace(ex, spans=()) for ex in data[:4]], res.config)
    after = StudentPredictor(loaded, dtype="fp32").predict_entities(words)  # task.predict above runs fp32
    assert before == after
    stored = set().union(*(load_file(str(path / f)).keys() for f in loaded.manifest.weights))
    assert "encoder.embeddings.word_embeddings.weight" not in stored  # frozen: rebuilt from the backbone
    assert loaded.manifest.variant == "distill" and loaded.manifest.labels == list(res.task.tags)


def test_crash_while_saving_leaves_the_previous_version_loadable(tiny, tmp_path, monkeypatch):
    data = toy_examples(8)
    res = train_student(cfg(tiny, epochs=1), data, data[:4], progress=False)
    root = tmp_path / "models"
    save_checkpoint(root, "v1", res.model, res.config, res.task.tags, {"note": "first"})
    calls = {"n": 0}
    real = ckpt.save_file

    def dying_save(*a, **kw):
        calls["n"] += 1
        real(*a, **kw)
        raise OSError("disk died mid-save")

    monkeypatch.setattr(ckpt, "save_file", dying_save)
    with pytest.raises(OSError):
        save_checkpoint(root, "v1", res.model, res.config, res.task.tags, {"note": "second"}, replace=True)
    assert calls["n"] == 1
    loaded = load_checkpoint(root / "v1")
    assert loaded.manifest.extra["note"] == "first"
    assert sorted(p.name for p in root.iterdir()) == ["v1"]  # no half-written folder left
