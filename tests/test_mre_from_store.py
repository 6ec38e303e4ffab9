"""MNRE students train from the store: each relation example carries the teacher's answer
for its own entity pair, and the distilled variant refuses to run without one."""

import json

import pytest

from cot_explorer.cli import main as cli_main
from cot_explorer.importer import import_mnre
from cot_explorer.labels import MRE_RELATIONS
from cot_explorer.store import open_store
from cot_explorer.student.checkpoint import load_checkpoint
from cot_explorer.student.data import mre_examples_from_store
from cot_explorer.student.registry import Registry
from cot_explorer.student.torch_predictor import StudentPredictor
from cot_explorer.teacher.run import teach

from .fake_anthropic import FakeAnthropic
from .student_fixtures import make_tiny_backbone
from .test_teacher_anthropic import teacher

LINE = ("{'token': %r, 'img_id': '%s.jpg', 'h': {'name': '%s', 'pos': [%d, %d]}, "
        "'t': {'name': '%s', 'pos': [%d, %d]}, 'relation': '%s'}\n")
POSTS = [
    (["Obama", "visits", "Paris", "with", "Michelle"], "a", [((0, 1), (2, 3), "None"), ((0, 1), (4, 5), "/per/per/couple")]),
    (["Messi", "scores", "for", "Barcelona"], "b", [((0, 1), (3, 4), "/per/org/member_of")]),
    (["Taylor", "Swift", "live", "in", "London"], "c", [((0, 2), (4, 5), "/per/loc/place_of_residence")]),
]


def write_mnre(path, posts):
    lines = []
    for tokens, img, rels in posts:
        for (h, t, rel) in rels:
            lines.append(LINE % (tokens, img, " ".join(tokens[h[0]:h[1]]), *h, " ".join(tokens[t[0]:t[1]]), *t, rel))
    path.write_text("".join(lines))


@pytest.fixture
def mnre_home(tmp_path):
    home = tmp_path / "home"
    write_mnre(tmp_path / "train.txt", POSTS * 2)
    write_mnre(tmp_path / "valid.txt", POSTS[:2])
    with open_store(home) as s:
        import_mnre(s, str(tmp_path / "train.txt"), "mnre", "train")
        import_mnre(s, str(tmp_path / "valid.txt"), "mnre", "valid")
    return home


def test_each_relation_example_reads_the_answer_for_its_own_pair(mnre_home):
    with open_store(mnre_home) as s, FakeAnthropic() as fake:
        before = mre_examples_from_store(s, "mnre", "train")
        assert len(before) == 8 and not any(ex.knowledge for ex in before)
        teach(s, teacher(fake), "mnre", "train", progress=False)
        asked = [r["messages"][0]["content"][-1]["text"] for r in fake.requests]
        after = mre_examples_from_store(s, "mnre", "train")
    assert len(after) == 8 and all("Relation:" in ex.knowledge for ex in after)
    assert [(ex.head, ex.tail, ex.label) for ex in after] == [(ex.head, ex.tail, ex.label) for ex in before]
    assert any('head = "Obama", tail = "Michelle"' in a for a in asked)
    assert any('head = "Obama", tail = "Paris"' in a for a in asked)


def test_cli_trains_a_distilled_mre_student_from_the_store(mnre_home, tmp_path, capsys):
    tiny = make_tiny_backbone(tmp_path / "backbone")
    args = ["train", "--home", str(mnre_home), "--dataset", "mnre", "--name", "mre-v1", "--backbone", str(tiny),
            "--epochs", "1", "--batch-size", "4", "--knowledge-budget", "16"]
    assert cli_main(args) == 2  # no teacher answers yet
    assert "cot-explorer teach --dataset mnre --split train" in capsys.readouterr().err
    with open_store(mnre_home) as s, FakeAnthropic() as fake:
        teach(s, teacher(fake), "mnre", "train", progress=False)
    assert cli_main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"].endswith("mre-v1")
    with open_store(mnre_home) as s:
        loaded = load_checkpoint(Registry(s).path("mre-v1", "mre"))
    assert loaded.config.task == "mre" and loaded.config.variant == "distill"
    assert list(loaded.manifest.labels) == list(MRE_RELATIONS)
    tokens, _, rels = POSTS[1]
    (h, t, _), = rels
    from cot_explorer.schema import Span
    (pred,) = StudentPredictor(loaded, dtype="fp32").predict_relations([(tokens, Span(*h, None), Span(*t, None))])
    assert pred.label in MRE_RELATIONS and abs(sum(pred.distribution) - 1) < 1e-3
