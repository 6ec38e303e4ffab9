"""Errors a user can cause. The CLI and the UI show their message, never a traceback."""

from __future__ import annotations


class CotExplorerError(Exception):
    """Base class: anything raised with this type is meant to be read by a person."""


class ParseError(CotExplorerError):
    """A dataset file does not have the expected shape; names file, line and expectation."""

    def __init__(self, path: str, line: int | None, expected: str, found: str | None = None):
        self.path = str(path)
        self.line = line
        self.expected = expected
        self.found = found
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: expected {expected}"
        if found is not None:
            # room for a reason after a long post id ("post <id> has 5,000,000 characters; …")
            shown = found if len(found) <= 200 else found[:197] + "..."
            msg += f", found {shown!r}"
        super().__init__(msg)


class ValidationError(CotExplorerError):
    """A post, span, relation or label that breaks the schema."""


class NameNeeded(ValidationError):
    """A change asked for with no annotator name typed: the editor keeps a relation picked this
    way and saves it once a name is typed (a refusal for any other reason lets it go)."""


class ConflictError(CotExplorerError):
    """A save based on a label version that is no longer current (optimistic concurrency)."""

    def __init__(self, post_id: str, task: str, base_version: int | None, current_version: int | None):
        self.post_id = post_id
        self.task = task
        self.base_version = base_version
        self.current_version = current_version
        super().__init__(
            f"conflict on {post_id} ({task}): your edit is based on version {base_version}, "
            f"but version {current_version} was saved meanwhile; reload the post and redo the edit"
        )


class ImageRejected(CotExplorerError):
    """An upload that is not a usable image (not an image, too big, a decompression bomb)."""


class ImportRefused(CotExplorerError):
    """An import that would duplicate or contradict what the store already holds."""
