"""The Distill tab: continue the default student on the corrected posts, as a background job
whose progress lives in the store; the versions it made, promote and roll back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go

from ..access import AccessPolicy, Action
from ..errors import ValidationError
from ..jobs import cancel_job, start_distill_job
from ..store import open_store
from ..store.jobs import get_job, latest_job
from ..store.model_versions import get_version
from ..student.registry import Registry
from .guard import guarded


def resolve_since(home: Path, since: str | None) -> str | None:
    """A curated-set start: an ISO date, or a model version (the corrections made after it)."""
    since = (since or "").strip()
    if not since:
        return None
    with open_store(home) as store:
        version = get_version(store, since)
    if version is not None:
        return version.created_at
    try:
        datetime.fromisoformat(since)
    except ValueError as e:
        raise ValidationError(f"{since!r} is neither an ISO date (2026-11-26) nor a known model version") from e
    return since


def start_distill(home: Path, dataset: str, name: str, variant: str, epochs: int, replay_ratio: float,
                  since: str | None = None) -> int:
    if not dataset:
        raise ValidationError("choose the dataset whose corrected posts to learn from")
    since_at = resolve_since(home, since)
    with open_store(home) as store:
        registry = Registry(store)
        name = registry.reserve(name.strip()) if (name or "").strip() else registry.automatic_name(f"{dataset}-round")
    try:
        return start_distill_job(home, {"dataset": dataset, "name": name, "variant": variant, "epochs": int(epochs),
                                        "replay_ratio": float(replay_ratio), "since": since_at})
    except BaseException:
        with open_store(home) as store:
            Registry(store).release(name)
        raise


@dataclass
class JobView:
    job_id: int | None
    status: str
    progress: float
    message: str
    result: dict | None


def job_view(home: Path, job_id: int | None = None) -> JobView:
    with open_store(home) as store:
        job = latest_job(store, "distill") if job_id is None else get_job(store, job_id)
    if job is None:
        return JobView(None, "no job yet", 0.0, "", None)
    progress = 1.0 if job.status == "done" else (job.step / job.total if job.total else 0.0)
    return JobView(job.id, job.status, progress, job.error or job.message, job.result)


def cancel_round(home: Path, job_id: int | None) -> None:
    view = job_view(home, job_id)
    if view.job_id is None or view.status != "running":
        raise ValidationError("no running distillation job to cancel")
    cancel_job(home, view.job_id)


@dataclass(frozen=True)
class VersionLine:
    """One model version as the versions table shows it."""
    name: str
    variant: str
    f1: float | None
    f1_set: str
    created_at: str
    is_default: bool
    shipped: bool

    def cells(self) -> list:
        return [self.name, self.variant, self.f1, self.f1_set, self.created_at, "default" if self.is_default else "",
                "shipped" if self.shipped else "trained here"]


VERSION_COLUMNS = ["version", "variant", "F1", "F1 on", "created", "default", "origin"]


def version_lines(home: Path) -> list[VersionLine]:
    with open_store(home) as store:
        reg = Registry(store)
        default = reg.default_path()
        out = []
        for m in reg.list():
            headline = m.manifest.headline_f1()
            out.append(VersionLine(m.name, m.manifest.variant, headline[0] if headline else None,
                                   headline[1] if headline else "-", m.manifest.created_at, m.path == default,
                                   m.shipped))
    return out


def promote_version(home: Path, name: str) -> None:
    if not name:
        raise ValidationError("pick a version to promote")
    with open_store(home) as store:
        Registry(store).promote(name)


def roll_back(home: Path) -> str:
    with open_store(home) as store:
        return Registry(store).rollback().name


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
            versions = gr.Dataframe(headers=VERSION_COLUMNS, interactive=False, label="Model versions",
                                    elem_id="versions-table")
            f1_plot = gr.Plot(label="F1 across versions")
        with gr.Row():
            pick = gr.Dropdown(label="Version", choices=[], elem_id="version-pick")
            promote = gr.Button("Promote to default", elem_id="promote-btn")
            rollback = gr.Button("Roll back", elem_id="rollback-btn")

        def render_versions():
            lines = version_lines(home)
            fig = go.Figure(go.Scatter(x=[v.name for v in lines], y=[v.f1 for v in lines], mode="lines+markers"))
            fig.update_layout(yaxis_title="F1", height=300, margin=dict(t=20, b=40))
            return [v.cells() for v in lines], fig, gr.update(choices=[v.name for v in lines])

        def poll(job_id, user):
            v = job_view(home, job_id)
            bar = "█" * int(20 * v.progress) + "░" * (20 - int(20 * v.progress))
            text = f"**Job {v.job_id}: {v.status}** `{bar}` progress: {round(100 * v.progress)}% — {v.message}"
            return text if v.job_id else "No distillation job yet.", v.result

        def do_start(d, n, var, ep, rep, since_value, user):
            return start_distill(home, d, n, var, int(ep), float(rep), since_value)

        start.click(guarded(policy, Action.DISTILL, do_start), [dataset, name, variant, epochs, replay, since],
                    [job_state], api_visibility="private")
        cancel.click(guarded(policy, Action.DISTILL, lambda j, user: cancel_round(home, j)), [job_state], None,
                     api_visibility="private")
        timer.tick(guarded(policy, Action.EXPLORE, poll, quiet=True), [job_state], [progress, report],
                   api_visibility="private")
        report.change(guarded(policy, Action.EXPLORE, lambda r, user: render_versions(), quiet=True), [report],
                      [versions, f1_plot, pick], api_visibility="private")

        def do_promote(version, user):
            promote_version(home, version)
            return render_versions()

        def do_rollback(user):
            roll_back(home)
            return render_versions()

        promote.click(guarded(policy, Action.PROMOTE, do_promote), [pick], [versions, f1_plot, pick],
                      api_visibility="private")
        rollback.click(guarded(policy, Action.PROMOTE, do_rollback), None, [versions, f1_plot, pick],
                       api_visibility="private")
    return {"distill_dataset": dataset, "render_versions": render_versions, "versions": versions, "f1_plot": f1_plot,
            "version_pick": pick}
