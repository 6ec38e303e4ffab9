"""The Distill tab: continue the default student on the corrected posts, as a background job
whose progress lives in the store, and show what the correction bought: the gain on a fixed
held-out set with its 95 % interval, forgetting, the posts it fixed and broke; the versions
over time; promote (with care) and roll back."""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..access import LOCAL_USER, AccessPolicy, Action, User
from ..errors import CotExplorerError, ValidationError
from ..evaluate import score_relations, score_spans
from ..jobs import cancel_job, prepare_round, resolve_since, start_distill_job
from ..schema import Span
from ..store import blind as blind_store
from ..store import labels as label_store
from ..store import open_store
from ..store.heldout import heldout_ids
from ..store.jobs import get_job, latest_job, recent_jobs, unfinished_jobs
from ..store.model_versions import promotion_history, versions_signature
from ..store.posts import get_post
from ..student.config import Variant
from ..student.gain import gain_direction, likely_lower_said, losses_said
from ..student.held_out_record import round_gain_over
from ..student.registry import Registry
from ..student.round_plan import (
    MIN_UNTOUCHED,
    ROUND_VARIANTS,
    RoundPlan,
    RoundRefused,
    plan_round,
    round_task,
    suggested_variant,
)
from ..student.seen_posts import seen_among
from ..uploads import UPLOAD_DATASET
from .common import refusal_said
from .guard import guarded
from .predicted import ProgressFn, ProgressReporter, cached_predictions, cached_relations
from .versions import TASK_NAMES, VERSION_COLUMNS, VersionLine, version_lines

REPORT_COLUMNS = ["measured on", "before", "after", "gain (95 % interval)", "new version better in"]
CHANGE_COLUMNS = ["post", "fixed", "broke, or still wrong", "post text"]


def plan_of(home: Path, dataset: str, since: str | None, replay: float, parent: str = "default") -> RoundPlan:
    with open_store(home) as store:
        return plan_round(store, dataset, since=resolve_since(home, since), replay_ratio=float(replay),
                          parent=parent or "default")


def parent_choices(home: Path, dataset: str | None) -> list[tuple[str, str]]:
    """What a round on `dataset` may continue: its task's default, or another version of that
    task (one not promoted: "Corrected since <version>" continued the default all the same,
    and the version's own learning was dropped). Knowledge views read the CoT: no round's."""
    with open_store(home) as store:
        task = round_task(store, dataset) if dataset else "mner"
        registry = Registry(store)
        try:
            default = registry.default_name(task)
        except CotExplorerError:   # no model of the task: the round is refused with a sentence
            return [("the default", "default")]
        others = [m.name for m in registry.list() if m.manifest.task == task and m.name != default
                  and m.manifest.variant != Variant.KNOWLEDGE.value]
    # by name: a page open across a promote elsewhere said "the default, mner-default" and trained
    # the new default; a name is what it says
    return [(f"{default} (the default)", default)] + [(n, n) for n in others]


NO_ROUND = "**No round possible yet:**"
# where, in this app, what a refused round needs is done
WHERE_DONE = {"posts": "An admin imports a file in the Store tab.",
              "corrections": "Posts are corrected in the Annotate tab (a relation changed counts too)."}


@dataclass(frozen=True)
class PlanView:
    """The round's sets in words, and whether a round can start from them; `with_cot`: how
    many of its training posts hold a chain of thought (None: no round to train)."""

    text: str
    possible: bool
    with_cot: int | None = None
    prompt_free_kd: bool = False   # the parent is a kd student without soft prompts (the shipped default)
    variant: str = Variant.DISTILL.value   # the variant these posts and the parent suit (round_plan.suggested_variant)


NO_COT = ("**No chain of thought on these training posts:** distill would learn from your labels alone, with "
          "soft prompts the default does not have (a loss in rounds so far); text suits them.")
NO_PROMPTS = ("**{parent} has no soft prompts:** distill gives it fresh, untrained ones, which cost F1 (a round "
              "on 7 corrections lost 0.8 on the held-out posts and 2.4 on untouched ones, where text lost 0.2 and "
              "none); text continues it as it is.")


def plan_view(home: Path, dataset: str, since: str | None, replay: float, variant: str | None = None,
              parent: str = "default") -> PlanView:
    """`variant`: the one chosen, whose fit to the posts is said; None: the one they suit.
    `parent`: the version the round continues ("default": the default of the dataset's task)."""
    if not dataset:
        return PlanView("Choose a dataset.", False)
    parent = parent or "default"
    try:
        plan = plan_of(home, dataset, since, replay, parent)
    except RoundRefused as e:
        where = WHERE_DONE.get(e.needs or "")
        # where it is done, as a sentence of its own (a second bracket after the sentence's own read badly)
        return PlanView(f"{NO_ROUND} {e}." + (f" {where}" if where else ""), False)
    except CotExplorerError as e:
        return PlanView(f"{NO_ROUND} {e}.", False)
    sizes = ", ".join(f"{k} **{v}**" for k, v in plan.sizes().items())
    note = (f" ({plan.corrected_heldout} of your corrections are held-out posts: they measure, they never train.)"
            if plan.corrected_heldout else "")
    if plan.twins_left_out:
        note += (f" {plan.twins_left_out} post{'s' if plan.twins_left_out != 1 else ''} outside the held-out set "
                 f"{'have' if plan.twins_left_out != 1 else 'has'} the words of a held-out post (imported twice?) and "
                 f"{'are' if plan.twins_left_out != 1 else 'is'} left out of every set, so that the round is not "
                 "measured on what it learnt.")
    if len(plan.untouched) < MIN_UNTOUCHED:
        n = len(plan.untouched)
        note += (f" {f'Only {n}' if n else 'No'} untouched earlier post{'' if n == 1 else 's'} to measure "
                 f"forgetting on: below {MIN_UNTOUCHED}, it is not measured (import more posts, or replay fewer).")
    if plan.parent_seen:
        # of the dataset's posts, not of the sets above ("trained on 1 of these posts" read as a
        # held-out post trained on); kept out of the held-out set only where it would hold them (a
        # post of valid was said to be left out of a held-out set that is the test split)
        one, kept_out = plan.parent_seen == 1, plan.parent_seen_held_out
        note += (f" {plan.parent}, the model the round starts from, was trained on {plan.parent_seen} "
                 f"post{'' if one else 's'} of {plan.dataset}: "
                 + (f"{kept_out} of them {'is' if kept_out == 1 else 'are'} kept out of the held-out set (scored on "
                    "what it learnt, it reads near-perfect)." if kept_out else
                    f"{'it is' if one else 'none of them is'} {'not ' if one else ''}among the held-out posts."))
    if plan.relearnt:   # a second round learnt the first one's corrections again, said as if new
        n, fresh = len(plan.curated), len(plan.curated) - plan.relearnt
        posts = f"corrected training post{'s' if n != 1 else ''}"
        note += (f" **None of the {n} {posts} is new to {plan.parent}:** it was trained on them as they are now, so "
                 "the round would learn nothing new; correct more posts first." if not fresh else
                 f" **{fresh} of the {n} {posts} {'is' if fresh == 1 else 'are'} new to {plan.parent}:** it was "
                 f"trained on the other {plan.relearnt} as they are now.")
    note += blind_note(home, plan)
    since_version = (since or "").strip()
    if since_version and since_version != plan.parent:
        with open_store(home) as store:
            known = Registry(store).is_registered(since_version)
        if known:   # the corrections after a version, learnt on top of another: said, with the way to it
            note += (f" The corrections made since {since_version} are learnt on top of {plan.parent}; to build on "
                     f"{since_version} itself, pick it in “Continue from”.")
    training = plan.curated + plan.replay
    with open_store(home) as store:
        advice = suggested_variant(store, plan, parent)
    with_cot, prompt_free_kd = advice.with_cot, advice.prompt_free_kd
    cot = f" The teacher's chain of thought is on {with_cot} of the {len(training)} training posts."
    if with_cot == 0 and variant == Variant.DISTILL.value:
        cot = f"\n\n{NO_COT}"
    elif prompt_free_kd and variant == Variant.DISTILL.value:
        cot += "\n\n" + NO_PROMPTS.format(parent=plan.parent)
    # fixed already, or by this round ("fixed by its first round" read as done before any round)
    fixed = "fixed by its first round" if plan.heldout_fixed else "fixed by this round, the first, for every later one"
    return PlanView(f"The round's sets, disjoint: {sizes}. Held-out: {plan.heldout_from} of {dataset}, {fixed}; "
                    f"selection from {plan.selection_from}.{note}{cot}", True, with_cot, prompt_free_kd,
                    advice.variant)


def blind_note(home: Path, plan: RoundPlan) -> str:
    """Corrected training posts of a split annotated blind: each is learnt as its newest save,
    where its annotators saved it differently too (the plan read as of one agreed set of
    labels, and the round learnt whichever annotator saved last)."""
    with open_store(home) as store:
        blind = sorted(s for d, s in blind_store.blind_splits(store) if d == plan.dataset)
        if not blind:
            return ""
        splits = {pid: p.split for pid in plan.curated if (p := get_post(store, pid)) is not None}
        disagreed = blind_store.unsettled_posts(store, plan.dataset) & set(plan.curated)
    named = ", ".join(f"{plan.dataset}/{s}" for s in blind if s in splits.values())
    if not named:
        return ""
    n = len(disagreed)
    return (f" {named} {'is' if ', ' not in named else 'are'} annotated blind: a corrected post is learnt as its newest "
            "save, whoever made it" + (f"; **its annotators saved {n} of these training posts differently, not settled "
                                       "yet** (no save over their disagreement since): the round learns whoever saved "
                                       "last (Annotate's “Annotator agreement” lists the disagreements, with whose "
                                       "save is newest)." if n else "."))


def start_round(home: Path, dataset: str, name: str, variant: str, epochs: int, replay_ratio: float,
                since: str | None = None, parent: str = "default") -> int:
    """Everything a round could refuse is checked before a job exists (jobs.prepare_round)."""
    params = prepare_round(home, dataset, name, variant, epochs, replay_ratio, since, parent or "default")
    try:
        return start_distill_job(home, params)
    except BaseException:
        with open_store(home) as store:
            Registry(store).release(params["name"])
        raise


@dataclass
class JobView:
    job_id: int | None
    status: str
    progress: float
    message: str
    result: dict | None
    cancelling: bool = False   # a Cancel asked for, not yet heeded (the button gave no sign of it)
    dataset: str = ""          # what the round learns from, and the version it makes: a page reloaded
    version: str = ""          # mid-round showed "Job 7: running" under another dataset's plan
    started_at: str = ""

    @property
    def running(self) -> bool:
        return self.status in ("queued", "running")

    def time_left(self, now: datetime | None = None) -> str:
        """About how long the round has to go, from how long its share so far took (a walker
        watched "step 1/4" with no idea whether to wait a minute or an hour)."""
        if not (self.running and self.started_at and 0.05 <= self.progress < 1.0):
            return ""
        spent = ((now or datetime.now(timezone.utc)) - datetime.fromisoformat(self.started_at)).total_seconds()
        left = spent * (1.0 - self.progress) / self.progress
        return f"about {max(1, round(left))} s left" if left < 90 else f"about {round(left / 60)} min left"

    def line(self) -> str:
        """The job in one line: its status, what it works on, a bar, what it is doing."""
        if self.job_id is None:
            return f"No round on **{self.dataset}** yet." if self.dataset else "No distillation job yet."
        bar = "█" * int(20 * self.progress) + "░" * (20 - int(20 * self.progress))
        doing = (f"cancelling: the round stops at its next step and saves no version (was {self.message})"
                 if self.cancelling and self.running else self.message)
        what = f" — a round on **{self.dataset}** for version **{self.version}**" if self.dataset else ""
        left = self.time_left()
        return (f"**Job {self.job_id}: {self.status}**{what} `{bar}` progress: {round(100 * self.progress)}%"
                + (f", {left}" if left else "") + f" — {doing}")


def job_view(home: Path, job_id: int | None = None, dataset: str | None = None) -> JobView:
    """The job `job_id`; without one, the round running (one at a time, on any dataset: it is
    what holds Start), else the latest round on `dataset` (on any, where none is given). Its
    report carries the dataset it is about."""
    with open_store(home) as store:
        if job_id is not None:
            job = get_job(store, job_id)
        else:
            running = unfinished_jobs(store, "distill")
            job = running[-1] if running else latest_job(store, "distill", dataset=dataset or None)
    if job is None:
        return JobView(None, "no job yet", 0.0, "", None, dataset=dataset or "")
    progress = 1.0 if job.status == "done" else (job.step / job.total if job.total else 0.0)
    on = job.params.get("dataset", "")
    return JobView(job.id, job.status, progress, job.error or job.message,
                   {**job.result, "dataset": on} if job.result else None, bool(job.cancel_requested),
                   on, job.params.get("name", ""), job.created_at)


def last_finished_result(home: Path, dataset: str | None = None) -> dict | None:
    """The report of the latest round that finished (on `dataset`), marked as an earlier one's:
    shown again once a later round is cancelled or fails (its start had taken that report off,
    and nothing was left on show until another round finished)."""
    with open_store(home) as store:   # asked by the page's poll each second: one row read
        done = latest_job(store, "distill", status="done", dataset=dataset or None)
    return ({**done.result, "earlier_job": done.id, "dataset": done.params.get("dataset", "")}
            if done and done.result else None)


def versions_now_signature(home: Path) -> str:
    with open_store(home) as store:
        return versions_signature(store)


def dataset_to_open(home: Path) -> str | None:
    """The dataset the tab opens on: a round's running, or one corrected since the latest round
    (its plan is what the next round would learn: the tab opened on the demo after an afternoon
    of corrections on another dataset), else the latest round's (its job line and report are
    about it)."""
    view = job_view(home)
    if view.running and view.dataset:
        return view.dataset
    with open_store(home) as store:
        # uploads are one person's posts, not the team's dataset (as Annotate's team_split has it)
        newest = label_store.newest_annotated_split(store, leaving_out=(UPLOAD_DATASET,))
    if newest is not None and (not view.started_at or newest[2] > view.started_at):
        return newest[0]
    return view.dataset or None


ROUND_COLUMNS = ["job", "dataset", "version", "variant", "epochs", "status", "started (UTC)", "what it came to"]


def round_rows(home: Path, limit: int = 20) -> list[list]:
    """The latest rounds, newest first, each with what it came to (the tab showed the latest
    job only: a cancelled round was gone once the next one ran)."""
    with open_store(home) as store:
        jobs = recent_jobs(store, "distill", limit)
    return [[j.id, j.params.get("dataset", ""), j.params.get("name", ""), j.params.get("variant", ""),
             j.params.get("epochs", ""), j.status, j.created_at[:19].replace("T", " "),
             (j.error or j.message).removeprefix("done: ")] for j in jobs]


def rounds_signature(home: Path, latest: JobView | None = None) -> str:
    """What changes when the rounds table would: the latest round and its status (`latest`:
    the latest job's view where the caller has read it already)."""
    if latest is not None:
        return f"{latest.job_id}:{latest.status}"
    with open_store(home) as store:   # every second on every open page: one row read
        job = latest_job(store, "distill")
    return f"{job.id}:{job.status}" if job else "None:no job yet"


def any_round_running(home: Path) -> bool:
    with open_store(home) as store:
        return bool(unfinished_jobs(store, "distill"))


def cancel_round(home: Path, job_id: int | None) -> None:
    view = job_view(home, job_id)
    if view.job_id is None or view.status != "running":
        raise ValidationError("no running distillation job to cancel")
    cancel_job(home, view.job_id)


def _ci(i: dict) -> str:
    return f"{i['value']:+.2f} ({i['low']:+.2f} to {i['high']:+.2f})"


def _better(i: dict) -> str:
    """The share of resamples where the new version scored higher; where no resample moved
    (the same answers on these posts), said so: "better in 0 %" read as a sure loss."""
    if i["low"] == i["high"] == 0:
        return "same on every resample"
    return f"{100 * i['p_better']:.0f} %"


def report_rows(result: dict) -> list[list]:
    """Before/after as a table: overall and per type (relation) on the held-out set, and forgetting."""
    before, after, gain = result["before"], result["after"], result["gain"]
    relations = result.get("task") == "mre"
    what = "all relations, micro-F1 without None" if relations else "all types"
    rows = [[f"held-out, {what} ({result['sizes'].get('held-out')} posts)", before["f1"], after["f1"],
             _ci(gain["*"]), _better(gain["*"])]]
    for t, g in gain.items():
        if t == "*":
            continue
        b, a = before["per_type"].get(t, {}).get("f1", 0.0), after["per_type"].get(t, {}).get("f1", 0.0)
        if relations and not (b or a or g["value"]):  # relations that occur nowhere in these posts
            continue
        rows.append([f"held-out, {t}", b, a, _ci(g), _better(g)])
    f = result.get("forgetting") or {}
    if f.get("change") and f["posts"] >= MIN_UNTOUCHED:
        rows.append([f"untouched earlier posts ({f['posts']}), forgetting", f["before"], f["after"], _ci(f["change"]),
                     _better(f["change"])])
    return rows


def report_text(result: dict | None) -> str:
    if not result:
        return ""
    g = result["gain"]["*"]
    # which way the interval lies, in words ("the gain is not shown" read as the page hiding it)
    verdict = {"unclear": "**No clear change: the interval includes zero, so these held-out posts show the round "
                          "neither better nor worse.**",
               "gain": "**A real gain: the interval lies above zero on the held-out posts.**",
               "loss": "**A real loss: the interval lies below zero on the held-out posts; do not promote it.**"
               }[gain_direction(g)]
    f = result.get("forgetting") or {}
    forget = ""
    if f.get("posts", 0) < MIN_UNTOUCHED:   # "+0.00 (+0.00 to +0.00), within noise" on 11 posts read as a finding
        forget = (f" Forgetting is not measured: {f.get('posts', 0) or 'no'} untouched earlier "
                  f"post{'' if f.get('posts', 0) == 1 else 's'}, below {MIN_UNTOUCHED}.")
    elif f.get("change"):
        c = f["change"]
        forget = (f" Forgetting on {f['posts']} untouched earlier posts: {c['value']:+.2f} F1 ({c['low']:+.2f} to "
                  f"{c['high']:+.2f})" + {"unclear": ", within noise.",
                                          "loss": ": a real loss on posts it knew; promote it only if the gain is "
                                                  "worth that.",
                                          "gain": ": better on posts it knew."}[gain_direction(c)])
    sizes = ", ".join(f"{k} {v}" for k, v in result["sizes"].items())
    earlier = (f"*The last round that finished, job {result['earlier_job']}:* " if result.get("earlier_job") else "")
    lost, lower, counted = losses_said(result), likely_lower_said(result), changes_counted(result)
    return (f"{earlier}**{result['model']}** from {result['parent']} ({result['variant']}, best epoch {result['best_epoch']}). "
            f"{verdict}{forget}" + (f" **{lost}**" if lost else "") + (f" {lower}" if lower else "")
            + (f" {counted}" if counted else "")
            + f"\n\nSets: {sizes}; held-out from the {result['heldout_from']}, selection from "
            f"{result['selection_from']}; selection and held-out share {result['selection_heldout_overlap']} posts.")


def _changed(post, pairs, s: dict) -> str:
    """One changed answer: an entity span, or (relations) the pair it names by index."""
    if pairs is None:
        return f"{post.span_text(Span.from_json(s))}/{s['type']}"
    if not 0 <= s["start"] < len(pairs.relations):   # the post's pairs changed since the round
        return f"pair {s['start'] + 1} (changed since): {s['type']}"
    r = pairs.relations[s["start"]]  # see relation_arguments.relations_as_spans
    return f"{post.span_text(r.head)} → {post.span_text(r.tail)}: {s['type']}"


def changes_counted(result: dict) -> str:
    """The fixed-or-broke table in numbers, its new wrong answers by type (relation): read row
    by row, the round's nine new wrong ORG spans on hashtags and handles went unsaid."""
    changes = result.get("changes") or []
    if not changes:
        return ""
    found = sum(len(c.get("fixed", [])) for c in changes)
    gone = sum(len(c.get("gone_spurious", [])) for c in changes)
    lost = sum(len(c.get("broke", [])) for c in changes)
    new_wrong = Counter(s["type"] for c in changes for s in c.get("new_spurious", []))
    by_type = ", ".join(f"{t} {n}" for t, n in new_wrong.most_common())
    # counted in answers, and said so: Errors counts an error a row, and a wrong type there is one
    # row where here it is a label lost and a wrong answer added ("22 mended, 46 new" against
    # Errors' "12 more"); and the new misses named beside the new wrong ones (37 of 46 were named)
    unit = "pair" if result.get("task") == "mre" else "span"
    fixed, broke = found + gone, lost + sum(new_wrong.values())
    return (f"Against {result.get('parent', 'its parent')}, on {len(changes)} held-out posts: {fixed} "
            f"{unit} error{'s' if fixed != 1 else ''} mended ({found} found, {gone} wrong one{'s' if gone != 1 else ''} "
            f"gone), {broke} new ({lost} lost, {sum(new_wrong.values())} wrong" + (f": {by_type}" if by_type else "")
            + f"), listed post by post below. Counted {unit} by {unit}: a wrong type is a label lost and a wrong "
            "one added (Errors counts it once).")


def change_focus_said(result: dict | None, row: list) -> str | None:
    """The line above a post opened from a round's fixed-or-broke row: which round, against
    which version, and the row's own words (what it fixed, what it broke or still gets wrong)."""
    if not result or len(row) < 3 or not all(isinstance(x, str) for x in row[1:3]):
        return None
    if row[1].startswith("not shown"):   # a blind split's row says nothing of the labels
        return None
    fixed, broke = row[1].strip() or "nothing", row[2].strip() or "nothing"
    return (f"round {result.get('model', '?')} against {result.get('parent', '?')} on this held-out post: fixed: "
            f"{fixed}; broke, or still wrong: {broke} (the suggestions below are the default's)")


BLIND_HIDDEN = "not shown: {} is annotated blind, and this says what its posts' labels are"


def _retyped(post, pairs, old: dict, new: dict) -> str:
    """A wrong answer changed to another wrong one: a span retyped, or (relations) a pair relabelled."""
    if pairs is None:
        return f"retyped {post.span_text(Span.from_json(new))} from {old['type']} to {new['type']}, both wrong"
    pair = _changed(post, pairs, {**new, "type": ""}).rstrip(": ")
    return f"relabelled {pair} from {old['type']} to {new['type']}, both wrong"


def change_rows(home: Path, result: dict | None, user: User | None = None) -> list[list]:
    """What the round fixed and broke, post by post. What it got right or wrong is said against
    the posts' current labels, the newest save: on a split annotated blind that is another
    annotator's, so there it is an admin's to read (`user` None: no one signed in)."""
    if not result:
        return []
    relations = result.get("task") == "mre"
    rows = []
    with open_store(home) as store:
        hidden = blind_store.blind_splits(store) if user is not None and not user.may(Action.SET_BLIND) else set()
        for c in result.get("changes", [])[:300]:
            post = get_post(store, c["post_id"])
            if post is None:
                continue
            if (post.dataset, post.split) in hidden:
                rows.append([c["post_id"], BLIND_HIDDEN.format(f"{post.dataset}/{post.split}"), "", post.text])
                continue
            pairs = label_store.current(store, post.id, "mre") if relations else None
            said = functools.partial(_changed, post, pairs)
            # the wrong answers by their words too ("dropped a wrong entity" named none of them); a
            # wrong span retyped to another wrong type is one change, said once (it read as a fix
            # beside a break)
            bounds = lambda s: (s["start"], s["end"])   # noqa: E731
            gone = {bounds(s): s for s in c["gone_spurious"]}
            # (a pair's wrong relation changed to another wrong one likewise: it read "fixed" beside "broke")
            retyped = [(gone[bounds(s)], s) for s in c["new_spurious"] if bounds(s) in gone]
            again = {bounds(new) for _, new in retyped}
            # each with its verb: a label got right now ("found"), or wrong now ("lost"); "Atlantic/LOC;
            # added wrong Atlantic ocean/LOC" left the first part's meaning to be guessed
            fixed = "; ".join([f"found {said(s)}" for s in c["fixed"]]
                              + [f"dropped wrong {said(s)}" for s in c["gone_spurious"] if bounds(s) not in again])
            broke = "; ".join([f"lost {said(s)}" for s in c["broke"]]
                              + [f"added wrong {said(s)}" for s in c["new_spurious"] if bounds(s) not in again]
                              + [_retyped(post, pairs, old, new) for old, new in retyped])
            rows.append([c["post_id"], fixed, broke, post.text])
    rows.sort(key=lambda r: (r[2] == "", r[1] == ""))  # broken first: what to look at
    return rows


def figure_line(v: VersionLine) -> str:
    """The line of the versions plot a version is on: the set its F1 is on, and apart the
    models that read the CoT at inference (a knowledge view's 87.72 joined to the text-only
    students' 83.85 read as the newest version getting worse)."""
    return f"{v.f1_set}, reads the CoT" if v.variant == Variant.KNOWLEDGE else v.f1_set


TASK_SCORES = {"mner": "entities: span F1", "mre": "relations: micro-F1"}
LINEAGE = "continued from its parent"
PARENT_BEFORE = "its parent on the same held-out posts"


# each series keeps its colour as series are added (a round's new series shifted the others':
# Twitter-2017 test went from blue to red)
SERIES_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")


def series_colours(lines: list[VersionLine]) -> dict[tuple[str, str], str]:
    """A colour per (task, series): the oldest series first, each taking the first colour not
    taken, so a series added later never moves an older one's."""
    first_seen: dict[tuple[str, str], str] = {}
    for v in sorted((v for v in lines if v.f1 is not None), key=lambda v: v.created_at):
        first_seen.setdefault((v.task, figure_line(v)), v.created_at)
    colours: dict[tuple[str, str], str] = {}
    for n, key in enumerate(sorted(first_seen, key=lambda k: (first_seen[k], k))):
        colours[key] = SERIES_COLOURS[n % len(SERIES_COLOURS)]
    return colours


def versions_figure(lines: list[VersionLine]) -> go.Figure:
    """F1 of each version by creation time, one series per set the figure is on (and per kind of
    model: figure_line), with intervals, and a line from each version's parent; one panel per task, sharing the time axis, since an
    entity model's span F1 and a relation model's micro-F1 are not one scale (on one axis the
    relations' 61.88 read as a version far worse than the entities' 83.85)."""
    tasks = [t for t in TASK_SCORES if any(v.task == t and v.f1 is not None for v in lines)] or ["mner"]
    fig = make_subplots(rows=len(tasks), cols=1, shared_xaxes=True, vertical_spacing=0.12)
    lineage_shown = parent_shown = False
    colours = series_colours(lines)
    for row, task in enumerate(tasks, start=1):
        scored = [v for v in lines if v.task == task and v.f1 is not None]
        for where in sorted({figure_line(v) for v in scored}):
            pts = [v for v in scored if figure_line(v) == where]
            name = f"{TASK_NAMES[task]}: {where}" if len(tasks) > 1 else where
            fig.add_trace(go.Scatter(
                x=[v.created_at for v in pts], y=[v.f1 for v in pts], mode="markers", name=name, text=[v.name for v in pts],
                marker=dict(color=colours[(task, where)]),
                hovertemplate="%{text}: F1 %{y:.2f}<extra>" + name + "</extra>",
                error_y=dict(type="data", symmetric=False, array=[(v.high - v.f1) if v.high is not None else 0 for v in pts],
                             arrayminus=[(v.f1 - v.low) if v.low is not None else 0 for v in pts])), row=row, col=1)
        # a line only from a version to the one continued from it: a line through every version
        # by time joined models that share nothing (the Twitter-2017 student and the default)
        by_name = {v.name: v for v in scored}
        x, y, before = [], [], []
        for v in scored:
            parent = by_name.get(v.parent or "")
            if parent is None:
                continue
            if v.parent_f1 is not None:   # the round's own "before": the parent on the child's posts
                before.append((parent, v))
                x += [parent.created_at, v.created_at, None]
                y += [v.parent_f1, v.f1, None]
            elif figure_line(parent) == figure_line(v):
                x += [parent.created_at, v.created_at, None]
                y += [parent.f1, v.f1, None]
        if before:
            fig.add_trace(go.Scatter(
                x=[p.created_at for p, _ in before], y=[v.parent_f1 for _, v in before], mode="markers",
                name=PARENT_BEFORE, marker=dict(symbol="circle-open", size=10, color="#555"),
                text=[f"{p.name} on {v.f1_set} (before {v.name})" for p, v in before],
                hovertemplate="%{text}: F1 %{y:.2f}<extra></extra>", showlegend=not parent_shown), row=row, col=1)
            parent_shown = True
        if x:
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=LINEAGE, hoverinfo="skip",
                                     line=dict(color="#888", dash="dot"), showlegend=not lineage_shown),
                          row=row, col=1)
            lineage_shown = True
        fig.update_yaxes(title_text=TASK_SCORES[task] if len(tasks) > 1 else "F1", row=row, col=1)
    # the legend above the plot and the dates given the room they need: on a phone the tilted
    # dates were cut ("Nov 27, 2") and ran into the legend below
    # (the top margin holds three lines of legend on a phone, below the plot block's own label)
    fig.update_layout(height=400 if len(tasks) == 1 else 560, margin=dict(t=110, b=40),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    fig.update_xaxes(automargin=True, nticks=5, tickformat="%b %d\n%H:%M", showticklabels=True)
    fig.update_xaxes(title_text="created", row=len(tasks), col=1)
    return fig


class PromoteNeedsReason(CotExplorerError):
    pass


def heldout_f1(home: Path, version: str, dataset: str, task: str = "mner",
               on_progress: ProgressFn | None = None, learnt_by: Sequence[str] = ()) -> float | None:
    """A version's F1 on a dataset's held-out posts against their current labels (cached
    predictions): span F1 for entities, micro-F1 without None for relations. The posts any of
    `learnt_by` was trained on are left out (a held-out set fixed before that was known: the
    default read 97-99 there, and Promote asked a reason to promote what beat it elsewhere)."""
    with open_store(home) as store:
        ids = heldout_ids(store, dataset)
        posts = [get_post(store, i) for i in ids]
        labels = {i: label_store.current(store, i, task) for i in ids}
        registry = Registry(store)
        posts = [p for p in posts if p is not None and labels.get(p.id) is not None]
        learnt = set().union(*(seen_among(registry.path(v, task), posts) for v in learnt_by))
    posts = [p for p in posts if p.id not in learnt]
    if not posts:
        return None
    if task == "mre":
        guesses = cached_relations(home, posts, version, on_progress=on_progress)
        return score_relations([r.label for p in posts for r in labels[p.id].relations],
                               [g.label for p in posts for g in guesses[p.id]]).f1
    preds = cached_predictions(home, posts, version, on_progress)
    return score_spans([labels[p.id].spans for p in posts],
                       [[Span(a, b, t) for a, b, t, _ in preds[p.id]] for p in posts]).f1


# what a change of default reaches besides the suggestions: queues made from the student's answers
FOLLOW_DEFAULT = ("Annotate's suggestions are its answers, and a queue ordered by them (or of student errors only) "
                  "follows it the next time the queue is made.")


def promote_version(home: Path, name: str, user: User, anyway: bool = False, reason: str = "",
                    on_progress: ProgressFn | None = None) -> str:
    """Promote; a version that scores no better than the current default (of its task) on the
    held-out set of the dataset it was trained for, or whose own round over that default found no
    clear gain, needs 'promote anyway' and a reason, both recorded."""
    if not name:
        raise ValidationError("pick a version to promote")
    with open_store(home) as store:
        reg = Registry(store)
        manifest = reg.manifest(name)
        task = manifest.task
        current = reg.default_name(task)
    if current == name:
        raise ValidationError(f"{name} is the default already")
    dataset = manifest.data.get("dataset")
    new_f1 = old_f1 = None
    if dataset:
        # the first time, both versions predict the held-out posts (seconds, with a bar)
        # the default named as it was read: a second press meanwhile promoted `name`, and "default"
        # then scored it against itself, said as the old default's score
        new_f1 = heldout_f1(home, name, dataset, task, on_progress, learnt_by=(name, current))
        old_f1 = heldout_f1(home, current, dataset, task, on_progress, learnt_by=(name, current))
    # no better, as the scores are shown (a round that tied the default, and forgot, went through
    # unasked: "84.36; mner-default had 84.36")
    if new_f1 is not None and old_f1 is not None and round(new_f1, 2) <= round(old_f1, 2):
        if not (anyway and (reason or "").strip()):
            # what is missing, of the two (ticked without a reason, it said "tick it" again)
            missing = ("say why in “why (recorded)”" if anyway else
                       "tick “promote anyway” and say why" if not (reason or "").strip() else "tick “promote anyway”")
            where = "below" if round(new_f1, 2) < round(old_f1, 2) else "no better than"
            raise PromoteNeedsReason(f"{name} scores {new_f1:.2f} on the held-out posts of {dataset}, {where} the "
                                     f"default {current} ({old_f1:.2f}); {missing} to promote it")
    # nor one whose own round, measured against this default, found no clear gain: the report
    # beside the button said "no clear change", and Promote went through on the point score
    gain = round_gain_over(manifest, current)
    if gain is not None and gain_direction(gain) != "gain" and not (anyway and (reason or "").strip()):
        missing = ("say why in “why (recorded)”" if anyway else
                   "tick “promote anyway” and say why" if not (reason or "").strip() else "tick “promote anyway”")
        found = "a real loss" if gain_direction(gain) == "loss" else "no clear change"
        raise PromoteNeedsReason(f"{name}'s round found {found} over {current} on the held-out posts of {dataset} "
                                 f"({gain['value']:+.2f} F1, 95 % interval {gain['low']:+.2f} to {gain['high']:+.2f}); "
                                 f"{missing} to promote it")
    with open_store(home) as store, store.write():   # the check and the promotion under one write lock
        now = Registry(store).default_name(task)
        if now != current:   # promoted meanwhile (a second press, another admin): said, not done twice
            raise ValidationError(f"{name} is the default already (promoted while this was being scored)"
                                  if now == name else f"the default changed to {now} while this was being scored; "
                                  "press again to compare with it")
        Registry(store).promote(name, by=user.label, reason=(reason or "").strip() or None)
    scores = f" (held-out F1 {new_f1:.2f}; {current} had {old_f1:.2f})" if new_f1 is not None and old_f1 is not None else ""
    what = TASK_NAMES[task]
    # said whom it reaches, and where it was measured (a version measured on one dataset's
    # held-out posts became every dataset's default without a word of it)
    where = f" It was measured on the held-out posts of {dataset} only." if dataset and new_f1 is not None else ""
    return (f"Promoted **{name}**{scores}: it is the default {what} model now, for every dataset and everyone using "
            f"this app; {current} before it.{where} {FOLLOW_DEFAULT} Roll back to undo.")


HISTORY_COLUMNS = ["when (UTC)", "model of", "what happened", "by", "why"]


def history_rows(home: Path) -> list[list]:
    with open_store(home) as store:
        events = promotion_history(store)
    # the one local user, said as such: "local" read as a person's name, where the Annotator box
    # named someone else
    return [[e.at[:19].replace("T", " "), TASK_NAMES.get(e.task, e.task), e.what(),
             "the local user (no sign-in)" if e.by == LOCAL_USER else e.by or "", e.reason or ""]
            for e in events]


def roll_back(home: Path, version: str | None, user: User | None = None, reason: str = "") -> str:
    """Roll back the picked version, the default of its task (refused with none picked, or
    another); `reason` is recorded with it."""
    with open_store(home) as store:
        task, was, now = Registry(store).roll_back(version, by=user.label if user else None,
                                                   reason=(reason or "").strip() or None)
    return f"Rolled back **{was}**: the default {TASK_NAMES[task]} model is **{now}** again. {FOLLOW_DEFAULT}"


def build_distill_tab(home: Path, policy: AccessPolicy, post_state: gr.State, tabs: gr.Tabs | None = None,
                      pair_state: gr.State | None = None) -> dict:
    """`pair_state`, where given, carries the line Annotate says above a post opened from the
    round's fixed-or-broke table (as an Errors row's)."""
    with gr.Tab("Distill", id="distill") as distill_tab:
        gr.Markdown("Continue the default student (or a version you pick) on the **corrected** posts of a dataset, "
                    "replaying earlier posts, and see what the corrections bought on held-out posts no round ever "
                    "trains on.")
        with gr.Row():
            dataset = gr.Dropdown(label="Dataset", choices=[], elem_id="distill-dataset")
            name = gr.Textbox(label="New version name (optional)", elem_id="distill-name")
            # the default may be a kd student, a variant a round does not offer: say what becomes of it
            # wider than its neighbours: its help, in a fifth of the row, stood a dozen lines tall
            variant = gr.Dropdown(list(ROUND_VARIANTS), value="distill", label="Variant", elem_id="distill-variant",
                                  scale=3, min_width=360, info="distill: the student learns from the teacher's chain of thought as well "
                                       "as your labels (chosen where the training posts have it and the default "
                                       "has soft prompts); text: from your labels alone (chosen for the shipped "
                                       "prompt-free kd default). A kd default is continued as either.")
            epochs = gr.Slider(1, 10, value=2, step=1, label="Epochs (budget)")
            replay = gr.Slider(0, 3, value=1, step=0.5, label="Replay (× corrected posts)")
        # what the round learns from and what it continues, a row of their own (in the row above,
        # "the default, mner-default" was cut at the box's edge); one above the other on a phone
        # (side by side at 390 px, "mner-default (the" was cut under the arrow)
        with gr.Row():
            since = gr.Textbox(label="Corrected since (ISO date or model version, optional)", elem_id="distill-since",
                               min_width=300)
            # custom values taken: "default", its first value, may still be the page's while its
            # choices are already names (Gradio refused the event in between with "Error")
            parent = gr.Dropdown(label="Continue from", choices=[("the default", "default")], value="default",
                                 elem_id="distill-parent", allow_custom_value=True, min_width=300,
                                 info="the version the round starts from and is measured against: the default, "
                                      "or another version of the task (one not promoted, say)")
        plan = gr.Markdown(elem_id="distill-plan")
        # Start, Cancel, Promote and Roll back are an admin's (shown to everyone, they were refused
        # at the press): hidden for the others by the page load (`admin_controls`), a line says why
        admin_only = gr.Markdown(visible=False, elem_id="distill-admin-only")
        # hidden until the page load says who this is, where people sign in (the server refuses a
        # press by anyone else all the same)
        shown_to_all = policy.mode == "local"
        with gr.Row(visible=shown_to_all) as round_buttons:
            start = gr.Button("Start distillation", variant="primary", elem_id="distill-start")
            cancel = gr.Button("Cancel", elem_id="distill-cancel", interactive=False)   # while a round runs
        # why Start was refused (a taken name, a round running), under the buttons: a toast in a
        # corner was gone before it was read
        start_note = gr.Markdown(elem_id="distill-start-note")
        job_state = gr.State(None)
        progress = gr.Markdown(elem_id="job-progress")
        report_md = gr.Markdown(elem_id="job-verdict")
        # widths shared out: on a phone the first column took the whole screen, the numbers off
        # to the right with no cue to scroll
        report = gr.Dataframe(headers=REPORT_COLUMNS, interactive=False, label="Before / after, with 95 % intervals",
                              elem_id="job-result", wrap=True, column_widths=["25%", "16%", "15%", "27%", "17%"])
        changes = gr.Dataframe(headers=CHANGE_COLUMNS, interactive=False, wrap=True, elem_id="job-changes",
                               label="Held-out posts the new version fixed or broke (select one to open it in Annotate)",
                               column_widths=["20%", "27%", "27%", "26%"])
        result_state = gr.State(None)
        timer = gr.Timer(1.0, active=True)
        # the verdict gets the room (it was cut off at the table's edge), the short columns no
        # more than their headers
        rounds = gr.Dataframe(headers=ROUND_COLUMNS, interactive=False, label="Rounds, newest first", wrap=True,
                              elem_id="rounds-table", max_height=320,
                              datatype=["number", "str", "str", "str", "number", "str", "str", "str"],
                              column_widths=["5%", "11%", "14%", "8%", "7%", "9%", "13%", "33%"])
        rounds_seen = gr.State("")   # the rounds' signature the table was drawn for
        # the table on a row of its own: its 8 columns beside the plot cut off parent, default and origin
        # widths that hold every column in sight (a longer "F1 on" pushed "origin" out of it)
        versions = gr.Dataframe(headers=VERSION_COLUMNS, interactive=False, label="Model versions",
                                elem_id="versions-table", wrap=True,
                                column_widths=["19%", "13%", "6%", "18%", "12%", "14%", "8%", "10%"])
        f1_plot = gr.Plot(label="F1 of each version, by creation time")
        with gr.Row(visible=shown_to_all) as promote_row:
            pick = gr.Dropdown(label="Version", choices=[], elem_id="version-pick")
            anyway = gr.Checkbox(label="promote anyway (it scored no better)", elem_id="promote-anyway")
            why = gr.Textbox(label="why (recorded)", elem_id="promote-reason")
            promote = gr.Button("Promote to default", elem_id="promote-btn")
            rollback = gr.Button("Roll back", elem_id="rollback-btn")
        versions_note = gr.Markdown(elem_id="versions-note")
        # kept: a roll-back took the version's promotion off, and nothing told it had been the default
        history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False, wrap=True, elem_id="promotions-table",
                               label="Promotions and roll-backs, newest first", max_height=240, visible=False)

        def render_versions():
            lines = version_lines(home)
            events = history_rows(home)   # none yet: no empty table
            return ([v.cells() for v in lines], versions_figure(lines), gr.update(choices=[v.name for v in lines]),
                    gr.update(value=events, visible=bool(events)))

        def plan_shown(view: PlanView) -> tuple:
            """The round's sets; Start stays the page's call to action only where a round is
            possible, and is on only where none runs (the poll keeps it so)."""
            free = view.possible and not any_round_running(home)
            return (view.text, gr.update(variant="primary" if view.possible else "secondary", interactive=free),
                    view.possible)

        def show_plan(d, s, r, v, p, user):
            return plan_shown(plan_view(home, d, s, r, v, p))

        def parents_for(d, p) -> dict:
            """The versions a round on `d` may continue; the one picked stays where it still may."""
            choices = parent_choices(home, d)
            return gr.update(choices=choices, value=p if p in {v for _, v in choices} else choices[0][1])

        def poll(job_id, shown, possible, drawn_for, picked, user):
            """The job's progress: the round running, else the latest on the dataset `picked`,
            and the report of that dataset only (another's read as its own); Start only where a
            round can start (none running, the plan `possible`), Cancel only while one runs; the
            rounds table drawn again only when the latest round or its status changed
            (`drawn_for`)."""
            v = job_view(home, job_id, picked)
            now = rounds_signature(home, v if job_id is None and v.running else None)
            table = [round_rows(home), now] if now != drawn_for else [gr.skip(), gr.skip()]
            busy = v.running
            start_state = gr.update(interactive=possible and not busy,
                                    value="A round is running…" if busy else "Start distillation")
            if shown and picked and shown.get("dataset") not in (None, picked):
                # another dataset's report: taken off, this one's last comes in its place
                result = [last_finished_result(home, picked) if not busy else None]
            else:
                fresh = v.result and (shown or {}).get("model") != v.result.get("model")
                # a round running takes the result on show off (one this page started, or, on a page that
                # follows the latest job, one started in another browser): under it, it read as this one's
                stale = busy and shown
                # a round cancelled or failed: the last finished round's report again, said to be its
                again = (not busy and not v.result and not shown and v.status in ("cancelled", "failed")
                         and last_finished_result(home, picked))
                result = [v.result] if fresh else [None] if stale else [again] if again else [gr.skip()]
            return [v.line(), start_state, gr.update(interactive=busy and not v.cancelling)] + result + table

        def show_result(result, user):
            if not result:
                return "", [], []
            return report_text(result), report_rows(result), change_rows(home, result, user)

        @refusal_said(4)
        def do_start(d, n, var, ep, rep, since_value, p, user):
            """The last round's verdict and tables go: under "Job 2: running" they read as this one's."""
            job = start_round(home, d, n, var, int(ep), float(rep), since_value, p)
            return job, gr.update(interactive=False, value="A round is running…"), None, ""

        def do_cancel(job_id, user):
            cancel_round(home, job_id)
            return job_view(home, job_id).line(), gr.update(interactive=False)

        def default_now(version) -> str | None:
            """The default of `version`'s task (None: no such version; its refusal comes later)."""
            try:
                with open_store(home) as store:
                    registry = Registry(store)
                    return registry.default_name(registry.manifest(version).task)
            except CotExplorerError:
                return None

        def parent_follows(p, before, version):
            """"Continue from" on the default before follows the default now (it went on saying
            "the default, mner-default" over a round that trained the promoted version)."""
            now = default_now(version)
            return now if before is not None and p == before and now != before else gr.skip()

        # done, "promote anyway" and the reason are let go: left ticked, the next Promote of
        # another lower-scoring version went through under the last one's reason
        @refusal_said(8)   # under the buttons, like the answer (a toast stayed over the next tab)
        def do_promote(version, force, reason, p, progress=gr.Progress(), user=None):
            before = default_now(version) if version else None
            message = promote_version(home, version, user, force, reason, ProgressReporter(progress))
            return [*render_versions(), parent_follows(p, before, version), False, "", message]

        @refusal_said(8)
        def do_rollback(version, reason, p, user):
            before = default_now(version) if version else None
            message = roll_back(home, version, user, reason)
            return [*render_versions(), parent_follows(p, before, version), False, "", message]

        def open_change(rows, result, evt: gr.SelectData, user):
            """The row's post, opened in Annotate, which comes to the front (as an Errors row's: the
            post was opened out of sight, and the click seemed to do nothing), with a line above it
            saying what the round did there (it opened with no word of why, under the old
            default's suggestions)."""
            row = rows.values.tolist()[evt.index[0]] if hasattr(rows, "values") else rows[evt.index[0]]
            pid = row[0]
            out = [pid]
            if pair_state is not None:
                said = change_focus_said(result, row)
                out.append({"post_id": pid, "pair": None, "span": {"said": said, "source": "Distill"} if said else None,
                            "at": time.time(), "reopen": False})
            if tabs is not None:
                out.append(gr.Tabs(selected="annotate"))
            return out[0] if len(out) == 1 else tuple(out)

        plan_possible = gr.State(False)
        for c in (since, replay, variant, parent):
            c.change(guarded(policy, Action.EXPLORE, show_plan), [dataset, since, replay, variant, parent],
                     [plan, start, plan_possible], api_visibility="private", show_progress="hidden")

        def show_dataset_plan(d, s, r, p, user):
            """A dataset chosen: its plan, and the variant its training posts suit (the variant's
            own change then says the plan again in its words); the versions it may continue. The
            job followed is no longer the one this page started: the poll shows the round
            running, else this dataset's latest."""
            choice = parents_for(d, p)
            view = plan_view(home, d, s, r, parent=choice["value"])
            return (*plan_shown(view), view.variant if view.with_cot is not None else gr.skip(), None, choice)

        dataset.change(guarded(policy, Action.EXPLORE, show_dataset_plan), [dataset, since, replay, parent],
                       [plan, start, plan_possible, variant, job_state, parent], api_visibility="private",
                       show_progress="hidden")
        start.click(guarded(policy, Action.DISTILL, do_start), [dataset, name, variant, epochs, replay, since, parent],
                    [job_state, start, result_state, start_note], api_visibility="private")
        cancel.click(guarded(policy, Action.DISTILL, do_cancel), [job_state], [progress, cancel], api_visibility="private",
                     show_progress="hidden")   # Gradio's own timer ("0.1s") stayed over the job's line
        # polling never flashes a spinner over the tables and the plot
        timer.tick(guarded(policy, Action.EXPLORE, poll, quiet=True),
                   [job_state, result_state, plan_possible, rounds_seen, dataset],
                   [progress, start, cancel, result_state, rounds, rounds_seen], api_visibility="private",
                   show_progress="hidden")
        result_state.change(guarded(policy, Action.EXPLORE, show_result, quiet=True), [result_state],
                            [report_md, report, changes], api_visibility="private", show_progress="hidden")
        result_state.change(guarded(policy, Action.EXPLORE, lambda r, user: render_versions(), quiet=True),
                            [result_state], [versions, f1_plot, pick, history], api_visibility="private", show_progress="hidden")
        changes.select(guarded(policy, Action.EXPLORE, open_change), [changes, result_state],
                       [post_state] + ([pair_state] if pair_state is not None else []) + ([tabs] if tabs is not None else []),
                       api_visibility="private")
        # Back on the tab, the plan and the versions as they are now: posts corrected in Annotate
        # meanwhile (the plan said "nothing to train on", Start off, and a round then trained on
        # more posts than its plan said), a version promoted or rolled back from the CLI
        def reopened(d, s, r, v, p, was_possible, user):
            """The plan as it is now; a round that became possible meanwhile gets the variant its
            posts and parent suit (the preset stayed, the one the plan then warned of); the
            versions to continue, with those made meanwhile."""
            choice = parents_for(d, p)
            view = plan_view(home, d, s, r, v, choice["value"])
            suit = view.variant if view.possible and not was_possible and view.variant != v else None
            if suit:
                view = plan_view(home, d, s, r, suit, choice["value"])
            return (*plan_shown(view), suit or gr.skip(), choice)

        distill_tab.select(guarded(policy, Action.EXPLORE, reopened, quiet=True),
                           [dataset, since, replay, variant, parent, plan_possible],
                           [plan, start, plan_possible, variant, parent],
                           api_visibility="private", show_progress="hidden")
        distill_tab.select(guarded(policy, Action.EXPLORE, lambda user: render_versions(), quiet=True), None,
                           [versions, f1_plot, pick, history], api_visibility="private", show_progress="hidden")

        # a version made, promoted or rolled back in another browser: "Continue from", the plan and
        # the versions follow on a page left open here (it said "mner-default (the default)" over
        # another default until the tab was opened again)
        versions_seen = gr.State(None)

        def versions_now(d, s, r, v, p, was_possible, seen, user):
            now = versions_now_signature(home)
            if now == seen:   # (`seen`, read by the page load before it drew them: app.on_load)
                return [gr.skip()] * 9 + [now]
            return [*reopened(d, s, r, v, p, was_possible, user), *render_versions(), now]

        gr.Timer(5.0).tick(guarded(policy, Action.EXPLORE, versions_now, quiet=True),
                           [dataset, since, replay, variant, parent, plan_possible, versions_seen],
                           [plan, start, plan_possible, variant, parent, versions, f1_plot, pick, history,
                            versions_seen], api_visibility="private", show_progress="hidden")
        # the bar where the answer comes (it covered the table and the plot, over the last answer)
        promoted = promote.click(None, None, [versions_note], js="() => ''", api_visibility="private").then(
            guarded(policy, Action.PROMOTE, do_promote), [pick, anyway, why, parent],
            [versions, f1_plot, pick, history, parent, anyway, why, versions_note], api_visibility="private",
            show_progress_on=[versions_note])
        rolled_back = rollback.click(guarded(policy, Action.PROMOTE, do_rollback), [pick, why, parent],
                                     [versions, f1_plot, pick, history, parent, anyway, why, versions_note],
                                     api_visibility="private")
        # the plan as it is with the new default (it named the one before, and its learnt posts)
        for changed in (promoted, rolled_back):
            changed.then(guarded(policy, Action.EXPLORE, reopened, quiet=True),
                         [dataset, since, replay, variant, parent, plan_possible],
                         [plan, start, plan_possible, variant, parent], api_visibility="private",
                         show_progress="hidden")
    return {"distill_dataset": dataset, "render_versions": render_versions,
            "dataset_to_open": functools.partial(dataset_to_open, home), "versions": versions, "f1_plot": f1_plot,
            "versions_seen": versions_seen, "versions_signature": functools.partial(versions_now_signature, home),
            "promotions": history, "default_changed": [promoted, rolled_back],
            "version_pick": pick, "plan": plan,
            "admin_controls": [(round_buttons, Action.DISTILL), (promote_row, Action.PROMOTE)],
            "admin_only": admin_only}
