"""Teacher knowledge has one home: `knowledge_for` reads chains of thought only (never an
augmentation, never raw JSON), for MNER posts and MRE entity pairs alike, and the students'
training examples read what it reads. Driven end to end against the fake Messages API."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cot_explorer.importer import import_knowledge, import_mnre, import_twitter, write_augmented
from cot_explorer.schema import Grain, Span
from cot_explorer.store import open_store
from cot_explorer.store.knowledge import knowledge_for
from cot_explorer.student.data import mner_examples_from_files, mner_examples_from_store, mre_examples_from_store
from cot_explorer.teacher.run import teach

from .fake_anthropic import FakeAnthropic
from .test_teacher_anthropic import teacher


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


def test_after_teaching_with_every_augmentation_the_student_reads_the_grains(fake, store, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("IMGID:1\nKawhi\tB-PER\nLeonard\tI-PER\nwins\tO\nin\tO\nTexas\tB-LOC\n\n")
    import_twitter(store, str(path), "twitter2017", "train")
    teach(store, teacher(fake), "twitter2017", "train", progress=False)
    summary = teach(store, teacher(fake), "twitter2017", "train", augment=("style", "entity", "image"), progress=False)
    write_augmented(store, summary.augmented)
    k = knowledge_for(store, "twitter2017/train/1")
    assert k is not None and k.teacher == "anthropic"
    assert [g.grain for g in k.grains] == [Grain.NOUN, Grain.SENTENCE, Grain.MULTIMODAL]
    (ex,) = mner_examples_from_store(store, "twitter2017", "train")
    assert ex.knowledge == k.text()
    assert "Noun: noun reasoning about the post" in ex.knowledge and "Sentence: sentence reasoning" in ex.knowledge
    assert "{" not in ex.knowledge and "rewrites" not in ex.knowledge  # not JSON, not the newest (augment) answer


def test_an_entity_pair_reads_its_own_answer(fake, store, tmp_path):
    line = ("{'token': ['Obama', 'visits', 'Paris', 'with', 'Michelle'], 'img_id': 'a.jpg', "
            "'h': {'name': 'Obama', 'pos': [0, 1]}, 't': {'name': '%s', 'pos': [%d, %d]}, 'relation': '%s'}\n")
    path = tmp_path / "m.txt"
    path.write_text(line % ("Paris", 2, 3, "None") + line % ("Michelle", 4, 5, "/per/per/couple"))
    import_mnre(store, str(path), "mnre", "train")
    teach(store, teacher(fake), "mnre", "train", progress=False)
    k = knowledge_for(store, "mnre/train/a", "mre", (Span(0, 1, "PER"), Span(4, 5, "PER")))
    assert k is not None and k.relation is not None and k.relation.label == "None"
    assert knowledge_for(store, "mnre/train/a") is None  # an MRE answer is not an answer about the post
    examples = mre_examples_from_store(store, "mnre", "train")
    assert len(examples) == 2 and all("Noun: noun reasoning" in ex.knowledge for ex in examples)
    assert all("Relation: None" in ex.knowledge for ex in examples)


def test_recorded_knowledge_reads_as_published_through_both_paths(store, data):
    """The students trained from files and from the store read the same text for a post."""
    import_twitter(store, str(data / "twitter2017/test.txt"), "twitter2017", "test")
    import_knowledge(store, str(data / "knowledge/chatgpt-pgim/twitter2017/test.txt"), "twitter2017", "test")
    from_store = {ex.post_id: ex.knowledge for ex in mner_examples_from_store(store, "twitter2017", "test")}
    from_files = {ex.post_id: ex.knowledge for ex in mner_examples_from_files(data, "twitter2017", "test")}
    # no captions imported into this store: compare the teacher's part
    assert all(from_files[pid].endswith(text) for pid, text in from_store.items())
    k = knowledge_for(store, "twitter2017/test/16_05_01_360")
    noun = k.grain(Grain.NOUN).text  # each entity with what the reasoning says of it (the explanation)
    assert noun.startswith("- **Citifield** (stadium/venue): ") and "Citifield" in noun.split(": ", 1)[1]
    assert all(e.rationale and e.text.lower() in e.rationale.lower() for e in k.entities if e.rationale)
    assert k.grain(Grain.MULTIMODAL).derived


def test_answers_stored_before_the_grains_existed_are_read_the_same(home, tmp_path):
    """A store written by the previous version (schema 2): migration 3 decodes its answers once."""
    from cot_explorer.store import core
    from cot_explorer.store.migrations import MIGRATIONS

    old = [m for m in MIGRATIONS if m[0] <= 2]
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / core.DB_FILE, isolation_level=None)
    for _n, _d, steps in old:
        for sql in steps:
            conn.execute(sql)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO datasets VALUES ('d', '[\"PER\"]', 'now')")
    conn.execute("INSERT INTO posts (id, dataset, split, position, text, tokens, offsets, source, created_at) VALUES "
                 "('d/s/1', 'd', 's', 0, 'Obama', '[\"Obama\"]', '[[0, 5]]', 'x', 'now')")
    answer = json.dumps({"noun": "Obama is a person", "sentence": "A name.", "multimodal": "No image.",
                         "entities": []})
    for i, (teacher_name, slot, text, raw) in enumerate([
            ("anthropic", "cot", "Noun: Obama is a person Sentence: A name. Multimodal: No image.", answer),
            ("anthropic", "augment:style", "", json.dumps({"rewrites": [{"text": "OBAMA"}]})),
            ("chatgpt-pgim", "reasoning", "Obama is named.", "Named entities: 1. Obama (person) Reasoning: Obama is named.")]):
        conn.execute("INSERT INTO teacher_outputs (cache_key, post_id, teacher, model, template_version, grain, "
                     "status, text, entities, raw, created_at) VALUES (?, 'd/s/1', ?, 'm', 'v', ?, 'ok', ?, '[]', ?, 'now')",
                     (f"k{i}", teacher_name, slot, text, raw))
    conn.execute("UPDATE teacher_outputs SET entities = ? WHERE teacher = 'chatgpt-pgim'",
                 ('[{"text": "Obama", "type": "person", "rationale": "", "span": null}]',))
    conn.close()
    with open_store(home) as store:
        k = knowledge_for(store, "d/s/1")
        assert k.teacher == "chatgpt-pgim"  # the newest chain of thought; the augmentation never
        assert k.written == "Named entities: 1. Obama (person) Reasoning: Obama is named."
        # migration 7: the recorded entity explained by its reasoning's sentence, in the noun grain too
        assert [e.rationale for e in k.entities] == ["Obama is named."]
        assert k.grain(Grain.NOUN).text == "- **Obama** (person): Obama is named."
        claude = store.conn.execute("SELECT grains FROM teacher_outputs WHERE teacher = 'anthropic' AND kind = 'cot'")
        assert [g["text"] for g in json.loads(claude.fetchone()[0])] == ["Obama is a person", "A name.", "No image."]
