"""A tiny random BERT with the real MiniLM tokenizer: the real code paths, in seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

from cot_explorer.schema import Span
from cot_explorer.student.backbone import resolve_backbone
from cot_explorer.student.data import MnerExample


def make_tiny_backbone(root: Path) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    path = root / "tiny-bert"
    if (path / "config.json").exists():
        return path
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(path)
    bundled = Path(resolve_backbone())
    for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(bundled / f, path / f)
    return path


def toy_examples(n: int = 24) -> list[MnerExample]:
    base = [
        (("Obama", "visits", "Paris", "today"), (Span(0, 1, "PER"), Span(2, 3, "LOC"))),
        (("RT", "@", "NBA", ":", "Kawhi", "Leonard", "wins"), (Span(2, 3, "ORG"), Span(4, 6, "PER"))),
        (("I", "love", "#", "Coachella", "\U0001F389"), (Span(3, 4, "MISC"),)),
        (("nothing", "here", "!"), ()),
    ]
    return [MnerExample(w, s, "Image: a crowd. Named entities: 1. X (person) Reasoning: context.", f"p{i}")
            for i, (w, s) in enumerate(base * (n // len(base)))]
