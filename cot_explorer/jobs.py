"""Background jobs for the app: a thread per job, status and progress in the store, so a
page reload (or another browser) sees the same job; cancel is a flag the job polls."""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Callable

from .errors import CotExplorerError, ValidationError
from .store import open_store
from .store.jobs import Job, JobRunning, create_job_alone, fail_running, get_job, update_job
from .store.model_versions import get_version
from .student.model_folders import NameTaken, check_version_name, process_alive
from .student.registry import Registry

# the job row's progress is in thousandths of the whole round, whatever phase it is in
WHOLE = 1000


# told each time the job row's progress is written: (part of the whole round done, what it is doing)
Echo = Callable[[float, str], None]


class JobCallback:
    """Writes progress to the job row (at most every 0.3 s) and reads the cancel flag. A
    training step is placed within the training phase's share of the round (the bar read
    100 % at the end of training, with the scoring still to come). `echo`: told the same, for
    a round run in a terminal."""

    def __init__(self, home: Path, job_id: int, echo: Echo | None = None):
        self.home, self.job_id, self.echo = home, job_id, echo
        self._last = 0.0
        self._span = (0.0, 1.0)

    def on_phase(self, words: str, start: float, end: float) -> None:
        self._span = (start, end)
        with open_store(self.home) as s:
            update_job(s, self.job_id, step=round(WHOLE * start), total=WHOLE, message=words)
        if self.echo is not None:
            self.echo(start, words)

    def on_step(self, step: int, total: int, loss: float) -> None:
        start, end = self._span
        self.on_progress(start + (end - start) * step / max(1, total), f"training: step {step}/{total}, loss {loss:.3f}",
                         last=step == total)

    def on_progress(self, at: float, words: str, last: bool = False) -> None:
        """`at`: the part of the whole round done (a scoring phase's posts as they are scored)."""
        now = time.monotonic()
        if now - self._last > 0.3 or last:
            self._last = now
            with open_store(self.home) as s:
                update_job(s, self.job_id, step=round(WHOLE * at), total=WHOLE, message=words)
            if self.echo is not None:
                self.echo(at, words)

    def on_eval(self, epoch: int, metrics: dict) -> None:
        with open_store(self.home) as s:
            update_job(s, self.job_id, message=f"epoch {epoch}: selection F1 {metrics['f1']:.2f} (chooses the epoch)")

    def should_cancel(self) -> bool:
        with open_store(self.home) as s:
            job = get_job(s, self.job_id)
        return bool(job and job.cancel_requested)


class RoundAlreadyRunning(CotExplorerError):
    pass


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


def prepare_round(home: Path, dataset: str, name: str, variant: str | None, epochs: int, replay_ratio: float,
                  since: str | None = None, parent: str = "default") -> dict:
    """Everything a round could refuse, checked before a job exists (the app's Start and the
    CLI's `round` alike), and the version's name reserved: the job's parameters. `variant`
    None: the one the plan's posts and parent suit (round_plan.suggested_variant)."""
    from .student.round_plan import ROUND_VARIANTS, plan_round, suggested_variant  # reads checkpoints' configs

    if not dataset:
        raise ValidationError("choose the dataset whose corrected posts to learn from")
    if variant is not None and variant not in ROUND_VARIANTS:
        raise ValidationError(f"a round trains {' or '.join(ROUND_VARIANTS)}")
    since_at = resolve_since(home, since)
    if (name or "").strip():  # a taken name is the cheapest refusal: say it before planning
        with open_store(home) as store:
            if Registry(store).name_taken(check_version_name(name.strip())):
                raise NameTaken(f"a model version named {name.strip()!r} exists; choose another name "
                                "(versions are never overwritten)")
    if int(epochs) < 1:   # no pass over the data: an untrained version (train's --epochs 0 saved one)
        raise ValidationError("a round trains for 1 epoch at least")
    with open_store(home) as store:
        # nothing to train on, a held-out set too small: a sentence
        plan = plan_round(store, dataset, since=since_at, replay_ratio=float(replay_ratio), parent=parent)
        if variant is None:
            variant = suggested_variant(store, plan, parent).variant
        registry = Registry(store)
        name = registry.reserve(name.strip()) if (name or "").strip() else registry.automatic_name(f"{dataset}-round")
    return {"dataset": dataset, "name": name, "variant": variant, "epochs": int(epochs),
            "replay_ratio": float(replay_ratio), "since": since_at, "parent": parent}


def _create(home: Path, params: dict) -> int:
    """The round's job row, unless one runs on the same dataset (refused with a sentence); the
    reserved name is let go where none is made. The row names the process that runs the round
    (`owner`): an app starting meanwhile leaves a round from the command line be."""
    params = {**params, "owner": {"pid": os.getpid(), "host": socket.gethostname()}}
    with open_store(home) as s:
        try:
            return create_job_alone(s, "distill", params, params["dataset"])
        except JobRunning as e:
            Registry(s).release(params["name"])
            raise RoundAlreadyRunning(
                f"a round on {params['dataset']} is already running (job {e.job.id}, version "
                f"{e.job.params.get('name')}); wait for it to finish or cancel it") from None


def start_distill_job(home: Path, params: dict) -> int:
    """Start a round in a thread (the app's Start)."""
    job_id = _create(home, params)
    threading.Thread(target=_run_distill, args=(home, job_id, params), daemon=True, name=f"job-{job_id}").start()
    return job_id


def run_distill_here(home: Path, params: dict, echo: Echo | None = None) -> Job:
    """Run a round in this thread (the CLI's `round`), as a job the app's Distill tab shows and
    can cancel; its row when it ends."""
    job_id = _create(home, params)
    try:
        _run_distill(home, job_id, params, echo)
    except KeyboardInterrupt:   # Ctrl-C: said as a cancel (the row stayed "running" until the app's next start)
        with open_store(home) as s:
            if version_saved(home, params["name"]):   # stopped between the save and the report
                update_job(s, job_id, status="failed", message="failed",
                           error=f"stopped from the terminal after {params['name']} was saved: its report was not kept")
            else:
                update_job(s, job_id, status="cancelled", message="stopped from the terminal: no version was saved")
        raise
    with open_store(home) as s:
        return get_job(s, job_id)


def version_saved(home: Path, name: str) -> bool:
    """Whether a round's version exists (a stop after its save left it, its report unsaid)."""
    return (home / "models" / name / "manifest.json").exists()


def _run_distill(home: Path, job_id: int, params: dict, echo: Echo | None = None) -> None:
    from .student.incremental import RoundCancelled, release_memory, run_round  # PyTorch, when a round starts

    try:
        with open_store(home) as s:
            report = run_round(s, params["dataset"], params["name"], variant=params.get("variant", "distill"),
                               epochs=int(params.get("epochs", 2)), replay_ratio=float(params.get("replay_ratio", 1.0)),
                               since=params.get("since") or None, parent=params.get("parent") or "default",
                               callback=JobCallback(home, job_id, echo))
            job = get_job(s, job_id)
            update_job(s, job_id, status="done", step=job.total, result=report.to_json(),
                       message=f"done: {report.gain_sentence()}")
    except RoundCancelled as e:
        traceback.clear_frames(e.__traceback__)   # the round's frame held its models: let them go
        release_memory()
        with open_store(home) as s:
            update_job(s, job_id, status="cancelled", message=str(e))
    except CotExplorerError as e:  # a refusal found only now: said as a sentence
        with open_store(home) as s:
            update_job(s, job_id, status="failed", error=str(e), message="failed")
    except Exception as e:  # a failed job is shown, not raised into a dead thread
        with open_store(home) as s:
            update_job(s, job_id, status="failed", error=f"the round failed unexpectedly: {e}", message="failed")
    finally:
        with open_store(home) as s:
            Registry(s).release(params["name"])  # a saved version keeps its name; a failed one frees it


def cancel_job(home: Path, job_id: int) -> None:
    with open_store(home) as s:
        update_job(s, job_id, cancel_requested=1)


def fail_stale_jobs(home: Path) -> int:
    """Jobs left 'running' by a process that stopped cannot finish: say so. Not those another
    process still runs (marked failed, a round from the command line let a second one start on
    its dataset, and then overwrote the row with its own "done")."""
    def still_running(job) -> bool:
        owner = job.params.get("owner") or {}
        pid = owner.get("pid")
        return (owner.get("host") == socket.gethostname() and isinstance(pid, int) and pid != os.getpid()
                and process_alive(pid))

    with open_store(home) as s:
        return fail_running(s, "distill", "the server restarted during the job", still_running)
