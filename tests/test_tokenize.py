from cot_explorer.tokenize import join_tokens, token_span_for_chars, tokenize_tweet


def toks(text):
    tokens, offsets = tokenize_tweet(text)
    for tok, (s, e) in zip(tokens, offsets):
        assert text[s:e] == tok
    return list(tokens)


def test_mentions_hashtags_urls_are_single_tokens():
    assert toks("RT @WLWT: #NBAAwards tonight https://t.co/Ab12?x=1.") == [
        "RT", "@WLWT", ":", "#NBAAwards", "tonight", "https://t.co/Ab12?x=1", "."]


def test_multi_code_point_emoji_flags_and_keycaps_stay_whole():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    thumbs = "\U0001F44D\U0001F3FD"
    flag_us, flag_gb = "\U0001F1FA\U0001F1F8", "\U0001F1EC\U0001F1E7"
    heart = "\u2764\ufe0f"
    keycap = "1\ufe0f\u20e3"
    text = f"Go{family}{thumbs} team{flag_us}{flag_gb} {heart}{keycap}!"
    assert toks(text) == ["Go", family, thumbs, "team", flag_us, flag_gb, heart, keycap, "!"]


def test_offsets_are_code_point_indices_after_emoji():
    text = "\U0001F600 Obama in #Paris"
    tokens, offsets = tokenize_tweet(text)
    assert tokens == ("\U0001F600", "Obama", "in", "#Paris")
    assert offsets[1] == (2, 7) and text[offsets[3][0]:offsets[3][1]] == "#Paris"


def test_unicode_words_numbers_and_apostrophes():
    assert toks("Café naïve don't 3.5% e-mail") == ["Café", "naïve", "don't", "3.5%", "e-mail"]


def test_join_tokens_and_char_selection_round_trip():
    text, offsets = join_tokens(["New", "York", "\U0001F1FA\U0001F1F8"])
    assert text == "New York \U0001F1FA\U0001F1F8"
    assert token_span_for_chars(offsets, 0, 8) == (0, 2)
    assert token_span_for_chars(offsets, 1, 8) is None  # cuts a token
