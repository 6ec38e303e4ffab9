"""The Error analysis tab: P/R/F1 overall and per type, error kinds, a type confusion
heatmap and the errors themselves, each one click from the post."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go

from ..access import AccessPolicy, Action
from ..errors import ValidationError
from ..evaluate import ERROR_KINDS, score_spans, span_errors, type_confusion
from ..schema import Span
from ..store import labels as label_store
from ..store import open_store
from ..store.posts import dataset_schema, list_posts
from .common import DatasetSplit, cached_predictions, table_rows
from .guard import guarded


@dataclass
class ErrorAnalysis:
    overall: list[list]
    per_type: list[list]
    kinds: dict[str, int]
    confusion: list[list[int]]
    labels: list[str]
    errors: list[list]


def error_analysis(home: Path, dataset_split: str, model: str = "default") -> ErrorAnalysis:
    ds = DatasetSplit.parse(dataset_split)
    dataset, split = ds.dataset, ds.split
    with open_store(home) as store:
        posts = list_posts(store, dataset, split)
        gold = label_store.current_for_split(store, dataset, split, "mner")
        types = list(dataset_schema(store, dataset).types)
    posts = [p for p in posts if p.id in gold]
    if not posts:
        raise ValidationError(f"{dataset_split} has no labelled posts to analyse")
    preds = cached_predictions(home, posts, model)
    g = [list(gold[p.id].spans) for p in posts]
    pr = [[Span(a, b, t) for a, b, t, _ in preds[p.id]] for p in posts]
    scores = score_spans(g, pr)
    kinds = {k: 0 for k in ERROR_KINDS}
    errors = []
    for p, gs, ps in zip(posts, g, pr):
        for err in span_errors(gs, ps):
            kinds[err.kind] += 1
            errors.append([p.id, err.kind, f"{p.span_text(err.gold)} ({err.gold.type})" if err.gold else "",
                           f"{p.span_text(err.pred)} ({err.pred.type})" if err.pred else "", p.text])
    return ErrorAnalysis(
        [[scores.precision, scores.recall, scores.f1, scores.n_posts, scores.n_gold, scores.n_pred]],
        [[t, s.precision, s.recall, s.f1, s.support] for t, s in scores.per_type.items()],
        kinds, type_confusion(g, pr, types), types + ["O"], errors)


def confusion_figure(ea: ErrorAnalysis) -> go.Figure:
    """Gold types as rows, top to bottom in the schema's order; "O" is no entity at all (a
    missed entity is predicted O, a spurious one has gold O)."""
    names = [("O (no entity)" if t == "O" else t) for t in ea.labels]
    fig = go.Figure(go.Heatmap(z=ea.confusion, x=names, y=names, colorscale="Blues", text=ea.confusion,
                               texttemplate="%{text}", hovertemplate="gold %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(title="Type confusion: rows gold, columns predicted; O = no entity", xaxis_title="predicted",
                      yaxis_title="gold", height=400, margin=dict(t=50, b=40))
    fig.update_yaxes(autorange="reversed")
    return fig


def per_type_figure(ea: ErrorAnalysis) -> go.Figure:
    fig = go.Figure()
    for i, name in enumerate(("precision", "recall", "F1")):
        fig.add_bar(name=name, x=[r[0] for r in ea.per_type], y=[r[1 + i] for r in ea.per_type])
    fig.update_layout(barmode="group", title="Per type", yaxis_range=[0, 100], height=380, margin=dict(t=40, b=40))
    return fig


def build_errors_tab(home: Path, post_state: gr.State, policy: AccessPolicy, model_work: dict) -> dict:
    with gr.Tab("Errors", id="errors"):
        with gr.Row():
            ds = gr.Dropdown(label="Dataset/split", choices=[], elem_id="errors-dataset")
            model = gr.Dropdown(label="Model version", choices=["default"], value="default", elem_id="errors-model")
            run = gr.Button("Analyse", variant="primary", elem_id="errors-btn")
        overall = gr.Dataframe(headers=["P", "R", "F1", "posts", "gold", "predicted"], interactive=False, label="Overall")
        kinds = gr.Dataframe(headers=["error kind", "count"], interactive=False, label="Error kinds")
        with gr.Row():
            bars = gr.Plot(label="Per type")
            heat = gr.Plot(label="Confusion")
        per_type = gr.Dataframe(headers=["type", "P", "R", "F1", "support"], interactive=False)
        kind_filter = gr.Dropdown(["any", "missed", "spurious", "wrong type", "wrong boundary"], value="any",
                                  label="Show errors of kind")
        errors = gr.Dataframe(headers=["post", "kind", "gold", "predicted", "post text"], interactive=False, wrap=True,
                              label="Errors (select a row to open the post)", elem_id="errors-table")
        all_errors = gr.State([])

        def analyse(d, m, user):
            ea = error_analysis(home, d, m or "default")
            return (ea.overall, [[k, v] for k, v in ea.kinds.items()], per_type_figure(ea), confusion_figure(ea),
                    ea.per_type, ea.errors, ea.errors)

        run.click(guarded(policy, Action.EXPLORE, analyse), [ds, model],
                  [overall, kinds, bars, heat, per_type, errors, all_errors], api_visibility="private", **model_work)
        kind_filter.change(guarded(policy, Action.EXPLORE,
                                   lambda k, rows, user: [r for r in rows if k == "any" or r[1] == k]),
                           [kind_filter, all_errors], [errors], api_visibility="private")

        def open_row(rows, evt: gr.SelectData, user):
            return table_rows(rows)[evt.index[0]][0]

        errors.select(guarded(policy, Action.EXPLORE, open_row), [errors], [post_state], api_visibility="private")
    return {"errors_dataset": ds, "errors_model": model}
