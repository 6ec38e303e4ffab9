"""Running the CLI in this process (`main(argv)`, output captured), so the tests pay for
Python and PyTorch starting once, not per command. One test still runs it as a real
subprocess (tests/test_cli.py), as a user's shell would."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cot_explorer.cli import main


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def environment(**changes: str | None):
    saved = {k: os.environ.get(k) for k in changes}
    try:
        for k, v in changes.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(*args: str, home: Path | None = None, env: dict | None = None, stdin: str = "") -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    argv = [*map(str, args)] + (["--home", str(home)] if home else [])
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with environment(**{"COT_EXPLORER_HOME": None, **(env or {})}), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as e:  # argparse's own refusals
                rc = e.code if isinstance(e.code, int) else 2
    finally:
        sys.stdin = old_stdin
    return CliResult(rc, out.getvalue(), err.getvalue())
