"""Errors a user can cause. The CLI and the UI show their message, never a traceback."""

from __future__ import annotations


class CotExplorerError(Exception):
    """Base class: anything raised with this type is meant to be read by a person."""


class ParseError(CotExplorerError):
    """A dataset file does not have the expected shape; names file, line and expectation."""

    def __init__(self, path: str, line: int | None, expected: str, found: str | None = None,
                 more: "tuple[int, ...]" = (), more_than: bool = False):
        self.path = str(path)
        self.line = line
        self.expected = expected
        self.found = found
        self.more = more            # the lines of the file's other defects, found on the same read
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: expected {expected}"
        if found is not None:
            # room for a reason after a long post id ("post <id> has 5,000,000 characters; …")
            shown = found if len(found) <= 200 else found[:197] + "..."
            msg += f", found {shown!r}"
        if more:   # one fix and one run per bad line was a round trip each
            shown_lines = ", ".join(str(n) for n in more[:MORE_SHOWN]) + ("…" if len(more) > MORE_SHOWN else "")
            msg += (f"; also bad: {'more than ' if more_than else ''}{len(more)} more "
                    f"line{'s' if len(more) != 1 else ''} ({shown_lines})")
        super().__init__(msg)


MORE_SHOWN = 10
MAX_DEFECTS = 100   # a file of another format has a defect on every post: the read stops there


class DefectList:
    """A file's defects, collected as a reader goes on past each one (to the next post), and
    raised as one ParseError naming the first in full and the others' lines."""

    def __init__(self) -> None:
        self.found: list[ParseError] = []
        self.stopped = False   # a defect past MAX_DEFECTS was seen: there are more than listed

    def add(self, e: ParseError) -> bool:
        """Record it; False once one past MAX_DEFECTS is seen, to stop reading."""
        if len(self.found) >= MAX_DEFECTS:
            self.stopped = True
            return False
        self.found.append(e)
        return True

    def raise_any(self) -> None:
        if self.found:
            first = self.found[0]
            more = tuple(e.line for e in self.found[1:] if e.line is not None)
            raise ParseError(first.path, first.line, first.expected, first.found, more,
                             more_than=self.stopped) from first


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


class PairChangedMeanwhile(ValidationError):
    """Someone saved another relation for the same entity pair while this one was being picked:
    theirs is not replaced unseen. The UI hands the editor the pairs as they are now
    (`pairs_now`, `relation_version_now`: set where it has them)."""

    pairs_now: list | None = None
    relation_version_now: int | None = None


class ImageRejected(CotExplorerError):
    """An upload that is not a usable image (not an image, too big, a decompression bomb)."""


class ImportRefused(CotExplorerError):
    """An import that would duplicate or contradict what the store already holds."""
