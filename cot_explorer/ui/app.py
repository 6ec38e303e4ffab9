"""Layout and wiring only; the work happens in `handlers`."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..errors import CotExplorerError
from . import handlers


def build_overview_tab(home: Path) -> None:
    with gr.Tab("Overview"):
        gr.Markdown(f"Store: `{home}`. Import data with `cot-explorer import ...` (see README).")
        table = gr.Dataframe(headers=handlers.STATS_COLUMNS, value=lambda: handlers.stats_rows(home),
                             interactive=False)
        gr.Button("Refresh").click(lambda: handlers.stats_rows(home), outputs=table)


def build_add_post_tab(home: Path) -> None:
    with gr.Tab("Add a post"):
        text = gr.Textbox(label="Tweet text", lines=3)
        image = gr.Image(label="Image (optional)", type="filepath")
        button = gr.Button("Add", variant="primary")
        post_id = gr.Textbox(label="Post id", interactive=False)
        tokens = gr.Dataframe(headers=["token", "start", "end"], interactive=False)

        def on_add(t: str, img: str | None):
            try:
                return handlers.add_post(home, t, img)
            except CotExplorerError as e:
                raise gr.Error(str(e))

        button.click(on_add, inputs=[text, image], outputs=[post_id, tokens], api_visibility="private")


def build_app(home: Path) -> gr.Blocks:
    with gr.Blocks(title="CoT Explorer") as demo:
        gr.Markdown("# CoT Explorer\nMultimodal NER and relation extraction: teacher CoT, student, corrections.")
        build_overview_tab(home)
        build_add_post_tab(home)
    return demo
