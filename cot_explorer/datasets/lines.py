"""Reading a text file as numbered lines, with decoding errors reported by line."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParseError


def read_lines(path: str | Path) -> list[str]:
    """Lines of a UTF-8 file without line endings (LF or CRLF)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ParseError(str(path), None, "a readable file", e.strerror) from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ParseError(str(path), line, "UTF-8 text", data[e.start : e.start + 8].hex(" ")) from e
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
