"""Every input has a limit and a clear answer: the limits, and the checks of text and names
that every reader, upload and handler shares (one place, so no path forgets one)."""

from __future__ import annotations

import errno
import re
import unicodedata

from .errors import CotExplorerError, ValidationError

MAX_POST_CHARS = 4000            # long-form tweets; beyond this it is not a post
MAX_POST_TOKENS = 1000
MAX_NAME_CHARS = 100             # annotator, dataset, split and model version names
MAX_FILE_BYTES = 1024 ** 3       # a dataset file; the largest shipped corpus file is 4 MB
MAX_JSON_DEPTH = 32              # a post line nests a few levels; deeper is an attack or a mistake
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000    # e.g. 8000 x 5000; far above what a tweet image needs
MAX_UPLOAD = "20mb"              # Gradio's own cap on any uploaded file, same as MAX_IMAGE_BYTES

# Categories of characters that take no room: controls, format marks (zero-width space and
# joiner, BOM), separators. A token made only of these is not a word.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
_C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

def has_lone_surrogate(text: str) -> bool:
    """True for text that cannot be written as UTF-8 (invalid bytes decoded with surrogateescape,
    or a JSON `\\ud800` escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_text(text: object, what: str, max_chars: int | None = None) -> str:
    """A string that is valid Unicode, holds no NUL or other C0 control character (tab and
    newline aside), and is within `max_chars`. (C1 controls such as U+0092 stay: the
    published Twitter corpora hold them, decoded from cp1252 long ago.)"""
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be text, got {type(text).__name__}")
    if max_chars is not None and len(text) > max_chars:
        raise ValidationError(f"{what} has {len(text):,} characters; at most {max_chars:,} are accepted")
    if has_lone_surrogate(text):
        raise ValidationError(f"{what} is not valid Unicode (invalid UTF-8 or a lone surrogate)")
    bad = _C0.search(text)
    if bad is not None:
        raise ValidationError(f"{what} contains the control character U+{ord(bad.group()):04X}")
    return text

def check_name(name: object, what: str, max_chars: int = MAX_NAME_CHARS) -> str:
    """A short, printable, one-line name (annotator, dataset, split, model version)."""
    name = check_text(name, what, max_chars).strip() if isinstance(name, str) else check_text(name, what)
    if not name:
        raise ValidationError(f"{what} is empty")
    if any(c in name for c in "\t\n\r"):
        raise ValidationError(f"{what} must be one line")
    return name


def person_key(name: str) -> str:
    """What makes two names one person's: neither case nor spacing ("Bob" and "bob " counted as
    two annotators in progress and agreement, with a pair "Bob · bob" agreeing 50 %)."""
    return " ".join(name.split()).casefold()


def check_store_name(name: object, what: str) -> str:
    """A dataset or split name: a name (check_name) without "/", which the app puts between
    a dataset and its split (a dataset "a/b" imported, then every picker read its split as
    dataset "a", and Annotate went on editing another dataset's post under its name)."""
    checked = check_name(name, what)
    if "/" in checked:
        raise ValidationError(f"{what} {checked!r} holds a '/', which the app puts between a dataset and its "
                              f"split; choose another (such as {checked.replace('/', '-')!r})")
    return checked


def is_visible_token(token: str) -> bool:
    """A token with at least one character that is not a space, a control or a zero-width mark.
    (A lone variation selector counts: the Twitter corpora hold such tokens.)"""
    return any(unicodedata.category(c) not in _INVISIBLE_CATEGORIES for c in token)


def check_user_tokens(tokens: object, what: str) -> None:
    """A token list a file or a person supplies (JSONL, `predict`): strings, none of them empty
    or only ASCII spaces. Tokens of only zero-width or no-break characters are accepted, since
    the published corpora hold 13 of them and their exports must import again; the UI draws
    them visibly."""
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise ValidationError(f"{what}: 'tokens' must be a list of strings")
    for t in tokens:
        if not t.strip(" \t\n\r\f\v"):
            raise ValidationError(f"{what}: a token is empty or only spaces ({t!r})")

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class DiskFull(CotExplorerError):
    """The disk (or a quota) is full: nothing was saved."""


def disk_full_message(where: str) -> str:
    return f"the disk is full: {where} could not be written and nothing was saved; free some space and try again"
