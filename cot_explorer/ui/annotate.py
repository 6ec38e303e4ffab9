"""The Annotate tab: a queue of posts per dataset/split, the post's spans to correct, the
student's and the teacher's entities as suggestions, relations of MNRE posts, history."""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import gradio as gr

from ..access import AccessPolicy, Action
from ..errors import CotExplorerError, ValidationError
from ..labels import MRE_RELATIONS
from ..schema import LabelSet, Post, Span
from ..store import labels as label_store
from ..store import open_store
from ..store.images import image_path
from ..store.knowledge import knowledge_for, knowledge_for_split
from ..store.posts import dataset_schema, get_post, list_posts
from ..tokenize import align_entity
from .common import DatasetSplit, cached_predictions, predict_post, table_rows
from .guard import guarded
from .relations import RELATION_COLUMNS, relations_view, save_relation

SPAN_COLUMNS = ["start", "end", "type", "text"]


class QueueOrder(StrEnum):
    FILE = "file order"
    UNCERTAINTY = "student uncertainty"
    DISAGREEMENT = "teacher-student disagreement"


@dataclass
class AnnotateView:
    post_id: str
    tokens: list[list]
    spans: list[list]
    version: int | None
    history: list[list]
    status: str
    image: str | None = None
    types: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")   # the dataset's entity types


def _rows(post: Post, spans) -> list[list]:
    return [[s.start, s.end, s.type, post.span_text(s)] for s in sorted(spans, key=lambda s: s.start)]


def annotate(home: Path, post_id: str, status: str = "") -> AnnotateView:
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        hist = label_store.history(store, post_id, "mner")
        img = image_path(store, post.image_sha256) if post.image_sha256 else None
        types = dataset_schema(store, post.dataset).types
    cur = hist[-1] if hist else None
    return AnnotateView(post_id, [[i, t] for i, t in enumerate(post.tokens)], _rows(post, cur.spans if cur else ()),
                        cur.version if cur else None,
                        [[h.version, h.source, h.author, h.created_at, len(h.spans)] for h in reversed(hist)], status,
                        str(img) if img else None, types)


def spans_from_rows(post: Post, rows) -> tuple[Span, ...]:
    spans = []
    for row in rows or []:
        if row is None or all(v in (None, "") for v in row[:3]):
            continue
        try:
            start, end, type_ = int(row[0]), int(row[1]), str(row[2]).strip()
        except (TypeError, ValueError) as e:
            raise ValidationError(f"each span needs integer start and end and a type, got {row[:3]}") from e
        spans.append(Span(start, end, type_))
    return tuple(spans)


def save_labels(home: Path, post_id: str, rows, base_version: int | None, author: str,
                source: str = "annotator") -> AnnotateView:
    author = (author or "").strip()
    if not author:
        raise ValidationError("type your name in the annotator field before saving")
    with open_store(home) as store:
        post = get_post(store, post_id)
        if post is None:
            raise ValidationError(f"no post {post_id!r}")
        saved = label_store.save(store, post_id, LabelSet("mner", spans=spans_from_rows(post, rows), source=source,
                                                          author=author), base_version)
    return annotate(home, post_id, f"saved version {saved.version} (replaces {saved.replaces})")


def undo_labels(home: Path, post_id: str, base_version: int | None, author: str) -> AnnotateView:
    if base_version is None:
        raise ValidationError("nothing to undo")
    with open_store(home) as store:
        restored = label_store.undo(store, post_id, "mner", int(base_version), (author or "").strip() or "unknown")
    return annotate(home, post_id, f"restored the previous labels as version {restored.version}")


def add_span_by_text(home: Path, post_id: str, rows, text: str, type_: str) -> list[list]:
    with open_store(home) as store:
        post = get_post(store, post_id)
        types = dataset_schema(store, post.dataset).types
    if type_ not in types:
        raise ValidationError(f"pick a type among {', '.join(types)}")
    span = align_entity(post, text or "")
    if span is None:
        raise ValidationError(f"{text!r} is not a run of whole tokens in this post")
    current = [r for r in (rows or []) if r and r[0] not in (None, "")]
    return current + [[span.start, span.end, type_, post.span_text(span)]]


def suggestion_rows(home: Path, post_id: str, source: str) -> list[list]:
    """The student's or the teacher's entities as editable rows (accept in one click)."""
    with open_store(home) as store:
        post = get_post(store, post_id)
        if source == "teacher":
            types = dataset_schema(store, post.dataset).types
            knowledge = knowledge_for(store, post_id)
            spans = [Span(e.span.start, e.span.end, e.type if e.type in types else _map_type(e.type, types))
                     for e in (knowledge.entities if knowledge else ()) if e.span]
            spans = [s for s in spans if s.type]
            return _rows(post, _non_overlapping(spans))
    return _rows(post, [Span(s, e, t) for s, e, t, _ in predict_post(home, post)])


def _map_type(free: str, types) -> str | None:
    """Free-text teacher types ('person/player') mapped by keywords to the schema."""
    f = free.lower()
    for keys, t in ((("person", "player", "actor", "singer", "people", "character"), "PER"),
                    (("location", "city", "country", "place", "venue", "state"), "LOC"),
                    (("organization", "organisation", "team", "company", "league", "band", "club"), "ORG")):
        if any(k in f for k in keys) and t in types:
            return t
    return types[-1] if types else None


def _non_overlapping(spans):
    out, taken = [], set()
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        cover = set(range(s.start, s.end))
        if not cover & taken:
            out.append(s)
            taken |= cover
    return out


def queue(home: Path, dataset_split: str, type_filter: str = "any", only_errors: bool = False,
          not_corrected: bool = False, order: str = QueueOrder.FILE) -> list[str]:
    dataset, split = (lambda ds: (ds.dataset, ds.split))(DatasetSplit.parse(dataset_split))
    order = QueueOrder(order)
    with open_store(home) as store:
        posts = list_posts(store, dataset, split)
        current = label_store.current_for_split(store, dataset, split, "mner")
    if type_filter and type_filter != "any":
        posts = [p for p in posts if p.id in current and any(s.type == type_filter for s in current[p.id].spans)]
    if not_corrected:
        posts = [p for p in posts if p.id not in current or current[p.id].source == "gold"]
    if only_errors or order != QueueOrder.FILE:
        preds = cached_predictions(home, posts)
        if only_errors:
            posts = [p for p in posts if p.id in current and
                     {(s.start, s.end, s.type) for s in current[p.id].spans} != {(a, b, t) for a, b, t, _ in preds[p.id]}]
        if order == QueueOrder.UNCERTAINTY:
            posts.sort(key=lambda p: min([c for *_, c in preds[p.id]], default=1.0))
        elif order == QueueOrder.DISAGREEMENT:
            with open_store(home) as store:
                known = knowledge_for_split(store, dataset, split)
            tspans = {p.id: {(e.span.start, e.span.end) for e in (known[(p.id, None)].entities
                                                               if (p.id, None) in known else ()) if e.span}
                      for p in posts}
            posts.sort(key=lambda p: -len(tspans[p.id] ^ {(a, b) for a, b, *_ in preds[p.id]}))
    return [p.id for p in posts]


def build_annotate_tab(home: Path, post_state: gr.State, policy: AccessPolicy, model_work: dict) -> dict:
    types = ["PER", "LOC", "ORG", "MISC"]  # until a dataset is chosen; then its schema's types
    with gr.Tab("Annotate", id="annotate"):
        with gr.Row():
            ds = gr.Dropdown(label="Dataset/split", choices=[], elem_id="queue-dataset")
            type_filter = gr.Dropdown(["any"] + types, value="any", label="Entity type")
            only_errors = gr.Checkbox(label="Student errors only")
            not_corrected = gr.Checkbox(label="Not yet corrected")
            order = gr.Dropdown(["file order", "student uncertainty", "teacher-student disagreement"],
                                value="file order", label="Order")
            author = gr.Textbox(label="Annotator", placeholder="your name", elem_id="annotator")
        queue_state = gr.State([])
        pos_state = gr.State(0)
        version_state = gr.State(None)
        annot_post = gr.State(None)  # the post on screen here; post_state is the app-wide selection
        with gr.Row():
            prev_btn = gr.Button("◀ Previous (p)", elem_id="prev-btn")
            next_btn = gr.Button("Next (n) ▶", elem_id="next-btn")
            where = gr.Markdown(elem_id="queue-pos")
        with gr.Row():
            post_text = gr.Markdown(elem_id="annotate-text")
            annot_image = gr.Image(label="Post image", interactive=False, height=180, elem_id="annotate-image",
                                   visible=False)
        gr.Markdown("*Select words in the post above to put them in “Add entity by its text”.*")
        tokens = gr.Dataframe(headers=["#", "token"], interactive=False, label="Tokens", max_height=220)
        spans = gr.Dataframe(headers=SPAN_COLUMNS, interactive=True, label="Spans (edit start, end, type)",
                             elem_id="spans-table", column_count=(4, "fixed"))
        with gr.Row():
            span_text = gr.Textbox(label="Add entity by its text", elem_id="span-text")
            span_type = gr.Dropdown(types, value="PER", label="Type", elem_id="span-type")
            add_span = gr.Button("Add span", elem_id="add-span-btn")
        with gr.Row():
            accept_student = gr.Button("Accept student (a)", elem_id="accept-student-btn")
            accept_teacher = gr.Button("Accept teacher", elem_id="accept-teacher-btn")
            save = gr.Button("Save (s)", variant="primary", elem_id="save-btn")
            undo = gr.Button("Undo (u)", elem_id="undo-btn")
        status = gr.Markdown(elem_id="annotate-status")
        with gr.Accordion("Relations (MNRE posts)", open=False):
            rel_table = gr.Dataframe(headers=RELATION_COLUMNS, interactive=False, elem_id="relations-table")
            rel_version = gr.State(None)
            with gr.Row():
                rel_index = gr.Number(label="Pair #", precision=0, value=0)
                rel_label = gr.Dropdown(list(MRE_RELATIONS), value="None", label="Relation")
                rel_save = gr.Button("Save relation", elem_id="save-relation-btn")
        history = gr.Dataframe(headers=["version", "source", "author", "saved at", "spans"], interactive=False,
                               label="History (newest first)")

        def show(view: AnnotateView):
            rv = relations_view(home, view.post_id)
            text = " ".join(t for _, t in view.tokens)
            return (view.post_id, view.tokens, view.spans, view.version, view.history, view.status,
                    [r.cells() for r in rv.rows], rv.version, f"<div id='post-sentence'>{html.escape(text)}</div>",
                    gr.update(value=view.image, visible=bool(view.image)),
                    gr.update(choices=list(view.types), value=view.types[0]))

        outs = [annot_post, tokens, spans, version_state, history, status, rel_table, rel_version, post_text,
                annot_image, span_type]

        def load_queue(d, t, e, c, o, user):
            ids = queue(home, d, t, e, c, o)
            if not ids:
                return [ids, 0, "no post matches these filters"] + [gr.skip()] * len(outs)
            return [ids, 0, f"1 / {len(ids)}"] + list(show(annotate(home, ids[0])))

        def step(ids, pos, delta):
            if not ids:
                raise CotExplorerError("load a queue first: pick a dataset/split")
            pos = max(0, min(len(ids) - 1, pos + delta))
            return [pos, f"{pos + 1} / {len(ids)}"] + list(show(annotate(home, ids[pos])))

        def open_post(pid, user):
            return show(annotate(home, pid)) if pid else [gr.skip()] * len(outs)

        filters = [ds, type_filter, only_errors, not_corrected, order]
        for f in filters:
            f.change(guarded(policy, Action.EXPLORE, load_queue), filters, [queue_state, pos_state, where] + outs,
                     api_visibility="private")
        next_btn.click(guarded(policy, Action.EXPLORE, lambda i, p, user: step(i, p, 1)), [queue_state, pos_state],
                       [pos_state, where] + outs, api_visibility="private")
        prev_btn.click(guarded(policy, Action.EXPLORE, lambda i, p, user: step(i, p, -1)), [queue_state, pos_state],
                       [pos_state, where] + outs, api_visibility="private")
        post_state.change(guarded(policy, Action.EXPLORE, open_post), [post_state], outs, api_visibility="private")
        add_span.click(guarded(policy, Action.EXPLORE,
                               lambda pid, rows, t, ty, user: add_span_by_text(home, pid, table_rows(rows), t, ty)),
                       [annot_post, spans, span_text, span_type], [spans], api_visibility="private")
        accept_student.click(guarded(policy, Action.EXPLORE, lambda pid, user: suggestion_rows(home, pid, "student")),
                             [annot_post], [spans], api_visibility="private", **model_work)
        accept_teacher.click(guarded(policy, Action.EXPLORE, lambda pid, user: suggestion_rows(home, pid, "teacher")),
                             [annot_post], [spans], api_visibility="private")

        def do_save(pid, rows, version, name, user):
            return show(save_labels(home, pid, table_rows(rows), version, _author(name, user)))

        def do_undo(pid, version, name, user):
            return show(undo_labels(home, pid, version, _author(name, user)))

        def do_save_relation(pid, index, label, version, name, user):
            rv = save_relation(home, pid, int(index or 0), label, version, _author(name, user))
            return [r.cells() for r in rv.rows], rv.version

        rel_save.click(guarded(policy, Action.SAVE_LABELS, do_save_relation),
                       [annot_post, rel_index, rel_label, rel_version, author], [rel_table, rel_version],
                       api_visibility="private")
        save.click(guarded(policy, Action.SAVE_LABELS, do_save), [annot_post, spans, version_state, author], outs,
                   api_visibility="private")
        undo.click(guarded(policy, Action.SAVE_LABELS, do_undo), [annot_post, version_state, author], outs,
                   api_visibility="private")
    return {"queue_dataset": ds, "author": author}


def _author(typed: str, user) -> str:
    """A signed-in user saves under their own name; the one local user under the typed one."""
    return typed if user.name in (None, "local") else user.name
