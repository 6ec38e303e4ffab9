"""Reading a text file as numbered lines, with decoding errors reported by line."""

from __future__ import annotations

import stat
from pathlib import Path

from ..errors import ParseError
from ..limits import MAX_FILE_BYTES


def read_lines(path: str | Path) -> list[str]:
    """Lines of a UTF-8 file without line endings (LF or CRLF)."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(str(path), None, "a regular file (not a device, pipe or folder)")
        if info.st_size > MAX_FILE_BYTES:
            raise ParseError(str(path), None, f"a file of at most {MAX_FILE_BYTES:,} bytes", f"{info.st_size:,} bytes")
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
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError(str(path), line, "text without NUL characters (is this a binary file?)")
    if not text.strip():
        raise ParseError(str(path), None, "at least one post (the file is empty or blank)")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
