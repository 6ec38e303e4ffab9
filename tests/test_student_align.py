import pytest
from transformers import AutoTokenizer

from cot_explorer.schema import Span
from cot_explorer.student.align import WordAligner
from cot_explorer.student.backbone import resolve_backbone
from cot_explorer.student.word_shape import word_shape
from cot_explorer.tokenize import tokenize_tweet


@pytest.fixture(scope="module")
def aligner():
    return WordAligner(AutoTokenizer.from_pretrained(resolve_backbone()), max_text_tokens=64, knowledge_budget=16)


TEXTS = [
    "Kawhi Leonard \U0001F3C0\U0001F525 wins #NBAAwards with @spurs \U0001F1FA\U0001F1F8 https://t.co/x",
    "\U0001F468\u200d\U0001F469\u200d\U0001F467 family day at Disneyland \u2764\ufe0f 1\ufe0f\u20e3",
    "\u2063 \U0001F9FF odd chars \u200b then New York",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_word_keeps_a_first_subtoken_and_spans_round_trip(aligner, text):
    words, offsets = tokenize_tweet(text)
    enc = aligner.encode([words])
    assert enc.word_mask[0, : len(words)].all()
    firsts = enc.first_subtoken[0, : len(words)].tolist()
    assert firsts == sorted(firsts) and len(set(firsts)) == len(firsts)
    # label every word at its first sub-token, read the labels back, and compare spans
    spans = [Span(i, i + 1, "MISC") for i in range(0, len(words), 2)]
    by_subtoken = {firsts[s.start]: s for s in spans}
    back = [by_subtoken[f] for f in firsts if f in by_subtoken]
    assert back == spans
    for s in back:
        a, b = offsets[s.start][0], offsets[s.end - 1][1]
        assert text[a:b] == words[s.start]


def test_joined_hashtag_is_labelled_after_its_marker(aligner):
    enc = aligner.encode([("#", "NBAAwards"), ("#NBAAwards",)])
    split_ids = enc.input_ids[0, : int(enc.attention_mask[0].sum())].tolist()
    joined_ids = enc.input_ids[1, : int(enc.attention_mask[1].sum())].tolist()
    assert split_ids == joined_ids
    assert enc.first_subtoken[1, 0] == enc.first_subtoken[0, 1]
    assert word_shape("#NBAAwards") == word_shape("NBAAwards")


def test_emoji_without_vocabulary_piece_becomes_unk(aligner):
    ids = aligner.pieces("\u2063")
    assert ids == [aligner.tok.unk_token_id]


def test_knowledge_view_appends_budgeted_cot_after_sep(aligner):
    words = ("Obama", "in", "Paris")
    text = aligner.encode([words])
    know = aligner.encode([words], ["a very long explanation " * 50])
    n_text = int(text.attention_mask[0].sum())
    assert know.input_ids[0, :n_text].tolist() == text.input_ids[0, :n_text].tolist()
    assert int(know.attention_mask[0].sum()) == n_text + 16 + 1
    assert know.token_type_ids[0, n_text:].tolist() == [1] * 17
    assert know.first_subtoken.tolist() == text.first_subtoken.tolist()


def test_words_past_the_limit_get_no_subtoken(aligner):
    words = tuple(f"word{i}" for i in range(100))
    enc = aligner.encode([words])
    assert enc.word_mask[0, 0] and not enc.word_mask[0, -1]
    n = int(enc.word_mask[0].sum())
    assert enc.word_mask[0, :n].all() and not enc.word_mask[0, n:].any()


def test_words_read_stops_where_the_sub_word_budget_does(aligner):
    short = ("Obama", "in", "Paris")
    assert aligner.words_read(short) == 3
    # 64 pieces less [CLS] and [SEP]: 62 one-piece words, or 31 words of two pieces ("#", "the")
    assert aligner.words_read(("the",) * 200) == 62
    assert aligner.words_read(("#the",) * 200) == 31
    assert aligner.words_read(("the",) * 62) == 62 and aligner.words_read(("the",) * 61) == 61
    long_post = tuple(f"word{i}" for i in range(200))
    enc = aligner.encode([long_post])
    assert int(enc.word_mask[0].sum()) == aligner.words_read(long_post)   # the words the model gets a first piece for
