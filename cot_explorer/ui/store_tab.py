"""The Store tab: what the store holds, per dataset and split (its path for admins only), its
labels exported as files to download, and dataset files imported (admins)."""

from __future__ import annotations

import functools
import io
import shlex
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from ..access import AccessPolicy, Action, User
from ..errors import ValidationError
from ..exporter import export
from ..importer import file_sha256
from ..paths import captions_file, data_dir, knowledge_file, mnre_file, twitter_file
from ..store import blind as blind_store
from ..store import open_store
from ..store.imports import earlier_imports_of
from ..store.stats import SplitStats, compute_stats
from .common import DatasetSplit, dataset_splits, refusal_said
from .guard import guarded
from .store_import import DETECT, FORMATS, import_file, split_box_after_pick

STATS_COLUMNS = ["dataset", "split", "posts", "entities", "relations", "with knowledge", "with caption", "corrected"]


def stats_cells(s: SplitStats, blind: bool = False) -> list:
    """A split's row. `blind`: a split annotated blind, to one of its annotators: how many posts
    were corrected is others' work too, which they must not read (their own count is in
    Annotate's progress line)."""
    corrected = ("blind: yours in Annotate" if blind else
                 f"{s.corrected_posts} ({s.confirmed_posts} confirmed as imported)" if s.confirmed_posts
                 else s.corrected_posts)
    return [s.dataset, s.split, s.posts, " ".join(f"{t}:{n}" for t, n in s.spans_per_type.items()), s.relations,
            s.posts_with_knowledge, s.posts_with_caption, corrected]


def stats_rows(home: Path) -> list[list]:
    with open_store(home) as store:
        return [stats_cells(s) for s in compute_stats(store)]


def store_now(home: Path, user: User, policy: AccessPolicy | None = None) -> tuple[list[list], str]:
    """The table and the line above it, from one read of the store's counts (the page load and
    the tab's opening read them twice)."""
    with open_store(home) as store:
        stats = compute_stats(store)
        hidden = blind_store.blind_splits(store) if not user.may(Action.SET_BLIND) else set()
    return [stats_cells(s, (s.dataset, s.split) in hidden) for s in stats], store_line(home, user, policy, stats)


@functools.lru_cache(maxsize=32)
def _sha_at(path: str, mtime_ns: int, size: int) -> str:
    return file_sha256(path)


def _sha_of(path: Path) -> str:
    """A file's SHA-256, as the imports' log keeps it; read again only once the file changed
    (the tab's line is drawn on every opening)."""
    st = path.stat()
    return _sha_at(str(path), st.st_mtime_ns, st.st_size)


def import_recipe(home: Path, stats: list[SplitStats] | None = None) -> str:
    """How to fill this store: a file picked in "Import a dataset file" below, or the commands
    to paste for a file on the server ("`cot-explorer import ...`" alone left a newcomer at the
    Distill tab's "import more posts" with nothing to run). The benchmark data's paths are
    named where that folder is."""
    root = data_dir()
    where = f" --home {shlex.quote(str(home))}"
    # what the store holds already is not offered again (each import was suggested after it was done)
    if stats is None:
        with open_store(home) as store:
            stats = compute_stats(store)
    held = {(st.dataset, st.split): st for st in stats}
    # a file imported under a name of one's own (twitter2017/valid as t17/valid) is held too:
    # offered again, it would have put the same 723 posts in twice
    renamed: dict[str, str] = {}

    def imported_as(kind: str, path: Path, d: str, split: str) -> tuple[str, str | None] | None:
        """The split of the store `path` went into under another name, if it is there still."""
        if not path.is_file():
            return None
        with open_store(home) as store:
            earlier = [x for x in earlier_imports_of(store, kind, _sha_of(path)) if x in held and x != (d, split)]
        if earlier:
            renamed[f"{d}/{split}"] = "/".join(x for x in earlier[0] if x)
        return earlier[0] if earlier else None

    posts = lambda d, split: (d, split) in held or imported_as(  # noqa: E731
        "mnre" if d == "mnre" else "twitter", mnre_file(split, root) if d == "mnre" else twitter_file(d, split, root),
        d, split) is not None
    knows = lambda d, split: ((d, split) in held and held[(d, split)].posts_with_knowledge > 0  # noqa: E731
                              or imported_as("knowledge", knowledge_file(d, split, root), d, split) is not None)
    # the splits the shipped models never learnt: the train files were theirs, and a dataset of
    # them held nothing a round could measure on ("trained on 3373 of the 3373 posts"); both
    # corpora (Twitter-2015 was left out, though its valid file is here too)
    corpus = twitter_file("twitter2017", "valid", root)
    unseen = (("twitter2017", ("valid", "test"), ""), ("twitter2015", ("valid",), " --repair-bio"))
    lines = []
    for d, splits, flag in unseen:
        lines += [line for split in splits for line, done in (
                      (f"cot-explorer import twitter {shlex.quote(str(twitter_file(d, split, root)))} "
                       f"--dataset {d} --split {split}{flag}{where}", posts(d, split)),
                      (f"cot-explorer import knowledge {shlex.quote(str(knowledge_file(d, split, root)))} "
                       f"--dataset {d} --split {split}{where}", knows(d, split))) if not done]
        if not any(st.posts_with_caption for (dd, _), st in held.items() if dd == d):
            lines.append(f"cot-explorer import captions {shlex.quote(str(captions_file(d, root)))} --dataset {d}{where}")
    # relations too: an MNRE round needs its own posts (the walk found no way to them here)
    lines += [f"cot-explorer import mnre {shlex.quote(str(mnre_file(split, root)))} --dataset mnre --split {split}{where}"
              for split in ("valid", "test") if not posts("mnre", split)]
    lines.append(f"cot-explorer import jsonl my_posts.jsonl --dataset mine --split train{where}")
    done = [f"{d}/{sp}" + (f" (as {renamed[f'{d}/{sp}']})" if f"{d}/{sp}" in renamed else "")
            for d, sp in (("twitter2017", "valid"), ("twitter2017", "test"), ("twitter2015", "valid"),
                          ("mnre", "valid"), ("mnre", "test")) if posts(d, sp)]
    if not corpus.exists():   # no benchmark data here: your own posts only
        lines, done = lines[-1:], []
    return ("To add posts (a Distill round needs a split large enough to hold some out), pick a file in "
            "**Import a dataset file** below; or, for a file on the server, run in a terminal beside the app, then "
            "press Refresh:\n\n```\n" + "\n".join(lines) + "\n```\n\n"
            + (f"Already in this store, so not listed: {', '.join(done)}.\n\n" if done else "")
            + ("The shipped models learnt the benchmark's train files, so a round on those has nothing to measure "
               "on: the valid and test files above are posts they have not seen (a round trains on the corrections "
               "of valid and measures on test).\n\n" if corpus.exists() else "")
            + "Each import is all or nothing: a bad line refuses the file, and the bad lines are said all at once. The README lists every "
            "format (Twitter CoNLL, MNRE, the recorded reasoning, captions, JSONL).\n\n"
            "A split imported by mistake is taken out by the same command line; it says what would go first, and "
            "removes nothing until you add `--yes`:\n\n"
            f"```\ncot-explorer remove --dataset mine --split train{where}\n```")


def store_line(home: Path, user: User, policy: AccessPolicy | None = None,
               stats: list[SplitStats] | None = None) -> str:
    """The store's path, and how to fill it, are for admins only. A visitor is not told they
    are signed in (on a Space without sign-in, "Signed in as visitor" named what no one can do)."""
    if user.may(Action.SEE_STORE_PATH):
        return f"Store: `{home}`.\n\n" + import_recipe(home, stats)
    if not user.name:
        why = (" This Space has no sign-in, so everyone is a viewer." if policy is not None and policy.nobody_signs_in
               else " Signing in with Hugging Face gives the role the Space's admins gave you.")
        return ("You are a visitor (viewer): you may explore the posts and have the student predict your own; saving "
                f"labels is for annotators.{why} New datasets are imported by the app's admin.")
    return (f"Signed in as **{user.label}** ({user.role}). New datasets are imported by the app's admin "
            "(`cot-explorer import`).")


# What can be downloaded, as the CLI's `export` writes it: (format, label source)
EXPORT_KINDS = {
    "JSONL: current labels (imports again with cot-explorer import jsonl)": ("jsonl", None),
    "CoNLL: the dataset's own labels (gold)": ("conll", "gold"),
    "CoNLL: current labels (corrections included)": ("conll", "current"),
    "CoNLL: the annotators' corrections (corrected posts only)": ("conll", "annotator"),
    "CoNLL: the teacher's entities (posts it answered)": ("conll", "teacher"),
    "CoNLL: the student's predictions (posts it read)": ("conll", "student"),
}
# one folder of this app's exports in the system's temporary folder (Gradio serves files from
# there), emptied of files older than Gradio keeps its own copies (an hour)
EXPORTS = Path(tempfile.gettempdir()) / "cot-explorer-exports"
KEEP_EXPORTS_S = 3600


def export_split(home: Path, label: str | None, kind: str | None) -> tuple[str, str]:
    """A file of one dataset/split's labels, as `cot-explorer export` writes it, and a line
    saying what is in it (there was no export in the app: the CLI only). Written in memory
    first: a refused export leaves no file behind."""
    split = DatasetSplit.parse(label)
    if kind not in EXPORT_KINDS:
        raise ValidationError("choose what to export")
    fmt, source = EXPORT_KINDS[kind]
    buffer = io.StringIO()
    with open_store(home) as store:
        report = export(store, buffer, fmt, split.dataset, split.split, source or "gold")
    name = f"{split.dataset}-{split.split}" + (f"-{source}.conll" if fmt == "conll" else ".jsonl")
    _prune_exports()
    path = Path(tempfile.mkdtemp(prefix="export-", dir=_exports_folder())) / name.replace("/", "_")
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="\n")
    said = report.sentence(of=split.label, to=f"`{name}`")
    return str(path), f"{said[0].upper()}{said[1:]}."


def _exports_folder() -> Path:
    EXPORTS.mkdir(exist_ok=True)
    return EXPORTS


def _prune_exports() -> None:
    """Exports older than Gradio keeps its copies go (every export made a folder that stayed)."""
    cutoff = time.time() - KEEP_EXPORTS_S
    for folder in EXPORTS.glob("export-*") if EXPORTS.is_dir() else ():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:   # gone meanwhile (another export pruned it)
            pass


def build_store_tab(home: Path, policy: AccessPolicy) -> dict:
    with gr.Tab("Store", id="store") as tab:
        where = gr.Markdown(elem_id="store-path")   # filled for who opens the page (store_line)
        # every dataset in sight (its last row was under the table's own scroll)
        table = gr.Dataframe(headers=STATS_COLUMNS, interactive=False, elem_id="stats-table", max_height=2000)
        # the commands to paste too: one run from a terminal is no longer offered (store_line)
        refreshed = gr.Button("Refresh").click(
            guarded(policy, Action.EXPLORE, lambda user: store_now(home, user, policy)),
            outputs=[table, where], api_visibility="private")
        with gr.Accordion("Export labels (admins)", open=False, elem_id="export-box",
                          visible=policy.mode == "local") as export_box:   # shown to admins by the page load
            with gr.Row():
                # any value reaches the server, which says what it holds (the choices come as the tab opens)
                split = gr.Dropdown(label="Dataset/split", choices=[], elem_id="export-split", allow_custom_value=True)
                kind = gr.Dropdown(label="What", choices=list(EXPORT_KINDS), value=next(iter(EXPORT_KINDS)),
                                   elem_id="export-kind")
            export = gr.Button("Export", elem_id="export-btn")
            # on show once there is a file (empty, it was a large blank box)
            file = gr.File(label="Download", interactive=False, elem_id="export-file", visible=False)
            said = gr.Markdown(elem_id="export-note")

        # a refusal said under the button, and no file of an earlier export left beside it
        @refusal_said(2, lambda out, args, e: out.__setitem__(0, gr.update(value=None, visible=False)))
        def do_export(label, what, user):
            path, line = export_split(home, label, what)
            return gr.update(value=path, visible=True), line

        export.click(guarded(policy, Action.EXPORT, do_export), [split, kind], [file, said], api_visibility="private")

        with gr.Accordion("Import a dataset file (admins)", open=False, elem_id="import-box",
                          visible=policy.mode == "local") as import_box:   # shown to admins by the page load
            gr.Markdown("A Twitter CoNLL file, an MNRE file or JSONL, into a dataset and split of this store. "
                        "All or nothing: a file with a bad line is refused, with every bad line said.")
            with gr.Row():
                upload = gr.File(label="File", type="filepath", elem_id="import-file",
                                 file_types=[".txt", ".conll", ".jsonl", ".json", ".tsv"])
                with gr.Column():
                    fmt = gr.Dropdown(label="Format", choices=list(FORMATS), value=DETECT, elem_id="import-format")
                    with gr.Row():
                        into = gr.Textbox(label="Dataset", placeholder="e.g. mine", elem_id="import-dataset", max_lines=1)
                        into_split = gr.Textbox(label="Split", value="train", elem_id="import-split", max_lines=1)
                    repair = gr.Checkbox(label="An I- tag may start an entity (read as B-; Twitter-2015 has some)",
                                         elem_id="import-repair")
            run_import = gr.Button("Import", elem_id="import-btn")
            imported_note = gr.Markdown(elem_id="import-note")
            # the split just imported, one press away (Annotate stayed on the demo's, though the
            # line said its posts were there now)
            annotate_imported = gr.Button(visible=False, size="sm", elem_id="import-annotate")
            imported_split = gr.State(None)

        def guess_split(path, typed):
            guess = split_box_after_pick(path, typed)
            return guess if guess is not None else gr.skip()

        upload.change(guess_split, [upload, into_split], [into_split], api_visibility="private",
                      show_progress="hidden")

        # said under the button, the table and the file as they were; no way to an earlier import's split beside it
        @refusal_said(6, lambda out, args, e: out.__setitem__(3, gr.update(visible=False)))
        def do_import(path, what, d, sp, fix, user):
            """Imported, the file leaves its box: left there, a second press under another name
            imported it again (a walker made two copies of a split so)."""
            done = import_file(home, path, what, d, sp, fix)
            rows, where_now = store_now(home, user, policy)
            go = (gr.update(value=f"Annotate {done.posts_in} →", visible=True) if done.posts_in
                  else gr.update(visible=False))
            return rows, None, where_now, go, done.posts_in, done.said

        imported = run_import.click(guarded(policy, Action.IMPORT, do_import), [upload, fmt, into, into_split, repair],
                                    [table, upload, where, annotate_imported, imported_split, imported_note],
                                    api_visibility="private")
        # what came of it, brought into view: it was below the window's foot, and a walker could
        # not tell whether the import had worked
        imported.then(None, None, None, api_visibility="private",
                      js="() => { document.getElementById('import-note')?.scrollIntoView({ block: 'nearest' }); return []; }")

        def opened(current, user):
            """Counts (and what there is to import) as of now whenever the tab is opened, and the
            splits there are to export."""
            labels = [s.label for s in dataset_splits(home)]
            rows, where_now = store_now(home, user, policy)
            return rows, gr.update(choices=labels, value=current if current in labels else
                                   (labels[0] if labels else None)), where_now

        opened_now = tab.select(guarded(policy, Action.EXPLORE, opened, quiet=True), [split], [table, split, where],
                                api_visibility="private")
    # a split imported from a terminal beside the app reaches every tab's choices on Refresh, or as
    # the tab opens (the table listed it; Annotate and Errors did not, until a reload)
    return {"stats": table, "where": where, "imported": imported, "refreshed": [refreshed, opened_now],
            "annotate_imported": annotate_imported, "imported_split": imported_split,
            "export_split": split,
            "admin_controls": [(export_box, Action.EXPORT), (import_box, Action.IMPORT)]}
