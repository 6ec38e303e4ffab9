"""One post, drawn as aligned rows of the same text (the student's entities, the teacher's,
the current labels...), each entity highlighted in its type's colour, its confidence or
rationale on hover. Every row is the same text in the same font, so the words line up and a
disagreement is seen, not read."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..schema import Post

COLORS = ("#fde68a", "#a7f3d0", "#bfdbfe", "#fbcfe8", "#ddd6fe", "#fed7aa", "#d9f99d", "#e5e7eb")


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    type: str
    tip: str = ""            # confidence, rationale: shown on hover


@dataclass(frozen=True)
class Row:
    label: str
    marks: tuple[Mark, ...]
    note: str = ""           # shown when the row has nothing to mark ("no teacher knowledge")
    words: bool = False      # with nothing marked, the post's words before the note: the row read the
                             # post and found nothing in it ("no entities found" alone hid how it was split)
    read: int | None = None  # how many of the post's words the row's model read (a long post): the rest
                             # is drawn as not read, where it starts (the row's label alone said so)


def _line(post: Post, marks: tuple[Mark, ...], types: list[str], read: int | None = None) -> str:
    out, pos = [], 0
    cut = post.offsets[read][0] if read is not None and read < len(post.offsets) else len(post.text)
    for m in sorted(marks, key=lambda m: m.start):
        cs, ce = post.offsets[m.start][0], post.offsets[m.end - 1][1]
        if cs < pos:  # overlapping marks (two teachers' views): keep the first
            continue
        out.append(html.escape(post.text[pos:cs]))
        color = COLORS[types.index(m.type) % len(COLORS)] if m.type in types else "#e5e7eb"
        tip = html.escape(f"{m.type}{': ' + m.tip if m.tip else ''}", quote=True)
        # focusable: a tap (a phone has no hover) or the keyboard shows the tip (ROWS_CSS)
        # the type in words too, for a screen reader (it was in the colour and the title only)
        out.append(f'<mark class="hl" data-type="{html.escape(m.type, quote=True)}" title="{tip}" tabindex="0" '
                   f'style="background:{color}">{html.escape(post.text[cs:ce])}'
                   f'<span class="cot-sr-only"> ({html.escape(m.type)})</span></mark>')
        pos = ce
    out.append(html.escape(post.text[pos:cut]))
    if cut < len(post.text):
        out.append(f'<span class="pr-unread" title="{UNREAD_TIP}"><span class="pr-stop">{UNREAD_MARK}</span>'
                   f'{html.escape(post.text[max(pos, cut):])}</span>')
    return "".join(out)


# where a model stopped reading a long post, in its row: a mark, then the words it did not read
UNREAD_MARK = "‖ not read: "
UNREAD_TIP = "past the model's limit of sub-word pieces: it says nothing about these words"


def rows_html(post: Post, rows: list[Row], types: list[str]) -> str:
    legend = " ".join(f'<span class="lg" style="background:{COLORS[i % len(COLORS)]}">{html.escape(t)}</span>'
                      for i, t in enumerate(types))
    body = []
    for r in rows:
        if r.marks or not r.note:
            line = _line(post, r.marks, types, r.read)
        else:
            line = (_line(post, (), types, r.read) + " " if r.words else "") + f'<span class="none">{html.escape(r.note)}</span>'
        body.append(f'<div class="pr-row"><div class="pr-label">{html.escape(r.label)}</div>'
                    f'<div class="pr-text" dir="auto">{line}</div></div>')
    return (f'<div class="post-rows"><div class="pr-legend">{legend} '
            f'<span class="pr-hint">hover or tap an entity for its confidence or rationale</span></div>{"".join(body)}</div>')


ROWS_CSS = """
.post-rows { display: flex; flex-direction: column; gap: 6px; }
.pr-row { display: grid; grid-template-columns: 9.5em 1fr; gap: 8px; align-items: baseline; }
.pr-label { font-size: 13px; color: var(--body-text-color-subdued); }
.pr-text { font-size: 17px; line-height: 1.9; }
.pr-text mark.hl { color: #111; border-radius: 4px; padding: 0; }
.pr-text .none { font-size: 14px; color: var(--body-text-color-subdued); }
.pr-legend .lg { color: #111; border-radius: 4px; padding: 1px 6px; font-size: 12px; font-weight: 600; }
.pr-text .pr-unread { color: var(--body-text-color-subdued); }
.pr-text .pr-stop { font-size: 13px; font-weight: 600; color: #b45309; }
.pr-hint { font-size: 12px; color: var(--body-text-color-subdued); }
/* the tip of an entity tapped or reached by the keyboard (a title shows on hover only) */
.pr-text mark.hl { position: relative; }
.pr-text mark.hl:focus { outline: 2px solid #1d4ed8; }
.pr-text mark.hl:focus::after { content: attr(title); position: absolute; left: 0; top: 100%; z-index: 20;
  background: #111827; color: #fff; font-size: 12px; line-height: 1.4; padding: 2px 6px; border-radius: 4px;
  white-space: normal; width: max-content; max-width: 16em; }
@media (max-width: 640px) { .pr-row { grid-template-columns: 1fr; gap: 0; }
  /* a phone: the tip on a line of its own under the word's, the rows below pushed down (laid
     over them, it covered the next row's words) */
  .pr-text mark.hl:focus::after { position: static; display: block; width: auto; max-width: none;
    font-size: 14px; padding: 4px 8px; margin: 2px 0; } }
"""
