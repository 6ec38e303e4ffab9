"""The visual span editor: a `gr.HTML` with this project's own JavaScript (assets/ui/), no
third-party component. Its value is an `EditorDoc`: the post's tokens, the spans saved and
being edited, suggestions, entity pairs, the queue position. The browser edits `spans`; the
server builds documents and validates every save."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import gradio as gr

from ..errors import ValidationError
from ..schema import Post, Span

UI_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ui"
EDITOR_EVENTS = ("save", "navigate", "undo", "redo", "relation", "resolve")


@dataclass
class Suggestion:
    start: int
    end: int
    type: str
    source: str                    # student | teacher
    origin: str                    # student:<model version> | teacher:<model>
    confidence: float | None = None
    rationale: str = ""


@dataclass
class PairSaved:
    """A relation just saved, said beside its pair with an Undo that takes back this version only."""

    index: int                     # the pair's place in the post's relation labels
    version: int


@dataclass
class ErrorFocus:
    """An entity error opened from Errors: the words it is about marked in the text, and what
    the error was said above it (a relation error showed its pair; an entity error, nothing)."""

    said: str                      # "missed: TWICE (PER); the student predicted nothing there"
    gold: list | None = None       # [start, end, type] of the current label, if any
    pred: list | None = None       # [start, end, type] of the student's span, if any
    source: str = "Errors"         # the tab the row was in: "Errors", or "Distill" (a round's fixed-or-broke row)


@dataclass
class EditorDoc:
    post_id: str
    dataset: str
    tokens: list[dict]             # [{"t": token, "gap": text up to the next token}]
    types: list[str]
    saved: list[dict]              # the version on the server
    spans: list[dict]              # what the editor shows (the saved ones, or yours after a refusal)
    base_version: int | None
    suggestions: list[dict] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    relation_labels: list[str] = field(default_factory=list)
    relation_arguments: dict = field(default_factory=dict)   # label -> [head type, tail type] | None
    type_names: dict = field(default_factory=dict)           # an entity type -> its MNRE name
    relation_version: int | None = None
    pos: dict = field(default_factory=dict)
    readonly: bool = False
    conflict: dict | None = None
    pending_open: dict | None = None
    clear_draft: bool = False
    rev: int = 0
    focus_pair: int | None = None  # the entity pair (its index) to show first: a relation error opened here
    focus_error: ErrorFocus | None = None   # an entity error opened here: its words marked
    student_unread: str | None = None  # a long post: where the student stopped reading (the rest get no suggestion)
    pair_saved: PairSaved | None = None  # said beside its pair (the status line can be a screen away)
    reveal: bool = False           # opened from another tab or a search: brought into view (on a phone it was screens down)
    drafts_of: str = ""            # whose drafts this browser keeps ("" for the one local user): a shared browser
                                   # restored one person's unsaved edits to the next, who saved them as theirs
    undo_of: dict | None = None    # the saved change an undo takes back ({"author", "version"}): another's is
                                   # asked about first (one "u" took back a colleague's labels unseen)
    blind_of: str | None = None    # a blind split's: whose own labels are on show ("" nobody's: the imported ones)
    refresh_of: str | None = None  # the post a refresh was asked about: its answer is dropped where another
                                   # post was opened meanwhile (it came back over it), or edits were made

    def to_value(self) -> dict:
        return asdict(self)


def token_cells(post: Post) -> list[dict]:
    """Each token with the text up to the next one, so the editor shows the post's own spacing."""
    cells = []
    for i, (tok, (_s, e)) in enumerate(zip(post.tokens, post.offsets)):
        nxt = post.offsets[i + 1][0] if i + 1 < len(post.offsets) else len(post.text)
        cells.append({"t": tok, "gap": post.text[e:nxt]})
    return cells


def span_dict(span: Span) -> dict:
    return {"start": span.start, "end": span.end, "type": span.type, "origin": span.origin}


def spans_from_value(value: object) -> tuple[Span, ...]:
    """The spans the browser sent, checked for shape (the store checks them against the post)."""
    if not isinstance(value, list):
        raise ValidationError("the editor sent no list of spans")
    out = []
    for d in value:
        if not isinstance(d, dict):
            raise ValidationError("each span must be an object with start, end and type")
        s = Span.from_json({k: d.get(k) for k in ("start", "end", "type", "origin") if d.get(k) is not None})
        out.append(s)
    return tuple(out)


class SpanEditor(gr.HTML):
    """Click or drag across words (or shift-click) to select, a number key or a palette button
    sets the type, click a span's label to pick it, × or Backspace deletes; suggestions are
    outlined and taken with one click."""

    def __init__(self, value: dict | None = None, **kwargs):
        super().__init__(
            value=value or {},
            html_template="",   # the script draws everything; an empty template is never re-rendered over it
            css_template=(UI_ASSETS / "span_editor.css").read_text(encoding="utf-8"),
            js_on_load=(UI_ASSETS / "span_editor.js").read_text(encoding="utf-8"),
            apply_default_css=False,
            **kwargs,
        )

    def api_info(self) -> dict:
        return {"type": "object", "title": "EditorDoc"}
