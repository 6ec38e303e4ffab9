"""Where the data lives: `--home`, else `COT_EXPLORER_HOME`, else the user's data dir.
Never inside the package, so upgrades and Spaces rebuilds keep user data."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "COT_EXPLORER_HOME"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("cot-explorer", appauthor=False))
