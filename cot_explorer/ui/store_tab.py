"""The Store tab: what the store holds, per dataset and split (its path for admins only)."""

from __future__ import annotations

import shlex
from pathlib import Path

import gradio as gr

from ..access import AccessPolicy, Action, User
from ..paths import captions_file, data_dir, knowledge_file, mnre_file, twitter_file
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


def import_recipe(home: Path) -> str:
    """The commands that fill this store, ready to paste: the app has no import of its own (a
    dataset is a file on the server), and "`cot-explorer import ...`" left a newcomer at the
    Distill tab's "import more posts" with nothing to run. The benchmark data's paths are
    named where that folder is."""
    root = data_dir()
    where = f" --home {shlex.quote(str(home))}"
    corpus = twitter_file("twitter2017", "train", root)
    lines = [f"cot-explorer import twitter {shlex.quote(str(corpus))} --dataset twitter2017 --split train{where}",
             f"cot-explorer import knowledge {shlex.quote(str(knowledge_file('twitter2017', 'train', root)))} "
             f"--dataset twitter2017 --split train{where}",
             f"cot-explorer import captions {shlex.quote(str(captions_file('twitter2017', root)))} --dataset twitter2017{where}",
             # relations too: an MNRE round needs its own posts (the walk found no way to them here)
             f"cot-explorer import mnre {shlex.quote(str(mnre_file('train', root)))} --dataset mnre --split train{where}",
             f"cot-explorer import jsonl my_posts.jsonl --dataset mine --split train{where}"]
    if not corpus.exists():   # no benchmark data here: your own posts only
        lines = lines[-1:]
    return ("To add posts (a Distill round needs a split large enough to hold some out), run in a terminal "
            "beside the app, then press Refresh:\n\n```\n" + "\n".join(lines) + "\n```\n\n"
            "Each import is all or nothing: a bad line refuses the file and says where. The README lists every "
            "format (Twitter CoNLL, MNRE, the recorded reasoning, captions, JSONL).")


def store_line(home: Path, user: User) -> str:
    """The store's path, and how to fill it, are for admins only."""
    if user.may(Action.SEE_STORE_PATH):
        return f"Store: `{home}`.\n\n" + import_recipe(home)
    return (f"Signed in as **{user.label}** ({user.role}). New datasets are imported by the app's admin "
            "(`cot-explorer import`).")


def build_store_tab(home: Path, policy: AccessPolicy) -> dict:
    with gr.Tab("Store", id="store") as tab:
        where = gr.Markdown(elem_id="store-path")   # filled for who opens the page (store_line)
        table = gr.Dataframe(headers=STATS_COLUMNS, interactive=False, elem_id="stats-table")
        gr.Button("Refresh").click(guarded(policy, Action.EXPLORE, lambda user: stats_rows(home)), outputs=table,
                                   api_visibility="private")
        tab.select(guarded(policy, Action.EXPLORE, lambda user: stats_rows(home), quiet=True), outputs=table,
                   api_visibility="private")  # counts as of now whenever the tab is opened
    return {"stats": table, "where": where}
