"""Layout and wiring only: one build_*_tab() per tab; the work happens in `handlers`."""

from __future__ import annotations

import functools
import html
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go

from ..access import AccessPolicy, Action
from ..ask_budget import AskBudget
from ..errors import CotExplorerError
from ..labels import DEFAULT_ENTITY_TYPES, MRE_RELATIONS
from ..limits import MAX_UPLOAD
from . import handlers as h
from .guard import guarded

SHORTCUTS = """
<script>
document.addEventListener('mouseup', () => {
  const sel = window.getSelection();
  const box = document.getElementById('post-sentence');
  if (!sel || !box || !box.contains(sel.anchorNode)) return;
  const text = sel.toString().trim();
  const input = document.querySelector('#span-text textarea, #span-text input');
  if (text && input) { input.value = text; input.dispatchEvent(new Event('input', {bubbles: true})); }
});
document.addEventListener('keydown', (e) => {
  const tag = (e.target.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || e.target.isContentEditable) return;
  const map = {n: 'next-btn', p: 'prev-btn', a: 'accept-student-btn', s: 'save-btn', u: 'undo-btn'};
  const id = map[e.key];
  if (id && !e.ctrlKey && !e.metaKey) { const b = document.getElementById(id); if (b) { e.preventDefault(); b.click(); } }
});
</script>
"""


def build_explore_tab(home: Path, post_state: gr.State, policy: AccessPolicy, budget: AskBudget) -> dict:
    with gr.Tab("Explore", id="explore"):
        with gr.Row():
            with gr.Column(scale=1):
                text = gr.Textbox(label="Tweet text", lines=3, elem_id="post-text")
                image = gr.File(label="Image (optional): JPEG, PNG, GIF or WebP, up to 20 MB", type="filepath",
                                elem_id="post-image", height=120)
                analyse = gr.Button("Analyse upload", variant="primary", elem_id="explore-btn")
                gr.Examples([["Messi scores twice as Barcelona beat Real Madrid at Camp Nou",
                              str(h.ASSETS / "demo" / "stadium.png")],
                             ["Taylor Swift opens her tour in Glendale tonight !", str(h.ASSETS / "demo" / "stage.png")]],
                            inputs=[text, image])
                pick = gr.Dropdown(label="…or a post of the store", choices=[], elem_id="pick-post")
                shown_image = gr.Image(label="Post image", interactive=False, height=220, elem_id="explore-image",
                                       visible=False)
                caption = gr.Markdown(elem_id="explore-caption")
            with gr.Column(scale=2):
                post_id = gr.Markdown(elem_id="explore-post-id")
                student = gr.HighlightedText(label="Student entities (confidence)", elem_id="student-entities",
                                             show_legend=True)
                gold = gr.HighlightedText(label="Current labels (gold or corrected)", elem_id="gold-entities")
                disagree = gr.Markdown(label="Disagreements")
                cot = gr.Markdown(elem_id="cot")
                relations = gr.Dataframe(headers=h.RELATION_COLUMNS, interactive=False, label="Entity pairs (MRE)",
                                         elem_id="explore-relations", visible=True)
                ask = gr.Button("Ask Claude for the chain of thought", visible=h.teacher_available(), elem_id="ask-btn")

        def show(view: h.ExploreView):
            return (view.post_id, f"`{view.post_id}`", view.student, view.gold, view.disagreements, view.cot,
                    gr.update(value=view.image, visible=bool(view.image)), view.caption and f"*Caption:* {view.caption}")

        outs = [post_state, post_id, student, gold, disagree, cot, shown_image, caption]

        def relations_of(pid, user):
            return h.relations_view(home, pid)[0] if pid else []

        def analyse_upload(t, i, user):
            return list(show(h.upload(home, t, i, keep=user.may(Action.SAVE_LABELS)))) + [None]

        def pick_post(pid, user):
            return show(h.explore(home, pid)) if pid else [gr.skip()] * len(outs)

        def ask_claude(pid, user):
            return h.ask_teacher(home, pid, user.label, budget)

        post_state.change(guarded(policy, Action.EXPLORE, relations_of), [post_state], [relations],
                          api_visibility="private")
        analyse.click(guarded(policy, Action.PREDICT, analyse_upload), [text, image], outs + [image],
                      api_visibility="private", **MODEL_WORK)
        pick.change(guarded(policy, Action.EXPLORE, pick_post), [pick], outs, api_visibility="private", **MODEL_WORK)
        ask.click(guarded(policy, Action.ASK_CLAUDE, ask_claude), [post_state], [cot], api_visibility="private")
    return {"pick": pick}


def build_annotate_tab(home: Path, post_state: gr.State, policy: AccessPolicy) -> dict:
    types = list(DEFAULT_ENTITY_TYPES)
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
        spans = gr.Dataframe(headers=h.SPAN_COLUMNS, interactive=True, label="Spans (edit start, end, type)",
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
            rel_table = gr.Dataframe(headers=h.RELATION_COLUMNS, interactive=False, elem_id="relations-table")
            rel_version = gr.State(None)
            with gr.Row():
                rel_index = gr.Number(label="Pair #", precision=0, value=0)
                rel_label = gr.Dropdown(list(MRE_RELATIONS), value="None", label="Relation")
                rel_save = gr.Button("Save relation", elem_id="save-relation-btn")
        history = gr.Dataframe(headers=["version", "source", "author", "saved at", "spans"], interactive=False,
                               label="History (newest first)")

        def show(view: h.AnnotateView):
            rels, rv = h.relations_view(home, view.post_id)
            text = " ".join(t for _, t in view.tokens)
            return (view.post_id, view.tokens, view.spans, view.version, view.history, view.status, rels, rv,
                    f"<div id='post-sentence'>{html.escape(text)}</div>",
                    gr.update(value=view.image, visible=bool(view.image)))

        outs = [annot_post, tokens, spans, version_state, history, status, rel_table, rel_version, post_text,
                annot_image]

        def load_queue(d, t, e, c, o, user):
            ids = h.queue(home, d, t, e, c, o)
            if not ids:
                return [ids, 0, "no post matches these filters"] + [gr.skip()] * len(outs)
            return [ids, 0, f"1 / {len(ids)}"] + list(show(h.annotate(home, ids[0])))

        def step(ids, pos, delta):
            if not ids:
                raise CotExplorerError("load a queue first: pick a dataset/split")
            pos = max(0, min(len(ids) - 1, pos + delta))
            return [pos, f"{pos + 1} / {len(ids)}"] + list(show(h.annotate(home, ids[pos])))

        def open_post(pid, user):
            return show(h.annotate(home, pid)) if pid else [gr.skip()] * len(outs)

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
                               lambda pid, rows, t, ty, user: h.add_span_by_text(home, pid, _rows(rows), t, ty)),
                       [annot_post, spans, span_text, span_type], [spans], api_visibility="private")
        accept_student.click(guarded(policy, Action.EXPLORE, lambda pid, user: h.suggestion_rows(home, pid, "student")),
                             [annot_post], [spans], api_visibility="private", **MODEL_WORK)
        accept_teacher.click(guarded(policy, Action.EXPLORE, lambda pid, user: h.suggestion_rows(home, pid, "teacher")),
                             [annot_post], [spans], api_visibility="private")

        def do_save(pid, rows, version, name, user):
            return show(h.save_labels(home, pid, _rows(rows), version, _author(name, user)))

        def do_undo(pid, version, name, user):
            return show(h.undo_labels(home, pid, version, _author(name, user)))

        def do_save_relation(pid, index, label, version, name, user):
            rows = h.save_relation(home, pid, int(index or 0), label, version, _author(name, user))
            return rows, h.relations_view(home, pid)[1]

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


# Events that run the student share two slots (the CPU's cores); all others run side by side
# (up to EVENT_SLOTS at once), so one person's error analysis never queues another's save.
MODEL_WORK = {"concurrency_id": "model", "concurrency_limit": 2}
EVENT_SLOTS = 16


def _rows(value) -> list[list]:
    """Dataframe values arrive as a pandas frame or a list of lists."""
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):
        return value.values.tolist()
    return list(value)


def confusion_figure(ea: h.ErrorAnalysis) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=ea.confusion, x=ea.labels, y=ea.labels, colorscale="Blues", text=ea.confusion,
                               texttemplate="%{text}"))
    fig.update_layout(title="Type confusion (rows: gold, columns: predicted)", xaxis_title="predicted",
                      yaxis_title="gold", height=380, margin=dict(t=40, b=40))
    return fig


def per_type_figure(ea: h.ErrorAnalysis) -> go.Figure:
    fig = go.Figure()
    for i, name in enumerate(("precision", "recall", "F1")):
        fig.add_bar(name=name, x=[r[0] for r in ea.per_type], y=[r[1 + i] for r in ea.per_type])
    fig.update_layout(barmode="group", title="Per type", yaxis_range=[0, 100], height=380, margin=dict(t=40, b=40))
    return fig


def build_errors_tab(home: Path, post_state: gr.State, policy: AccessPolicy) -> dict:
    with gr.Tab("Error analysis", id="errors"):
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
        errors = gr.Dataframe(headers=["post", "kind", "gold", "predicted"], interactive=False,
                              label="Errors (select a row to open the post)", elem_id="errors-table")
        all_errors = gr.State([])

        def analyse(d, m, user):
            ea = h.error_analysis(home, d, m or "default")
            return (ea.overall, [[k, v] for k, v in ea.kinds.items()], per_type_figure(ea), confusion_figure(ea),
                    ea.per_type, ea.errors, ea.errors)

        run.click(guarded(policy, Action.EXPLORE, analyse), [ds, model],
                  [overall, kinds, bars, heat, per_type, errors, all_errors], api_visibility="private", **MODEL_WORK)
        kind_filter.change(guarded(policy, Action.EXPLORE,
                                   lambda k, rows, user: [r for r in rows if k == "any" or r[1] == k]),
                           [kind_filter, all_errors], [errors], api_visibility="private")

        def open_row(rows, evt: gr.SelectData, user):
            return _rows(rows)[evt.index[0]][0]

        errors.select(guarded(policy, Action.EXPLORE, open_row), [errors], [post_state], api_visibility="private")
    return {"errors_dataset": ds, "errors_model": model}


def build_distill_tab(home: Path, policy: AccessPolicy) -> dict:
    with gr.Tab("Distill", id="distill"):
        gr.Markdown("Continue the default student on the **corrected** posts of a dataset, replaying as many earlier "
                    "posts, and measure it before and after on held-out posts the corrections never touch.")
        with gr.Row():
            dataset = gr.Dropdown(label="Dataset", choices=[], elem_id="distill-dataset")
            name = gr.Textbox(label="New version name (optional)", elem_id="distill-name")
            variant = gr.Dropdown(["distill", "text"], value="distill", label="Variant")
            epochs = gr.Slider(1, 10, value=2, step=1, label="Epochs (budget)")
            replay = gr.Slider(0, 3, value=1, step=0.5, label="Replay (× curated posts)")
            since = gr.Textbox(label="Corrected since (ISO date or model version, optional)", elem_id="distill-since")
        with gr.Row():
            start = gr.Button("Start distillation", variant="primary", elem_id="distill-start")
            cancel = gr.Button("Cancel", elem_id="distill-cancel")
        job_state = gr.State(None)
        progress = gr.Markdown(elem_id="job-progress")
        report = gr.JSON(label="Before / after", elem_id="job-result")
        timer = gr.Timer(1.0, active=True)
        with gr.Row():
            versions = gr.Dataframe(headers=["version", "variant", "F1", "created", "default", "origin"],
                                    interactive=False, label="Model versions", elem_id="versions-table")
            f1_plot = gr.Plot(label="F1 across versions")
        with gr.Row():
            pick = gr.Dropdown(label="Version", choices=[], elem_id="version-pick")
            promote = gr.Button("Promote to default", elem_id="promote-btn")
            rollback = gr.Button("Roll back", elem_id="rollback-btn")

        def render_versions():
            rows = h.versions(home)
            fig = go.Figure(go.Scatter(x=[r[0] for r in rows], y=[r[2] for r in rows], mode="lines+markers"))
            fig.update_layout(yaxis_title="F1", height=300, margin=dict(t=20, b=40))
            return rows, fig, gr.update(choices=[r[0] for r in rows])

        def poll(job_id, user):
            v = h.job_view(home, job_id)
            bar = "█" * int(20 * v.progress) + "░" * (20 - int(20 * v.progress))
            text = f"**Job {v.job_id}: {v.status}** `{bar}` progress: {round(100 * v.progress)}% — {v.message}"
            return text if v.job_id else "No distillation job yet.", v.result

        def do_start(d, n, var, ep, rep, since_value, user):
            return h.start_distill(home, d, n, var, int(ep), float(rep), since_value)

        start.click(guarded(policy, Action.DISTILL, do_start), [dataset, name, variant, epochs, replay, since],
                    [job_state], api_visibility="private")
        cancel.click(guarded(policy, Action.DISTILL, lambda j, user: h.cancel(home, j)), [job_state], None,
                     api_visibility="private")
        timer.tick(guarded(policy, Action.EXPLORE, poll, quiet=True), [job_state], [progress, report],
                   api_visibility="private")
        report.change(guarded(policy, Action.EXPLORE, lambda r, user: render_versions(), quiet=True), [report],
                      [versions, f1_plot, pick], api_visibility="private")

        def do_promote(version, user):
            h.promote(home, version)
            return render_versions()

        def do_rollback(user):
            h.rollback(home)
            return render_versions()

        promote.click(guarded(policy, Action.PROMOTE, do_promote), [pick], [versions, f1_plot, pick],
                      api_visibility="private")
        rollback.click(guarded(policy, Action.PROMOTE, do_rollback), None, [versions, f1_plot, pick],
                       api_visibility="private")
    return {"distill_dataset": dataset, "render_versions": render_versions, "versions": versions, "f1_plot": f1_plot,
            "version_pick": pick}


def build_store_tab(home: Path, policy: AccessPolicy) -> dict:
    with gr.Tab("Store", id="store"):
        where = gr.Markdown("Import more data with `cot-explorer import ...` (see the README).", elem_id="store-path")
        table = gr.Dataframe(headers=h.STATS_COLUMNS, interactive=False, elem_id="stats-table")
        gr.Button("Refresh").click(guarded(policy, Action.EXPLORE, lambda user: h.stats_rows(home)), outputs=table,
                                   api_visibility="private")
    return {"stats": table, "where": where}


def store_line(home: Path, user) -> str:
    """The store's path is for admins only."""
    if user.may(Action.SEE_STORE_PATH):
        return f"Store: `{home}`. Import more data with `cot-explorer import ...` (see the README)."
    return f"Signed in as **{user.label}** ({user.role}). Import more data with `cot-explorer import ...`."


def build_app(home: Path, policy: AccessPolicy | None = None, budget: AskBudget | None = None) -> gr.Blocks:
    policy = policy or AccessPolicy.from_env()
    budget = budget or AskBudget.from_env()
    # The store's images are served from where they are (never copied into Gradio's temporary
    # folder); Gradio's own cache of other outputs is emptied of files older than an hour.
    gr.set_static_paths([str((home / "images").resolve())])
    with gr.Blocks(title="CoT Explorer", delete_cache=(3600, 3600)) as demo:
        with gr.Row():
            gr.Markdown("# CoT Explorer\nTeacher chain of thought, student predictions, corrections, distillation.")
            if policy.uses_hf_sign_in:
                gr.LoginButton()
        post_state = gr.State(None)
        with gr.Tabs():
            ex = build_explore_tab(home, post_state, policy, budget)
            an = build_annotate_tab(home, post_state, policy)
            er = build_errors_tab(home, post_state, policy)
            di = build_distill_tab(home, policy)
            st = build_store_tab(home, policy)

        def on_load(user):
            splits = h.dataset_splits(home)
            ids = h.queue(home, splits[0]) if splits else []
            datasets = sorted({s.split("/")[0] for s in splits})
            rows, fig, pick = di["render_versions"]()
            models = ["default"] + [r[0] for r in rows]
            return (gr.update(choices=ids[:500]), gr.update(choices=splits), gr.update(choices=splits),
                    gr.update(choices=models), gr.update(choices=datasets, value=datasets[0] if datasets else None),
                    rows, fig, pick, h.stats_rows(home), store_line(home, user))

        demo.load(guarded(policy, Action.EXPLORE, on_load), None,
                  [ex["pick"], an["queue_dataset"], er["errors_dataset"], er["errors_model"], di["distill_dataset"],
                   di["versions"], di["f1_plot"], di["version_pick"], st["stats"], st["where"]],
                  api_visibility="private")
    demo.queue(default_concurrency_limit=EVENT_SLOTS)
    return demo


def launch_kwargs(home: Path, policy: AccessPolicy | None = None) -> dict:
    """What `launch` needs: the store's image folder (and nothing else of it) may be served,
    uploads are capped, and a login page when users are configured."""
    policy = policy or AccessPolicy.from_env()
    kwargs = {"head": SHORTCUTS, "allowed_paths": [str((home / "images").resolve())], "max_file_size": MAX_UPLOAD}
    if policy.uses_login_page:
        kwargs["auth"] = policy.check_password
        kwargs["auth_message"] = "CoT Explorer: sign in with the name and password your admin gave you."
    return kwargs
