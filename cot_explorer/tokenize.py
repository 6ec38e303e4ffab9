"""Tweet text <-> tokens with character offsets. The one place offsets are computed.

Raw tweets are split so that URLs, @mentions, #hashtags and each emoji (a whole grapheme
cluster: ZWJ families, skin tones, flags, keycaps) are single tokens. Dataset posts,
which arrive pre-tokenized, get a text made by joining tokens with single spaces.
Offsets are Python string indices (code points). `align_entity` finds a teacher's entity
string among a post's tokens.
"""

from __future__ import annotations

import regex

from .limits import is_visible_token
from .schema import Post, Span

_URL = r"(?:https?://|www\.)[^\s]+?(?=[.,;:!?)\]}'\"]*(?:\s|$))"
_MENTION = r"@\w+"
_HASHTAG = r"#\w+"
_KEYCAP = r"[0-9#*]\uFE0F?\u20E3"
_EMOJI = r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X"
_NUMBER = r"\d+(?:[.,:/]\d+)*(?:%)?"
_WORD = r"\w+(?:['’\-]\w+)*"
_OTHER = r"\X"  # any other visible grapheme: punctuation, symbols, stray marks

_TOKEN = regex.compile(
    "|".join(f"(?:{p})" for p in (_URL, _MENTION, _HASHTAG, _KEYCAP, _EMOJI, _NUMBER, _WORD, _OTHER)),
    regex.UNICODE | regex.VERSION1,
)


def tokenize_tweet(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Tokens of raw tweet text and their (start, end) character offsets."""
    tokens: list[str] = []
    offsets: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if not is_visible_token(tok):  # spaces, zero-width marks: not words
            continue
        tokens.append(tok)
        offsets.append((m.start(), m.end()))
    return tuple(tokens), tuple(offsets)


def join_tokens(tokens: list[str] | tuple[str, ...]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Text of a pre-tokenized post (tokens joined by one space) and each token's offsets."""
    offsets: list[tuple[int, int]] = []
    pos = 0
    for tok in tokens:
        offsets.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return " ".join(tokens), tuple(offsets)


def tokens_in_text(text: str, tokens: list[str] | tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Offsets of given tokens in a given text: each found after the one before, with nothing
    but white space between (a line with both kept its text; the text was made from the tokens
    and the user's own was lost). Raises ValueError where the tokens are not the text's words."""
    offsets: list[tuple[int, int]] = []
    pos = 0
    for n, tok in enumerate(tokens, start=1):
        at = text.find(tok, pos)
        if at < 0 or text[pos:at].strip():
            raise ValueError(f"token {n} ({tok!r}) is not the text's next word after character {pos}")
        offsets.append((at, at + len(tok)))
        pos = at + len(tok)
    if text[pos:].strip():
        raise ValueError(f"the text goes on after the last token (from character {pos})")
    return tuple(offsets)


def token_span_for_chars(offsets: tuple[tuple[int, int], ...], start: int, end: int) -> tuple[int, int] | None:
    """Token range [i, j) exactly covering characters [start, end), or None if it cuts a token.

    The UI uses this to turn a text selection into a span.
    """
    first = next((i for i, (s, _) in enumerate(offsets) if s == start), None)
    last = next((i for i, (_, e) in enumerate(offsets) if e == end), None)
    if first is None or last is None or last < first:
        return None
    return first, last + 1


def align_entity(post: Post, surface: str, ignore_case: bool = False) -> Span | None:
    """Token span whose text equals `surface`; failing that, equal once spaces are ignored
    (hashtags written joined: `#NBAAwards` for the tokens `#` `NBAAwards`); with
    `ignore_case`, failing that, equal ignoring case (`Fan Vote` for `fan vote`). None if absent."""
    target = surface.strip()
    if not target:
        return None
    squeezed = "".join(target.split())
    folded = squeezed.casefold()
    loose: Span | None = None
    caseless: Span | None = None
    n = len(post.tokens)
    for i in range(n):
        joined = ""
        for j in range(i, n):
            joined += post.tokens[j]
            if len(joined) > len(squeezed):
                break
            if joined == squeezed:
                if " ".join(post.tokens[i : j + 1]) == target:
                    return Span(i, j + 1, None)
                loose = loose or Span(i, j + 1, None)
            elif ignore_case and caseless is None and joined.casefold() == folded:
                caseless = Span(i, j + 1, None)
    return loose or caseless
