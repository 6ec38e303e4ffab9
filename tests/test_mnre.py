from pathlib import Path

import pytest

from cot_explorer.datasets.mnre import read_mnre
from cot_explorer.errors import ParseError
from cot_explorer.importer import import_mnre
from cot_explorer.store.labels import current
from cot_explorer.store.stats import compute_stats

from .conftest import snapshot


def test_mnre_train_keeps_every_instance_grouped_into_posts(store, data):
    report = import_mnre(store, str(data / "mnre" / "train.txt"), "mnre", "train")
    assert report.relations == 12247
    lines = (data / "mnre" / "train.txt").read_text().splitlines()
    assert report.posts < len(lines)  # several pairs share a post
    stats = {s.split: s for s in compute_stats(store) if s.dataset == "mnre"}
    assert stats["train"].relations == 12247 and stats["train"].posts == report.posts
    # The first line: 'Circle Undone' part_of 'Arkham Horror LCG'
    post_id = "mnre/train/twitter_19_31_16_6"
    labels = current(store, post_id, "mre")
    rel = labels.relations[0]
    assert rel.label == "/misc/misc/part_of" and (rel.head.start, rel.head.end) == (8, 10)
    assert (rel.tail.start, rel.tail.end) == (2, 5) and rel.head.type == "MISC"


def test_lines_of_one_post_become_one_post_with_several_relations(tmp_path: Path):
    base = "{'token': ['Obama', 'visits', 'Paris', 'with', 'Michelle'], 'img_id': 'a.jpg', "
    text = (base + "'h': {'name': 'Obama', 'pos': [0, 1]}, 't': {'name': 'Paris', 'pos': [2, 3]}, 'relation': 'None'}\n"
            + base + "'h': {'name': 'Obama', 'pos': [0, 1]}, 't': {'name': 'Michelle', 'pos': [4, 5]}, "
            "'relation': '/per/per/couple'}\n")
    path = tmp_path / "m.txt"
    path.write_text(text)
    parsed = read_mnre(path, "mnre", "x")
    assert parsed.instances == 2 and len(parsed.posts) == 1
    assert [r.label for r in parsed.posts[0].labels[0].relations] == ["None", "/per/per/couple"]


GOOD = ("{'token': ['Obama', 'in', 'Paris'], 'h': {'name': 'Obama', 'pos': [0, 1]}, "
        "'t': {'name': 'Paris', 'pos': [2, 3]}, 'img_id': 'x.jpg', 'relation': 'None'}\n")

BAD_LINES = {
    "json not a dict literal": ('{"token": ["a"], ', "a Python dict literal"),
    "a list": ("['token', 'h']", "a dict literal"),
    "__import__": ("__import__('os').system('touch /tmp/pwned')", "a Python dict literal"),
    "call inside the dict": (GOOD.strip()[:-1] + ", 'x': __import__('os')}", "a Python dict literal"),
    "pos out of range": (GOOD.replace("[2, 3]", "[2, 9]"), "'t' pos within the 3 tokens"),
    "unknown relation": (GOOD.replace("'None'", "'/per/per/friend'"), "MNRE labels"),
    "missing key": (GOOD.replace("'img_id': 'x.jpg', ", ""), "missing ['img_id']"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_bad_mnre_line_is_refused_and_store_unchanged(store, home, tmp_path, case):
    bad, expected = BAD_LINES[case]
    path = tmp_path / "bad.txt"
    path.write_text(GOOD + bad.rstrip("\n") + "\n")
    before = snapshot(home)
    with pytest.raises(ParseError) as e:
        import_mnre(store, str(path), "mnre", "train")
    assert "bad.txt:2:" in str(e.value) and expected in str(e.value)
    assert snapshot(home) == before
    assert not Path("/tmp/pwned").exists()
