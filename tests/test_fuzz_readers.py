"""Fuzzing the readers: any input either reads or raises the project's own error, never
another exception (hypothesis, with inputs shaped like each format and raw bytes)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cot_explorer.datasets.captions import read_captions
from cot_explorer.datasets.jsonl import read_jsonl
from cot_explorer.datasets.mnre import read_mnre
from cot_explorer.datasets.pgim_knowledge import read_pgim_knowledge
from cot_explorer.datasets.twitter_conll import read_twitter_conll
from cot_explorer.errors import CotExplorerError
from cot_explorer.labels import mner_schema_for

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC", "B-X", "I-", ""]
ODD = st.sampled_from(["", " ", "\t", "\x00", "\u200b", "\ufeff", "\ud800", "é", "😀", "#", "@", "IMGID:", "<EOS>", "\r"])
WORD = st.one_of(st.text(min_size=0, max_size=8), ODD)


def read_or_refuse(reader, data: bytes | str) -> None:
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        reader(Path(f.name))
    except CotExplorerError:
        pass
    finally:
        Path(f.name).unlink()


def conll_text(draw) -> str:
    posts = []
    for _ in range(draw(st.integers(0, 3))):
        header = draw(st.one_of(st.just("IMGID:1"), st.text(max_size=10)))
        seps = st.sampled_from(["\t", " ", "", "\t\t"])
        lines = [draw(WORD) + draw(seps) + draw(st.sampled_from(TAGS)) for _ in range(draw(st.integers(0, 5)))]
        posts.append("\n".join([header, *lines]))
    return "\n\n".join(posts) + draw(st.sampled_from(["", "\n", "\n\n"]))


@FUZZ
@given(st.data())
def test_twitter_conll(data):
    text = conll_text(data.draw)
    read_or_refuse(lambda p: read_twitter_conll(p, "d", "s", mner_schema_for("twitter2017"),
                                                repair_bio=data.draw(st.booleans())), text)


@FUZZ
@given(st.binary(max_size=300))
def test_twitter_conll_bytes(raw):
    read_or_refuse(lambda p: read_twitter_conll(p, "d", "s", mner_schema_for("twitter2017")), b"IMGID:1\n" + raw)


ENTITY = st.one_of(st.fixed_dictionaries({"name": WORD, "pos": st.lists(st.one_of(st.integers(-2, 6), st.booleans(),
                                                                                   st.text(max_size=2)), max_size=3)}),
                   st.integers(), st.text(max_size=4), st.none())
MNRE_LINE = st.one_of(
    st.fixed_dictionaries({"token": st.one_of(st.lists(WORD, max_size=6), st.text(max_size=5)), "h": ENTITY, "t": ENTITY,
                           "img_id": st.one_of(WORD, st.integers()),
                           "relation": st.sampled_from(["None", "/per/per/couple", "nope", ""])}).map(repr),
    st.text(max_size=60),
    st.sampled_from(["__import__('os').system('true')", "{'token': " + "[" * 500 + "]" * 500 + "}", "{}", "[]"]),
)


@FUZZ
@given(st.lists(MNRE_LINE, max_size=4))
def test_mnre(lines):
    read_or_refuse(lambda p: read_mnre(p, "mnre", "s"), "\n".join(lines))


JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), WORD),
                          lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(WORD, inner, max_size=3)),
                          max_leaves=8)
JSONL_POST = st.fixed_dictionaries(
    {"text": st.one_of(WORD, st.text(max_size=30), JSON_VALUE)},
    optional={"dataset": JSON_VALUE, "split": JSON_VALUE, "id": JSON_VALUE, "tokens": JSON_VALUE,
              "offsets": JSON_VALUE, "image": JSON_VALUE, "caption": JSON_VALUE, "source": JSON_VALUE,
              "image_path": st.one_of(JSON_VALUE, st.sampled_from(["/dev/zero", "../x.png", ""])),
              "labels": st.one_of(JSON_VALUE, st.lists(st.fixed_dictionaries(
                  {"task": st.sampled_from(["mner", "mre", "x", None])},
                  optional={"spans": JSON_VALUE, "relations": JSON_VALUE, "author": JSON_VALUE,
                            "source": JSON_VALUE}), max_size=2))})


@FUZZ
@given(st.lists(st.one_of(JSONL_POST.map(json.dumps), st.text(max_size=40)), max_size=4))
def test_jsonl(lines):
    read_or_refuse(lambda p: read_jsonl(p, "d", "s"), "\n".join(lines))


@FUZZ
@given(st.lists(st.one_of(st.builds(lambda a, b: f"{a}\t{b}", WORD, WORD), st.just("<EOS>\tX"), st.just(""),
                          st.text(max_size=12)), max_size=12))
def test_knowledge(lines):
    read_or_refuse(read_pgim_knowledge, "\n".join(lines))


@FUZZ
@given(st.lists(st.one_of(st.builds(lambda a, b: f"{a} :{b}", WORD, WORD), st.text(max_size=20)), max_size=6))
def test_captions(lines):
    read_or_refuse(read_captions, "\n".join(lines))


@FUZZ
@given(st.binary(max_size=200))
def test_every_reader_on_raw_bytes(raw):
    for reader in (lambda p: read_mnre(p, "m", "s"), lambda p: read_jsonl(p, "d", "s"), read_pgim_knowledge,
                   read_captions):
        read_or_refuse(reader, raw)
