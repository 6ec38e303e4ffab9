"""Where the data lives: `--home`, else `COT_EXPLORER_HOME`, else the user's data dir.
Never inside the package, so upgrades and Spaces rebuilds keep user data. Also the one
place that spells the layout of the benchmark data (`shared/data`)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "COT_EXPLORER_HOME"
DATA_ENV = "COT_EXPLORER_DATA"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("cot-explorer", appauthor=False))


def data_dir() -> Path:
    """The benchmark data: `$COT_EXPLORER_DATA`, else `shared/data` beside the checkout."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def twitter_file(dataset: str, split: str, root: Path | None = None) -> Path:
    return (root or data_dir()) / dataset / f"{split}.txt"


def knowledge_file(dataset: str, split: str, root: Path | None = None) -> Path:
    """The recorded ChatGPT reasoning (PGIM) for one Twitter split."""
    return (root or data_dir()) / "knowledge" / "chatgpt-pgim" / dataset / f"{split}.txt"


def captions_file(dataset: str, root: Path | None = None) -> Path:
    """BLIP-2 captions of one Twitter corpus's images."""
    return (root or data_dir()) / "captions" / f"blip2-{dataset}.txt"


def mnre_file(split: str, root: Path | None = None) -> Path:
    return (root or data_dir()) / "mnre" / f"{split}.txt"
