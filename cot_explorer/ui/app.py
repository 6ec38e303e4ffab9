"""The whole app: each tab is its own module (handlers and `build_*_tab` together); this one
assembles them, wires the page load, and says how to launch."""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path

import gradio as gr

from ..access import AccessPolicy, Action, User
from ..ask_budget import AskBudget
from ..limits import MAX_IMAGE_BYTES, MAX_UPLOAD
from ..predict_budget import PredictBudget
from .annotate import build_annotate_tab
from .common import dataset_splits, markdown_literal, post_choices, teacher_available, team_split
from .distill import build_distill_tab
from .errors_tab import READ_ANALYSIS as ERRORS_READ_ANALYSIS
from .errors_tab import RememberedAnalysis, build_errors_tab, versions_kept
from .errors_tab import model_updates as errors_model_updates
from .explore import ASK_IS_ADMINS, PICK_LABEL, build_explore_tab
from .guard import guarded
from .span_editor import UI_ASSETS
from .store_tab import build_store_tab, store_now

log = logging.getLogger(__name__)

# an image over the cap said beside its box, not only in Gradio's corner toast
IMAGE_TOO_BIG = (UI_ASSETS / "image_too_big.js").read_text(encoding="utf-8").replace("LIMIT_BYTES", str(MAX_IMAGE_BYTES))
# the app's answers in words read out by a screen reader as they change, and the dropdowns'
# Tab and Escape (an open list was left over the form), the tab a reload comes back to, and a
# line that says so when the app cannot be reached or the sign-in ended (each box said "Error"),
# a way past Errors' tables and plots to its error rows, and the error table's column filters
# cleared at each analysis
PAGE_SCRIPTS = [(UI_ASSETS / name).read_text(encoding="utf-8")
                for name in ("live_regions.js", "dropdown_keys.js", "tab_memory.js", "connection_lost.js",
                             "errors_skip.js", "errors_filters.js")]

# Events that run the student share two slots (the CPU's cores); all others run side by side
# (up to EVENT_SLOTS at once), so one person's error analysis never queues another's save.
MODEL_WORK = {"concurrency_id": "model", "concurrency_limit": 2}

# On a phone (390 px) every tab fits in the bar, and columns stack with results first.
PAGE_CSS = """
/* the Errors tab's last analysis while another is made (errors_tab.GREY_OUT_RESULTS) */
.cot-analysing { opacity: 0.35; pointer-events: none; transition: opacity 0.2s; }
/* the Annotator name of a signed-in person is theirs, not to type: it looked like a box to type in */
#annotator input:disabled, #annotator textarea:disabled { background: transparent; border-style: dashed;
  cursor: not-allowed; box-shadow: none; }
/* another teacher's chain of thought, folded under the newest (explore.cot_markdown) */
details.cot-earlier { border-left: 3px solid var(--border-color-primary); padding-left: 0.6em; margin-top: 0.8em; }
details.cot-earlier > summary { cursor: pointer; font-weight: 600; }
/* read by a screen reader, not shown (Explore's entity types, the editor's announcements) */
.cot-sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
/* Annotate's skip link (span_editor.js): out of sight, and out of the layout, until the
   keyboard reaches it; then over the filters' top left corner */
a.se-skip { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
a.se-skip:focus { left: 8px; top: 4px; z-index: 1000; width: auto; height: auto; padding: 4px 10px;
  border: 2px solid #1d4ed8; border-radius: 6px; background: #fff; color: #1d4ed8; }
/* who is signed in, at the header's right (a login page is used) */
#signed-in, #space-line { text-align: right; align-self: center; }
/* an image over the upload cap, said beside its box (image_too_big.js) */
#image-too-big { margin: 6px 0 0; color: var(--error-text-color, #b91c1c); font-weight: 600; }
/* Gradio's semibold Source Sans Pro file (600, the weight of buttons and bold text) holds a few
   glyphs only (5 KB): the others came from a fallback font, so "Analyse" had its "A" in one
   font and the rest in another. The full regular and bold files it ships, under a family of
   our own, come first. */
@font-face { font-family: 'CoT Source Sans'; font-weight: 400; font-style: normal;
  src: url('static/fonts/SourceSansPro/SourceSansPro-Regular.woff2') format('woff2'); }
@font-face { font-family: 'CoT Source Sans'; font-weight: 600 700; font-style: normal;
  src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2'); }
.gradio-container { --font: 'CoT Source Sans', 'Source Sans Pro', ui-sans-serif, system-ui, sans-serif; }
/* the annotator field, when a save was refused for want of a name (annotate.SHOW_NAME_WHEN_ASKED) */
#annotator.cot-asked { box-shadow: inset 0 0 0 3px #f97316 !important; }   /* inside: its row clips an outline */
/* relations saved once a name was given, said at the foot of the window while the editor's bar
   is out of view (span_editor.js confirmInSight; the component's own CSS is scoped to it), and
   the status line's answer while it is (annotate.STATUS_IN_SIGHT) */
#se-toast, #status-toast { position: fixed; left: 12px; right: 12px; bottom: 16px; margin: 0 auto; width: fit-content; z-index: 1000;
  display: flex; gap: 8px; align-items: center; padding: 8px 12px; border-radius: 8px;
  background: #14532d; color: #fff; box-shadow: 0 4px 14px rgba(0, 0, 0, .3); font-size: 15px; }
#se-toast button, #status-toast button { background: transparent; color: #fff; border: 1px solid rgba(255, 255, 255, .6);
  border-radius: 6px; padding: 2px 10px; cursor: pointer; }
/* tables of words break between words, not inside one ("/per/misc/nationality" stays whole
   where its column can hold it): the text font, narrower than the code font, and no
   word-break: break-word (Gradio's wrapped cells break any word at the column's edge) */
#explore-relations .cell-wrap span, #errors-table .cell-wrap span, #annotate-history .cell-wrap span,
#agreement-table .cell-wrap span, #versions-table .cell-wrap span, #job-result .cell-wrap span,
#job-changes .cell-wrap span, #errors-overall .cell-wrap span, #errors-per-type .cell-wrap span,
#stats-table .cell-wrap span, #errors-kinds .cell-wrap span, #rounds-table .cell-wrap span,
#promotions-table .cell-wrap span, #promotions-table th span {
  word-break: normal !important; overflow-wrap: break-word !important; font-family: var(--font) !important;
}
/* the import commands wrap at the block's edge (the first was cut, its --home out of sight) */
#store-path pre, #store-path code { white-space: pre-wrap !important; overflow-wrap: anywhere; }
/* the queue's checkboxes keep their words on a line: on a phone they wrap below, not cut */
#queue-errors-only, #queue-not-corrected { min-width: 150px !important; }
/* the order's longest name ("teacher-student disagreement") clear of the box's arrow */
#queue-order { min-width: 280px !important; }
@media (max-width: 640px) {
  /* the header's words across the screen, who is signed in below them, in a smaller type: in a
     column beside the sign-in line they took half the first screen */
  #app-top { flex-direction: column !important; gap: 2px !important; }
  #app-header h1 { font-size: 22px !important; margin-bottom: 2px !important; }
  #app-header p { font-size: 14px !important; line-height: 1.35 !important; }
  #signed-in, #space-line { text-align: left; }
  .tab-container button { padding: 6px 7px !important; font-size: 14px !important; }
  .tab-wrapper { flex-wrap: wrap; height: auto !important; }
  .overflow-menu { display: contents !important; }
  .overflow-menu > button[aria-label="More tabs"] { display: none !important; }
  .overflow-dropdown, .overflow-dropdown.hide { display: flex !important; position: static !important;
    box-shadow: none !important; border: none !important; padding: 0 !important; background: transparent !important; }
  .overflow-dropdown button { padding: 6px 7px !important; font-size: 14px !important; }
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  /* a dataset/split name ("demo-mnre/test") is read whole, not under the box's arrow */
  #queue-dataset, #errors-dataset { min-width: 100% !important; }
  /* and a version's name, the default's "(default)" and Compare's reason (cut: "mre-default (defa") */
  #errors-model, #errors-compare, #queue-order { min-width: 100% !important; }
  /* tables of many columns are laid out at a tablet's width and scroll sideways, so that a
     word is not cut into letters; Gradio sizes the columns from the table's own width, so a
     min-width here keeps header and body aligned (one on the cells did not) */
  #errors-table .table-container, #explore-relations .table-container,
  #annotate-history .table-container, #rounds-table .table-container { min-width: 720px; }
  #errors-overall .table-container, #agreement-table .table-container, #versions-table .table-container,
  #job-changes .table-container, #stats-table .table-container { min-width: 560px; }
  /* and say so above them (a walker read the agreement table's first two columns as all of it) */
  #errors-table::before, #explore-relations::before, #annotate-history::before, #rounds-table::before,
  #errors-overall::before, #agreement-table::before, #versions-table::before, #job-changes::before,
  #stats-table::before { content: "⇆ wider than the screen: swipe sideways for every column"; display: block;
    font-size: 12px; color: var(--body-text-color-subdued); padding: 2px 4px; }
  /* a round's before/after on the screen's width, its widths shared out (distill.py): laid out
     wider, the numbers were off to the right with no cue to scroll */
  #job-result .cell-wrap, #job-result .cell-wrap span { font-size: 13px; }
  #job-result td, #job-result th { padding: 2px !important; }
  #job-result .cell-wrap { padding: 4px !important; }
  /* an accordion's title on two lines reads from the left, as on one (it was centred) */
  button.label-wrap { text-align: left !important; }
  .wide-plot { overflow-x: auto !important; }
  .wide-plot .js-plotly-plot { min-width: 680px; }
}
"""
EVENT_SLOTS = 16


def signed_in_line(user: User) -> str:
    """The header's line where a login page is used: the name saves go under, and Sign out."""
    # HTML, not Markdown: Gradio opens a Markdown link in a new tab, where the sign-out did not
    # reach the page signed in
    # the page's first Tab stop skips to the tabs: it was Sign out, which Enter pressed at once
    # (a keyboard user's first key) signed out; the skip link shows only while it has the focus
    return ('<a class="se-skip" href="#main-tabs">Skip to the tabs</a>'
            f'Signed in as <b>{html.escape(user.label)}</b> ({user.role}) · '
            '<a href="logout?all_session=false" target="_self">Sign out</a>')


def space_line(user: User, policy: AccessPolicy) -> str:
    """The header's line on a Space: what a visitor may do here, on every tab (it was said on
    the Store tab alone, and a visitor met disabled boxes on Annotate unexplained)."""
    if user.name:
        return f"Signed in as **{markdown_literal(user.label)}** ({user.role})."
    how = ("This Space has no sign-in." if policy.nobody_signs_in
           else "Sign in with Hugging Face for the role the Space's admins gave you.")
    return ("You are a visitor: explore the posts and have the student predict a tweet of yours; "
            f"saving labels is for annotators. {how}")


def admin_only_line(user: User) -> str:
    """Where admins' buttons are hidden, why (the Distill tab)."""
    who = f"{markdown_literal(user.label)} ({user.role})" if user.name else "a visitor who has not signed in"
    return (f"*Starting or cancelling a round, promoting and rolling back are for admins; you are {who}. "
            "The plan above and the versions below are yours to read.*")


# how long a removed user's sign-in outlives the action that found them removed: that action's
# answer ("no longer a user of this app") comes back on the page's stream of results, which a
# session ended at once refused (HTTP 401), so the page never said why it was signed out
REMOVED_SESSION_GRACE_S = 3.0


def end_sessions(demo: gr.Blocks, names: frozenset[str], removed: frozenset[str] = frozenset()) -> None:
    """The sign-ins of `names` end (their password was reset, or they were removed): Gradio
    keeps a token per signed-in browser in its server app, and a request whose token is gone is
    refused (the page then says it was signed out). Before the app serves, there are none.
    Those of `removed` end a little later: every action refuses them meanwhile (the policy
    finds no account), and the one that found them removed is answered first."""
    tokens = getattr(getattr(demo, "server_app", None), "tokens", None)
    # the sign-ins as they are now: a removed user added again meanwhile keeps their new one
    ending = [(token, name) for token, name in list((tokens or {}).items()) if name in names]

    def end(which: list[tuple[str, str]]) -> None:
        for token, name in which:
            if tokens.pop(token, None) is not None:
                log.info("ended a session of %s (their account changed in the users file)", name)

    end([(t, n) for t, n in ending if n not in removed])
    later = [(t, n) for t, n in ending if n in removed]
    if later:
        timer = threading.Timer(REMOVED_SESSION_GRACE_S, end, args=(later,))
        timer.daemon = True
        timer.start()


def build_app(home: Path, policy: AccessPolicy | None = None, budget: AskBudget | None = None,
              predictions: PredictBudget | None = None) -> gr.Blocks:
    policy = policy or AccessPolicy.from_env()
    budget = budget or AskBudget.from_env()
    predictions = predictions or PredictBudget.from_env()   # a viewer's share of predictions an hour
    # The store's images are served from where they are (never copied into Gradio's temporary
    # folder); Gradio's own cache of other outputs is emptied of files older than an hour.
    gr.set_static_paths([str((home / "images").resolve())])
    with gr.Blocks(title="CoT Explorer", delete_cache=(3600, 3600)) as demo:
        if policy.users is not None:
            policy.users.on_accounts_ended = lambda names, removed: end_sessions(demo, names, removed)
        with gr.Row(elem_id="app-top"):
            # what the app is about, for a Space's visitor who lands on it (the line named its parts only)
            gr.Markdown("# CoT Explorer\nNames in tweets that come with an image (people, places, organisations, "
                        "other) and the relations between them: a large teacher's chain of thought beside a small "
                        "text-only student's predictions, labels to correct, and the student distilled again on "
                        "the corrections.", elem_id="app-header")
            if policy.uses_hf_sign_in:
                gr.LoginButton()
            # who is signed in, and the way out (there was none: on a shared browser the next
            # person had to know of /logout); filled in by the page load
            signed_in = gr.HTML(elem_id="signed-in") if policy.uses_login_page else None
            on_space = gr.Markdown(elem_id="space-line") if policy.mode == "space" else None
        post_state = gr.State(None)
        pair_state = gr.State(None)   # the entity pair an error row is about: Annotate shows it
        with gr.Tabs(elem_id="main-tabs") as tabs:
            ex = build_explore_tab(home, post_state, policy, budget, MODEL_WORK)
            an = build_annotate_tab(home, post_state, policy, MODEL_WORK, pair_state, predictions)
            er = build_errors_tab(home, post_state, policy, MODEL_WORK, tabs, pair_state, predictions)
            di = build_distill_tab(home, policy, post_state, tabs, pair_state)
            st = build_store_tab(home, policy)
        ex["asked"].then(**an["refresh_event"])   # the teacher's new answers reach Annotate's suggestions
        ex["deleted"].then(**an["refresh_event"])  # a deleted upload does not stay open in Annotate

        def choices_now(user):
            """A dataset imported in the Store tab: in every tab's choices at once (the values stay)."""
            splits = dataset_splits(home)
            labels = [s.label for s in splits]
            return (gr.update(choices=labels), gr.update(choices=labels), gr.update(choices=labels),
                    gr.update(choices=sorted({s.dataset for s in splits})))

        def errors_boxes_now(d, m, c, user):
            """A promote or roll back on this page: Errors' boxes name the default as it is now
            ("mner-default (default)" stayed beside the promoted version until a reload); the
            versions picked stay picked."""
            return versions_kept(home, d, m, c) if d else (gr.skip(), gr.skip())

        for event in di["default_changed"]:
            event.then(guarded(policy, Action.EXPLORE, errors_boxes_now, quiet=True),
                       [er["errors_dataset"], er["errors_model"], er["errors_compare"]],
                       [er["errors_model"], er["errors_compare"]], api_visibility="private", show_progress="hidden")

        # the split just imported, opened in Annotate from the Store tab (asked first over unsaved edits)
        st["annotate_imported"].click(guarded(policy, Action.EXPLORE, an["whole_split"]), [st["imported_split"]],
                                      an["filters"] + [tabs], api_visibility="private").then(**an["queue_event"])
        for event in (st["imported"], *st["refreshed"]):
            event.then(guarded(policy, Action.EXPLORE, choices_now, quiet=True), None,
                       [an["queue_dataset"], er["errors_dataset"], st["export_split"], di["distill_dataset"]],
                       api_visibility="private", show_progress="hidden")

        def on_load(remembered, post, filters, analysis, user):
            """Every tab's choices; Annotate opens on the split this browser worked in last
            (`remembered`, from localStorage), the first one where it has none or it is gone,
            with the queue's filters as they were left there, and `post`, the one it showed last,
            is handed on to the first queue. Errors shows the choices of the last analysis made
            on this browser (`analysis`), which the tab makes again when it opens."""
            splits = dataset_splits(home)
            labels = [s.label for s in splits]
            datasets = sorted({s.dataset for s in splits})
            seen = di["versions_signature"]()   # before they are drawn: a change after it is redrawn (distill)
            rows, fig, pick, history = di["render_versions"]()
            split = remembered if remembered in labels else team_split(home, labels)
            again = RememberedAnalysis.read(home, analysis, labels)
            # no analysis made on this browser yet: Errors on the split Annotate opens on (a lead's
            # first Analyse scored the demo's 40 posts, not the split the team works in)
            errors_split, errors_model, errors_compare = (again.boxes if again else (
                gr.update(value=split), *errors_model_updates(home, split)))
            return (gr.update(choices=post_choices(home), label=PICK_LABEL),   # a search typed meanwhile: undone, said so
                    gr.update(choices=labels, value=split),
                    {**errors_split, "choices": labels},   # Errors: ready to analyse
                    errors_model, errors_compare,
                    # Distill on the dataset of a round running, or corrected since the latest round, else that round's
                    gr.update(choices=datasets, value=(latest if (latest := di["dataset_to_open"]()) in datasets
                                                       else datasets[0] if datasets else None)),
                    rows, fig, pick, history, *store_now(home, user, policy),
                    # a viewer saves nothing: no name to type (the box took one, to no end), nor
                    # theirs shown there (a signed-in viewer read as an annotator)
                    gr.update(value="", interactive=False, placeholder="viewers do not save labels")
                    if not user.may(Action.SAVE_LABELS)
                    # a signed-in user saves under their own name: the box shows it (and not a
                    # name the browser remembers from someone else), and cannot be changed
                    else gr.update(value=user.name, interactive=False) if user.name not in (None, "local")
                    else gr.skip(),
                    post, *an["filters_on_load"](split, filters), seen)

        demo.load(**an["recall_name"])   # the annotator's name typed on this browser before
        if signed_in is not None:
            demo.load(guarded(policy, None, signed_in_line, quiet=True), None, [signed_in], api_visibility="private")
        if on_space is not None:
            demo.load(guarded(policy, None, lambda user: space_line(user, policy), quiet=True), None, [on_space],
                      api_visibility="private")
        if policy.mode != "local":   # the one local user is an admin: nothing to hide
            admin_controls = di["admin_controls"] + st["admin_controls"]

            def controls_for(user: User) -> list:
                asks = user.may(Action.ASK_CLAUDE)
                # Ask and its line: the key's line ("set ANTHROPIC_API_KEY and restart") is an admin's to act on
                return ([gr.update(visible=user.may(action)) for _, action in admin_controls]
                        + [gr.update(visible=not user.may(Action.DISTILL), value=admin_only_line(user))]
                        + ([gr.update(visible=teacher_available()), gr.skip()] if asks else
                           [gr.update(visible=False), gr.update(visible=True, value=ASK_IS_ADMINS)]))

            demo.load(guarded(policy, None, controls_for, quiet=True), None,
                      [c for c, _ in admin_controls] + [di["admin_only"], ex["ask"], ex["ask_unavailable"]],
                      api_visibility="private")
        loaded = demo.load(guarded(policy, Action.EXPLORE, on_load), [*an["remembered"], er["remembered"]],
                           [ex["pick"], an["queue_dataset"], er["errors_dataset"], er["errors_model"],
                            er["errors_compare"], di["distill_dataset"], di["versions"], di["f1_plot"], di["version_pick"],
                            di["promotions"],
                            st["stats"], st["where"], an["author"], an["remembered"][1], *an["filter_boxes"],
                            di["versions_seen"]],
                           api_visibility="private",
                           js=f"() => [...({an['recall_place']})(), {ERRORS_READ_ANALYSIS}]")
        # then Annotate opens on the split this browser worked in last, else the first one with posts
        # (the demo set first), unless a post was opened meanwhile (picked in Explore while the page
        # loaded): that one stays; and Explore shows the post its address names (a reload, a link)
        loaded.then(**an["first_queue_event"])
        loaded.then(**ex["linked_event"])
    demo.queue(default_concurrency_limit=EVENT_SLOTS)
    return demo


def launch_kwargs(home: Path, policy: AccessPolicy | None = None) -> dict:
    """What `launch` needs: the store's image folder (and nothing else of it) may be served,
    uploads are capped, and a login page when users are configured."""
    policy = policy or AccessPolicy.from_env()
    kwargs = {"allowed_paths": [str((home / "images").resolve())], "max_file_size": MAX_UPLOAD, "css": PAGE_CSS,
              "head": "".join(f"<script>{js}</script>" for js in (IMAGE_TOO_BIG, *PAGE_SCRIPTS))}
    if policy.uses_login_page:
        kwargs["auth"] = policy.check_password
        kwargs["auth_message"] = "CoT Explorer: sign in with the name and password your admin gave you."
    return kwargs
