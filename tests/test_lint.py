"""The code's own rules, run with the tests: ruff (pyflakes, import order, bugbear) and the
import-linter contracts of pyproject.toml (lower layers never import higher ones; the
torch-free inference path imports no torch)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*cmd: str) -> subprocess.CompletedProcess:
    exe = shutil.which(cmd[0])
    assert exe, f"{cmd[0]} is not installed: pip install -r requirements-dev.txt"
    return subprocess.run([exe, *cmd[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff():
    r = run("ruff", "check", ".")
    assert r.returncode == 0, r.stdout[-3000:]


def test_layers_contract():
    r = run("lint-imports", "--no-cache")
    assert r.returncode == 0 and "0 broken" in r.stdout and "KEPT" in r.stdout, r.stdout[-3000:]
