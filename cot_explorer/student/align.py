"""Words <-> sub-tokens: the one place the student maps dataset tokens to encoder input.

Each word is labelled on its first sub-token. A joined `#tag` or `@user` is encoded as the
datasets write it, `#` then `tag`, and labelled on `tag`'s first sub-token, so uploads
tokenized whole look like the training data. Words the tokenizer reduces to nothing
(some emoji in an uncased BERT vocabulary) are replaced by `[UNK]`, so every word keeps a
first sub-token. Words past the length limit get none and are predicted `O`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch


@dataclass
class EncodedBatch:
    input_ids: torch.Tensor        # [B, L]
    attention_mask: torch.Tensor   # [B, L]
    token_type_ids: torch.Tensor   # [B, L]
    first_subtoken: torch.Tensor   # [B, W] index into L of each word's first sub-token (0 if none)
    word_mask: torch.Tensor        # [B, W] True where the word exists and has a sub-token
    n_words: list[int]

    def to(self, device) -> "EncodedBatch":
        return EncodedBatch(self.input_ids.to(device), self.attention_mask.to(device),
                            self.token_type_ids.to(device), self.first_subtoken.to(device),
                            self.word_mask.to(device), self.n_words)


class WordAligner:
    """Encodes pre-tokenized posts, optionally followed by knowledge text (`[SEP] knowledge [SEP]`).

    `tokenizer` is a Hugging Face tokenizer, or (torch-free inference) anything with the same
    call (`tok(text, add_special_tokens=False)["input_ids"]`) and special token ids: see
    onnx_predictor.FastTokenizer. `encode_lists` is the alignment itself, in plain lists;
    `encode` makes tensors of it for PyTorch."""

    def __init__(self, tokenizer, max_text_tokens: int = 128, knowledge_budget: int = 128):
        self.tok = tokenizer
        self.max_text_tokens = max_text_tokens
        self.knowledge_budget = knowledge_budget
        self._pieces: dict[str, list[int]] = {}

    def pieces(self, word: str) -> list[int]:
        ids = self._pieces.get(word)
        if ids is None:
            ids = self.tok(word, add_special_tokens=False)["input_ids"] or [self.tok.unk_token_id]
            if len(self._pieces) < 200_000:
                self._pieces[word] = ids
        return ids

    def n_subtokens(self, words: Sequence[str]) -> int:
        """About how long a post's text input is, to batch posts of like length together."""
        return sum(len(self.pieces(w)) for w in words)

    def words_read(self, words: Sequence[str]) -> int:
        """How many of a post's words the model reads: those after `max_text_tokens` sub-word
        pieces get no prediction, which a long post's reader should be told."""
        return sum(self.encode_lists([words]).word_mask[0])

    def knowledge_ids(self, text: str) -> list[int]:
        if not text or self.knowledge_budget <= 0:
            return []
        return self.tok(text, add_special_tokens=False, truncation=True, max_length=self.knowledge_budget)["input_ids"]

    def encode_lists(self, batch_words: Sequence[Sequence[str]], knowledge: Sequence[str] | None = None) -> "AlignedLists":
        cls, sep, pad = self.tok.cls_token_id, self.tok.sep_token_id, self.tok.pad_token_id
        seqs, types, firsts = [], [], []
        for i, words in enumerate(batch_words):
            ids, first = [cls], []
            for w in words:
                room = self.max_text_tokens - 1 - len(ids)
                if room <= 0:
                    first.append(-1)
                    continue
                if len(w) > 1 and w[0] in "#@":
                    ids.extend(self.pieces(w[0]))
                    room -= 1
                    if room <= 0:
                        first.append(-1)
                        continue
                    w = w[1:]
                first.append(len(ids))
                ids.extend(self.pieces(w)[:room])
            ids.append(sep)
            tt = [0] * len(ids)
            if knowledge is not None:
                k = self.knowledge_ids(knowledge[i])
                if k:
                    ids.extend(k + [sep])
                    tt.extend([1] * (len(k) + 1))
            seqs.append(ids)
            types.append(tt)
            firsts.append(first)
        L, W = max(map(len, seqs)), max(1, max(map(len, firsts)))
        return AlignedLists(
            input_ids=[ids + [pad] * (L - len(ids)) for ids in seqs],
            attention_mask=[[1] * len(ids) + [0] * (L - len(ids)) for ids in seqs],
            token_type_ids=[ty + [0] * (L - len(ty)) for ty in types],
            first_subtoken=[[max(f, 0) for f in fs] + [0] * (W - len(fs)) for fs in firsts],
            word_mask=[[f >= 0 for f in fs] + [False] * (W - len(fs)) for fs in firsts],
            n_words=[len(f) for f in firsts])

    def encode(self, batch_words: Sequence[Sequence[str]], knowledge: Sequence[str] | None = None) -> EncodedBatch:
        import torch

        a = self.encode_lists(batch_words, knowledge)
        # padded Python rows, then one tensor each: per-element tensor writes cost more than the CRF
        return EncodedBatch(torch.tensor(a.input_ids, dtype=torch.long), torch.tensor(a.attention_mask, dtype=torch.long),
                            torch.tensor(a.token_type_ids, dtype=torch.long),
                            torch.tensor(a.first_subtoken, dtype=torch.long),
                            torch.tensor(a.word_mask, dtype=torch.bool), a.n_words)


@dataclass
class AlignedLists:
    """A batch aligned and padded, in plain lists (rows of equal length)."""

    input_ids: list[list[int]]
    attention_mask: list[list[int]]
    token_type_ids: list[list[int]]
    first_subtoken: list[list[int]]
    word_mask: list[list[bool]]
    n_words: list[int]
