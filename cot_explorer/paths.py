"""Where the data lives: `--home`, else `COT_EXPLORER_HOME`, else the user's data dir.
Never inside the package, so upgrades and Spaces rebuilds keep user data."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "COT_EXPLORER_HOME"
DATA_ENV = "COT_EXPLORER_DATA"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("cot-explorer", appauthor=False))


def data_dir() -> Path:
    """The benchmark data: `$COT_EXPLORER_DATA`, else `shared/data` beside the checkout."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
