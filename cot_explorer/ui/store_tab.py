"""The Store tab: what the store holds, per dataset and split (its path for admins only)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..access import AccessPolicy, Action, User
from ..store import open_store
from ..store.stats import SplitStats, compute_stats
from .guard import guarded

STATS_COLUMNS = ["dataset", "split", "posts", "entities", "relations", "with knowledge", "with caption", "corrected"]


def stats_cells(s: SplitStats) -> list:
    return [s.dataset, s.split, s.posts, " ".join(f"{t}:{n}" for t, n in s.spans_per_type.items()), s.relations,
            s.posts_with_knowledge, s.posts_with_caption, s.corrected_posts]


def stats_rows(home: Path) -> list[list]:
    with open_store(home) as store:
        return [stats_cells(s) for s in compute_stats(store)]


def store_line(home: Path, user: User) -> str:
    """The store's path is for admins only."""
    if user.may(Action.SEE_STORE_PATH):
        return f"Store: `{home}`. Import more data with `cot-explorer import ...` (see the README)."
    return f"Signed in as **{user.label}** ({user.role}). Import more data with `cot-explorer import ...`."


def build_store_tab(home: Path, policy: AccessPolicy) -> dict:
    with gr.Tab("Store", id="store") as tab:
        where = gr.Markdown("Import more data with `cot-explorer import ...` (see the README).", elem_id="store-path")
        table = gr.Dataframe(headers=STATS_COLUMNS, interactive=False, elem_id="stats-table")
        gr.Button("Refresh").click(guarded(policy, Action.EXPLORE, lambda user: stats_rows(home)), outputs=table,
                                   api_visibility="private")
        tab.select(guarded(policy, Action.EXPLORE, lambda user: stats_rows(home), quiet=True), outputs=table,
                   api_visibility="private")  # counts as of now whenever the tab is opened
    return {"stats": table, "where": where}
